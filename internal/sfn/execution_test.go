package sfn_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// exCanon returns the JSON text s in a canonical form (keys sorted, no
// spaces), or "-" for nil.
func exCanon(s *string) string {
	if s == nil {
		return "-"
	}
	var v any
	if err := json.Unmarshal([]byte(*s), &v); err != nil {
		return "INVALID-JSON:" + *s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// exDescribe renders one history event as "id<-prev Type details", with
// JSON payloads canonical, so whole histories compare as string lists.
func exDescribe(e types.HistoryEvent) string {
	s := func(p *string) string {
		if p == nil {
			return "-"
		}
		return *p
	}
	i := func(p *int64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprint(*p)
	}
	var d string
	switch {
	case e.ExecutionStartedEventDetails != nil:
		x := e.ExecutionStartedEventDetails
		d = fmt.Sprintf("input=%s role=%s", exCanon(x.Input), s(x.RoleArn))
	case e.StateEnteredEventDetails != nil:
		x := e.StateEnteredEventDetails
		d = fmt.Sprintf("name=%s input=%s", s(x.Name), exCanon(x.Input))
	case e.StateExitedEventDetails != nil:
		x := e.StateExitedEventDetails
		d = fmt.Sprintf("name=%s output=%s", s(x.Name), exCanon(x.Output))
	case e.ActivityScheduledEventDetails != nil:
		x := e.ActivityScheduledEventDetails
		d = fmt.Sprintf("resource=%s input=%s timeout=%s heartbeat=%s", s(x.Resource), exCanon(x.Input), i(x.TimeoutInSeconds), i(x.HeartbeatInSeconds))
	case e.ActivityStartedEventDetails != nil:
		d = "worker=" + s(e.ActivityStartedEventDetails.WorkerName)
	case e.ActivitySucceededEventDetails != nil:
		d = "output=" + exCanon(e.ActivitySucceededEventDetails.Output)
	case e.ActivityFailedEventDetails != nil:
		d = fmt.Sprintf("error=%s cause=%s", s(e.ActivityFailedEventDetails.Error), s(e.ActivityFailedEventDetails.Cause))
	case e.ActivityTimedOutEventDetails != nil:
		d = fmt.Sprintf("error=%s cause=%s", s(e.ActivityTimedOutEventDetails.Error), s(e.ActivityTimedOutEventDetails.Cause))
	case e.ExecutionSucceededEventDetails != nil:
		d = "output=" + exCanon(e.ExecutionSucceededEventDetails.Output)
	case e.ExecutionFailedEventDetails != nil:
		d = fmt.Sprintf("error=%s cause=%s", s(e.ExecutionFailedEventDetails.Error), s(e.ExecutionFailedEventDetails.Cause))
	case e.ExecutionAbortedEventDetails != nil:
		d = fmt.Sprintf("error=%s cause=%s", s(e.ExecutionAbortedEventDetails.Error), s(e.ExecutionAbortedEventDetails.Cause))
	case e.ExecutionTimedOutEventDetails != nil:
		d = fmt.Sprintf("error=%s", s(e.ExecutionTimedOutEventDetails.Error))
	default:
		d = "(no details)"
	}
	return fmt.Sprintf("%d<-%d %s %s", e.Id, e.PreviousEventId, e.Type, d)
}

// exDescribeAll renders a history with exDescribe.
func exDescribeAll(events []types.HistoryEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = exDescribe(e)
	}
	return out
}

// exSameLines fails the test if got and want differ, showing both.
func exSameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// exPollAs long-polls act once as worker.
func exPollAs(t *testing.T, b *bundle, act, worker string) (token, input string) {
	t.Helper()
	out, err := b.Client.GetActivityTask(b.Ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(act), WorkerName: aws.String(worker)})
	if err != nil {
		t.Fatalf("GetActivityTask: %v", err)
	}
	return aws.ToString(out.TaskToken), aws.ToString(out.Input)
}

// exSucceed sends SendTaskSuccess and fails the test on error.
func exSucceed(t *testing.T, b *bundle, token, output string) {
	t.Helper()
	if _, err := b.Client.SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(output)}); err != nil {
		t.Fatalf("SendTaskSuccess: %v", err)
	}
}

// exFail sends SendTaskFailure and fails the test on error.
func exFail(t *testing.T, b *bundle, token, errName, cause string) {
	t.Helper()
	if _, err := b.Client.SendTaskFailure(b.Ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(token), Error: aws.String(errName), Cause: aws.String(cause)}); err != nil {
		t.Fatalf("SendTaskFailure: %v", err)
	}
}

