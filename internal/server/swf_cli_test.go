package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// swfcHeartbeatCLI runs the seed's command, `aws swf
// record-activity-task-heartbeat`, and returns its exit code, the
// cancelRequested it printed (when it printed one) and stderr.
func swfcHeartbeatCLI(t *testing.T, url, token, details string) (code int, cancelRequested *bool, stdout, stderr string) {
	t.Helper()
	args := []string{"swf", "record-activity-task-heartbeat", "--task-token", token}
	if details != "" {
		args = append(args, "--details", details)
	}
	code, stdout, stderr = runAWS(t, url, args...)
	if code != 0 {
		return code, nil, stdout, stderr
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("record-activity-task-heartbeat printed no JSON object: %v\n%s", err, stdout)
	}
	var cr bool
	if raw, ok := got["cancelRequested"]; !ok || len(got) != 1 || json.Unmarshal(raw, &cr) != nil {
		t.Fatalf("record-activity-task-heartbeat printed %s, want exactly {\"cancelRequested\": <bool>}", stdout)
	}
	return code, &cr, stdout, stderr
}

// TestSWFAWSCLI runs the seed's command, `aws swf
// record-activity-task-heartbeat`, and its neighbours with the real AWS CLI
// v2 against a task set up with the Go SDK.
func TestSWFAWSCLI(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	url := srv.URL()
	e := swfcSetup(t, url, servertest.Commits(srv), "cli-domain")
	h := swfcNewHandouts()
	runID := e.start(t, "cli-1")
	dt := e.mustPollDecision(t, "cli-1", h)
	e.respond(t, "cli-1", dt.TaskToken, e.scheduleDecision("cli-1-1", swfcActivityList("cli-1"), "60"))
	task := e.mustPollActivity(t, "cli-1", h)
	tok := aws.ToString(task.TaskToken)

	code, cr, stdout, stderr := swfcHeartbeatCLI(t, url, tok, "50%")
	if code != 0 {
		t.Fatalf("record-activity-task-heartbeat: exit %d\n%s", code, stderr)
	}
	if *cr {
		t.Errorf("record-activity-task-heartbeat printed %s before any cancel request, want cancelRequested false", stdout)
	}

	// The decider asks the started activity to stop (a signal gives it a
	// decision task to do so).
	if _, err := e.SignalWorkflowExecution(e.ctx, &swf.SignalWorkflowExecutionInput{
		Domain: aws.String(e.domain), WorkflowId: aws.String("cli-1"), SignalName: aws.String("stop"),
	}); err != nil {
		t.Fatalf("SignalWorkflowExecution: %v", err)
	}
	dt = e.mustPollDecision(t, "cli-1", h)
	e.respond(t, "cli-1", dt.TaskToken, types.Decision{
		DecisionType: types.DecisionTypeRequestCancelActivityTask,
		RequestCancelActivityTaskDecisionAttributes: &types.RequestCancelActivityTaskDecisionAttributes{ActivityId: aws.String("cli-1-1")},
	})
	cancelReq, _ := e.waitEvent(t, "cli-1", runID, types.EventTypeActivityTaskCancelRequested, nil, 0)

	code, cr, stdout, stderr = swfcHeartbeatCLI(t, url, tok, "")
	if code != 0 {
		t.Fatalf("record-activity-task-heartbeat after the cancel request: exit %d\n%s", code, stderr)
	}
	if !*cr {
		t.Errorf("record-activity-task-heartbeat after the cancel request printed %s, want cancelRequested true", stdout)
	}

	if code, _, stderr := runAWS(t, url, "swf", "respond-activity-task-canceled", "--task-token", tok, "--details", "stopped by cli"); code != 0 {
		t.Fatalf("respond-activity-task-canceled: exit %d\n%s", code, stderr)
	}
	// The cancellation and the execution's reaction commit with the call.
	events := e.history(t, "cli-1", runID)
	var canceled *types.ActivityTaskCanceledEventAttributes
	for _, ev := range events {
		if ev.EventType == types.EventTypeActivityTaskCanceled {
			canceled = ev.ActivityTaskCanceledEventAttributes
		}
	}
	switch {
	case canceled == nil:
		t.Fatalf("no ActivityTaskCanceled after respond-activity-task-canceled: %v", swfcTypes(events))
	case aws.ToString(canceled.Details) != "stopped by cli" || canceled.StartedEventId != task.StartedEventId || canceled.LatestCancelRequestedEventId != cancelReq.EventId:
		t.Errorf("ActivityTaskCanceled details %q startedEventId %d latestCancelRequestedEventId %d; want \"stopped by cli\", %d, %d",
			aws.ToString(canceled.Details), canceled.StartedEventId, canceled.LatestCancelRequestedEventId, task.StartedEventId, cancelReq.EventId)
	}

	code, _, _, stderr = swfcHeartbeatCLI(t, url, tok, "")
	if code == 0 || !strings.Contains(stderr, "UnknownResourceFault") {
		t.Errorf("record-activity-task-heartbeat after the cancellation: exit %d, stderr %q; want non-zero and UnknownResourceFault", code, stderr)
	}

	// One more activity, left pending for count-pending-activity-tasks.
	dt = e.mustPollDecision(t, "cli-1", h)
	e.respond(t, "cli-1", dt.TaskToken, e.scheduleDecision("cli-1-2", swfcActivityList("cli-1"), "60"))

	code, stdout, stderr = runAWS(t, url, "swf", "count-pending-activity-tasks", "--domain", e.domain, "--task-list", "name="+swfcActivityList("cli-1"))
	if code != 0 {
		t.Fatalf("count-pending-activity-tasks: exit %d\n%s", code, stderr)
	}
	var count struct {
		Count     *int  `json:"count"`
		Truncated *bool `json:"truncated"`
	}
	if err := json.Unmarshal([]byte(stdout), &count); err != nil || count.Count == nil {
		t.Fatalf("count-pending-activity-tasks output does not parse as PendingTaskCount (%v):\n%s", err, stdout)
	}
	if *count.Count != 1 || (count.Truncated != nil && *count.Truncated) {
		t.Errorf("count-pending-activity-tasks: %s, want count 1, not truncated", stdout)
	}

	code, stdout, stderr = runAWS(t, url, "swf", "list-domains", "--registration-status", "REGISTERED")
	if code != 0 {
		t.Fatalf("list-domains: exit %d\n%s", code, stderr)
	}
	var domains struct {
		DomainInfos []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
			ARN    string `json:"arn"`
		} `json:"domainInfos"`
	}
	if err := json.Unmarshal([]byte(stdout), &domains); err != nil {
		t.Fatalf("list-domains output is not JSON: %v\n%s", err, stdout)
	}
	found := false
	for _, d := range domains.DomainInfos {
		if d.Name == e.domain {
			found = true
			if d.Status != "REGISTERED" {
				t.Errorf("list-domains: %s has status %s, want REGISTERED", d.Name, d.Status)
			}
		}
	}
	if !found {
		t.Errorf("list-domains --registration-status REGISTERED does not list %s:\n%s", e.domain, stdout)
	}
}
