package swf

import (
	"encoding/json"
	"errors"
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

// testHookReaction, when set (by tests only), runs at the start of every
// reaction to an engine callback.
var testHookReaction func(ex *execution)

// Why gaffer terminates an execution it cannot run on: the reason of its
// WorkflowExecutionTerminated event (cause OPERATOR_INITIATED, gaffer being
// the operator), whose details say what failed.
const brokenReason = "gaffer internal error: the execution cannot run on"

// react runs fn, the reaction to an engine callback, on the open execution
// id in a new session, and commits the session; a stale callback (the
// execution is gone or closed) does nothing. It runs through engine.React:
// if the reaction fails for the execution's own reason (an
// *engine.BrokenError, a panic), its writes are undone and the execution is
// terminated instead, in the same transaction, so that no stored execution
// can make its writes fail again and again, nor take the writer down.
// Errors of the store (and the AWS errors a decision answers) are returned
// as they are.
func (o *owner) react(tx store.Tx, id string, fn func(r *run) error) error {
	s := (*Service)(o)
	return s.eng.React(tx, func(tx store.Tx) error {
		ss := s.newSession(tx)
		r, err := ss.get(id)
		if err != nil || r == nil || !r.open() {
			return err
		}
		if testHookReaction != nil {
			testHookReaction(r.ex)
		}
		if err := fn(r); err != nil {
			return err
		}
		return ss.commit()
	}, func(tx store.Tx, cause, stack string) error {
		s.log.Error("workflow execution cannot run on; terminating it", "execution", id, "cause", cause, "stack", stack)
		return o.terminateBroken(tx, id, cause)
	})
}

// terminateBroken terminates the open execution id from its stored record
// (whatever the failed reaction did in memory is dropped), through the
// usual close path: its tasks closed, timers cancelled, child policy
// applied, parent told, retention timer set. If its runtime state no longer
// decodes, the tasks and timers are found in the engine instead (its
// children are then unknown, and abandoned).
func (o *owner) terminateBroken(tx store.Tx, id, cause string) error {
	s := (*Service)(o)
	obj, err := tx.GetObject(kindExecution, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var ex execution
	if err := json.Unmarshal(obj.Body, &ex); err != nil {
		// Nothing to close it from: the callback is dropped, once.
		s.log.Error("workflow execution record does not decode; left as it is", "execution", id, "err", err)
		return nil
	}
	if ex.Status != statusOpen {
		return nil
	}
	rt, err := decodeRuntime(ex.Runtime)
	if err != nil {
		if rt, err = engineRuntime(tx, id); err != nil {
			return err
		}
	}
	ss := s.newSession(tx)
	r := ss.add(&ex, rt)
	if err := r.terminate(brokenReason, "gaffer could not run the execution on: "+cause, "", "OPERATOR_INITIATED"); err != nil {
		return err
	}
	return ss.commit()
}

// engineRuntime rebuilds, from the engine's tasks and timers of execution
// id, the runtime state that closing it needs.
func engineRuntime(tx store.Tx, id string) (*runtime, error) {
	rt, _ := decodeRuntime(nil)
	tasks, err := tx.ListTasks(store.TaskQuery{OwnerKind: ownerKind, OwnerID: id})
	if err != nil {
		return nil, err
	}
	for _, t := range tasks {
		if t.OwnerRef == refDecision {
			rt.Decision = &openDecision{TaskID: t.ID}
		} else if a, ok := strings.CutPrefix(t.OwnerRef, refActivityPrefix); ok {
			rt.Activities[a] = &openActivity{TaskID: t.ID}
		}
	}
	timers, err := tx.ListTimers(store.TimerQuery{OwnerKind: ownerKind, OwnerID: id})
	if err != nil {
		return nil, err
	}
	for _, tm := range timers {
		switch tm.Kind {
		case timerTimeout:
			rt.TimeoutTimerID = tm.ID
		case timerUser:
			rt.Timers[string(tm.Payload)] = &openTimer{TimerID: tm.ID}
		}
	}
	return rt, nil
}

// TaskStarted records DecisionTaskStarted or ActivityTaskStarted, also of
// a task Schedule started (by is not needed): the start is recorded at
// the end of the transaction, so that it follows every event of the
// decision that scheduled the task, as on AWS.
func (o *owner) TaskStarted(tx store.Tx, t *store.Task, _ engine.StartKind) error {
	return o.react(tx, t.OwnerID, func(r *run) error {
		if t.OwnerRef == refDecision {
			d := r.rt.Decision
			if d == nil || d.TaskID != t.ID {
				return nil
			}
			d.StartedEventID = r.rec.add("DecisionTaskStarted", decisionTaskStartedAttrs{Identity: t.Worker, ScheduledEventID: d.ScheduledEventID})
			return nil
		}
		id, ok := strings.CutPrefix(t.OwnerRef, refActivityPrefix)
		a := r.rt.Activities[id]
		if !ok || a == nil || a.TaskID != t.ID {
			return nil
		}
		a.StartedEventID = r.rec.add("ActivityTaskStarted", activityTaskStartedAttrs{Identity: t.Worker, ScheduledEventID: a.ScheduledEventID})
		return nil
	})
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
	return o.react(tx, t.OwnerID, func(r *run) error {
		if isDecision {
			return r.decisionTimedOut(t, out.Timeout)
		}
		return r.activityClosed(t, out)
	})
}

// decisionTaskCompleted applies what a decider answered for task t
// (RespondDecisionTaskCompleted, through the engine's CompleteFunc) in the
// transaction that closes it. An activity task's token is refused as an
// unknown token, and that task stays open.
func (o *owner) decisionTaskCompleted(tx store.Tx, t *store.Task, res *decisionResult) error {
	if t.OwnerRef != refDecision {
		return engine.ErrTaskClosed
	}
	return o.react(tx, t.OwnerID, func(r *run) error {
		if d := r.rt.Decision; d == nil || d.TaskID != t.ID {
			return nil
		}
		return r.decisionCompleted(res)
	})
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
		return engine.Brokenf("unexpected activity task outcome %d", out.Kind)
	}
	return r.needDecision()
}

// TimerFired handles StartTimer timers, the execution timeout and the
// retention deadline.
func (o *owner) TimerFired(tx store.Tx, tm *store.Timer) error {
	if tm.Kind == timerRetention {
		ss := (*Service)(o).newSession(tx)
		r, err := ss.get(tm.OwnerID)
		var be *engine.BrokenError
		if errors.As(err, &be) {
			// Due for deletion, and no longer readable: deleted as it is.
			if err := tx.DeleteEvents(tm.OwnerID); err != nil {
				return err
			}
			if err := dropTaskIndex(tx, tm.OwnerID); err != nil {
				return err
			}
			if err := tx.DeleteVisibility(kindExecution, tm.OwnerID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			return tx.DeleteObject(kindExecution, tm.OwnerID)
		}
		if err != nil || r == nil || r.open() {
			return err
		}
		return r.remove()
	}
	return o.react(tx, tm.OwnerID, func(r *run) error {
		switch tm.Kind {
		case timerTimeout:
			if r.rt.TimeoutTimerID != tm.ID {
				return nil
			}
			r.rt.TimeoutTimerID = 0
			r.rec.add("WorkflowExecutionTimedOut", workflowExecutionTimedOutAttrs{TimeoutType: "START_TO_CLOSE", ChildPolicy: r.ex.ChildPolicy})
			return r.close(closing{status: closeTimedOut, childPolicy: r.ex.ChildPolicy})
		case timerUser:
			id := string(tm.Payload)
			ot := r.rt.Timers[id]
			if ot == nil || ot.TimerID != tm.ID {
				return nil
			}
			delete(r.rt.Timers, id)
			r.rec.add("TimerFired", timerFiredAttrs{TimerID: id, StartedEventID: ot.StartedEventID})
			return r.needDecision()
		default:
			return engine.Brokenf("unknown timer kind %q", tm.Kind)
		}
	})
}
