package swf_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
	"github.com/aws/smithy-go"
)

// exWantError fails unless err is the API error code with message msg.
func exWantError(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || ae.ErrorMessage() != msg {
		t.Errorf("%s: error %v, want %s: %q", what, err, code, msg)
	}
}

// exScheduledID returns the id of the ActivityTaskScheduled event of
// activityID.
func exScheduledID(t *testing.T, evs []types.HistoryEvent, activityID string) int64 {
	t.Helper()
	for _, ev := range exOfType(evs, types.EventTypeActivityTaskScheduled) {
		if aws.ToString(ev.ActivityTaskScheduledEventAttributes.ActivityId) == activityID {
			return ev.EventId
		}
	}
	t.Fatalf("no ActivityTaskScheduled for %s", activityID)
	return 0
}

// The answers to a closed task's token are worded as AWS words them,
// because workers match on them: sclasen/swfsm stops a heartbeating
// activity on "Unknown activity" or "Unknown execution" (against gaffer's
// own wording its worker heartbeated a terminated workflow's activity
// forever). The wire's __type is SWF's namespaced one, and a malformed
// token is the request framework's ValidationException.
func TestExClosedTokenMessages(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	we := e.start(t, "messages")
	dt := e.pollDecision(t, "")
	e.decide(t, dt.TaskToken, exSchedule(e.act, "done", ""), exSchedule(e.act, "running", ""))
	done, running := e.pollActivity(t, ""), e.pollActivity(t, "")
	if aws.ToString(done.ActivityId) != "done" {
		done, running = running, done
	}
	_, err := e.Client.RespondActivityTaskCompleted(e.Ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: done.TaskToken})
	exOK(t, "RespondActivityTaskCompleted", err)
	evs := e.history(t, we)
	doneID := exScheduledID(t, evs, "done")

	// The execution is open: the task is unknown.
	_, err = e.Client.RecordActivityTaskHeartbeat(e.Ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: done.TaskToken})
	exWantError(t, "heartbeat of a completed activity", err, "UnknownResourceFault", fmt.Sprintf("Unknown activity, scheduledEventId = %d", doneID))
	_, err = e.Client.RespondActivityTaskFailed(e.Ctx, &swf.RespondActivityTaskFailedInput{TaskToken: done.TaskToken})
	exWantError(t, "fail of a completed activity", err, "UnknownResourceFault", fmt.Sprintf("Unknown activity, scheduledEventId = %d", doneID))
	_, err = e.Client.RespondDecisionTaskCompleted(e.Ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: dt.TaskToken})
	exWantError(t, "decision token used twice", err, "UnknownResourceFault", "Unknown decision task, scheduledEventId = 2")

	// Terminated mid-activity: the execution is unknown.
	_, err = e.Client.TerminateWorkflowExecution(e.Ctx, &swf.TerminateWorkflowExecutionInput{Domain: aws.String(e.domain), WorkflowId: we.WorkflowId})
	exOK(t, "TerminateWorkflowExecution", err)
	gone := fmt.Sprintf("Unknown execution: WorkflowExecution=[workflowId=%s, runId=%s]", aws.ToString(we.WorkflowId), aws.ToString(we.RunId))
	_, err = e.Client.RecordActivityTaskHeartbeat(e.Ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: running.TaskToken})
	exWantError(t, "heartbeat after terminate", err, "UnknownResourceFault", gone)
	_, err = e.Client.RecordActivityTaskHeartbeat(e.Ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: done.TaskToken})
	exWantError(t, "heartbeat of a completed activity after terminate", err, "UnknownResourceFault", gone)
	_, err = e.Client.RespondActivityTaskCompleted(e.Ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: running.TaskToken})
	exWantError(t, "complete after terminate", err, "UnknownResourceFault", gone)

	// On the wire, as a client without an SDK reads it.
	body, _ := json.Marshal(map[string]string{"taskToken": aws.ToString(running.TaskToken)})
	status, raw := exPost(t, e.bundle, "RecordActivityTaskHeartbeat", string(body))
	exWantBody(t, "heartbeat after terminate", status, raw, "com.amazonaws.swf.base.model#UnknownResourceFault", gone)
	status, raw = exPost(t, e.bundle, "RecordActivityTaskHeartbeat", `{"taskToken":"not-a-token"}`)
	exWantBody(t, "malformed token", status, raw, "com.amazon.coral.validate#ValidationException", "Invalid token")
}

