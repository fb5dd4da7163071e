package server_test

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// Invariant 1 for the SWF dialect: workflow executions in every phase
// survive a kill -9 of `gaffer serve`; after the restart each of them
// finishes, every task is handed out exactly once and no history event is
// lost or repeated.

// swfcEnv is an SWF client for one server plus the domain and types a test
// registered; a restarted server gets a new client (swfcEnv.at).
type swfcEnv struct {
	*swf.Client
	ctx    context.Context
	wait   servertest.Waiter
	domain string
	wt     types.WorkflowType
	at     types.ActivityType
}

// swfcSetup registers a domain, a workflow type and an activity type with
// default timeouts long enough that only the timeouts a test sets fire.
func swfcSetup(t *testing.T, url string, w servertest.Waiter, domain string) *swfcEnv {
	t.Helper()
	e := &swfcEnv{
		Client: servertest.SWF(url), ctx: context.Background(), wait: w, domain: domain,
		wt: types.WorkflowType{Name: aws.String("job"), Version: aws.String("1")},
		at: types.ActivityType{Name: aws.String("step"), Version: aws.String("1")},
	}
	if _, err := e.RegisterDomain(e.ctx, &swf.RegisterDomainInput{Name: aws.String(domain), WorkflowExecutionRetentionPeriodInDays: aws.String("1")}); err != nil {
		t.Fatalf("RegisterDomain: %v", err)
	}
	if _, err := e.RegisterWorkflowType(e.ctx, &swf.RegisterWorkflowTypeInput{
		Domain: aws.String(domain), Name: e.wt.Name, Version: e.wt.Version,
		DefaultTaskList:                     &types.TaskList{Name: aws.String("unused-decisions")},
		DefaultExecutionStartToCloseTimeout: aws.String("3600"),
		// Long enough for a decision task started before the kill to be
		// answered after the restart.
		DefaultTaskStartToCloseTimeout: aws.String("300"),
		DefaultChildPolicy:             types.ChildPolicyTerminate,
	}); err != nil {
		t.Fatalf("RegisterWorkflowType: %v", err)
	}
	if _, err := e.RegisterActivityType(e.ctx, &swf.RegisterActivityTypeInput{
		Domain: aws.String(domain), Name: e.at.Name, Version: e.at.Version,
		DefaultTaskList:                   &types.TaskList{Name: aws.String("unused-activities")},
		DefaultTaskScheduleToStartTimeout: aws.String("600"),
		DefaultTaskScheduleToCloseTimeout: aws.String("900"),
		DefaultTaskStartToCloseTimeout:    aws.String("600"),
		DefaultTaskHeartbeatTimeout:       aws.String("300"),
	}); err != nil {
		t.Fatalf("RegisterActivityType: %v", err)
	}
	return e
}

// restarted returns the environment with a client for the restarted
// server p.
func (e *swfcEnv) restarted(p *servertest.Process) *swfcEnv {
	n := *e
	n.Client, n.wait = servertest.SWF(p.URL), p
	return &n
}

// Each workflow decides on its own task list and runs its activities on its
// own, so that setting up one phase never hands out another's task.
func swfcDecisionList(wid string) string { return "d-" + wid }
func swfcActivityList(wid string) string { return "a-" + wid }

// start starts workflow wid with input {"id": wid} on its own decision task
// list and returns its run id.
func (e *swfcEnv) start(t *testing.T, wid string, mods ...func(*swf.StartWorkflowExecutionInput)) string {
	t.Helper()
	in := &swf.StartWorkflowExecutionInput{
		Domain: aws.String(e.domain), WorkflowId: aws.String(wid), WorkflowType: &e.wt,
		TaskList: &types.TaskList{Name: aws.String(swfcDecisionList(wid))}, Input: aws.String(idInput(wid)),
	}
	for _, m := range mods {
		m(in)
	}
	out, err := e.StartWorkflowExecution(e.ctx, in)
	if err != nil {
		t.Fatalf("StartWorkflowExecution %s: %v", wid, err)
	}
	return aws.ToString(out.RunId)
}

// pollDecision long-polls a decision task list once and returns the task
// with its whole history (every page), or nil for an empty answer. Safe
// off the test's goroutine.
func (e *swfcEnv) pollDecision(ctx context.Context, list string) (*swf.PollForDecisionTaskOutput, error) {
	in := &swf.PollForDecisionTaskInput{Domain: aws.String(e.domain), TaskList: &types.TaskList{Name: aws.String(list)}, Identity: aws.String("decider-" + list)}
	out, err := e.PollForDecisionTask(ctx, in)
	if err != nil || out.TaskToken == nil {
		return nil, err
	}
	for next := out.NextPageToken; next != nil; {
		in.NextPageToken = next
		page, err := e.PollForDecisionTask(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("next page of a decision task: %w", err)
		}
		out.Events = append(out.Events, page.Events...)
		next = page.NextPageToken
	}
	return out, nil
}