// exTokenDead checks that every worker call with token answers TaskTimedOut.
func exTokenDead(t *testing.T, b *bundle, token string) {
	t.Helper()
	_, err := b.Client.SendTaskHeartbeat(b.Ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(token)})
	if got := servertest.ErrorCode(err); got != "TaskTimedOut" {
		t.Errorf("SendTaskHeartbeat on a dead token: %v (code %q), want TaskTimedOut", err, got)
	}
	_, err = b.Client.SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{}`)})
	if got := servertest.ErrorCode(err); got != "TaskTimedOut" {
		t.Errorf("SendTaskSuccess on a dead token: %v (code %q), want TaskTimedOut", err, got)
	}
	_, err = b.Client.SendTaskFailure(b.Ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(token), Error: aws.String("E")})
	if got := servertest.ErrorCode(err); got != "TaskTimedOut" {
		t.Errorf("SendTaskFailure on a dead token: %v (code %q), want TaskTimedOut", err, got)
	}
}

// exFind returns the events of history of type typ.
func exFind(events []types.HistoryEvent, typ types.HistoryEventType) []types.HistoryEvent {
	var out []types.HistoryEvent
	for _, e := range events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

const exRole = "arn:aws:iam::000000000000:role/test"

func TestExecutionRoundTripExactHistory(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	sm := b.Machine(t, `{
		"StartAt": "Prepare",
		"States": {
			"Prepare": {"Type": "Pass", "Result": {"n": 1}, "ResultPath": "$.prep", "Next": "Work"},
			"Work": {"Type": "Task", "Resource": "$ACT", "TimeoutSeconds": 60, "HeartbeatSeconds": 30, "Next": "Done"},
			"Done": {"Type": "Succeed"}
		}
	}`, act)
	exec := b.Start(t, sm, `{"in": "put"}`)

	tok, in := exPollAs(t, b, act, "exact-worker")
	if tok == "" {
		// The task was scheduled by StartExecution: the first poll must get it.
		t.Fatal("first poll after StartExecution came back empty")
	}
	if !servertest.JSONEqual(t, in, `{"in":"put","prep":{"n":1}}`) {
		t.Fatalf("task input %s", in)
	}
	exSucceed(t, b, tok, `{"result": [1, 2]}`)

	desc := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(desc.Output), `{"result":[1,2]}`) {
		t.Errorf("DescribeExecution output %s", aws.ToString(desc.Output))
	}
	if !servertest.JSONEqual(t, aws.ToString(desc.Input), `{"in":"put"}`) {
		t.Errorf("DescribeExecution input %s", aws.ToString(desc.Input))
	}
	if desc.StartDate == nil || desc.StopDate == nil {
		t.Fatalf("DescribeExecution dates start=%v stop=%v, want both set", desc.StartDate, desc.StopDate)
	}
	if desc.StopDate.Before(*desc.StartDate) {
		t.Errorf("stopDate %v before startDate %v", desc.StopDate, desc.StartDate)
	}
	if aws.ToString(desc.ExecutionArn) != exec || aws.ToString(desc.StateMachineArn) != sm {
		t.Errorf("DescribeExecution arns %s %s", aws.ToString(desc.ExecutionArn), aws.ToString(desc.StateMachineArn))
	}
	if desc.Error != nil || desc.Cause != nil {
		t.Errorf("succeeded execution has error %v cause %v", desc.Error, desc.Cause)
	}

	events := b.History(t, exec)
	want := []string{
		`1<-0 ExecutionStarted input={"in":"put"} role=` + exRole,
		`2<-0 PassStateEntered name=Prepare input={"in":"put"}`,
		`3<-2 PassStateExited name=Prepare output={"in":"put","prep":{"n":1}}`,
		`4<-3 TaskStateEntered name=Work input={"in":"put","prep":{"n":1}}`,
		`5<-4 ActivityScheduled resource=` + act + ` input={"in":"put","prep":{"n":1}} timeout=60 heartbeat=30`,
		`6<-5 ActivityStarted worker=exact-worker`,
		`7<-6 ActivitySucceeded output={"result":[1,2]}`,
		`8<-7 TaskStateExited name=Work output={"result":[1,2]}`,
		`9<-8 SucceedStateEntered name=Done input={"result":[1,2]}`,
		`10<-9 SucceedStateExited name=Done output={"result":[1,2]}`,
		`11<-10 ExecutionSucceeded output={"result":[1,2]}`,
	}
	exSameLines(t, "history", exDescribeAll(events), want)
	for i, e := range events {
		if e.Timestamp == nil {
			t.Fatalf("event %d has no timestamp", e.Id)
		}
		if i > 0 && e.Timestamp.Before(*events[i-1].Timestamp) {
			t.Errorf("event %d timestamp %v before event %d's %v", e.Id, e.Timestamp, events[i-1].Id, events[i-1].Timestamp)
		}
	}

	// Paging two at a time, forwards and backwards, gives the same events.
	pages := func(reverse bool, includeData *bool) []types.HistoryEvent {
		var all []types.HistoryEvent
		var next *string
		for n := 0; ; n++ {
			if n > 20 {
				t.Fatal("history paging does not end")
			}
			out, err := b.Client.GetExecutionHistory(b.Ctx, &sfn.GetExecutionHistoryInput{
				ExecutionArn: aws.String(exec), MaxResults: 2, ReverseOrder: reverse, NextToken: next, IncludeExecutionData: includeData,
			})
			if err != nil {
				t.Fatalf("GetExecutionHistory page %d: %v", n, err)
			}
			if len(out.Events) > 2 {
				t.Fatalf("page %d has %d events, maxResults was 2", n, len(out.Events))
			}
			all = append(all, out.Events...)
			if out.NextToken == nil {
				return all
			}
			next = out.NextToken
		}
	}
	exSameLines(t, "history paged by 2", exDescribeAll(pages(false, nil)), want)
	backwards := pages(true, nil)
	slices.Reverse(backwards)
	exSameLines(t, "history paged by 2 in reverse, reversed", exDescribeAll(backwards), want)

	// includeExecutionData=false keeps the events but drops their payloads.
	stripped := exDescribeAll(pages(false, aws.Bool(false)))
	wantStripped := []string{
		`1<-0 ExecutionStarted input=- role=` + exRole,
		`2<-0 PassStateEntered name=Prepare input=-`,
		`3<-2 PassStateExited name=Prepare output=-`,
		`4<-3 TaskStateEntered name=Work input=-`,
		`5<-4 ActivityScheduled resource=` + act + ` input=- timeout=60 heartbeat=30`,
		`6<-5 ActivityStarted worker=exact-worker`,
		`7<-6 ActivitySucceeded output=-`,
		`8<-7 TaskStateExited name=Work output=-`,
		`9<-8 SucceedStateEntered name=Done input=-`,
		`10<-9 SucceedStateExited name=Done output=-`,
		`11<-10 ExecutionSucceeded output=-`,
	}
	exSameLines(t, "history without execution data", stripped, wantStripped)

	// The token is spent.
	exTokenDead(t, b, tok)
}

func TestExecutionHeartbeatTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	sm := b.Machine(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","HeartbeatSeconds":1,"End":true}}}`, act)
	exec := b.Start(t, sm, `{}`)
	tok, _ := b.MustPoll(t, act)

	desc := b.WaitStatus(t, exec, types.ExecutionStatusFailed)
	if got := aws.ToString(desc.Error); got != "States.HeartbeatTimeout" {
		t.Errorf("execution error %q, want States.HeartbeatTimeout", got)
	}
	events := b.History(t, exec)
	exSameLines(t, "history types", servertest.SFNEventTypes(events), []string{
		"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivityTimedOut", "ExecutionFailed",
	})
	to := events[4]
	if got := aws.ToString(to.ActivityTimedOutEventDetails.Error); got != "States.HeartbeatTimeout" {
		t.Errorf("ActivityTimedOut error %q", got)
	}
	if to.PreviousEventId != events[3].Id {
		t.Errorf("ActivityTimedOut previousEventId %d, want the ActivityStarted %d", to.PreviousEventId, events[3].Id)
	}
	if got := aws.ToString(events[5].ExecutionFailedEventDetails.Error); got != "States.HeartbeatTimeout" {
		t.Errorf("ExecutionFailed error %q", got)
	}
	if d := events[4].Timestamp.Sub(*events[3].Timestamp); d < 900*time.Millisecond {
		t.Errorf("heartbeat timed out %v after the start, want about 1 s", d)
	}
	exTokenDead(t, b, tok)
}

