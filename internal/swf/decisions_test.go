package swf_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// exLastN returns the types of the last n events.
func exLastN(evs []types.HistoryEvent, n int) string {
	if n > len(evs) {
		n = len(evs)
	}
	return exJoin(exTypes(evs[len(evs)-n:]))
}

// TestExScheduleActivityFailures: each ScheduleActivityTaskFailed cause,
// and the decision task that follows.
func TestExScheduleActivityFailures(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	bare := e.activityType(t, "bare", "1", "", "", "", "", "")
	old := e.activityType(t, "old", "1", e.atl, "NONE", "NONE", "NONE", "NONE")
	_, err := e.Client.DeprecateActivityType(e.Ctx, &swf.DeprecateActivityTypeInput{Domain: aws.String(e.domain), ActivityType: old})
	exOK(t, "DeprecateActivityType", err)

	all := func(id string, unset func(*types.ScheduleActivityTaskDecisionAttributes)) types.Decision {
		a := &types.ScheduleActivityTaskDecisionAttributes{
			ActivityType: bare, ActivityId: aws.String(id), TaskList: &types.TaskList{Name: aws.String(e.atl)},
			ScheduleToStartTimeout: aws.String("NONE"), ScheduleToCloseTimeout: aws.String("NONE"),
			StartToCloseTimeout: aws.String("NONE"), HeartbeatTimeout: aws.String("NONE"),
		}
		if unset != nil {
			unset(a)
		}
		return types.Decision{DecisionType: types.DecisionTypeScheduleActivityTask, ScheduleActivityTaskDecisionAttributes: a}
	}
	cases := []struct {
		d     types.Decision
		cause types.ScheduleActivityTaskFailedCause
	}{
		{exSchedule(&types.ActivityType{Name: aws.String("act"), Version: aws.String("9")}, "c1", ""), types.ScheduleActivityTaskFailedCauseActivityTypeDoesNotExist},
		{exSchedule(old, "c2", ""), types.ScheduleActivityTaskFailedCauseActivityTypeDeprecated},
		{exSchedule(e.act, "ok", ""), ""},
		{exSchedule(e.act, "ok", ""), types.ScheduleActivityTaskFailedCauseActivityIdAlreadyInUse},
		{all("c4", func(a *types.ScheduleActivityTaskDecisionAttributes) { a.TaskList = nil }), types.ScheduleActivityTaskFailedCauseDefaultTaskListUndefined},
		{all("c5", func(a *types.ScheduleActivityTaskDecisionAttributes) { a.ScheduleToStartTimeout = nil }), types.ScheduleActivityTaskFailedCauseDefaultScheduleToStartTimeoutUndefined},
		{all("c6", func(a *types.ScheduleActivityTaskDecisionAttributes) { a.ScheduleToCloseTimeout = nil }), types.ScheduleActivityTaskFailedCauseDefaultScheduleToCloseTimeoutUndefined},
		{all("c7", func(a *types.ScheduleActivityTaskDecisionAttributes) { a.StartToCloseTimeout = nil }), types.ScheduleActivityTaskFailedCauseDefaultStartToCloseTimeoutUndefined},
		{all("c8", func(a *types.ScheduleActivityTaskDecisionAttributes) { a.HeartbeatTimeout = nil }), types.ScheduleActivityTaskFailedCauseDefaultHeartbeatTimeoutUndefined},
		{all("bare-ok", nil), ""},
	}
	we := e.start(t, "sched-failures")
	var ds []types.Decision
	for _, c := range cases {
		ds = append(ds, c.d)
	}
	e.decide(t, e.pollDecision(t, "").TaskToken, ds...)
	evs := e.history(t, we)
	for i, c := range cases {
		ev := evs[4+i]
		if c.cause == "" {
			exEq(t, "event", ev.EventType, types.EventTypeActivityTaskScheduled)
			continue
		}
		exEq(t, "event", ev.EventType, types.EventTypeScheduleActivityTaskFailed)
		f := ev.ScheduleActivityTaskFailedEventAttributes
		exEq(t, "cause of "+*c.d.ScheduleActivityTaskDecisionAttributes.ActivityId, f.Cause, c.cause)
		exEq(t, "failed ids", exJoin(*f.ActivityId, *f.ActivityType.Name, f.DecisionTaskCompletedEventId), exJoin(*c.d.ScheduleActivityTaskDecisionAttributes.ActivityId, *c.d.ScheduleActivityTaskDecisionAttributes.ActivityType.Name, 4))
	}
	exEq(t, "after the decisions", exLastN(evs, 1), "[DecisionTaskScheduled]")
	exEq(t, "open activities", e.describe(t, we).OpenCounts.OpenActivityTasks, 2)

	// An activityId is free again once its task closed.
	task := e.pollActivity(t, "")
	_, err = e.Client.RespondActivityTaskCompleted(e.Ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: task.TaskToken})
	exOK(t, "RespondActivityTaskCompleted", err)
	reused := *task.ActivityId
	e.decide(t, e.pollDecision(t, "").TaskToken, exSchedule(e.act, reused, ""), exRequestCancelActivity("never-scheduled"))
	evs = e.history(t, we)
	exEq(t, "reuse", exLastN(evs, 3), "[ActivityTaskScheduled RequestCancelActivityTaskFailed DecisionTaskScheduled]")
	rf := evs[len(evs)-2].RequestCancelActivityTaskFailedEventAttributes
	exEq(t, "RequestCancelActivityTaskFailed", exJoin(*rf.ActivityId, rf.Cause), "never-scheduled ACTIVITY_ID_UNKNOWN")
}

