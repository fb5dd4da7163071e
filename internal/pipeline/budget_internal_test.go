package pipeline

import (
	"strings"
	"testing"

	"github.com/gaffer-dev/gaffer/internal/pipeline/expr"
)

// checkBudget refuses at put only what is over budget whatever the run.
func TestCheckBudget(t *testing.T) {
	t.Parallel()
	wide := func(name string, n int) string { return strings.Repeat("#{"+name+"}", n) }
	for _, tc := range []struct {
		name   string
		fields []Field
		params map[string][]string
		want   string // in the error of field myL1; "" for none
	}{
		{"fan-out", []Field{strField("myL1", wide("myL2", 40)), strField("myL2", wide("myL3", 40)), strField("myL3", wide("myL4", 40)), strField("myL4", "x")},
			nil, "more than 10000 steps"},
		// Counted whether or not the references resolve at put time.
		{"fan-out through a runtime field", []Field{strField("myL1", wide("myL2", 100)), strField("myL2", strings.Repeat("#{plusDays(@scheduledStartTime, myL3)}", 100)), strField("myL3", "1")},
			nil, "more than 10000 steps"},
		{"fan-out of a parent's field", []Field{strField("myL1", wide("parent.myL2", 200)), refField("parent", "P")},
			nil, "more than 10000 steps"},
		{"overlong", []Field{strField("myL1", wide("myL2", 40)), strField("myL2", strings.Repeat("y", 300))},
			nil, "longer than 10240 characters"},
		{"at the limit", []Field{strField("myL1", wide("myL2", 40)), strField("myL2", strings.Repeat("y", 256))},
			nil, ""},
		// Written out, the unevaluated #{format(...)} are longer than the
		// limit; evaluated, 3,200 characters.
		{"runtime fields", []Field{strField("myL1", wide("myL2", 40)), strField("myL2", strings.Repeat("#{format(@scheduledStartTime,'YY')}", 40))},
			nil, ""},
		// Activation can give a parameter another value: judged at run time.
		{"parameter", []Field{strField("myL1", wide("myL2", 40)), strField("myL2", wide("myParam", 40))},
			map[string][]string{"myParam": {strings.Repeat("p", 10)}}, ""},
		// A field that refers to itself stops at maxEvalDepth.
		{"loop", []Field{strField("myL1", "#{myL1}")}, nil, ""},
		{"wide loop", []Field{strField("myL1", wide("myL1", 4))}, nil, "more than 10000 steps"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			objs := []PipelineObject{
				{ID: "P", Name: "P", Fields: []Field{strField("myL2", wide("myL3", 100)), strField("myL3", "#{1 + 1}")}},
				{ID: "Act", Name: "Act", Fields: tc.fields},
			}
			r := &report{}
			checkBudget(r, "df-1", newIndex(objs), tc.params)
			var got string
			for _, e := range r.errs {
				for _, msg := range e.Errors {
					if e.ID == "Act" && strings.HasPrefix(msg, "INVALID_EXPRESSION: field 'myL1'") {
						got = msg
					}
				}
			}
			switch {
			case tc.want == "" && got != "":
				t.Errorf("refused: %s", got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("myL1: error %q, want one containing %q (all: %v)", got, tc.want, r.errs)
			}
		})
	}
}

// At run time the budget holds for each value evaluated, nested references
// included, whatever checkBudget let through.
func TestEvalBudgetAtRunTime(t *testing.T) {
	t.Parallel()
	objs := []PipelineObject{{ID: "Act", Name: "Act", Fields: []Field{
		strField("myL1", strings.Repeat("#{myL2}", 40)), strField("myL2", strings.Repeat("#{myParam}", 40)),
	}}}
	env := &evalEnv{ix: newIndex(objs), pipelineID: "df-1", params: map[string][]string{"myParam": {"ppppppppp"}},
		runtime: map[string]string{"@scheduledStartTime": "2024-01-02T03:04:05", "@id": "@Act_1"}}
	act := env.ix.byID["Act"]
	s := "echo #{myL1}"
	out, err := env.evalTemplate(act, s, 0)
	if be := budgetErr(err); out != s || be == nil || be.Limit != expr.LimitLen {
		t.Fatalf("evalTemplate = %.40q, %v; want it left as written and a length BudgetError", out, err)
	}
	if got := env.evalString(act, s, 0); got != s {
		t.Errorf("evalString = %.40q, want it left as written", got)
	}
	fs, err := env.flatten(act)
	if fs != nil || err == nil || !strings.HasPrefix(err.Error(), "field 'myL1' of 'Act': '#{myL2}': the evaluated value is longer than 10240 characters") {
		t.Fatalf("flatten = %v, %v; want a budgetError naming myL1", fs, err)
	}
	env.params["myParam"] = []string{"p"}
	if out, err := env.evalTemplate(act, s, 0); err != nil || len(out) != len("echo ")+1600 {
		t.Errorf("evalTemplate with a short parameter = %d characters, %v", len(out), err)
	}
}
