package sfn_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// exProgram is one state machine run end to end: a definition ("$ACT" is
// the case's own activity), an input ("$SOON" is an RFC 3339 timestamp
// between one and two seconds ahead), an optional scripted worker, and what
// the execution must end with.
type exProgram struct {
	name       string
	definition string
	input      string
	// worker plays the activity's worker; exec is the execution's ARN.
	worker func(t *testing.T, b *bundle, act, exec string)

	status types.ExecutionStatus
	output string // JSON; checked when status is SUCCEEDED
	err    string // checked when status is FAILED
	cause  string // checked when not empty
	// history is a subsequence of event types the history must contain, in
	// order; counts are exact numbers of events of some types.
	history []string
	counts  map[string]int
	// waited is the least time between WaitStateEntered and WaitStateExited.
	waited time.Duration
	// untilSoon: the Wait state must not exit before $SOON.
	untilSoon bool
}

// exSubsequence reports whether want appears in got in order.
func exSubsequence(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// exTaskWorker returns a worker that takes one task, checks its input
// ("$EXEC" stands for the execution's ARN) and answers with output.
func exTaskWorker(wantInput, output string) func(t *testing.T, b *bundle, act, exec string) {
	return func(t *testing.T, b *bundle, act, exec string) {
		t.Helper()
		tok, in := b.MustPoll(t, act)
		if want := strings.ReplaceAll(wantInput, "$EXEC", exec); !servertest.JSONEqual(t, in, want) {
			t.Errorf("task input %s, want %s", in, want)
		}
		exSucceed(t, b, tok, output)
	}
}

const exChoiceMachine = `{
	"StartAt": "C",
	"States": {
		"C": {"Type": "Choice", "Choices": [
			{"Variable": "$.n", "NumericGreaterThan": 100, "Next": "Big"},
			{"And": [{"Variable": "$.s", "StringEquals": "go"}, {"Variable": "$.flag", "BooleanEquals": true}], "Next": "GoFlag"},
			{"Or": [{"Variable": "$.s", "StringMatches": "py*"}, {"Variable": "$.n", "NumericLessThanEquals": 0}], "Next": "PyOrNeg"},
			{"Variable": "$.n", "NumericEqualsPath": "$.m", "Next": "Same"},
			{"And": [{"Variable": "$.when", "IsPresent": true}, {"Variable": "$.when", "TimestampGreaterThan": "2020-01-01T00:00:00Z"}], "Next": "Recent"},
			{"Not": {"Variable": "$.s", "StringEquals": "none"}, "Next": "NotNone"}
		], "Default": "Fallback"},
		"Big": {"Type": "Pass", "Result": "big", "End": true},
		"GoFlag": {"Type": "Pass", "Result": "go-flag", "End": true},
		"PyOrNeg": {"Type": "Pass", "Result": "py-or-neg", "End": true},
		"Same": {"Type": "Pass", "Result": "same", "End": true},
		"Recent": {"Type": "Pass", "Result": "recent", "End": true},
		"NotNone": {"Type": "Pass", "Result": "not-none", "End": true},
		"Fallback": {"Type": "Pass", "Result": "fallback", "End": true}
	}
}`

var exPrograms = []exProgram{
	{name: "choice numeric", definition: exChoiceMachine, input: `{"n":101,"s":"x","flag":false}`,
		status: types.ExecutionStatusSucceeded, output: `"big"`,
		history: []string{"ChoiceStateEntered", "ChoiceStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}},
	{name: "choice and", definition: exChoiceMachine, input: `{"n":5,"s":"go","flag":true}`,
		status: types.ExecutionStatusSucceeded, output: `"go-flag"`},
	{name: "choice or string", definition: exChoiceMachine, input: `{"n":5,"s":"python","flag":true}`,
		status: types.ExecutionStatusSucceeded, output: `"py-or-neg"`},
	{name: "choice or number", definition: exChoiceMachine, input: `{"n":-1,"s":"go","flag":false}`,
		status: types.ExecutionStatusSucceeded, output: `"py-or-neg"`},
	{name: "choice path", definition: exChoiceMachine, input: `{"n":5,"m":5,"s":"none"}`,
		status: types.ExecutionStatusSucceeded, output: `"same"`},
	{name: "choice timestamp", definition: exChoiceMachine, input: `{"n":5,"m":6,"s":"none","when":"2024-05-01T10:00:00Z"}`,
		status: types.ExecutionStatusSucceeded, output: `"recent"`},
	{name: "choice not", definition: exChoiceMachine, input: `{"n":5,"m":6,"s":"rust","flag":false}`,
		status: types.ExecutionStatusSucceeded, output: `"not-none"`},
	{name: "choice default", definition: exChoiceMachine, input: `{"n":5,"m":6,"s":"none","flag":false}`,
		status: types.ExecutionStatusSucceeded, output: `"fallback"`},
	{name: "choice missing path", definition: exChoiceMachine, input: `{"n":5,"s":"none"}`,
		status: types.ExecutionStatusFailed, err: "States.Runtime"},
	{name: "choice no match",
		definition: `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"P"}]},"P":{"Type":"Pass","End":true}}}`,
		input:      `{"n":2}`,
		status:     types.ExecutionStatusFailed, err: "States.NoChoiceMatched",
		history: []string{"ChoiceStateEntered", "ExecutionFailed"}},

	{name: "wait seconds",
		definition: `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"P"},"P":{"Type":"Pass","End":true}}}`,
		input:      `{"a":1}`,
		status:     types.ExecutionStatusSucceeded, output: `{"a":1}`,
		history: []string{"WaitStateEntered", "WaitStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"},
		waited:  time.Second},
	{name: "wait at the end",
		definition: `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"End":true}}}`,
		input:      `{"a":1}`,
		status:     types.ExecutionStatusSucceeded, output: `{"a":1}`,
		history: []string{"WaitStateEntered", "WaitStateExited", "ExecutionSucceeded"},
		waited:  time.Second},
	{name: "wait seconds path",
		definition: `{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.w","Next":"P"},"P":{"Type":"Pass","End":true}}}`,
		input:      `{"w":1}`,
		status:     types.ExecutionStatusSucceeded, output: `{"w":1}`,
		history: []string{"WaitStateEntered", "WaitStateExited", "PassStateEntered"},
		waited:  time.Second},
	{name: "wait timestamp path",
		definition: `{"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.at","Next":"P"},"P":{"Type":"Pass","End":true}}}`,
		input:      `{"at":"$SOON"}`,
		status:     types.ExecutionStatusSucceeded,
		history:    []string{"WaitStateEntered", "WaitStateExited", "PassStateEntered"},
		untilSoon:  true},

	{name: "task data flow",
		definition: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT",
			"InputPath":"$.req",
			"Parameters":{"url.$":"$.url","exec.$":"$$.Execution.Id","fixed":1},
			"ResultSelector":{"code.$":"$.status","n":2},
			"ResultPath":"$.req.res",
			"OutputPath":"$.req",
			"End":true}}}`,
		input:  `{"req":{"url":"u"},"other":true}`,
		worker: exTaskWorker(`{"url":"u","exec":"$EXEC","fixed":1}`, `{"status":200,"body":"x"}`),
		status: types.ExecutionStatusSucceeded, output: `{"url":"u","res":{"code":200,"n":2}}`},
	{name: "task result path null",
		definition: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","ResultPath":null,"End":true}}}`,
		input:      `{"keep":"me"}`,
		worker:     exTaskWorker(`{"keep":"me"}`, `{"dropped":true}`),
		status:     types.ExecutionStatusSucceeded, output: `{"keep":"me"}`},
	{name: "task result path match failure",
		definition: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","ResultPath":"$.a.b","End":true}}}`,
		input:      `{"a":"scalar"}`,
		worker:     exTaskWorker(`{"a":"scalar"}`, `{"r":1}`),
		status:     types.ExecutionStatusFailed, err: "States.ResultPathMatchFailure"},
	{name: "task result selector path missing",
		definition: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","ResultSelector":{"x.$":"$.nope"},"End":true}}}`,
		input:      `{}`,
		worker:     exTaskWorker(`{}`, `{"r":1}`),
		status:     types.ExecutionStatusFailed, err: "States.Runtime"},

	{name: "pass result and result path",
		definition: `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"x":[1,2]},"ResultPath":"$.r","End":true}}}`,
		input:      `{"a":1}`,
		status:     types.ExecutionStatusSucceeded, output: `{"a":1,"r":{"x":[1,2]}}`},
	{name: "pass output path null",
		definition: `{"StartAt":"P","States":{"P":{"Type":"Pass","OutputPath":null,"End":true}}}`,
		input:      `{"a":1}`,
		status:     types.ExecutionStatusSucceeded, output: `{}`},

	{name: "fail state",
		definition: `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"My.Error","Cause":"because"}}}`,
		input:      `{}`,
		status:     types.ExecutionStatusFailed, err: "My.Error", cause: "because",
		history: []string{"ExecutionStarted", "FailStateEntered", "ExecutionFailed"}},
	{name: "fail state paths",
		definition: `{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"$.c"}}}`,
		input:      `{"e":"Dyn.Error","c":"dynamic cause"}`,
		status:     types.ExecutionStatusFailed, err: "Dyn.Error", cause: "dynamic cause"},

	{name: "loop ten times",
		definition: `{"StartAt":"Check","States":{
			"Check":{"Type":"Choice","Choices":[{"Variable":"$.items[0]","IsPresent":true,"Next":"Pop"}],"Default":"Done"},
			"Pop":{"Type":"Pass","Parameters":{"items.$":"$.items[1:]"},"Next":"Check"},
			"Done":{"Type":"Succeed"}}}`,
		input:  `{"items":[1,2,3,4,5,6,7,8,9,10]}`,
		status: types.ExecutionStatusSucceeded, output: `{"items":[]}`,
		counts: map[string]int{"PassStateEntered": 10, "ChoiceStateEntered": 11, "SucceedStateEntered": 1}},

	{name: "execution timeout",
		definition: `{"TimeoutSeconds":1,"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","End":true}}}`,
		input:      `{}`,
		status:     types.ExecutionStatusTimedOut,
		history:    []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ExecutionTimedOut"}},
}

func TestPrograms(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range exPrograms {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			act := "arn:aws:states:us-east-1:000000000000:activity:unused"
			if strings.Contains(tc.definition, "$ACT") {
				act = b.Activity(t)
			}
			sm := b.Machine(t, tc.definition, act)
			soon := time.Now().Add(2 * time.Second).Truncate(time.Second)
			exec := b.Start(t, sm, strings.ReplaceAll(tc.input, "$SOON", soon.UTC().Format(time.RFC3339)))
			if tc.worker != nil {
				tc.worker(t, b, act, exec)
			}
			desc := b.WaitStatus(t, exec, tc.status)
			events := b.History(t, exec)
			got := servertest.SFNEventTypes(events)

			if tc.output != "" && !servertest.JSONEqual(t, aws.ToString(desc.Output), tc.output) {
				t.Errorf("output %s, want %s", aws.ToString(desc.Output), tc.output)
			}
			if tc.status == types.ExecutionStatusFailed {
				if aws.ToString(desc.Error) != tc.err {
					t.Errorf("error %q (cause %q), want %q", aws.ToString(desc.Error), aws.ToString(desc.Cause), tc.err)
				}
				last := events[len(events)-1]
				if last.Type != types.HistoryEventTypeExecutionFailed || aws.ToString(last.ExecutionFailedEventDetails.Error) != tc.err {
					t.Errorf("last event %s, want ExecutionFailed %s", exDescribe(last), tc.err)
				}
			}
			if tc.cause != "" && aws.ToString(desc.Cause) != tc.cause {
				t.Errorf("cause %q, want %q", aws.ToString(desc.Cause), tc.cause)
			}
			if !exSubsequence(got, tc.history) {
				t.Errorf("history %v does not contain %v in order", got, tc.history)
			}
			for typ, n := range tc.counts {
				if c := len(exFind(events, types.HistoryEventType(typ))); c != n {
					t.Errorf("%d %s events, want %d; history %v", c, typ, n, got)
				}
			}
			if tc.waited > 0 || tc.untilSoon {
				entered := exFind(events, types.HistoryEventTypeWaitStateEntered)
				exited := exFind(events, types.HistoryEventTypeWaitStateExited)
				if len(entered) != 1 || len(exited) != 1 {
					t.Fatalf("history %v: want one WaitStateEntered and one WaitStateExited", got)
				}
				if d := exited[0].Timestamp.Sub(*entered[0].Timestamp); d < tc.waited {
					t.Errorf("waited %v, want at least %v", d, tc.waited)
				}
				if tc.untilSoon && exited[0].Timestamp.Before(soon) {
					t.Errorf("Wait exited at %v, before its timestamp %v", exited[0].Timestamp, soon)
				}
			}
			if tc.status == types.ExecutionStatusTimedOut {
				// The task nobody polled is gone with the execution.
				if tok, _ := b.Poll(t, act); tok != "" {
					t.Errorf("a task of a timed-out execution was handed out")
				}
			}
		})
	}
}

