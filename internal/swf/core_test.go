package swf_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// exWait bounds every wait of these tests: generous, since timing tests
// must not flake; a working server answers within a fraction of it.
const exWait = 20 * time.Second

// exEnv is a server with a domain (retention one day), a workflow type
// with every default (its own decision task list, 5 min execution and
// decision timeouts, TERMINATE) and an activity type with every default
// (its own activity task list, every timeout NONE).
type exEnv struct {
	*bundle
	domain string
	wf     *types.WorkflowType
	act    *types.ActivityType
	tl     string // the workflow type's default decision task list
	atl    string // the activity type's default task list
}

func exSetup(t *testing.T) *exEnv {
	t.Helper()
	b := setup(t)
	e := &exEnv{bundle: b, domain: servertest.Uniq("ex-domain"), tl: servertest.Uniq("ex-decisions"), atl: servertest.Uniq("ex-activities")}
	_, err := b.Client.RegisterDomain(b.Ctx, &swf.RegisterDomainInput{Name: aws.String(e.domain), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
	exOK(t, "RegisterDomain", err)
	e.wf = e.workflowType(t, "wf", "1", e.tl, "300", "300", types.ChildPolicyTerminate)
	e.act = e.activityType(t, "act", "1", e.atl, "NONE", "NONE", "NONE", "NONE")
	return e
}

// workflowType registers a workflow type; empty defaults are left unset.
func (e *exEnv) workflowType(t *testing.T, name, version, taskList, execTimeout, taskTimeout string, childPolicy types.ChildPolicy) *types.WorkflowType {
	t.Helper()
	in := &swf.RegisterWorkflowTypeInput{
		Domain: aws.String(e.domain), Name: aws.String(name), Version: aws.String(version),
		DefaultChildPolicy: childPolicy,
	}
	if taskList != "" {
		in.DefaultTaskList = &types.TaskList{Name: aws.String(taskList)}
	}
	if execTimeout != "" {
		in.DefaultExecutionStartToCloseTimeout = aws.String(execTimeout)
	}
	if taskTimeout != "" {
		in.DefaultTaskStartToCloseTimeout = aws.String(taskTimeout)
	}
	_, err := e.Client.RegisterWorkflowType(e.Ctx, in)
	exOK(t, "RegisterWorkflowType", err)
	return &types.WorkflowType{Name: aws.String(name), Version: aws.String(version)}
}

// activityType registers an activity type; empty defaults are left unset.
func (e *exEnv) activityType(t *testing.T, name, version, taskList, toStart, toClose, startToClose, heartbeat string) *types.ActivityType {
	t.Helper()
	opt := func(v string) *string {
		if v == "" {
			return nil
		}
		return aws.String(v)
	}
	in := &swf.RegisterActivityTypeInput{
		Domain: aws.String(e.domain), Name: aws.String(name), Version: aws.String(version),
		DefaultTaskScheduleToStartTimeout: opt(toStart),
		DefaultTaskScheduleToCloseTimeout: opt(toClose),
		DefaultTaskStartToCloseTimeout:    opt(startToClose),
		DefaultTaskHeartbeatTimeout:       opt(heartbeat),
	}
	if taskList != "" {
		in.DefaultTaskList = &types.TaskList{Name: aws.String(taskList)}
	}
	_, err := e.Client.RegisterActivityType(e.Ctx, in)
	exOK(t, "RegisterActivityType", err)
	return &types.ActivityType{Name: aws.String(name), Version: aws.String(version)}
}

func exOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func exWantCode(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := servertest.ErrorCode(err); got != want {
		t.Fatalf("%s: error %v (code %q), want %s", what, err, got, want)
	}
}

// start starts an execution of e.wf with the type's defaults, after mods.
func (e *exEnv) start(t *testing.T, workflowID string, mods ...func(*swf.StartWorkflowExecutionInput)) *types.WorkflowExecution {
	t.Helper()
	in := &swf.StartWorkflowExecutionInput{Domain: aws.String(e.domain), WorkflowId: aws.String(workflowID), WorkflowType: e.wf}
	for _, m := range mods {
		m(in)
	}
	out, err := e.Client.StartWorkflowExecution(e.Ctx, in)
	exOK(t, "StartWorkflowExecution "+workflowID, err)
	return &types.WorkflowExecution{WorkflowId: aws.String(workflowID), RunId: out.RunId}
}

// pollDecision polls taskList ("" : e.tl) until a decision task comes.
func (e *exEnv) pollDecision(t *testing.T, taskList string) *swf.PollForDecisionTaskOutput {
	t.Helper()
	if taskList == "" {
		taskList = e.tl
	}
	deadline := time.Now().Add(exWait)
	for time.Now().Before(deadline) {
		out, err := e.Client.PollForDecisionTask(e.Ctx, &swf.PollForDecisionTaskInput{
			Domain: aws.String(e.domain), TaskList: &types.TaskList{Name: aws.String(taskList)}, Identity: aws.String("decider-1"),
		})
		exOK(t, "PollForDecisionTask", err)
		if out.TaskToken != nil {
			return out
		}
	}
	t.Fatalf("no decision task on %s within %v", taskList, exWait)
	return nil
}

// pollActivity polls taskList ("" : e.atl) until an activity task comes.
func (e *exEnv) pollActivity(t *testing.T, taskList string) *swf.PollForActivityTaskOutput {
	t.Helper()
	if taskList == "" {
		taskList = e.atl
	}
	deadline := time.Now().Add(exWait)
	for time.Now().Before(deadline) {
		out, err := e.Client.PollForActivityTask(e.Ctx, &swf.PollForActivityTaskInput{
			Domain: aws.String(e.domain), TaskList: &types.TaskList{Name: aws.String(taskList)}, Identity: aws.String("worker-1"),
		})
		exOK(t, "PollForActivityTask", err)
		if out.TaskToken != nil {
			return out
		}
	}
	t.Fatalf("no activity task on %s within %v", taskList, exWait)
	return nil
}

// decide answers a decision task.
func (e *exEnv) decide(t *testing.T, token *string, ds ...types.Decision) {
	t.Helper()
	_, err := e.Client.RespondDecisionTaskCompleted(e.Ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: token, Decisions: ds})
	exOK(t, "RespondDecisionTaskCompleted", err)
}

// history returns an execution's whole history.
func (e *exEnv) history(t *testing.T, we *types.WorkflowExecution) []types.HistoryEvent {
	t.Helper()
	var evs []types.HistoryEvent
	p := swf.NewGetWorkflowExecutionHistoryPaginator(e.Client, &swf.GetWorkflowExecutionHistoryInput{Domain: aws.String(e.domain), Execution: we})
	for p.HasMorePages() {
		out, err := p.NextPage(e.Ctx)
		exOK(t, "GetWorkflowExecutionHistory", err)
		evs = append(evs, out.Events...)
	}
	return evs
}

// waitFor reads we's history until it has n events of eventType, and
// returns it.
func (e *exEnv) waitFor(t *testing.T, we *types.WorkflowExecution, eventType types.EventType, n int) []types.HistoryEvent {
	t.Helper()
	var evs []types.HistoryEvent
	if !e.Wait.Await(exWait, func() bool {
		evs = e.history(t, we)
		return len(exOfType(evs, eventType)) >= n
	}) {
		t.Fatalf("history of %s has no %d× %s within %v: %v", *we.WorkflowId, n, eventType, exWait, exTypes(evs))
	}
	return evs
}

// describe describes an execution.
func (e *exEnv) describe(t *testing.T, we *types.WorkflowExecution) *swf.DescribeWorkflowExecutionOutput {
	t.Helper()
	out, err := e.Client.DescribeWorkflowExecution(e.Ctx, &swf.DescribeWorkflowExecutionInput{Domain: aws.String(e.domain), Execution: we})
	exOK(t, "DescribeWorkflowExecution", err)
	return out
}

// exTypes lists the event types of a history.
func exTypes(evs []types.HistoryEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = string(ev.EventType)
	}
	return out
}