// mustPollDecision polls until a decision task comes (at most 30 s) and
// records its hand-out.
func (e *swfcEnv) mustPollDecision(t *testing.T, wid string, h *swfcHandouts) *swf.PollForDecisionTaskOutput {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, err := e.pollDecision(e.ctx, swfcDecisionList(wid))
		if err != nil {
			t.Fatalf("PollForDecisionTask %s: %v", wid, err)
		}
		if out != nil {
			if err := h.decision(wid, out); err != nil {
				t.Fatal(err)
			}
			return out
		}
	}
	t.Fatalf("no decision task for %s within 30s", wid)
	return nil
}

// mustPollActivity polls until an activity task comes (at most 30 s) and
// records its hand-out.
func (e *swfcEnv) mustPollActivity(t *testing.T, wid string, h *swfcHandouts) *swf.PollForActivityTaskOutput {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, err := e.PollForActivityTask(e.ctx, &swf.PollForActivityTaskInput{Domain: aws.String(e.domain), TaskList: &types.TaskList{Name: aws.String(swfcActivityList(wid))}, Identity: aws.String("setup")})
		if err != nil {
			t.Fatalf("PollForActivityTask %s: %v", wid, err)
		}
		if out.TaskToken != nil {
			if err := h.activity(out); err != nil {
				t.Fatal(err)
			}
			return out
		}
	}
	t.Fatalf("no activity task for %s within 30s", wid)
	return nil
}

func (e *swfcEnv) respond(t *testing.T, what string, token *string, ds ...types.Decision) {
	t.Helper()
	if _, err := e.RespondDecisionTaskCompleted(e.ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: token, Decisions: ds}); err != nil {
		t.Fatalf("RespondDecisionTaskCompleted %s: %v", what, err)
	}
}

func (e *swfcEnv) history(t *testing.T, wid, runID string) []types.HistoryEvent {
	t.Helper()
	var events []types.HistoryEvent
	p := swf.NewGetWorkflowExecutionHistoryPaginator(e.Client, &swf.GetWorkflowExecutionHistoryInput{
		Domain: aws.String(e.domain), Execution: &types.WorkflowExecution{WorkflowId: aws.String(wid), RunId: aws.String(runID)},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(e.ctx)
		if err != nil {
			t.Fatalf("GetWorkflowExecutionHistory %s: %v", wid, err)
		}
		events = append(events, page.Events...)
	}
	return events
}

func (e *swfcEnv) describe(t *testing.T, wid, runID string) *types.WorkflowExecutionInfo {
	t.Helper()
	out, err := e.DescribeWorkflowExecution(e.ctx, &swf.DescribeWorkflowExecutionInput{
		Domain: aws.String(e.domain), Execution: &types.WorkflowExecution{WorkflowId: aws.String(wid), RunId: aws.String(runID)},
	})
	if err != nil {
		t.Fatalf("DescribeWorkflowExecution %s: %v", wid, err)
	}
	return out.ExecutionInfo
}

// waitEvent re-reads a history until it holds an event of type typ for
// which match (nil: any) holds, and returns the event and the history.
func (e *swfcEnv) waitEvent(t *testing.T, wid, runID string, typ types.EventType, match func(types.HistoryEvent) bool, within time.Duration) (types.HistoryEvent, []types.HistoryEvent) {
	t.Helper()
	var found types.HistoryEvent
	var events []types.HistoryEvent
	if !e.wait.Await(within, func() bool {
		events = e.history(t, wid, runID)
		for _, ev := range events {
			if ev.EventType == typ && (match == nil || match(ev)) {
				found = ev
				return true
			}
		}
		return false
	}) {
		t.Fatalf("%s: no %s within %v; history %v", wid, typ, within, swfcTypes(events))
	}
	return found, events
}

// swfcHandouts counts how often each task was handed out: "D <workflowId>
// <scheduledEventId>" for decision tasks, "A <activityId>" for activity
// tasks (activity ids are unique in the test).
type swfcHandouts struct {
	mu sync.Mutex
	n  map[string]int
}

func swfcNewHandouts() *swfcHandouts { return &swfcHandouts{n: map[string]int{}} }

func (h *swfcHandouts) add(key string) {
	h.mu.Lock()
	h.n[key]++
	h.mu.Unlock()
}

func (h *swfcHandouts) snapshot() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.n)
}

// decision records a decision task handed out for wid; the task is named
// by the DecisionTaskScheduled its DecisionTaskStarted points at.
func (h *swfcHandouts) decision(wid string, out *swf.PollForDecisionTaskOutput) error {
	if got := aws.ToString(out.WorkflowExecution.WorkflowId); got != wid {
		return fmt.Errorf("decision task of %s handed out on the task list of %s", got, wid)
	}
	for _, ev := range out.Events {
		if ev.EventId == out.StartedEventId {
			if ev.EventType != types.EventTypeDecisionTaskStarted {
				return fmt.Errorf("%s: decision task's startedEventId %d is a %s", wid, ev.EventId, ev.EventType)
			}
			h.add(fmt.Sprintf("D %s %d", wid, ev.DecisionTaskStartedEventAttributes.ScheduledEventId))
			return nil
		}
	}
	return fmt.Errorf("%s: decision task's history %v lacks its startedEventId %d", wid, swfcTypes(out.Events), out.StartedEventId)
}

