package awsapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// surrogateEscape matches a \u escape of a UTF-16 surrogate.
var surrogateEscape = regexp.MustCompile(`(?i)\\ud[89a-f]`)

// decodeStd is the reference: encoding/json's Decoder with UseNumber.
func decodeStd(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

var decodeCorpus = []string{
	`{}`,
	` { "a" : 1 , "b" : [ 1 , -2.5e+3 , true , false , null , "x" , { } , [ ] ] } `,
	`{"s":"plain","u":"héllo wörld 😀","e":"\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00"}`,
	`{"n":[0,-0,1e9,1E-9,123456789012345678901234567890,0.000001]}`,
	`{"nested":{"a":{"b":{"c":[[[{"d":"e"}]]]}}}}`,
	`{"dup":1,"dup":2}`,
	`{"":""}`,
	`{"k\u00e9y":"v"}`,
}

func TestParserMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, in := range decodeCorpus {
		want, err := decodeStd([]byte(in))
		if err != nil {
			t.Fatalf("corpus %q: %v", in, err)
		}
		got, aerr := decodeObject([]byte(in))
		if aerr != nil {
			t.Errorf("decodeObject(%q): %v", in, aerr)
			continue
		}
		if !reflect.DeepEqual(any(got), want) {
			t.Errorf("decodeObject(%q)\n got %#v\nwant %#v", in, got, want)
		}
	}
}

func FuzzDecodeObject(f *testing.F) {
	for _, in := range decodeCorpus {
		f.Add([]byte(in))
	}
	f.Add([]byte(`[1,2]`))
	f.Add([]byte(`{"a":`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, aerr := decodeObject(data)
		if aerr != nil && strings.Contains(aerr.Message, "invalid UTF-8") {
			// Refused text: the body must hold invalid UTF-8 or a
			// surrogate escape (encoding/json would write U+FFFD).
			if utf8.Valid(data) && !surrogateEscape.Match(data) {
				t.Fatalf("decodeObject(%q) refused valid text: %v", data, aerr)
			}
			return
		}
		if aerr == nil && !utf8.Valid(data) {
			t.Fatalf("decodeObject(%q) accepted invalid UTF-8", data)
		}
		want, err := decodeStd(data)
		_, isObj := want.(map[string]any)
		if !json.Valid(data) || !isObj || err != nil {
			if aerr == nil {
				t.Fatalf("decodeObject(%q) accepted input encoding/json rejects or that is not an object", data)
			}
			return
		}
		if aerr != nil {
			t.Fatalf("decodeObject(%q): %v", data, aerr)
		}
		if !reflect.DeepEqual(any(got), want) {
			t.Fatalf("decodeObject(%q)\n got %#v\nwant %#v", data, got, want)
		}
	})
}