// TestExUnhandledDecision: a closing decision made while new events wait
// fails with UNHANDLED_DECISION, the other decisions apply, and a new
// decision task follows.
func TestExUnhandledDecision(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d     types.Decision
		event types.EventType
	}{
		{exComplete("done"), types.EventTypeCompleteWorkflowExecutionFailed},
		{types.Decision{DecisionType: types.DecisionTypeFailWorkflowExecution}, types.EventTypeFailWorkflowExecutionFailed},
		{types.Decision{DecisionType: types.DecisionTypeCancelWorkflowExecution}, types.EventTypeCancelWorkflowExecutionFailed},
		{types.Decision{DecisionType: types.DecisionTypeContinueAsNewWorkflowExecution}, types.EventTypeContinueAsNewWorkflowExecutionFailed},
	} {
		t.Run(string(tc.d.DecisionType), func(t *testing.T) {
			t.Parallel()
			e := exSetup(t)
			we := e.start(t, "unhandled")
			task := e.pollDecision(t, "")
			e.signal(t, we, "late", "")
			marker := types.Decision{DecisionType: types.DecisionTypeRecordMarker, RecordMarkerDecisionAttributes: &types.RecordMarkerDecisionAttributes{MarkerName: aws.String("m"), Details: aws.String("d")}}
			e.decide(t, task.TaskToken, marker, tc.d)
			evs := e.history(t, we)
			exWantTypes(t, evs, "WorkflowExecutionStarted", "DecisionTaskScheduled", "DecisionTaskStarted", "WorkflowExecutionSignaled",
				"DecisionTaskCompleted", "MarkerRecorded", string(tc.event), "DecisionTaskScheduled")
			m := evs[5].MarkerRecordedEventAttributes
			exEq(t, "MarkerRecorded", exJoin(*m.MarkerName, *m.Details, m.DecisionTaskCompletedEventId), "m d 5")
			var cause, completed any
			switch a := evs[6]; tc.event {
			case types.EventTypeCompleteWorkflowExecutionFailed:
				cause, completed = a.CompleteWorkflowExecutionFailedEventAttributes.Cause, a.CompleteWorkflowExecutionFailedEventAttributes.DecisionTaskCompletedEventId
			case types.EventTypeFailWorkflowExecutionFailed:
				cause, completed = a.FailWorkflowExecutionFailedEventAttributes.Cause, a.FailWorkflowExecutionFailedEventAttributes.DecisionTaskCompletedEventId
			case types.EventTypeCancelWorkflowExecutionFailed:
				cause, completed = a.CancelWorkflowExecutionFailedEventAttributes.Cause, a.CancelWorkflowExecutionFailedEventAttributes.DecisionTaskCompletedEventId
			case types.EventTypeContinueAsNewWorkflowExecutionFailed:
				cause, completed = a.ContinueAsNewWorkflowExecutionFailedEventAttributes.Cause, a.ContinueAsNewWorkflowExecutionFailedEventAttributes.DecisionTaskCompletedEventId
			}
			exEq(t, "failure", exJoin(cause, completed), "UNHANDLED_DECISION 5")
			exEq(t, "status", e.describe(t, we).ExecutionInfo.ExecutionStatus, types.ExecutionStatusOpen)
			// The next decision task sees everything and may close.
			e.decide(t, e.pollDecision(t, "").TaskToken, exComplete("done"))
			exEq(t, "closeStatus", e.describe(t, we).ExecutionInfo.CloseStatus, types.CloseStatusCompleted)
		})
	}
}

// TestExDecisionValidation: a malformed decision list fails the call with
// ValidationException and applies nothing; the task stays answerable.
func TestExDecisionValidation(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	we := e.start(t, "validation")
	task := e.pollDecision(t, "")
	for what, ds := range map[string][]types.Decision{
		"no attributes":       {exComplete("x"), {DecisionType: types.DecisionTypeScheduleActivityTask}},
		"no timer attributes": {{DecisionType: types.DecisionTypeStartTimer}},
		"bad duration":        {exStartTimer("t", "NONE")},
		"bad activity id":     {exSchedule(e.act, "a|b", "")},
		"bad timeout": {{DecisionType: types.DecisionTypeScheduleActivityTask, ScheduleActivityTaskDecisionAttributes: &types.ScheduleActivityTaskDecisionAttributes{
			ActivityType: e.act, ActivityId: aws.String("a"), HeartbeatTimeout: aws.String("-1"),
		}}},
		"NONE child execution timeout": {{DecisionType: types.DecisionTypeStartChildWorkflowExecution, StartChildWorkflowExecutionDecisionAttributes: &types.StartChildWorkflowExecutionDecisionAttributes{
			WorkflowType: e.wf, WorkflowId: aws.String("c"), ExecutionStartToCloseTimeout: aws.String("NONE"),
		}}},
	} {
		_, err := e.Client.RespondDecisionTaskCompleted(e.Ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: task.TaskToken, Decisions: ds})
		exWantCode(t, what, err, "ValidationException")
	}
	exEq(t, "history untouched", len(e.history(t, we)), 3)
	e.decide(t, task.TaskToken, exComplete("fine"))
	exEq(t, "closeStatus", e.describe(t, we).ExecutionInfo.CloseStatus, types.CloseStatusCompleted)
}

