package swf

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/swferr"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// Per-execution limits of SWF.
const (
	maxOpenActivities = 1000
	maxOpenTimers     = 1000
	maxOpenChildren   = 1000
)

type respondDecisionTaskCompletedInput struct {
	TaskToken string `json:"taskToken"`
	decisionResult
}

// decisionResult is what a decider answered: RespondDecisionTaskCompleted
// hands it to the owner's decisionTaskCompleted through the engine's
// CompleteFunc, so the decisions are applied in the transaction that
// completes the task.
type decisionResult struct {
	Decisions                      []decision `json:"decisions,omitempty"`
	ExecutionContext               *string    `json:"executionContext,omitempty"`
	TaskList                       *TaskList  `json:"taskList,omitempty"`
	TaskListScheduleToStartTimeout string     `json:"taskListScheduleToStartTimeout,omitempty"`

	// permitted, when the decider's request was authenticated, reports
	// whether its principal may make a decision of a type (the IAM action
	// "swf:<decisionType>") in a domain; nil permits every decision.
	permitted func(decisionType, domain string) bool
}

// decision is one Decision with the model's member names.
type decision struct {
	DecisionType                           string                               `json:"decisionType"`
	ScheduleActivityTask                   *scheduleActivityTaskDecision        `json:"scheduleActivityTaskDecisionAttributes,omitempty"`
	RequestCancelActivityTask              *requestCancelActivityTaskDecision   `json:"requestCancelActivityTaskDecisionAttributes,omitempty"`
	CompleteWorkflowExecution              *completeWorkflowExecutionDecision   `json:"completeWorkflowExecutionDecisionAttributes,omitempty"`
	FailWorkflowExecution                  *failWorkflowExecutionDecision       `json:"failWorkflowExecutionDecisionAttributes,omitempty"`
	CancelWorkflowExecution                *cancelWorkflowExecutionDecision     `json:"cancelWorkflowExecutionDecisionAttributes,omitempty"`
	ContinueAsNewWorkflowExecution         *continueAsNewDecision               `json:"continueAsNewWorkflowExecutionDecisionAttributes,omitempty"`
	RecordMarker                           *recordMarkerDecision                `json:"recordMarkerDecisionAttributes,omitempty"`
	StartTimer                             *startTimerDecision                  `json:"startTimerDecisionAttributes,omitempty"`
	CancelTimer                            *cancelTimerDecision                 `json:"cancelTimerDecisionAttributes,omitempty"`
	SignalExternalWorkflowExecution        *signalExternalDecision              `json:"signalExternalWorkflowExecutionDecisionAttributes,omitempty"`
	RequestCancelExternalWorkflowExecution *requestCancelExternalDecision       `json:"requestCancelExternalWorkflowExecutionDecisionAttributes,omitempty"`
	StartChildWorkflowExecution            *startChildWorkflowExecutionDecision `json:"startChildWorkflowExecutionDecisionAttributes,omitempty"`
	ScheduleLambdaFunction                 *scheduleLambdaFunctionDecision      `json:"scheduleLambdaFunctionDecisionAttributes,omitempty"`
}

type scheduleActivityTaskDecision struct {
	ActivityType           ActivityType `json:"activityType"`
	ActivityID             string       `json:"activityId"`
	Control                string       `json:"control,omitempty"`
	Input                  string       `json:"input,omitempty"`
	ScheduleToCloseTimeout string       `json:"scheduleToCloseTimeout,omitempty"`
	TaskList               *TaskList    `json:"taskList,omitempty"`
	TaskPriority           string       `json:"taskPriority,omitempty"`
	ScheduleToStartTimeout string       `json:"scheduleToStartTimeout,omitempty"`
	StartToCloseTimeout    string       `json:"startToCloseTimeout,omitempty"`
	HeartbeatTimeout       string       `json:"heartbeatTimeout,omitempty"`
}

type requestCancelActivityTaskDecision struct {
	ActivityID string `json:"activityId"`
}

type completeWorkflowExecutionDecision struct {
	Result string `json:"result,omitempty"`
}

type failWorkflowExecutionDecision struct {
	Reason  string `json:"reason,omitempty"`
	Details string `json:"details,omitempty"`
}

type cancelWorkflowExecutionDecision struct {
	Details string `json:"details,omitempty"`
}

type continueAsNewDecision struct {
	Input                        string    `json:"input,omitempty"`
	ExecutionStartToCloseTimeout string    `json:"executionStartToCloseTimeout,omitempty"`
	TaskList                     *TaskList `json:"taskList,omitempty"`
	TaskPriority                 string    `json:"taskPriority,omitempty"`
	TaskStartToCloseTimeout      string    `json:"taskStartToCloseTimeout,omitempty"`
	ChildPolicy                  string    `json:"childPolicy,omitempty"`
	TagList                      []string  `json:"tagList,omitempty"`
	WorkflowTypeVersion          string    `json:"workflowTypeVersion,omitempty"`
	LambdaRole                   string    `json:"lambdaRole,omitempty"`
}

