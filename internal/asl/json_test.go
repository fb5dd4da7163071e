package asl

import (
	"strings"
	"testing"
)

func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"numbers keep their text", `{"a": 1.50, "b": 1e400, "c": -0, "d": 12345678901234567890123}`, `{"a":1.50,"b":1e400,"c":-0,"d":12345678901234567890123}`},
		{"key order kept", `{"z": 1, "a": 2, "m": {"y": 1, "b": 2}}`, `{"z":1,"a":2,"m":{"y":1,"b":2}}`},
		{"html not escaped", `{"s": "<a href=\"x\">&amp;</a>"}`, `{"s":"<a href=\"x\">&amp;</a>"}`},
		{"control characters", `"a\u0001b\n\t\r\b\f"`, `"a\u0001b\n\t\r\u0008\u000c"`},
		{"unicode kept", `"héllo ✓ 😀"`, `"héllo ✓ 😀"`},
		{"line separators escaped", `"a\u2028b\u2029"`, `"a\u2028b\u2029"`},
		{"scalars", `[true, false, null, "x", 0]`, `[true,false,null,"x",0]`},
		{"empty containers", `{"a": {}, "b": []}`, `{"a":{},"b":[]}`},
		{"duplicate key: last value, first position", `{"a": 1, "b": 2, "a": 3}`, `{"a":3,"b":2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := decodeJSON([]byte(tt.in), false)
			if err != nil {
				t.Fatalf("decodeJSON(%s): %v", tt.in, err)
			}
			if got := string(encodeJSON(v)); got != tt.want {
				t.Errorf("round trip of %s = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     string
		strict bool
		want   string // substring of the error
	}{
		{"not JSON", `nope`, false, "invalid character"},
		{"trailing value", `{} {}`, false, "after the top-level value"},
		{"trailing garbage", `{}}`, false, "invalid character"},
		{"truncated", `{"a": [1, 2`, false, "unexpected EOF"},
		{"empty", ``, false, "EOF"},
		{"trailing comma", `[1,]`, false, "invalid character"},
		{"duplicate key when strict", `{"a": {"b": 1, "b": 2}}`, true, `duplicate key "b" at /a/b`},
		{"duplicate key escaped in pointer", `{"a/b": {"~": 1, "~": 2}}`, true, "at /a~1b/~0"},
		{"too deep", strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2), false, "nested too deeply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeJSON([]byte(tt.in), tt.strict)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("decodeJSON(%.40q) error = %v, want one containing %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestDecodeData(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "  \n"} {
		v, err := decodeData([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(encodeJSON(v)), "{}"; got != want {
			t.Errorf("decodeData(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestEncodeInvalidUTF8(t *testing.T) {
	t.Parallel()
	if got, want := string(encodeJSON("a\xffb")), `"a\ufffdb"`; got != want {
		t.Errorf("encodeJSON = %s, want %s", got, want)
	}
}

func TestObjectCloneIsIndependent(t *testing.T) {
	t.Parallel()
	o := newObject(0)
	o.set("a", "1")
	c := o.clone()
	c.set("b", "2")
	c.set("a", "changed")
	if got, want := string(encodeJSON(o)), `{"a":"1"}`; got != want {
		t.Errorf("original after clone changes = %s, want %s", got, want)
	}
	if got, want := string(encodeJSON(c)), `{"a":"changed","b":"2"}`; got != want {
		t.Errorf("clone = %s, want %s", got, want)
	}
}
