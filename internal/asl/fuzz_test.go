package asl

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// definitionSeeds returns the definitions in testdata scripts.
func definitionSeeds(t testing.TB) []string {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	var seeds []string
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range parseScript(t, file, string(text)) {
			if c.cmd == "define" {
				seeds = append(seeds, c.body)
			}
		}
	}
	return seeds
}

// FuzzParse checks that Parse never panics, that it fails only with a
// *DefinitionError, and that a machine it accepts can process every state
// without panicking.
func FuzzParse(f *testing.F) {
	for _, s := range definitionSeeds(f) {
		f.Add(s)
	}
	f.Add(`{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"a.$":"$..x[1:]","b":[{"c.$":"$$.Execution.Input"}]},"End":true}}}`)
	f.Add(`{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Not":{"Or":[{"Variable":"$['a b'][0]","StringMatches":"\\**"}]},"Next":"B"}]},"B":{"Type":"Succeed"}}}`)
	f.Fuzz(func(t *testing.T, def string) {
		m, err := Parse([]byte(def))
		if err != nil {
			var de *DefinitionError
			if !errors.As(err, &de) || len(de.Problems) == 0 {
				t.Fatalf("Parse error %v is not a *DefinitionError with problems", err)
			}
			for _, p := range de.Problems {
				if p.Code == "" || p.Message == "" || p.Location == "" {
					t.Fatalf("incomplete problem %+v", p)
				}
			}
			_ = de.Error()
			return
		}
		inputs := []string{`{}`, `{"a":{"b":[1,"x",null,true]},"x":1,"t":"2016-03-14T01:59:00Z"}`, `[1]`, `"s"`}
		for name := range m.states {
			for _, in := range inputs {
				_, _ = m.Enter(name, []byte(in), &Context{ExecutionInput: []byte(in), TaskToken: "t"})
				_, _ = m.TaskSucceeded(name, []byte(in), []byte(in), nil)
				_ = m.TaskFailed(name, []byte(in), "States.Timeout", "c", []int{1}, 0.5, nil)
			}
		}
	})
}

// FuzzPath checks that parsing and evaluating paths never panics and that
// set succeeds or fails cleanly on reference paths.
func FuzzPath(f *testing.F) {
	for _, s := range []string{"$", "$.a.b", "$['a b'][0]", "$..x", "$.a[*]", "$.a[1:-1]", "$.a[0,1]", "$$.Execution.Id", "$.a[?(@.b)]", "$.a['x','y']"} {
		f.Add(s)
	}
	doc := mustDecode(f, `{"a":{"b":[1,{"x":2}],"a b":[3]},"x":[{"x":4}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePath(s)
		if err != nil {
			return
		}
		_ = p.normalized()
		v, ok := p.eval(doc)
		if !p.definite && (!ok || v == nil) {
			t.Fatalf("indefinite path %q returned %v, %v", s, v, ok)
		}
		if p.reference() {
			_, _ = p.set(doc, "v")
		}
	})
}
