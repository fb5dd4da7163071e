package sfn_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// childDesc is a child execution as a .sync task's output shows it.
type childDesc struct {
	ExecutionArn    string
	Input           json.RawMessage
	Name            string
	Output          json.RawMessage
	StartDate       int64
	StopDate        int64
	StateMachineArn string
	Status          string
	Error, Cause    string
}

func TestNestedPatterns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	child := machineNamed(t, b, servertest.Uniq("Child"), `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":true,"ResultPath":"$.child","End":true}}}`)
	parent := machineNamed(t, b, servertest.Uniq("Parent"), `{"StartAt":"Sync","States":{
		"Sync":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync","Parameters":{"StateMachineArn":"`+child+`",
			"Input":{"v.$":"$.v","AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$":"$$.Execution.Id"},"Name":"sync-child"},"ResultPath":"$.sync","Next":"Sync2"},
		"Sync2":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","Parameters":{"StateMachineArn":"`+child+`",
			"Input":"{\"w\":2}"},"ResultPath":"$.sync2","Next":"Fire"},
		"Fire":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution","Parameters":{"StateMachineArn":"`+child+`","Input":{}},"ResultPath":"$.fire","End":true}}}`)
	exec := b.Start(t, parent, `{"v":1}`)
	out := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	var got struct {
		V     int
		Sync  childDesc `json:"sync"`
		Sync2 childDesc `json:"sync2"`
		Fire  struct {
			ExecutionArn string
			StartDate    int64
		} `json:"fire"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &got); err != nil {
		t.Fatalf("output %s: %v", aws.ToString(out.Output), err)
	}

	// .sync: Input and Output are JSON text.
	s := got.Sync
	if !strings.HasSuffix(s.ExecutionArn, ":sync-child") || s.Name != "sync-child" || s.Status != "SUCCEEDED" || s.StateMachineArn != child ||
		s.StartDate == 0 || s.StopDate < s.StartDate {
		t.Errorf(".sync output %+v", s)
	}
	var outText, inText string
	if json.Unmarshal(s.Output, &outText) != nil || json.Unmarshal(s.Input, &inText) != nil {
		t.Fatalf(".sync Input %s and Output %s are not JSON strings", s.Input, s.Output)
	}
	want := `{"v":1,"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID":"` + exec + `"}`
	if !servertest.JSONEqual(t, inText, want) {
		t.Errorf(".sync child input %s, want %s", inText, want)
	}
	if !servertest.JSONEqual(t, outText, `{"v":1,"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID":"`+exec+`","child":true}`) {
		t.Errorf(".sync child output %s", outText)
	}
	// .sync:2: Input and Output are JSON.
	if !servertest.JSONEqual(t, string(got.Sync2.Output), `{"w":2,"child":true}`) || !servertest.JSONEqual(t, string(got.Sync2.Input), `{"w":2}`) ||
		got.Sync2.Status != "SUCCEEDED" {
		t.Errorf(".sync:2 output %+v", got.Sync2)
	}
	// Request-response: the execution started; the parent did not wait.
	if got.Fire.ExecutionArn == "" || got.Fire.StartDate == 0 {
		t.Errorf("startExecution output %+v", got.Fire)
	}
	fired := b.WaitStatus(t, got.Fire.ExecutionArn, types.ExecutionStatusSucceeded)
	if aws.ToString(fired.StateMachineArn) != child {
		t.Errorf("fired execution of %s", aws.ToString(fired.StateMachineArn))
	}
	// The child is an execution of its own, listed under its state machine.
	d, err := b.Client.DescribeExecution(b.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(s.ExecutionArn)})
	servertest.OK(t, "DescribeExecution child", err)
	if !servertest.JSONEqual(t, aws.ToString(d.Input), want) {
		t.Errorf("child DescribeExecution input %s", aws.ToString(d.Input))
	}
	list, err := b.Client.ListExecutions(b.Ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(child)})
	servertest.OK(t, "ListExecutions", err)
	if len(list.Executions) != 3 {
		t.Errorf("%d child executions, want 3", len(list.Executions))
	}
	events := servertest.SFNEventTypes(b.History(t, exec))
	if got := strings.Join(events, " "); !strings.Contains(got, "TaskScheduled TaskStarted TaskSucceeded") {
		t.Errorf("parent history %s", got)
	}
	sch := eventsOf(b.History(t, exec), types.HistoryEventTypeTaskScheduled)
	if len(sch) != 3 || aws.ToString(sch[0].TaskScheduledEventDetails.ResourceType) != "states" ||
		aws.ToString(sch[0].TaskScheduledEventDetails.Resource) != "startExecution.sync" {
		t.Errorf("TaskScheduled %+v", sch)
	}
}

func TestNestedChildFailureCaught(t *testing.T) {
	t.Parallel()
	b := setup(t)
	child := machineNamed(t, b, servertest.Uniq("Failing"), `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Boom","Cause":"it broke"}}}`)
	parent := machineNamed(t, b, servertest.Uniq("Catcher"), `{"StartAt":"Run","States":{
		"Run":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","Parameters":{"StateMachineArn":"`+child+`"},
			"Catch":[{"ErrorEquals":["States.TaskFailed"],"ResultPath":"$.err","Next":"Caught"}],"End":true},
		"Caught":{"Type":"Pass","End":true}}}`)
	exec := b.Start(t, parent, `{}`)
	out := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	var got struct {
		Err struct{ Error, Cause string } `json:"err"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &got); err != nil {
		t.Fatal(err)
	}
	var cause childDesc
	if got.Err.Error != "States.TaskFailed" || json.Unmarshal([]byte(got.Err.Cause), &cause) != nil {
		t.Fatalf("caught %+v", got.Err)
	}
	if cause.Status != "FAILED" || cause.Error != "Boom" || cause.Cause != "it broke" || cause.StateMachineArn != child {
		t.Errorf("cause %+v", cause)
	}

	t.Run("missing state machine", func(t *testing.T) {
		p := machineNamed(t, b, servertest.Uniq("Orphan"), `{"StartAt":"Run","States":{
			"Run":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync","Parameters":{"StateMachineArn":"`+child+`-gone"},"End":true}}}`)
		out := b.WaitStatus(t, b.Start(t, p, `{}`), types.ExecutionStatusFailed)
		if aws.ToString(out.Error) != "StepFunctions.StateMachineDoesNotExist" || !strings.Contains(aws.ToString(out.Cause), child+"-gone") {
			t.Errorf("failed with %s: %s", aws.ToString(out.Error), aws.ToString(out.Cause))
		}
	})
}

func TestNestedWaitForTaskToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	// The child hands the token to an activity worker, which answers for
	// the parent with SendTaskSuccess.
	child := machineNamed(t, b, servertest.Uniq("Approver"), `{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"`+act+`","End":true}}}`)
	parent := machineNamed(t, b, servertest.Uniq("Waiter"), `{"StartAt":"Ask","States":{
		"Ask":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.waitForTaskToken","HeartbeatSeconds":600,
			"Parameters":{"StateMachineArn":"`+child+`","Input":{"token.$":"$$.Task.Token"}},"End":true}}}`)
	exec := b.Start(t, parent, `{}`)
	actTok, in := b.MustPoll(t, act)
	var p struct{ Token string }
	if err := json.Unmarshal([]byte(in), &p); err != nil || p.Token == "" || strings.HasPrefix(p.Token, "gaffer-task-token-") {
		t.Fatalf("child input %s", in)
	}
	_, err := b.Client.SendTaskHeartbeat(b.Ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(p.Token)})
	servertest.OK(t, "SendTaskHeartbeat parent token", err)
	_, err = b.Client.SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(p.Token), Output: aws.String(`{"approved":true}`)})
	servertest.OK(t, "SendTaskSuccess parent token", err)
	out := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(out.Output), `{"approved":true}`) {
		t.Errorf("output %s", aws.ToString(out.Output))
	}
	events := b.History(t, exec)
	if got := strings.Join(servertest.SFNEventTypes(events), " "); !strings.Contains(got, "TaskStarted TaskSubmitted TaskSucceeded") {
		t.Errorf("history %s", got)
	}
	sch := eventsOf(events, types.HistoryEventTypeTaskScheduled)[0].TaskScheduledEventDetails
	if params := aws.ToString(sch.Parameters); !strings.Contains(params, p.Token) || strings.Contains(params, "gaffer-task-token-") {
		t.Errorf("TaskScheduled parameters %s do not show the token %s", params, p.Token)
	}
	sub := eventsOf(events, types.HistoryEventTypeTaskSubmitted)[0].TaskSubmittedEventDetails
	var started struct {
		ExecutionArn string
		StartDate    int64
	}
	if json.Unmarshal([]byte(aws.ToString(sub.Output)), &started) != nil || started.ExecutionArn == "" || started.StartDate == 0 {
		t.Errorf("TaskSubmitted output %s", aws.ToString(sub.Output))
	}
	// The child runs on (its activity is still out): a callback child is
	// not the parent's to stop.
	_, err = b.Client.SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(actTok), Output: aws.String(`{}`)})
	servertest.OK(t, "child's activity", err)
	b.WaitStatus(t, started.ExecutionArn, types.ExecutionStatusSucceeded)
}

