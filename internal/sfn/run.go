package sfn

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/gaffer-dev/gaffer/internal/asl"
	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// Timer kinds of this dialect.
const (
	timerTimeout  = "timeout"  // the execution's TimeoutSeconds
	timerState    = "state"    // a frame's Wait state or retry back-off; Payload: the frame id
	timerContinue = "continue" // resume a long run of states in a new transaction
)

// maxStepsPerTx and maxBytesPerTx bound the work one transaction does for
// one execution: how many states it runs through (and Map iterations it
// starts), and how many bytes of state input they take in (each up to
// asl.MaxPayload, each written to the history on entry and exit). A
// definition that loops through Pass and Choice states, passes large data
// along or maps over many items yields to a timer and goes on in a later
// write rather than holding the writer. The later writes are firings of a
// continue timer, in the store's background lane (store.Background: see
// owner.BackgroundTimer), whose share of the writer is bounded while
// requests wait. maxBytesPerTx is small enough that one write of an
// execution passing data that doubles to the payload limit holds the
// writer for a few milliseconds, not for the whole run (a megabyte of
// history): at most one state past it, which is at most asl.MaxPayload in
// and out.
//
// The first write of a standard execution, StartExecution's own (a request
// the caller waits on, in the writer's request lane), runs through fewer
// states and takes in fewer bytes, maxStepsFirstTx and maxBytesFirstTx: an
// execution's client pays for its long run, or its large data, in
// background writes, not in the request lane every other client waits in.
// The first state always runs, whatever its input's size.
const (
	maxStepsPerTx   = 500
	maxStepsFirstTx = 100
	maxBytesPerTx   = 16 << 10
	maxBytesFirstTx = 4 << 10
)

// run moves one execution forward inside one transaction.
type run struct {
	s   *Service
	tx  store.Tx
	ex  *execution
	m   *asl.Machine
	rec *recorder
	// The child executions and Map Runs of distributed Map states this
	// run touched (see maprun.go), and the first error met recording.
	family *kin
	err    error
	// first: this is StartExecution's write (maxStepsFirstTx).
	first bool
	// fails are the failures of tasks that could not be scheduled (an
	// integration gaffer cannot run), fed to the interpreter after their
	// start.
	fails []asl.Input
}

// context returns the execution's part of the $$ context object.
func (r *run) context() *asl.Context {
	return &asl.Context{
		ExecutionID:      r.ex.ARN,
		ExecutionName:    r.ex.Name,
		RoleArn:          r.ex.RoleArn,
		ExecutionInput:   []byte(r.ex.Input),
		StartTime:        r.ex.StartDate,
		StateMachineID:   r.ex.StateMachineARN,
		StateMachineName: r.ex.StateMachineName,
		RedriveCount:     r.ex.RedriveCount,
		Rand:             rand.New(jitterSource{r.s.jitter}),
		// Seen by .waitForTaskToken states only; the integration worker
		// puts the attempt's token in its place.
		TaskToken: r.tokenPlaceholder(),
	}
}

// jitterSource makes the service's jitter function a rand.Source: the low
// 53 bits of each Uint64 come from one call, so that Rand.Float64 returns
// what the function returns, and the high 11 bits from a second call.
type jitterSource struct{ f func() float64 }

func (j jitterSource) Uint64() uint64 {
	return uint64(j.f()*(1<<53)) | uint64(j.f()*(1<<11))<<53
}

// save stores the execution record, and those of the child executions and
// Map Runs the run touched.
func (r *run) save(insert bool) error {
	if err := r.rec.flush(r.tx); err != nil {
		return err
	}
	if r.ex.Express && r.ex.Status != statusRunning {
		return r.saveExpress(insert)
	}
	if err := putExecution(r.tx, r.ex, insert); err != nil {
		return err
	}
	if err := r.saveKin(); err != nil {
		return err
	}
	return r.notifyParent()
}

// putExecution stores an execution record (a new one if insert).
func putExecution(tx store.Tx, ex *execution, insert bool) error {
	body, err := json.Marshal(ex)
	if err != nil {
		return fmt.Errorf("encode execution: %w", err)
	}
	// ClosedAt (the stop date, zero while running) is what the retention
	// sweep deletes by. A child execution of a Map Run is listed under
	// the Map Run, not the state machine.
	parent := ex.StateMachineARN
	if ex.MapRunARN != "" {
		parent = ex.MapRunARN
	}
	o := &store.Object{Kind: kindExecution, ID: ex.ARN, Parent: parent, Status: ex.Status, Body: body, ClosedAt: ex.StopDate}
	if insert {
		return tx.InsertObject(o)
	}
	return tx.PutObject(o)
}