// TestExLambda: gaffer runs no Lambda functions.
func TestExLambda(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	we := e.start(t, "lambda")
	e.decide(t, e.pollDecision(t, "").TaskToken, types.Decision{
		DecisionType:                             types.DecisionTypeScheduleLambdaFunction,
		ScheduleLambdaFunctionDecisionAttributes: &types.ScheduleLambdaFunctionDecisionAttributes{Id: aws.String("l1"), Name: aws.String("fn")},
	})
	evs := e.history(t, we)
	exEq(t, "events", exLastN(evs, 3), "[DecisionTaskCompleted ScheduleLambdaFunctionFailed DecisionTaskScheduled]")
	f := evs[4].ScheduleLambdaFunctionFailedEventAttributes
	exEq(t, "ScheduleLambdaFunctionFailed", exJoin(*f.Id, *f.Name, f.Cause, f.DecisionTaskCompletedEventId), "l1 fn LAMBDA_SERVICE_NOT_AVAILABLE_IN_REGION 4")
}

// exChildEnv has a parent run whose first decision started a child on its
// own task list.
type exChildEnv struct {
	*exEnv
	parent, child *types.WorkflowExecution
	childTL       string
}

func exWithChild(t *testing.T, e *exEnv, childExecTimeout string) *exChildEnv {
	t.Helper()
	c := &exChildEnv{exEnv: e, childTL: servertest.Uniq("child-tl")}
	c.parent = e.start(t, "parent")
	a := &types.StartChildWorkflowExecutionDecisionAttributes{
		WorkflowType: e.wf, WorkflowId: aws.String("child"), Input: aws.String("in"), Control: aws.String("ctl"),
		TaskList: &types.TaskList{Name: aws.String(c.childTL)}, TagList: []string{"kid"},
	}
	if childExecTimeout != "" {
		a.ExecutionStartToCloseTimeout = aws.String(childExecTimeout)
	}
	e.decide(t, e.pollDecision(t, "").TaskToken, types.Decision{DecisionType: types.DecisionTypeStartChildWorkflowExecution, StartChildWorkflowExecutionDecisionAttributes: a})
	evs := e.history(t, c.parent)
	exWantTypes(t, evs, "WorkflowExecutionStarted", "DecisionTaskScheduled", "DecisionTaskStarted", "DecisionTaskCompleted",
		"StartChildWorkflowExecutionInitiated", "ChildWorkflowExecutionStarted", "DecisionTaskScheduled")
	in := evs[4].StartChildWorkflowExecutionInitiatedEventAttributes
	exEq(t, "Initiated", exJoin(*in.WorkflowId, *in.Input, *in.Control, *in.TaskList.Name, in.ChildPolicy, *in.ExecutionStartToCloseTimeout, in.DecisionTaskCompletedEventId),
		exJoin("child", "in", "ctl", c.childTL, "TERMINATE", map[bool]string{true: "300", false: childExecTimeout}[childExecTimeout == ""], 4))
	st := evs[5].ChildWorkflowExecutionStartedEventAttributes
	exEq(t, "ChildWorkflowExecutionStarted", exJoin(*st.WorkflowExecution.WorkflowId, *st.WorkflowType.Name, st.InitiatedEventId), "child wf 5")
	c.child = st.WorkflowExecution
	cev := e.history(t, c.child)
	cs := cev[0].WorkflowExecutionStartedEventAttributes
	exEq(t, "child's parent", exJoin(*cs.ParentWorkflowExecution.WorkflowId, *cs.ParentWorkflowExecution.RunId, cs.ParentInitiatedEventId, *cs.Input, cs.TagList),
		exJoin("parent", *c.parent.RunId, 5, "in", []string{"kid"}))
	exEq(t, "child's describe parent", *e.describe(t, c.child).ExecutionInfo.Parent.RunId, *c.parent.RunId)
	e.decide(t, e.pollDecision(t, "").TaskToken) // the parent's task after ChildWorkflowExecutionStarted
	return c
}