func exOfType(evs []types.HistoryEvent, eventType types.EventType) []types.HistoryEvent {
	var out []types.HistoryEvent
	for _, ev := range evs {
		if ev.EventType == eventType {
			out = append(out, ev)
		}
	}
	return out
}

// exLast returns the last event of eventType.
func exLast(t *testing.T, evs []types.HistoryEvent, eventType types.EventType) types.HistoryEvent {
	t.Helper()
	all := exOfType(evs, eventType)
	if len(all) == 0 {
		t.Fatalf("history has no %s: %v", eventType, exTypes(evs))
	}
	return all[len(all)-1]
}

// exWantTypes checks a history's event types, in order, and that event
// ids count from 1.
func exWantTypes(t *testing.T, evs []types.HistoryEvent, want ...string) {
	t.Helper()
	if got := exTypes(evs); !slices.Equal(got, want) {
		t.Fatalf("history:\n got %v\nwant %v", got, want)
	}
	for i, ev := range evs {
		if ev.EventId != int64(i+1) {
			t.Fatalf("event %d has id %d", i+1, ev.EventId)
		}
		if ev.EventTimestamp == nil || ev.EventTimestamp.IsZero() {
			t.Fatalf("event %d has no timestamp", i+1)
		}
	}
}

func exEq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// exJoin formats its arguments separated by spaces.
func exJoin(args ...any) string { return strings.TrimSuffix(fmt.Sprintln(args...), "\n") }