type recordMarkerDecision struct {
	MarkerName string `json:"markerName"`
	Details    string `json:"details,omitempty"`
}

type startTimerDecision struct {
	TimerID            string `json:"timerId"`
	Control            string `json:"control,omitempty"`
	StartToFireTimeout string `json:"startToFireTimeout"`
}

type cancelTimerDecision struct {
	TimerID string `json:"timerId"`
}

type signalExternalDecision struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId,omitempty"`
	SignalName string `json:"signalName"`
	Input      string `json:"input,omitempty"`
	Control    string `json:"control,omitempty"`
}

type requestCancelExternalDecision struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId,omitempty"`
	Control    string `json:"control,omitempty"`
}

type startChildWorkflowExecutionDecision struct {
	WorkflowType                 WorkflowType `json:"workflowType"`
	WorkflowID                   string       `json:"workflowId"`
	Control                      string       `json:"control,omitempty"`
	Input                        string       `json:"input,omitempty"`
	ExecutionStartToCloseTimeout string       `json:"executionStartToCloseTimeout,omitempty"`
	TaskList                     *TaskList    `json:"taskList,omitempty"`
	TaskPriority                 string       `json:"taskPriority,omitempty"`
	TaskStartToCloseTimeout      string       `json:"taskStartToCloseTimeout,omitempty"`
	ChildPolicy                  string       `json:"childPolicy,omitempty"`
	TagList                      []string     `json:"tagList,omitempty"`
	LambdaRole                   string       `json:"lambdaRole,omitempty"`
}

type scheduleLambdaFunctionDecision struct {
	ID                  string `json:"id"`
	Name                string `json:"name"`
	Control             string `json:"control,omitempty"`
	Input               string `json:"input,omitempty"`
	StartToCloseTimeout string `json:"startToCloseTimeout,omitempty"`
}

// taskListName returns a task list's name, "" for none.
func taskListName(tl *TaskList) string {
	if tl == nil {
		return ""
	}
	return tl.Name
}

// validate checks what the model cannot: that each decision carries the
// attributes of its type, and that names, durations and priorities are
// well formed. A malformed decision list fails the whole
// RespondDecisionTaskCompleted with ValidationException before anything
// is applied (the decision task stays started and its token stays good,
// so the decider can answer again); decisions that are well formed but
// cannot be carried out (unknown type, id in use...) are recorded as
// their …Failed events instead.
func (in *decisionResult) validate() error {
	if in.TaskList != nil {
		if err := checkName("taskList.name", in.TaskList.Name); err != nil {
			return err
		}
	}
	if err := checkDuration("taskListScheduleToStartTimeout", in.TaskListScheduleToStartTimeout); err != nil {
		return err
	}
	for i := range in.Decisions {
		if err := in.Decisions[i].validate(i); err != nil {
			return err
		}
	}
	return nil
}