// TestExChildWorkflows: each way a child closes reaches its parent.
func TestExChildWorkflows(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		close func(t *testing.T, c *exChildEnv)
		event types.EventType
		check func(t *testing.T, c *exChildEnv, ev types.HistoryEvent)
	}{
		{"completed", func(t *testing.T, c *exChildEnv) {
			c.decide(t, c.pollDecision(t, c.childTL).TaskToken, exComplete("r"))
		}, types.EventTypeChildWorkflowExecutionCompleted, func(t *testing.T, c *exChildEnv, ev types.HistoryEvent) {
			a := ev.ChildWorkflowExecutionCompletedEventAttributes
			exEq(t, "completed", exJoin(*a.Result, *a.WorkflowExecution.RunId, a.InitiatedEventId, a.StartedEventId), exJoin("r", *c.child.RunId, 5, 6))
		}},
		{"failed", func(t *testing.T, c *exChildEnv) {
			c.decide(t, c.pollDecision(t, c.childTL).TaskToken, types.Decision{DecisionType: types.DecisionTypeFailWorkflowExecution,
				FailWorkflowExecutionDecisionAttributes: &types.FailWorkflowExecutionDecisionAttributes{Reason: aws.String("why"), Details: aws.String("d")}})
		}, types.EventTypeChildWorkflowExecutionFailed, func(t *testing.T, c *exChildEnv, ev types.HistoryEvent) {
			a := ev.ChildWorkflowExecutionFailedEventAttributes
			exEq(t, "failed", exJoin(*a.Reason, *a.Details, a.InitiatedEventId, a.StartedEventId), "why d 5 6")
		}},
		{"canceled", func(t *testing.T, c *exChildEnv) {
			c.decide(t, c.pollDecision(t, c.childTL).TaskToken, types.Decision{DecisionType: types.DecisionTypeCancelWorkflowExecution,
				CancelWorkflowExecutionDecisionAttributes: &types.CancelWorkflowExecutionDecisionAttributes{Details: aws.String("d")}})
		}, types.EventTypeChildWorkflowExecutionCanceled, func(t *testing.T, c *exChildEnv, ev types.HistoryEvent) {
			a := ev.ChildWorkflowExecutionCanceledEventAttributes
			exEq(t, "canceled", exJoin(*a.Details, a.InitiatedEventId, a.StartedEventId), "d 5 6")
		}},
		{"terminated", func(t *testing.T, c *exChildEnv) {
			_, err := c.Client.TerminateWorkflowExecution(c.Ctx, &swf.TerminateWorkflowExecutionInput{Domain: aws.String(c.domain), WorkflowId: c.child.WorkflowId})
			exOK(t, "TerminateWorkflowExecution", err)
		}, types.EventTypeChildWorkflowExecutionTerminated, func(t *testing.T, c *exChildEnv, ev types.HistoryEvent) {
			a := ev.ChildWorkflowExecutionTerminatedEventAttributes
			exEq(t, "terminated", exJoin(*a.WorkflowExecution.WorkflowId, a.InitiatedEventId, a.StartedEventId), "child 5 6")
		}},
		{"timed out", nil, types.EventTypeChildWorkflowExecutionTimedOut, func(t *testing.T, c *exChildEnv, ev types.HistoryEvent) {
			a := ev.ChildWorkflowExecutionTimedOutEventAttributes
			exEq(t, "timed out", exJoin(a.TimeoutType, a.InitiatedEventId, a.StartedEventId), "START_TO_CLOSE 5 6")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := exSetup(t)
			timeout := ""
			if tc.close == nil {
				timeout = "1"
			}
			c := exWithChild(t, e, timeout)
			if tc.close != nil {
				tc.close(t, c)
			}
			evs := e.waitFor(t, c.parent, tc.event, 1)
			n := len(evs)
			exEq(t, "parent's last events", exLastN(evs, 2), exJoin([]string{string(tc.event), "DecisionTaskScheduled"}))
			tc.check(t, c, evs[n-2])
			exEq(t, "parent's open children", e.describe(t, c.parent).OpenCounts.OpenChildWorkflowExecutions, 0)
		})
	}
}