func exStr(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// Decision builders.

func exSchedule(act *types.ActivityType, id, input string) types.Decision {
	return types.Decision{
		DecisionType: types.DecisionTypeScheduleActivityTask,
		ScheduleActivityTaskDecisionAttributes: &types.ScheduleActivityTaskDecisionAttributes{
			ActivityType: act, ActivityId: aws.String(id), Input: aws.String(input),
		},
	}
}

func exComplete(result string) types.Decision {
	return types.Decision{
		DecisionType: types.DecisionTypeCompleteWorkflowExecution,
		CompleteWorkflowExecutionDecisionAttributes: &types.CompleteWorkflowExecutionDecisionAttributes{Result: aws.String(result)},
	}
}

func exStartTimer(id, seconds string) types.Decision {
	return types.Decision{
		DecisionType:                 types.DecisionTypeStartTimer,
		StartTimerDecisionAttributes: &types.StartTimerDecisionAttributes{TimerId: aws.String(id), StartToFireTimeout: aws.String(seconds)},
	}
}

func exCancelTimer(id string) types.Decision {
	return types.Decision{
		DecisionType:                  types.DecisionTypeCancelTimer,
		CancelTimerDecisionAttributes: &types.CancelTimerDecisionAttributes{TimerId: aws.String(id)},
	}
}

func exRequestCancelActivity(id string) types.Decision {
	return types.Decision{
		DecisionType: types.DecisionTypeRequestCancelActivityTask,
		RequestCancelActivityTaskDecisionAttributes: &types.RequestCancelActivityTaskDecisionAttributes{ActivityId: aws.String(id)},
	}
}

func (e *exEnv) signal(t *testing.T, we *types.WorkflowExecution, name, input string) {
	t.Helper()
	_, err := e.Client.SignalWorkflowExecution(e.Ctx, &swf.SignalWorkflowExecutionInput{
		Domain: aws.String(e.domain), WorkflowId: we.WorkflowId, RunId: we.RunId, SignalName: aws.String(name), Input: aws.String(input),
	})
	exOK(t, "SignalWorkflowExecution", err)
}

// exPost sends one unsigned raw SWF request and returns the status and
// body.
func exPost(t *testing.T, b *bundle, op, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(b.Ctx, http.MethodPost, b.Srv.URL()+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "SimpleWorkflowService."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(data)
}

// TestExEndToEnd runs a two-step workflow with a decider goroutine and an
// activity worker goroutine, and checks the exact history.
func TestExEndToEnd(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	we := e.start(t, "order-1", func(in *swf.StartWorkflowExecutionInput) { in.Input = aws.String("x") })

	ctx, cancel := context.WithCancel(e.Ctx)
	defer cancel()
	errs := make(chan error, 2)
	var prevStarted []int64
	deciderDone := make(chan struct{})
	go func() { // the decider
		defer close(deciderDone)
		for ctx.Err() == nil {
			task, err := e.Client.PollForDecisionTask(ctx, &swf.PollForDecisionTaskInput{
				Domain: aws.String(e.domain), TaskList: &types.TaskList{Name: aws.String(e.tl)}, Identity: aws.String("decider-1"),
			})
			if err != nil {
				if ctx.Err() == nil {
					errs <- fmt.Errorf("PollForDecisionTask: %w", err)
				}
				return
			}
			if task.TaskToken == nil {
				continue
			}
			prevStarted = append(prevStarted, task.PreviousStartedEventId)
			if got := task.Events[len(task.Events)-1]; got.EventType != types.EventTypeDecisionTaskStarted || got.EventId != task.StartedEventId {
				errs <- fmt.Errorf("decision task's last event %s %d, startedEventId %d", got.EventType, got.EventId, task.StartedEventId)
				return
			}
			var d types.Decision
			done := exOfType(task.Events, types.EventTypeActivityTaskCompleted)
			switch len(done) {
			case 0:
				d = exSchedule(e.act, "step-1", *task.Events[0].WorkflowExecutionStartedEventAttributes.Input+"1")
			case 1:
				d = exSchedule(e.act, "step-2", *done[0].ActivityTaskCompletedEventAttributes.Result+"2")
			default:
				d = exComplete(*done[1].ActivityTaskCompletedEventAttributes.Result)
			}
			if _, err := e.Client.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{
				TaskToken: task.TaskToken, Decisions: []types.Decision{d}, ExecutionContext: aws.String(fmt.Sprintf("ctx-%d", len(done))),
			}); err != nil {
				errs <- fmt.Errorf("RespondDecisionTaskCompleted: %w", err)
				return
			}
		}
	}()
	go func() { // the worker: appends "!" to its input
		for ctx.Err() == nil {
			task, err := e.Client.PollForActivityTask(ctx, &swf.PollForActivityTaskInput{
				Domain: aws.String(e.domain), TaskList: &types.TaskList{Name: aws.String(e.atl)}, Identity: aws.String("worker-1"),
			})
			if err != nil {
				if ctx.Err() == nil {
					errs <- fmt.Errorf("PollForActivityTask: %w", err)
				}
				return
			}
			if task.TaskToken == nil {
				continue
			}
			if *task.WorkflowExecution.RunId != *we.RunId || *task.ActivityType.Name != "act" || task.StartedEventId == 0 {
				errs <- fmt.Errorf("activity task %+v", task)
				return
			}
			if _, err := e.Client.RespondActivityTaskCompleted(ctx, &swf.RespondActivityTaskCompletedInput{
				TaskToken: task.TaskToken, Result: aws.String(*task.Input + "!"),
			}); err != nil {
				errs <- fmt.Errorf("RespondActivityTaskCompleted: %w", err)
				return
			}
		}
	}()

	// The decider and worker above do the work; this re-reads after each
	// commit, and stops at their first error.
	var failed error
	if !e.Wait.Await(exWait, func() bool {
		select {
		case failed = <-errs:
			return true
		default:
		}
		return e.describe(t, we).ExecutionInfo.ExecutionStatus == types.ExecutionStatusClosed
	}) {
		select {
		case err := <-errs: // no commit after it woke the wait
			t.Fatal(err)
		default:
		}
		t.Fatalf("execution not closed within %v: %v", exWait, exTypes(e.history(t, we)))
	}
	if failed != nil {
		t.Fatal(failed)
	}
	cancel()
	<-deciderDone

	evs := e.history(t, we)
	exWantTypes(t, evs,
		"WorkflowExecutionStarted", "DecisionTaskScheduled", "DecisionTaskStarted", "DecisionTaskCompleted",
		"ActivityTaskScheduled", "ActivityTaskStarted", "ActivityTaskCompleted",
		"DecisionTaskScheduled", "DecisionTaskStarted", "DecisionTaskCompleted",
		"ActivityTaskScheduled", "ActivityTaskStarted", "ActivityTaskCompleted",
		"DecisionTaskScheduled", "DecisionTaskStarted", "DecisionTaskCompleted",
		"WorkflowExecutionCompleted")

	started := evs[0].WorkflowExecutionStartedEventAttributes
	exEq(t, "started.input", exStr(started.Input), "x")
	exEq(t, "started.taskList", exStr(started.TaskList.Name), e.tl)
	exEq(t, "started.childPolicy", started.ChildPolicy, types.ChildPolicyTerminate)
	exEq(t, "started.executionStartToCloseTimeout", exStr(started.ExecutionStartToCloseTimeout), "300")
	exEq(t, "started.taskStartToCloseTimeout", exStr(started.TaskStartToCloseTimeout), "300")
	exEq(t, "started.workflowType", *started.WorkflowType.Name+"/"+*started.WorkflowType.Version, "wf/1")

	exEq(t, "DecisionTaskScheduled.taskList", exStr(evs[1].DecisionTaskScheduledEventAttributes.TaskList.Name), e.tl)
	exEq(t, "DecisionTaskScheduled.startToCloseTimeout", exStr(evs[1].DecisionTaskScheduledEventAttributes.StartToCloseTimeout), "300")
	exEq(t, "DecisionTaskStarted.scheduledEventId", evs[2].DecisionTaskStartedEventAttributes.ScheduledEventId, 2)
	exEq(t, "DecisionTaskStarted.identity", exStr(evs[2].DecisionTaskStartedEventAttributes.Identity), "decider-1")
	dc := evs[3].DecisionTaskCompletedEventAttributes
	exEq(t, "DecisionTaskCompleted ids", exJoin(dc.ScheduledEventId, dc.StartedEventId), "2 3")
	exEq(t, "DecisionTaskCompleted.executionContext", exStr(dc.ExecutionContext), "ctx-0")

	sched := evs[4].ActivityTaskScheduledEventAttributes
	exEq(t, "ActivityTaskScheduled.activityId", exStr(sched.ActivityId), "step-1")
	exEq(t, "ActivityTaskScheduled.input", exStr(sched.Input), "x1")
	exEq(t, "ActivityTaskScheduled.taskList", exStr(sched.TaskList.Name), e.atl)
	exEq(t, "ActivityTaskScheduled.decisionTaskCompletedEventId", sched.DecisionTaskCompletedEventId, 4)
	for what, v := range map[string]*string{
		"scheduleToStartTimeout": sched.ScheduleToStartTimeout, "scheduleToCloseTimeout": sched.ScheduleToCloseTimeout,
		"startToCloseTimeout": sched.StartToCloseTimeout, "heartbeatTimeout": sched.HeartbeatTimeout,
	} {
		exEq(t, "ActivityTaskScheduled."+what, exStr(v), "NONE")
	}
	exEq(t, "ActivityTaskStarted.scheduledEventId", evs[5].ActivityTaskStartedEventAttributes.ScheduledEventId, 5)
	exEq(t, "ActivityTaskStarted.identity", exStr(evs[5].ActivityTaskStartedEventAttributes.Identity), "worker-1")
	ac := evs[6].ActivityTaskCompletedEventAttributes
	exEq(t, "ActivityTaskCompleted", exJoin(exStr(ac.Result), ac.ScheduledEventId, ac.StartedEventId), "x1! 5 6")
	ac = evs[12].ActivityTaskCompletedEventAttributes
	exEq(t, "second ActivityTaskCompleted", exJoin(exStr(ac.Result), ac.ScheduledEventId, ac.StartedEventId), "x1!2! 11 12")
	wc := evs[16].WorkflowExecutionCompletedEventAttributes
	exEq(t, "WorkflowExecutionCompleted", exJoin(exStr(wc.Result), wc.DecisionTaskCompletedEventId), "x1!2! 16")
	exEq(t, "previousStartedEventIds", exJoin(prevStarted), "[0 3 9]")

	d := e.describe(t, we)
	exEq(t, "closeStatus", d.ExecutionInfo.CloseStatus, types.CloseStatusCompleted)
	exEq(t, "latestExecutionContext", exStr(d.LatestExecutionContext), "ctx-2")
	exEq(t, "openCounts", fmt.Sprintf("%+v", *d.OpenCounts), fmt.Sprintf("%+v", types.WorkflowExecutionOpenCounts{}))
}

// TestExOpenCounts checks DescribeWorkflowExecution's counts of open work.
func TestExOpenCounts(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	we := e.start(t, "counts")
	c := e.describe(t, we).OpenCounts
	exEq(t, "open decision tasks at start", c.OpenDecisionTasks, 1)
	task := e.pollDecision(t, "")
	e.decide(t, task.TaskToken, exSchedule(e.act, "a1", ""), exSchedule(e.act, "a2", ""), exStartTimer("t1", "600"),
		types.Decision{DecisionType: types.DecisionTypeStartChildWorkflowExecution, StartChildWorkflowExecutionDecisionAttributes: &types.StartChildWorkflowExecutionDecisionAttributes{
			WorkflowType: e.wf, WorkflowId: aws.String("counts-child"), TaskList: &types.TaskList{Name: aws.String(servertest.Uniq("child-tl"))},
		}})
	c = e.describe(t, we).OpenCounts
	exEq(t, "open counts", exJoin(c.OpenActivityTasks, c.OpenDecisionTasks, c.OpenTimers, c.OpenChildWorkflowExecutions), "2 1 1 1")
}

// TestExActivityFailed: a worker's failure reaches the decider, which fails
// the workflow.
func TestExActivityFailed(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	we := e.start(t, "fails")
	e.decide(t, e.pollDecision(t, "").TaskToken, exSchedule(e.act, "a", "in"))
	task := e.pollActivity(t, "")
	_, err := e.Client.RespondActivityTaskFailed(e.Ctx, &swf.RespondActivityTaskFailedInput{TaskToken: task.TaskToken, Reason: aws.String("boom"), Details: aws.String("stack")})
	exOK(t, "RespondActivityTaskFailed", err)
	dt := e.pollDecision(t, "")
	exEq(t, "previousStartedEventId", dt.PreviousStartedEventId, 3)
	e.decide(t, dt.TaskToken, types.Decision{
		DecisionType:                            types.DecisionTypeFailWorkflowExecution,
		FailWorkflowExecutionDecisionAttributes: &types.FailWorkflowExecutionDecisionAttributes{Reason: aws.String("activity failed"), Details: aws.String("d")},
	})
	evs := e.history(t, we)
	exWantTypes(t, evs, "WorkflowExecutionStarted", "DecisionTaskScheduled", "DecisionTaskStarted", "DecisionTaskCompleted",
		"ActivityTaskScheduled", "ActivityTaskStarted", "ActivityTaskFailed",
		"DecisionTaskScheduled", "DecisionTaskStarted", "DecisionTaskCompleted", "WorkflowExecutionFailed")
	f := evs[6].ActivityTaskFailedEventAttributes
	exEq(t, "ActivityTaskFailed", exJoin(exStr(f.Reason), exStr(f.Details), f.ScheduledEventId, f.StartedEventId), "boom stack 5 6")
	wf := evs[10].WorkflowExecutionFailedEventAttributes
	exEq(t, "WorkflowExecutionFailed", exJoin(exStr(wf.Reason), exStr(wf.Details), wf.DecisionTaskCompletedEventId), "activity failed d 10")
	exEq(t, "closeStatus", e.describe(t, we).ExecutionInfo.CloseStatus, types.CloseStatusFailed)
}

// TestExActivityTimeouts checks each of the four activity timeouts: the
// ActivityTaskTimedOut event, its details, the decision task that follows,
// and the dead token.
func TestExActivityTimeouts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind                          types.ActivityTaskTimeoutType
		toStart, toClose, start, beat string
		poll, heartbeat               bool
		wantStarted                   bool
	}{
		{kind: types.ActivityTaskTimeoutTypeScheduleToStart, toStart: "1", toClose: "NONE", start: "NONE", beat: "NONE"},
		{kind: types.ActivityTaskTimeoutTypeScheduleToClose, toStart: "NONE", toClose: "2", start: "NONE", beat: "NONE", poll: true, wantStarted: true},
		{kind: types.ActivityTaskTimeoutTypeStartToClose, toStart: "NONE", toClose: "NONE", start: "1", beat: "NONE", poll: true, wantStarted: true},
		{kind: types.ActivityTaskTimeoutTypeHeartbeat, toStart: "NONE", toClose: "NONE", start: "NONE", beat: "1", poll: true, heartbeat: true, wantStarted: true},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			t.Parallel()
			e := exSetup(t)
			we := e.start(t, "timeouts")
			e.decide(t, e.pollDecision(t, "").TaskToken, types.Decision{
				DecisionType: types.DecisionTypeScheduleActivityTask,
				ScheduleActivityTaskDecisionAttributes: &types.ScheduleActivityTaskDecisionAttributes{
					ActivityType: e.act, ActivityId: aws.String("a"),
					ScheduleToStartTimeout: aws.String(tc.toStart), ScheduleToCloseTimeout: aws.String(tc.toClose),
					StartToCloseTimeout: aws.String(tc.start), HeartbeatTimeout: aws.String(tc.beat),
				},
			})
			var token *string
			if tc.poll {
				token = e.pollActivity(t, "").TaskToken
			}
			if tc.heartbeat {
				out, err := e.Client.RecordActivityTaskHeartbeat(e.Ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: token, Details: aws.String("50%")})
				exOK(t, "RecordActivityTaskHeartbeat", err)
				exEq(t, "cancelRequested", out.CancelRequested, false)
			}
			evs := e.waitFor(t, we, types.EventTypeActivityTaskTimedOut, 1)
			to := exLast(t, evs, types.EventTypeActivityTaskTimedOut)
			a := to.ActivityTaskTimedOutEventAttributes
			exEq(t, "timeoutType", a.TimeoutType, tc.kind)
			exEq(t, "scheduledEventId", a.ScheduledEventId, 5)
			if tc.wantStarted {
				exEq(t, "startedEventId", a.StartedEventId, 6)
			} else {
				exEq(t, "startedEventId", a.StartedEventId, 0)
			}
			if tc.heartbeat {
				exEq(t, "details", exStr(a.Details), "50%")
			}
			evs = e.waitFor(t, we, types.EventTypeDecisionTaskScheduled, 2)
			exEq(t, "event after the time-out", evs[to.EventId].EventType, types.EventTypeDecisionTaskScheduled)
			if token != nil {
				_, err := e.Client.RespondActivityTaskCompleted(e.Ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: token})
				exWantCode(t, "RespondActivityTaskCompleted after time-out", err, "UnknownResourceFault")
				_, err = e.Client.RecordActivityTaskHeartbeat(e.Ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: token})
				exWantCode(t, "RecordActivityTaskHeartbeat after time-out", err, "UnknownResourceFault")
			}
			exEq(t, "open activities", e.describe(t, we).OpenCounts.OpenActivityTasks, 0)
		})
	}
}