func (d *decision) validate(i int) error {
	prefix := fmt.Sprintf("decisions.%d.", i+1)
	missing := func(member string) error {
		return swferr.ValidationException("Invalid decision %d: a %s decision needs %s", i+1, d.DecisionType, member)
	}
	name := func(field, v string) error { return checkName(prefix+field, v) }
	switch d.DecisionType {
	case "ScheduleActivityTask":
		a := d.ScheduleActivityTask
		if a == nil {
			return missing("scheduleActivityTaskDecisionAttributes")
		}
		if err := name("scheduleActivityTaskDecisionAttributes.activityId", a.ActivityID); err != nil {
			return err
		}
		if a.TaskList != nil {
			if err := name("scheduleActivityTaskDecisionAttributes.taskList.name", a.TaskList.Name); err != nil {
				return err
			}
		}
		for _, t := range []struct{ f, v string }{
			{"scheduleToCloseTimeout", a.ScheduleToCloseTimeout}, {"scheduleToStartTimeout", a.ScheduleToStartTimeout},
			{"startToCloseTimeout", a.StartToCloseTimeout}, {"heartbeatTimeout", a.HeartbeatTimeout},
		} {
			if err := checkDuration(prefix+"scheduleActivityTaskDecisionAttributes."+t.f, t.v); err != nil {
				return err
			}
		}
		_, err := checkPriority(prefix+"scheduleActivityTaskDecisionAttributes.taskPriority", a.TaskPriority)
		return err
	case "RequestCancelActivityTask":
		if d.RequestCancelActivityTask == nil {
			return missing("requestCancelActivityTaskDecisionAttributes")
		}
	case "CompleteWorkflowExecution", "FailWorkflowExecution", "CancelWorkflowExecution":
		// Every attribute is optional: the attributes object may be left out.
	case "ContinueAsNewWorkflowExecution":
		if a := d.ContinueAsNewWorkflowExecution; a != nil {
			return checkStartConfig(prefix+"continueAsNewWorkflowExecutionDecisionAttributes.", taskListName(a.TaskList), a.ExecutionStartToCloseTimeout, a.TaskStartToCloseTimeout, a.TaskPriority)
		}
	case "RecordMarker":
		if d.RecordMarker == nil {
			return missing("recordMarkerDecisionAttributes")
		}
		return name("recordMarkerDecisionAttributes.markerName", d.RecordMarker.MarkerName)
	case "StartTimer":
		a := d.StartTimer
		if a == nil {
			return missing("startTimerDecisionAttributes")
		}
		if err := name("startTimerDecisionAttributes.timerId", a.TimerID); err != nil {
			return err
		}
		if !allDigits(a.StartToFireTimeout) {
			return swferr.ValidationException("Invalid %sstartTimerDecisionAttributes.startToFireTimeout '%s': give a whole number of seconds", prefix, a.StartToFireTimeout)
		}
	case "CancelTimer":
		if d.CancelTimer == nil {
			return missing("cancelTimerDecisionAttributes")
		}
	case "SignalExternalWorkflowExecution":
		a := d.SignalExternalWorkflowExecution
		if a == nil {
			return missing("signalExternalWorkflowExecutionDecisionAttributes")
		}
		return name("signalExternalWorkflowExecutionDecisionAttributes.signalName", a.SignalName)
	case "RequestCancelExternalWorkflowExecution":
		if d.RequestCancelExternalWorkflowExecution == nil {
			return missing("requestCancelExternalWorkflowExecutionDecisionAttributes")
		}
	case "StartChildWorkflowExecution":
		a := d.StartChildWorkflowExecution
		if a == nil {
			return missing("startChildWorkflowExecutionDecisionAttributes")
		}
		if err := name("startChildWorkflowExecutionDecisionAttributes.workflowId", a.WorkflowID); err != nil {
			return err
		}
		return checkStartConfig(prefix+"startChildWorkflowExecutionDecisionAttributes.", taskListName(a.TaskList), a.ExecutionStartToCloseTimeout, a.TaskStartToCloseTimeout, a.TaskPriority)
	case "ScheduleLambdaFunction":
		if d.ScheduleLambdaFunction == nil {
			return missing("scheduleLambdaFunctionDecisionAttributes")
		}
	default:
		return swferr.ValidationException("Invalid decision %d: unknown decisionType '%s'", i+1, d.DecisionType)
	}
	return nil
}

// RespondDecisionTaskCompleted completes a decision task. The decisions
// are applied by the owner's decisionTaskCompleted, in the transaction
// that closes the task: all of them or (if the task is no longer open)
// none.
func (s *Service) RespondDecisionTaskCompleted(ctx context.Context, in *respondDecisionTaskCompletedInput) (*struct{}, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	if err := s.authorizeToken(ctx, in.TaskToken); err != nil {
		return nil, err
	}
	if p, ok := awsapi.Caller(ctx); ok {
		in.permitted = func(decisionType, domain string) bool {
			return p.Allowed("swf:"+decisionType, s.domainARN(ctx, domain))
		}
	}
	err := s.eng.CompleteFunc(ctx, in.TaskToken, func(tx store.Tx, t *store.Task) error {
		return (*owner)(s).decisionTaskCompleted(tx, t, &in.decisionResult)
	})
	if err != nil {
		return nil, s.tokenError(ctx, in.TaskToken, err)
	}
	return &struct{}{}, nil
}

// decisionCompleted records DecisionTaskCompleted and applies the
// decisions in order. A closing decision fails with UNHANDLED_DECISION if
// events that need a decision arrived while the task was started;
// decisions after a closing decision that succeeded are ignored (the
// execution is closed). One decision task follows if anything the
// decisions caused needs one.
func (r *run) decisionCompleted(res *decisionResult) error {
	d := r.rt.Decision
	r.rt.Decision = nil
	attrs := decisionTaskCompletedAttrs{
		ScheduledEventID:               d.ScheduledEventID,
		StartedEventID:                 d.StartedEventID,
		TaskList:                       res.TaskList,
		TaskListScheduleToStartTimeout: res.TaskListScheduleToStartTimeout,
	}
	if res.ExecutionContext != nil {
		attrs.ExecutionContext = *res.ExecutionContext
		r.ex.LatestExecutionContext = *res.ExecutionContext
	}
	completed := r.rec.add("DecisionTaskCompleted", attrs)
	r.rt.PreviousStartedEventID = d.StartedEventID
	if res.TaskList != nil {
		r.rt.TaskListOverride, r.rt.OverrideScheduleToStart = res.TaskList.Name, res.TaskListScheduleToStartTimeout
		if r.rt.TaskListOverride == r.ex.TaskList && r.rt.OverrideScheduleToStart == "" {
			r.rt.TaskListOverride = ""
		}
	}
	unhandled := r.rt.DecisionPending
	r.rt.DecisionPending = false
	r.deciding, r.wantDecision = true, unhandled
	for i := range res.Decisions {
		if !r.open() {
			break
		}
		d := &res.Decisions[i]
		if res.permitted != nil && d.DecisionType != "ScheduleLambdaFunction" && !res.permitted(d.DecisionType, r.ex.Domain) {
			r.notPermitted(d, completed)
			continue
		}
		if err := r.apply(d, completed, unhandled); err != nil {
			return err
		}
	}
	r.deciding = false
	if r.open() && r.wantDecision {
		r.wantDecision = false
		return r.scheduleDecision()
	}
	r.wantDecision = false
	return nil
}