// TestExStartChildFailures: each StartChildWorkflowExecutionFailed cause.
func TestExStartChildFailures(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	bare := e.workflowType(t, "bare", "1", "", "", "", "")
	old := e.workflowType(t, "old", "1", e.tl, "60", "60", types.ChildPolicyAbandon)
	_, err := e.Client.DeprecateWorkflowType(e.Ctx, &swf.DeprecateWorkflowTypeInput{Domain: aws.String(e.domain), WorkflowType: old})
	exOK(t, "DeprecateWorkflowType", err)
	child := func(wt *types.WorkflowType, id string, mod func(*types.StartChildWorkflowExecutionDecisionAttributes)) types.Decision {
		a := &types.StartChildWorkflowExecutionDecisionAttributes{WorkflowType: wt, WorkflowId: aws.String(id), Control: aws.String("c-" + id)}
		if mod != nil {
			mod(a)
		}
		return types.Decision{DecisionType: types.DecisionTypeStartChildWorkflowExecution, StartChildWorkflowExecutionDecisionAttributes: a}
	}
	bareAll := func(a *types.StartChildWorkflowExecutionDecisionAttributes) {
		a.TaskList = &types.TaskList{Name: aws.String("x")}
		a.ExecutionStartToCloseTimeout = aws.String("60")
		a.TaskStartToCloseTimeout = aws.String("60")
		a.ChildPolicy = types.ChildPolicyTerminate
	}
	unset := func(f func(*types.StartChildWorkflowExecutionDecisionAttributes)) func(*types.StartChildWorkflowExecutionDecisionAttributes) {
		return func(a *types.StartChildWorkflowExecutionDecisionAttributes) { bareAll(a); f(a) }
	}
	we := e.start(t, "failing-parent")
	cases := []struct {
		d         types.Decision
		cause     types.StartChildWorkflowExecutionFailedCause
		initiated bool
	}{
		{child(&types.WorkflowType{Name: aws.String("nope"), Version: aws.String("1")}, "k1", nil), types.StartChildWorkflowExecutionFailedCauseWorkflowTypeDoesNotExist, false},
		{child(old, "k2", nil), types.StartChildWorkflowExecutionFailedCauseWorkflowTypeDeprecated, false},
		{child(bare, "k3", unset(func(a *types.StartChildWorkflowExecutionDecisionAttributes) { a.TaskList = nil })), types.StartChildWorkflowExecutionFailedCauseDefaultTaskListUndefined, false},
		{child(bare, "k4", unset(func(a *types.StartChildWorkflowExecutionDecisionAttributes) { a.ExecutionStartToCloseTimeout = nil })), types.StartChildWorkflowExecutionFailedCauseDefaultExecutionStartToCloseTimeoutUndefined, false},
		{child(bare, "k5", unset(func(a *types.StartChildWorkflowExecutionDecisionAttributes) { a.TaskStartToCloseTimeout = nil })), types.StartChildWorkflowExecutionFailedCauseDefaultTaskStartToCloseTimeoutUndefined, false},
		{child(bare, "k6", unset(func(a *types.StartChildWorkflowExecutionDecisionAttributes) { a.ChildPolicy = "" })), types.StartChildWorkflowExecutionFailedCauseDefaultChildPolicyUndefined, false},
		{child(e.wf, *we.WorkflowId, nil), types.StartChildWorkflowExecutionFailedCauseWorkflowAlreadyRunning, true},
	}
	var ds []types.Decision
	for _, c := range cases {
		ds = append(ds, c.d)
	}
	e.decide(t, e.pollDecision(t, "").TaskToken, ds...)
	evs := e.history(t, we)
	failed := exOfType(evs, types.EventTypeStartChildWorkflowExecutionFailed)
	if len(failed) != len(cases) {
		t.Fatalf("history %v: want %d StartChildWorkflowExecutionFailed", exTypes(evs), len(cases))
	}
	for i, c := range cases {
		f := failed[i].StartChildWorkflowExecutionFailedEventAttributes
		exEq(t, "cause", f.Cause, c.cause)
		exEq(t, "failure", exJoin(*f.WorkflowId, *f.Control, f.DecisionTaskCompletedEventId), exJoin(*c.d.StartChildWorkflowExecutionDecisionAttributes.WorkflowId, "c-"+*c.d.StartChildWorkflowExecutionDecisionAttributes.WorkflowId, 4))
		if c.initiated {
			exEq(t, "initiated event", evs[f.InitiatedEventId-1].EventType, types.EventTypeStartChildWorkflowExecutionInitiated)
		} else {
			exEq(t, "initiatedEventId", f.InitiatedEventId, 0)
		}
	}
	exEq(t, "last event", exLastN(evs, 1), "[DecisionTaskScheduled]")
}

