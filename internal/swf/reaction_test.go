package swf_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
	gswf "github.com/gaffer-dev/gaffer/internal/swf"
)

// exWantBroken checks that we ended terminated by gaffer, because a
// reaction panicked.
func (e *exEnv) exWantBroken(t *testing.T, we *types.WorkflowExecution, want ...string) {
	t.Helper()
	evs := e.history(t, we)
	exWantTypes(t, evs, append(want, "WorkflowExecutionTerminated")...)
	a := exLast(t, evs, types.EventTypeWorkflowExecutionTerminated).WorkflowExecutionTerminatedEventAttributes
	if a.Cause != types.WorkflowExecutionTerminatedCauseOperatorInitiated || !strings.Contains(exStr(a.Reason), "gaffer") || !strings.Contains(exStr(a.Details), "panics") {
		t.Errorf("terminated: cause %q reason %q details %q, want OPERATOR_INITIATED by gaffer about the panic", a.Cause, exStr(a.Reason), exStr(a.Details))
	}
	if info := e.describe(t, we).ExecutionInfo; info.CloseStatus != types.CloseStatusTerminated {
		t.Errorf("close status %q, want TERMINATED", info.CloseStatus)
	}
}

// TestReactionPanicTerminates: a reaction that panics terminates its
// execution, and the call that caused it answers as usual.
func TestReactionPanicTerminates(t *testing.T) {
	t.Parallel()
	e := exSetup(t)

	// The decision's reaction panics: the decider's answer is taken.
	we := e.start(t, gswf.PanicPrefix+"3-"+servertest.Uniq("decision"))
	d := e.pollDecision(t, "")
	e.decide(t, d.TaskToken, exSchedule(e.act, "a1", "in"))
	e.exWantBroken(t, we, "WorkflowExecutionStarted", "DecisionTaskScheduled", "DecisionTaskStarted")

	// The activity's completion panics: the worker's answer is taken.
	we = e.start(t, gswf.PanicPrefix+"6-"+servertest.Uniq("activity"), func(in *swf.StartWorkflowExecutionInput) {
		in.ChildPolicy = types.ChildPolicyAbandon
	})
	d = e.pollDecision(t, "")
	e.decide(t, d.TaskToken, exSchedule(e.act, "a1", "in"))
	a := e.pollActivity(t, "")
	_, err := e.Client.RespondActivityTaskCompleted(e.Ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: a.TaskToken, Result: aws.String("r")})
	exOK(t, "RespondActivityTaskCompleted", err)
	e.exWantBroken(t, we, "WorkflowExecutionStarted", "DecisionTaskScheduled", "DecisionTaskStarted", "DecisionTaskCompleted", "ActivityTaskScheduled", "ActivityTaskStarted")

	// The workflowId is free again, and a plain execution runs.
	ok := e.start(t, servertest.Uniq("ok"))
	d = e.pollDecision(t, "")
	e.decide(t, d.TaskToken, exComplete("done"))
	exLast(t, e.history(t, ok), types.EventTypeWorkflowExecutionCompleted)
}
