package sfn_test

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// uuidV4 matches a version 4 UUID as States.UUID writes it.
var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestProgramsIntrinsics runs intrinsic functions in a Pass state's
// Parameters, a Task state's Parameters and ResultSelector, through the
// real client.
func TestProgramsIntrinsics(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	sm := b.Machine(t, `{"StartAt":"Build","States":{
		"Build":{"Type":"Pass","Parameters":{
			"greeting.$":"States.Format('Hello, {}! You have {} items.', $.name, States.ArrayLength($.items))",
			"chunks.$":"States.ArrayPartition($.items, 2)",
			"range.$":"States.ArrayRange(1, 9, 2)",
			"second.$":"States.ArrayGetItem($.items, 1)",
			"has3.$":"States.ArrayContains($.items, 3)",
			"unique.$":"States.ArrayUnique($.dups)",
			"b64.$":"States.Base64Encode($.name)",
			"back.$":"States.Base64Decode(States.Base64Encode($.name))",
			"md5.$":"States.Hash($.name, 'MD5')",
			"merged.$":"States.JsonMerge($.a, $.b, false)",
			"json.$":"States.JsonToString($.a)",
			"parsed.$":"States.StringToJson($.text)",
			"sum.$":"States.MathAdd($.n, -1)",
			"words.$":"States.StringSplit($.csv, ',')",
			"exec.$":"States.ArrayGetItem(States.StringSplit($$.Execution.Name, '-'), 0)",
			"escaped.$":"States.Format('\\{\\} it\\'s {}', 'ok')",
			"uuid.$":"States.UUID()",
			"dice.$":"States.MathRandom(1, 7)"},
			"Next":"Task"},
		"Task":{"Type":"Task","Resource":"$ACT",
			"Parameters":{"msg.$":"$.greeting","n.$":"States.MathAdd($.sum, 100)"},
			"ResultSelector":{"tagged.$":"States.Format('{} from {}', $.status, $$.State.Name)"},
			"ResultPath":"$.res",
			"End":true}}}`, act)
	exec := b.Start(t, sm, `{"name":"Ada","items":[1,2,3,4,5],"dups":[1,1,"a","a",{"x":1},{"x":1.0}],
		"a":{"k":1,"o":{"p":1}},"b":{"o":{"q":2},"z":true},"text":"{\"t\":[1,2.50]}","n":41,"csv":"x,,y"}`)

	tok, in := b.MustPoll(t, act)
	if want := `{"msg":"Hello, Ada! You have 5 items.","n":140}`; !servertest.JSONEqual(t, in, want) {
		t.Errorf("task input %s, want %s", in, want)
	}
	exSucceed(t, b, tok, `{"status":200}`)
	desc := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)

	var out map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(desc.Output)), &out); err != nil {
		t.Fatalf("output %s: %v", aws.ToString(desc.Output), err)
	}
	if u, _ := out["uuid"].(string); !uuidV4.MatchString(u) {
		t.Errorf("uuid %v is not a version 4 UUID", out["uuid"])
	}
	if d, _ := out["dice"].(float64); d < 1 || d > 6 || d != float64(int(d)) {
		t.Errorf("dice %v, want an integer from 1 to 6", out["dice"])
	}
	delete(out, "uuid")
	delete(out, "dice")
	rest, _ := json.Marshal(out)
	want := `{
		"greeting":"Hello, Ada! You have 5 items.",
		"chunks":[[1,2],[3,4],[5]],
		"range":[1,3,5,7,9],
		"second":2,
		"has3":true,
		"unique":[1,"a",{"x":1}],
		"b64":"QWRh",
		"back":"Ada",
		"md5":"1a382809b7c03f686e12dd15677c5497",
		"merged":{"k":1,"o":{"q":2},"z":true},
		"json":"{\"k\":1,\"o\":{\"p\":1}}",
		"parsed":{"t":[1,2.50]},
		"sum":40,
		"words":["x","y"],
		"exec":"` + execName(exec) + `",
		"escaped":"{} it's ok",
		"res":{"tagged":"200 from Task"}}`
	if !servertest.JSONEqual(t, string(rest), want) {
		t.Errorf("output %s, want %s", rest, want)
	}
}

