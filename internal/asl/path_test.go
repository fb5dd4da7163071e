package asl

import (
	"errors"
	"strings"
	"testing"
)

// mustDecode decodes JSON text for a test.
func mustDecode(t testing.TB, s string) any {
	t.Helper()
	v, err := decodeJSON([]byte(s), false)
	if err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

func TestParsePathErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path        string
		unsupported bool
		want        string
	}{
		{"", false, "must start with '$'"},
		{"a.b", false, "must start with '$'"},
		{"$.", false, "ends with '.'"},
		{"$..", false, "ends with '.'"},
		{"$.a[", false, "unterminated"},
		{"$.a[0", false, "expected ']'"},
		{"$.a['b", false, "unterminated quoted name"},
		{"$.a['b',]", false, "expected a quoted name after ','"},
		{"$.a[0,]", false, "expected an index after ','"},
		{"$.a[x]", false, "unexpected character 'x'"},
		{"$.a[1:2:3]", false, "slice steps"},
		{"$.a.[0]", false, "not '['"},
		{"$.a b", false, "unexpected character ' '"},
		{"$.a*", false, "unexpected character '*'"},
		{"$.*a", false, "unexpected character 'a'"},
		{"$states.input", false, "'$states' is available only in JSONata states"},
		{"$1a", false, "unexpected character '1'"},
		{"$.a.length()", false, "JSONPath functions"},
		{"$$x", false, "unexpected character 'x'"},
		{"$.a[?(@.b)]", true, "filter expressions"},
		{"$.a[(@.length-1)]", true, "script expressions"},
		{"$.a[99999999999999999999]", false, "bad index"},
		{"$ ", false, "unexpected character ' '"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			_, err := parsePath(tt.path)
			var pe *pathError
			if !errors.As(err, &pe) {
				t.Fatalf("parsePath(%q) error = %v, want a *pathError", tt.path, err)
			}
			if pe.unsupported != tt.unsupported || !strings.Contains(pe.msg, tt.want) {
				t.Errorf("parsePath(%q) = %+v, want unsupported=%v and a message containing %q", tt.path, pe, tt.unsupported, tt.want)
			}
		})
	}
}

func TestPathEval(t *testing.T) {
	t.Parallel()
	const doc = `{
		"a": {"b": {"c": 1}, "list": [10, 20, 30, 40]},
		"odd key": "spaces",
		"it's": "quote",
		"store": {"book": [{"title": "A", "price": 8}, {"title": "B", "price": 12, "extra": {"title": "C"}}]},
		"n": null,
		"dash-key": "d",
		"u": "ü"
	}`
	root := mustDecode(t, doc)
	tests := []struct {
		path     string
		want     string // "" when nothing matches
		definite bool
	}{
		{"$", "", true}, // whole document, checked separately below
		{"$.a.b.c", "1", true},
		{"$.a.b", `{"c":1}`, true},
		{"$['a']['b']", `{"c":1}`, true},
		{`$["a"]["b"]`, `{"c":1}`, true},
		{"$['odd key']", `"spaces"`, true},
		{`$['it\'s']`, `"quote"`, true},
		{"$.dash-key", `"d"`, true},
		{"$.u", `"ü"`, true},
		{"$.a.list[0]", "10", true},
		{"$.a.list[ 3 ]", "40", true},
		{"$.a.list[-1]", "40", true},
		{"$.a.list[4]", "", true},
		{"$.a.list[-5]", "", true},
		{"$.n", "null", true},
		{"$.missing", "", true},
		{"$.a.b.c.d", "", true},
		{"$.a.list.x", "", true},
		{"$.a[0]", "", true},
		{"$.a.list[*]", "[10,20,30,40]", false},
		{"$.a.list.*", "[10,20,30,40]", false},
		{"$.a.*", `[{"c":1},[10,20,30,40]]`, false},
		{"$.a.list[1:3]", "[20,30]", false},
		{"$.a.list[:2]", "[10,20]", false},
		{"$.a.list[2:]", "[30,40]", false},
		{"$.a.list[-2:]", "[30,40]", false},
		{"$.a.list[:-3]", "[10]", false},
		{"$.a.list[3:1]", "[]", false},
		{"$.a.list[:]", "[10,20,30,40]", false},
		{"$.a.list[0,2]", "[10,30]", false},
		{"$.a.list[0, 9]", "[10]", false},
		{"$['a','n']", `[{"b":{"c":1},"list":[10,20,30,40]},null]`, false},
		{"$.store.book[*].title", `["A","B"]`, false},
		{"$..title", `["A","B","C"]`, false},
		{"$.store..price", `[8,12]`, false},
		{"$..book[0].title", `["A"]`, false},
		{"$..list[1]", `[20]`, false},
		{"$..[1]", `[20,{"title":"B","price":12,"extra":{"title":"C"}}]`, false},
		{"$.a.b..*", `[1]`, false},
		{"$.a..*", `[{"c":1},[10,20,30,40],1,10,20,30,40]`, false},
		{"$.nothing[*]", "[]", false},
		{"$.nothing..x", "[]", false},
		{"$.a.b.c[*]", "[]", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			p, err := parsePath(tt.path)
			if err != nil {
				t.Fatalf("parsePath(%q): %v", tt.path, err)
			}
			if got := p.definite; got != tt.definite {
				t.Errorf("definite = %v, want %v", got, tt.definite)
			}
			got, ok := p.eval(root)
			if tt.path == "$" {
				if !ok || got != root {
					t.Errorf("$ did not return the root")
				}
				return
			}
			if tt.want == "" {
				if ok {
					t.Errorf("eval = %s, want no match", encodeJSON(got))
				}
				return
			}
			if !ok {
				t.Fatalf("eval: no match, want %s", tt.want)
			}
			if s := string(encodeJSON(got)); s != tt.want {
				t.Errorf("eval = %s, want %s", s, tt.want)
			}
		})
	}
}