// activity records an activity task; its input is {"id": activityId}.
func (h *swfcHandouts) activity(out *swf.PollForActivityTaskOutput) error {
	id, err := parseID(aws.ToString(out.Input))
	if err != nil {
		return err
	}
	if id != aws.ToString(out.ActivityId) {
		return fmt.Errorf("activity task %s carries the input of %s", aws.ToString(out.ActivityId), id)
	}
	h.add("A " + id)
	return nil
}

// swfcStartedTasks returns the hand-outs a history proves: one per started
// task.
func swfcStartedTasks(wid string, events []types.HistoryEvent) []string {
	var keys []string
	for _, ev := range events {
		switch ev.EventType {
		case types.EventTypeDecisionTaskStarted:
			keys = append(keys, fmt.Sprintf("D %s %d", wid, ev.DecisionTaskStartedEventAttributes.ScheduledEventId))
		case types.EventTypeActivityTaskStarted:
			if s := swfcEvent(events, ev.ActivityTaskStartedEventAttributes.ScheduledEventId); s != nil && s.ActivityTaskScheduledEventAttributes != nil {
				keys = append(keys, "A "+aws.ToString(s.ActivityTaskScheduledEventAttributes.ActivityId))
			} else {
				keys = append(keys, fmt.Sprintf("A %s ?%d", wid, ev.EventId))
			}
		}
	}
	return keys
}

func swfcEvent(events []types.HistoryEvent, id int64) *types.HistoryEvent {
	if id < 1 || int(id) > len(events) || events[id-1].EventId != id {
		return nil
	}
	return &events[id-1]
}

func swfcTypes(events []types.HistoryEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = string(e.EventType)
	}
	return out
}

func swfcCount(events []types.HistoryEvent, typ types.EventType) int {
	n := 0
	for _, e := range events {
		if e.EventType == typ {
			n++
		}
	}
	return n
}

// swfcDecide is the deciders' policy, from a workflow's history: wait while
// an activity, a timer or a child is open; else run one activity
// "<wid>-<n>" (again if the last one did not complete); then complete with
// result "done:<wid>".
func (e *swfcEnv) decide(wid string, events []types.HistoryEvent) []types.Decision {
	open, scheduled, completed := 0, 0, 0
	for _, ev := range events {
		switch ev.EventType {
		case types.EventTypeActivityTaskScheduled, types.EventTypeTimerStarted, types.EventTypeStartChildWorkflowExecutionInitiated:
			open++
		case types.EventTypeActivityTaskFailed, types.EventTypeActivityTaskTimedOut, types.EventTypeActivityTaskCanceled,
			types.EventTypeTimerFired, types.EventTypeTimerCanceled,
			types.EventTypeStartChildWorkflowExecutionFailed, types.EventTypeChildWorkflowExecutionCompleted,
			types.EventTypeChildWorkflowExecutionFailed, types.EventTypeChildWorkflowExecutionTimedOut,
			types.EventTypeChildWorkflowExecutionCanceled, types.EventTypeChildWorkflowExecutionTerminated:
			open--
		case types.EventTypeActivityTaskCompleted:
			open--
			completed++
		}
		if ev.EventType == types.EventTypeActivityTaskScheduled {
			scheduled++
		}
	}
	switch {
	case open > 0:
		return nil
	case completed == 0:
		return []types.Decision{e.scheduleDecision(fmt.Sprintf("%s-%d", wid, scheduled+1), swfcActivityList(wid), "20")}
	}
	return []types.Decision{{
		DecisionType: types.DecisionTypeCompleteWorkflowExecution,
		CompleteWorkflowExecutionDecisionAttributes: &types.CompleteWorkflowExecutionDecisionAttributes{Result: aws.String("done:" + wid)},
	}}
}

// scheduleDecision schedules activity id (input {"id": id}) on list.
func (e *swfcEnv) scheduleDecision(id, list, heartbeat string) types.Decision {
	return types.Decision{
		DecisionType: types.DecisionTypeScheduleActivityTask,
		ScheduleActivityTaskDecisionAttributes: &types.ScheduleActivityTaskDecisionAttributes{
			ActivityId: aws.String(id), ActivityType: &e.at, Input: aws.String(idInput(id)),
			TaskList: &types.TaskList{Name: aws.String(list)}, HeartbeatTimeout: aws.String(heartbeat),
		},
	}
}