// TestExDecisionTaskTimeout: a decision task not answered in time gets
// DecisionTaskTimedOut and a new decision task; the old token is dead.
func TestExDecisionTaskTimeout(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	we := e.start(t, "slow-decider", func(in *swf.StartWorkflowExecutionInput) { in.TaskStartToCloseTimeout = aws.String("1") })
	first := e.pollDecision(t, "")
	evs := e.waitFor(t, we, types.EventTypeDecisionTaskTimedOut, 1)
	exWantTypes(t, evs[:5], "WorkflowExecutionStarted", "DecisionTaskScheduled", "DecisionTaskStarted", "DecisionTaskTimedOut", "DecisionTaskScheduled")
	to := evs[3].DecisionTaskTimedOutEventAttributes
	exEq(t, "DecisionTaskTimedOut", exJoin(to.TimeoutType, to.ScheduledEventId, to.StartedEventId), "START_TO_CLOSE 2 3")
	_, err := e.Client.RespondDecisionTaskCompleted(e.Ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: first.TaskToken})
	exWantCode(t, "RespondDecisionTaskCompleted after time-out", err, "UnknownResourceFault")
	second := e.pollDecision(t, "")
	exEq(t, "second startedEventId", second.StartedEventId, 6)
	exEq(t, "second previousStartedEventId", second.PreviousStartedEventId, 0)
	e.decide(t, second.TaskToken, exComplete("ok"))
	exEq(t, "closeStatus", e.describe(t, we).ExecutionInfo.CloseStatus, types.CloseStatusCompleted)
}