// exWantBody checks a raw error answer: 400, its __type and message.
func exWantBody(t *testing.T, what string, status int, raw, typ, msg string) {
	t.Helper()
	var body struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal([]byte(raw), &body); err != nil || status != 400 || body.Type != typ || body.Message != msg {
		t.Errorf("%s: %d %s, want 400 with __type %q and message %q", what, status, raw, typ, msg)
	}
}

// The other faults whose text AWS is known to use (see errors.json).
func TestExFaultMessages(t *testing.T) {
	t.Parallel()
	e := exSetup(t)
	we := e.start(t, "faults")
	_, err := e.Client.StartWorkflowExecution(e.Ctx, &swf.StartWorkflowExecutionInput{Domain: aws.String(e.domain), WorkflowId: we.WorkflowId, WorkflowType: e.wf})
	exWantError(t, "start an open workflowId", err, "WorkflowExecutionAlreadyStartedFault", "Already Started")
	_, err = e.Client.DescribeDomain(e.Ctx, &swf.DescribeDomainInput{Name: aws.String("nope")})
	exWantError(t, "unknown domain", err, "UnknownResourceFault", "Unknown domain: nope")
	_, err = e.Client.DescribeWorkflowType(e.Ctx, &swf.DescribeWorkflowTypeInput{Domain: aws.String(e.domain), WorkflowType: &types.WorkflowType{Name: aws.String("nope"), Version: aws.String("1")}})
	exWantError(t, "unknown workflow type", err, "UnknownResourceFault", "Unknown type: WorkflowType=[name=nope, version=1]")
	_, err = e.Client.DescribeActivityType(e.Ctx, &swf.DescribeActivityTypeInput{Domain: aws.String(e.domain), ActivityType: &types.ActivityType{Name: aws.String("nope"), Version: aws.String("1")}})
	exWantError(t, "unknown activity type", err, "UnknownResourceFault", "Unknown type: ActivityType=[name=nope, version=1]")
	_, err = e.Client.DescribeWorkflowExecution(e.Ctx, &swf.DescribeWorkflowExecutionInput{Domain: aws.String(e.domain), Execution: &types.WorkflowExecution{WorkflowId: aws.String("nope"), RunId: aws.String("r")}})
	exWantError(t, "unknown execution", err, "UnknownResourceFault", "Unknown execution: WorkflowExecution=[workflowId=nope, runId=r]")
	_, err = e.Client.SignalWorkflowExecution(e.Ctx, &swf.SignalWorkflowExecutionInput{Domain: aws.String(e.domain), WorkflowId: aws.String("nope"), SignalName: aws.String("s")})
	exWantError(t, "signal an unknown workflowId", err, "UnknownResourceFault", "Unknown execution, workflowId = nope")
	_, err = e.Client.RegisterActivityType(e.Ctx, &swf.RegisterActivityTypeInput{Domain: aws.String(e.domain), Name: e.act.Name, Version: e.act.Version})
	exWantError(t, "register an activity type twice", err, "TypeAlreadyExistsFault", "ActivityType=[name=act, version=1]")
	_, err = e.Client.DeprecateWorkflowType(e.Ctx, &swf.DeprecateWorkflowTypeInput{Domain: aws.String(e.domain), WorkflowType: e.wf})
	exOK(t, "DeprecateWorkflowType", err)
	_, err = e.Client.DeprecateWorkflowType(e.Ctx, &swf.DeprecateWorkflowTypeInput{Domain: aws.String(e.domain), WorkflowType: e.wf})
	exWantError(t, "deprecate a workflow type twice", err, "TypeDeprecatedFault", "WorkflowType=[name=wf, version=1]")
	_, err = e.Client.RegisterDomain(e.Ctx, &swf.RegisterDomainInput{Name: aws.String(e.domain), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
	exWantError(t, "register a domain twice", err, "DomainAlreadyExistsFault", e.domain)
	_, err = e.Client.DeprecateDomain(e.Ctx, &swf.DeprecateDomainInput{Name: aws.String(e.domain)})
	exOK(t, "DeprecateDomain", err)
	_, err = e.Client.DeprecateDomain(e.Ctx, &swf.DeprecateDomainInput{Name: aws.String(e.domain)})
	exWantError(t, "deprecate a domain twice", err, "DomainDeprecatedFault", e.domain)
}