// swfcCheckHistory checks the history of a workflow that completed: ids
// 1..n dense, one WorkflowExecutionStarted first, one
// WorkflowExecutionCompleted last, at most one decision task open at a
// time, and every scheduled decision or activity task started exactly once
// and closed exactly once.
func swfcCheckHistory(t *testing.T, wid string, events []types.HistoryEvent) {
	t.Helper()
	if len(events) == 0 {
		t.Errorf("%s: empty history", wid)
		return
	}
	for i, ev := range events {
		if ev.EventId != int64(i+1) {
			t.Errorf("%s: event %d has id %d; history %v", wid, i+1, ev.EventId, swfcTypes(events))
			return
		}
	}
	if n := swfcCount(events, types.EventTypeWorkflowExecutionStarted); n != 1 || events[0].EventType != types.EventTypeWorkflowExecutionStarted {
		t.Errorf("%s: %d WorkflowExecutionStarted, first event %s", wid, n, events[0].EventType)
	}
	if n, last := swfcCount(events, types.EventTypeWorkflowExecutionCompleted), events[len(events)-1].EventType; n != 1 || last != types.EventTypeWorkflowExecutionCompleted {
		t.Errorf("%s: %d WorkflowExecutionCompleted, last event %s; history %v", wid, n, last, swfcTypes(events))
	}

	// Decision tasks, by DecisionTaskScheduled id.
	dStarted, dClosed := map[int64]int{}, map[int64]int{}
	var openDecision int64
	for _, ev := range events {
		switch ev.EventType {
		case types.EventTypeDecisionTaskScheduled:
			if openDecision != 0 {
				t.Errorf("%s: DecisionTaskScheduled %d while decision task %d is open; history %v", wid, ev.EventId, openDecision, swfcTypes(events))
			}
			openDecision = ev.EventId
		case types.EventTypeDecisionTaskStarted:
			dStarted[ev.DecisionTaskStartedEventAttributes.ScheduledEventId]++
		case types.EventTypeDecisionTaskCompleted, types.EventTypeDecisionTaskTimedOut:
			var sched, started int64
			if a := ev.DecisionTaskCompletedEventAttributes; a != nil {
				sched, started = a.ScheduledEventId, a.StartedEventId
			} else {
				sched, started = ev.DecisionTaskTimedOutEventAttributes.ScheduledEventId, ev.DecisionTaskTimedOutEventAttributes.StartedEventId
			}
			dClosed[sched]++
			if s := swfcEvent(events, started); s == nil || s.EventType != types.EventTypeDecisionTaskStarted || s.DecisionTaskStartedEventAttributes.ScheduledEventId != sched {
				t.Errorf("%s: %s %d names started event %d, not a start of decision task %d", wid, ev.EventType, ev.EventId, started, sched)
			}
			if sched == openDecision {
				openDecision = 0
			}
		}
	}
	for _, ev := range events {
		if ev.EventType != types.EventTypeDecisionTaskScheduled {
			continue
		}
		if dStarted[ev.EventId] != 1 || dClosed[ev.EventId] != 1 {
			t.Errorf("%s: DecisionTaskScheduled %d started %d times, closed %d times, want once each; history %v", wid, ev.EventId, dStarted[ev.EventId], dClosed[ev.EventId], swfcTypes(events))
		}
		delete(dStarted, ev.EventId)
		delete(dClosed, ev.EventId)
	}
	if len(dStarted) != 0 || len(dClosed) != 0 {
		t.Errorf("%s: decision events naming no DecisionTaskScheduled: started %v, closed %v", wid, dStarted, dClosed)
	}

	// Activity tasks, by ActivityTaskScheduled id.
	aStarted, aClosed := map[int64]int{}, map[int64]int{}
	for _, ev := range events {
		switch ev.EventType {
		case types.EventTypeActivityTaskStarted:
			aStarted[ev.ActivityTaskStartedEventAttributes.ScheduledEventId]++
		case types.EventTypeActivityTaskCompleted:
			aClosed[ev.ActivityTaskCompletedEventAttributes.ScheduledEventId]++
		case types.EventTypeActivityTaskFailed:
			aClosed[ev.ActivityTaskFailedEventAttributes.ScheduledEventId]++
		case types.EventTypeActivityTaskTimedOut:
			aClosed[ev.ActivityTaskTimedOutEventAttributes.ScheduledEventId]++
		case types.EventTypeActivityTaskCanceled:
			aClosed[ev.ActivityTaskCanceledEventAttributes.ScheduledEventId]++
		}
	}
	for _, ev := range events {
		if ev.EventType != types.EventTypeActivityTaskScheduled {
			continue
		}
		if aStarted[ev.EventId] != 1 || aClosed[ev.EventId] != 1 {
			t.Errorf("%s: ActivityTaskScheduled %d (%s) started %d times, closed %d times, want once each; history %v", wid, ev.EventId,
				aws.ToString(ev.ActivityTaskScheduledEventAttributes.ActivityId), aStarted[ev.EventId], aClosed[ev.EventId], swfcTypes(events))
		}
		delete(aStarted, ev.EventId)
		delete(aClosed, ev.EventId)
	}
	if len(aStarted) != 0 || len(aClosed) != 0 {
		t.Errorf("%s: activity events naming no ActivityTaskScheduled: started %v, closed %v", wid, aStarted, aClosed)
	}
}