func TestExecutionHeartbeatsDoNotExtendTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	sm := b.Machine(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","HeartbeatSeconds":1,"TimeoutSeconds":3,"End":true}}}`, act)
	t0 := time.Now()
	exec := b.Start(t, sm, `{}`)
	tok, _ := b.MustPoll(t, act)

	// Beat until the server says the task is over. The worker beats on its
	// own clock, every 300 ms: the beats are what this test sends, not a
	// wait for the server.
	beat := time.NewTicker(300 * time.Millisecond)
	defer beat.Stop()
	var elapsed time.Duration
	for {
		_, err := b.Client.SendTaskHeartbeat(b.Ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(tok)})
		if err != nil {
			elapsed = time.Since(t0)
			if code := servertest.ErrorCode(err); code != "TaskTimedOut" {
				t.Fatalf("SendTaskHeartbeat: %v, want TaskTimedOut once the task times out", err)
			}
			break
		}
		if time.Since(t0) > 20*time.Second {
			t.Fatal("the task never timed out")
		}
		<-beat.C
	}
	if elapsed < 2500*time.Millisecond {
		t.Errorf("task ended %v after StartExecution; TimeoutSeconds is 3", elapsed)
	}
	if elapsed > 10*time.Second {
		t.Errorf("task ended %v after StartExecution; TimeoutSeconds is 3", elapsed)
	}

	desc := b.WaitStatus(t, exec, types.ExecutionStatusFailed)
	if got := aws.ToString(desc.Error); got != "States.Timeout" {
		t.Errorf("execution error %q, want States.Timeout", got)
	}
	events := b.History(t, exec)
	timedOut := exFind(events, types.HistoryEventTypeActivityTimedOut)
	if len(timedOut) != 1 {
		t.Fatalf("history %v: want one ActivityTimedOut", servertest.SFNEventTypes(events))
	}
	if got := aws.ToString(timedOut[0].ActivityTimedOutEventDetails.Error); got != "States.Timeout" {
		t.Errorf("ActivityTimedOut error %q, want States.Timeout (heartbeats were sent)", got)
	}
	sched := exFind(events, types.HistoryEventTypeActivityScheduled)[0]
	if d := timedOut[0].Timestamp.Sub(*sched.Timestamp); d < 2500*time.Millisecond || d > 10*time.Second {
		t.Errorf("ActivityTimedOut %v after ActivityScheduled, want about 3 s", d)
	}
}

func TestExecutionRetryAfterHeartbeatTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	sm := b.Machine(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","HeartbeatSeconds":1,
		"Retry":[{"ErrorEquals":["States.HeartbeatTimeout"],"IntervalSeconds":1,"MaxAttempts":1}],"End":true}}}`, act)
	exec := b.Start(t, sm, `{"job":7}`)

	tok1, in1 := b.MustPoll(t, act)
	// Let the heartbeat lapse: the retry comes about 2 s later.
	tok2, in2 := b.MustPoll(t, act)
	if tok2 == tok1 {
		t.Fatal("the retry was handed out with the first attempt's token")
	}
	if !servertest.JSONEqual(t, in1, `{"job":7}`) || !servertest.JSONEqual(t, in2, `{"job":7}`) {
		t.Errorf("task inputs %s and %s, want the state input both times", in1, in2)
	}
	exTokenDead(t, b, tok1)
	exSucceed(t, b, tok2, `{"ok":true}`)

	desc := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(desc.Output), `{"ok":true}`) {
		t.Errorf("output %s", aws.ToString(desc.Output))
	}
	events := b.History(t, exec)
	exSameLines(t, "history types", servertest.SFNEventTypes(events), []string{
		"ExecutionStarted", "TaskStateEntered",
		"ActivityScheduled", "ActivityStarted", "ActivityTimedOut",
		"ActivityScheduled", "ActivityStarted", "ActivitySucceeded",
		"TaskStateExited", "ExecutionSucceeded",
	})
	if got := aws.ToString(events[4].ActivityTimedOutEventDetails.Error); got != "States.HeartbeatTimeout" {
		t.Errorf("ActivityTimedOut error %q", got)
	}
	if events[6].PreviousEventId != events[5].Id || events[7].PreviousEventId != events[6].Id {
		t.Errorf("second attempt's events point at %d and %d, want %d and %d",
			events[6].PreviousEventId, events[7].PreviousEventId, events[5].Id, events[6].Id)
	}
	if d := events[5].Timestamp.Sub(*events[4].Timestamp); d < 900*time.Millisecond {
		t.Errorf("retry scheduled %v after the timeout, IntervalSeconds is 1", d)
	}
	// The finished second token is spent as well.
	exTokenDead(t, b, tok2)
}

func TestExecutionTaskFailure(t *testing.T) {
	t.Parallel()
	b := setup(t)

	t.Run("caught", func(t *testing.T) {
		t.Parallel()
		act := b.Activity(t)
		sm := b.Machine(t, `{"StartAt":"T","States":{
			"T":{"Type":"Task","Resource":"$ACT","Next":"Unreached",
				"Catch":[{"ErrorEquals":["Other.Error"],"Next":"Unreached"},{"ErrorEquals":["Custom.Bad"],"ResultPath":"$.err","Next":"Handled"}]},
			"Unreached":{"Type":"Fail","Error":"Wrong.Path"},
			"Handled":{"Type":"Pass","End":true}}}`, act)
		exec := b.Start(t, sm, `{"k":1}`)
		tok, _ := b.MustPoll(t, act)
		exFail(t, b, tok, "Custom.Bad", "it broke")
		desc := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
		if !servertest.JSONEqual(t, aws.ToString(desc.Output), `{"k":1,"err":{"Error":"Custom.Bad","Cause":"it broke"}}`) {
			t.Errorf("output %s", aws.ToString(desc.Output))
		}
		events := b.History(t, exec)
		exSameLines(t, "history", exDescribeAll(events)[4:], []string{
			`5<-4 ActivityFailed error=Custom.Bad cause=it broke`,
			`6<-5 TaskStateExited name=T output={"err":{"Cause":"it broke","Error":"Custom.Bad"},"k":1}`,
			`7<-6 PassStateEntered name=Handled input={"err":{"Cause":"it broke","Error":"Custom.Bad"},"k":1}`,
			`8<-7 PassStateExited name=Handled output={"err":{"Cause":"it broke","Error":"Custom.Bad"},"k":1}`,
			`9<-8 ExecutionSucceeded output={"err":{"Cause":"it broke","Error":"Custom.Bad"},"k":1}`,
		})
		exTokenDead(t, b, tok)
	})

	t.Run("uncaught", func(t *testing.T) {
		t.Parallel()
		act := b.Activity(t)
		sm := b.Machine(t, `{"StartAt":"T","States":{
			"T":{"Type":"Task","Resource":"$ACT","End":true,"Catch":[{"ErrorEquals":["Other.Error"],"Next":"X"}]},
			"X":{"Type":"Succeed"}}}`, act)
		exec := b.Start(t, sm, `{}`)
		tok, _ := b.MustPoll(t, act)
		exFail(t, b, tok, "Custom.Bad", "it broke")
		desc := b.WaitStatus(t, exec, types.ExecutionStatusFailed)
		if aws.ToString(desc.Error) != "Custom.Bad" || aws.ToString(desc.Cause) != "it broke" {
			t.Errorf("execution error %q cause %q", aws.ToString(desc.Error), aws.ToString(desc.Cause))
		}
		if desc.Output != nil {
			t.Errorf("failed execution has output %s", *desc.Output)
		}
		exSameLines(t, "history", exDescribeAll(b.History(t, exec)), []string{
			`1<-0 ExecutionStarted input={} role=` + exRole,
			`2<-0 TaskStateEntered name=T input={}`,
			`3<-2 ActivityScheduled resource=` + act + ` input={} timeout=- heartbeat=-`,
			`4<-3 ActivityStarted worker=worker-1`,
			`5<-4 ActivityFailed error=Custom.Bad cause=it broke`,
			`6<-5 ExecutionFailed error=Custom.Bad cause=it broke`,
		})
	})

	t.Run("retried", func(t *testing.T) {
		t.Parallel()
		act := b.Activity(t)
		sm := b.Machine(t, `{"StartAt":"T","States":{
			"T":{"Type":"Task","Resource":"$ACT","End":true,
				"Retry":[{"ErrorEquals":["Custom.Flaky"],"IntervalSeconds":1,"MaxAttempts":2,"BackoffRate":1}]}}}`, act)
		exec := b.Start(t, sm, `{"try":true}`)
		seen := map[string]bool{}
		for i := range 3 {
			tok, in := b.MustPoll(t, act)
			if seen[tok] {
				t.Fatalf("attempt %d reuses an earlier token", i+1)
			}
			seen[tok] = true
			if !servertest.JSONEqual(t, in, `{"try":true}`) {
				t.Errorf("attempt %d input %s", i+1, in)
			}
			if i < 2 {
				exFail(t, b, tok, "Custom.Flaky", fmt.Sprintf("attempt %d", i+1))
			} else {
				exSucceed(t, b, tok, `{"after":3}`)
			}
		}
		desc := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
		if !servertest.JSONEqual(t, aws.ToString(desc.Output), `{"after":3}`) {
			t.Errorf("output %s", aws.ToString(desc.Output))
		}
		exSameLines(t, "history types", servertest.SFNEventTypes(b.History(t, exec)), []string{
			"ExecutionStarted", "TaskStateEntered",
			"ActivityScheduled", "ActivityStarted", "ActivityFailed",
			"ActivityScheduled", "ActivityStarted", "ActivityFailed",
			"ActivityScheduled", "ActivityStarted", "ActivitySucceeded",
			"TaskStateExited", "ExecutionSucceeded",
		})
	})

	t.Run("retries exhausted", func(t *testing.T) {
		t.Parallel()
		act := b.Activity(t)
		sm := b.Machine(t, `{"StartAt":"T","States":{
			"T":{"Type":"Task","Resource":"$ACT","End":true,
				"Retry":[{"ErrorEquals":["Custom.Flaky"],"IntervalSeconds":1,"MaxAttempts":1}]}}}`, act)
		exec := b.Start(t, sm, `{}`)
		for i := range 2 {
			tok, _ := b.MustPoll(t, act)
			exFail(t, b, tok, "Custom.Flaky", fmt.Sprintf("attempt %d", i+1))
		}
		desc := b.WaitStatus(t, exec, types.ExecutionStatusFailed)
		if aws.ToString(desc.Error) != "Custom.Flaky" || aws.ToString(desc.Cause) != "attempt 2" {
			t.Errorf("execution error %q cause %q", aws.ToString(desc.Error), aws.ToString(desc.Cause))
		}
	})
}

func TestExecutionStopWhileTaskHeld(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	sm := b.Machine(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","HeartbeatSeconds":30,"End":true}}}`, act)
	exec := b.Start(t, sm, `{}`)
	tok, _ := b.MustPoll(t, act)
	if _, err := b.Client.SendTaskHeartbeat(b.Ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(tok)}); err != nil {
		t.Fatalf("SendTaskHeartbeat before the stop: %v", err)
	}

	stop, err := b.Client.StopExecution(b.Ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(exec), Error: aws.String("Ops.Stopped"), Cause: aws.String("stopped by the test")})
	if err != nil {
		t.Fatalf("StopExecution: %v", err)
	}
	if stop.StopDate == nil {
		t.Fatal("StopExecution returned no stopDate")
	}
	exTokenDead(t, b, tok)

	desc := b.WaitStatus(t, exec, types.ExecutionStatusAborted)
	if aws.ToString(desc.Error) != "Ops.Stopped" || aws.ToString(desc.Cause) != "stopped by the test" {
		t.Errorf("DescribeExecution error %q cause %q", aws.ToString(desc.Error), aws.ToString(desc.Cause))
	}
	if desc.StopDate == nil || !desc.StopDate.Equal(*stop.StopDate) {
		t.Errorf("DescribeExecution stopDate %v, StopExecution said %v", desc.StopDate, stop.StopDate)
	}
	before := exDescribeAll(b.History(t, exec))
	if last := before[len(before)-1]; last != `6<-5 ExecutionAborted error=Ops.Stopped cause=stopped by the test` {
		t.Errorf("last event %s", last)
	}

	// A second stop changes nothing.
	stop2, err := b.Client.StopExecution(b.Ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(exec), Error: aws.String("Other"), Cause: aws.String("again")})
	if err != nil {
		t.Fatalf("second StopExecution: %v", err)
	}
	if stop2.StopDate == nil || !stop2.StopDate.Equal(*stop.StopDate) {
		t.Errorf("second StopExecution stopDate %v, want the first %v", stop2.StopDate, stop.StopDate)
	}
	desc2 := b.WaitStatus(t, exec, types.ExecutionStatusAborted)
	if aws.ToString(desc2.Error) != "Ops.Stopped" || aws.ToString(desc2.Cause) != "stopped by the test" {
		t.Errorf("after a second stop: error %q cause %q", aws.ToString(desc2.Error), aws.ToString(desc2.Cause))
	}
	exSameLines(t, "history after a second stop", exDescribeAll(b.History(t, exec)), before)
}

