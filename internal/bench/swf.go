package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// What the SWF phases share. Each registers a domain of its own on the
// shared server.

// SWF names the bench registers in each SWF phase's domain.
const (
	swfTypeName    = "bench"
	swfTypeVersion = "1"
)

// setupSWF registers domain, with a workflow type and an activity type
// whose defaults resolve every timeout: an hour for the activity's
// timeouts (its heartbeat timeout included) and for the execution, ten
// minutes for a decision task. Task lists are given per request.
func setupSWF(ctx context.Context, ep *endpoint, domain string) error {
	cl := ep.swfCaller()
	if err := cl.callJSON(ctx, "RegisterDomain", map[string]any{
		"name": domain, "workflowExecutionRetentionPeriodInDays": "1",
	}, nil); err != nil {
		return err
	}
	if err := cl.callJSON(ctx, "RegisterWorkflowType", map[string]any{
		"domain": domain, "name": swfTypeName, "version": swfTypeVersion,
		"defaultTaskList":                     map[string]any{"name": "bench-decisions"},
		"defaultExecutionStartToCloseTimeout": "3600",
		"defaultTaskStartToCloseTimeout":      "600",
		"defaultChildPolicy":                  "TERMINATE",
	}, nil); err != nil {
		return err
	}
	return cl.callJSON(ctx, "RegisterActivityType", map[string]any{
		"domain": domain, "name": swfTypeName, "version": swfTypeVersion,
		"defaultTaskList":                   map[string]any{"name": "bench-activities"},
		"defaultTaskScheduleToStartTimeout": "3600",
		"defaultTaskScheduleToCloseTimeout": "3600",
		"defaultTaskStartToCloseTimeout":    "3600",
		"defaultTaskHeartbeatTimeout":       "3600",
	}, nil)
}

// swfLoop drives workflows of one domain one after the other on a
// decision task list and an activity task list of its own, so that each
// of its polls finds the task its previous request produced. (On shared
// task lists a loop could take another loop's task and leave its own poll
// waiting for work that only it would produce.)
type swfLoop struct {
	cl                       *caller
	domain                   string
	name                     string // names the loop's task lists and workflows
	workflows                int    // started so far
	pollDecision, pollActive []byte
}

// setupSWFLoops registers domain and its types and returns n loops on it.
func setupSWFLoops(ctx context.Context, ep *endpoint, domain string, n int) ([]*swfLoop, error) {
	if err := setupSWF(ctx, ep, domain); err != nil {
		return nil, err
	}
	loops := make([]*swfLoop, n)
	for i := range loops {
		loops[i] = newSWFLoop(ep, domain, i)
	}
	return loops, nil
}

func newSWFLoop(ep *endpoint, domain string, i int) *swfLoop {
	l := &swfLoop{cl: ep.swfCaller(), domain: domain, name: "loop" + strconv.Itoa(i)}
	l.pollDecision = mustJSON(map[string]any{
		"domain": domain, "taskList": map[string]any{"name": l.name + "-decisions"}, "identity": "bench-decider",
	})
	l.pollActive = mustJSON(map[string]any{
		"domain": domain, "taskList": map[string]any{"name": l.name + "-activities"}, "identity": "bench-worker",
	})
	return l
}

// swfExecution is a WorkflowExecution on the wire.
type swfExecution struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
}

// start starts the loop's next workflow on its decision task list.
func (l *swfLoop) start(ctx context.Context) (swfExecution, error) {
	l.workflows++
	ex := swfExecution{WorkflowID: l.name + "-" + strconv.Itoa(l.workflows)}
	var out struct{ RunID string }
	err := l.cl.callJSON(ctx, "StartWorkflowExecution", map[string]any{
		"domain":       l.domain,
		"workflowId":   ex.WorkflowID,
		"workflowType": map[string]any{"name": swfTypeName, "version": swfTypeVersion},
		"taskList":     map[string]any{"name": l.name + "-decisions"},
		"input":        `{"bench":true}`,
	}, &out)
	if err == nil && out.RunID == "" {
		err = errors.New("StartWorkflowExecution answered without a runId")
	}
	ex.RunID = out.RunID
	return ex, err
}

// decisionTask polls the loop's decision task list, which must answer a
// decision task of ex whose history holds an event of type want, and
// returns its token.
func (l *swfLoop) decisionTask(ctx context.Context, ex swfExecution, want string) (string, error) {
	task, err := l.pollTask(ctx, "PollForDecisionTask", l.pollDecision, ex, "has one")
	switch {
	case err != nil:
		return "", err
	case task.NextPageToken != "":
		return "", fmt.Errorf("PollForDecisionTask paged a history of %d events", len(task.Events))
	case !slices.Contains(task.Events, swfEvent{want}):
		return "", fmt.Errorf("the decision task of %s has no %s event: %+v", ex.WorkflowID, want, task.Events)
	}
	return task.TaskToken, nil
}

