package awsapi

import (
	"encoding/json"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// wireOp is one implemented-or-not operation of an embedded model with an
// input shape, as the handler validates its requests.
type wireOp struct {
	model          *Model
	name           string
	input          *validator
	validationCode string
}

// wireOps returns every operation with an input shape of the three
// embedded models, in a stable order (model, then operation name), with
// the validation code errors.json gives each service.
func wireOps(t testing.TB) []wireOp {
	data, err := os.ReadFile("errors.json")
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		Services []struct {
			Model      string `json:"model"`
			Validation string `json:"validation"`
		} `json:"services"`
	}
	if err := json.Unmarshal(data, &table); err != nil {
		t.Fatalf("errors.json: %v", err)
	}
	var ops []wireOp
	for _, svc := range table.Services {
		m := EmbeddedModel(svc.Model)
		comp := newCompiler(m, slog.New(slog.DiscardHandler))
		var names []string
		for name, op := range m.Operations {
			if op.Input != nil {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		for _, name := range names {
			ops = append(ops, wireOp{model: m, name: name, input: comp.compile(m.Operations[name].Input.Shape), validationCode: svc.Validation})
		}
	}
	if len(ops) == 0 {
		t.Fatal("no operations in errors.json's services")
	}
	return ops
}

// sampleValue returns a value of the model shape name that an SDK could
// send: every member of a structure (to depth), one element per list and
// map, the first enum value, a string of the minimum length. It need not
// pass validation (patterns are not followed); it gives the fuzzer member
// names and types to start from.
func sampleValue(m *Model, name string, depth int) any {
	s := m.Shapes[name]
	if s == nil {
		return nil
	}
	switch s.Type {
	case "structure":
		out := map[string]any{}
		if depth == 0 {
			return out
		}
		for _, mb := range s.Members {
			out[mb.Name] = sampleValue(m, mb.Shape, depth-1)
		}
		return out
	case "list":
		if depth == 0 {
			return []any{}
		}
		return []any{sampleValue(m, s.Member.Shape, depth-1)}
	case "map":
		if depth == 0 {
			return map[string]any{}
		}
		return map[string]any{"k": sampleValue(m, s.Value.Shape, depth-1)}
	case "string":
		if len(s.Enum) > 0 {
			return s.Enum[0]
		}
		n := 1
		if s.Min != nil && *s.Min > 1 {
			n = int(min(*s.Min, 64))
		}
		return strings.Repeat("x", n)
	case "boolean":
		return true
	case "integer", "long", "float", "double":
		if s.Min != nil {
			return json.Number(formatBound(*s.Min))
		}
		return json.Number("1")
	case "timestamp":
		return json.Number("1700000000")
	case "blob":
		return "eA=="
	}
	return nil
}

// FuzzRequestBody feeds arbitrary bytes as the body of an operation of
// each service, through the path a request body takes before the service
// method runs (decodeObject, then validation against the operation's
// input shape), and checks that it never panics and answers either a
// decoded, valid object or an *Error whose code the model lets the
// operation answer: SerializationException, or the service's validation
// code. A body that is valid JSON and valid UTF-8 decodes to what
// encoding/json's Decoder with UseNumber decodes (invalid UTF-8 and lone
// surrogate escapes, which encoding/json replaces by U+FFFD, are refused).
func FuzzRequestBody(f *testing.F) {
	ops := wireOps(f)
	for i, op := range ops {
		in := op.model.Operations[op.name].Input.Shape
		f.Add(uint16(i), []byte(`{}`))
		f.Add(uint16(i), mustMarshal(f, sampleValue(op.model, in, 4)))
	}
	f.Add(uint16(0), []byte("{\"name\":\"a\xffb\"}"))
	f.Add(uint16(0), []byte(`{"name":"\ud800"}`))
	f.Add(uint16(0), []byte(`[{}]`))
	f.Add(uint16(1), []byte(`{"maxResults":1e400}`))
	f.Fuzz(func(t *testing.T, which uint16, body []byte) {
		op := ops[int(which)%len(ops)]
		checkCode := func(stage string, aerr *Error, allowed ...string) {
			t.Helper()
			if !slices.Contains(allowed, aerr.Code) || aerr.Message == "" {
				t.Fatalf("%s %s(%q): error %q (%q), want one of %v with a message", stage, op.name, body, aerr.Code, aerr.Message, allowed)
			}
			if !op.model.ListsError(op.name, aerr.Code) {
				t.Fatalf("%s %s(%q): %s is not an error the model lists for the operation", stage, op.name, body, aerr.Code)
			}
		}
		decoded, aerr := decodeObject(body)
		if aerr != nil {
			checkCode("decode", aerr, CodeSerialization)
			if utf8.Valid(body) && !surrogateEscape.Match(body) { // a lone surrogate escape is refused too
				if v, err := decodeStd(body); err == nil && json.Valid(body) {
					if _, isObj := v.(map[string]any); isObj {
						t.Fatalf("decode %s(%q): refused (%v) a UTF-8 JSON object encoding/json decodes", op.name, body, aerr)
					}
				}
			}
			return
		}
		if decoded == nil {
			t.Fatalf("decode %s(%q): neither a value nor an error", op.name, body)
		}
		if utf8.Valid(body) {
			want, err := decodeStd(body)
			if err != nil {
				t.Fatalf("decode %s(%q): accepted a body encoding/json refuses: %v", op.name, body, err)
			}
			if !reflect.DeepEqual(any(decoded), want) {
				t.Fatalf("decode %s(%q)\n got %#v\nwant %#v", op.name, body, decoded, want)
			}
		}
		if aerr := validateInput(op.input, decoded, op.validationCode); aerr != nil {
			checkCode("validate", aerr, CodeSerialization, op.validationCode)
		}
	})
}

func mustMarshal(t testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