// TestExActivityCancel: RequestCancelActivityTask reaches a started task
// through its heartbeat; the worker acknowledges with
// RespondActivityTaskCanceled.
func TestExActivityCancel(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	we := e.start(t, "cancel-activity")
	e.decide(t, e.pollDecision(t, "").TaskToken, exSchedule(e.act, "long", ""))
	task := e.pollActivity(t, "")
	hb, err := e.Client.RecordActivityTaskHeartbeat(e.Ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: task.TaskToken})
	exOK(t, "RecordActivityTaskHeartbeat", err)
	exEq(t, "cancelRequested before", hb.CancelRequested, false)

	e.signal(t, we, "stop", "") // gives the decider a decision task
	e.decide(t, e.pollDecision(t, "").TaskToken, exRequestCancelActivity("long"))
	hb, err = e.Client.RecordActivityTaskHeartbeat(e.Ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: task.TaskToken})
	exOK(t, "RecordActivityTaskHeartbeat", err)
	exEq(t, "cancelRequested after", hb.CancelRequested, true)
	_, err = e.Client.RespondActivityTaskCanceled(e.Ctx, &swf.RespondActivityTaskCanceledInput{TaskToken: task.TaskToken, Details: aws.String("cleaned up")})
	exOK(t, "RespondActivityTaskCanceled", err)
	_, err = e.Client.RespondActivityTaskCanceled(e.Ctx, &swf.RespondActivityTaskCanceledInput{TaskToken: task.TaskToken})
	exWantCode(t, "second RespondActivityTaskCanceled", err, "UnknownResourceFault")

	evs := e.history(t, we)
	exWantTypes(t, evs, "WorkflowExecutionStarted", "DecisionTaskScheduled", "DecisionTaskStarted", "DecisionTaskCompleted",
		"ActivityTaskScheduled", "ActivityTaskStarted", "WorkflowExecutionSignaled",
		"DecisionTaskScheduled", "DecisionTaskStarted", "DecisionTaskCompleted", "ActivityTaskCancelRequested",
		"ActivityTaskCanceled", "DecisionTaskScheduled")
	cr := evs[10].ActivityTaskCancelRequestedEventAttributes
	exEq(t, "ActivityTaskCancelRequested", exJoin(exStr(cr.ActivityId), cr.DecisionTaskCompletedEventId), "long 10")
	c := evs[11].ActivityTaskCanceledEventAttributes
	exEq(t, "ActivityTaskCanceled", exJoin(exStr(c.Details), c.ScheduledEventId, c.StartedEventId, c.LatestCancelRequestedEventId), "cleaned up 5 6 11")
}

// TestExCancelUnstartedActivity: a task nobody polled yet is canceled at
// once.
func TestExCancelUnstartedActivity(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	we := e.start(t, "cancel-unstarted")
	e.decide(t, e.pollDecision(t, "").TaskToken, exSchedule(e.act, "a", ""), exRequestCancelActivity("a"))
	evs := e.history(t, we)
	exWantTypes(t, evs, "WorkflowExecutionStarted", "DecisionTaskScheduled", "DecisionTaskStarted", "DecisionTaskCompleted",
		"ActivityTaskScheduled", "ActivityTaskCancelRequested", "ActivityTaskCanceled", "DecisionTaskScheduled")
	c := evs[6].ActivityTaskCanceledEventAttributes
	exEq(t, "ActivityTaskCanceled", exJoin(c.ScheduledEventId, c.StartedEventId, c.LatestCancelRequestedEventId), "5 0 6")
	out, err := e.Client.CountPendingActivityTasks(e.Ctx, &swf.CountPendingActivityTasksInput{Domain: aws.String(e.domain), TaskList: &types.TaskList{Name: aws.String(e.atl)}})
	exOK(t, "CountPendingActivityTasks", err)
	exEq(t, "pending activity tasks", out.Count, 0)
}

// TestExSignals: signals join a scheduled decision task, reach a started
// one's successor, and need an open run.
func TestExSignals(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	we := e.start(t, "signals")
	e.signal(t, we, "s1", "one") // joins the first decision task
	task := e.pollDecision(t, "")
	exEq(t, "events in first task", exJoin(exTypes(task.Events)), "[WorkflowExecutionStarted DecisionTaskScheduled WorkflowExecutionSignaled DecisionTaskStarted]")
	_, err := e.Client.SignalWorkflowExecution(e.Ctx, &swf.SignalWorkflowExecutionInput{ // no runId: the open run
		Domain: aws.String(e.domain), WorkflowId: we.WorkflowId, SignalName: aws.String("s2"),
	})
	exOK(t, "SignalWorkflowExecution without runId", err)
	e.decide(t, task.TaskToken)
	task = e.pollDecision(t, "")
	exEq(t, "events in second task", exJoin(exTypes(task.Events[4:])), "[WorkflowExecutionSignaled DecisionTaskCompleted DecisionTaskScheduled DecisionTaskStarted]")
	s := task.Events[4].WorkflowExecutionSignaledEventAttributes
	exEq(t, "signal", exJoin(exStr(s.SignalName), s.Input == nil, s.ExternalWorkflowExecution == nil), "s2 true true")
	s = task.Events[2].WorkflowExecutionSignaledEventAttributes
	exEq(t, "signal", exJoin(exStr(s.SignalName), exStr(s.Input)), "s1 one")
	e.decide(t, task.TaskToken, exComplete(""))

	_, err = e.Client.SignalWorkflowExecution(e.Ctx, &swf.SignalWorkflowExecutionInput{
		Domain: aws.String(e.domain), WorkflowId: we.WorkflowId, RunId: we.RunId, SignalName: aws.String("late"),
	})
	exWantCode(t, "signal a closed run", err, "UnknownResourceFault")
	_, err = e.Client.SignalWorkflowExecution(e.Ctx, &swf.SignalWorkflowExecutionInput{
		Domain: aws.String(e.domain), WorkflowId: aws.String("nobody"), SignalName: aws.String("x"),
	})
	exWantCode(t, "signal an unknown workflow", err, "UnknownResourceFault")
	_, err = e.Client.SignalWorkflowExecution(e.Ctx, &swf.SignalWorkflowExecutionInput{
		Domain: aws.String("no-such-domain"), WorkflowId: we.WorkflowId, SignalName: aws.String("x"),
	})
	exWantCode(t, "signal in an unknown domain", err, "UnknownResourceFault")
}