// swfEvent is a HistoryEvent on the wire, as far as the bench reads it.
type swfEvent struct{ EventType string }

// swfTask is a decision or an activity task on the wire, as far as the
// bench reads it (an activity task has no history).
type swfTask struct {
	TaskToken         string
	WorkflowExecution swfExecution
	NextPageToken     string
	Events            []swfEvent
}

// pollTask polls with op on one of the loop's task lists, which must
// answer a task of ex (the error says ex then has, as in "has one").
func (l *swfLoop) pollTask(ctx context.Context, op string, body []byte, ex swfExecution, has string) (swfTask, error) {
	var task swfTask
	if err := l.cl.callJSON(ctx, op, body, &task); err != nil {
		return task, err
	}
	switch {
	case task.TaskToken == "":
		return task, fmt.Errorf("%s returned no task within %v although %s %s", op, serverPollWait, ex.WorkflowID, has)
	case task.WorkflowExecution != ex:
		return task, fmt.Errorf("%s on %s's task list returned a task of %v", op, ex.WorkflowID, task.WorkflowExecution)
	}
	return task, nil
}

// decide answers a decision task with one decision.
func (l *swfLoop) decide(ctx context.Context, token string, decision map[string]any) error {
	_, err := l.cl.call(ctx, "RespondDecisionTaskCompleted", mustJSON(map[string]any{
		"taskToken": token, "decisions": []any{decision},
	}))
	return err
}

// scheduleActivity is the decision that schedules the bench's activity
// on the loop's activity task list.
func (l *swfLoop) scheduleActivity() map[string]any {
	return map[string]any{
		"decisionType": "ScheduleActivityTask",
		"scheduleActivityTaskDecisionAttributes": map[string]any{
			"activityType": map[string]any{"name": swfTypeName, "version": swfTypeVersion},
			"activityId":   "work",
			"taskList":     map[string]any{"name": l.name + "-activities"},
			"input":        `{"bench":true}`,
		},
	}
}

var swfCompleteWorkflow = map[string]any{
	"decisionType": "CompleteWorkflowExecution",
	"completeWorkflowExecutionDecisionAttributes": map[string]any{"result": `{"done":true}`},
}

func swfStartTimer(id string) map[string]any {
	return map[string]any{
		"decisionType":                 "StartTimer",
		"startTimerDecisionAttributes": map[string]any{"timerId": id, "startToFireTimeout": "0"},
	}
}

// activityTask polls the loop's activity task list, which must answer an
// activity task of ex, and returns its token.
func (l *swfLoop) activityTask(ctx context.Context, ex swfExecution) (string, error) {
	task, err := l.pollTask(ctx, "PollForActivityTask", l.pollActive, ex, "scheduled one")
	if err != nil {
		return "", err
	}
	return task.TaskToken, nil
}

// heartbeat sends RecordActivityTaskHeartbeat, which must not ask to
// cancel.
func (l *swfLoop) heartbeat(ctx context.Context, token string) error {
	var out struct{ CancelRequested *bool }
	if err := l.cl.callJSON(ctx, "RecordActivityTaskHeartbeat", mustJSON(map[string]any{"taskToken": token}), &out); err != nil {
		return err
	}
	if out.CancelRequested == nil || *out.CancelRequested {
		return fmt.Errorf("RecordActivityTaskHeartbeat answered cancelRequested %v, want false", out.CancelRequested)
	}
	return nil
}

// waitCompleted checks that ex has closed as COMPLETED, waiting up to five
// seconds for it to close.
func waitCompleted(ctx context.Context, cl *caller, domain string, ex swfExecution) error {
	deadline := time.Now().Add(5 * time.Second)
	var out struct {
		ExecutionInfo struct{ ExecutionStatus, CloseStatus string }
	}
	for {
		if err := cl.callJSON(ctx, "DescribeWorkflowExecution", map[string]any{"domain": domain, "execution": ex}, &out); err != nil {
			return err
		}
		info := out.ExecutionInfo
		if info.ExecutionStatus == "CLOSED" && info.CloseStatus == "COMPLETED" {
			return nil
		}
		if info.ExecutionStatus != "OPEN" || time.Now().After(deadline) {
			return fmt.Errorf("workflow %s is %s %s after its completion, want CLOSED COMPLETED", ex.WorkflowID, info.ExecutionStatus, info.CloseStatus)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
