package pipeline

import (
	"errors"
	"strings"
	"testing"

	"github.com/gaffer-dev/gaffer/internal/pipeline/expr"
)

// The expression language is tested in package expr (its testdata
// scripts); these tests are of how a definition resolves the references of
// expressions: fields (own, inherited, of objects referred to), parameters
// and runtime fields.

// exprSetup returns an evaluation environment over a small definition, and
// its activity. myDateTime is AWS's example DateTime, May 24, 2011 @ 5:10 pm
// GMT (a Tuesday).
func exprSetup(runtime map[string]string) (*evalEnv, *PipelineObject) {
	objs := []PipelineObject{
		{ID: "Default", Name: "Default", Fields: []Field{strField("workerGroup", "wg")}},
		{ID: "Act", Name: "Act", Fields: []Field{
			refField("parent", "Default"),
			strField("myDateTime", "2011-05-24T17:10:00"),
			strField("myMidnightTest", "2011-05-25T17:10:00"),
			strField("myMillis", "2011-05-24T17:10:00.123Z"),
			strField("myZoned", "#{inTimeZone(myDateTime,'America/Los_Angeles')}"),
			strField("myCount", "9"),
			strField("myText", "abc"),
			strField("myNested", "#{plusDays(myDateTime, 1)}"),
			strField("myNestedBad", "#{minusDays('abc',1)}"),
			strField("myLoop", "#{myLoop}"),
			strField("myTwice", "a"), strField("myTwice", "b"),
			// 20 references 3 deep: over the evaluation budget.
			strField("myFan1", strings.Repeat("#{myFan2}", 20)),
			strField("myFan2", strings.Repeat("#{myFan3}", 20)),
			strField("myFan3", strings.Repeat("#{myFan4}", 20)),
			strField("myFan4", "fan"),
		}},
	}
	params := map[string][]string{"myParam": {"7"}, "*myList": {"a", "b"}}
	env := &evalEnv{ix: newIndex(objs), pipelineID: "df-1", params: params, runtime: runtime}
	return env, env.ix.byID["Act"]
}

// evalExpr evaluates one expression's source; the error is why it could
// not be evaluated.
func evalExpr(t *testing.T, env *evalEnv, o *PipelineObject, src string) (string, error) {
	t.Helper()
	if err := expr.Validate("#{" + src + "}"); err != nil {
		t.Fatalf("parse #{%s}: %v", src, err)
	}
	out, err := env.evalTemplate(o, "#{"+src+"}", 0)
	var ee *expr.Error
	if errors.As(err, &ee) {
		return out, ee.Err
	}
	return out, err
}