// threeDeep creates top → middle (.sync:2) → leaf (.sync), the leaf
// waiting on an activity, and returns the top state machine.
func threeDeep(t *testing.T, b *bundle, act, extra string) string {
	t.Helper()
	leaf := machineNamed(t, b, servertest.Uniq("Leaf"), `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"`+act+`","End":true}}}`)
	middle := machineNamed(t, b, servertest.Uniq("Middle"), `{"StartAt":"Leaf","States":{"Leaf":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync",
		"Parameters":{"StateMachineArn":"`+leaf+`","Input.$":"$","Name.$":"$$.Execution.Name"},"OutputPath":"$.Output","End":true}}}`)
	return machineNamed(t, b, servertest.Uniq("Top"), `{"StartAt":"Middle","States":{"Middle":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2",
		"Parameters":{"StateMachineArn":"`+middle+`","Input.$":"$","Name.$":"$$.Execution.Name"}`+extra+`,"OutputPath":"$.Output","End":true}}}`)
}

// descendants returns the ARNs of the middle and leaf executions of top
// (each is named as its parent).
func descendants(t *testing.T, b *bundle, top string) (middle, leaf string) {
	t.Helper()
	name := top[strings.LastIndex(top, ":"):]
	sch := eventsOf(b.History(t, top), types.HistoryEventTypeTaskScheduled)
	if len(sch) != 1 {
		t.Fatalf("top scheduled %d tasks", len(sch))
	}
	var p struct{ StateMachineArn string }
	_ = json.Unmarshal([]byte(aws.ToString(sch[0].TaskScheduledEventDetails.Parameters)), &p)
	middle = strings.Replace(p.StateMachineArn, ":stateMachine:", ":execution:", 1) + name
	sch = eventsOf(b.History(t, middle), types.HistoryEventTypeTaskScheduled)
	if len(sch) != 1 {
		t.Fatalf("middle scheduled %d tasks", len(sch))
	}
	_ = json.Unmarshal([]byte(aws.ToString(sch[0].TaskScheduledEventDetails.Parameters)), &p)
	return middle, strings.Replace(p.StateMachineArn, ":stateMachine:", ":execution:", 1) + name
}