// closeByDecision carries out a Complete, Fail or Cancel decision: the
// closing event and the close, or, if events arrived while the decision
// task was started, the decision's ...Failed event (UNHANDLED_DECISION).
func (r *run) closeByDecision(decisionType string, completed int64, unhandled bool, eventType string, attrs workflowClosedAttrs, c closing) error {
	if unhandled {
		return r.closeFailed(decisionType+"Failed", completed)
	}
	attrs.DecisionTaskCompletedEventID = completed
	r.rec.add(eventType, attrs)
	return r.close(c)
}

// apply carries out one decision.
func (r *run) apply(d *decision, completed int64, unhandled bool) error {
	switch d.DecisionType {
	case "ScheduleActivityTask":
		return r.scheduleActivity(d.ScheduleActivityTask, completed)
	case "RequestCancelActivityTask":
		return r.requestCancelActivity(d.RequestCancelActivityTask.ActivityID, completed)
	case "CompleteWorkflowExecution":
		a := cmp.Or(d.CompleteWorkflowExecution, &completeWorkflowExecutionDecision{})
		return r.closeByDecision(d.DecisionType, completed, unhandled, "WorkflowExecutionCompleted",
			workflowClosedAttrs{Result: a.Result}, closing{status: closeCompleted, result: a.Result})
	case "FailWorkflowExecution":
		a := cmp.Or(d.FailWorkflowExecution, &failWorkflowExecutionDecision{})
		return r.closeByDecision(d.DecisionType, completed, unhandled, "WorkflowExecutionFailed",
			workflowClosedAttrs{Reason: a.Reason, Details: a.Details}, closing{status: closeFailed, reason: a.Reason, details: a.Details})
	case "CancelWorkflowExecution":
		a := cmp.Or(d.CancelWorkflowExecution, &cancelWorkflowExecutionDecision{})
		return r.closeByDecision(d.DecisionType, completed, unhandled, "WorkflowExecutionCanceled",
			workflowClosedAttrs{Details: a.Details}, closing{status: closeCanceled, details: a.Details})
	case "ContinueAsNewWorkflowExecution":
		if unhandled {
			return r.closeFailed("ContinueAsNewWorkflowExecutionFailed", completed)
		}
		a := d.ContinueAsNewWorkflowExecution
		if a == nil {
			a = &continueAsNewDecision{}
		}
		return r.continueAsNew(a, completed)
	case "RecordMarker":
		a := d.RecordMarker
		r.rec.add("MarkerRecorded", markerRecordedAttrs{MarkerName: a.MarkerName, Details: a.Details, DecisionTaskCompletedEventID: completed})
		return nil
	case "StartTimer":
		return r.startTimer(d.StartTimer, completed)
	case "CancelTimer":
		return r.cancelTimer(d.CancelTimer.TimerID, completed)
	case "SignalExternalWorkflowExecution":
		return r.signalExternal(d.SignalExternalWorkflowExecution, completed)
	case "RequestCancelExternalWorkflowExecution":
		return r.requestCancelExternal(d.RequestCancelExternalWorkflowExecution, completed)
	case "StartChildWorkflowExecution":
		return r.startChild(d.StartChildWorkflowExecution, completed)
	case "ScheduleLambdaFunction":
		// gaffer runs no Lambda functions: the decision fails as it does in
		// a region without Lambda.
		a := d.ScheduleLambdaFunction
		r.rec.add("ScheduleLambdaFunctionFailed", scheduleLambdaFunctionFailedAttrs{
			ID: a.ID, Name: a.Name, Cause: "LAMBDA_SERVICE_NOT_AVAILABLE_IN_REGION", DecisionTaskCompletedEventID: completed,
		})
		r.wantDecision = true
		return nil
	}
	return fmt.Errorf("swf: unexpected decision type %q", d.DecisionType)
}