// TestExTimers: a timer fires; another is canceled; ids in use and unknown
// ids fail the decisions.
func TestExTimers(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	we := e.start(t, "timers")
	e.decide(t, e.pollDecision(t, "").TaskToken, exStartTimer("short", "1"), exStartTimer("long", "600"), exStartTimer("long", "5"))
	task := e.pollDecision(t, "")
	evs := task.Events
	exWantTypes(t, evs, "WorkflowExecutionStarted", "DecisionTaskScheduled", "DecisionTaskStarted", "DecisionTaskCompleted",
		"TimerStarted", "TimerStarted", "StartTimerFailed", "DecisionTaskScheduled", "DecisionTaskStarted")
	ts := evs[4].TimerStartedEventAttributes
	exEq(t, "TimerStarted", exJoin(exStr(ts.TimerId), exStr(ts.StartToFireTimeout), ts.DecisionTaskCompletedEventId), "short 1 4")
	f := evs[6].StartTimerFailedEventAttributes
	exEq(t, "StartTimerFailed", exJoin(exStr(f.TimerId), f.Cause, f.DecisionTaskCompletedEventId), "long TIMER_ID_ALREADY_IN_USE 4")
	e.decide(t, task.TaskToken) // acknowledge the failure

	task = e.pollDecision(t, "")
	fired := exLast(t, task.Events, types.EventTypeTimerFired).TimerFiredEventAttributes
	exEq(t, "TimerFired", exJoin(exStr(fired.TimerId), fired.StartedEventId), "short 5")
	e.decide(t, task.TaskToken, exCancelTimer("long"), exCancelTimer("short"), exStartTimer("short", "600"))
	evs = e.history(t, we)
	n := len(evs)
	exEq(t, "after cancel", exJoin(exTypes(evs[n-5:])), "[DecisionTaskCompleted TimerCanceled CancelTimerFailed TimerStarted DecisionTaskScheduled]")
	c := evs[n-4].TimerCanceledEventAttributes
	exEq(t, "TimerCanceled", exJoin(exStr(c.TimerId), c.StartedEventId, c.DecisionTaskCompletedEventId), exJoin("long", 6, evs[n-5].EventId))
	cf := evs[n-3].CancelTimerFailedEventAttributes
	exEq(t, "CancelTimerFailed", exJoin(exStr(cf.TimerId), cf.Cause), "short TIMER_ID_UNKNOWN")
	exEq(t, "open timers", e.describe(t, we).OpenCounts.OpenTimers, 1)
}

// TestExTokensRefused: every way an attempt ends kills its token.
func TestExTokensRefused(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	we := e.start(t, "tokens")
	dt := e.pollDecision(t, "")
	e.decide(t, dt.TaskToken, exSchedule(e.act, "a1", ""), exSchedule(e.act, "a2", ""), exSchedule(e.act, "a3", ""), exSchedule(e.act, "a4", ""))
	_, err := e.Client.RespondDecisionTaskCompleted(e.Ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: dt.TaskToken})
	exWantCode(t, "decision token used twice", err, "UnknownResourceFault")

	t1, t2, t3, t4 := e.pollActivity(t, ""), e.pollActivity(t, ""), e.pollActivity(t, ""), e.pollActivity(t, "")
	// A token of the other kind of task is unknown to the operation.
	_, err = e.Client.RespondDecisionTaskCompleted(e.Ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: t1.TaskToken})
	exWantCode(t, "activity token to RespondDecisionTaskCompleted", err, "UnknownResourceFault")

	_, err = e.Client.RespondActivityTaskCompleted(e.Ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: t1.TaskToken})
	exOK(t, "RespondActivityTaskCompleted", err)
	_, err = e.Client.RespondActivityTaskFailed(e.Ctx, &swf.RespondActivityTaskFailedInput{TaskToken: t2.TaskToken})
	exOK(t, "RespondActivityTaskFailed", err)
	_, err = e.Client.RespondActivityTaskCanceled(e.Ctx, &swf.RespondActivityTaskCanceledInput{TaskToken: t3.TaskToken})
	exOK(t, "RespondActivityTaskCanceled", err)
	for _, tok := range []*string{t1.TaskToken, t2.TaskToken, t3.TaskToken} {
		_, err = e.Client.RespondActivityTaskCompleted(e.Ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: tok})
		exWantCode(t, "RespondActivityTaskCompleted on an ended task", err, "UnknownResourceFault")
		_, err = e.Client.RespondActivityTaskFailed(e.Ctx, &swf.RespondActivityTaskFailedInput{TaskToken: tok})
		exWantCode(t, "RespondActivityTaskFailed on an ended task", err, "UnknownResourceFault")
		_, err = e.Client.RecordActivityTaskHeartbeat(e.Ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: tok})
		exWantCode(t, "RecordActivityTaskHeartbeat on an ended task", err, "UnknownResourceFault")
	}
	dt = e.pollDecision(t, "")
	_, err = e.Client.RespondActivityTaskCompleted(e.Ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: dt.TaskToken})
	exWantCode(t, "decision token to RespondActivityTaskCompleted", err, "UnknownResourceFault")
	_, err = e.Client.RespondActivityTaskFailed(e.Ctx, &swf.RespondActivityTaskFailedInput{TaskToken: dt.TaskToken})
	exWantCode(t, "decision token to RespondActivityTaskFailed", err, "UnknownResourceFault")
	_, err = e.Client.RecordActivityTaskHeartbeat(e.Ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: dt.TaskToken})
	exWantCode(t, "decision token to RecordActivityTaskHeartbeat", err, "UnknownResourceFault")

	// Terminating the execution kills the open tokens.
	_, err = e.Client.TerminateWorkflowExecution(e.Ctx, &swf.TerminateWorkflowExecutionInput{Domain: aws.String(e.domain), WorkflowId: we.WorkflowId})
	exOK(t, "TerminateWorkflowExecution", err)
	_, err = e.Client.RecordActivityTaskHeartbeat(e.Ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: t4.TaskToken})
	exWantCode(t, "heartbeat after terminate", err, "UnknownResourceFault")
	_, err = e.Client.RespondActivityTaskCompleted(e.Ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: t4.TaskToken})
	exWantCode(t, "complete after terminate", err, "UnknownResourceFault")
	_, err = e.Client.RespondDecisionTaskCompleted(e.Ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: dt.TaskToken})
	exWantCode(t, "decide after terminate", err, "UnknownResourceFault")
	_, err = e.Client.RespondActivityTaskCompleted(e.Ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: aws.String("not-a-token")})
	exWantCode(t, "forged token", err, "ValidationException")

	evs := e.history(t, we)
	exEq(t, "last event", evs[len(evs)-1].EventType, types.EventTypeWorkflowExecutionTerminated)
	term := evs[len(evs)-1].WorkflowExecutionTerminatedEventAttributes
	exEq(t, "WorkflowExecutionTerminated", exJoin(term.ChildPolicy, term.Cause), "TERMINATE OPERATOR_INITIATED")
}

