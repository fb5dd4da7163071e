package swf_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// TestTaskTokensByRegion: a task token is an id too. The decision and
// activity tasks of an eu-west-1 execution cannot be answered or
// heartbeated from another region (the node's default one included): the
// token answers UnknownResourceFault, as a task gaffer does not know,
// naming nothing of the execution; the task stays open for its region.
func TestTaskTokensByRegion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	west := regionClient(b, "eu-west-1")
	e := &exEnv{bundle: &bundle{&servertest.SWFEnv{Env: b.Env, Client: west}}, domain: servertest.Uniq("tok"), tl: servertest.Uniq("tok-d"), atl: servertest.Uniq("tok-a")}
	_, err := west.RegisterDomain(b.Ctx, &swf.RegisterDomainInput{Name: aws.String(e.domain), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
	exOK(t, "RegisterDomain", err)
	e.wf = e.workflowType(t, "wf", "1", e.tl, "300", "300", types.ChildPolicyTerminate)
	e.act = e.activityType(t, "act", "1", e.atl, "NONE", "NONE", "NONE", "NONE")
	wid := servertest.Uniq("tok-w")
	we := e.start(t, wid)
	others := []*swf.Client{regionClient(b, "us-east-1"), regionClient(b, "ap-south-1")}
	// wantUnknown checks a foreign answer: UnknownResourceFault, naming
	// neither the execution nor the task.
	wantUnknown := func(what string, err error) {
		t.Helper()
		ctWantCode(t, what, err, "UnknownResourceFault")
		if msg := err.Error(); strings.Contains(msg, wid) || strings.Contains(msg, "scheduledEventId") {
			t.Errorf("%s: %v names the execution or task", what, err)
		}
	}

	dt := e.pollDecision(t, "")
	for _, c := range others {
		_, err := c.RespondDecisionTaskCompleted(b.Ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: dt.TaskToken,
			Decisions: []types.Decision{exComplete("from elsewhere")}})
		wantUnknown("RespondDecisionTaskCompleted from "+c.Options().Region, err)
	}
	e.decide(t, dt.TaskToken, exSchedule(e.act, "a1", "in"))

	at := e.pollActivity(t, "")
	for _, c := range others {
		r := c.Options().Region
		_, err := c.RecordActivityTaskHeartbeat(b.Ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: at.TaskToken})
		wantUnknown("RecordActivityTaskHeartbeat from "+r, err)
		_, err = c.RespondActivityTaskCompleted(b.Ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: at.TaskToken, Result: aws.String(r)})
		wantUnknown("RespondActivityTaskCompleted from "+r, err)
		_, err = c.RespondActivityTaskFailed(b.Ctx, &swf.RespondActivityTaskFailedInput{TaskToken: at.TaskToken, Reason: aws.String(r)})
		wantUnknown("RespondActivityTaskFailed from "+r, err)
		_, err = c.RespondActivityTaskCanceled(b.Ctx, &swf.RespondActivityTaskCanceledInput{TaskToken: at.TaskToken})
		wantUnknown("RespondActivityTaskCanceled from "+r, err)
	}
	// The task is still open, and its own region answers it.
	_, err = west.RecordActivityTaskHeartbeat(b.Ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: at.TaskToken})
	exOK(t, "RecordActivityTaskHeartbeat from eu-west-1", err)
	_, err = west.RespondActivityTaskCompleted(b.Ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: at.TaskToken, Result: aws.String("eu-west-1")})
	exOK(t, "RespondActivityTaskCompleted from eu-west-1", err)
	h := e.waitFor(t, we, types.EventTypeActivityTaskCompleted, 1)
	done := exOfType(h, types.EventTypeActivityTaskCompleted)
	if got := aws.ToString(done[0].ActivityTaskCompletedEventAttributes.Result); len(done) != 1 || got != "eu-west-1" {
		t.Errorf("%d completions, result %q; want eu-west-1's alone", len(done), got)
	}
	if n := len(exOfType(h, types.EventTypeActivityTaskFailed)) + len(exOfType(h, types.EventTypeActivityTaskCanceled)); n != 0 {
		t.Errorf("%d ActivityTaskFailed or Canceled events, want none", n)
	}
	if n := len(exOfType(h, types.EventTypeWorkflowExecutionCompleted)); n != 0 {
		t.Errorf("the execution completed: another region's decision was applied")
	}

	// Closed: its region hears which activity; another region, nothing.
	_, err = west.RecordActivityTaskHeartbeat(b.Ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: at.TaskToken})
	ctWantCode(t, "RecordActivityTaskHeartbeat of a closed task from eu-west-1", err, "UnknownResourceFault")
	if !strings.Contains(err.Error(), "Unknown activity, scheduledEventId =") {
		t.Errorf("closed task from eu-west-1: %v, want AWS's wording", err)
	}
	for _, c := range others {
		_, err = c.RecordActivityTaskHeartbeat(b.Ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: at.TaskToken})
		wantUnknown("RecordActivityTaskHeartbeat of a closed task from "+c.Options().Region, err)
	}
}