func TestPathReferenceAndNormalized(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path       string
		reference  bool
		normalized string
	}{
		{"$", true, "$"},
		{"$.a.b", true, "$['a']['b']"},
		{"$['a b'][0]", true, "$['a b'][0]"},
		{`$['it\'s']`, true, `$['it\'s']`},
		{"$.a[-1]", false, "$['a'][-1]"},
		{"$$.Execution.Id", false, "$$['Execution']['Id']"},
		{"$.a[*]", false, "$['a'][*]"},
		{"$..a", false, "$..['a']"},
		{"$.a[1:2]", false, "$['a'][1:2]"},
		{"$.a[:2]", false, "$['a'][:2]"},
		{"$.a[0,1]", false, "$['a'][0,1]"},
		{"$['a','b']", false, "$['a','b']"},
	}
	for _, tt := range tests {
		p, err := parsePath(tt.path)
		if err != nil {
			t.Fatalf("parsePath(%q): %v", tt.path, err)
		}
		if got := p.reference(); got != tt.reference {
			t.Errorf("%s: reference() = %v, want %v", tt.path, got, tt.reference)
		}
		if got := p.normalized(); got != tt.normalized {
			t.Errorf("%s: normalized() = %s, want %s", tt.path, got, tt.normalized)
		}
		if got := p.String(); got != tt.path {
			t.Errorf("String() = %s, want %s", got, tt.path)
		}
	}
}

func TestPathSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc, path, value string
		want                   string // result, or the error text after "error: "
	}{
		{"replace member", `{"a":1,"b":2}`, "$.a", `"x"`, `{"a":"x","b":2}`},
		{"add member at end", `{"a":1}`, "$.z", `true`, `{"a":1,"z":true}`},
		{"create intermediate objects", `{"a":1}`, "$.b.c.d", `1`, `{"a":1,"b":{"c":{"d":1}}}`},
		{"into nested object", `{"a":{"x":1}}`, "$.a.y", `2`, `{"a":{"x":1,"y":2}}`},
		{"array element", `{"a":[1,2,3]}`, "$.a[1]", `{"k":0}`, `{"a":[1,{"k":0},3]}`},
		{"inside array element", `{"a":[{"x":1}]}`, "$.a[0].y", `2`, `{"a":[{"x":1,"y":2}]}`},
		{"bracket names", `{}`, "$['a b']['c']", `1`, `{"a b":{"c":1}}`},
		{"string in the way", `{"a":"s"}`, "$.a.b", `1`, `error: $['a'] is a string, not an object`},
		{"null in the way", `{"a":null}`, "$.a.b", `1`, `error: $['a'] is null, not an object`},
		{"root not an object", `[1]`, "$.a", `1`, `error: $ is an array, not an object`},
		{"index out of range", `{"a":[1]}`, "$.a[3]", `1`, `error: $['a'][3] does not exist`},
		{"index on object", `{"a":{}}`, "$.a[0]", `1`, `error: $['a'] is an object, not an array`},
		{"missing array", `{}`, "$.a[0]", `1`, `error: $['a'] does not exist`},
		{"missing array under new object", `{}`, "$.a.b[0]", `1`, `error: $['a']['b'] does not exist`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := mustDecode(t, tt.doc)
			p, err := parsePath(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.set(doc, mustDecode(t, tt.value))
			if want, ok := strings.CutPrefix(tt.want, "error: "); ok {
				if err == nil || err.Error() != want {
					t.Fatalf("set error = %v, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("set: %v", err)
			}
			if s := string(encodeJSON(got)); s != tt.want {
				t.Errorf("set = %s, want %s", s, tt.want)
			}
			if s := string(encodeJSON(doc)); s != string(encodeJSON(mustDecode(t, tt.doc))) {
				t.Errorf("set modified its input: %s", s)
			}
		})
	}
}

// TestPathSetSharedValue checks that storing a part of a document inside
// itself does not create a cycle (ResultPath $.a.b with a result taken from $.a).
func TestPathSetSharedValue(t *testing.T) {
	t.Parallel()
	doc := mustDecode(t, `{"a":{"x":1}}`)
	inner, _ := doc.(*object).get("a")
	p, _ := parsePath("$.a.self")
	got, err := p.set(doc, inner)
	if err != nil {
		t.Fatal(err)
	}
	if s, want := string(encodeJSON(got)), `{"a":{"x":1,"self":{"x":1}}}`; s != want {
		t.Errorf("set = %s, want %s", s, want)
	}
}
