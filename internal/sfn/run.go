package sfn

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gaffer-dev/gaffer/internal/asl"
	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// Timer kinds of this dialect.
const (
	timerTimeout  = "timeout"  // the execution's TimeoutSeconds
	timerWait     = "wait"     // a Wait state
	timerRetry    = "retry"    // a Retrier's back-off
	timerContinue = "continue" // resume a long run of states in a new transaction
)

// maxStepsPerTx and maxBytesPerTx bound the work one transaction does for
// one execution: how many states it runs through, and how many bytes of
// state input they take in (each up to asl.MaxPayload, each written to the
// history on entry and exit). A definition that loops through Pass and
// Choice states, or passes large data along, yields to a timer and goes on
// in a later write rather than holding the writer.
const (
	maxStepsPerTx = 500
	maxBytesPerTx = 1 << 20
)

// run moves one execution forward inside one transaction.
type run struct {
	s   *Service
	tx  store.Tx
	ex  *execution
	m   *asl.Machine
	rec *recorder
}

// context returns the $$ context object for the current state.
func (r *run) context() *asl.Context {
	return &asl.Context{
		ExecutionID:      r.ex.ARN,
		ExecutionName:    r.ex.Name,
		RoleArn:          r.ex.RoleArn,
		ExecutionInput:   []byte(r.ex.Input),
		StartTime:        r.ex.StartDate,
		StateMachineID:   r.ex.StateMachineARN,
		StateMachineName: r.ex.StateMachineName,
		EnteredTime:      r.ex.EnteredAt,
		RetryCount:       sum(r.ex.RetryCounts),
		Variables:        r.ex.Variables,
	}
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// save stores the execution record.
func (r *run) save(insert bool) error {
	if err := r.rec.flush(r.tx); err != nil {
		return err
	}
	body, err := json.Marshal(r.ex)
	if err != nil {
		return fmt.Errorf("encode execution: %w", err)
	}
	// ClosedAt (the stop date, zero while running) is what the retention
	// sweep deletes by.
	o := &store.Object{Kind: kindExecution, ID: r.ex.ARN, Parent: r.ex.StateMachineARN, Status: r.ex.Status, Body: body, ClosedAt: r.ex.StopDate}
	if insert {
		return r.tx.InsertObject(o)
	}
	return r.tx.PutObject(o)
}

// enteredType and exitedType name a state type's history events.
func enteredType(stateType string) string { return stateType + "StateEntered" }
func exitedType(stateType string) string  { return stateType + "StateExited" }

// enter runs the execution from state name with input until it waits (a
// task, a timer) or ends. prev is the id of the event that led here (0 for
// the first state).
func (r *run) enter(name string, input []byte, prev int64) error {
	spent := 0
	for steps := 0; ; steps++ {
		if r.ex.LastEventID >= maxHistoryEvents-3 {
			return r.fail("States.Runtime", fmt.Sprintf("The execution reached the maximum number of history events (%d).", maxHistoryEvents))
		}
		spent += len(input)
		if steps == maxStepsPerTx || steps > 0 && spent > maxBytesPerTx {
			r.ex.State, r.ex.StateInput = name, string(input)
			return r.setTimer(timerContinue, r.rec.now)
		}
		stateType, _ := r.m.StateType(name)
		r.ex.State, r.ex.StateInput, r.ex.EnteredAt, r.ex.RetryCounts = name, string(input), r.rec.now, nil
		entered := r.rec.add(historyEvent{Type: enteredType(stateType), StateEntered: &stateEnteredDetails{
			Name: name, Input: data(string(input)), InputDetails: notTruncated,
		}}, prev)
		step, err := r.m.Enter(name, input, r.context())
		if err != nil {
			return r.runtimeFail(err)
		}
		next, out, done, err := r.apply(step)
		if err != nil || done {
			return err
		}
		_ = entered
		name, input, prev = next, out, r.ex.LastEventID
	}
}

// apply carries out a step. It returns the state to enter next (with its
// input), or done if the execution now waits or has ended.
func (r *run) apply(step asl.Step) (next string, input []byte, done bool, err error) {
	for name, value := range step.AssignedVariables() {
		if r.ex.Variables == nil {
			r.ex.Variables = make(map[string]string)
		}
		r.ex.Variables[name] = value
	}
	switch step.Kind {
	case asl.StepNext:
		r.rec.add(historyEvent{Type: exitedType(step.Type), StateExited: &stateExitedDetails{
			Name: step.State, Output: data(string(step.Output)), OutputDetails: notTruncated,
		}}, -1)
		return step.Next, step.Output, false, nil
	case asl.StepSucceed:
		r.rec.add(historyEvent{Type: exitedType(step.Type), StateExited: &stateExitedDetails{
			Name: step.State, Output: data(string(step.Output)), OutputDetails: notTruncated,
		}}, -1)
		return "", nil, true, r.succeed(step.Output)
	case asl.StepFail:
		return "", nil, true, r.fail(step.Error, step.Cause)
	case asl.StepTask:
		r.ex.TaskResource = step.Resource
		r.ex.TaskInput = string(step.TaskInput)
		r.ex.TaskTimeout = step.TimeoutSeconds
		r.ex.TaskHeartbeat = step.HeartbeatSeconds
		return "", nil, true, r.schedule()
	case asl.StepWait:
		r.ex.WaitOutput, r.ex.WaitNext, r.ex.WaitEnd = string(step.Output), step.Next, step.End
		until := step.WaitUntil
		if until.IsZero() {
			until = r.rec.now.Add(step.Wait)
		}
		return "", nil, true, r.setTimer(timerWait, until)
	}
	return "", nil, true, broken("unexpected step kind %d from state '%s'", step.Kind, step.State)
}

// runtimeFail fails the execution for an error raised while processing a
// state's input or output.
func (r *run) runtimeFail(err error) error {
	var re *asl.RuntimeError
	if errors.As(err, &re) {
		return r.fail(re.Name(), re.Cause())
	}
	return broken("state '%s': %v", r.ex.State, err)
}

// schedule schedules the current Task state's activity.
func (r *run) schedule() error {
	ex := r.ex
	if ok, err := r.s.activityExists(r.tx, ex.TaskResource); err != nil {
		return err
	} else if !ok {
		r.rec.add(historyEvent{Type: "ActivityScheduleFailed"}, -1)
		return r.fail("States.Runtime", fmt.Sprintf("The activity '%s' does not exist.", ex.TaskResource))
	}
	d := &activityScheduledDetails{Resource: ex.TaskResource, Input: data(ex.TaskInput), InputDetails: notTruncated}
	t := &store.Task{
		Queue:     queueOf(ex.TaskResource),
		OwnerKind: ownerKind,
		OwnerID:   ex.ARN,
		Input:     []byte(ex.TaskInput),
	}
	if ex.TaskTimeout > 0 {
		// Counted from ActivityStarted, as on AWS: a task nobody polls waits
		// (bounded only by the execution's own timeout).
		d.TimeoutInSeconds = int64(ex.TaskTimeout)
		t.StartToClose = time.Duration(ex.TaskTimeout) * time.Second
	}
	if ex.TaskHeartbeat > 0 {
		d.HeartbeatInSeconds = int64(ex.TaskHeartbeat)
		t.Heartbeat = time.Duration(ex.TaskHeartbeat) * time.Second
	}
	ex.ScheduledEventID = r.rec.add(historyEvent{Type: "ActivityScheduled", ActivityScheduled: d}, -1)
	ex.StartedEventID = 0
	t.OwnerRef = fmt.Sprint(ex.ScheduledEventID)
	t.ScheduledAt = r.rec.now
	sch, err := r.s.eng.Schedule(r.tx, t)
	if err != nil {
		return err
	}
	ex.TaskID = t.ID
	if sch.Started {
		// Started for a waiting poller in this transaction: record it in
		// this save (TaskStarted, StartedBySchedule, has nothing to do).
		ex.StartedEventID = r.rec.add(historyEvent{Type: "ActivityStarted", ActivityStarted: &activityStartedDetails{WorkerName: sch.Worker}}, ex.ScheduledEventID)
	}
	return nil
}

// setTimer sets the execution's one pending timer.
func (r *run) setTimer(kind string, at time.Time) error {
	tm := &store.Timer{OwnerKind: ownerKind, OwnerID: r.ex.ARN, Kind: kind, FireAt: at}
	if err := r.s.eng.SetTimer(r.tx, tm); err != nil {
		return err
	}
	r.ex.TimerID = tm.ID
	return nil
}

func (r *run) succeed(output []byte) error {
	r.rec.add(historyEvent{Type: "ExecutionSucceeded", ExecutionSucceeded: &outputDetails{
		Output: data(string(output)), OutputDetails: notTruncated,
	}}, -1)
	return r.close(statusSucceeded, data(string(output)), "", "")
}

func (r *run) fail(errName, cause string) error {
	r.rec.add(historyEvent{Type: "ExecutionFailed", ExecutionFailed: &errorDetails{Error: errName, Cause: cause}}, -1)
	return r.close(statusFailed, nil, errName, cause)
}

// close ends the execution with status: its open task's token dies and its
// timers are dropped.
func (r *run) close(status string, output *string, errName, cause string) error {
	ex := r.ex
	ex.Status, ex.Output, ex.Error, ex.Cause = status, output, errName, cause
	ex.StopDate = r.rec.now
	if ex.TaskID != 0 {
		t, err := r.tx.GetTask(ex.TaskID)
		if err == nil {
			if err := r.s.eng.CloseTask(r.tx, t); err != nil {
				return err
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		ex.TaskID = 0
	}
	for _, id := range []int64{ex.TimerID, ex.TimeoutTimerID} {
		if id != 0 {
			if err := r.s.eng.CancelTimer(r.tx, id); err != nil {
				return err
			}
		}
	}
	ex.TimerID, ex.TimeoutTimerID = 0, 0
	ex.State, ex.StateInput, ex.TaskInput, ex.WaitOutput, ex.RetryCounts = "", "", "", "", nil
	return nil
}

// taskFailed decides what a failed Task state does: retry, catch, or fail
// the execution.
func (r *run) taskFailed(errName, cause string) error {
	ex := r.ex
	step := r.m.TaskFailed(ex.State, []byte(ex.StateInput), errName, cause, ex.RetryCounts, r.s.jitter(), r.context())
	switch step.Kind {
	case asl.StepRetry:
		ex.RetryCounts = step.RetryCounts
		return r.setTimer(timerRetry, r.rec.now.Add(step.Delay))
	case asl.StepNext:
		next, input, done, err := r.apply(step)
		if err != nil || done {
			return err
		}
		return r.enter(next, input, r.ex.LastEventID)
	case asl.StepFail:
		return r.fail(step.Error, step.Cause)
	}
	return broken("unexpected step kind %d after a task failure in state '%s'", step.Kind, ex.State)
}

// owner is the Service seen as the engine's Owner of "sfn" tasks and timers.
type owner Service

// load reads a running execution for an engine callback; ok is false if the
// execution is gone or over (the callback is then stale and ignored).
func (o *owner) load(tx store.Tx, arn string) (*run, bool, error) {
	s := (*Service)(o)
	var ex execution
	_, err := getObject(tx, kindExecution, arn, &ex, store.ErrNotFound)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if ex.Status != statusRunning {
		return nil, false, nil
	}
	m, err := s.machineByHash(tx, ex.DefHash)
	var de *asl.DefinitionError
	if errors.As(err, &de) || errors.Is(err, store.ErrNotFound) {
		return nil, false, broken("its definition cannot be loaded: %v", err)
	}
	if err != nil {
		return nil, false, fmt.Errorf("execution %s: stored definition: %w", arn, err)
	}
	return &run{s: s, tx: tx, ex: &ex, m: m, rec: &recorder{ex: &ex, now: s.eng.Now().UTC()}}, true, nil
}

// broken is a reaction failing for a reason of the execution's own — a
// stored definition that no longer loads, a step the dialect cannot carry
// out — rather than of the store: engine.React fails the execution instead.
func broken(format string, args ...any) error { return engine.Brokenf(format, args...) }

// testHookReaction, when set (by tests only), runs at the start of every
// reaction to an engine callback.
var testHookReaction func(ex *execution)

// react runs fn, the reaction to an engine callback, on the running
// execution arn; a stale callback (the execution is gone or over) does
// nothing. It runs through engine.React: if the reaction fails for the
// execution's own reason (an *engine.BrokenError, a panic), its writes are
// undone and the execution fails with States.Runtime instead, in the same
// transaction, so that no stored execution can make its writes fail again
// and again, nor take the writer down. Errors of the store are returned as
// they are, and undo the transaction's work.
func (o *owner) react(tx store.Tx, arn string, fn func(r *run) error) error {
	s := (*Service)(o)
	return s.eng.React(tx, func(tx store.Tx) error {
		r, ok, err := o.load(tx, arn)
		if err != nil || !ok {
			return err
		}
		if testHookReaction != nil {
			testHookReaction(r.ex)
		}
		return fn(r)
	}, func(tx store.Tx, cause, stack string) error {
		s.log.Error("execution cannot run on; failing it", "execution", arn, "cause", cause, "stack", stack)
		return o.failBroken(tx, arn, "gaffer could not run the execution on: "+cause)
	})
}

// failBroken fails the running execution arn with States.Runtime, from its
// stored record (whatever the failed reaction did in memory is dropped).
func (o *owner) failBroken(tx store.Tx, arn, cause string) error {
	s := (*Service)(o)
	var ex execution
	if _, err := getObject(tx, kindExecution, arn, &ex, store.ErrNotFound); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	if ex.Status != statusRunning {
		return nil
	}
	r := &run{s: s, tx: tx, ex: &ex, rec: &recorder{ex: &ex, now: s.eng.Now().UTC()}}
	if err := r.fail(asl.ErrorRuntime, cause); err != nil {
		return err
	}
	return r.save(false)
}

// TaskStarted records ActivityStarted of a task a poll started; schedule
// recorded that of a task Schedule started.
func (o *owner) TaskStarted(tx store.Tx, t *store.Task, by engine.StartKind) error {
	if by == engine.StartedBySchedule {
		return nil
	}
	return o.react(tx, t.OwnerID, func(r *run) error {
		if r.ex.TaskID != t.ID {
			return nil // not this execution's task
		}
		r.ex.StartedEventID = r.rec.add(historyEvent{Type: "ActivityStarted", ActivityStarted: &activityStartedDetails{WorkerName: t.Worker}}, r.ex.ScheduledEventID)
		return r.save(false)
	})
}

// TaskClosed records how the activity ended and moves the execution on.
func (o *owner) TaskClosed(tx store.Tx, t *store.Task, out engine.Outcome) error {
	return o.react(tx, t.OwnerID, func(r *run) error { return r.taskClosed(t, out) })
}

func (r *run) taskClosed(t *store.Task, out engine.Outcome) error {
	if r.ex.TaskID != t.ID {
		return nil
	}
	ex := r.ex
	ex.TaskID = 0
	prev := ex.StartedEventID
	if prev == 0 {
		prev = ex.ScheduledEventID
	}
	switch out.Kind {
	case engine.Completed:
		r.rec.add(historyEvent{Type: "ActivitySucceeded", ActivitySucceeded: &outputDetails{
			Output: data(string(out.Result)), OutputDetails: notTruncated,
		}}, prev)
		step, err := r.m.TaskSucceeded(ex.State, []byte(ex.StateInput), out.Result, r.context())
		if err != nil {
			var re *asl.RuntimeError
			if !errors.As(err, &re) {
				return broken("state '%s': %v", ex.State, err)
			}
			err = r.taskFailed(re.Name(), re.Cause())
		} else {
			var next string
			var input []byte
			var done bool
			next, input, done, err = r.apply(step)
			if err == nil && !done {
				err = r.enter(next, input, ex.LastEventID)
			}
		}
		if err != nil {
			return err
		}
	case engine.Failed:
		r.rec.add(historyEvent{Type: "ActivityFailed", ActivityFailed: &errorDetails{Error: out.Error, Cause: out.Cause}}, prev)
		if err := r.taskFailed(out.Error, out.Cause); err != nil {
			return err
		}
	case engine.TimedOut:
		name := "States.Timeout"
		if out.Timeout == engine.Heartbeat {
			name = "States.HeartbeatTimeout"
		}
		r.rec.add(historyEvent{Type: "ActivityTimedOut", ActivityTimedOut: &errorDetails{Error: name}}, prev)
		if err := r.taskFailed(name, ""); err != nil {
			return err
		}
	default:
		return broken("unexpected task outcome %d", out.Kind)
	}
	return r.save(false)
}

// TimerFired resumes an execution after a Wait state, a retry back-off, a
// yield, or ends it at its timeout.
func (o *owner) TimerFired(tx store.Tx, tm *store.Timer) error {
	return o.react(tx, tm.OwnerID, func(r *run) error { return r.timerFired(tm) })
}

func (r *run) timerFired(tm *store.Timer) (err error) {
	ex := r.ex
	switch {
	case tm.Kind == timerTimeout && tm.ID == ex.TimeoutTimerID:
		ex.TimeoutTimerID = 0
		r.rec.add(historyEvent{Type: "ExecutionTimedOut", ExecutionTimedOut: &errorDetails{Error: "States.Timeout", Cause: "The execution ran longer than the state machine's TimeoutSeconds."}}, -1)
		// AWS's DescribeExecution shows no error or cause for a timeout.
		err = r.close(statusTimedOut, nil, "", "")
	case tm.ID != ex.TimerID:
		return nil // stale
	case tm.Kind == timerWait:
		ex.TimerID = 0
		out := []byte(ex.WaitOutput)
		r.rec.add(historyEvent{Type: "WaitStateExited", StateExited: &stateExitedDetails{
			Name: ex.State, Output: data(ex.WaitOutput), OutputDetails: notTruncated,
		}}, -1)
		if ex.WaitEnd {
			err = r.succeed(out)
		} else {
			err = r.enter(ex.WaitNext, out, ex.LastEventID)
		}
	case tm.Kind == timerRetry:
		ex.TimerID = 0
		err = r.schedule()
	case tm.Kind == timerContinue:
		ex.TimerID = 0
		err = r.enter(ex.State, []byte(ex.StateInput), ex.LastEventID)
	default:
		return broken("unknown timer kind %q", tm.Kind)
	}
	if err != nil {
		return err
	}
	return r.save(false)
}