// TestExContinueAsNew: the run closes as CONTINUED_AS_NEW and a new run of
// the same workflowId starts in the same transaction.
func TestExContinueAsNew(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	we := e.start(t, "looping")
	task := e.pollDecision(t, "")
	e.decide(t, task.TaskToken, types.Decision{
		DecisionType: types.DecisionTypeContinueAsNewWorkflowExecution,
		ContinueAsNewWorkflowExecutionDecisionAttributes: &types.ContinueAsNewWorkflowExecutionDecisionAttributes{
			Input: aws.String("round 2"), ExecutionStartToCloseTimeout: aws.String("120"), TagList: []string{"r2"},
		},
	})
	evs := e.history(t, we)
	exEq(t, "old run's last events", exLastN(evs, 2), "[DecisionTaskCompleted WorkflowExecutionContinuedAsNew]")
	c := evs[len(evs)-1].WorkflowExecutionContinuedAsNewEventAttributes
	exEq(t, "ContinuedAsNew", exJoin(*c.Input, *c.ExecutionStartToCloseTimeout, *c.TaskStartToCloseTimeout, *c.TaskList.Name, c.ChildPolicy, *c.WorkflowType.Version, c.TagList, c.DecisionTaskCompletedEventId),
		exJoin("round 2", "120", "300", e.tl, "TERMINATE", "1", []string{"r2"}, 4))
	exEq(t, "old run", e.describe(t, we).ExecutionInfo.CloseStatus, types.CloseStatusContinuedAsNew)
	next := &types.WorkflowExecution{WorkflowId: we.WorkflowId, RunId: c.NewExecutionRunId}
	if *next.RunId == *we.RunId {
		t.Fatal("continued with the same run id")
	}
	task = e.pollDecision(t, "")
	exEq(t, "new task's run", *task.WorkflowExecution.RunId, *next.RunId)
	s := task.Events[0].WorkflowExecutionStartedEventAttributes
	exEq(t, "new run's start", exJoin(*s.ContinuedExecutionRunId, *s.Input, *s.ExecutionStartToCloseTimeout), exJoin(*we.RunId, "round 2", "120"))
	exEq(t, "previousStartedEventId", task.PreviousStartedEventId, 0)

	// An unknown version fails the decision.
	e.decide(t, task.TaskToken, types.Decision{
		DecisionType: types.DecisionTypeContinueAsNewWorkflowExecution,
		ContinueAsNewWorkflowExecutionDecisionAttributes: &types.ContinueAsNewWorkflowExecutionDecisionAttributes{WorkflowTypeVersion: aws.String("99")},
	})
	evs = e.history(t, next)
	exEq(t, "failed continue", exLastN(evs, 2), "[ContinueAsNewWorkflowExecutionFailed DecisionTaskScheduled]")
	exEq(t, "cause", evs[len(evs)-2].ContinueAsNewWorkflowExecutionFailedEventAttributes.Cause, types.ContinueAsNewWorkflowExecutionFailedCauseWorkflowTypeDoesNotExist)
	exEq(t, "new run open", e.describe(t, next).ExecutionInfo.ExecutionStatus, types.ExecutionStatusOpen)
}

// TestExChildContinuesAsNew: a child that continues as new stays its
// parent's child; the parent hears when the last run closes.
func TestExChildContinuesAsNew(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	c := exWithChild(t, e, "")
	e.decide(t, e.pollDecision(t, c.childTL).TaskToken, types.Decision{
		DecisionType: types.DecisionTypeContinueAsNewWorkflowExecution,
		ContinueAsNewWorkflowExecutionDecisionAttributes: &types.ContinueAsNewWorkflowExecutionDecisionAttributes{TaskList: &types.TaskList{Name: aws.String(c.childTL)}},
	})
	task := e.pollDecision(t, c.childTL)
	exEq(t, "second run's parent", *task.Events[0].WorkflowExecutionStartedEventAttributes.ParentWorkflowExecution.RunId, *c.parent.RunId)
	exEq(t, "parent's open children", e.describe(t, c.parent).OpenCounts.OpenChildWorkflowExecutions, 1)
	e.decide(t, task.TaskToken, exComplete("last"))
	evs := e.waitFor(t, c.parent, types.EventTypeChildWorkflowExecutionCompleted, 1)
	a := exLast(t, evs, types.EventTypeChildWorkflowExecutionCompleted).ChildWorkflowExecutionCompletedEventAttributes
	exEq(t, "completed", exJoin(*a.Result, *a.WorkflowExecution.RunId, a.InitiatedEventId), exJoin("last", *task.WorkflowExecution.RunId, 5))
}

// TestExTerminateChildPolicies: terminating a parent applies its child
// policy to its open children.
func TestExTerminateChildPolicies(t *testing.T) {
	t.Parallel()
	for _, policy := range []types.ChildPolicy{types.ChildPolicyTerminate, types.ChildPolicyRequestCancel, types.ChildPolicyAbandon} {
		t.Run(string(policy), func(t *testing.T) {
			t.Parallel()
			e := exSetup(t)
			c := exWithChild(t, e, "")
			// A grandchild, to check that TERMINATE recurses.
			e.decide(t, e.pollDecision(t, c.childTL).TaskToken, types.Decision{
				DecisionType: types.DecisionTypeStartChildWorkflowExecution,
				StartChildWorkflowExecutionDecisionAttributes: &types.StartChildWorkflowExecutionDecisionAttributes{
					WorkflowType: e.wf, WorkflowId: aws.String("grandchild"), TaskList: &types.TaskList{Name: aws.String(servertest.Uniq("gc-tl"))},
				},
			})
			grandchild := exLast(t, e.history(t, c.child), types.EventTypeChildWorkflowExecutionStarted).ChildWorkflowExecutionStartedEventAttributes.WorkflowExecution
			_, err := e.Client.TerminateWorkflowExecution(e.Ctx, &swf.TerminateWorkflowExecutionInput{
				Domain: aws.String(e.domain), WorkflowId: c.parent.WorkflowId, Reason: aws.String("enough"), Details: aws.String("d"), ChildPolicy: policy,
			})
			exOK(t, "TerminateWorkflowExecution", err)
			pev := e.history(t, c.parent)
			term := pev[len(pev)-1].WorkflowExecutionTerminatedEventAttributes
			exEq(t, "parent terminated", exJoin(*term.Reason, *term.Details, term.ChildPolicy, term.Cause), exJoin("enough", "d", policy, "OPERATOR_INITIATED"))

			cev := e.history(t, c.child)
			last := cev[len(cev)-1]
			switch policy {
			case types.ChildPolicyTerminate:
				exEq(t, "child's last event", last.EventType, types.EventTypeWorkflowExecutionTerminated)
				exEq(t, "cause", last.WorkflowExecutionTerminatedEventAttributes.Cause, types.WorkflowExecutionTerminatedCauseChildPolicyApplied)
				exEq(t, "child", e.describe(t, c.child).ExecutionInfo.CloseStatus, types.CloseStatusTerminated)
				exEq(t, "grandchild", e.describe(t, grandchild).ExecutionInfo.CloseStatus, types.CloseStatusTerminated)
			case types.ChildPolicyRequestCancel:
				// The grandchild's start left the child a decision task: the request joins it.
				exEq(t, "child's last events", exLastN(cev, 2), "[DecisionTaskScheduled WorkflowExecutionCancelRequested]")
				exEq(t, "cause", last.WorkflowExecutionCancelRequestedEventAttributes.Cause, types.WorkflowExecutionCancelRequestedCauseChildPolicyApplied)
				exEq(t, "child's open decision tasks", e.describe(t, c.child).OpenCounts.OpenDecisionTasks, 1)
				exEq(t, "child cancelRequested", e.describe(t, c.child).ExecutionInfo.CancelRequested, true)
				exEq(t, "grandchild", e.describe(t, grandchild).ExecutionInfo.ExecutionStatus, types.ExecutionStatusOpen)
			case types.ChildPolicyAbandon:
				exEq(t, "child's last event", last.EventType, types.EventTypeDecisionTaskScheduled)
				exEq(t, "child", e.describe(t, c.child).ExecutionInfo.ExecutionStatus, types.ExecutionStatusOpen)
			}
		})
	}
}