func TestExecutionStopDuringWait(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sm := b.Machine(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"P"},"P":{"Type":"Pass","End":true}}}`, "")
	exec := b.Start(t, sm, `{"w":1}`)
	if _, err := b.Client.StopExecution(b.Ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(exec)}); err != nil {
		t.Fatalf("StopExecution: %v", err)
	}
	// A later execution of the same machine waits as long, so once it has
	// finished, the stopped one's Wait timer would have fired too.
	later := b.Start(t, sm, `{"w":2}`)
	b.WaitStatus(t, later, types.ExecutionStatusSucceeded)

	desc := b.WaitStatus(t, exec, types.ExecutionStatusAborted)
	if desc.Error != nil || desc.Cause != nil {
		t.Errorf("stop without error/cause shows error %v cause %v", desc.Error, desc.Cause)
	}
	exSameLines(t, "history types", servertest.SFNEventTypes(b.History(t, exec)), []string{"ExecutionStarted", "WaitStateEntered", "WaitStateAborted", "ExecutionAborted"})
}

func TestExecutionPollWokenByStart(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	sm := b.Machine(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","End":true}}}`, act)

	type polled struct {
		out *sfn.GetActivityTaskOutput
		err error
		at  time.Time
	}
	done := make(chan polled, 1)
	go func() {
		out, err := b.Client.GetActivityTask(b.Ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(act), WorkerName: aws.String("waiter")})
		done <- polled{out, err, time.Now()}
	}()
	exec := b.Start(t, sm, `{"wake":true}`)
	started := time.Now()

	var p polled
	select {
	case p = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("GetActivityTask did not return")
	}
	if p.err != nil {
		t.Fatalf("GetActivityTask: %v", p.err)
	}
	if p.out.TaskToken == nil {
		t.Fatal("the waiting poll ended empty: StartExecution did not wake it")
	}
	if d := p.at.Sub(started); d > 1500*time.Millisecond {
		t.Errorf("poll returned %v after StartExecution; it should be woken at once, not at the end of its wait", d)
	}
	if !servertest.JSONEqual(t, aws.ToString(p.out.Input), `{"wake":true}`) {
		t.Errorf("input %s", aws.ToString(p.out.Input))
	}
	exSucceed(t, b, *p.out.TaskToken, `{"woke":true}`)
	b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
}