// start starts a new execution: it runs from StartAt until it waits or ends.
func (r *run) start() error {
	r.ex.Exec = r.m.NewExec([]byte(r.ex.Input))
	return r.advance(asl.Input{Kind: asl.InputStart})
}

// advance feeds in to the interpreter and carries out what it asks, until
// the execution waits or ends.
func (r *run) advance(in asl.Input) error {
	queue := []asl.Input{in}
	for len(queue) > 0 && r.ex.Status == statusRunning {
		in, queue = queue[0], queue[1:]
		effects, err := r.m.Run(r.ex.Exec, in, asl.Env{
			Now:          r.rec.now,
			Context:      r.context(),
			Record:       r,
			CanSchedule:  r.activityExists,
			ChildContext: r.childContext,
			MaxEvents:    maxHistoryEvents,
			MaxSteps:     r.maxSteps(),
			MaxBytes:     r.maxBytes(),
		})
		if r.err != nil {
			return r.err
		}
		if err != nil {
			return broken("%v", err)
		}
		for _, e := range effects {
			switch e.Kind {
			case asl.EffectSchedule:
				started, worker, err := r.schedule(e.Frame, e.Task)
				if err != nil {
					return err
				}
				if started {
					queue = append(queue, asl.Input{Kind: asl.InputTaskStarted, Frame: e.Frame, Worker: worker})
				}
				// A service integration gaffer cannot run fails at once
				// (States.Runtime ends the execution: no loop).
				queue = append(queue, r.fails...)
				r.fails = r.fails[:0]
			case asl.EffectTimer:
				if err := r.setStateTimer(e.Frame, e.At); err != nil {
					return err
				}
			case asl.EffectCancel:
				if err := r.cancel(e.Frame); err != nil {
					return err
				}
			case asl.EffectContinue:
				if r.ex.ContinueTimerID == 0 {
					tm := &store.Timer{OwnerKind: ownerKind, OwnerID: r.ex.ARN, Kind: timerContinue, FireAt: e.At}
					if err := r.s.eng.SetTimer(r.tx, tm); err != nil {
						return err
					}
					r.ex.ContinueTimerID = tm.ID
				}
			case asl.EffectSucceed:
				return r.succeed(e.Output)
			case asl.EffectFail:
				return r.fail(e.Error, e.Cause)
			default:
				return broken("unexpected effect kind %d", e.Kind)
			}
		}
	}
	return nil
}

// maxSteps is the number of states this write may run the execution
// through.
func (r *run) maxSteps() int {
	if r.first {
		return maxStepsFirstTx
	}
	return maxStepsPerTx
}

// maxBytes is the state input this write may take in before it yields.
func (r *run) maxBytes() int {
	if r.first {
		return maxBytesFirstTx
	}
	return maxBytesPerTx
}

// activityExists reports whether the activity a Task state names exists
// where the execution runs: an activity of another region, account or
// partition than the execution's does not exist for it (each region keeps
// its own activities; a task is never scheduled onto another region's
// queue), and its Task state fails with States.Runtime as for a missing
// activity.
func (r *run) activityExists(resource string) (bool, error) {
	if arnScope(resource) != arnScope(r.ex.ARN) {
		return false, nil
	}
	ok, err := r.s.activityExists(r.tx, resource)
	if err != nil {
		// The store's error, not the execution's: the reaction ends with
		// it (the transaction, or on a shared store this function, runs
		// again), rather than failing the execution as broken.
		if r.err == nil {
			r.err = err
		}
		return false, nil
	}
	return ok, nil
}