func TestNestedThreeDeep(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	top := threeDeep(t, b, act, "")

	t.Run("completes", func(t *testing.T) {
		exec := b.Start(t, top, `{"n":3}`)
		tok, in := b.MustPoll(t, act)
		if !servertest.JSONEqual(t, in, `{"n":3}`) {
			t.Errorf("leaf's activity input %s", in)
		}
		_, err := b.Client.SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{"done":3}`)})
		servertest.OK(t, "SendTaskSuccess", err)
		out := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
		// The middle's output is the leaf's (.sync: a JSON string), the
		// top's the middle's (.sync:2: JSON).
		if !servertest.JSONEqual(t, aws.ToString(out.Output), `"{\"done\":3}"`) {
			t.Errorf("top output %s", aws.ToString(out.Output))
		}
	})
	t.Run("stop propagates", func(t *testing.T) {
		exec := b.Start(t, top, `{}`)
		tok, _ := b.MustPoll(t, act)
		middle, leaf := descendants(t, b, exec)
		_, err := b.Client.StopExecution(b.Ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(exec), Error: aws.String("Enough")})
		servertest.OK(t, "StopExecution", err)
		for _, e := range []string{exec, middle, leaf} {
			b.WaitStatus(t, e, types.ExecutionStatusAborted)
		}
		if got := servertest.SFNEventTypes(b.History(t, leaf)); got[len(got)-1] != "ExecutionAborted" || !strings.Contains(strings.Join(got, " "), "TaskStateAborted") {
			t.Errorf("leaf history %v", got)
		}
		_, err = b.Client.SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{}`)})
		servertest.WantClientError(t, "leaf's activity after the stop", err, "TaskTimedOut")
	})
	t.Run("leaf stopped fails the chain", func(t *testing.T) {
		exec := b.Start(t, top, `{}`)
		b.MustPoll(t, act)
		_, leaf := descendants(t, b, exec)
		_, err := b.Client.StopExecution(b.Ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(leaf)})
		servertest.OK(t, "StopExecution leaf", err)
		out := b.WaitStatus(t, exec, types.ExecutionStatusFailed)
		if aws.ToString(out.Error) != "States.TaskFailed" || !strings.Contains(aws.ToString(out.Cause), `"Status":"FAILED"`) {
			t.Errorf("top failed with %s: %s", aws.ToString(out.Error), aws.ToString(out.Cause))
		}
	})
}