func TestExecutionManyTasksManyPollers(t *testing.T) {
	t.Parallel()
	const (
		executions = 1000
		starters   = 16
		pollers    = 32
	)
	b := setup(t)
	act := b.Activity(t)
	sm := b.Machine(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","End":true}}}`, act)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var (
		mu        sync.Mutex
		delivered = map[string]int{}    // task id → times delivered
		worker    = map[string]string{} // task id → worker that finished it
		arns      = map[string]string{} // task id → execution ARN
		errs      []error
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}

	// Pollers run until every task is delivered (or the test gives up).
	pollCtx, stopPolling := context.WithCancel(ctx)
	defer stopPolling()
	var pwg sync.WaitGroup
	for w := range pollers {
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			name := fmt.Sprintf("w%02d", w)
			for pollCtx.Err() == nil {
				out, err := b.Client.GetActivityTask(pollCtx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(act), WorkerName: aws.String(name)})
				if pollCtx.Err() != nil {
					return
				}
				if err != nil {
					fail(fmt.Errorf("%s: GetActivityTask: %w", name, err))
					return
				}
				if out.TaskToken == nil {
					continue
				}
				var in struct {
					ID string `json:"id"`
				}
				if err := json.Unmarshal([]byte(aws.ToString(out.Input)), &in); err != nil || in.ID == "" {
					fail(fmt.Errorf("%s: task input %q", name, aws.ToString(out.Input)))
					return
				}
				mu.Lock()
				delivered[in.ID]++
				worker[in.ID] = name
				n := len(delivered)
				mu.Unlock()
				output := fmt.Sprintf(`{"id":%q,"worker":%q}`, in.ID, name)
				if _, err := b.Client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: out.TaskToken, Output: aws.String(output)}); err != nil {
					fail(fmt.Errorf("%s: SendTaskSuccess: %w", name, err))
					return
				}
				if n == executions {
					stopPolling()
				}
			}
		}()
	}

	// Start the executions from several goroutines.
	ids := make(chan string)
	var swg sync.WaitGroup
	for range starters {
		swg.Add(1)
		go func() {
			defer swg.Done()
			for id := range ids {
				out, err := b.Client.StartExecution(ctx, &sfn.StartExecutionInput{
					StateMachineArn: aws.String(sm), Name: aws.String(id), Input: aws.String(fmt.Sprintf(`{"id":%q}`, id)),
				})
				if err != nil {
					fail(fmt.Errorf("StartExecution %s: %w", id, err))
					continue
				}
				mu.Lock()
				arns[id] = *out.ExecutionArn
				mu.Unlock()
			}
		}()
	}
	for i := range executions {
		ids <- fmt.Sprintf("job-%04d", i)
	}
	close(ids)
	swg.Wait()

	// Wait for the pollers: they stop on the last delivery, on an error, or
	// when the test's deadline passes.
	allDone := make(chan struct{})
	go func() { pwg.Wait(); close(allDone) }()
	select {
	case <-allDone:
	case <-ctx.Done():
	}
	stopPolling()
	<-allDone

	mu.Lock()
	defer mu.Unlock()
	for _, err := range errs {
		t.Error(err)
	}
	if len(arns) != executions {
		t.Fatalf("%d executions started, want %d", len(arns), executions)
	}
	var missing, dup []string
	for i := range executions {
		id := fmt.Sprintf("job-%04d", i)
		switch n := delivered[id]; {
		case n == 0:
			missing = append(missing, id)
		case n > 1:
			dup = append(dup, fmt.Sprintf("%s×%d", id, n))
		}
	}
	if len(missing) > 0 || len(dup) > 0 || len(delivered) != executions {
		t.Fatalf("deliveries: %d distinct tasks; missing %v; delivered more than once %v", len(delivered), missing, dup)
	}

	// Every execution succeeded with its own worker's output.
	var succeeded int
	p := sfn.NewListExecutionsPaginator(b.Client, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm), StatusFilter: types.ExecutionStatusSucceeded, MaxResults: 1000})
	for p.HasMorePages() {
		page, err := p.NextPage(b.Ctx)
		if err != nil {
			t.Fatalf("ListExecutions: %v", err)
		}
		succeeded += len(page.Executions)
	}
	if succeeded != executions {
		t.Fatalf("%d executions SUCCEEDED, want %d", succeeded, executions)
	}
	ids2 := make(chan string)
	var dwg sync.WaitGroup
	var dmu sync.Mutex
	var bad []string
	for range starters {
		dwg.Add(1)
		go func() {
			defer dwg.Done()
			for id := range ids2 {
				out, err := b.Client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arns[id])})
				var msg string
				switch {
				case err != nil:
					msg = fmt.Sprintf("%s: DescribeExecution: %v", id, err)
				case out.Status != types.ExecutionStatusSucceeded:
					msg = fmt.Sprintf("%s: status %s", id, out.Status)
				case exCanon(out.Output) != fmt.Sprintf(`{"id":%q,"worker":%q}`, id, worker[id]):
					msg = fmt.Sprintf("%s: output %s, finished by %s", id, aws.ToString(out.Output), worker[id])
				}
				if msg != "" {
					dmu.Lock()
					bad = append(bad, msg)
					dmu.Unlock()
				}
			}
		}()
	}
	for id := range arns {
		ids2 <- id
	}
	close(ids2)
	dwg.Wait()
	if len(bad) > 0 {
		t.Fatalf("%d executions wrong, e.g. %v", len(bad), bad[:min(len(bad), 5)])
	}
}

