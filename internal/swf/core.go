package swf

import (
	"fmt"
	"strings"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// executionOps returns the operations that start, drive and end workflow
// executions: start, signal, cancel, terminate, the decision and activity
// task protocols.
//
// How an execution moves (see runtime.go): every change is one store
// transaction (an operation, or an engine callback below) that loads the
// executions it touches into a session, records their history events,
// schedules or closes engine tasks and timers, and writes the records
// back. Decision tasks and activity tasks are engine tasks whose OwnerRef
// is "d" or "a:<activityId>"; StartTimer timers, the execution timeout and
// the retention deadline are engine timers.
func (s *Service) executionOps() map[string]awsapi.Operation {
	return map[string]awsapi.Operation{
		"StartWorkflowExecution":         awsapi.Op(s.StartWorkflowExecution),
		"SignalWorkflowExecution":        awsapi.Op(s.SignalWorkflowExecution),
		"RequestCancelWorkflowExecution": awsapi.Op(s.RequestCancelWorkflowExecution),
		"TerminateWorkflowExecution":     awsapi.Op(s.TerminateWorkflowExecution),
		"PollForDecisionTask":            awsapi.Op(s.PollForDecisionTask),
		"RespondDecisionTaskCompleted":   awsapi.Op(s.RespondDecisionTaskCompleted),
		"PollForActivityTask":            awsapi.Op(s.PollForActivityTask),
		"RecordActivityTaskHeartbeat":    awsapi.Op(s.RecordActivityTaskHeartbeat),
		"RespondActivityTaskCompleted":   awsapi.Op(s.RespondActivityTaskCompleted),
		"RespondActivityTaskFailed":      awsapi.Op(s.RespondActivityTaskFailed),
		"RespondActivityTaskCanceled":    awsapi.Op(s.RespondActivityTaskCanceled),
	}
}

// owner is the Service seen as the engine's Owner of "swf" tasks and timers.
// Each callback runs in the engine's transaction; one about a task or
// timer the execution no longer names (it closed, or the task was
// replaced) is stale and ignored.
type owner Service

// load opens a session on the open execution id, or returns nil.
func (o *owner) load(tx store.Tx, id string) (*session, *run, error) {
	ss := (*Service)(o).newSession(tx)
	r, err := ss.get(id)
	if err != nil || r == nil || !r.open() {
		return nil, nil, err
	}
	return ss, r, nil
}

// TaskStarted records DecisionTaskStarted or ActivityTaskStarted, also of
// a task Schedule started (by is not needed): the start is recorded at
// the end of the transaction, so that it follows every event of the
// decision that scheduled the task, as on AWS.
func (o *owner) TaskStarted(tx store.Tx, t *store.Task, _ engine.StartKind) error {
	ss, r, err := o.load(tx, t.OwnerID)
	if err != nil || r == nil {
		return err
	}
	if t.OwnerRef == refDecision {
		d := r.rt.Decision
		if d == nil || d.TaskID != t.ID {
			return nil
		}
		d.StartedEventID = r.rec.add("DecisionTaskStarted", decisionTaskStartedAttrs{Identity: t.Worker, ScheduledEventID: d.ScheduledEventID})
		return ss.commit()
	}
	id, ok := strings.CutPrefix(t.OwnerRef, refActivityPrefix)
	a := r.rt.Activities[id]
	if !ok || a == nil || a.TaskID != t.ID {
		return nil
	}
	a.StartedEventID = r.rec.add("ActivityTaskStarted", activityTaskStartedAttrs{Identity: t.Worker, ScheduledEventID: a.ScheduledEventID})
	return ss.commit()
}

// TaskClosed records how a decision or activity task ended and schedules
// what follows. A decision task is completed through
// decisionTaskCompleted, so here it can only time out: an activity verb
// given a decision task's token (RespondActivityTaskCompleted...) is
// refused as an unknown token, and the task stays open.
func (o *owner) TaskClosed(tx store.Tx, t *store.Task, out engine.Outcome) error {
	isDecision := t.OwnerRef == refDecision
	if isDecision && out.Kind != engine.TimedOut {
		return engine.ErrTaskClosed
	}
	ss, r, err := o.load(tx, t.OwnerID)
	if err != nil || r == nil {
		return err
	}
	if isDecision {
		err = r.decisionTimedOut(t, out.Timeout)
	} else {
		err = r.activityClosed(t, out)
	}
	if err != nil {
		return err
	}
	return ss.commit()
}

// decisionTaskCompleted applies what a decider answered for task t
// (RespondDecisionTaskCompleted, through the engine's CompleteFunc) in the
// transaction that closes it. An activity task's token is refused as an
// unknown token, and that task stays open.
func (o *owner) decisionTaskCompleted(tx store.Tx, t *store.Task, res *decisionResult) error {
	if t.OwnerRef != refDecision {
		return engine.ErrTaskClosed
	}
	ss, r, err := o.load(tx, t.OwnerID)
	if err != nil || r == nil {
		return err
	}
	if d := r.rt.Decision; d == nil || d.TaskID != t.ID {
		return nil
	}
	if err := r.decisionCompleted(res); err != nil {
		return err
	}
	return ss.commit()
}

// decisionTimedOut handles the decision task t timing out.
func (r *run) decisionTimedOut(t *store.Task, timeout engine.TimeoutKind) error {
	d := r.rt.Decision
	if d == nil || d.TaskID != t.ID {
		return nil
	}
	r.rec.add("DecisionTaskTimedOut", decisionTaskTimedOutAttrs{
		TimeoutType: timeout.String(), ScheduledEventID: d.ScheduledEventID, StartedEventID: d.StartedEventID,
	})
	r.rt.Decision = nil
	if timeout == engine.ScheduleToStart {
		// The task list override timed out: back to the original list.
		r.rt.TaskListOverride, r.rt.OverrideScheduleToStart = "", ""
	}
	return r.scheduleDecision()
}

// activityClosed handles the end of the activity task t.
func (r *run) activityClosed(t *store.Task, out engine.Outcome) error {
	id, _ := strings.CutPrefix(t.OwnerRef, refActivityPrefix)
	a := r.rt.Activities[id]
	if a == nil || a.TaskID != t.ID {
		return nil
	}
	delete(r.rt.Activities, id)
	attrs := activityTaskClosedAttrs{ScheduledEventID: a.ScheduledEventID, StartedEventID: a.StartedEventID}
	switch out.Kind {
	case engine.Completed:
		attrs.Result = string(out.Result)
		r.rec.add("ActivityTaskCompleted", attrs)
	case engine.Failed:
		attrs.Reason, attrs.Details = out.Error, out.Cause
		r.rec.add("ActivityTaskFailed", attrs)
	case engine.Canceled:
		attrs.Details = string(out.Details)
		attrs.LatestCancelRequestedEventID = a.CancelRequestedEventID
		r.rec.add("ActivityTaskCanceled", attrs)
	case engine.TimedOut:
		attrs.TimeoutType = out.Timeout.String()
		attrs.Details = string(out.Details)
		r.rec.add("ActivityTaskTimedOut", attrs)
	default:
		return fmt.Errorf("swf: unexpected activity task outcome %d", out.Kind)
	}
	return r.needDecision()
}

// TimerFired handles StartTimer timers, the execution timeout and the
// retention deadline.
func (o *owner) TimerFired(tx store.Tx, tm *store.Timer) error {
	if tm.Kind == timerRetention {
		ss := (*Service)(o).newSession(tx)
		r, err := ss.get(tm.OwnerID)
		if err != nil || r == nil || r.open() {
			return err
		}
		return r.remove()
	}
	ss, r, err := o.load(tx, tm.OwnerID)
	if err != nil || r == nil {
		return err
	}
	switch tm.Kind {
	case timerTimeout:
		if r.rt.TimeoutTimerID != tm.ID {
			return nil
		}
		r.rt.TimeoutTimerID = 0
		r.rec.add("WorkflowExecutionTimedOut", workflowExecutionTimedOutAttrs{TimeoutType: "START_TO_CLOSE", ChildPolicy: r.ex.ChildPolicy})
		err = r.close(closing{status: closeTimedOut, childPolicy: r.ex.ChildPolicy})
	case timerUser:
		id := string(tm.Payload)
		ot := r.rt.Timers[id]
		if ot == nil || ot.TimerID != tm.ID {
			return nil
		}
		delete(r.rt.Timers, id)
		r.rec.add("TimerFired", timerFiredAttrs{TimerID: id, StartedEventID: ot.StartedEventID})
		err = r.needDecision()
	default:
		return fmt.Errorf("swf: unknown timer kind %q", tm.Kind)
	}
	if err != nil {
		return err
	}
	return ss.commit()
}
