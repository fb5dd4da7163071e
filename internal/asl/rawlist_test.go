package asl

import (
	"encoding/json"
	"testing"
)

// TestRawListRoundTrip: a raw list reads back the values it wrote, nils as
// nils, whatever the values hold (strings with brackets, commas, escapes,
// nesting, numbers at the end).
func TestRawListRoundTrip(t *testing.T) {
	t.Parallel()
	for _, in := range []rawList{
		nil,
		{},
		{json.RawMessage(`1`)},
		{json.RawMessage(`"a,]}\"[{"`), nil, json.RawMessage(`{"x":[1,{"y":"]"}],"z":null}`), json.RawMessage(`-1.5e3`)},
		{json.RawMessage(`true`), json.RawMessage(`false`), json.RawMessage(`[]`), json.RawMessage(`{}`), json.RawMessage(`"\\"`)},
	} {
		b, err := json.Marshal(struct {
			L rawList `json:"l"`
		}{in})
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			L rawList `json:"l"`
		}
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if in == nil { // written as []
			if len(out.L) != 0 {
				t.Errorf("%s: read back %q, want none", b, out.L)
			}
			continue
		}
		if len(out.L) != len(in) {
			t.Fatalf("%s: read back %d elements, want %d", b, len(out.L), len(in))
		}
		for i := range in {
			if string(out.L[i]) != string(in[i]) {
				t.Errorf("%s: element %d = %q, want %q", b, i, out.L[i], in[i])
			}
		}
	}
	// Spaces around the elements, as another encoder may write them.
	var l rawList
	if err := json.Unmarshal([]byte(` [ 1 , "b" ,{"c" : 2} , null ] `), &l); err != nil {
		t.Fatal(err)
	}
	if len(l) != 4 || string(l[0]) != "1" || string(l[1]) != `"b"` || string(l[2]) != `{"c" : 2}` || l[3] != nil {
		t.Errorf("read %q", l)
	}
}

// FuzzRawList: any JSON array of values reads back element by element as
// encoding/json splits it.
func FuzzRawList(f *testing.F) {
	for _, s := range []string{`[]`, `[1,"a",{"b":[2]}]`, `[" ,]",null,true]`, `[ 1 ]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want []json.RawMessage
		if json.Unmarshal([]byte(s), &want) != nil || want == nil {
			return
		}
		var got rawList
		if err := json.Unmarshal([]byte(s), &got); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d elements, want %d", s, len(got), len(want))
		}
		for i := range want {
			w := want[i]
			if string(w) == "null" {
				w = nil
			}
			if string(got[i]) != string(w) {
				t.Fatalf("%s: element %d = %q, want %q", s, i, got[i], w)
			}
		}
	})
}