// notPermitted records the failure of a decision the decider's principal
// may not make (its IAM action, "swf:<decisionType>", is denied on the
// domain): the decision's …Failed event with cause OPERATION_NOT_PERMITTED,
// as AWS records it, and nothing else of it is carried out.
func (r *run) notPermitted(d *decision, completed int64) {
	const cause = "OPERATION_NOT_PERMITTED"
	r.wantDecision = true
	event := d.DecisionType + "Failed"
	switch d.DecisionType {
	case "ScheduleActivityTask":
		a := d.ScheduleActivityTask
		r.rec.add(event, scheduleActivityTaskFailedAttrs{ActivityType: a.ActivityType, ActivityID: a.ActivityID, Cause: cause, DecisionTaskCompletedEventID: completed})
	case "RequestCancelActivityTask":
		r.rec.add(event, requestCancelActivityTaskFailedAttrs{ActivityID: d.RequestCancelActivityTask.ActivityID, Cause: cause, DecisionTaskCompletedEventID: completed})
	case "RecordMarker":
		r.rec.add(event, recordMarkerFailedAttrs{MarkerName: d.RecordMarker.MarkerName, Cause: cause, DecisionTaskCompletedEventID: completed})
	case "StartTimer":
		r.rec.add(event, timerFailedAttrs{TimerID: d.StartTimer.TimerID, Cause: cause, DecisionTaskCompletedEventID: completed})
	case "CancelTimer":
		r.rec.add(event, timerFailedAttrs{TimerID: d.CancelTimer.TimerID, Cause: cause, DecisionTaskCompletedEventID: completed})
	case "SignalExternalWorkflowExecution":
		a := d.SignalExternalWorkflowExecution
		r.rec.add(event, externalFailedAttrs{WorkflowID: a.WorkflowID, RunID: a.RunID, Cause: cause, DecisionTaskCompletedEventID: completed, Control: a.Control})
	case "RequestCancelExternalWorkflowExecution":
		a := d.RequestCancelExternalWorkflowExecution
		r.rec.add(event, externalFailedAttrs{WorkflowID: a.WorkflowID, RunID: a.RunID, Cause: cause, DecisionTaskCompletedEventID: completed, Control: a.Control})
	case "StartChildWorkflowExecution":
		a := d.StartChildWorkflowExecution
		r.rec.add(event, startChildFailedAttrs{WorkflowType: a.WorkflowType, Cause: cause, WorkflowID: a.WorkflowID, DecisionTaskCompletedEventID: completed, Control: a.Control})
	default: // the closing decisions
		r.rec.add(event, decisionFailedAttrs{Cause: cause, DecisionTaskCompletedEventID: completed})
	}
}

// closeFailed records the failure of a closing decision made while new
// events were waiting for the decider.
func (r *run) closeFailed(eventType string, completed int64) error {
	r.rec.add(eventType, decisionFailedAttrs{Cause: "UNHANDLED_DECISION", DecisionTaskCompletedEventID: completed})
	r.wantDecision = true
	return nil
}

// scheduleActivity carries out a ScheduleActivityTask decision.
func (r *run) scheduleActivity(a *scheduleActivityTaskDecision, completed int64) error {
	ss, ex := r.ss, r.ex
	fail := func(cause string) error {
		r.rec.add("ScheduleActivityTaskFailed", scheduleActivityTaskFailedAttrs{
			ActivityType: a.ActivityType, ActivityID: a.ActivityID, Cause: cause, DecisionTaskCompletedEventID: completed,
		})
		r.wantDecision = true
		return nil
	}
	at, err := loadActivityType(ss.tx, ex.Domain, a.ActivityType.Name, a.ActivityType.Version)
	if err != nil {
		return err
	}
	switch {
	case at == nil:
		return fail("ACTIVITY_TYPE_DOES_NOT_EXIST")
	case at.Status == statusDeprecated:
		return fail("ACTIVITY_TYPE_DEPRECATED")
	case r.rt.Activities[a.ActivityID] != nil:
		return fail("ACTIVITY_ID_ALREADY_IN_USE")
	case len(r.rt.Activities) >= maxOpenActivities:
		return fail("OPEN_ACTIVITIES_LIMIT_EXCEEDED")
	}
	or := func(v, def string) string {
		if v != "" {
			return v
		}
		return def
	}
	ev := activityTaskScheduledAttrs{
		ActivityType:                 a.ActivityType,
		ActivityID:                   a.ActivityID,
		Input:                        a.Input,
		Control:                      a.Control,
		ScheduleToStartTimeout:       or(a.ScheduleToStartTimeout, at.DefaultScheduleToStart),
		ScheduleToCloseTimeout:       or(a.ScheduleToCloseTimeout, at.DefaultScheduleToClose),
		StartToCloseTimeout:          or(a.StartToCloseTimeout, at.DefaultStartToClose),
		HeartbeatTimeout:             or(a.HeartbeatTimeout, at.DefaultHeartbeat),
		TaskList:                     TaskList{Name: or(taskListName(a.TaskList), at.DefaultTaskList)},
		TaskPriority:                 or(a.TaskPriority, at.DefaultTaskPriority),
		DecisionTaskCompletedEventID: completed,
	}
	switch {
	case ev.TaskList.Name == "":
		return fail("DEFAULT_TASK_LIST_UNDEFINED")
	case ev.ScheduleToStartTimeout == "":
		return fail("DEFAULT_SCHEDULE_TO_START_TIMEOUT_UNDEFINED")
	case ev.ScheduleToCloseTimeout == "":
		return fail("DEFAULT_SCHEDULE_TO_CLOSE_TIMEOUT_UNDEFINED")
	case ev.StartToCloseTimeout == "":
		return fail("DEFAULT_START_TO_CLOSE_TIMEOUT_UNDEFINED")
	case ev.HeartbeatTimeout == "":
		return fail("DEFAULT_HEARTBEAT_TIMEOUT_UNDEFINED")
	}
	ev.TaskPriority, _ = checkPriority("taskPriority", ev.TaskPriority)
	t := &store.Task{
		Queue:       activityQueue(ex.Domain, ev.TaskList.Name),
		OwnerKind:   ownerKind,
		OwnerID:     ex.ID(),
		OwnerRef:    refActivityPrefix + a.ActivityID,
		Priority:    priority(ev.TaskPriority),
		Input:       []byte(a.Input),
		ScheduledAt: ss.now,
	}
	for _, x := range []struct {
		field, v string
		d        *time.Duration
	}{
		{"scheduleToStartTimeout", ev.ScheduleToStartTimeout, &t.ScheduleToStart},
		{"scheduleToCloseTimeout", ev.ScheduleToCloseTimeout, &t.ScheduleToClose},
		{"startToCloseTimeout", ev.StartToCloseTimeout, &t.StartToClose},
		{"heartbeatTimeout", ev.HeartbeatTimeout, &t.Heartbeat},
	} {
		d, _, err := parseDuration(x.field, x.v)
		if err != nil {
			return err
		}
		*x.d = d
	}
	id := r.rec.add("ActivityTaskScheduled", ev)
	if _, err := ss.s.eng.Schedule(ss.tx, t); err != nil {
		return err
	}
	if err := r.indexTask(t, false, id); err != nil {
		return err
	}
	r.rt.Activities[a.ActivityID] = &openActivity{TaskID: t.ID, Type: a.ActivityType, ScheduledEventID: id}
	ex.LatestActivityTaskTimestamp = ss.now
	return nil
}

