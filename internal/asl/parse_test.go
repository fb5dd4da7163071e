package asl

import (
	"errors"
	"strings"
	"testing"
)

// problemsOf parses def and returns its problems (nil if it is valid).
func problemsOf(t *testing.T, def string) []Problem {
	t.Helper()
	m, err := Parse([]byte(def))
	if err == nil {
		if m == nil {
			t.Fatal("Parse returned neither a machine nor an error")
		}
		return nil
	}
	if m != nil {
		t.Error("Parse returned a machine with an error")
	}
	var de *DefinitionError
	if !errors.As(err, &de) {
		t.Fatalf("Parse error is %T, want *DefinitionError", err)
	}
	if len(de.Problems) == 0 {
		t.Fatal("DefinitionError without problems")
	}
	return de.Problems
}

// states wraps state definitions in a machine starting at the first one.
func states(start, body string) string {
	return `{"StartAt":"` + start + `","States":{` + body + `}}`
}

func TestParseProblems(t *testing.T) {
	t.Parallel()
	const act = `"Resource":"arn:aws:states:us-east-1:123456789012:activity:a"`
	tests := []struct {
		name string
		def  string
		code string
		loc  string
		msg  []string // substrings of the message
	}{
		// Top level.
		{"unknown top-level field", `{"StartAt":"A","States":{"A":{"Type":"Succeed"}},"Foo":1}`,
			CodeSchemaValidation, "/Foo", []string{"'Foo'", "not allowed"}},
		{"StartAt missing", `{"States":{"A":{"Type":"Succeed"}}}`, CodeSchemaValidation, "/StartAt", []string{"'StartAt'", "required"}},
		{"StartAt not a string", `{"StartAt":1,"States":{"A":{"Type":"Succeed"}}}`, CodeSchemaValidation, "/StartAt", []string{"must be a string"}},
		{"StartAt unknown", `{"StartAt":"B","States":{"A":{"Type":"Succeed"}}}`, CodeMissingTransitionTarget, "/StartAt", []string{"'B'", "does not exist"}},
		{"States missing", `{"StartAt":"A"}`, CodeSchemaValidation, "/States", []string{"'States'", "required"}},
		{"States not an object", `{"StartAt":"A","States":[]}`, CodeSchemaValidation, "/States", []string{"must be an object"}},
		{"Comment not a string", `{"Comment":1,"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, CodeSchemaValidation, "/Comment", []string{"'Comment'", "string"}},
		{"TimeoutSeconds negative", `{"TimeoutSeconds":-1,"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, CodeSchemaValidation, "/TimeoutSeconds", []string{"integer from 1"}},
		{"TimeoutSeconds fractional", `{"TimeoutSeconds":1.5,"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, CodeSchemaValidation, "/TimeoutSeconds", []string{"integer"}},
		{"Version wrong", `{"Version":"2","StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, CodeSchemaValidation, "/Version", []string{`"1.0"`}},
		{"QueryLanguage unknown", `{"QueryLanguage":"SQL","StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, CodeSchemaValidation, "/QueryLanguage", []string{"SQL"}},

		// States in general.
		{"state not an object", states("A", `"A":[]`), CodeSchemaValidation, "/States/A", []string{"State 'A'", "JSON object"}},
		{"Type missing", states("A", `"A":{"End":true}`), CodeSchemaValidation, "/States/A/Type", []string{"State 'A'", "'Type'", "required"}},
		{"Type unknown", states("A", `"A":{"Type":"Lambda","End":true}`), CodeSchemaValidation, "/States/A/Type", []string{"State 'A'", "'Lambda'"}},
		{"Parallel without branches", states("A", `"A":{"Type":"Parallel","Branches":[],"End":true}`), CodeSchemaValidation, "/States/A/Branches", []string{"State 'A'", "non-empty array"}},
		{"Map without processor", states("A", `"A":{"Type":"Map","End":true}`), CodeSchemaValidation, "/States/A/ItemProcessor", []string{"State 'A'", "required"}},
		{"branch target outside", states("A", `"A":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Pass","Next":"B"}}}],"Next":"B"},"B":{"Type":"Succeed"}`), CodeMissingTransitionTarget, "/States/A/Branches/0/States/X/Next", []string{"'B'"}},
		{"branch unreachable", states("A", `"A":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Succeed"},"Y":{"Type":"Succeed"}}}],"End":true}`), CodeUnreachableState, "/States/A/Branches/0/States/Y", []string{"'X'"}},
		{"processor Mode", states("A", `"A":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"FAST"},"StartAt":"X","States":{"X":{"Type":"Succeed"}}},"End":true}`), CodeSchemaValidation, "/States/A/ItemProcessor/ProcessorConfig/Mode", []string{"INLINE"}},
		{"Iterator and ItemProcessor", states("A", `"A":{"Type":"Map","Iterator":{"StartAt":"X","States":{"X":{"Type":"Succeed"}}},"ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Succeed"}}},"End":true}`), CodeSchemaValidation, "/States/A/Iterator", []string{"ItemProcessor"}},
		{"ToleratedFailurePercentage", states("A", `"A":{"Type":"Map","ToleratedFailurePercentage":101,"ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Succeed"}}},"End":true}`), CodeSchemaValidation, "/States/A/ToleratedFailurePercentage", []string{"0 to 100"}},
		{"ItemBatcher empty", states("A", `"A":{"Type":"Map","ItemBatcher":{},"ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Succeed"}}},"End":true}`), CodeSchemaValidation, "/States/A/ItemBatcher", []string{"MaxItemsPerBatch"}},
		{"unknown field", states("A", `"A":{"Type":"Pass","End":true,"Nxt":"A"}`), CodeSchemaValidation, "/States/A/Nxt", []string{"State 'A'", "'Nxt'", "Pass state"}},
		{"field of another type", states("A", `"A":{"Type":"Pass","End":true,"Resource":"x"}`), CodeSchemaValidation, "/States/A/Resource", []string{"'Resource'", "Pass state"}},
		{"Next on Succeed", states("A", `"A":{"Type":"Succeed","Next":"A"}`), CodeSchemaValidation, "/States/A/Next", []string{"'Next'", "Succeed state"}},
		{"End on Fail", states("A", `"A":{"Type":"Fail","End":true}`), CodeSchemaValidation, "/States/A/End", []string{"'End'", "Fail state"}},
		{"InputPath on Fail", states("A", `"A":{"Type":"Fail","InputPath":"$"}`), CodeSchemaValidation, "/States/A/InputPath", []string{"'InputPath'"}},
		{"name too long", states(strings.Repeat("x", 81), `"`+strings.Repeat("x", 81)+`":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/" + strings.Repeat("x", 81), []string{"81 characters"}},
		{"name with slash in pointer", states("a/b~c", `"a/b~c":{"Type":"Pass","Bad":1,"End":true}`), CodeSchemaValidation, "/States/a~1b~0c/Bad", []string{"State 'a/b~c'"}},
		{"Comment not a string", states("A", `"A":{"Type":"Succeed","Comment":{}}`), CodeSchemaValidation, "/States/A/Comment", []string{"must be a string"}},
		{"neither Next nor End", states("A", `"A":{"Type":"Pass"}`), CodeSchemaValidation, "/States/A", []string{"State 'A'", "neither 'Next' nor"}},
		{"End false without Next", states("A", `"A":{"Type":"Pass","End":false}`), CodeSchemaValidation, "/States/A", []string{"neither"}},
		{"both Next and End", states("A", `"A":{"Type":"Pass","Next":"A","End":true}`), CodeSchemaValidation, "/States/A", []string{"both 'Next' and"}},
		{"End not a boolean", states("A", `"A":{"Type":"Pass","End":"yes"}`), CodeSchemaValidation, "/States/A/End", []string{"boolean"}},
		{"Next not a string", states("A", `"A":{"Type":"Pass","Next":1}`), CodeSchemaValidation, "/States/A/Next", []string{"must be a string"}},
		{"Next unknown", states("A", `"A":{"Type":"Pass","Next":"B"}`), CodeMissingTransitionTarget, "/States/A/Next", []string{"State 'A'", "'Next'", "'B'"}},
		{"unreachable", states("A", `"A":{"Type":"Succeed"},"B":{"Type":"Succeed"}`), CodeUnreachableState, "/States/B", []string{"State 'B'", "StartAt state 'A'"}},
		{"no end", states("A", `"A":{"Type":"Pass","Next":"A"}`), CodeMissingEndState, "/States", []string{"ends the execution"}},

		// Unsupported fields.
		{"Items", states("A", `"A":{"Type":"Pass","Items":[],"End":true}`), CodeSchemaValidation, "/States/A", []string{"only supported for the 'JSONata' QueryLanguage"}},
		{"ItemSelector", states("A", `"A":{"Type":"Pass","ItemSelector":{},"End":true}`), CodeSchemaValidation, "/States/A/ItemSelector", []string{"not allowed in a Pass state"}},
		{"ItemProcessor", states("A", `"A":{"Type":"Pass","ItemProcessor":{},"End":true}`), CodeSchemaValidation, "/States/A/ItemProcessor", []string{"not allowed in a Pass state"}},
		{"Iterator", states("A", `"A":{"Type":"Pass","Iterator":{},"End":true}`), CodeSchemaValidation, "/States/A/Iterator", []string{"not allowed in a Pass state"}},
		{"Credentials", states("A", `"A":{"Type":"Task",`+act+`,"Credentials":{},"End":true}`), CodeUnsupportedFeature, "/States/A/Credentials", []string{"credentials"}},
		{"ResultWriter", states("A", `"A":{"Type":"Pass","ResultWriter":{},"End":true}`), CodeUnsupportedFeature, "/States/A/ResultWriter", []string{"S3"}},
		{"ItemReader", states("A", `"A":{"Type":"Pass","ItemReader":{},"End":true}`), CodeUnsupportedFeature, "/States/A/ItemReader", []string{"S3"}},

		// Paths and templates.
		{"InputPath invalid", states("A", `"A":{"Type":"Pass","InputPath":"$.a[","End":true}`), CodeInvalidJSONPath, "/States/A/InputPath", []string{"State 'A'", "'InputPath'", "$.a["}},
		{"OutputPath not a string", states("A", `"A":{"Type":"Pass","OutputPath":true,"End":true}`), CodeSchemaValidation, "/States/A/OutputPath", []string{"'OutputPath'"}},
		{"InputPath filter", states("A", `"A":{"Type":"Pass","InputPath":"$.a[?(@.b)]","End":true}`), CodeUnsupportedFeature, "/States/A/InputPath", []string{"filter"}},
		{"ResultPath indefinite", states("A", `"A":{"Type":"Pass","ResultPath":"$.a[*]","End":true}`), CodeInvalidJSONPath, "/States/A/ResultPath", []string{"reference path"}},
		{"ResultPath negative index", states("A", `"A":{"Type":"Pass","ResultPath":"$.a[-1]","End":true}`), CodeInvalidJSONPath, "/States/A/ResultPath", []string{"reference path"}},
		{"ResultPath context", states("A", `"A":{"Type":"Pass","ResultPath":"$$.Execution","End":true}`), CodeInvalidJSONPath, "/States/A/ResultPath", []string{"context object"}},
		{"ResultPath intrinsic", states("A", `"A":{"Type":"Pass","ResultPath":"States.Format('x')","End":true}`), CodeInvalidJSONPath, "/States/A/ResultPath", []string{"intrinsic", "States.Format"}},
		{"InputPath intrinsic", states("A", `"A":{"Type":"Pass","InputPath":"States.Array($.a)","End":true}`), CodeInvalidJSONPath, "/States/A/InputPath", []string{"intrinsic", "States.Array"}},
		{"Parameters intrinsic arity", states("A", `"A":{"Type":"Pass","Parameters":{"x.$":"States.ArrayLength($.a, $.b)"},"End":true}`), CodeSchemaValidation, "/States/A/Parameters/x.$", []string{"State 'A'", "'Parameters.x.$'", "States.ArrayLength takes 1 argument, not 2"}},
		{"Parameters nested unknown intrinsic", states("A", `"A":{"Type":"Pass","Parameters":{"o":{"l":[{"u.$":"States.Array(States.Nope())"}]}},"End":true}`), CodeSchemaValidation, "/States/A/Parameters/o/l/0/u.$", []string{"'Parameters.o.l[0].u.$'", "'States.Nope' is not an intrinsic function"}},
		{"Parameters intrinsic filter argument", states("A", `"A":{"Type":"Pass","Parameters":{"x.$":"States.Array($.a[?(@.b)])"},"End":true}`), CodeUnsupportedFeature, "/States/A/Parameters/x.$", []string{"filter"}},
		{"Parameters bad path", states("A", `"A":{"Type":"Pass","Parameters":{"x.$":"nope"},"End":true}`), CodeInvalidJSONPath, "/States/A/Parameters/x.$", []string{"'Parameters.x.$'", "nope"}},
		{"Parameters path not a string", states("A", `"A":{"Type":"Pass","Parameters":{"x.$":1},"End":true}`), CodeInvalidJSONPath, "/States/A/Parameters/x.$", []string{"JSONPath string"}},
		{"Parameters key clash", states("A", `"A":{"Type":"Pass","Parameters":{"x":1,"x.$":"$"},"End":true}`), CodeSchemaValidation, "/States/A/Parameters/x.$", []string{"clashes with field 'x'"}},
		{"ResultSelector bad path", states("A", `"A":{"Type":"Task",`+act+`,"ResultSelector":{"x.$":"$.a..."},"End":true}`), CodeInvalidJSONPath, "/States/A/ResultSelector/x.$", []string{"'ResultSelector.x.$'"}},

		// Task.
		{"Resource missing", states("A", `"A":{"Type":"Task","End":true}`), CodeSchemaValidation, "/States/A/Resource", []string{"required"}},
		{"Resource lambda malformed", states("A", `"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:","End":true}`), CodeUnsupportedFeature, "/States/A/Resource", []string{"State 'A'", "Lambda function"}},
		{"Resource service integration pattern", states("A", `"A":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForIt","End":true}`), CodeUnsupportedFeature, "/States/A/Resource", []string{"service integration"}},
		{"Resource other service", states("A", `"A":{"Type":"Task","Resource":"arn:aws:s3:::bucket","End":true}`), CodeUnsupportedFeature, "/States/A/Resource", []string{"not a Resource gaffer knows"}},
		{"Resource activity without name", states("A", `"A":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:","End":true}`), CodeUnsupportedFeature, "/States/A/Resource", []string{"activity"}},
		{"TimeoutSeconds zero", states("A", `"A":{"Type":"Task",`+act+`,"TimeoutSeconds":0,"End":true}`), CodeSchemaValidation, "/States/A/TimeoutSeconds", []string{"'TimeoutSeconds'", "integer from 1"}},
		{"TimeoutSeconds string", states("A", `"A":{"Type":"Task",`+act+`,"TimeoutSeconds":"5","End":true}`), CodeSchemaValidation, "/States/A/TimeoutSeconds", []string{"integer"}},
		{"TimeoutSeconds and Path", states("A", `"A":{"Type":"Task",`+act+`,"TimeoutSeconds":5,"TimeoutSecondsPath":"$.t","End":true}`), CodeSchemaValidation, "/States/A/TimeoutSecondsPath", []string{"together with 'TimeoutSeconds'"}},
		{"HeartbeatSeconds and Path", states("A", `"A":{"Type":"Task",`+act+`,"HeartbeatSeconds":5,"HeartbeatSecondsPath":"$.t","End":true}`), CodeSchemaValidation, "/States/A/HeartbeatSecondsPath", []string{"together with 'HeartbeatSeconds'"}},
		{"Heartbeat not below Timeout", states("A", `"A":{"Type":"Task",`+act+`,"TimeoutSeconds":5,"HeartbeatSeconds":6,"End":true}`), CodeSchemaValidation, "/States/A/HeartbeatSeconds", []string{"(6) must be smaller than TimeoutSeconds (5)"}},
		{"TimeoutSecondsPath indefinite", states("A", `"A":{"Type":"Task",`+act+`,"TimeoutSecondsPath":"$.t[*]","End":true}`), CodeInvalidJSONPath, "/States/A/TimeoutSecondsPath", []string{"reference path"}},

		// Retry and Catch.
		{"Retry not an array", states("A", `"A":{"Type":"Task",`+act+`,"Retry":{},"End":true}`), CodeSchemaValidation, "/States/A/Retry", []string{"array"}},
		{"retrier not an object", states("A", `"A":{"Type":"Task",`+act+`,"Retry":[1],"End":true}`), CodeSchemaValidation, "/States/A/Retry/0", []string{"'Retry[0]'"}},
		{"retrier unknown field", states("A", `"A":{"Type":"Task",`+act+`,"Retry":[{"ErrorEquals":["E"],"Max":1}],"End":true}`), CodeSchemaValidation, "/States/A/Retry/0/Max", []string{"'Retry[0].Max'", "retrier"}},
		{"ErrorEquals missing", states("A", `"A":{"Type":"Task",`+act+`,"Retry":[{}],"End":true}`), CodeSchemaValidation, "/States/A/Retry/0/ErrorEquals", []string{"required"}},
		{"ErrorEquals empty", states("A", `"A":{"Type":"Task",`+act+`,"Retry":[{"ErrorEquals":[]}],"End":true}`), CodeSchemaValidation, "/States/A/Retry/0/ErrorEquals", []string{"non-empty"}},
		{"ErrorEquals non-string", states("A", `"A":{"Type":"Task",`+act+`,"Retry":[{"ErrorEquals":[1]}],"End":true}`), CodeSchemaValidation, "/States/A/Retry/0/ErrorEquals/0", []string{"'Retry[0].ErrorEquals[0]'"}},
		{"States.ALL not alone", states("A", `"A":{"Type":"Task",`+act+`,"Retry":[{"ErrorEquals":["E","States.ALL"]}],"End":true}`), CodeSchemaValidation, "/States/A/Retry/0/ErrorEquals", []string{"alone"}},
		{"States.ALL not last retrier", states("A", `"A":{"Type":"Task",`+act+`,"Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["E"]}],"End":true}`), CodeSchemaValidation, "/States/A/Retry/0/ErrorEquals", []string{"last retrier"}},
		{"States.ALL not last catcher", states("A", `"A":{"Type":"Task",`+act+`,"Catch":[{"ErrorEquals":["States.ALL"],"Next":"A"},{"ErrorEquals":["E"],"Next":"A"}],"End":true}`), CodeSchemaValidation, "/States/A/Catch/0/ErrorEquals", []string{"last catcher"}},
		{"IntervalSeconds zero", states("A", `"A":{"Type":"Task",`+act+`,"Retry":[{"ErrorEquals":["E"],"IntervalSeconds":0}],"End":true}`), CodeSchemaValidation, "/States/A/Retry/0/IntervalSeconds", []string{"from 1"}},
		{"MaxAttempts negative", states("A", `"A":{"Type":"Task",`+act+`,"Retry":[{"ErrorEquals":["E"],"MaxAttempts":-1}],"End":true}`), CodeSchemaValidation, "/States/A/Retry/0/MaxAttempts", []string{"from 0"}},
		{"BackoffRate below 1", states("A", `"A":{"Type":"Task",`+act+`,"Retry":[{"ErrorEquals":["E"],"BackoffRate":0.9}],"End":true}`), CodeSchemaValidation, "/States/A/Retry/0/BackoffRate", []string{"at least 1.0"}},
		{"BackoffRate string", states("A", `"A":{"Type":"Task",`+act+`,"Retry":[{"ErrorEquals":["E"],"BackoffRate":"2"}],"End":true}`), CodeSchemaValidation, "/States/A/Retry/0/BackoffRate", []string{"number"}},
		{"MaxDelaySeconds too big", states("A", `"A":{"Type":"Task",`+act+`,"Retry":[{"ErrorEquals":["E"],"MaxDelaySeconds":31622401}],"End":true}`), CodeSchemaValidation, "/States/A/Retry/0/MaxDelaySeconds", []string{"31622400"}},
		{"JitterStrategy unknown", states("A", `"A":{"Type":"Task",`+act+`,"Retry":[{"ErrorEquals":["E"],"JitterStrategy":"HALF"}],"End":true}`), CodeSchemaValidation, "/States/A/Retry/0/JitterStrategy", []string{"FULL"}},
		{"Catch not an array", states("A", `"A":{"Type":"Task",`+act+`,"Catch":"x","End":true}`), CodeSchemaValidation, "/States/A/Catch", []string{"array"}},
		{"catcher Next missing", states("A", `"A":{"Type":"Task",`+act+`,"Catch":[{"ErrorEquals":["E"]}],"End":true}`), CodeSchemaValidation, "/States/A/Catch/0/Next", []string{"'Catch[0].Next'", "required"}},
		{"catcher Next unknown", states("A", `"A":{"Type":"Task",`+act+`,"Catch":[{"ErrorEquals":["E"],"Next":"Z"}],"End":true}`), CodeMissingTransitionTarget, "/States/A/Catch/0/Next", []string{"'Catch[0].Next'", "'Z'"}},
		{"catcher ResultPath invalid", states("A", `"A":{"Type":"Task",`+act+`,"Catch":[{"ErrorEquals":["E"],"Next":"A","ResultPath":"$..x"}],"End":true}`), CodeInvalidJSONPath, "/States/A/Catch/0/ResultPath", []string{"reference path"}},
		{"Retry on Pass", states("A", `"A":{"Type":"Pass","Retry":[],"End":true}`), CodeSchemaValidation, "/States/A/Retry", []string{"Pass state"}},

		// Choice.
		{"Choices missing", states("A", `"A":{"Type":"Choice","Default":"B"},"B":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/A/Choices", []string{"required"}},
		{"Choices empty", states("A", `"A":{"Type":"Choice","Choices":[],"Default":"B"},"B":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/A/Choices", []string{"non-empty"}},
		{"rule not an object", states("A", `"A":{"Type":"Choice","Choices":[1],"Default":"B"},"B":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/A/Choices/0", []string{"'Choices[0]'"}},
		{"rule without Next", states("A", `"A":{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true}],"Default":"B"},"B":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/A/Choices/0/Next", []string{"'Choices[0].Next'", "required"}},
		{"rule Next unknown", states("A", `"A":{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true,"Next":"Z"}],"Default":"B"},"B":{"Type":"Succeed"}`), CodeMissingTransitionTarget, "/States/A/Choices/0/Next", []string{"'Z'"}},
		{"Default unknown", states("A", `"A":{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true,"Next":"B"}],"Default":"Z"},"B":{"Type":"Succeed"}`), CodeMissingTransitionTarget, "/States/A/Default", []string{"'Default'", "'Z'"}},
		{"nested rule with Next", states("A", `"A":{"Type":"Choice","Choices":[{"Not":{"Variable":"$.a","IsNull":true,"Next":"B"},"Next":"B"}]},"B":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/A/Choices/0/Not/Next", []string{"'Choices[0].Not.Next'", "top-level"}},
		{"unknown operator", states("A", `"A":{"Type":"Choice","Choices":[{"Variable":"$.a","StringContains":"x","Next":"B"}]},"B":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/A/Choices/0/StringContains", []string{"'Choices[0].StringContains'", "not a comparison operator"}},
		{"StringMatchesPath does not exist", states("A", `"A":{"Type":"Choice","Choices":[{"Variable":"$.a","StringMatchesPath":"$.b","Next":"B"}]},"B":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/A/Choices/0/StringMatchesPath", []string{"not a comparison operator"}},
		{"no operator", states("A", `"A":{"Type":"Choice","Choices":[{"Variable":"$.a","Next":"B"}]},"B":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/A/Choices/0", []string{"no comparison operator"}},
		{"two operators", states("A", `"A":{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true,"IsString":true,"Next":"B"}]},"B":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/A/Choices/0", []string{"more than one operator (IsNull, IsString)"}},
		{"Variable missing", states("A", `"A":{"Type":"Choice","Choices":[{"IsNull":true,"Next":"B"}]},"B":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/A/Choices/0/Variable", []string{"'Choices[0].Variable'", "required"}},
		{"Variable invalid", states("A", `"A":{"Type":"Choice","Choices":[{"Variable":"a.b","IsNull":true,"Next":"B"}]},"B":{"Type":"Succeed"}`), CodeInvalidJSONPath, "/States/A/Choices/0/Variable", []string{"'a.b'"}},
		{"Variable $states", states("A", `"A":{"Type":"Choice","Choices":[{"Variable":"$states.input.a","IsNull":true,"Next":"B"}]},"B":{"Type":"Succeed"}`), CodeInvalidJSONPath, "/States/A/Choices/0/Variable", []string{"$states", "only in JSONata"}},
		{"Variable with And", states("A", `"A":{"Type":"Choice","Choices":[{"Variable":"$.a","And":[{"Variable":"$.a","IsNull":true}],"Next":"B"}]},"B":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/A/Choices/0/Variable", []string{"cannot be used with And"}},
		{"And empty", states("A", `"A":{"Type":"Choice","Choices":[{"And":[],"Next":"B"}]},"B":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/A/Choices/0/And", []string{"non-empty array"}},
		{"Or nested problem", states("A", `"A":{"Type":"Choice","Choices":[{"Or":[{"Variable":"$.a","IsNull":true},{"Variable":"$.a","NumericEquals":"1"}],"Next":"B"}]},"B":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/A/Choices/0/Or/1/NumericEquals", []string{"'Choices[0].Or[1].NumericEquals'", "must be a number"}},
		{"Not not an object", states("A", `"A":{"Type":"Choice","Choices":[{"Not":[],"Next":"B"}]},"B":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/A/Choices/0/Not", []string{"choice rule object"}},
		{"StringEquals number", states("A", `"A":{"Type":"Choice","Choices":[{"Variable":"$.a","StringEquals":1,"Next":"B"}]},"B":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/A/Choices/0/StringEquals", []string{"must be a string"}},
		{"StringMatches number", states("A", `"A":{"Type":"Choice","Choices":[{"Variable":"$.a","StringMatches":1,"Next":"B"}]},"B":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/A/Choices/0/StringMatches", []string{"string pattern"}},
		{"BooleanEquals string", states("A", `"A":{"Type":"Choice","Choices":[{"Variable":"$.a","BooleanEquals":"true","Next":"B"}]},"B":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/A/Choices/0/BooleanEquals", []string{"boolean"}},
		{"TimestampEquals bad", states("A", `"A":{"Type":"Choice","Choices":[{"Variable":"$.a","TimestampEquals":"2016-03-14","Next":"B"}]},"B":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/A/Choices/0/TimestampEquals", []string{"RFC 3339"}},
		{"IsNull not boolean", states("A", `"A":{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":1,"Next":"B"}]},"B":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/A/Choices/0/IsNull", []string{"boolean"}},
		{"Path operand not a string", states("A", `"A":{"Type":"Choice","Choices":[{"Variable":"$.a","NumericEqualsPath":1,"Next":"B"}]},"B":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/A/Choices/0/NumericEqualsPath", []string{"JSONPath string"}},
		{"Path operand invalid", states("A", `"A":{"Type":"Choice","Choices":[{"Variable":"$.a","NumericEqualsPath":"$.[","Next":"B"}]},"B":{"Type":"Succeed"}`), CodeInvalidJSONPath, "/States/A/Choices/0/NumericEqualsPath", []string{"'$.['"}},
		{"Condition", states("A", `"A":{"Type":"Choice","Choices":[{"Condition":"{% true %}","Next":"B"}]},"B":{"Type":"Succeed"}`), CodeSchemaValidation, "/States/A/Choices/0", []string{"The QueryLanguage is set to 'JSONPath', but field 'Condition' is only supported for the 'JSONata' QueryLanguage"}},

		// Wait.
		{"Wait without amount", states("A", `"A":{"Type":"Wait","End":true}`), CodeSchemaValidation, "/States/A", []string{"exactly one of", "has 0"}},
		{"Wait with two amounts", states("A", `"A":{"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true}`), CodeSchemaValidation, "/States/A", []string{"has 2"}},
		{"Seconds negative", states("A", `"A":{"Type":"Wait","Seconds":-1,"End":true}`), CodeSchemaValidation, "/States/A/Seconds", []string{"from 0"}},
		{"Timestamp invalid", states("A", `"A":{"Type":"Wait","Timestamp":"2016-03-14 01:59:00","End":true}`), CodeSchemaValidation, "/States/A/Timestamp", []string{"RFC 3339"}},
		{"Timestamp lowercase", states("A", `"A":{"Type":"Wait","Timestamp":"2016-03-14t01:59:00z","End":true}`), CodeSchemaValidation, "/States/A/Timestamp", []string{"RFC 3339"}},
		{"SecondsPath indefinite", states("A", `"A":{"Type":"Wait","SecondsPath":"$..s","End":true}`), CodeInvalidJSONPath, "/States/A/SecondsPath", []string{"reference path"}},
		{"TimestampPath not a string", states("A", `"A":{"Type":"Wait","TimestampPath":5,"End":true}`), CodeSchemaValidation, "/States/A/TimestampPath", []string{"JSONPath string"}},

		// Fail.
		{"Cause and CausePath", states("A", `"A":{"Type":"Fail","Cause":"c","CausePath":"$.c"}`), CodeSchemaValidation, "/States/A/CausePath", []string{"together with 'Cause'"}},
		{"Error not a string", states("A", `"A":{"Type":"Fail","Error":1}`), CodeSchemaValidation, "/States/A/Error", []string{"string"}},
		{"ErrorPath intrinsic", states("A", `"A":{"Type":"Fail","ErrorPath":"States.Format('{} {}', $.e)"}`), CodeSchemaValidation, "/States/A/ErrorPath", []string{"States.Format", "placeholders ({}) in the template, 2"}},
		{"CausePath bad path", states("A", `"A":{"Type":"Fail","CausePath":"$.c[*]"}`), CodeInvalidJSONPath, "/States/A/CausePath", []string{"reference path"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			problems := problemsOf(t, tt.def)
			for _, p := range problems {
				if p.Code != tt.code || p.Location != tt.loc {
					continue
				}
				for _, s := range tt.msg {
					if !strings.Contains(p.Message, s) {
						t.Errorf("message %q does not contain %q", p.Message, s)
					}
				}
				return
			}
			t.Errorf("no %s problem at %s; got %+v", tt.code, tt.loc, problems)
		})
	}
}

func TestParseValidDefinitions(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, def string }{
		{"minimal", states("A", `"A":{"Type":"Succeed"}`)},
		{"activity ARN in another partition", states("A", `"A":{"Type":"Task","Resource":"arn:aws-cn:states:cn-north-1:123456789012:activity:x","End":true}`)},
		{"End false with Next", states("A", `"A":{"Type":"Pass","Next":"B","End":false},"B":{"Type":"Succeed"}`)},
		{"everything on a Task", states("A", `"A":{"Type":"Task","Comment":"c","QueryLanguage":"JSONPath",
			"Resource":"arn:aws:states:us-east-1:123456789012:activity:x",
			"InputPath":null,"Parameters":{"a.$":"$$.Execution.Id"},"ResultSelector":{"b.$":"$.b"},"ResultPath":null,"OutputPath":"$..x",
			"TimeoutSecondsPath":"$.t","HeartbeatSeconds":99999998,
			"Retry":[{"ErrorEquals":["E"],"IntervalSeconds":1,"MaxAttempts":0,"BackoffRate":1,"MaxDelaySeconds":1,"JitterStrategy":"NONE","Comment":"r"},{"ErrorEquals":["States.ALL"],"JitterStrategy":"FULL","BackoffRate":1.5}],
			"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"B","Comment":"c"}],
			"Next":"B"},"B":{"Type":"Succeed"}`)},
		{"every operator", states("A", `"A":{"Type":"Choice","Choices":[{"And":[
			{"Variable":"$.a","StringEquals":"x"},{"Variable":"$.a","StringLessThan":"x"},{"Variable":"$.a","StringGreaterThan":"x"},
			{"Variable":"$.a","StringLessThanEquals":"x"},{"Variable":"$.a","StringGreaterThanEquals":"x"},{"Variable":"$.a","StringMatches":"x*"},
			{"Variable":"$.a","StringEqualsPath":"$.b"},{"Variable":"$.a","StringLessThanPath":"$.b"},{"Variable":"$.a","StringGreaterThanPath":"$.b"},
			{"Variable":"$.a","StringLessThanEqualsPath":"$.b"},{"Variable":"$.a","StringGreaterThanEqualsPath":"$.b"},
			{"Variable":"$.a","NumericEquals":1},{"Variable":"$.a","NumericLessThan":1},{"Variable":"$.a","NumericGreaterThan":1},
			{"Variable":"$.a","NumericLessThanEquals":1},{"Variable":"$.a","NumericGreaterThanEquals":1},
			{"Variable":"$.a","NumericEqualsPath":"$.b"},{"Variable":"$.a","NumericLessThanPath":"$.b"},{"Variable":"$.a","NumericGreaterThanPath":"$.b"},
			{"Variable":"$.a","NumericLessThanEqualsPath":"$.b"},{"Variable":"$.a","NumericGreaterThanEqualsPath":"$.b"},
			{"Variable":"$.a","BooleanEquals":true},{"Variable":"$.a","BooleanEqualsPath":"$.b"},
			{"Variable":"$.a","TimestampEquals":"2016-03-14T01:59:00Z"},{"Variable":"$.a","TimestampLessThan":"2016-03-14T01:59:00Z"},
			{"Variable":"$.a","TimestampGreaterThan":"2016-03-14T01:59:00Z"},{"Variable":"$.a","TimestampLessThanEquals":"2016-03-14T01:59:00Z"},
			{"Variable":"$.a","TimestampGreaterThanEquals":"2016-03-14T01:59:00Z"},
			{"Variable":"$.a","TimestampEqualsPath":"$.b"},{"Variable":"$.a","TimestampLessThanPath":"$.b"},{"Variable":"$.a","TimestampGreaterThanPath":"$.b"},
			{"Variable":"$.a","TimestampLessThanEqualsPath":"$.b"},{"Variable":"$.a","TimestampGreaterThanEqualsPath":"$$.Execution.StartTime"},
			{"Variable":"$.a","IsNull":true},{"Variable":"$.a","IsPresent":true},{"Variable":"$.a","IsNumeric":true},
			{"Variable":"$.a","IsString":true},{"Variable":"$.a","IsBoolean":true},{"Variable":"$.a","IsTimestamp":true},
			{"Or":[{"Not":{"Variable":"$$.State.Name","IsPresent":true}}]}
			],"Next":"B"}]},"B":{"Type":"Succeed"}`)},
		{"Fail with paths", states("A", `"A":{"Type":"Fail","ErrorPath":"$.e","CausePath":"$$.Execution.Name"}`)},
		{"Wait with each amount", states("A", `"A":{"Type":"Wait","Seconds":0,"Next":"B"},"B":{"Type":"Wait","Timestamp":"2016-03-14T01:59:00.123-05:00","Next":"C"},
			"C":{"Type":"Wait","SecondsPath":"$.s","Next":"D"},"D":{"Type":"Wait","TimestampPath":"$$.Execution.StartTime","End":true}`)},
		{"unicode and odd state names", states("état / ~ 1", `"état / ~ 1":{"Type":"Pass","Next":"`+strings.Repeat("ü", 80)+`"},"`+strings.Repeat("ü", 80)+`":{"Type":"Succeed"}`)},
		{"loop with a way out", states("A", `"A":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericLessThan":3,"Next":"B"}],"Default":"C"},"B":{"Type":"Pass","Next":"A"},"C":{"Type":"Succeed"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if problems := problemsOf(t, tt.def); problems != nil {
				t.Errorf("problems: %+v", problems)
			}
		})
	}
}

func TestParseCollectsAllProblemsInOrder(t *testing.T) {
	t.Parallel()
	problems := problemsOf(t, `{"StartAt":"A","Bad":1,"States":{
		"A":{"Type":"Pass","Next":"Z","X":1},
		"B":{"Type":"Wait","End":true},
		"C":{"Type":"Task","Resource":"arn:aws:lambda:::f","End":true}}}`)
	var got []string
	for _, p := range problems {
		got = append(got, p.Code+" "+p.Location)
	}
	want := []string{
		"SCHEMA_VALIDATION_FAILED /Bad",
		"SCHEMA_VALIDATION_FAILED /States/A/X",
		"SCHEMA_VALIDATION_FAILED /States/B",
		"UNSUPPORTED_FEATURE /States/C/Resource",
		"MISSING_TRANSITION_TARGET /States/A/Next",
		"UNREACHABLE_STATE /States/B",
		"UNREACHABLE_STATE /States/C",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The same definition always gives the same problems.
	for range 5 {
		again := problemsOf(t, `{"StartAt":"A","Bad":1,"States":{
		"A":{"Type":"Pass","Next":"Z","X":1},
		"B":{"Type":"Wait","End":true},
		"C":{"Type":"Task","Resource":"arn:aws:lambda:::f","End":true}}}`)
		for i := range again {
			if again[i] != problems[i] {
				t.Fatalf("problem %d differs between runs: %+v vs %+v", i, again[i], problems[i])
			}
		}
	}
}

func TestDefinitionErrorText(t *testing.T) {
	t.Parallel()
	e := &DefinitionError{Problems: []Problem{
		{Code: "MISSING_TRANSITION_TARGET", Location: "/States/A/Next", Message: "State 'A': field 'Next' names state 'B', which does not exist"},
		{Code: "INVALID_JSON_DESCRIPTION", Location: "", Message: "bad"},
	}}
	want := "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: State 'A': field 'Next' names state 'B', which does not exist at /States/A/Next, INVALID_JSON_DESCRIPTION: bad at /'"
	if got := e.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
}

func TestParseInvalidJSON(t *testing.T) {
	t.Parallel()
	for _, def := range []string{``, `{`, `nul`, `"x"`, `{"a":1}{}`, `{"StartAt":"A","States":{"A":{"Type":"Succeed"},"A":{"Type":"Succeed"}}}`} {
		problems := problemsOf(t, def)
		if len(problems) != 1 || problems[0].Code != CodeInvalidJSON || problems[0].Location != "/" {
			t.Errorf("Parse(%q) problems = %+v, want one INVALID_JSON_DESCRIPTION", def, problems)
		}
	}
}