// execName returns the first '-'-separated part of an execution's name.
func execName(arn string) string {
	name := regexp.MustCompile(`[^:]*$`).FindString(arn)
	return regexp.MustCompile(`^[^-]*`).FindString(name)
}

// TestProgramsIntrinsicsFail checks the failures: a function's arguments
// (States.IntrinsicFailure) and a Fail state whose error and cause are
// built by intrinsic functions; and that each execution draws its own UUIDs.
func TestProgramsIntrinsicsFail(t *testing.T) {
	t.Parallel()
	b := setup(t)

	sm := b.Machine(t, `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"x.$":"States.ArrayGetItem($.a, 5)"},"End":true}}}`, "")
	desc := b.WaitStatus(t, b.Start(t, sm, `{"a":[1]}`), types.ExecutionStatusFailed)
	if got := aws.ToString(desc.Error); got != "States.IntrinsicFailure" {
		t.Errorf("error %q (cause %q), want States.IntrinsicFailure", got, aws.ToString(desc.Cause))
	}
	if want := "An error occurred while executing the state 'P' (entered at the event id #2). The intrinsic function States.ArrayGetItem in the field 'x.$' failed: the index 5 is out of bounds for an array of 1 items"; aws.ToString(desc.Cause) != want {
		t.Errorf("cause %q, want %q", aws.ToString(desc.Cause), want)
	}

	sm = b.Machine(t, `{"StartAt":"F","States":{"F":{"Type":"Fail",
		"ErrorPath":"States.Format('{}.Failed', $.kind)",
		"CausePath":"States.Format('{} of {} items failed', States.ArrayLength($.bad), States.ArrayLength($.all))"}}}`, "")
	desc = b.WaitStatus(t, b.Start(t, sm, `{"kind":"Batch","bad":[1],"all":[1,2,3]}`), types.ExecutionStatusFailed)
	if got, want := aws.ToString(desc.Error), "Batch.Failed"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
	if got, want := aws.ToString(desc.Cause), "1 of 3 items failed"; got != want {
		t.Errorf("cause %q, want %q", got, want)
	}

	sm = b.Machine(t, `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"u.$":"States.UUID()"},"End":true}}}`, "")
	seen := map[string]bool{}
	for range 2 {
		desc := b.WaitStatus(t, b.Start(t, sm, `{}`), types.ExecutionStatusSucceeded)
		var out struct{ U string }
		if err := json.Unmarshal([]byte(aws.ToString(desc.Output)), &out); err != nil || !uuidV4.MatchString(out.U) {
			t.Fatalf("output %s: want a UUID (%v)", aws.ToString(desc.Output), err)
		}
		if seen[out.U] {
			t.Errorf("two executions drew the same UUID %s", out.U)
		}
		seen[out.U] = true
	}
}

// TestProgramsIntrinsicFailureCaught: an intrinsic failing in a Task
// state's Parameters is the Task state's error: its retriers run (the
// state is entered again, keeping the count) and its catcher takes it.
func TestProgramsIntrinsicFailureCaught(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	sm := b.Machine(t, `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"$ACT","Parameters":{"x.$":"States.ArrayGetItem($.a, 5)"},
			"Retry":[{"ErrorEquals":["States.IntrinsicFailure"],"IntervalSeconds":1,"MaxAttempts":1,"BackoffRate":1}],
			"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Caught"}],"End":true},
		"Caught":{"Type":"Pass","End":true}}}`, act)
	exec := b.Start(t, sm, `{"a":[1]}`)
	desc := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	var out struct {
		Err struct{ Error, Cause string } `json:"err"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(desc.Output)), &out); err != nil {
		t.Fatalf("output %s: %v", aws.ToString(desc.Output), err)
	}
	if out.Err.Error != "States.IntrinsicFailure" {
		t.Errorf("caught %q, want States.IntrinsicFailure", out.Err.Error)
	}
	entered := 0
	for _, ev := range b.History(t, exec) {
		if ev.Type == types.HistoryEventTypeTaskStateEntered {
			entered++
		}
		if ev.Type == types.HistoryEventTypeActivityScheduled {
			t.Errorf("an activity was scheduled although the input could not be built")
		}
	}
	if entered != 2 {
		t.Errorf("TaskStateEntered %d times, want 2 (the first try and one retry)", entered)
	}
}