// requestCancelActivity carries out a RequestCancelActivityTask decision:
// a task not yet handed out is canceled at once; a started one learns of
// the request through its next heartbeat.
func (r *run) requestCancelActivity(activityID string, completed int64) error {
	a := r.rt.Activities[activityID]
	if a == nil {
		r.rec.add("RequestCancelActivityTaskFailed", requestCancelActivityTaskFailedAttrs{
			ActivityID: activityID, Cause: "ACTIVITY_ID_UNKNOWN", DecisionTaskCompletedEventID: completed,
		})
		r.wantDecision = true
		return nil
	}
	a.CancelRequestedEventID = r.rec.add("ActivityTaskCancelRequested", activityTaskCancelRequestedAttrs{
		DecisionTaskCompletedEventID: completed, ActivityID: activityID,
	})
	t, err := r.ss.tx.GetTask(a.TaskID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err == nil && t.State == store.TaskStarted {
		return r.ss.s.eng.RequestCancel(r.ss.tx, t)
	}
	if t != nil {
		if err := r.ss.s.eng.CloseTask(r.ss.tx, t); err != nil {
			return err
		}
	}
	delete(r.rt.Activities, activityID)
	r.rec.add("ActivityTaskCanceled", activityTaskClosedAttrs{
		ScheduledEventID: a.ScheduledEventID, StartedEventID: a.StartedEventID, LatestCancelRequestedEventID: a.CancelRequestedEventID,
	})
	return r.needDecision()
}

// continueAsNew closes the run and starts a new one of the same workflow
// in the same transaction. The new run's configuration comes from the
// decision, else the workflow type's defaults (not the closing run's), as
// on AWS.
func (r *run) continueAsNew(a *continueAsNewDecision, completed int64) error {
	ss, ex := r.ss, r.ex
	fail := func(cause string) error {
		r.rec.add("ContinueAsNewWorkflowExecutionFailed", decisionFailedAttrs{Cause: cause, DecisionTaskCompletedEventID: completed})
		r.wantDecision = true
		return nil
	}
	version := a.WorkflowTypeVersion
	if version == "" {
		version = ex.Type.Version
	}
	wt, err := loadWorkflowType(ss.tx, ex.Domain, ex.Type.Name, version)
	if err != nil {
		return err
	}
	switch {
	case wt == nil:
		return fail("WORKFLOW_TYPE_DOES_NOT_EXIST")
	case wt.Status == statusDeprecated:
		return fail("WORKFLOW_TYPE_DEPRECATED")
	}
	prio, _ := checkPriority("taskPriority", a.TaskPriority)
	p := &startParams{
		domain: ex.Domain, workflowID: ex.WorkflowID, wt: wt, input: a.Input,
		taskList: taskListName(a.TaskList), taskPriority: prio, execTimeout: a.ExecutionStartToCloseTimeout,
		taskTimeout: a.TaskStartToCloseTimeout, childPolicy: a.ChildPolicy, lambdaRole: a.LambdaRole,
		tagList: a.TagList, parent: ex.Parent, parentInitiated: r.rt.ParentInitiatedEventID,
		continuedFrom: ex.RunID, runID: newRunID(),
	}
	if cause := p.resolve(); cause != "" {
		return fail(cause)
	}
	r.rec.add("WorkflowExecutionContinuedAsNew", workflowExecutionContinuedAsNewAttrs{
		Input:                        p.input,
		DecisionTaskCompletedEventID: completed,
		NewExecutionRunID:            p.runID,
		ExecutionStartToCloseTimeout: p.execTimeout,
		TaskList:                     TaskList{Name: p.taskList},
		TaskPriority:                 p.taskPriority,
		TaskStartToCloseTimeout:      p.taskTimeout,
		ChildPolicy:                  p.childPolicy,
		TagList:                      p.tagList,
		WorkflowType:                 WorkflowType{Name: wt.Name, Version: wt.Version},
		LambdaRole:                   p.lambdaRole,
	})
	if err := r.close(closing{status: closeContinuedAsNew}); err != nil {
		return err
	}
	_, err = ss.startRun(p)
	return err
}

// startTimer carries out a StartTimer decision.
func (r *run) startTimer(a *startTimerDecision, completed int64) error {
	fail := func(cause string) error {
		r.rec.add("StartTimerFailed", timerFailedAttrs{TimerID: a.TimerID, Cause: cause, DecisionTaskCompletedEventID: completed})
		r.wantDecision = true
		return nil
	}
	switch {
	case r.rt.Timers[a.TimerID] != nil:
		return fail("TIMER_ID_ALREADY_IN_USE")
	case len(r.rt.Timers) >= maxOpenTimers:
		return fail("OPEN_TIMERS_LIMIT_EXCEEDED")
	}
	d, _, err := parseDuration("startToFireTimeout", a.StartToFireTimeout)
	if err != nil {
		return err
	}
	id := r.rec.add("TimerStarted", timerStartedAttrs{
		TimerID: a.TimerID, Control: a.Control, StartToFireTimeout: a.StartToFireTimeout, DecisionTaskCompletedEventID: completed,
	})
	tm := &store.Timer{OwnerKind: ownerKind, OwnerID: r.ex.ID(), Kind: timerUser, FireAt: r.ss.now.Add(d), Payload: []byte(a.TimerID)}
	if err := r.ss.s.eng.SetTimer(r.ss.tx, tm); err != nil {
		return err
	}
	r.rt.Timers[a.TimerID] = &openTimer{TimerID: tm.ID, StartedEventID: id}
	return nil
}

// cancelTimer carries out a CancelTimer decision.
func (r *run) cancelTimer(timerID string, completed int64) error {
	tm := r.rt.Timers[timerID]
	if tm == nil {
		r.rec.add("CancelTimerFailed", timerFailedAttrs{TimerID: timerID, Cause: "TIMER_ID_UNKNOWN", DecisionTaskCompletedEventID: completed})
		r.wantDecision = true
		return nil
	}
	if err := r.ss.s.eng.CancelTimer(r.ss.tx, tm.TimerID); err != nil {
		return err
	}
	delete(r.rt.Timers, timerID)
	r.rec.add("TimerCanceled", timerCanceledAttrs{TimerID: timerID, StartedEventID: tm.StartedEventID, DecisionTaskCompletedEventID: completed})
	return nil
}

// external returns the open run a decision names, or nil.
func (r *run) external(workflowID, runID string) (*run, error) {
	if !validRunRef(workflowID, runID) {
		return nil, nil
	}
	return r.ss.openRun(r.ex.Domain, workflowID, runID)
}

// signalExternal carries out a SignalExternalWorkflowExecution decision.
// The signal is delivered in the same transaction, so the Initiated event
// is followed at once by ExternalWorkflowExecutionSignaled (or the
// failure).
func (r *run) signalExternal(a *signalExternalDecision, completed int64) error {
	initiated := r.rec.add("SignalExternalWorkflowExecutionInitiated", externalInitiatedAttrs{
		WorkflowID: a.WorkflowID, RunID: a.RunID, SignalName: a.SignalName, Input: a.Input,
		DecisionTaskCompletedEventID: completed, Control: a.Control,
	})
	r.wantDecision = true
	target, err := r.external(a.WorkflowID, a.RunID)
	if err != nil {
		return err
	}
	if target == nil {
		r.rec.add("SignalExternalWorkflowExecutionFailed", externalFailedAttrs{
			WorkflowID: a.WorkflowID, RunID: a.RunID, Cause: "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
			InitiatedEventID: initiated, DecisionTaskCompletedEventID: completed, Control: a.Control,
		})
		return nil
	}
	self := r.self()
	target.rec.add("WorkflowExecutionSignaled", workflowExecutionSignaledAttrs{
		SignalName: a.SignalName, Input: a.Input, ExternalWorkflowExecution: &self, ExternalInitiatedEventID: initiated,
	})
	if err := target.needDecision(); err != nil {
		return err
	}
	r.rec.add("ExternalWorkflowExecutionSignaled", externalDoneAttrs{WorkflowExecution: target.self(), InitiatedEventID: initiated})
	return nil
}

// requestCancelExternal carries out a RequestCancelExternalWorkflowExecution
// decision, delivered in the same transaction.
func (r *run) requestCancelExternal(a *requestCancelExternalDecision, completed int64) error {
	initiated := r.rec.add("RequestCancelExternalWorkflowExecutionInitiated", externalInitiatedAttrs{
		WorkflowID: a.WorkflowID, RunID: a.RunID, DecisionTaskCompletedEventID: completed, Control: a.Control,
	})
	r.wantDecision = true
	target, err := r.external(a.WorkflowID, a.RunID)
	if err != nil {
		return err
	}
	if target == nil {
		r.rec.add("RequestCancelExternalWorkflowExecutionFailed", externalFailedAttrs{
			WorkflowID: a.WorkflowID, RunID: a.RunID, Cause: "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
			InitiatedEventID: initiated, DecisionTaskCompletedEventID: completed, Control: a.Control,
		})
		return nil
	}
	self := r.self()
	target.rec.add("WorkflowExecutionCancelRequested", workflowExecutionCancelRequestedAttrs{
		ExternalWorkflowExecution: &self, ExternalInitiatedEventID: initiated,
	})
	target.ex.CancelRequested = true
	if err := target.needDecision(); err != nil {
		return err
	}
	r.rec.add("ExternalWorkflowExecutionCancelRequested", externalDoneAttrs{WorkflowExecution: target.self(), InitiatedEventID: initiated})
	return nil
}

// startChild carries out a StartChildWorkflowExecution decision: the child
// starts in the same transaction. A decision that cannot be resolved (type
// unknown or deprecated, no default) fails before anything is initiated
// (initiatedEventId 0); a workflowId with an open run fails after the
// Initiated event.
func (r *run) startChild(a *startChildWorkflowExecutionDecision, completed int64) error {
	ss, ex := r.ss, r.ex
	fail := func(cause string, initiated int64) error {
		r.rec.add("StartChildWorkflowExecutionFailed", startChildFailedAttrs{
			WorkflowType: a.WorkflowType, Cause: cause, WorkflowID: a.WorkflowID,
			InitiatedEventID: initiated, DecisionTaskCompletedEventID: completed, Control: a.Control,
		})
		r.wantDecision = true
		return nil
	}
	wt, err := loadWorkflowType(ss.tx, ex.Domain, a.WorkflowType.Name, a.WorkflowType.Version)
	if err != nil {
		return err
	}
	switch {
	case wt == nil:
		return fail("WORKFLOW_TYPE_DOES_NOT_EXIST", 0)
	case wt.Status == statusDeprecated:
		return fail("WORKFLOW_TYPE_DEPRECATED", 0)
	case len(r.rt.Children) >= maxOpenChildren:
		return fail("OPEN_CHILDREN_LIMIT_EXCEEDED", 0)
	}
	self := r.self()
	prio, _ := checkPriority("taskPriority", a.TaskPriority)
	p := &startParams{
		domain: ex.Domain, workflowID: a.WorkflowID, wt: wt, input: a.Input,
		taskList: taskListName(a.TaskList), taskPriority: prio, execTimeout: a.ExecutionStartToCloseTimeout,
		taskTimeout: a.TaskStartToCloseTimeout, childPolicy: a.ChildPolicy, lambdaRole: a.LambdaRole,
		tagList: a.TagList, parent: &self,
	}
	if cause := p.resolve(); cause != "" {
		return fail(cause, 0)
	}
	initiated := r.rec.add("StartChildWorkflowExecutionInitiated", startChildInitiatedAttrs{
		WorkflowID: a.WorkflowID, WorkflowType: a.WorkflowType, Control: a.Control, Input: a.Input,
		ExecutionStartToCloseTimeout: p.execTimeout, TaskList: TaskList{Name: p.taskList}, TaskPriority: p.taskPriority,
		DecisionTaskCompletedEventID: completed, ChildPolicy: p.childPolicy, TaskStartToCloseTimeout: p.taskTimeout,
		TagList: p.tagList, LambdaRole: p.lambdaRole,
	})
	p.parentInitiated = initiated
	child, err := ss.startRun(p)
	if errors.Is(err, errAlreadyStarted) {
		return fail("WORKFLOW_ALREADY_RUNNING", initiated)
	}
	if err != nil {
		return err
	}
	started := r.rec.add("ChildWorkflowExecutionStarted", childStartedAttrs{
		WorkflowExecution: child.self(), WorkflowType: a.WorkflowType, InitiatedEventID: initiated,
	})
	r.rt.Children[initiated] = &openChild{WorkflowID: a.WorkflowID, RunID: child.ex.RunID, Type: a.WorkflowType, StartedEventID: started}
	r.wantDecision = true
	return nil
}