// TestExExternal: signals and cancel requests to other executions, and to
// unknown ones.
func TestExExternal(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	otherTL := servertest.Uniq("other-tl")
	target := e.start(t, "target", func(in *swf.StartWorkflowExecutionInput) { in.TaskList = &types.TaskList{Name: aws.String(otherTL)} })
	e.decide(t, e.pollDecision(t, otherTL).TaskToken)
	src := e.start(t, "source")
	e.decide(t, e.pollDecision(t, "").TaskToken,
		types.Decision{DecisionType: types.DecisionTypeSignalExternalWorkflowExecution, SignalExternalWorkflowExecutionDecisionAttributes: &types.SignalExternalWorkflowExecutionDecisionAttributes{
			WorkflowId: target.WorkflowId, SignalName: aws.String("hello"), Input: aws.String("hi"), Control: aws.String("c1"),
		}},
		types.Decision{DecisionType: types.DecisionTypeSignalExternalWorkflowExecution, SignalExternalWorkflowExecutionDecisionAttributes: &types.SignalExternalWorkflowExecutionDecisionAttributes{
			WorkflowId: aws.String("nobody"), SignalName: aws.String("hello"),
		}},
		types.Decision{DecisionType: types.DecisionTypeRequestCancelExternalWorkflowExecution, RequestCancelExternalWorkflowExecutionDecisionAttributes: &types.RequestCancelExternalWorkflowExecutionDecisionAttributes{
			WorkflowId: target.WorkflowId, RunId: target.RunId, Control: aws.String("c2"),
		}},
		types.Decision{DecisionType: types.DecisionTypeRequestCancelExternalWorkflowExecution, RequestCancelExternalWorkflowExecutionDecisionAttributes: &types.RequestCancelExternalWorkflowExecutionDecisionAttributes{
			WorkflowId: target.WorkflowId, RunId: aws.String("not-the-run"),
		}},
	)
	evs := e.history(t, src)
	exWantTypes(t, evs, "WorkflowExecutionStarted", "DecisionTaskScheduled", "DecisionTaskStarted", "DecisionTaskCompleted",
		"SignalExternalWorkflowExecutionInitiated", "ExternalWorkflowExecutionSignaled",
		"SignalExternalWorkflowExecutionInitiated", "SignalExternalWorkflowExecutionFailed",
		"RequestCancelExternalWorkflowExecutionInitiated", "ExternalWorkflowExecutionCancelRequested",
		"RequestCancelExternalWorkflowExecutionInitiated", "RequestCancelExternalWorkflowExecutionFailed",
		"DecisionTaskScheduled")
	si := evs[4].SignalExternalWorkflowExecutionInitiatedEventAttributes
	exEq(t, "signal initiated", exJoin(*si.WorkflowId, *si.SignalName, *si.Input, *si.Control, si.DecisionTaskCompletedEventId), "target hello hi c1 4")
	ss := evs[5].ExternalWorkflowExecutionSignaledEventAttributes
	exEq(t, "signaled", exJoin(*ss.WorkflowExecution.RunId, ss.InitiatedEventId), exJoin(*target.RunId, 5))
	sf := evs[7].SignalExternalWorkflowExecutionFailedEventAttributes
	exEq(t, "signal failed", exJoin(*sf.WorkflowId, sf.Cause, sf.InitiatedEventId, sf.DecisionTaskCompletedEventId), "nobody UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION 7 4")
	cr := evs[9].ExternalWorkflowExecutionCancelRequestedEventAttributes
	exEq(t, "cancel requested", exJoin(*cr.WorkflowExecution.RunId, cr.InitiatedEventId), exJoin(*target.RunId, 9))
	cf := evs[11].RequestCancelExternalWorkflowExecutionFailedEventAttributes
	exEq(t, "cancel failed", exJoin(*cf.RunId, cf.Cause, cf.InitiatedEventId), "not-the-run UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION 11")

	tev := e.history(t, target)
	// The signal schedules a decision task; the cancel request joins it.
	exEq(t, "target's events", exLastN(tev, 3), "[WorkflowExecutionSignaled DecisionTaskScheduled WorkflowExecutionCancelRequested]")
	sig := tev[len(tev)-3].WorkflowExecutionSignaledEventAttributes
	exEq(t, "target signaled", exJoin(*sig.SignalName, *sig.Input, *sig.ExternalWorkflowExecution.RunId, sig.ExternalInitiatedEventId), exJoin("hello", "hi", *src.RunId, 5))
	can := tev[len(tev)-1].WorkflowExecutionCancelRequestedEventAttributes
	exEq(t, "target cancel", exJoin(*can.ExternalWorkflowExecution.WorkflowId, can.ExternalInitiatedEventId), "source 9")
	exEq(t, "target cancelRequested", e.describe(t, target).ExecutionInfo.CancelRequested, true)
}

