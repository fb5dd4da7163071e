package asl

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// nested returns v inside n arrays.
func nested(v any, n int) any {
	for range n {
		v = []any{v}
	}
	return v
}

// A state's output value is passed on to the next state only when decoding
// its JSON text would give the same value back.
func TestCarryableMatchesDecoding(t *testing.T) {
	obj := func(kv ...any) *object {
		o := newObject(len(kv) / 2)
		for i := 0; i < len(kv); i += 2 {
			o.set(kv[i].(string), kv[i+1])
		}
		return o
	}
	shared := obj("x", json.Number("1"))
	tests := []struct {
		name string
		v    any
		want bool
	}{
		{"scalars", []any{nil, true, false, "text \u2028 é", json.Number("-0.5e+3")}, true},
		{"object, key order kept", obj("b", json.Number("2"), "a", []any{}), true},
		{"the same object twice", obj("a", shared, "b", shared), true},
		{"as deep as decoding allows", nested(json.Number("1"), maxDepth), true},
		{"deeper", nested(json.Number("1"), maxDepth+1), false},
		{"invalid UTF-8 in a string", []any{"bad\xff"}, false},
		{"invalid UTF-8 in a key", obj("bad\xfe", nil), false},
		{"empty number", json.Number(""), false},
		{"number with a leading zero", json.Number("01"), false},
		{"not a number", json.Number("NaN"), false},
		{"number without digits after the point", json.Number("1."), false},
		{"a Go type of no JSON value here", []any{42}, false},
	}
	for _, tt := range tests {
		if got := carryable(tt.v, 0); got != tt.want {
			t.Errorf("%s: carryable = %v, want %v", tt.name, got, tt.want)
		}
		if !tt.want {
			continue
		}
		back, err := decodeData(encodeJSON(tt.v))
		if err != nil {
			t.Errorf("%s: decoding its text: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(back, tt.v) {
			t.Errorf("%s: decoding its text gives %#v, not %#v", tt.name, back, tt.v)
		}
	}
}

// A string that is not valid UTF-8 (States.Base64Decode can make one)
// reaches the next state as its JSON text does, with U+FFFD in place of the
// invalid bytes, whether the value is carried or decoded.
func TestCarriedOutputAsItsText(t *testing.T) {
	def := `{"StartAt":"Decode","States":{
		"Decode":{"Type":"Pass","Parameters":{"s.$":"States.Base64Decode('/w==')"},"Next":"Encode"},
		"Encode":{"Type":"Pass","Parameters":{"e.$":"States.Base64Encode($.s)"},"End":true}}}`
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	x := m.NewExec([]byte(`{}`))
	effects, err := m.Run(x, Input{Kind: InputStart}, Env{Now: time.Now(), Record: &countRecorder{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(effects) != 1 || effects[0].Kind != EffectSucceed {
		t.Fatalf("effects %+v", effects)
	}
	want := fmt.Sprintf(`{"e":%q}`, base64.StdEncoding.EncodeToString([]byte("\ufffd")))
	if got := string(effects[0].Output); got != want {
		t.Fatalf("output %s, want %s", got, want)
	}
}

// BenchmarkRunDoubling runs the doubling machine from {"x":1} to the
// payload limit in one write (no budget): what one such execution costs
// the interpreter, its history aside.
func BenchmarkRunDoubling(b *testing.B) {
	m, err := Parse([]byte(doublingMachine(30)))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		x := m.NewExec([]byte(`{"x":1}`))
		effects, err := m.Run(x, Input{Kind: InputStart}, Env{Now: now, Record: &countRecorder{}})
		if err != nil || len(effects) != 1 || effects[0].Kind != EffectFail || effects[0].Error != ErrorDataLimitExceeded {
			b.Fatalf("effects %+v, err %v", effects, err)
		}
	}
}

// An object keeps its keys in order, the last value of a repeated key at
// its first position, below and above the size at which it keeps an index;
// a clone changes apart from its original.
func TestObjectKeysAndClone(t *testing.T) {
	for _, n := range []int{3, objectIndexMin - 1, objectIndexMin, 3 * objectIndexMin} {
		var b strings.Builder
		b.WriteString(`{`)
		for i := range n {
			fmt.Fprintf(&b, `"k%d":%d,`, i, i)
		}
		b.WriteString(`"k0":"last"}`)
		v, err := decodeData([]byte(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		o := v.(*object)
		if len(o.keys) != n || len(o.vals) != n {
			t.Fatalf("n=%d: %d keys, %d values", n, len(o.keys), len(o.vals))
		}
		if got := o.value("k0"); got != "last" {
			t.Errorf("n=%d: k0 = %v, want the last value", n, got)
		}
		if got := o.value(fmt.Sprintf("k%d", n-1)); got != json.Number(fmt.Sprint(n-1)) {
			t.Errorf("n=%d: k%d = %v", n, n-1, got)
		}
		if _, ok := o.get("missing"); ok {
			t.Errorf("n=%d: a missing key found", n)
		}
		c := o.clone()
		c.set("k1", "changed")
		c.set("new", true)
		if o.value("k1") != json.Number("1") || o.find("new") >= 0 {
			t.Errorf("n=%d: changing a clone changed the original: %s", n, encodeJSON(o))
		}
		if c.value("k1") != "changed" || c.value("new") != true || c.keys[len(c.keys)-1] != "new" {
			t.Errorf("n=%d: clone %s", n, encodeJSON(c))
		}
		want := strings.Replace(b.String(), `"k0":0,`, `"k0":"last",`, 1)
		want = strings.TrimSuffix(want, `,"k0":"last"}`) + `}`
		if got := string(encodeJSON(o)); got != want {
			t.Errorf("n=%d: encoded %s, want %s", n, got, want)
		}
	}
}