func TestNestedTimeoutStopsChild(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	top := threeDeep(t, b, act, `,"TimeoutSeconds":1`)
	exec := b.Start(t, top, `{}`)
	b.MustPoll(t, act)
	middle, leaf := descendants(t, b, exec)
	out := b.WaitStatus(t, exec, types.ExecutionStatusFailed)
	if aws.ToString(out.Error) != "States.Timeout" {
		t.Errorf("top failed with %s", aws.ToString(out.Error))
	}
	b.WaitStatus(t, middle, types.ExecutionStatusAborted)
	b.WaitStatus(t, leaf, types.ExecutionStatusAborted)
}

func TestNestedSyncHeartbeat(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// The child runs 2 s; the parent's HeartbeatSeconds is 1: the child's
	// running keeps the parent's .sync task alive.
	child := machineNamed(t, b, servertest.Uniq("Slow"), `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":2,"End":true}}}`)
	parent := machineNamed(t, b, servertest.Uniq("Patient"), `{"StartAt":"Run","States":{
		"Run":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","HeartbeatSeconds":1,
			"Parameters":{"StateMachineArn":"`+child+`","Input":{"x":1}},"OutputPath":"$.Output","End":true}}}`)
	exec := b.Start(t, parent, `{}`)
	out := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(out.Output), `{"x":1}`) {
		t.Errorf("output %s", aws.ToString(out.Output))
	}
}