// TestExStartFaults: the faults of StartWorkflowExecution, and reuse of a
// workflowId once its run closed.
func TestExStartFaults(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	we := e.start(t, "once")
	start := func(mods ...func(*swf.StartWorkflowExecutionInput)) error {
		in := &swf.StartWorkflowExecutionInput{Domain: aws.String(e.domain), WorkflowId: aws.String("other"), WorkflowType: e.wf}
		for _, m := range mods {
			m(in)
		}
		_, err := e.Client.StartWorkflowExecution(e.Ctx, in)
		return err
	}
	exWantCode(t, "open workflowId", start(func(in *swf.StartWorkflowExecutionInput) { in.WorkflowId = we.WorkflowId }), "WorkflowExecutionAlreadyStartedFault")
	exWantCode(t, "unknown domain", start(func(in *swf.StartWorkflowExecutionInput) { in.Domain = aws.String("nope") }), "UnknownResourceFault")
	exWantCode(t, "unknown type", start(func(in *swf.StartWorkflowExecutionInput) {
		in.WorkflowType = &types.WorkflowType{Name: aws.String("wf"), Version: aws.String("9")}
	}), "UnknownResourceFault")
	exWantCode(t, "NONE execution timeout", start(func(in *swf.StartWorkflowExecutionInput) { in.ExecutionStartToCloseTimeout = aws.String("NONE") }), "ValidationException")
	exWantCode(t, "bad duration", start(func(in *swf.StartWorkflowExecutionInput) { in.TaskStartToCloseTimeout = aws.String("1h") }), "ValidationException")
	exWantCode(t, "bad workflowId", start(func(in *swf.StartWorkflowExecutionInput) { in.WorkflowId = aws.String("a:b") }), "ValidationException")

	// A type without defaults: each missing setting is DefaultUndefinedFault.
	bare := e.workflowType(t, "bare", "1", "", "", "", "")
	full := func(in *swf.StartWorkflowExecutionInput) {
		in.WorkflowType = bare
		in.TaskList = &types.TaskList{Name: aws.String("tl")}
		in.ExecutionStartToCloseTimeout = aws.String("60")
		in.TaskStartToCloseTimeout = aws.String("NONE")
		in.ChildPolicy = types.ChildPolicyAbandon
	}
	for what, unset := range map[string]func(*swf.StartWorkflowExecutionInput){
		"taskList":                     func(in *swf.StartWorkflowExecutionInput) { in.TaskList = nil },
		"executionStartToCloseTimeout": func(in *swf.StartWorkflowExecutionInput) { in.ExecutionStartToCloseTimeout = nil },
		"taskStartToCloseTimeout":      func(in *swf.StartWorkflowExecutionInput) { in.TaskStartToCloseTimeout = nil },
		"childPolicy":                  func(in *swf.StartWorkflowExecutionInput) { in.ChildPolicy = "" },
	} {
		exWantCode(t, "no "+what, start(full, unset), "DefaultUndefinedFault")
	}
	exOK(t, "start with every setting", start(full))

	_, err := e.Client.DeprecateWorkflowType(e.Ctx, &swf.DeprecateWorkflowTypeInput{Domain: aws.String(e.domain), WorkflowType: bare})
	exOK(t, "DeprecateWorkflowType", err)
	exWantCode(t, "deprecated type", start(full, func(in *swf.StartWorkflowExecutionInput) { in.WorkflowId = aws.String("third") }), "TypeDeprecatedFault")

	// Once the run closes, its workflowId can start a new run.
	_, err = e.Client.TerminateWorkflowExecution(e.Ctx, &swf.TerminateWorkflowExecutionInput{Domain: aws.String(e.domain), WorkflowId: we.WorkflowId})
	exOK(t, "TerminateWorkflowExecution", err)
	again := e.start(t, "once")
	if *again.RunId == *we.RunId || len(*again.RunId) > 64 {
		t.Fatalf("new run id %q (old %q)", *again.RunId, *we.RunId)
	}
	exEq(t, "old run", e.describe(t, we).ExecutionInfo.CloseStatus, types.CloseStatusTerminated)
	exEq(t, "new run", e.describe(t, again).ExecutionInfo.ExecutionStatus, types.ExecutionStatusOpen)

	_, err = e.Client.DeprecateDomain(e.Ctx, &swf.DeprecateDomainInput{Name: aws.String(e.domain)})
	exOK(t, "DeprecateDomain", err)
	exWantCode(t, "deprecated domain", start(func(in *swf.StartWorkflowExecutionInput) { in.WorkflowId = aws.String("fourth") }), "DomainDeprecatedFault")
}

// TestExCancelWorkflow: RequestCancelWorkflowExecution reaches the
// decider, which cancels the workflow.
func TestExCancelWorkflow(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	we := e.start(t, "cancel-me")
	e.decide(t, e.pollDecision(t, "").TaskToken)
	_, err := e.Client.RequestCancelWorkflowExecution(e.Ctx, &swf.RequestCancelWorkflowExecutionInput{Domain: aws.String(e.domain), WorkflowId: we.WorkflowId})
	exOK(t, "RequestCancelWorkflowExecution", err)
	exEq(t, "cancelRequested", e.describe(t, we).ExecutionInfo.CancelRequested, true)
	task := e.pollDecision(t, "")
	exEq(t, "event", task.Events[4].EventType, types.EventTypeWorkflowExecutionCancelRequested)
	e.decide(t, task.TaskToken, types.Decision{
		DecisionType: types.DecisionTypeCancelWorkflowExecution,
		CancelWorkflowExecutionDecisionAttributes: &types.CancelWorkflowExecutionDecisionAttributes{Details: aws.String("bye")},
	})
	evs := e.history(t, we)
	c := evs[len(evs)-1]
	exEq(t, "last event", c.EventType, types.EventTypeWorkflowExecutionCanceled)
	exEq(t, "details", exStr(c.WorkflowExecutionCanceledEventAttributes.Details), "bye")
	exEq(t, "closeStatus", e.describe(t, we).ExecutionInfo.CloseStatus, types.CloseStatusCanceled)
	_, err = e.Client.RequestCancelWorkflowExecution(e.Ctx, &swf.RequestCancelWorkflowExecutionInput{Domain: aws.String(e.domain), WorkflowId: we.WorkflowId, RunId: we.RunId})
	exWantCode(t, "cancel a closed run", err, "UnknownResourceFault")
	_, err = e.Client.TerminateWorkflowExecution(e.Ctx, &swf.TerminateWorkflowExecutionInput{Domain: aws.String(e.domain), WorkflowId: we.WorkflowId})
	exWantCode(t, "terminate a closed workflow", err, "UnknownResourceFault")
}

// TestExWorkflowTimeout: the execution times out; its decision token dies.
func TestExWorkflowTimeout(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	we := e.start(t, "too-slow", func(in *swf.StartWorkflowExecutionInput) { in.ExecutionStartToCloseTimeout = aws.String("1") })
	task := e.pollDecision(t, "")
	evs := e.waitFor(t, we, types.EventTypeWorkflowExecutionTimedOut, 1)
	to := evs[len(evs)-1].WorkflowExecutionTimedOutEventAttributes
	exEq(t, "WorkflowExecutionTimedOut", exJoin(to.TimeoutType, to.ChildPolicy), "START_TO_CLOSE TERMINATE")
	exEq(t, "closeStatus", e.describe(t, we).ExecutionInfo.CloseStatus, types.CloseStatusTimedOut)
	_, err := e.Client.RespondDecisionTaskCompleted(e.Ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: task.TaskToken})
	exWantCode(t, "decide after time-out", err, "UnknownResourceFault")
}