// schedule schedules a frame's activity task. started is true if a waiting
// poller took it at once.
func (r *run) schedule(frame int, spec *asl.TaskSpec) (started bool, worker string, err error) {
	t := &store.Task{
		Queue:     queueOf(spec.Resource),
		OwnerKind: ownerKind,
		OwnerID:   r.ex.ARN,
		OwnerRef:  strconv.Itoa(frame),
		Input:     spec.Input,
	}
	res, _ := asl.ParseResource(spec.Resource)
	if spec.TimeoutSeconds > 0 {
		// Counted from ActivityStarted, as on AWS: a task nobody polls waits
		// (bounded only by the execution's own timeout).
		t.StartToClose = time.Duration(spec.TimeoutSeconds) * time.Second
	}
	if spec.HeartbeatSeconds > 0 {
		t.Heartbeat = time.Duration(spec.HeartbeatSeconds) * time.Second
	}
	if isNested(res) && !r.mockedState(frame) {
		return r.scheduleNested(frame, spec, res, t)
	}
	if res.Kind != asl.ResourceActivity {
		unrunnable, err := r.integrationTask(frame, spec, res, t)
		if err != nil {
			return false, "", err
		}
		if unrunnable != "" {
			r.fails = append(r.fails, asl.Input{Kind: asl.InputTaskFailed, Frame: frame, Error: asl.ErrorRuntime, Cause: unrunnable})
			return true, workerName, nil
		}
	}
	t.ScheduledAt = r.rec.now
	sch, err := r.s.eng.Schedule(r.tx, t)
	if err != nil {
		return false, "", err
	}
	if res.Pattern == asl.PatternWaitForToken {
		// The token of the attempt the worker gets: started now, or the
		// first of the task (a later one only if that attempt was given
		// back unanswered, see engine.giveBack).
		first := *t
		if first.State != store.TaskStarted {
			first.Attempt++
		}
		r.rec.showToken(spec, r.tokenPlaceholder(), r.s.eng.AttemptToken(&first))
	}
	if r.ex.Tasks == nil {
		r.ex.Tasks = make(map[int]int64)
	}
	r.ex.Tasks[frame] = t.ID
	return sch.Started, sch.Worker, nil
}

// setStateTimer sets a frame's timer.
func (r *run) setStateTimer(frame int, at time.Time) error {
	tm := &store.Timer{OwnerKind: ownerKind, OwnerID: r.ex.ARN, Kind: timerState, FireAt: at, Payload: []byte(strconv.Itoa(frame))}
	if err := r.s.eng.SetTimer(r.tx, tm); err != nil {
		return err
	}
	if r.ex.Timers == nil {
		r.ex.Timers = make(map[int]int64)
	}
	r.ex.Timers[frame] = tm.ID
	return nil
}

// cancel closes a frame's task and drops its timer.
func (r *run) cancel(frame int) error {
	if id, ok := r.ex.Tasks[frame]; ok {
		delete(r.ex.Tasks, frame)
		if err := r.closeTask(id); err != nil {
			return err
		}
	}
	if id, ok := r.ex.Timers[frame]; ok {
		delete(r.ex.Timers, frame)
		if err := r.s.eng.CancelTimer(r.tx, id); err != nil {
			return err
		}
	}
	return nil
}

