package pipeline

import (
	"errors"
	"math"
	"strings"
	"testing"
)

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
		}},
	}
	params := map[string][]string{"myParam": {"7"}, "*myList": {"a", "b"}}
	env := &evalEnv{ix: newIndex(objs), pipelineID: "df-1", params: params, runtime: runtime}
	return env, env.ix.byID["Act"]
}

// evalExpr evaluates one expression's source.
func evalExpr(t *testing.T, env *evalEnv, o *PipelineObject, src string) (string, error) {
	t.Helper()
	x, err := parseExpr(src)
	if err != nil {
		t.Fatalf("parse #{%s}: %v", src, err)
	}
	v, err := env.eval(o, x, 0)
	return v.String(), err
}

func TestExprValues(t *testing.T) {
	t.Parallel()
	env, act := exprSetup(map[string]string{"@scheduledStartTime": "2024-02-29T23:30:00", "@id": "@Act_1"})
	for _, tc := range []struct{ expr, want string }{
		// AWS's Date and Time Functions page, myDateTime = 2011-05-24T17:10:00Z.
		{"day(myDateTime)", "24"},
		{"dayOfYear(myDateTime)", "144"},
		{"firstOfMonth(myDateTime)", "2011-05-01T17:10:00"},
		{"format(myDateTime,'YYYY-MM-dd HH:mm:ss z')", "2011-05-24 17:10:00 UTC"},
		{"hour(myDateTime)", "17"},
		{"inTimeZone(myDateTime,'America/Los_Angeles')", "2011-05-24T10:10:00.000-07:00"},
		{"makeDate(2011,5,24)", "2011-05-24T00:00:00"},
		{"makeDateTime(2011,5,24,14,21)", "2011-05-24T14:21:00"},
		{"midnight(myMidnightTest)", "2011-05-25T00:00:00"},
		{"minusDays(myDateTime,1)", "2011-05-23T17:10:00"},
		{"minusHours(myDateTime,1)", "2011-05-24T16:10:00"},
		{"minusMinutes(myDateTime,1)", "2011-05-24T17:09:00"},
		{"minusMonths(myDateTime,1)", "2011-04-24T17:10:00"},
		{"minusWeeks(myDateTime,1)", "2011-05-17T17:10:00"},
		{"minusYears(myDateTime,1)", "2010-05-24T17:10:00"},
		{"minute(myDateTime)", "10"},
		{"month(myDateTime)", "5"},
		{"plusDays(myDateTime,1)", "2011-05-25T17:10:00"},
		{"plusHours(myDateTime,1)", "2011-05-24T18:10:00"},
		{"plusMinutes(myDateTime,1)", "2011-05-24T17:11:00"},
		{"plusMonths(myDateTime,1)", "2011-06-24T17:10:00"},
		{"plusWeeks(myDateTime,1)", "2011-05-31T17:10:00"},
		{"plusYears(myDateTime,1)", "2012-05-24T17:10:00"},
		{"sunday(myDateTime)", "2011-05-22T17:10:00"},
		{"year(myDateTime)", "2011"},
		{"yesterday(myDateTime)", "2011-05-23T17:10:00"},

		// Date and time edges, as Joda.
		{"sunday(makeDate(2011,5,22))", "2011-05-22T00:00:00"},
		{"plusMonths(makeDate(2011,1,31),1)", "2011-02-28T00:00:00"},
		{"minusMonths(makeDate(2012,3,31),1)", "2012-02-29T00:00:00"},
		{"minusMonths(makeDate(2011,1,15),13)", "2009-12-15T00:00:00"},
		{"plusYears(makeDate(2012,2,29),1)", "2013-02-28T00:00:00"},
		{"plusDays(myDateTime,-1)", "2011-05-23T17:10:00"},
		{"plusMinutes(myDateTime,60 * 24 * 365)", "2012-05-23T17:10:00"},
		{"midnight(inTimeZone(myDateTime,'Asia/Tokyo'))", "2011-05-25T00:00:00.000+09:00"},
		{"firstOfMonth(makeDate(2011,5,31))", "2011-05-01T00:00:00"},
		// Across the daylight-saving change of 2011-03-13 in Los Angeles:
		// plusDays keeps the local time, plusHours adds elapsed time.
		{"plusDays(inTimeZone(makeDateTime(2011,3,12,20,0),'America/Los_Angeles'),1)", "2011-03-13T12:00:00.000-07:00"},
		{"plusHours(inTimeZone(makeDateTime(2011,3,12,20,0),'America/Los_Angeles'),24)", "2011-03-13T13:00:00.000-07:00"},
		{"inTimeZone(myDateTime,'+05:30')", "2011-05-24T22:40:00.000+05:30"},
		{"inTimeZone(myDateTime,'-07')", "2011-05-24T10:10:00.000-07:00"},
		{"inTimeZone(myDateTime,'UTC')", "2011-05-24T17:10:00"},
		{"inTimeZone(inTimeZone(myDateTime,'Europe/Paris'),'UTC')", "2011-05-24T17:10:00"},
		{"hour(inTimeZone(myDateTime,'America/Los_Angeles'))", "10"},
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

		// AWS's Mathematical Functions page.
		{"1 + 2", "3"},
		{"1 - 2", "-1"},
		{"1 * 2", "2"},
		{"1 / 2", "0"},
		{"1.0 / 2", "0.5"},
		{"2 ^ 2", "4.0"},
		// Precedence, Java's integer division, Doubles.
		{"1 + 2 * 3", "7"},
		{"(1 + 2) * 3", "9"},
		{"10 - 2 - 3", "5"},
		{"12 / 2 / 3", "2"},
		{"-7 / 2", "-3"},
		{"7 / -2", "-3"},
		{"- -3", "3"},
		{"-2 ^ 2", "-4.0"},
		{"2 ^ 3 ^ 2", "512.0"},
		{"2 ^ -1", "0.5"},
		{"2 * 3 ^ 2", "18.0"},
		{"10 / 4.0", "2.5"},
		{"1.5 + 1", "2.5"},
		{"0.1 + 0.2", "0.30000000000000004"},
		{"10 ^ 7", "1.0E7"},
		{"2 ^ 0.5", "1.4142135623730951"},
		{"3.0 * 2", "6.0"},
		{"myCount + 1", "10"},
		{"myCount * myCount", "81"},
		{"-myCount", "-9"},
		{"year(myDateTime) + 1", "2012"},

		// AWS's String Functions page: + concatenates, non-strings first
		// converted to strings.
		{`"hel" + "lo"`, "hello"},
		{"'hel' + 'lo'", "hello"},
		{"'a' + 1", "a1"},
		{"1 + 'a'", "1a"},
		{"'1' + 2", "12"},
		{"'v' + 2 ^ 2", "v4.0"},
		{"myText + 1", "abc1"},
		{"'x' + myDateTime", "x2011-05-24T17:10:00"},
		{"'at ' + plusDays(myDateTime,1)", "at 2011-05-25T17:10:00"},
		{"format(myDateTime,'YYYY') + 1", "20111"},
		{"'s3://b/' + format(minusDays(myDateTime,1),'YYYY/MM/dd') + '/'", "s3://b/2011/05/23/"},
		{"'every ' + 3 hours", "every 3 hours"},

		// Periods.
		{"3 hours", "3 hours"},
		{"myDateTime - 1 day", "2011-05-23T17:10:00"},
		{"myDateTime + 2 hours", "2011-05-24T19:10:00"},
		{"1 week + myDateTime", "2011-05-31T17:10:00"},
		{"makeDate(2011,1,31) + 1 month", "2011-02-28T00:00:00"},
		{"plusDays(myDateTime,1) - 1 Year", "2010-05-25T17:10:00"},
		{"myDateTime + 15 minutes", "2011-05-24T17:25:00"},

		// References as before.
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

func TestExprJodaFormat(t *testing.T) {
	t.Parallel()
	env, act := exprSetup(nil)
	for _, tc := range []struct{ date, pattern, want string }{
		{"myDateTime", "yyyy-MM-dd'T'HH:mm:ss", "2011-05-24T17:10:00"},
		{"myDateTime", "YYYY-MM-dd hh:mm:ss", "2011-05-24 05:10:00"},
		{"myDateTime", "yyyy yy y yyyyy", "2011 11 2011 02011"},
		{"myDateTime", "YYYY YY Y", "2011 11 2011"},
		{"myDateTime", "G C x w e", "AD 20 2011 21 2"},
		{"myDateTime", "E EE EEE EEEE", "Tue Tue Tue Tuesday"},
		{"myDateTime", "M MM MMM MMMM", "5 05 May May"},
		{"makeDate(2011,9,3)", "M MM MMM MMMM", "9 09 Sep September"},
		{"makeDate(2011,9,3)", "d dd D DDD", "3 03 246 246"},
		{"makeDate(2011,1,5)", "D DD DDD", "5 05 005"},
		{"makeDate(2012,1,1)", "xxxx-'W'ww-e", "2011-W52-7"},
		{"makeDateTime(2011,5,24,5,7)", "H HH h hh m mm s ss a", "5 05 5 05 7 07 0 00 AM"},
		{"myDateTime", "H h K k a", "17 5 5 17 PM"},
		{"makeDateTime(2011,5,24,0,5)", "H h K k a", "0 12 0 24 AM"},
		{"makeDateTime(2011,5,24,12,5)", "h K a", "12 0 PM"},
		{"myMillis", "s.S s.SS s.SSS s.SSSS", "0.1 0.12 0.123 0.1230"},
		{"myDateTime", "z zz zzz zzzz", "UTC UTC UTC Coordinated Universal Time"},
		{"myDateTime", "Z ZZ ZZZ", "+0000 +00:00 UTC"},
		{"inTimeZone(myDateTime,'America/Los_Angeles')", "yyyy-MM-dd HH:mm z Z ZZ ZZZ zzzz", "2011-05-24 10:10 PDT -0700 -07:00 America/Los_Angeles America/Los_Angeles"},
		{"inTimeZone(makeDate(2011,1,24),'America/Los_Angeles')", "z Z", "PST -0800"},
		{"inTimeZone(myDateTime,'+05:30')", "HH:mm z Z", "22:40 +05:30 +0530"},
		{"myZoned", "HH:mm z Z ZZZ", "10:10 -07:00 -0700 -07:00"},
		// Quoted text, doubled quotes, and literal punctuation.
		{"myDateTime", "h 'o''clock' a", "5 o'clock PM"},
		{"myDateTime", "''yy''", "'11'"},
		{"myDateTime", "'Day' D 'of' yyyy", "Day 144 of 2011"},
		{"myDateTime", "yyyy/MM/dd-HH.mm,ss_", "2011/05/24-17.10,00_"},
		{"myDateTime", "yyyy年M月", "2011年5月"},
		{"myDateTime", "'unclosed yyyy", "unclosed yyyy"},
		{"myDateTime", "", ""},
	} {
		expr := "format(" + tc.date + ",'" + strings.ReplaceAll(tc.pattern, "'", `\'`) + "')"
		got, err := evalExpr(t, env, act, expr)
		if err != nil {
			t.Errorf("#{%s}: %v", expr, err)
		} else if got != tc.want {
			t.Errorf("#{%s} = %q, want %q", expr, got, tc.want)
		}
	}
}

func TestExprErrors(t *testing.T) {
	t.Parallel()
	env, act := exprSetup(nil)
	for _, tc := range []struct{ expr, want string }{
		// Wrong types, with the types taken and given.
		{"minusDays('abc', 1)", `minusDays expects (DateTime, Integer), got (String "abc", Integer 1)`},
		{"minusDays(myText, 1)", `minusDays expects (DateTime, Integer), got (String "abc", Integer 1)`},
		{"minusDays(myDateTime, 'x')", `minusDays expects (DateTime, Integer), got (DateTime 2011-05-24T17:10:00, String "x")`},
		{"minusDays(myDateTime, 1.5)", `got (DateTime 2011-05-24T17:10:00, Double 1.5)`},
		{"plusDays(myDateTime, 2 ^ 2)", `got (DateTime 2011-05-24T17:10:00, Double 4.0)`},
		{"day(3 days)", `day expects (DateTime), got (Period 3 days)`},
		{"format(myDateTime, 5)", `format expects (DateTime, String), got (DateTime 2011-05-24T17:10:00, Integer 5)`},
		{"year(myCount)", `year expects (DateTime), got (Integer 9)`},
		// Unknown functions and argument counts.
		{"nope(1)", "unknown function 'nope'; gaffer has AWS's date and time functions"},
		{"fromat(myDateTime,'YYYY')", "unknown function 'fromat'; did you mean 'format'?"},
		{"Format(myDateTime,'YYYY')", "unknown function 'Format'; did you mean 'format'?"},
		{"concat('a','b')", "unknown function 'concat'"},
		{"minusDays(myDateTime)", "minusDays takes 2 arguments (DateTime, Integer), got 1"},
		{"day(myDateTime, 1)", "day takes 1 argument (DateTime), got 2"},
		{"makeDate()", "makeDate takes 3 arguments (Integer, Integer, Integer), got 0"},
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
		// Operators.
		{"1 / 0", "division by zero: 1 / 0"},
		{"1.5 / 0", "division by zero: 1.5 / 0"},
		{"'a' * 2", `* expects (Number, Number), got (String "a", Integer 2)`},
		{"myText - 1", `- subtracts numbers, or a Period from a DateTime; got (String "abc", Integer 1)`},
		{"-'a'", `- (negation) expects a number, got String "a"`},
		{"plusDays(myDateTime,1) + 1", "+ adds numbers, adds a Period to a DateTime or concatenates Strings; got (DateTime 2011-05-25T17:10:00, Integer 1)"},
		{"1 day + 1 day", "+ adds numbers, adds a Period to a DateTime or concatenates Strings; got (Period 1 day, Period 1 day)"},
		{"1.5 days", "period '1.5 days' needs a whole number"},
		{"99999999999999999999", "number 99999999999999999999 is out of range"},
		// Function arguments out of range.
		{"inTimeZone(myDateTime,'Mars/Base')", "inTimeZone: unknown time zone 'Mars/Base': give a tz database id such as 'America/Los_Angeles', 'UTC', or an offset such as '-07:00'"},
		{"inTimeZone(myDateTime,'Local')", "inTimeZone: unknown time zone 'Local'"},
		{"inTimeZone(myDateTime,'')", "inTimeZone: unknown time zone ''"},
		{"inTimeZone(myDateTime,'+25:00')", "inTimeZone: unknown time zone '+25:00'"},
		{"makeDate(2011,13,1)", "makeDate: month 13 is not 1 to 12"},
		{"makeDate(2011,2,29)", "makeDate: day 29 is not 1 to 28 (2011-02 has 28 days)"},
		{"makeDateTime(2011,5,24,24,0)", "makeDateTime: hour 24 is not 0 to 23"},
		{"makeDateTime(2011,5,24,0,60)", "makeDateTime: minute 60 is not 0 to 59"},
		{"makeDate(10000,1,1)", "makeDate: year 10000 is not 0 to 9999"},
		{"plusYears(myDateTime, 9000)", "shifting by 9000 years leaves years 0 to 9999"},
		{"plusHours(myDateTime, 1000000000)", "cannot shift a DateTime by 1000000000 hours"},
		{"format(myDateTime,'yyyy-qq')", "format: pattern 'yyyy-qq': 'q' is not a Joda-Time pattern letter; quote literal text, as in 'T'"},
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
	var ee *evalError
	if got != want || !errors.As(err, &ee) || ee.expr != "nope(1)" || !strings.Contains(ee.err.Error(), "unknown function 'nope'") {
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

func TestCheckTemplateCalls(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ s, want string }{
		{"#{format(minusDays(@scheduledStartTime,1),'YYYY-MM-dd hh:mm:ss')}", ""},
		{"#{@scheduledStartTime - 1 day} #{2 ^ 2} #{-2 ^ -2}", ""},
		// Types are checked at evaluation only.
		{"#{minusDays('abc', 1)}", ""},
		{"#{fromat(@scheduledStartTime,'YYYY')}", "expression '#{fromat(@scheduledStartTime,'YYYY')}': unknown function 'fromat'; did you mean 'format'?"},
		{"x #{1} #{format(plusDayz(@scheduledStartTime,1),'YYYY')}", "expression '#{format(plusDayz(@scheduledStartTime,1),'YYYY')}': unknown function 'plusDayz'; did you mean 'plusDays'?"},
		{"#{minusDays(@scheduledStartTime)}", "expression '#{minusDays(@scheduledStartTime)}': minusDays takes 2 arguments (DateTime, Integer), got 1"},
		{"#{1 + day(1, 2)}", "day takes 1 argument (DateTime), got 2"},
		{"#{-midnight()}", "midnight takes 1 argument (DateTime), got 0"},
		{"#{2 ^}", "ends too early"},
		{"#{2 ^^ 2}", "unexpected '^'"},
	} {
		err := checkTemplate(tc.s)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("checkTemplate(%q) = %v, want nil", tc.s, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("checkTemplate(%q) = %v, want an error containing %q", tc.s, err, tc.want)
		}
	}
}

func TestFormatDouble(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{4, "4.0"}, {0.5, "0.5"}, {-2.25, "-2.25"}, {0, "0.0"}, {math.Copysign(0, -1), "-0.0"},
		{123456.789, "123456.789"}, {9999999, "9999999.0"}, {1e7, "1.0E7"}, {1.25e10, "1.25E10"},
		{0.001, "0.001"}, {1.5e-4, "1.5E-4"}, {math.NaN(), "NaN"}, {math.Inf(1), "Infinity"}, {math.Inf(-1), "-Infinity"},
	} {
		if got := formatDouble(tc.f); got != tc.want {
			t.Errorf("formatDouble(%v) = %q, want %q", tc.f, got, tc.want)
		}
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

// FuzzEvalTemplate checks that no string value a definition may hold makes
// evaluation panic or loop (PollForTask evaluates every field it hands
// out), and that evalString keeps text without expressions as it is.
func FuzzEvalTemplate(f *testing.F) {
	for _, s := range []string{
		"plain", "#{myDateTime}", "#{format(plusMonths(myDateTime, 1), 'EEEE, MMMM d, YYYY hh:mm a zzzz Z ZZ')}",
		"#{inTimeZone(myDateTime,'+05:30')}", "#{2 ^ 3 ^ 2} #{-7 / 2} #{1.0 / 3}", "#{myCount * 99999999999}",
		"#{makeDateTime(2011,5,24,14,21) - 3 weeks}", "#{format(myDateTime, ''''T'''')}", "#{myLoop}",
		"#{node.errorMessage}", "#{'a' + 1 + 2.5}", "#{yesterday(midnight(sunday(myDateTime)))}",
		"#{format(myDateTime,'S SSSSSSSSSSSS')}", "#{plusYears(myDateTime, 9223372036854775807)}",
		"#{1/0}", "#{", "#{)}", "#{'unterminated}",
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
		_ = checkTemplate(s)
	})
}
