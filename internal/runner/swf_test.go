package runner_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/gaffer-dev/gaffer/internal/runner"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// swfEnv is a domain with a workflow type (decisions on tl) and an
// activity type (tasks on atl, no timeouts).
type swfEnv struct {
	*servertest.SWFEnv
	domain, tl, atl string
	wf              *types.WorkflowType
	act             *types.ActivityType
}

func swfSetup(t *testing.T) *swfEnv {
	t.Helper()
	e := &swfEnv{SWFEnv: servertest.InProcess(servertest.Start(t, servertest.Options{})).SWF(),
		domain: servertest.Uniq("d"), tl: servertest.Uniq("decisions"), atl: servertest.Uniq("activities")}
	_, err := e.Client.RegisterDomain(e.Ctx, &swf.RegisterDomainInput{Name: aws.String(e.domain), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
	servertest.OK(t, "RegisterDomain", err)
	e.wf = &types.WorkflowType{Name: aws.String("wf"), Version: aws.String("1")}
	_, err = e.Client.RegisterWorkflowType(e.Ctx, &swf.RegisterWorkflowTypeInput{Domain: aws.String(e.domain), Name: e.wf.Name, Version: e.wf.Version,
		DefaultTaskList: &types.TaskList{Name: aws.String(e.tl)}, DefaultExecutionStartToCloseTimeout: aws.String("300"),
		DefaultTaskStartToCloseTimeout: aws.String("300"), DefaultChildPolicy: types.ChildPolicyTerminate})
	servertest.OK(t, "RegisterWorkflowType", err)
	e.act = &types.ActivityType{Name: aws.String("act"), Version: aws.String("1")}
	_, err = e.Client.RegisterActivityType(e.Ctx, &swf.RegisterActivityTypeInput{Domain: aws.String(e.domain), Name: e.act.Name, Version: e.act.Version,
		DefaultTaskList: &types.TaskList{Name: aws.String(e.atl)}, DefaultTaskHeartbeatTimeout: aws.String("NONE"),
		DefaultTaskScheduleToStartTimeout: aws.String("NONE"), DefaultTaskScheduleToCloseTimeout: aws.String("NONE"), DefaultTaskStartToCloseTimeout: aws.String("NONE")})
	servertest.OK(t, "RegisterActivityType", err)
	return e
}

// decide polls the decision task list tl for a task and answers it with
// ds.
func (e *swfEnv) decide(t *testing.T, tl string, ds ...types.Decision) {
	t.Helper()
	for range 20 {
		out, err := e.Client.PollForDecisionTask(e.Ctx, &swf.PollForDecisionTaskInput{Domain: aws.String(e.domain), TaskList: &types.TaskList{Name: aws.String(tl)}})
		servertest.OK(t, "PollForDecisionTask", err)
		if aws.ToString(out.TaskToken) != "" {
			_, err := e.Client.RespondDecisionTaskCompleted(e.Ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: out.TaskToken, Decisions: ds})
			servertest.OK(t, "RespondDecisionTaskCompleted", err)
			return
		}
	}
	t.Fatal("no decision task")
}

// schedule starts an execution, deciding on a task list of its own (the
// returned tl), whose first decision schedules the activity with input
// and heartbeat timeout hb ("" for the type's NONE).
func (e *swfEnv) schedule(t *testing.T, input, hb string) (we *types.WorkflowExecution, tl string) {
	t.Helper()
	id, tl := servertest.Uniq("wf"), servertest.Uniq("decisions")
	out, err := e.Client.StartWorkflowExecution(e.Ctx, &swf.StartWorkflowExecutionInput{Domain: aws.String(e.domain), WorkflowId: aws.String(id), WorkflowType: e.wf,
		TaskList: &types.TaskList{Name: aws.String(tl)}})
	servertest.OK(t, "StartWorkflowExecution", err)
	attrs := &types.ScheduleActivityTaskDecisionAttributes{ActivityType: e.act, ActivityId: aws.String("a1"), Input: aws.String(input)}
	if hb != "" {
		attrs.HeartbeatTimeout = aws.String(hb)
	}
	e.decide(t, tl, types.Decision{DecisionType: types.DecisionTypeScheduleActivityTask, ScheduleActivityTaskDecisionAttributes: attrs})
	return &types.WorkflowExecution{WorkflowId: aws.String(id), RunId: out.RunId}, tl
}

// event waits until we's history has an event of type typ and returns it.
func (e *swfEnv) event(t *testing.T, we *types.WorkflowExecution, typ types.EventType) types.HistoryEvent {
	t.Helper()
	var found *types.HistoryEvent
	var seen []string
	if !e.Wait.Await(wait, func() bool {
		out, err := e.Client.GetWorkflowExecutionHistory(e.Ctx, &swf.GetWorkflowExecutionHistoryInput{Domain: aws.String(e.domain), Execution: we})
		servertest.OK(t, "GetWorkflowExecutionHistory", err)
		seen = seen[:0]
		for i, ev := range out.Events {
			seen = append(seen, string(ev.EventType))
			if ev.EventType == typ {
				found = &out.Events[i]
			}
		}
		return found != nil
	}) {
		t.Fatalf("no %s in the history within %v: %v", typ, wait, seen)
	}
	return *found
}

func TestSWFSuccessAndFailure(t *testing.T) {
	t.Parallel()
	e := swfSetup(t)
	h := startRunner(t, e.Env, runner.Config{Domain: e.domain, TaskList: e.atl,
		Command: `read x; if [ "$x" = fail ]; then echo bad input >&2; exit 2; fi; echo "$x" | tr a-z A-Z`})

	we, _ := e.schedule(t, "hello", "")
	if res := h.next(t); res.Outcome != "succeeded" {
		t.Fatalf("result %+v", res)
	}
	if got := aws.ToString(e.event(t, we, types.EventTypeActivityTaskCompleted).ActivityTaskCompletedEventAttributes.Result); got != "HELLO\n" {
		t.Fatalf("result %q", got)
	}

	we, _ = e.schedule(t, "fail", "")
	if res := h.next(t); res.Outcome != "failed" || res.ExitCode != 2 {
		t.Fatalf("result %+v", res)
	}
	f := e.event(t, we, types.EventTypeActivityTaskFailed).ActivityTaskFailedEventAttributes
	if aws.ToString(f.Reason) != "Runner.ExitCode2" || !strings.Contains(aws.ToString(f.Details), "bad input") {
		t.Fatalf("failed with %q / %q", aws.ToString(f.Reason), aws.ToString(f.Details))
	}
}

// RequestCancelActivityTask: the next heartbeat says cancelRequested, the
// command is killed, and the task is canceled.
func TestSWFCancel(t *testing.T) {
	t.Parallel()
	e := swfSetup(t)
	h := startRunner(t, e.Env, runner.Config{Domain: e.domain, TaskList: e.atl, Heartbeat: 50 * time.Millisecond,
		Command: `echo halfway >&2; sleep 30`})
	we, tl := e.schedule(t, "", "")
	h.started(t)
	// A signal gives the decider a decision task to cancel the activity with.
	_, err := e.Client.SignalWorkflowExecution(e.Ctx, &swf.SignalWorkflowExecutionInput{Domain: aws.String(e.domain), WorkflowId: we.WorkflowId, RunId: we.RunId, SignalName: aws.String("stop")})
	servertest.OK(t, "SignalWorkflowExecution", err)
	e.decide(t, tl, types.Decision{DecisionType: types.DecisionTypeRequestCancelActivityTask,
		RequestCancelActivityTaskDecisionAttributes: &types.RequestCancelActivityTaskDecisionAttributes{ActivityId: aws.String("a1")}})
	if res := h.next(t); res.Outcome != "canceled" || res.Signal != "SIGTERM" {
		t.Fatalf("result %+v", res)
	}
	c := e.event(t, we, types.EventTypeActivityTaskCanceled).ActivityTaskCanceledEventAttributes
	if d := aws.ToString(c.Details); !strings.Contains(d, "canceled") || !strings.Contains(d, "halfway") {
		t.Fatalf("canceled with details %q", d)
	}
}

// The heartbeat details are the command's last stderr line: a heartbeat
// timeout shows them, once the runner is gone.
func TestSWFHeartbeatDetails(t *testing.T) {
	t.Parallel()
	e := swfSetup(t)
	h := startRunner(t, e.Env, runner.Config{Domain: e.domain, TaskList: e.atl, Heartbeat: 20 * time.Millisecond,
		Command: `echo "step 1" >&2; echo "step 2 of 3" >&2; sleep 30`})
	we, _ := e.schedule(t, "", "1")
	h.started(t)
	if !runner.WaitBeat(h.r, wait, "step 2 of 3") {
		t.Fatal("no heartbeat carried the last stderr line")
	}
	h.cancel()
	if res := h.next(t); res.Outcome != "abandoned" {
		t.Fatalf("result %+v", res)
	}
	to := e.event(t, we, types.EventTypeActivityTaskTimedOut).ActivityTaskTimedOutEventAttributes
	if to.TimeoutType != types.ActivityTaskTimeoutTypeHeartbeat || aws.ToString(to.Details) != "step 2 of 3" {
		t.Fatalf("timed out: %s with details %q", to.TimeoutType, aws.ToString(to.Details))
	}
}