func TestExprReferences(t *testing.T) {
	t.Parallel()
	env, act := exprSetup(map[string]string{"@scheduledStartTime": "2024-02-29T23:30:00", "@id": "@Act_1"})
	for _, tc := range []struct{ expr, want string }{
		// A field holding a zoned DateTime reads back as one.
		{"myZoned", "2011-05-24T10:10:00.000-07:00"},
		{"hour(myZoned)", "10"},
		{"format(myZoned,'HH:mm ZZ')", "10:10 -07:00"},
		{"format(myMillis,'HH:mm:ss.SSS')", "17:10:00.123"},
		{"myNested", "2011-05-25T17:10:00"},
		{"day(myNested)", "25"},
		// Runtime fields and parameters.
		{"format(@scheduledStartTime,'YYYY-MM-dd')", "2024-02-29"},
		{"format(minusDays(@scheduledStartTime,1),'YYYY-MM-dd')", "2024-02-28"},
		{"plusYears(@scheduledStartTime,1)", "2025-02-28T23:30:00"},
		{"@id", "@Act_1"},
		{"myParam * 2", "14"},
		{"plusDays(myDateTime, myParam)", "2011-05-31T17:10:00"},
		// Fields: own, inherited, of the objects referred to.
		{"name", "Act"},
		{"parent.workerGroup", "wg"},
		{"workerGroup", "wg"},
		{"parent.@id", "Default"},
		{"@pipelineId", "df-1"},
		{"'literal'", "literal"},
	} {
		got, err := evalExpr(t, env, act, tc.expr)
		if err != nil {
			t.Errorf("#{%s}: %v", tc.expr, err)
		} else if got != tc.want {
			t.Errorf("#{%s} = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

func TestExprReferenceErrors(t *testing.T) {
	t.Parallel()
	env, act := exprSetup(nil)
	for _, tc := range []struct{ expr, want string }{
		// References that do not resolve.
		{"noSuchField", "'noSuchField' is not a field of 'Act', a parameter or a runtime field"},
		{"@scheduledStartTime", "'@scheduledStartTime' is a runtime field: it has a value in the context of an instance or attempt, not of component 'Act'"},
		{"format(@scheduledStartTime,'YYYY')", "'@scheduledStartTime' is a runtime field"},
		{"parent.nope", "'Default' has no field 'nope'"},
		{"nope.x", "'Act' has no field 'nope'"},
		{"myText.x", "field 'myText' of 'Act' is a string, not a reference to an object"},
		{"myTwice", "field 'myTwice' of 'Act' has 2 values; an expression takes one"},
		{"parent", "field 'parent' of 'Act' is a reference to an object, not a string"},
		{"myList", "parameter '*myList' has 2 values; an expression takes one"},
		{"myLoop", "references nest more than 8 deep at field 'myLoop' of 'Act'; does it refer to itself?"},
		{"myNestedBad", `field 'myNestedBad' of 'Act': '#{minusDays('abc',1)}': minusDays expects (DateTime, Integer), got (String "abc", Integer 1)`},
	} {
		_, err := evalExpr(t, env, act, tc.expr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("#{%s}: error %v, want one containing %q", tc.expr, err, tc.want)
		}
	}
}

func TestEvalTemplate(t *testing.T) {
	t.Parallel()
	env, act := exprSetup(nil)

	// What cannot be evaluated is left as written; evalTemplate says why
	// the first could not be.
	const s = "a #{1 + 1} b #{nope(1)} c #{@scheduledStartTime} d #{'}'}"
	const want = "a 2 b #{nope(1)} c #{@scheduledStartTime} d }"
	if got := env.evalString(act, s, 0); got != want {
		t.Errorf("evalString = %q, want %q", got, want)
	}
	got, err := env.evalTemplate(act, s, 0)
	var ee *expr.Error
	if got != want || !errors.As(err, &ee) || ee.Expr != "nope(1)" || !strings.Contains(ee.Err.Error(), "unknown function 'nope'") {
		t.Errorf("evalTemplate = %q, %v; want %q and the error of #{nope(1)}", got, err, want)
	}
	if got, err := env.evalTemplate(act, "no expressions", 0); got != "no expressions" || err != nil {
		t.Errorf("evalTemplate without expressions = %q, %v", got, err)
	}

	// In an instance's context the runtime fields resolve.
	env.runtime = map[string]string{"@scheduledStartTime": "2024-01-02T03:04:05"}
	if got, err := env.evalTemplate(act, "s3://b/#{format(@scheduledStartTime,'YYYY/MM/dd')}/#{@scheduledStartTime}", 0); got != "s3://b/2024/01/02/2024-01-02T03:04:05" || err != nil {
		t.Errorf("evalTemplate with runtime fields = %q, %v", got, err)
	}
}

// A field without an expression is returned as is, without allocating.
// Not parallel: testing.AllocsPerRun refuses to run in a parallel test.
func TestEvalStringPlainDoesNotAllocate(t *testing.T) {
	env, act := exprSetup(nil)
	plain := "echo hello world"
	if n := testing.AllocsPerRun(100, func() { _ = env.evalString(act, plain, 0) }); n != 0 {
		t.Errorf("evalString of a plain field allocates %v times", n)
	}
}

// BenchmarkEvalString measures what PollForTask does for each string field
// of the objects it hands out.
func BenchmarkEvalString(b *testing.B) {
	env, act := exprSetup(map[string]string{"@scheduledStartTime": "2024-01-02T03:04:05", "@id": "@Act_1"})
	for _, bc := range []struct{ name, s string }{
		{"plain", "echo hello world"},
		{"reference", "s3://bucket/#{workerGroup}/out"},
		{"format", "s3://bucket/#{format(minusDays(@scheduledStartTime,1),'YYYY-MM-dd')}/out"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = env.evalString(act, bc.s, 0)
			}
		})
	}
}

// FuzzEvalString checks that no string value a definition may hold makes
// resolving its references panic or loop (PollForTask evaluates every
// field it hands out), and that evalString keeps text without expressions
// as it is. Package expr fuzzes the language itself.
func FuzzEvalString(f *testing.F) {
	for _, s := range []string{
		"plain", "#{myDateTime}", "#{myLoop}", "#{node.errorMessage}", "#{parent.parent.@id}",
		"#{myNested} #{myNestedBad}", "#{*myList} #{myParam} #{*myParam}", "#{parent.workerGroup.x}",
		"#{@scheduledStartTime} #{@sphere} #{@pipelineId} #{name}", "#{myTwice}", "#{", "#{)}",
		"#{myFan1}", "#{myFan3}#{myFan3}", "#{parent.workerGroup} #{myFan2 + myFan2}",
	} {
		f.Add(s)
	}
	env, act := exprSetup(map[string]string{"@scheduledStartTime": "2024-02-29T23:30:00", "@id": "@Act_1"})
	f.Fuzz(func(t *testing.T, s string) {
		out := env.evalString(act, s, 0)
		if !strings.Contains(s, "#{") && out != s {
			t.Fatalf("evalString(%q) = %q: text without expressions changed", s, out)
		}
		_, _ = env.evalTemplate(act, s, 0)
	})
}