// TestExDecisionTaskPaging: a decision task's history comes in pages; the
// next pages are read with nextPageToken, without polling.
func TestExDecisionTaskPaging(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	we := e.start(t, "paging")
	for i := range 5 {
		e.signal(t, we, fmt.Sprint("s", i), "")
	}
	// 1 started, 2 scheduled, 3-7 signals, 8 started.
	for _, reverse := range []bool{false, true} {
		var task *swf.PollForDecisionTaskOutput
		if !reverse {
			task = e.pollDecisionPaged(t, 3, false)
		} else {
			// A fresh run of the same workflow, read backwards.
			_, err := e.Client.TerminateWorkflowExecution(e.Ctx, &swf.TerminateWorkflowExecutionInput{Domain: aws.String(e.domain), WorkflowId: we.WorkflowId})
			exOK(t, "TerminateWorkflowExecution", err)
			we = e.start(t, "paging")
			for i := range 5 {
				e.signal(t, we, fmt.Sprint("s", i), "")
			}
			task = e.pollDecisionPaged(t, 3, true)
		}
		var ids []int64
		token := task.TaskToken
		for {
			for _, ev := range task.Events {
				ids = append(ids, ev.EventId)
			}
			if task.NextPageToken == nil {
				break
			}
			next, err := e.Client.PollForDecisionTask(e.Ctx, &swf.PollForDecisionTaskInput{
				Domain: aws.String(e.domain), TaskList: &types.TaskList{Name: aws.String(e.tl)},
				MaximumPageSize: 3, ReverseOrder: reverse, NextPageToken: task.NextPageToken,
			})
			exOK(t, "PollForDecisionTask next page", err)
			exEq(t, "token on a later page", exStr(next.TaskToken), *token)
			exEq(t, "startedEventId on a later page", next.StartedEventId, 8)
			task = next
		}
		want := "[1 2 3 4 5 6 7 8]"
		if reverse {
			want = "[8 7 6 5 4 3 2 1]"
		}
		exEq(t, exJoin("event ids, reverse ", reverse), exJoin(ids), want)
	}
	_, err := e.Client.PollForDecisionTask(e.Ctx, &swf.PollForDecisionTaskInput{
		Domain: aws.String(e.domain), TaskList: &types.TaskList{Name: aws.String(e.tl)}, NextPageToken: aws.String("garbage"),
	})
	exWantCode(t, "bad page token", err, "ValidationException")
}

func (e *exEnv) pollDecisionPaged(t *testing.T, size int32, reverse bool) *swf.PollForDecisionTaskOutput {
	t.Helper()
	deadline := time.Now().Add(exWait)
	for time.Now().Before(deadline) {
		out, err := e.Client.PollForDecisionTask(e.Ctx, &swf.PollForDecisionTaskInput{
			Domain: aws.String(e.domain), TaskList: &types.TaskList{Name: aws.String(e.tl)}, MaximumPageSize: size, ReverseOrder: reverse,
		})
		exOK(t, "PollForDecisionTask", err)
		if out.TaskToken != nil {
			return out
		}
	}
	t.Fatal("no decision task")
	return nil
}

// TestExEmptyPolls: empty polls answer like AWS, without a taskToken; an
// unknown domain is UnknownResourceFault.
func TestExEmptyPolls(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	status, body := exPost(t, e.bundle, "PollForDecisionTask", fmt.Sprintf(`{"domain":%q,"taskList":{"name":"idle"}}`, e.domain))
	exEq(t, "empty decision poll", exJoin(status, body), `200 {"startedEventId":0,"previousStartedEventId":0}`)
	status, body = exPost(t, e.bundle, "PollForActivityTask", fmt.Sprintf(`{"domain":%q,"taskList":{"name":"idle"}}`, e.domain))
	exEq(t, "empty activity poll", exJoin(status, body), `200 {"startedEventId":0}`)
	_, err := e.Client.PollForDecisionTask(e.Ctx, &swf.PollForDecisionTaskInput{Domain: aws.String("nope"), TaskList: &types.TaskList{Name: aws.String("x")}})
	exWantCode(t, "decision poll of an unknown domain", err, "UnknownResourceFault")
	_, err = e.Client.PollForActivityTask(e.Ctx, &swf.PollForActivityTaskInput{Domain: aws.String("nope"), TaskList: &types.TaskList{Name: aws.String("x")}})
	exWantCode(t, "activity poll of an unknown domain", err, "UnknownResourceFault")
}

// TestExCrashRestart kills the server (kill -9) with an activity task
// started, a timer pending and a decision task scheduled, restarts it on
// the same data, and checks that nothing was lost or done twice: the
// token still completes its task, the timer still fires.
func TestExCrashRestart(t *testing.T) {
	t.Parallel()
	p := servertest.StartProcess(t, "")
	e := &exEnv{bundle: &bundle{p.Env().SWF()}, domain: servertest.Uniq("ex-domain"), tl: servertest.Uniq("ex-decisions"), atl: servertest.Uniq("ex-activities")}
	_, err := e.Client.RegisterDomain(e.Ctx, &swf.RegisterDomainInput{Name: aws.String(e.domain), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
	exOK(t, "RegisterDomain", err)
	e.wf = e.workflowType(t, "wf", "1", e.tl, "300", "300", types.ChildPolicyTerminate)
	e.act = e.activityType(t, "act", "1", e.atl, "NONE", "NONE", "NONE", "NONE")

	we := e.start(t, "survivor")
	e.decide(t, e.pollDecision(t, "").TaskToken, exSchedule(e.act, "a", "in"), exStartTimer("t", "2"))
	task := e.pollActivity(t, "")
	e.signal(t, we, "before-crash", "") // a decision task waits

	p = p.Crash(t, 0)
	e.bundle = &bundle{p.Env().SWF()}

	_, err = e.Client.RespondActivityTaskCompleted(e.Ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: task.TaskToken, Result: aws.String("out")})
	exOK(t, "RespondActivityTaskCompleted after restart", err)
	e.waitFor(t, we, types.EventTypeTimerFired, 1)
	dt := e.pollDecision(t, "")
	e.decide(t, dt.TaskToken, exComplete("done"))
	evs := e.history(t, we)
	// The timer may fire before or after the completion, depending on how
	// long the restart took.
	if len(evs) == 14 && evs[9].EventType == types.EventTypeTimerFired {
		evs[9], evs[10] = evs[10], evs[9]
		evs[9].EventId, evs[10].EventId = 10, 11
	}
	exWantTypes(t, evs,
		"WorkflowExecutionStarted", "DecisionTaskScheduled", "DecisionTaskStarted", "DecisionTaskCompleted",
		"ActivityTaskScheduled", "TimerStarted", "ActivityTaskStarted", "WorkflowExecutionSignaled", "DecisionTaskScheduled",
		"ActivityTaskCompleted", "TimerFired", "DecisionTaskStarted", "DecisionTaskCompleted", "WorkflowExecutionCompleted")
}

// TestExStartAtPreviousStartedEvent: the history of a decision task can
// start at the previous decision task's DecisionTaskStarted.
func TestExStartAtPreviousStartedEvent(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	we := e.start(t, "since-last")
	e.decide(t, e.pollDecision(t, "").TaskToken)
	e.signal(t, we, "s", "")
	var task *swf.PollForDecisionTaskOutput
	for deadline := time.Now().Add(exWait); task == nil || task.TaskToken == nil; {
		if time.Now().After(deadline) {
			t.Fatal("no decision task")
		}
		var err error
		task, err = e.Client.PollForDecisionTask(e.Ctx, &swf.PollForDecisionTaskInput{
			Domain: aws.String(e.domain), TaskList: &types.TaskList{Name: aws.String(e.tl)}, StartAtPreviousStartedEvent: true,
		})
		exOK(t, "PollForDecisionTask", err)
	}
	exEq(t, "previousStartedEventId", task.PreviousStartedEventId, 3)
	exEq(t, "events", exJoin(exTypes(task.Events)), "[DecisionTaskStarted DecisionTaskCompleted WorkflowExecutionSignaled DecisionTaskScheduled DecisionTaskStarted]")
	exEq(t, "first event id", task.Events[0].EventId, 3)
}