// TestExTaskListOverride: RespondDecisionTaskCompleted's taskList moves
// later decision tasks; with a schedule-to-start timeout that expires, the
// override reverts.
func TestExTaskListOverride(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	we := e.start(t, "override")
	moved := servertest.Uniq("moved")
	_, err := e.Client.RespondDecisionTaskCompleted(e.Ctx, &swf.RespondDecisionTaskCompletedInput{
		TaskToken: e.pollDecision(t, "").TaskToken, TaskList: &types.TaskList{Name: aws.String(moved)}, TaskListScheduleToStartTimeout: aws.String("1"),
	})
	exOK(t, "RespondDecisionTaskCompleted", err)
	e.signal(t, we, "wake", "")
	evs := e.waitFor(t, we, types.EventTypeDecisionTaskTimedOut, 1)
	to := exLast(t, evs, types.EventTypeDecisionTaskTimedOut).DecisionTaskTimedOutEventAttributes
	exEq(t, "timed out", exJoin(to.TimeoutType, to.StartedEventId), "SCHEDULE_TO_START 0")
	evs = e.waitFor(t, we, types.EventTypeDecisionTaskScheduled, 3)
	ds := exOfType(evs, types.EventTypeDecisionTaskScheduled)
	exEq(t, "override task", exJoin(*ds[1].DecisionTaskScheduledEventAttributes.TaskList.Name, *ds[1].DecisionTaskScheduledEventAttributes.ScheduleToStartTimeout), exJoin(moved, "1"))
	exEq(t, "reverted task", *ds[2].DecisionTaskScheduledEventAttributes.TaskList.Name, e.tl)
	task := e.pollDecision(t, "")
	exEq(t, "task on the original list", *task.WorkflowExecution.RunId, *we.RunId)
}

// TestExEventLimit: a run whose history reaches 25,000 events is
// terminated with cause EVENT_LIMIT_EXCEEDED.
func TestExEventLimit(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	we := e.start(t, "chatty")
	markers := make([]types.Decision, 9000)
	for i := range markers {
		markers[i] = types.Decision{DecisionType: types.DecisionTypeRecordMarker, RecordMarkerDecisionAttributes: &types.RecordMarkerDecisionAttributes{MarkerName: aws.String("m")}}
	}
	for i := range 2 {
		task := e.pollDecision(t, "")
		e.decide(t, task.TaskToken, append(markers, types.Decision{DecisionType: types.DecisionTypeStartTimer,
			StartTimerDecisionAttributes: &types.StartTimerDecisionAttributes{TimerId: aws.String(servertest.Uniq("t")), StartToFireTimeout: aws.String("0")}})...)
		e.waitFor(t, we, types.EventTypeTimerFired, i+1)
	}
	exEq(t, "still open", e.describe(t, we).ExecutionInfo.ExecutionStatus, types.ExecutionStatusOpen)
	task := e.pollDecision(t, "")
	e.decide(t, task.TaskToken, markers...)
	evs := e.history(t, we)
	last := evs[len(evs)-1]
	exEq(t, "last event", last.EventType, types.EventTypeWorkflowExecutionTerminated)
	exEq(t, "cause", last.WorkflowExecutionTerminatedEventAttributes.Cause, types.WorkflowExecutionTerminatedCauseEventLimitExceeded)
	exEq(t, "closeStatus", e.describe(t, we).ExecutionInfo.CloseStatus, types.CloseStatusTerminated)
}
