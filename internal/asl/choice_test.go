package asl

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// choose runs a one-rule Choice state (the rule without its Next) on input
// and reports whether the rule matched.
func choose(t *testing.T, rule, input string) (bool, error) {
	t.Helper()
	rule = strings.TrimSpace(rule)
	def := `{"StartAt":"C","States":{
		"C":{"Type":"Choice","Choices":[` + strings.TrimSuffix(rule, "}") + `,"Next":"Yes"}],"Default":"No"},
		"Yes":{"Type":"Succeed"},"No":{"Type":"Succeed"}}}`
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatalf("Parse(%s): %v", rule, err)
	}
	ctx := &Context{StartTime: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), ExecutionName: "exec"}
	step, err := m.Enter("C", []byte(input), ctx)
	if err != nil {
		return false, err
	}
	return step.Next == "Yes", nil
}

func TestChoiceOperators(t *testing.T) {
	t.Parallel()
	const in = `{
		"s": "banana", "s2": "cherry", "empty": "",
		"n": 10, "f": 2.5, "big": 12345678901234567890, "neg": -3, "n2": 10.0,
		"t": true, "fl": false,
		"ts": "2016-03-14T01:59:00Z", "ts2": "2016-03-14T02:59:00+01:00", "tsl": "2017-01-01T00:00:00.5Z",
		"null": null, "arr": [1], "obj": {}
	}`
	tests := []struct {
		rule string
		want bool
	}{
		// Strings.
		{`{"Variable":"$.s","StringEquals":"banana"}`, true},
		{`{"Variable":"$.s","StringEquals":"Banana"}`, false},
		{`{"Variable":"$.s","StringLessThan":"cherry"}`, true},
		{`{"Variable":"$.s","StringLessThan":"apple"}`, false},
		{`{"Variable":"$.s","StringLessThan":"banana"}`, false},
		{`{"Variable":"$.s","StringGreaterThan":"apple"}`, true},
		{`{"Variable":"$.s","StringGreaterThan":"banana"}`, false},
		{`{"Variable":"$.s","StringLessThanEquals":"banana"}`, true},
		{`{"Variable":"$.s","StringLessThanEquals":"b"}`, false},
		{`{"Variable":"$.s","StringGreaterThanEquals":"banana"}`, true},
		{`{"Variable":"$.s","StringGreaterThanEquals":"bananas"}`, false},
		{`{"Variable":"$.empty","StringEquals":""}`, true},
		{`{"Variable":"$.n","StringEquals":"10"}`, false},
		{`{"Variable":"$.s","StringEqualsPath":"$.s"}`, true},
		{`{"Variable":"$.s","StringEqualsPath":"$.s2"}`, false},
		{`{"Variable":"$.s","StringLessThanPath":"$.s2"}`, true},
		{`{"Variable":"$.s","StringGreaterThanPath":"$.s2"}`, false},
		{`{"Variable":"$.s2","StringGreaterThanPath":"$.s"}`, true},
		{`{"Variable":"$.s","StringLessThanEqualsPath":"$.s"}`, true},
		{`{"Variable":"$.s2","StringLessThanEqualsPath":"$.s"}`, false},
		{`{"Variable":"$.s","StringGreaterThanEqualsPath":"$.s"}`, true},
		{`{"Variable":"$.s","StringGreaterThanEqualsPath":"$.s2"}`, false},
		{`{"Variable":"$.s","StringEqualsPath":"$.n"}`, false},
		{`{"Variable":"$$.Execution.Name","StringEquals":"exec"}`, true},
		// StringMatches.
		{`{"Variable":"$.s","StringMatches":"b*"}`, true},
		{`{"Variable":"$.s","StringMatches":"*na"}`, true},
		{`{"Variable":"$.s","StringMatches":"b*n*a"}`, true},
		{`{"Variable":"$.s","StringMatches":"*"}`, true},
		{`{"Variable":"$.s","StringMatches":"c*"}`, false},
		{`{"Variable":"$.s","StringMatches":"banana*x"}`, false},
		{`{"Variable":"$.n","StringMatches":"*"}`, false},
		// Numbers.
		{`{"Variable":"$.n","NumericEquals":10}`, true},
		{`{"Variable":"$.n","NumericEquals":10.0}`, true},
		{`{"Variable":"$.n","NumericEquals":1e1}`, true},
		{`{"Variable":"$.n","NumericEquals":11}`, false},
		{`{"Variable":"$.f","NumericEquals":2.5}`, true},
		{`{"Variable":"$.big","NumericEquals":12345678901234567890}`, true},
		{`{"Variable":"$.big","NumericEquals":12345678901234567891}`, false},
		{`{"Variable":"$.n","NumericLessThan":10.5}`, true},
		{`{"Variable":"$.n","NumericLessThan":10}`, false},
		{`{"Variable":"$.neg","NumericLessThan":-2.99}`, true},
		{`{"Variable":"$.n","NumericGreaterThan":9.999}`, true},
		{`{"Variable":"$.n","NumericGreaterThan":10}`, false},
		{`{"Variable":"$.n","NumericLessThanEquals":10}`, true},
		{`{"Variable":"$.n","NumericLessThanEquals":9}`, false},
		{`{"Variable":"$.n","NumericGreaterThanEquals":10}`, true},
		{`{"Variable":"$.n","NumericGreaterThanEquals":11}`, false},
		{`{"Variable":"$.s","NumericEquals":10}`, false},
		{`{"Variable":"$.null","NumericEquals":0}`, false},
		{`{"Variable":"$.n","NumericEqualsPath":"$.n2"}`, true},
		{`{"Variable":"$.n","NumericEqualsPath":"$.f"}`, false},
		{`{"Variable":"$.f","NumericLessThanPath":"$.n"}`, true},
		{`{"Variable":"$.n","NumericLessThanPath":"$.f"}`, false},
		{`{"Variable":"$.n","NumericGreaterThanPath":"$.f"}`, true},
		{`{"Variable":"$.f","NumericGreaterThanPath":"$.n"}`, false},
		{`{"Variable":"$.n","NumericLessThanEqualsPath":"$.n2"}`, true},
		{`{"Variable":"$.n","NumericLessThanEqualsPath":"$.neg"}`, false},
		{`{"Variable":"$.n","NumericGreaterThanEqualsPath":"$.n2"}`, true},
		{`{"Variable":"$.neg","NumericGreaterThanEqualsPath":"$.n"}`, false},
		{`{"Variable":"$.n","NumericEqualsPath":"$.s"}`, false},
		{`{"Variable":"$$.State.RetryCount","NumericEquals":0}`, true},
		// Booleans.
		{`{"Variable":"$.t","BooleanEquals":true}`, true},
		{`{"Variable":"$.t","BooleanEquals":false}`, false},
		{`{"Variable":"$.fl","BooleanEquals":false}`, true},
		{`{"Variable":"$.s","BooleanEquals":true}`, false},
		{`{"Variable":"$.t","BooleanEqualsPath":"$.t"}`, true},
		{`{"Variable":"$.t","BooleanEqualsPath":"$.fl"}`, false},
		{`{"Variable":"$.t","BooleanEqualsPath":"$.s"}`, false},
		// Timestamps.
		{`{"Variable":"$.ts","TimestampEquals":"2016-03-14T01:59:00Z"}`, true},
		{`{"Variable":"$.ts","TimestampEquals":"2016-03-14T02:59:00+01:00"}`, true},
		{`{"Variable":"$.ts","TimestampEquals":"2016-03-14T01:59:00.000Z"}`, true},
		{`{"Variable":"$.ts","TimestampEquals":"2016-03-14T01:59:01Z"}`, false},
		{`{"Variable":"$.ts","TimestampLessThan":"2016-03-14T01:59:00.001Z"}`, true},
		{`{"Variable":"$.ts","TimestampLessThan":"2016-03-14T01:59:00Z"}`, false},
		{`{"Variable":"$.ts","TimestampGreaterThan":"2016-03-13T01:59:00Z"}`, true},
		{`{"Variable":"$.ts","TimestampGreaterThan":"2016-03-14T01:59:00Z"}`, false},
		{`{"Variable":"$.ts","TimestampLessThanEquals":"2016-03-14T01:59:00Z"}`, true},
		{`{"Variable":"$.ts","TimestampLessThanEquals":"2016-03-14T01:58:59Z"}`, false},
		{`{"Variable":"$.ts","TimestampGreaterThanEquals":"2016-03-14T01:59:00Z"}`, true},
		{`{"Variable":"$.ts","TimestampGreaterThanEquals":"2016-03-14T01:59:01Z"}`, false},
		{`{"Variable":"$.s","TimestampEquals":"2016-03-14T01:59:00Z"}`, false},
		{`{"Variable":"$.n","TimestampEquals":"2016-03-14T01:59:00Z"}`, false},
		{`{"Variable":"$.ts","TimestampEqualsPath":"$.ts2"}`, true},
		{`{"Variable":"$.ts","TimestampEqualsPath":"$.tsl"}`, false},
		{`{"Variable":"$.ts","TimestampLessThanPath":"$.tsl"}`, true},
		{`{"Variable":"$.tsl","TimestampLessThanPath":"$.ts"}`, false},
		{`{"Variable":"$.tsl","TimestampGreaterThanPath":"$.ts"}`, true},
		{`{"Variable":"$.ts","TimestampGreaterThanPath":"$.tsl"}`, false},
		{`{"Variable":"$.ts","TimestampLessThanEqualsPath":"$.ts2"}`, true},
		{`{"Variable":"$.tsl","TimestampLessThanEqualsPath":"$.ts"}`, false},
		{`{"Variable":"$.ts","TimestampGreaterThanEqualsPath":"$.ts2"}`, true},
		{`{"Variable":"$.ts","TimestampGreaterThanEqualsPath":"$.tsl"}`, false},
		{`{"Variable":"$.ts","TimestampEqualsPath":"$.s"}`, false},
		{`{"Variable":"$.tsl","TimestampGreaterThanPath":"$$.Execution.StartTime"}`, false},
		// Type tests.
		{`{"Variable":"$.null","IsNull":true}`, true},
		{`{"Variable":"$.s","IsNull":true}`, false},
		{`{"Variable":"$.s","IsNull":false}`, true},
		{`{"Variable":"$.s","IsPresent":true}`, true},
		{`{"Variable":"$.null","IsPresent":true}`, true},
		{`{"Variable":"$.missing","IsPresent":true}`, false},
		{`{"Variable":"$.missing","IsPresent":false}`, true},
		{`{"Variable":"$.s","IsPresent":false}`, false},
		{`{"Variable":"$.n","IsNumeric":true}`, true},
		{`{"Variable":"$.f","IsNumeric":true}`, true},
		{`{"Variable":"$.s","IsNumeric":true}`, false},
		{`{"Variable":"$.s","IsNumeric":false}`, true},
		{`{"Variable":"$.s","IsString":true}`, true},
		{`{"Variable":"$.n","IsString":true}`, false},
		{`{"Variable":"$.null","IsString":false}`, true},
		{`{"Variable":"$.fl","IsBoolean":true}`, true},
		{`{"Variable":"$.null","IsBoolean":true}`, false},
		{`{"Variable":"$.ts","IsTimestamp":true}`, true},
		{`{"Variable":"$.tsl","IsTimestamp":true}`, true},
		{`{"Variable":"$.s","IsTimestamp":true}`, false},
		{`{"Variable":"$.n","IsTimestamp":true}`, false},
		{`{"Variable":"$.s","IsTimestamp":false}`, true},
		{`{"Variable":"$.arr","IsString":false}`, true},
		{`{"Variable":"$.obj","IsNull":false}`, true},
		// Indefinite variables yield arrays.
		{`{"Variable":"$.arr[*]","IsNull":false}`, true},
		{`{"Variable":"$.missing[*]","IsPresent":true}`, true},
		// Combinators.
		{`{"And":[{"Variable":"$.n","NumericEquals":10},{"Variable":"$.t","BooleanEquals":true}]}`, true},
		{`{"And":[{"Variable":"$.n","NumericEquals":10},{"Variable":"$.t","BooleanEquals":false}]}`, false},
		{`{"Or":[{"Variable":"$.n","NumericEquals":1},{"Variable":"$.t","BooleanEquals":true}]}`, true},
		{`{"Or":[{"Variable":"$.n","NumericEquals":1},{"Variable":"$.t","BooleanEquals":false}]}`, false},
		{`{"Not":{"Variable":"$.n","NumericEquals":1}}`, true},
		{`{"Not":{"Variable":"$.n","NumericEquals":10}}`, false},
		{`{"Not":{"Not":{"Variable":"$.n","NumericEquals":10}}}`, true},
		{`{"And":[{"Or":[{"Variable":"$.s","StringEquals":"x"},{"Not":{"Variable":"$.s","StringEquals":"y"}}]},{"Variable":"$.missing","IsPresent":false}]}`, true},
		// Short-circuiting: the absent variable is never read.
		{`{"And":[{"Variable":"$.t","BooleanEquals":false},{"Variable":"$.missing","IsNull":true}]}`, false},
		{`{"Or":[{"Variable":"$.t","BooleanEquals":true},{"Variable":"$.missing","IsNull":true}]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			t.Parallel()
			got, err := choose(t, tt.rule, in)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if got != tt.want {
				t.Errorf("matched = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestChoiceRuntimeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rule string
		want string
	}{
		{`{"Variable":"$.missing","IsNull":true}`, "Invalid path '$.missing' : The choice state's condition path references an invalid value."},
		{`{"Variable":"$.missing","StringEquals":"x"}`, "Invalid path '$.missing'"},
		{`{"Variable":"$.missing","NumericEquals":1}`, "Invalid path '$.missing'"},
		{`{"Variable":"$.missing","IsNumeric":false}`, "Invalid path '$.missing'"},
		{`{"Variable":"$.n","NumericEqualsPath":"$.missing"}`, "Invalid path '$.missing' : The choice state's NumericEqualsPath operand path"},
		{`{"Not":{"Variable":"$.missing","BooleanEquals":true}}`, "Invalid path '$.missing'"},
		{`{"Variable":"$$.Task.Token","StringEquals":"x"}`, "Invalid path '$$.Task.Token'"},
	}
	for _, tt := range tests {
		_, err := choose(t, tt.rule, `{"n": 1}`)
		var re *RuntimeError
		if !errors.As(err, &re) {
			t.Fatalf("%s: error = %v, want a *RuntimeError", tt.rule, err)
		}
		if re.Name() != ErrorRuntime || !strings.Contains(re.Cause(), tt.want) || !strings.Contains(re.Cause(), "state 'C'") {
			t.Errorf("%s: error = %v, want States.Runtime naming state 'C' with %q", tt.rule, err, tt.want)
		}
	}
}

func TestChoiceOrderAndDefault(t *testing.T) {
	t.Parallel()
	m, err := Parse([]byte(`{"StartAt":"C","States":{
		"C":{"Type":"Choice","InputPath":"$.in","OutputPath":"$.v","Choices":[
			{"Variable":"$.v","NumericGreaterThan":1,"Next":"First"},
			{"Variable":"$.v","NumericGreaterThan":0,"Next":"Second"}],"Default":"Else"},
		"First":{"Type":"Succeed"},"Second":{"Type":"Succeed"},"Else":{"Type":"Succeed"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, next, out string }{
		{`{"in":{"v":5}}`, "First", "5"},
		{`{"in":{"v":1}}`, "Second", "1"},
		{`{"in":{"v":0}}`, "Else", "0"},
	}
	for _, tt := range tests {
		step, err := m.Enter("C", []byte(tt.in), nil)
		if err != nil {
			t.Fatal(err)
		}
		if step.Kind != StepNext || step.Next != tt.next || string(step.Output) != tt.out {
			t.Errorf("Enter(%s) = %v %s %s, want next %s %s", tt.in, step.Kind, step.Next, step.Output, tt.next, tt.out)
		}
	}
}

func TestCompareNumbers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"1", "2", -1},
		{"2", "1", 1},
		{"1", "1.0", 0},
		{"-0", "0", 0},
		{"0.1", "0.10", 0},
		{"1e2", "100", 0},
		{"9223372036854775807", "9223372036854775808", -1},
		{"-9223372036854775809", "-9223372036854775808", -1},
		{"0.30000000000000004", "0.3", 1},
		{"1e999999999999", "1", 1},
		{"-1e999999999999", "1", -1},
		{"1e-999999999999", "0", 0},
		{"123456789012345678901234567890", "123456789012345678901234567891", -1},
	}
	for _, tt := range tests {
		if got := compareNumbers(json.Number(tt.a), json.Number(tt.b)); got != tt.want {
			t.Errorf("compareNumbers(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestCompareStrings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"a", "b", -1},
		{"b", "a", 1},
		{"a", "a", 0},
		{"a", "ab", -1},
		{"", "a", -1},
		{"é", "e", 1},
		// U+FF21 sorts after U+1F600 by code point but before it in UTF-16
		// (the emoji is a surrogate pair starting 0xD83D), as in Java.
		{"\uFF21", "\U0001F600", 1},
		{"\U0001F600", "\uFF21", -1},
		{"x\U0001F600", "x\U0001F600", 0},
	}
	for _, tt := range tests {
		if got := compareStrings(tt.a, tt.b); got != tt.want {
			t.Errorf("compareStrings(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestGlob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "anything", true},
		{"a*", "a", true},
		{"a*", "abc", true},
		{"a*", "ba", false},
		{"*c", "abc", true},
		{"*c", "abcd", false},
		{"a*c", "ac", true},
		{"a*c", "abbbc", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "acb", false},
		{"ab*ba", "aba", false},
		{"*.log", "x.log", true},
		{"log-*.txt", "log-.txt", true},
		{`a\*c`, "a*c", true},
		{`a\*c`, "abc", false},
		{`a\\*`, `a\xyz`, true},
		{`a\\*`, "axyz", false},
		{`a\b`, `a\b`, true},
		{`\`, `\`, true},
		{"**", "x", true},
		{"*a*", "bab", true},
		{"*a*", "bbb", false},
		{"ü*", "über", true},
	}
	for _, tt := range tests {
		if got := compileGlob(tt.pattern).match(tt.s); got != tt.want {
			t.Errorf("glob %q match %q = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}
