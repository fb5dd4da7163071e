package asl

import (
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
)

// evalOutput runs a JSONata Pass state whose Output is the expression and
// returns the output, or the error.
func evalOutput(t *testing.T, expr, input string, ctx *Context) (string, error) {
	t.Helper()
	out, err := json.Marshal("{% " + expr + " %}")
	if err != nil {
		t.Fatal(err)
	}
	def := `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":` + string(out) + `,"End":true}}}`
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatalf("Parse(%s): %v", def, err)
	}
	step, err := m.Enter("A", []byte(input), ctx)
	if err != nil {
		return "", err
	}
	return string(step.Output), nil
}

func TestJSONataFunctions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr, input, want string
	}{
		// AWS's additions.
		{`$partition([1,2,3,4,5], 2)`, `{}`, `[[1,2],[3,4],[5]]`},
		{`$partition([0,1,2], 3)`, `{}`, `[[0,1,2]]`},
		{`$partition([0,1,2], 5)`, `{}`, `[[0,1,2]]`},
		{`$partition([0], 2)`, `{}`, `[[0]]`},
		{`$partition($states.input.a, $states.input.n)`, `{"a":["x","y","z"],"n":1}`, `[["x"],["y"],["z"]]`},
		{`$partition([], 2)`, `{}`, `[]`},
		{`$range(0, 9, 3)`, `{}`, `[0,3,6,9]`},
		{`$range(0, 10, 3)`, `{}`, `[0,3,6,9]`},
		{`$range(9, 1, -2)`, `{}`, `[9,7,5,3,1]`},
		{`$range(-1.2, 2.8, 1.9)`, `{}`, `[-1,0,1,2]`},
		{`$range(3, 3, 1)`, `{}`, `3`},
		{`$append([], $range(3, 1, 1))`, `{}`, `[]`},
		{`$hash('input data', 'MD5')`, `{}`, `"812f45842bc6d66ee14572ce20db8e86"`},
		{`$hash('input data', 'SHA-1')`, `{}`, `"aaff4a450a104cd177d28d18d74485e8cae074b7"`},
		{`$hash('input data', 'SHA-256')`, `{}`, `"b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"`},
		{`$length($hash('x', 'SHA-384'))`, `{}`, `96`},
		{`$length($hash('x', 'SHA-512'))`, `{}`, `128`},
		{`$parse('{"b":1,"a":[true,null,"s",1.5]}')`, `{}`, `{"b":1,"a":[true,null,"s",1.5]}`},
		{`$parse('-0')`, `{}`, `0`},
		{`$parse('"HelloWorld"')`, `{}`, `"HelloWorld"`},
		{`$parse($states.input.s).x`, `{"s":"{\"x\":[1,2]}"}`, `[1,2]`},
		{`$random(42) = $random(42)`, `{}`, `true`},
		{`$random('seed') >= 0 and $random('seed') < 1`, `{}`, `true`},
		{`$random() >= 0 and $random() < 1`, `{}`, `true`},
		{`$count($shuffle([1,2,3]))`, `{}`, `3`},
		{`$sort($shuffle([3,1,2]))`, `{}`, `[1,2,3]`},
		// The library's functions, with fixes.
		{`$encodeUrlComponent('a b&c/d')`, `{}`, `"a%20b%26c%2Fd"`},
		{`$encodeUrl('https://x.y/a b?q=1&r=é')`, `{}`, `"https://x.y/a%20b?q=1&r=%C3%A9"`},
		{`$contains("hello$world", /^hello\$/)`, `{}`, `true`},
		{`$merge([$states.input.a, $states.input.b])`, `{"a":{"hello":"world"},"b":{"foo":"bar"}}`, `{"foo":"bar","hello":"world"}`},
		{`$not($states.input.type = 'Private')`, `{"type":"Public"}`, `true`},
		{`$number('2')`, `{}`, `2`},
		{`$string(0.1 + 0.2)`, `{}`, `"0.30000000000000004"`},
		// Numbers come back as JavaScript writes them.
		{`1/3`, `{}`, `0.3333333333333333`},
		{`1e21`, `{}`, `1e+21`},
		{`0.000001`, `{}`, `0.000001`},
		{`1.5e-7`, `{}`, `1.5e-7`},
		{`-0`, `{}`, `0`},
		{`$states.input.n`, `{"n":1.50}`, `1.5`},
		{`$states.input.n`, `{"n":12345678901234567890}`, `12345678901234567000`},
		// Objects from the input keep their key order; new ones are sorted.
		{`$states.input`, `{"z":1,"a":{"y":2,"b":3}}`, `{"z":1,"a":{"y":2,"b":3}}`},
		{`{"z": 1, "a": 2}`, `{}`, `{"a":2,"z":1}`},
		// A transform copies its object: the copy's keys are sorted.
		{`$states.input ~> | $ | {"new": 1} |`, `{"z":1,"a":2}`, `{"a":2,"new":1,"z":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			got, err := evalOutput(t, tt.expr, tt.input, nil)
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestJSONataErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr, want string
	}{
		{`$partition([1], 0)`, "threw an error during evaluation. The chunk size of $partition must be a positive integer, not 0"},
		{`$partition([1], 1.5)`, "must be a positive integer, not 1.5"},
		{`$range(0, 1, 0)`, "returned nothing (undefined)."},
		{`$range(0, 2000000, 1)`, "at most 1000000 are allowed"},
		{`$hash('x', 'SHA-3')`, "must be one of MD5, SHA-1, SHA-256, SHA-384 and SHA-512"},
		{`$parse('{')`, "$parse was given text that is not JSON"},
		{`$eval('1')`, "threw an error during evaluation"},
		{`function($x){$x}`, "returned an unsupported result type."},
		{`$doesNotExist`, "The JSONata expression '$doesNotExist' specified for the field 'Output' returned nothing (undefined)."},
		{`states.input`, "returned nothing (undefined)."},
		{`$`, "returned nothing (undefined)."},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			_, err := evalOutput(t, tt.expr, `{}`, &Context{EnteredEventID: 2})
			re, ok := err.(*RuntimeError)
			if !ok {
				t.Fatalf("error %v, want a *RuntimeError", err)
			}
			if re.ErrorName != ErrorQueryEvaluation {
				t.Errorf("error name %s, want %s", re.ErrorName, ErrorQueryEvaluation)
			}
			if !strings.HasPrefix(re.CauseText, "An error occurred while executing the state 'A' (entered at the event id #2). The JSONata expression") {
				t.Errorf("cause %q lacks AWS's prefix", re.CauseText)
			}
			if !strings.Contains(re.CauseText, tt.want) {
				t.Errorf("cause %q does not contain %q", re.CauseText, tt.want)
			}
		})
	}
}

// TestJSONataPure checks that the clock and randomness come from the
// Context only: the same Context gives the same values.
func TestJSONataPure(t *testing.T) {
	t.Parallel()
	entered := time.Date(2024, 5, 1, 10, 0, 1, 250e6, time.UTC)
	run := func(seed uint64) string {
		ctx := &Context{EnteredTime: entered, Rand: rand.New(rand.NewPCG(seed, seed))}
		out, err := evalOutput(t, `[$now(), $millis(), $uuid(), $random(), $now('[Y0001]-[M01]'), $shuffle([1,2,3,4,5,6,7,8])]`, `{}`, ctx)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b, c := run(1), run(1), run(2)
	if a != b {
		t.Errorf("same seed, different values: %s and %s", a, b)
	}
	if a == c {
		t.Errorf("different seeds, same values: %s", a)
	}
	var got []any
	if err := json.Unmarshal([]byte(a), &got); err != nil {
		t.Fatal(err)
	}
	if got[0] != "2024-05-01T10:00:01.250Z" {
		t.Errorf("$now() = %v, want the entered time", got[0])
	}
	if got[1] != float64(entered.UnixMilli()) {
		t.Errorf("$millis() = %v, want %d", got[1], entered.UnixMilli())
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(got[2].(string)) {
		t.Errorf("$uuid() = %v, not a version 4 UUID", got[2])
	}
	if got[4] != "2024-05" {
		t.Errorf("$now(picture) = %v, want 2024-05", got[4])
	}
	// Without a Rand, a fixed seed.
	x, err1 := evalOutput(t, `$uuid()`, `{}`, nil)
	y, err2 := evalOutput(t, `$uuid()`, `{}`, nil)
	if err1 != nil || err2 != nil || x != y {
		t.Errorf("without Rand: %s, %v and %s, %v; want the same UUID", x, err1, y, err2)
	}
}

func TestJSONataText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s, text string
		ok      bool
	}{
		{"{% $x %}", "$x", true},
		{"{%$x%}", "$x", true},
		{" {% $x %}", "", false},
		{"{% $x %} ", "", false},
		{"{%%}", "", true},
		{"{%}", "", false},
		{"$x", "", false},
	}
	for _, tt := range tests {
		text, ok := jsonataText(tt.s)
		if text != tt.text || ok != tt.ok {
			t.Errorf("jsonataText(%q) = %q, %v; want %q, %v", tt.s, text, ok, tt.text, tt.ok)
		}
	}
	if got := mentionedVars("$a + $b.c + $a + $states.input + '$d' + $é1"); strings.Join(got, ",") != "a,b,d,states,é1" {
		t.Errorf("mentionedVars = %v", got)
	}
}

func TestAssignedVariables(t *testing.T) {
	t.Parallel()
	m, err := Parse([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"x":[1,2]},"Assign":{"a.$":"$.x","b":"text","c":{"d":1.50}},"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	step, err := m.Enter("A", []byte(`{}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := step.AssignedVariables()
	want := map[string]string{"a": `[1,2]`, "b": `"text"`, "c": `{"d":1.50}`}
	if len(got) != len(want) {
		t.Fatalf("AssignedVariables() = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("AssignedVariables()[%q] = %s, want %s", k, got[k], v)
		}
	}
	if vars := (Step{}).AssignedVariables(); vars != nil {
		t.Errorf("a step without Assign has variables %v", vars)
	}

	// A scope's variables are read by paths, numbers kept as written.
	m, err = Parse([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"a.$":"$a","c.$":"$c.d","s.$":"$s"},"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	scope := &scopeVars{vals: newObject(3)}
	for k, v := range map[string]string{"a": `[1,2]`, "c": `{"d":1.50}`, "s": `"from the scope"`} {
		x, err := decodeData([]byte(v))
		if err != nil {
			t.Fatal(err)
		}
		scope.vals.set(k, x)
	}
	step, err = m.Enter("A", []byte(`{}`), &Context{vars: scope})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(step.Output), `{"a":[1,2],"c":1.50,"s":"from the scope"}`; got != want {
		t.Errorf("output %s, want %s", got, want)
	}
}

// TestVariableScopes checks that an inner scope sees its outer scopes'
// variables and that its own shadow them.
func TestVariableScopes(t *testing.T) {
	t.Parallel()
	outer := &scopeVars{vals: newObject(2)}
	outer.vals.set("a", "outer a")
	outer.vals.set("b", "outer b")
	inner := &scopeVars{outer: outer, vals: newObject(1)}
	inner.vals.set("a", "inner a")
	m, err := Parse([]byte(`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":["{% $a %}","{% $b %}"],"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	step, err := m.Enter("A", []byte(`{}`), &Context{vars: inner})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(step.Output), `["inner a","outer b"]`; got != want {
		t.Errorf("output %s, want %s", got, want)
	}
}

// TestJSONataPathToEmptyArray: a plain path that ends at an empty array
// yields [] (JSONata 2.x, as AWS runs it), in $states and in variables.
func TestJSONataPathToEmptyArray(t *testing.T) {
	t.Parallel()
	m, err := Parse([]byte(`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":{"a":"{% $states.input.items %}","b":"{% $v.list %}","c":"{% $states.input.full %}"},"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	scope := &scopeVars{vals: newObject(1)}
	v, _ := decodeData([]byte(`{"list":[]}`))
	scope.vals.set("v", v)
	step, err := m.Enter("A", []byte(`{"items":[],"full":[1]}`), &Context{vars: scope})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(step.Output), `{"a":[],"b":[],"c":[1]}`; got != want {
		t.Errorf("output %s, want %s", got, want)
	}
	// A path to nothing is still undefined: an error.
	m, err = Parse([]byte(`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% $states.input.missing %}","End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Enter("A", []byte(`{"items":[]}`), nil); err == nil {
		t.Error("a path to a missing field gave no error")
	}
}