// TestProgramsVariables runs JSONata and JSONPath states that share
// workflow variables: what one state assigns, the next ones read.
func TestProgramsVariables(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sm := b.Machine(t, `{"StartAt":"A","States":{
		"A":{"Type":"Pass","Assign":{"n.$":"$.n","list":[1,2]},"Next":"B"},
		"B":{"Type":"Pass","QueryLanguage":"JSONata","Assign":{"n":"{% $n + 1 %}","old":"{% $n %}"},"Output":{"sum":"{% $sum($list) + $n %}"},"Next":"C"},
		"C":{"Type":"Pass","Parameters":{"sum.$":"$.sum","n.$":"$n","old.$":"$old"},"End":true}}}`, "")
	out, err := b.Client.StartExecution(b.Ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Input: aws.String(`{"n":10}`)})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	desc := b.WaitStatus(t, *out.ExecutionArn, types.ExecutionStatusSucceeded)
	if want := `{"sum":13,"n":11,"old":10}`; !servertest.JSONEqual(t, aws.ToString(desc.Output), want) {
		t.Errorf("output %s, want %s", aws.ToString(desc.Output), want)
	}
}

func TestProgramsContext(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sm := b.Machine(t, `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"name.$":"$$.Execution.Name","id.$":"$$.Execution.Id","sm.$":"$$.StateMachine.Id","state.$":"$$.State.Name","v.$":"$.v"},"End":true}}}`, "")
	out, err := b.Client.StartExecution(b.Ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String("ctx-run"), Input: aws.String(`{"v":[true,null]}`)})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	desc := b.WaitStatus(t, *out.ExecutionArn, types.ExecutionStatusSucceeded)
	want := `{"name":"ctx-run","id":"` + *out.ExecutionArn + `","sm":"` + sm + `","state":"P","v":[true,null]}`
	if !servertest.JSONEqual(t, aws.ToString(desc.Output), want) {
		t.Errorf("output %s, want %s", aws.ToString(desc.Output), want)
	}
}

func TestProgramsUnsupported(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		name, definition, mention string
	}{
		{"map item reader", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject"},"ItemProcessor":{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},"End":true}}}`, "ItemReader"},
		{"unknown intrinsic", `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"s.$":"States.Nope('hi {}', $.n)"},"End":true}}}`, "States.Nope"},
		{"lambda", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:f","End":true}}}`, "arn:aws:lambda:us-east-1:000000000000:function:f"},
		{"lambda invoke", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}`, "lambda:invoke"},
		{"jsonata with a JSONPath field", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.a","End":true}}}`, "JSONata"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := b.Client.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{
				Name: aws.String(servertest.Uniq("unsup")), Definition: aws.String(tc.definition), RoleArn: aws.String(exRole),
			})
			if got := servertest.ErrorCode(err); got != "InvalidDefinition" {
				t.Fatalf("CreateStateMachine: %v (code %q), want InvalidDefinition", err, got)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("message %q does not name %q", err.Error(), tc.mention)
			}
		})
	}
}