// swfcKey summarises a history for comparison before and after a crash.
func swfcKey(events []types.HistoryEvent) string {
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "%d %s %s\n", e.EventId, e.EventType, aws.ToTime(e.EventTimestamp).UTC().Format(time.RFC3339Nano))
	}
	return b.String()
}

// TestSWFCrashEveryPhase kills the server with workflow executions in every
// phase, restarts it on the same data and checks that each of them is
// carried on to completion exactly once.
func TestSWFCrashEveryPhase(t *testing.T) {
	t.Parallel()
	p := servertest.StartProcess(t, "")
	e := swfcSetup(t, p.URL, p, "crash")
	h := swfcNewHandouts()
	runs := map[string]string{} // workflowId → runId

	// (a) started; the first decision task is never polled.
	for _, wid := range []string{"a-0", "a-1"} {
		runs[wid] = e.start(t, wid)
	}

	// (c) an activity is scheduled, never polled.
	for _, wid := range []string{"c-0", "c-1"} {
		runs[wid] = e.start(t, wid)
		dt := e.mustPollDecision(t, wid, h)
		e.respond(t, wid, dt.TaskToken, e.decide(wid, dt.Events)...)
	}

	// (h) a child workflow started; its first decision task waits.
	runs["h-0"] = e.start(t, "h-0")
	dt := e.mustPollDecision(t, "h-0", h)
	e.respond(t, "h-0", dt.TaskToken, types.Decision{
		DecisionType: types.DecisionTypeStartChildWorkflowExecution,
		StartChildWorkflowExecutionDecisionAttributes: &types.StartChildWorkflowExecutionDecisionAttributes{
			WorkflowId: aws.String("h-0-child"), WorkflowType: &e.wt, Input: aws.String(idInput("h-0-child")),
			TaskList: &types.TaskList{Name: aws.String(swfcDecisionList("h-0-child"))},
		},
	})
	started, _ := e.waitEvent(t, "h-0", runs["h-0"], types.EventTypeChildWorkflowExecutionStarted, nil, time.Second)
	runs["h-0-child"] = aws.ToString(started.ChildWorkflowExecutionStartedEventAttributes.WorkflowExecution.RunId)

	// (i) an activity completed: acknowledged, its decision task waits.
	runs["i-0"] = e.start(t, "i-0")
	dt = e.mustPollDecision(t, "i-0", h)
	e.respond(t, "i-0", dt.TaskToken, e.decide("i-0", dt.Events)...)
	at := e.mustPollActivity(t, "i-0", h)
	if _, err := e.RespondActivityTaskCompleted(e.ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: at.TaskToken, Result: aws.String("done:i-0-1")}); err != nil {
		t.Fatalf("RespondActivityTaskCompleted i-0: %v", err)
	}
	// The outcome and the execution's reaction commit together.
	if events := e.history(t, "i-0", runs["i-0"]); swfcCount(events, types.EventTypeActivityTaskCompleted) != 1 || events[len(events)-1].EventType != types.EventTypeDecisionTaskScheduled {
		t.Fatalf("i-0: history right after RespondActivityTaskCompleted was acknowledged: %v", swfcTypes(events))
	}

	// (d) an activity started; its worker heartbeats and holds the token.
	runs["d-0"] = e.start(t, "d-0")
	dt = e.mustPollDecision(t, "d-0", h)
	e.respond(t, "d-0", dt.TaskToken, e.decide("d-0", dt.Events)...)
	taskD := e.mustPollActivity(t, "d-0", h)
	for range 3 {
		out, err := e.RecordActivityTaskHeartbeat(e.ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: taskD.TaskToken, Details: aws.String("before-crash")})
		if err != nil || out.CancelRequested {
			t.Fatalf("d-0: RecordActivityTaskHeartbeat: %v, cancelRequested %v", err, out != nil && out.CancelRequested)
		}
	}

	// (g) an activity scheduled, then a signal just before the kill.
	runs["g-0"] = e.start(t, "g-0")
	dt = e.mustPollDecision(t, "g-0", h)
	e.respond(t, "g-0", dt.TaskToken, e.decide("g-0", dt.Events)...)

	// (f) completed: acknowledged, so it must stay closed as it was.
	runs["f-0"] = e.start(t, "f-0")
	dt = e.mustPollDecision(t, "f-0", h)
	e.respond(t, "f-0", dt.TaskToken, e.decide("f-0", dt.Events)...)
	at = e.mustPollActivity(t, "f-0", h)
	if _, err := e.RespondActivityTaskCompleted(e.ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: at.TaskToken, Result: aws.String("done:f-0-1")}); err != nil {
		t.Fatalf("RespondActivityTaskCompleted f-0: %v", err)
	}
	dt = e.mustPollDecision(t, "f-0", h)
	decisions := e.decide("f-0", dt.Events)
	if len(decisions) != 1 || decisions[0].DecisionType != types.DecisionTypeCompleteWorkflowExecution {
		t.Fatalf("f-0: decider would not complete after %v", swfcTypes(dt.Events))
	}
	e.respond(t, "f-0", dt.TaskToken, decisions...)
	if info := e.describe(t, "f-0", runs["f-0"]); info.ExecutionStatus != types.ExecutionStatusClosed || info.CloseStatus != types.CloseStatusCompleted {
		t.Fatalf("f-0: %s %s right after CompleteWorkflowExecution was acknowledged", info.ExecutionStatus, info.CloseStatus)
	}
	historyF := swfcKey(e.history(t, "f-0", runs["f-0"]))

	// (e) a 2 s timer started.
	runs["e-0"] = e.start(t, "e-0")
	dt = e.mustPollDecision(t, "e-0", h)
	e.respond(t, "e-0", dt.TaskToken, types.Decision{
		DecisionType:                 types.DecisionTypeStartTimer,
		StartTimerDecisionAttributes: &types.StartTimerDecisionAttributes{TimerId: aws.String("t1"), StartToFireTimeout: aws.String("2")},
	})

	// (b) decision tasks started and held: b-live's 300 s start-to-close
	// outlives the restart; b-expired's 2 s one runs out in the restart
	// window (polled last, so it cannot expire before the kill on any but
	// a stalled machine, and is overdue, or nearly, when the server is
	// back).
	runs["b-live"] = e.start(t, "b-live")
	runs["b-expired"] = e.start(t, "b-expired", func(in *swf.StartWorkflowExecutionInput) { in.TaskStartToCloseTimeout = aws.String("2") })
	taskBLive := e.mustPollDecision(t, "b-live", h)

	if _, err := e.SignalWorkflowExecution(e.ctx, &swf.SignalWorkflowExecutionInput{
		Domain: aws.String(e.domain), WorkflowId: aws.String("g-0"), SignalName: aws.String("poke"), Input: aws.String("g-0-signal"),
	}); err != nil {
		t.Fatalf("SignalWorkflowExecution g-0: %v", err)
	}
	taskBExpired := e.mustPollDecision(t, "b-expired", h)

	p = p.Crash(t, 0)
	e = e.restarted(p)

	// Deciders and workers, one of each per workflow, record every task
	// they are handed and drive their workflow on.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for wid := range runs {
		wg.Go(func() {
			for ctx.Err() == nil {
				out, err := e.pollDecision(ctx, swfcDecisionList(wid))
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("%s: PollForDecisionTask: %v", wid, err)
					}
					return
				}
				if out == nil {
					continue
				}
				if err := h.decision(wid, out); err != nil {
					t.Error(err)
					return
				}
				if _, err := e.RespondDecisionTaskCompleted(e.ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: out.TaskToken, Decisions: e.decide(wid, out.Events)}); err != nil {
					t.Errorf("%s: RespondDecisionTaskCompleted: %v", wid, err)
				}
			}
		})
		wg.Go(func() {
			for ctx.Err() == nil {
				out, err := e.PollForActivityTask(ctx, &swf.PollForActivityTaskInput{Domain: aws.String(e.domain), TaskList: &types.TaskList{Name: aws.String(swfcActivityList(wid))}, Identity: aws.String("worker-" + wid)})
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("%s: PollForActivityTask: %v", wid, err)
					}
					return
				}
				if out.TaskToken == nil {
					continue
				}
				if err := h.activity(out); err != nil {
					t.Error(err)
					return
				}
				if _, err := e.RespondActivityTaskCompleted(e.ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: out.TaskToken, Result: aws.String("done:" + aws.ToString(out.ActivityId))}); err != nil {
					t.Errorf("%s: RespondActivityTaskCompleted: %v", aws.ToString(out.ActivityId), err)
				}
			}
		})
	}
	stop := func() { cancel(); wg.Wait() }

	// (f) stayed closed, its history untouched.
	if info := e.describe(t, "f-0", runs["f-0"]); info.ExecutionStatus != types.ExecutionStatusClosed || info.CloseStatus != types.CloseStatusCompleted {
		t.Errorf("f-0 after the restart: %s %s, want CLOSED COMPLETED", info.ExecutionStatus, info.CloseStatus)
	}
	if got := swfcKey(e.history(t, "f-0", runs["f-0"])); got != historyF {
		t.Errorf("f-0: history changed across the crash:\nbefore:\n%s\nafter:\n%s", historyF, got)
	}

	// (d) the activity's token still heartbeats, and completes it.
	out, err := e.RecordActivityTaskHeartbeat(e.ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: taskD.TaskToken, Details: aws.String("after-crash")})
	if err != nil || out.CancelRequested {
		t.Errorf("d-0: RecordActivityTaskHeartbeat after the restart: %v, cancelRequested %v", err, out != nil && out.CancelRequested)
	}
	if _, err := e.RespondActivityTaskCompleted(e.ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: taskD.TaskToken, Result: aws.String("done:d-0-1")}); err != nil {
		t.Errorf("d-0: RespondActivityTaskCompleted after the restart: %v", err)
	}

	// (b) the live decision task's token is still good.
	if _, err := e.RespondDecisionTaskCompleted(e.ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: taskBLive.TaskToken, Decisions: e.decide("b-live", taskBLive.Events)}); err != nil {
		t.Errorf("b-live: RespondDecisionTaskCompleted with the token from before the crash: %v", err)
	}
	// The expired one timed out (START_TO_CLOSE) and a new decision task
	// followed; its token is dead.
	e.waitEvent(t, "b-expired", runs["b-expired"], types.EventTypeDecisionTaskTimedOut, func(ev types.HistoryEvent) bool {
		a := ev.DecisionTaskTimedOutEventAttributes
		return a.StartedEventId == taskBExpired.StartedEventId && a.TimeoutType == types.DecisionTaskTimeoutTypeStartToClose
	}, 30*time.Second)
	_, err = e.RespondDecisionTaskCompleted(e.ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: taskBExpired.TaskToken, Decisions: e.decide("b-expired", taskBExpired.Events)})
	if got := servertest.ErrorCode(err); got != "UnknownResourceFault" {
		t.Errorf("b-expired: RespondDecisionTaskCompleted with the timed-out token: %v, want UnknownResourceFault", err)
	}
	if t.Failed() {
		stop()
		t.FailNow()
	}

	// Every workflow finishes.
	// The deciders, workers and timers do the work; this re-reads.
	var open []string
	if !p.Await(90*time.Second, func() bool {
		open = nil
		for wid, runID := range runs {
			if e.describe(t, wid, runID).ExecutionStatus != types.ExecutionStatusClosed {
				open = append(open, wid)
			}
		}
		return len(open) == 0
	}) {
		stop()
		slices.Sort(open)
		for _, wid := range open {
			t.Logf("%s: %v", wid, swfcTypes(e.history(t, wid, runs[wid])))
		}
		t.Fatalf("workflows still open 90s after the restart: %v\nserver log:\n%s", open, p.Log())
	}
	stop()

	want := map[string]int{}
	for wid, runID := range runs {
		info := e.describe(t, wid, runID)
		if info.CloseStatus != types.CloseStatusCompleted {
			t.Errorf("%s: close status %s, want COMPLETED", wid, info.CloseStatus)
		}
		events := e.history(t, wid, runID)
		swfcCheckHistory(t, wid, events)
		for _, k := range swfcStartedTasks(wid, events) {
			want[k]++
		}
		if last := events[len(events)-1]; last.WorkflowExecutionCompletedEventAttributes != nil {
			if got := aws.ToString(last.WorkflowExecutionCompletedEventAttributes.Result); got != "done:"+wid {
				t.Errorf("%s: result %q, want %q", wid, got, "done:"+wid)
			}
		}
		count := func(typ types.EventType, n int) {
			if got := swfcCount(events, typ); got != n {
				t.Errorf("%s: %d %s, want %d; history %v", wid, got, typ, n, swfcTypes(events))
			}
		}
		switch wid {
		case "b-expired":
			count(types.EventTypeDecisionTaskTimedOut, 1)
		case "d-0":
			count(types.EventTypeActivityTaskTimedOut, 0)
			count(types.EventTypeActivityTaskCompleted, 1)
		case "e-0":
			count(types.EventTypeTimerStarted, 1)
			count(types.EventTypeTimerFired, 1)
		case "g-0":
			count(types.EventTypeWorkflowExecutionSignaled, 1)
			for _, ev := range events {
				if a := ev.WorkflowExecutionSignaledEventAttributes; a != nil && (aws.ToString(a.SignalName) != "poke" || aws.ToString(a.Input) != "g-0-signal") {
					t.Errorf("g-0: signal %q input %q, want poke g-0-signal", aws.ToString(a.SignalName), aws.ToString(a.Input))
				}
			}
		case "h-0":
			count(types.EventTypeStartChildWorkflowExecutionInitiated, 1)
			count(types.EventTypeChildWorkflowExecutionStarted, 1)
			count(types.EventTypeChildWorkflowExecutionCompleted, 1)
		case "h-0-child":
			if info.Parent == nil || aws.ToString(info.Parent.WorkflowId) != "h-0" {
				t.Errorf("h-0-child: parent %v, want h-0", info.Parent)
			}
		}
		if wid != "b-expired" {
			count(types.EventTypeDecisionTaskTimedOut, 0)
		}
	}
	// Every task was handed out exactly once, and every hand-out is in a
	// history.
	got := h.snapshot()
	t.Logf("%d workflows, %d tasks handed out", len(runs), len(got))
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if want[k] != 1 || got[k] != 1 {
			t.Errorf("task %s: started %d times in its history, handed out %d times; want once", k, want[k], got[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if want[k] == 0 {
			t.Errorf("task %s handed out %d times but never started in its history", k, got[k])
		}
	}
	if t.Failed() {
		t.Logf("server log after the restart:\n%s", p.Log())
	}
}

// TestSWFCrashHeartbeatTimeout: a worker that dies with the server sends no
// more heartbeats; the restarted server times its activity out (HEARTBEAT)
// with the last persisted details, whether the deadline is still ahead or
// passed while the server was down.
func TestSWFCrashHeartbeatTimeout(t *testing.T) {
	t.Parallel()
	for _, downtime := range []time.Duration{0, 3 * time.Second} {
		t.Run(fmt.Sprintf("down %v", downtime), func(t *testing.T) {
			t.Parallel()
			p := servertest.StartProcess(t, "")
			e := swfcSetup(t, p.URL, p, "beats")
			h := swfcNewHandouts()
			runID := e.start(t, "hb")
			dt := e.mustPollDecision(t, "hb", h)
			e.respond(t, "hb", dt.TaskToken, e.scheduleDecision("hb-1", swfcActivityList("hb"), "2"))
			task := e.mustPollActivity(t, "hb", h)
			if _, err := e.RecordActivityTaskHeartbeat(e.ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: task.TaskToken, Details: aws.String("before-crash")}); err != nil {
				t.Fatalf("RecordActivityTaskHeartbeat: %v", err)
			}
			lastBeat := time.Now()
			// Heartbeats live in memory and are persisted every
			// --heartbeat-flush (100ms here): a beat younger than that may
			// die with the process by design. Wait until "before-crash" is
			// in the database; the 2 s heartbeat deadline is still ahead.
			waitPersistedDetails(t, p, "before-crash")
			// Simulated downtime: the worker and the server are both gone.
			p = p.Crash(t, downtime)
			e = e.restarted(p)
			restarted := time.Now()

			ev, events := e.waitEvent(t, "hb", runID, types.EventTypeActivityTaskTimedOut, nil, 15*time.Second)
			t.Logf("timed out %v after the last beat, %v after the restart", time.Since(lastBeat), time.Since(restarted))
			if early := time.Since(lastBeat); early < 1900*time.Millisecond {
				t.Errorf("timed out %v after the last heartbeat, before its 2s deadline", early)
			}
			if late := time.Since(restarted); late > 10*time.Second {
				t.Errorf("timed out %v after the restart; the deadline was 2s after the last heartbeat", late)
			}
			a := ev.ActivityTaskTimedOutEventAttributes
			if a.TimeoutType != types.ActivityTaskTimeoutTypeHeartbeat || aws.ToString(a.Details) != "before-crash" {
				t.Errorf("ActivityTaskTimedOut %s details %q, want HEARTBEAT with \"before-crash\"", a.TimeoutType, aws.ToString(a.Details))
			}
			if a.StartedEventId != task.StartedEventId {
				t.Errorf("ActivityTaskTimedOut startedEventId %d, want %d", a.StartedEventId, task.StartedEventId)
			}
			if last := events[len(events)-1].EventType; last != types.EventTypeDecisionTaskScheduled {
				t.Errorf("no decision task scheduled after the timeout: %v", swfcTypes(events))
			}
			_, err := e.RecordActivityTaskHeartbeat(e.ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: task.TaskToken})
			if got := servertest.ErrorCode(err); got != "UnknownResourceFault" {
				t.Errorf("heartbeat with the timed-out token: %v, want UnknownResourceFault", err)
			}

			// The decider learns of it and closes the workflow.
			dt = e.mustPollDecision(t, "hb", h)
			if !slices.Contains(swfcTypes(dt.Events), string(types.EventTypeActivityTaskTimedOut)) {
				t.Errorf("decision task after the timeout does not show it: %v", swfcTypes(dt.Events))
			}
			e.respond(t, "hb", dt.TaskToken, types.Decision{
				DecisionType: types.DecisionTypeCompleteWorkflowExecution,
				CompleteWorkflowExecutionDecisionAttributes: &types.CompleteWorkflowExecutionDecisionAttributes{Result: aws.String("done:hb")},
			})
			events = e.history(t, "hb", runID)
			for i, ev := range events {
				if ev.EventId != int64(i+1) {
					t.Fatalf("event %d has id %d: %v", i+1, ev.EventId, swfcTypes(events))
				}
			}
			if n := swfcCount(events, types.EventTypeActivityTaskTimedOut); n != 1 {
				t.Errorf("%d ActivityTaskTimedOut, want 1: %v", n, swfcTypes(events))
			}
			if info := e.describe(t, "hb", runID); info.CloseStatus != types.CloseStatusCompleted {
				t.Errorf("close status %s, want COMPLETED", info.CloseStatus)
			}
		})
	}
}

// waitPersistedDetails waits until a task in the server's database (read
// beside the running server, read-only) holds heartbeat details want.
func waitPersistedDetails(t *testing.T, p *servertest.Process, want string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(p.DataDir, "gaffer.db")+"?mode=ro")
	if err != nil {
		t.Fatalf("open the database read-only: %v", err)
	}
	defer db.Close()
	// The child process's flusher does the work; this re-reads its file.
	if !p.Await(10*time.Second, func() bool {
		var n int
		err = db.QueryRow(`SELECT COUNT(*) FROM tasks WHERE CAST(details AS TEXT) = ?`, want).Scan(&n)
		return err == nil && n > 0
	}) {
		t.Fatalf("heartbeat details %q not persisted within 10s (last error: %v)", want, err)
	}
}
