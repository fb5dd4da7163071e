package expr

import (
	"errors"
	"strings"
	"testing"

	"github.com/gaffer-dev/gaffer/internal/scripttest"
)

// scenarioSeeds returns the string values the testdata scripts evaluate
// and validate.
func scenarioSeeds(t testing.TB) []string {
	var seeds []string
	for _, c := range scripttest.Cases(t, "testdata/*.txt") {
		if c.Cmd == "eval" || c.Cmd == "validate" {
			seeds = append(seeds, c.Arg)
		}
	}
	return seeds
}

// FuzzEval checks that no string value a definition may hold makes
// evaluation or validation panic or loop (the pipeline dialect evaluates
// every field it hands out; nested references share the budget), that Eval keeps text without expressions as
// it is, and that it fails only with an *Error once every expression
// closes.
func FuzzEval(f *testing.F) {
	for _, s := range scenarioSeeds(f) {
		f.Add(s)
	}
	for _, s := range []string{
		"plain", "#{myDateTime}", "#{format(plusMonths(myDateTime, 1), 'EEEE, MMMM d, YYYY hh:mm a zzzz Z ZZ')}",
		"#{inTimeZone(myDateTime,'+05:30')}", "#{2 ^ 3 ^ 2} #{-7 / 2} #{1.0 / 3}", "#{myCount * 99999999999}",
		"#{makeDateTime(2011,5,24,14,21) - 3 weeks}", "#{format(myDateTime, ''''T'''')}", "#{myLoop}",
		"#{node.errorMessage}", "#{'a' + 1 + 2.5}", "#{yesterday(midnight(sunday(myDateTime)))}",
		"#{format(myDateTime,'S SSSSSSSSSSSS')}", "#{plusYears(myDateTime, 9223372036854775807)}",
		"#{1/0}", "#{", "#{)}", "#{'unterminated}", "#{myFan1}", "#{myFan3}#{myFan3}", "#{myFan2 + myFan2}",
	} {
		f.Add(s)
	}
	env := &fields{m: map[string]string{
		"myDateTime":          "2011-05-24T17:10:00",
		"myZoned":             "#{inTimeZone(myDateTime,'America/Los_Angeles')}",
		"myCount":             "9",
		"myLoop":              "#{myLoop}",
		"node.errorMessage":   "failed at #{@scheduledStartTime}",
		"@scheduledStartTime": "2024-02-29T23:30:00",
		"@id":                 "@Act_1",
		// 20 references 3 deep: over the budget.
		"myFan1": strings.Repeat("#{myFan2}", 20),
		"myFan2": strings.Repeat("#{myFan3}", 20),
		"myFan3": strings.Repeat("#{myFan4}", 20),
		"myFan4": "fan",
	}}
	f.Fuzz(func(t *testing.T, s string) {
		b := new(Budget)
		out, err := EvalWithin(s, &fields{m: env.m, b: b}, b)
		if !strings.Contains(s, "#{") && (out != s || err != nil) {
			t.Fatalf("Eval(%q) = %q, %v: text without expressions changed", s, out, err)
		}
		if _, serr := splitTemplate(s); err != nil && serr == nil {
			var ee *Error
			if !errors.As(err, &ee) {
				t.Fatalf("Eval(%q) error %v is not an *Error", s, err)
			}
		}
		_ = Validate(s)
	})
}