func TestExecutionStopBeforePoll(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	sm := b.Machine(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","End":true}}}`, act)
	exec := b.Start(t, sm, `{}`)
	if _, err := b.Client.StopExecution(b.Ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(exec)}); err != nil {
		t.Fatalf("StopExecution: %v", err)
	}
	// The scheduled task died with the execution: nobody gets it.
	if tok, in := b.Poll(t, act); tok != "" {
		t.Fatalf("a stopped execution's task was handed out (input %s)", in)
	}
	exSameLines(t, "history types", servertest.SFNEventTypes(b.History(t, exec)), []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "TaskStateAborted", "ExecutionAborted"})
}

func TestExecutionTimeoutKillsHeldTask(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	sm := b.Machine(t, `{"TimeoutSeconds":1,"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","End":true}}}`, act)
	exec := b.Start(t, sm, `{}`)
	tok, _ := b.MustPoll(t, act)
	b.WaitStatus(t, exec, types.ExecutionStatusTimedOut)
	exTokenDead(t, b, tok)
	events := b.History(t, exec)
	exSameLines(t, "history types", servertest.SFNEventTypes(events), []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ExecutionTimedOut"})
	if got := aws.ToString(events[4].ExecutionTimedOutEventDetails.Error); got != "States.Timeout" {
		t.Errorf("ExecutionTimedOut error %q, want States.Timeout", got)
	}
	if d := events[4].Timestamp.Sub(*events[0].Timestamp); d < 900*time.Millisecond {
		t.Errorf("timed out %v after the start, TimeoutSeconds is 1", d)
	}
}