func TestNestedSurvivesCrash(t *testing.T) {
	t.Parallel()
	p := servertest.StartProcess(t, "")
	b := &bundle{&servertest.SFNEnv{Env: p.Env(), Client: servertest.SFN(p.URL)}}
	act := b.Activity(t)
	top := threeDeep(t, b, act, "")
	exec := b.Start(t, top, `{"k":1}`)
	tok, _ := b.MustPoll(t, act)
	// Three executions in flight: kill -9, restart, finish the leaf's work.
	p.Kill(t)
	p = p.Restart(t)
	b = &bundle{&servertest.SFNEnv{Env: p.Env(), Client: servertest.SFN(p.URL)}}
	_, err := b.Client.SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{"k":2}`)})
	servertest.OK(t, "SendTaskSuccess after restart", err)
	out := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(out.Output), `"{\"k\":2}"`) {
		t.Errorf("output %s", aws.ToString(out.Output))
	}
	// Exactly one middle and one leaf were started.
	middle, _ := descendants(t, b, exec)
	if n := len(eventsOf(b.History(t, middle), types.HistoryEventTypeExecutionStarted)); n != 1 {
		t.Errorf("middle started %d times", n)
	}
}

func TestNestedVersionAndAlias(t *testing.T) {
	t.Parallel()
	b := setup(t)
	child := b.Machine(t, passDef("zero"), "")
	pub := func(def string) string {
		t.Helper()
		out, err := b.Client.UpdateStateMachine(b.Ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(child), Definition: aws.String(passDef(def)), Publish: true})
		servertest.OK(t, "UpdateStateMachine publish", err)
		return aws.ToString(out.StateMachineVersionArn)
	}
	v1, v2 := pub("one"), pub("two")
	_, err := b.Client.UpdateStateMachine(b.Ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(child), Definition: aws.String(passDef("latest"))})
	servertest.OK(t, "UpdateStateMachine", err)
	al, err := b.Client.CreateStateMachineAlias(b.Ctx, &sfn.CreateStateMachineAliasInput{Name: aws.String("live"),
		RoutingConfiguration: []types.RoutingConfigurationListItem{{StateMachineVersionArn: aws.String(v2), Weight: 100}}})
	servertest.OK(t, "CreateStateMachineAlias", err)
	alias := aws.ToString(al.StateMachineAliasArn)
	foreign := strings.Replace(child, ":us-east-1:", ":eu-west-1:", 1) + ":1"
	catch := `"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Caught"}]`
	parent := machineNamed(t, b, servertest.Uniq("VParent"), `{"StartAt":"V1","States":{
		"V1":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","Parameters":{"StateMachineArn":"`+v1+`"},"ResultPath":"$.v1","Next":"Alias"},
		"Alias":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync","Parameters":{"StateMachineArn":"`+alias+`"},"ResultPath":"$.alias","Next":"Fire"},
		"Fire":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution","Parameters":{"StateMachineArn":"`+v2+`"},"ResultPath":"$.fire","Next":"Latest"},
		"Latest":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","Parameters":{"StateMachineArn":"`+child+`"},"ResultPath":"$.latest","Next":"Missing"},
		"Missing":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","Parameters":{"StateMachineArn":"`+child+`:9"},"ResultPath":"$.missing",`+catch+`,"End":true},
		"Caught":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","Parameters":{"StateMachineArn":"`+foreign+`"},"ResultPath":"$.foreign",
			"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err2","Next":"Done"}],"End":true},
		"Done":{"Type":"Pass","End":true}}}`)
	if !strings.Contains(child, ":us-east-1:") {
		t.Fatalf("test assumes us-east-1: %s", child)
	}
	exec := b.Start(t, parent, `{}`)
	out := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	var got struct {
		V1, Latest struct {
			childDesc
			StateMachineVersionArn, StateMachineAliasArn string
		}
		Alias struct {
			childDesc
			StateMachineVersionArn, StateMachineAliasArn string
		}
		Fire      struct{ ExecutionArn string }
		Err, Err2 struct{ Error, Cause string }
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &got); err != nil {
		t.Fatalf("output %s: %v", aws.ToString(out.Output), err)
	}
	// A version ARN runs that version's definition.
	if !servertest.JSONEqual(t, string(got.V1.Output), `{"v":"one"}`) || got.V1.StateMachineVersionArn != v1 || got.V1.StateMachineArn != child {
		t.Errorf("child of version 1: %+v", got.V1)
	}
	// An alias picks its version (v2, weight 100).
	var aliasOut string
	if json.Unmarshal(got.Alias.Output, &aliasOut) != nil || !servertest.JSONEqual(t, aliasOut, `{"v":"two"}`) ||
		got.Alias.StateMachineAliasArn != alias || got.Alias.StateMachineVersionArn != v2 {
		t.Errorf("child of the alias: %+v", got.Alias)
	}
	// The unqualified ARN runs the current definition.
	if !servertest.JSONEqual(t, string(got.Latest.Output), `{"v":"latest"}`) || got.Latest.StateMachineVersionArn != "" {
		t.Errorf("child of the machine: %+v", got.Latest)
	}
	fired := b.WaitStatus(t, got.Fire.ExecutionArn, types.ExecutionStatusSucceeded)
	if aws.ToString(fired.StateMachineVersionArn) != v2 || !servertest.JSONEqual(t, aws.ToString(fired.Output), `{"v":"two"}`) {
		t.Errorf("request-response child of v2: version %s output %s", aws.ToString(fired.StateMachineVersionArn), aws.ToString(fired.Output))
	}
	if got.Err.Error != "StepFunctions.StateMachineDoesNotExist" || !strings.Contains(got.Err.Cause, child+":9") {
		t.Errorf("missing version: %+v", got.Err)
	}
	if got.Err2.Error != "StepFunctions.StateMachineDoesNotExist" {
		t.Errorf("version of another region: %+v", got.Err2)
	}
}