// closeTask closes an open task: its token dies.
func (r *run) closeTask(id int64) error {
	t, err := r.tx.GetTask(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := r.s.eng.CloseTask(r.tx, t); err != nil {
		return err
	}
	return r.stopNested(t)
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

// close ends the execution with status: its open tasks' tokens die, its
// timers are dropped, and its child executions and Map Runs still running
// are aborted.
func (r *run) close(status string, output *string, errName, cause string) error {
	r.closeKin()
	if r.err != nil {
		return r.err
	}
	ex := r.ex
	ex.Status, ex.Output, ex.Error, ex.Cause = status, output, errName, cause
	ex.StopDate = r.rec.now
	for _, id := range sortedIDs(ex.Tasks) {
		if err := r.closeTask(id); err != nil {
			return err
		}
	}
	timers := sortedIDs(ex.Timers)
	timers = append(timers, ex.TimeoutTimerID, ex.ContinueTimerID)
	for _, id := range timers {
		if id != 0 {
			if err := r.s.eng.CancelTimer(r.tx, id); err != nil {
				return err
			}
		}
	}
	if status != statusSucceeded && r.m != nil && ex.Exec != nil && ex.MapRunARN == "" {
		ex.Redrive = r.m.RedrivePoint(ex.Exec) // redrive.go
	}
	ex.Tasks, ex.Timers, ex.TimeoutTimerID, ex.ContinueTimerID, ex.Exec = nil, nil, 0, 0, nil
	return nil
}

// sortedIDs returns the ids of m in increasing order, so that closing them
// happens in the same order on every run.
func sortedIDs(m map[int]int64) []int64 {
	ids := make([]int64, 0, len(m))
	for _, id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
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
	if ex.Exec == nil {
		// Written by a gaffer from before executions had frames (no release
		// had that format): its position cannot be recovered.
		return nil, false, broken("its record was written by an older gaffer whose format this version cannot resume")
	}
	return &run{s: s, tx: tx, ex: &ex, m: m, rec: &recorder{ex: &ex, now: s.eng.Now().UTC()}}, true, nil
}

// broken is a reaction failing for a reason of the execution's own — a
// stored definition that no longer loads, a step the dialect cannot carry
// out — rather than of the store: engine.React fails the execution instead.
func broken(format string, args ...any) error { return engine.Brokenf(format, args...) }

// testHookFirstWrite, when set (by tests only), is handed each new
// execution once StartExecution's own write has run it as far as it goes.
var testHookFirstWrite func(ex *execution)

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

// frameOf returns the frame a task of the execution belongs to, if the
// task is still the frame's open task.
func (r *run) frameOf(t *store.Task) (int, bool) {
	frame, err := strconv.Atoi(t.OwnerRef)
	if err != nil || r.ex.Tasks[frame] != t.ID {
		return 0, false
	}
	return frame, true
}

// TaskStarted records ActivityStarted of a task a poll started; schedule
// recorded that of a task Schedule started.
func (o *owner) TaskStarted(tx store.Tx, t *store.Task, by engine.StartKind) error {
	if by == engine.StartedBySchedule {
		return nil
	}
	return o.react(tx, t.OwnerID, func(r *run) error {
		frame, ok := r.frameOf(t)
		if !ok {
			return nil // not this execution's open task
		}
		if err := r.advance(asl.Input{Kind: asl.InputTaskStarted, Frame: frame, Worker: t.Worker}); err != nil {
			return err
		}
		return r.save(false)
	})
}

// TaskClosed records how the activity ended and moves the execution on.
func (o *owner) TaskClosed(tx store.Tx, t *store.Task, out engine.Outcome) error {
	return o.react(tx, t.OwnerID, func(r *run) error { return r.taskClosed(t, out) })
}

func (r *run) taskClosed(t *store.Task, out engine.Outcome) error {
	frame, ok := r.frameOf(t)
	if !ok {
		return nil
	}
	delete(r.ex.Tasks, frame)
	if err := r.stopNested(t); err != nil {
		return err
	}
	in := asl.Input{Frame: frame}
	switch out.Kind {
	case engine.Completed:
		in.Kind, in.Output = asl.InputTaskSucceeded, out.Result
	case engine.Failed:
		in.Kind, in.Error, in.Cause = asl.InputTaskFailed, out.Error, out.Cause
	case engine.TimedOut:
		in.Kind, in.Error = asl.InputTaskTimedOut, asl.ErrorTimeout
		if out.Timeout == engine.Heartbeat {
			in.Error = asl.ErrorHeartbeatTimeout
		}
	default:
		return broken("unexpected task outcome %d", out.Kind)
	}
	if err := r.advance(in); err != nil {
		return err
	}
	return r.save(false)
}

// BackgroundTimer reports whether timers of kind fire in the store's
// background lane (engine.BackgroundTimers): a long run of states going on
// after a yield is work no caller waits on and fills its write's budget. A
// Wait state's end, a retry's back-off, an execution's timeout and a child
// execution's first states (its parent waits on it) fire in the request
// lane, on time however busy the writer is: with a child's start in the
// background lane, a `.sync:2` parent and child took 10.3 ms one pair at a
// time, against 3.5 ms (the lane's turn waits while its share is spent).
var _ engine.BackgroundTimers = (*owner)(nil)

func (o *owner) BackgroundTimer(kind string) bool {
	return kind == timerContinue
}

// TimerFired resumes an execution after a Wait state, a retry back-off, a
// yield, or ends it at its timeout.
func (o *owner) TimerFired(tx store.Tx, tm *store.Timer) error {
	return o.react(tx, tm.OwnerID, func(r *run) error { return r.timerFired(tm) })
}

func (r *run) timerFired(tm *store.Timer) (err error) {
	ex := r.ex
	switch tm.Kind {
	case timerTimeout:
		if tm.ID != ex.TimeoutTimerID {
			return nil
		}
		ex.TimeoutTimerID = 0
		r.rec.add(historyEvent{Type: "ExecutionTimedOut", ExecutionTimedOut: &errorDetails{Error: "States.Timeout", Cause: "The execution ran longer than the state machine's TimeoutSeconds."}}, -1)
		// AWS's DescribeExecution shows no error or cause for a timeout.
		err = r.close(statusTimedOut, nil, "", "")
	case timerContinue:
		if tm.ID != ex.ContinueTimerID {
			return nil
		}
		ex.ContinueTimerID = 0
		err = r.advance(asl.Input{Kind: asl.InputContinue})
	case timerStart:
		err = r.startFired(tm)
	case timerState:
		frame, perr := strconv.Atoi(string(tm.Payload))
		if perr != nil || ex.Timers[frame] != tm.ID {
			return nil // stale
		}
		delete(ex.Timers, frame)
		err = r.advance(asl.Input{Kind: asl.InputTimer, Frame: frame})
	default:
		return broken("unknown timer kind %q", tm.Kind)
	}
	if err != nil {
		return err
	}
	return r.save(false)
}
