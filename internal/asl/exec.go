package asl

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// An execution is a tree of frames. The root frame runs the state machine;
// a Parallel state starts one child frame per branch and a Map state one per
// iteration, and waits for them (phase fan). A leaf frame is entering a
// state (it is queued in Exec.Ready), waiting for its activity task, or
// waiting for a timer. Run moves the tree forward for one input — a task's
// outcome, a timer — until every frame waits again, reporting what the
// caller must do as Effects and the history as Events. It does no I/O: the
// caller stores the Exec with the rest of the execution, in the same write.

// Phases of a frame.
const (
	phaseEnter = "enter" // enter State with Input (the frame is in Ready)
	phaseTask  = "task"  // State is a Task whose activity task is out
	phaseWait  = "wait"  // State is a Wait state; a timer is set
	phaseRetry = "retry" // State failed and is retried when its timer fires
	phaseFan   = "fan"   // State is a Parallel or Map state with children running
)

// Exec is the progress of one execution. It is encoded as JSON with the
// execution's record, and is changed only by Machine.Run.
type Exec struct {
	Frames []*Frame `json:"frames"`
	NextID int      `json:"nextId"`
	Ready  []int    `json:"ready,omitempty"` // frames to process, in order
	// VarBytes is the size of every frame's variables together (JSON text).
	VarBytes int `json:"varBytes,omitempty"`

	byID map[int]*Frame
	// failed is set when a Run fails the execution: the frames as they
	// were when it failed, for RedrivePoint (redrive.go).
	failed *failure
}

// Frame is one thread of an execution: the root, a Parallel branch or a Map
// iteration.
type Frame struct {
	ID     int `json:"id"`
	Parent int `json:"parent,omitempty"` // 0: the root
	Index  int `json:"index,omitempty"`  // the branch or item index in the parent's state
	// Hidden frames run the iterations of a distributed Map: their events
	// belong to child executions, not to this execution's history.
	Hidden bool `json:"hidden,omitempty"`
	// Child names the child execution a hidden frame runs in: the id of
	// the iteration's own frame (its root, which records no MapIteration*
	// event: a child execution's life is told by Execution* events
	// instead). 0 outside distributed Maps.
	Child int `json:"child,omitempty"`

	Phase        string          `json:"phase"`
	State        string          `json:"state"`
	Input        json.RawMessage `json:"input,omitempty"` // the state's raw input
	Entered      time.Time       `json:"entered,omitzero"`
	EnteredEvent int64           `json:"enteredEvent,omitempty"`
	LastEvent    int64           `json:"lastEvent,omitempty"` // previousEventId of the frame's next event
	RetryCounts  []int           `json:"retryCounts,omitempty"`
	// Submitted: the task of a .waitForTaskToken (or .sync) integration
	// was submitted (TaskSubmitted); it waits for its callback.
	Submitted bool `json:"submitted,omitempty"`
	Again     bool `json:"again,omitempty"` // entering State again for a retry: keep RetryCounts

	Task     *TaskSpec       `json:"task,omitempty"`     // phaseTask, and phaseRetry of a Task state
	Wait     *waitResume     `json:"wait,omitempty"`     // phaseWait
	Fan      *fan            `json:"fan,omitempty"`      // phaseFan
	Vars     json.RawMessage `json:"vars,omitempty"`     // the variables this frame's scope assigned
	VarBytes int             `json:"varBytes,omitempty"` // their size as JSON text

	vars *object // Vars decoded; nil until used
}

// TaskSpec is the activity task a Task state schedules.
type TaskSpec struct {
	Resource         string          `json:"resource"`
	Input            json.RawMessage `json:"input"`
	TimeoutSeconds   int             `json:"timeout,omitempty"`
	HeartbeatSeconds int             `json:"heartbeat,omitempty"`
}

// waitResume is where a Wait state goes when its timer fires.
type waitResume struct {
	Output json.RawMessage `json:"output"`
	Next   string          `json:"next,omitempty"`
	End    bool            `json:"end,omitempty"`
}

// fan is a Parallel or Map state in progress.
type fan struct {
	Eff      json.RawMessage `json:"eff"`             // the effective input (after InputPath, and Parameters for Parallel)
	Items    rawList         `json:"items,omitempty"` // Map: the items (or batches) to iterate over
	Started  int             `json:"started"`         // how many children were started
	Running  int             `json:"running"`
	Failed   int             `json:"failed,omitempty"`
	Results  rawList         `json:"results"` // by index; nil (null) until the child succeeds
	MaxConc  int             `json:"maxConc,omitempty"`
	TolCount int             `json:"tolCount"` // -1: none
	TolPct   float64         `json:"tolPct"`   // -1: none
}

// InputKind says what happened to an execution.
type InputKind int

const (
	// InputStart starts the execution (Exec from NewExec).
	InputStart InputKind = iota + 1
	// InputTaskStarted: a worker took Frame's task (Worker).
	InputTaskStarted
	// InputTaskSucceeded: Frame's task returned Output.
	InputTaskSucceeded
	// InputTaskFailed: Frame's task failed with Error and Cause.
	InputTaskFailed
	// InputTaskTimedOut: Frame's task timed out (Error is States.Timeout or
	// States.HeartbeatTimeout).
	InputTaskTimedOut
	// InputTimer: Frame's timer fired (a Wait state, a retry back-off).
	InputTimer
	// InputContinue: go on with the queued work after an EffectContinue.
	InputContinue
	// InputTaskSubmitted: Frame's task, a service integration that waits
	// for a callback (.waitForTaskToken), made its call, which answered
	// Output; it goes on waiting (TaskSubmitted).
	InputTaskSubmitted
	// InputUpdateMapRun: UpdateMapRun changed the settings of the Map Run
	// of Frame, a distributed Map state (Update). A higher MaxConcurrency
	// starts more iterations at once; a lower tolerance may fail the Map
	// Run at once.
	InputUpdateMapRun
)

// Input is one thing that happened to an execution.
type Input struct {
	Kind   InputKind
	Frame  int
	Output []byte
	Error  string
	Cause  string
	Worker string
	Update *MapRunUpdate // InputUpdateMapRun
}

// MapRunUpdate is what UpdateMapRun changes; nil fields stay as they are.
type MapRunUpdate struct {
	MaxConcurrency             *int
	ToleratedFailureCount      *int
	ToleratedFailurePercentage *float64
}

// EffectKind says what the caller must do.
type EffectKind int

const (
	// EffectSchedule: schedule Frame's activity task (Task); report its
	// outcome with InputTaskStarted and InputTaskSucceeded/Failed/TimedOut.
	EffectSchedule EffectKind = iota + 1
	// EffectTimer: fire InputTimer for Frame at At.
	EffectTimer
	// EffectCancel: Frame was aborted; close its task or drop its timer.
	EffectCancel
	// EffectContinue: the work for this write is done but more is queued;
	// call Run with InputContinue at At (now), in a later write.
	EffectContinue
	// EffectSucceed: the execution succeeded with Output.
	EffectSucceed
	// EffectFail: the execution failed with Error and Cause.
	EffectFail
)

// Effect is one thing the caller must do after Run.
type Effect struct {
	Kind   EffectKind
	Frame  int
	Task   *TaskSpec
	At     time.Time
	Output []byte
	Error  string
	Cause  string
}

// Event is one history event of the execution, as AWS names it (e.g.
// "PassStateEntered", "MapIterationStarted", "ActivityScheduled").
type Event struct {
	Type     string
	State    string // *StateEntered/*StateExited: the state's name; MapIteration*: the Map state's name
	Input    []byte // *StateEntered: the state's input
	Output   []byte // *StateExited, ActivitySucceeded: the output
	Error    string // *Failed, ActivityTimedOut, EvaluationFailed
	Cause    string
	Task     *TaskSpec // the task's events (Activity*, LambdaFunction*, Task*): the task
	Worker   string    // ActivityStarted
	Index    int       // MapIteration*: the iteration's index
	Length   int       // MapStateStarted: the number of iterations
	Assigned []byte    // *StateExited: the variables the state assigned (a JSON object), or nil

	// Child is 0 for an event of the execution's own history. An iteration
	// of a distributed Map runs as a child execution with a history of its
	// own: its events name it by the id of its root frame (Frame.Child),
	// and its life is told by events of that Child: "ExecutionStarted"
	// (Input; Index: the item's index; Length: how many items it gets;
	// MapFrame), then "ExecutionSucceeded" (Output), "ExecutionFailed"
	// (Error, Cause) or "ExecutionAborted" — unless the execution itself
	// ends first (then the caller aborts the children still running).
	// "ExecutionStarted" is recorded with prev 0 and does not become the
	// previous event of the child's first state, as on AWS.
	Child int
	// MapFrame is the frame of the distributed Map state whose Map Run a
	// "MapRunStarted", "MapRunSucceeded", "MapRunFailed", "MapRunAborted"
	// or a child's "ExecutionStarted" is about: it names the Map Run until
	// the next MapRunStarted of the same frame (a retry, a loop).
	MapFrame int
	MapRun   *MapRunConfig // MapRunStarted: the Map Run's settings
}

// MapRunConfig is a Map Run's settings and size, as it starts.
type MapRunConfig struct {
	Label                      string // the Map state's Label, or ""
	MaxConcurrency             int    // 0: no limit
	ToleratedFailureCount      int    // -1: not set
	ToleratedFailurePercentage float64
	Executions                 int // child executions: one per item, or per batch
	Items                      int
}

// Recorder appends events to the execution's history. Record returns the
// new event's id; prev is the id of the event it follows (its
// previousEventId; 0 for the first state's entry, as on AWS).
type Recorder interface {
	Record(ev *Event, prev int64) int64
}

// Env is what Run needs besides the Exec and the Input.
type Env struct {
	Now time.Time
	// Context is the execution's part of $$; Rand for retry jitter too.
	// Its TaskToken is seen by .waitForTaskToken Task states only.
	Context *Context
	Record  Recorder
	// CanSchedule reports whether a Task state's activity exists; a Task
	// state whose activity does not fails with States.Runtime. It is not
	// asked about other resources.
	CanSchedule func(resource string) (bool, error)
	// ChildContext returns the $$ Execution and StateMachine parts of the
	// child execution of a distributed Map named child (Event.Child); nil,
	// or a nil result, uses Context.
	ChildContext func(child int) *Context
	MaxEvents    int64 // the history's limit; 0: none
	MaxSteps     int   // states entered per Run before EffectContinue; 0: no limit
	MaxBytes     int   // bytes of state input taken in per Run before EffectContinue; 0: no limit
}

// NewExec returns the Exec of a new execution of m with input. Pass it to
// Run with InputStart.
func (m *Machine) NewExec(input []byte) *Exec {
	// The first state's entry has previousEventId 0 on AWS, not that of
	// ExecutionStarted.
	root := &Frame{ID: 1, Phase: phaseEnter, State: m.StartAt, Input: input}
	return &Exec{Frames: []*Frame{root}, NextID: 2, Ready: []int{1}}
}

// errEnded is returned internally once the execution has ended.
var errEnded = errors.New("execution ended")

// runner is one call of Run.
type runner struct {
	m       *Machine
	x       *Exec
	env     Env
	effects []Effect
	steps   int
	bytes   int
	ended   bool
	full    bool         // the history is full: no more events; Run ends the execution
	effs    map[*fan]any // Map states' effective inputs decoded in this Run (see iterationInput)
	// The frames the failure being handled removed, and the fans of the
	// Parallel and Map states it failed (redrive.go).
	fallen []*Frame
	fans   map[int]*fan
}

// Run moves x forward after in, and returns what the caller must do. An
// input for a frame that no longer waits for it (a stale timer, a task of an
// aborted branch) does nothing. The error is not nil only if x is not an
// Exec of m (a broken record) or CanSchedule failed; the caller must then
// discard x.
func (m *Machine) Run(x *Exec, in Input, env Env) ([]Effect, error) {
	if env.Context == nil {
		env.Context = &Context{}
	}
	r := &runner{m: m, x: x, env: env}
	x.index()
	err := r.input(in)
	if err == nil {
		err = r.drain()
	}
	if err == nil && r.full && !r.ended {
		err = r.historyFull()
	}
	if errors.Is(err, errEnded) {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	for _, f := range x.Frames {
		if f.vars != nil {
			f.Vars = encodeJSON(f.vars)
		}
	}
	return r.effects, nil
}

// index builds byID.
func (x *Exec) index() {
	if x.byID != nil {
		return
	}
	x.byID = make(map[int]*Frame, len(x.Frames))
	for _, f := range x.Frames {
		x.byID[f.ID] = f
	}
}

// Frame returns the frame with id, or nil.
func (x *Exec) Frame(id int) *Frame {
	x.index()
	return x.byID[id]
}

// input applies in.
func (r *runner) input(in Input) error {
	if in.Kind == InputStart || in.Kind == InputContinue {
		return nil
	}
	f := r.x.byID[in.Frame]
	if f == nil {
		return nil // an aborted frame's task or timer
	}
	switch in.Kind {
	case InputTaskStarted:
		if f.Phase == phaseTask {
			r.record(f, &Event{Type: taskEvent(f.Task.Resource, "Started"), Worker: in.Worker, Task: f.Task})
		}
		return nil
	case InputTaskSubmitted:
		if f.Phase == phaseTask && !f.Submitted && resourceKind(f.Task.Resource) == ResourceService {
			f.Submitted = true
			r.record(f, &Event{Type: "TaskSubmitted", Output: in.Output, Task: f.Task})
		}
		return nil
	case InputTaskSucceeded:
		if f.Phase != phaseTask {
			return nil
		}
		r.record(f, &Event{Type: taskEvent(f.Task.Resource, "Succeeded"), Output: in.Output, Task: f.Task})
		f.Task, f.Submitted = nil, false
		prog, err := r.program(f)
		if err != nil {
			return err
		}
		step, err := prog.TaskSucceeded(f.State, f.Input, in.Output, r.context(f))
		if err != nil {
			var re *RuntimeError
			if !errors.As(err, &re) {
				return err
			}
			r.evaluationFailed(f, re)
			return r.stateError(f, re.ErrorName, re.CauseText, nil)
		}
		return r.after(f, step)
	case InputTaskFailed, InputTaskTimedOut:
		if f.Phase != phaseTask {
			return nil
		}
		typ := taskEvent(f.Task.Resource, "Failed")
		if in.Kind == InputTaskTimedOut {
			typ = taskEvent(f.Task.Resource, "TimedOut")
		}
		f.Submitted = false
		r.record(f, &Event{Type: typ, Error: in.Error, Cause: in.Cause, Task: f.Task})
		return r.stateError(f, in.Error, in.Cause, nil)
	case InputTimer:
		switch f.Phase {
		case phaseWait:
			w := f.Wait
			f.Wait = nil
			r.record(f, &Event{Type: "WaitStateExited", State: f.State, Output: w.Output})
			if w.End {
				return r.frameDone(f, w.Output)
			}
			r.moveTo(f, w.Next, w.Output)
			return nil
		case phaseRetry:
			prog, err := r.program(f)
			if err != nil {
				return err
			}
			st := prog.states[f.State]
			switch {
			case st.typ == typeTask && f.Task != nil:
				return r.schedule(f, f.Task)
			case st.typ == typeTask:
				// Its input processing failed: enter it again, keeping
				// the retry counts.
				f.Phase, f.Again = phaseEnter, true
				r.ready(f)
				return nil
			}
			return r.startFan(f, st)
		}
		return nil
	case InputUpdateMapRun:
		return r.updateMapRun(f, in.Update)
	}
	return fmt.Errorf("unknown input kind %d", in.Kind)
}

// drain processes the ready frames until none is left or the budget for
// this write is spent.
func (r *runner) drain() error {
	for len(r.x.Ready) > 0 {
		if r.full {
			return r.historyFull()
		}
		if r.overBudget() {
			r.effects = append(r.effects, Effect{Kind: EffectContinue, At: r.env.Now})
			return nil
		}
		id := r.x.Ready[0]
		r.x.Ready = r.x.Ready[1:]
		f := r.x.byID[id]
		if f == nil {
			continue
		}
		var err error
		switch f.Phase {
		case phaseEnter:
			err = r.enter(f)
		case phaseFan:
			err = r.progress(f)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// overBudget reports whether this write has done enough.
func (r *runner) overBudget() bool {
	e := r.env
	return e.MaxSteps > 0 && r.steps >= e.MaxSteps || e.MaxBytes > 0 && r.steps > 0 && r.bytes > e.MaxBytes
}

// ready queues f.
func (r *runner) ready(f *Frame) { r.x.Ready = append(r.x.Ready, f.ID) }

// moveTo makes f enter state next with input, and queues it.
func (r *runner) moveTo(f *Frame, next string, input []byte) {
	f.Phase, f.State, f.Input, f.RetryCounts, f.Task = phaseEnter, next, input, nil, nil
	r.ready(f)
}

// program returns the state machine f runs: the machine itself, a Parallel
// branch or a Map state's ItemProcessor.
func (r *runner) program(f *Frame) (*Machine, error) {
	if f.Parent == 0 {
		return r.m, nil
	}
	p := r.x.byID[f.Parent]
	if p == nil {
		return nil, fmt.Errorf("frame %d: parent %d is missing", f.ID, f.Parent)
	}
	pm, err := r.program(p)
	if err != nil {
		return nil, err
	}
	st := pm.states[p.State]
	switch {
	case st == nil:
		return nil, fmt.Errorf("frame %d: no state %q", p.ID, p.State)
	case st.typ == typeParallel && f.Index < len(st.branches):
		return st.branches[f.Index], nil
	case st.typ == typeMap:
		return st.mapSpec.processor, nil
	}
	return nil, fmt.Errorf("frame %d: state %q has no branch %d", p.ID, p.State, f.Index)
}

// record appends ev to the history f's events go to (the execution's, or
// its child execution's) after f's last event.
func (r *runner) record(f *Frame, ev *Event) int64 {
	ev.Child = f.Child
	if f.Child == 0 {
		if r.full {
			return f.LastEvent
		}
		// The last event the history has room for is the caller's
		// ExecutionFailed: Run ends the execution once it is reached.
		if r.env.MaxEvents > 0 && r.lastEvent(0) >= r.env.MaxEvents-1 {
			r.full = true
			return f.LastEvent
		}
	}
	id := r.env.Record.Record(ev, f.LastEvent)
	f.LastEvent = id
	return id
}

// childRoot reports whether f is the root of a child execution (an
// iteration of a distributed Map).
func (f *Frame) childRoot() bool { return f.Child != 0 && f.Child == f.ID }

// context returns the $$ data and variables for f's current state.
func (r *runner) context(f *Frame) *Context {
	c := *r.env.Context
	if f.Child != 0 && r.env.ChildContext != nil {
		if cc := r.env.ChildContext(f.Child); cc != nil {
			c = *cc
		}
	}
	c.EnteredTime = f.Entered
	c.RetryCount = 0
	for _, n := range f.RetryCounts {
		c.RetryCount += n
	}
	c.EnteredEventID = f.EnteredEvent
	c.vars = r.scope(f)
	callback := false
	if prog, err := r.program(f); err == nil {
		if st := prog.states[f.State]; st != nil {
			c.noRetryCount = st.typ != typeTask && st.typ != typeParallel && st.typ != typeMap
			callback = st.typ == typeTask && isCallback(st.resource)
		}
	}
	if !callback {
		// $$.Task.Token exists only in a .waitForTaskToken Task state.
		c.TaskToken = ""
	}
	return &c
}

// scope returns the variables f sees.
func (r *runner) scope(f *Frame) *scopeVars {
	var outer *scopeVars
	// A distributed Map's iteration is a child execution of its own: it
	// does not see the variables of the execution that started it.
	if p := r.x.byID[f.Parent]; p != nil && (p.Hidden || !f.Hidden) {
		outer = r.scope(p)
	}
	if f.vars == nil && len(f.Vars) > 0 {
		if v, err := decodeData(f.Vars); err == nil {
			f.vars, _ = v.(*object)
		}
	}
	if f.vars == nil && outer == nil {
		return nil
	}
	return &scopeVars{outer: outer, vals: f.vars}
}

// assign applies a state's assignments to f's scope.
func (f *Frame) assign(vals *object) {
	if vals == nil {
		return
	}
	if f.vars == nil {
		if len(f.Vars) > 0 {
			if v, err := decodeData(f.Vars); err == nil {
				f.vars, _ = v.(*object)
			}
		}
		if f.vars == nil {
			f.vars = newObject(len(vals.keys))
		}
	} else {
		f.vars = f.vars.clone()
	}
	for i, k := range vals.keys {
		f.vars.set(k, vals.vals[i])
	}
}

// enter enters f's state, and runs on through states that need no waiting.
func (r *runner) enter(f *Frame) error {
	// carry is the decoded value of f.Input when the state before, in
	// this loop, produced it (carrying).
	var carry any
	carrying := false
	for {
		if r.ended {
			return errEnded
		}
		if r.env.MaxEvents > 0 && r.lastEvent(f.Child) >= r.env.MaxEvents-3 {
			cause := fmt.Sprintf("The execution reached the maximum number of history events (%d).", r.env.MaxEvents)
			if root := r.x.byID[f.Child]; root != nil {
				// A child execution's history is full: it fails alone.
				r.abortChildren(root)
				return r.frameFail(root, ErrorRuntime, cause)
			}
			return r.historyFull()
		}
		if r.overBudget() {
			r.x.Ready = append([]int{f.ID}, r.x.Ready...)
			r.effects = append(r.effects, Effect{Kind: EffectContinue, At: r.env.Now})
			return errEnded
		}
		r.steps++
		r.bytes += len(f.Input)
		prog, err := r.program(f)
		if err != nil {
			return err
		}
		st := prog.states[f.State]
		if st == nil {
			return fmt.Errorf("frame %d: no state %q", f.ID, f.State)
		}
		f.Entered = r.env.Now
		if !f.Again {
			f.RetryCounts = nil
		}
		f.Again = false
		f.EnteredEvent = r.record(f, &Event{Type: st.typ + "StateEntered", State: f.State, Input: f.Input})
		if st.typ == typeParallel || st.typ == typeMap {
			return r.startFan(f, st)
		}
		step, err := prog.enter(f.State, f.Input, carry, carrying, r.context(f))
		carry, carrying = nil, false
		if err != nil {
			var re *RuntimeError
			if !errors.As(err, &re) {
				return err
			}
			r.evaluationFailed(f, re)
			if st.typ == typeTask {
				// The Task state's own Retry and Catch see errors of its
				// input processing too (not States.Runtime, which
				// TaskFailed never retries or catches).
				return r.stateError(f, re.ErrorName, re.CauseText, nil)
			}
			return r.frameFail(f, re.ErrorName, re.CauseText)
		}
		if step.Kind == StepNext {
			if ok, err := r.exitedOrFail(f, step); !ok {
				return err
			}
			f.State, f.Input = step.Next, step.Output
			carry, carrying = step.out, carryable(step.out, 0)
			continue
		}
		return r.after(f, step)
	}
}

// historyFull ends the execution at the history's limit.
func (r *runner) historyFull() error {
	return r.end(Effect{Kind: EffectFail, Error: ErrorRuntime, Cause: fmt.Sprintf("The execution reached the maximum number of history events (%d).", r.env.MaxEvents)})
}

// evaluationFailed records EvaluationFailed when re is a JSONata
// expression failing (States.QueryEvaluationError), as AWS does before the
// state fails.
func (r *runner) evaluationFailed(f *Frame, re *RuntimeError) {
	if re.ErrorName == ErrorQueryEvaluation {
		r.record(f, &Event{Type: "EvaluationFailed", State: f.State, Error: re.ErrorName, Cause: re.CauseText})
	}
}

// lastEvent returns the id of the newest event of the execution's history
// (child 0) or of a child execution's, if the Recorder tells.
func (r *runner) lastEvent(child int) int64 {
	type lastEventer interface{ LastEventID() int64 }
	type childLastEventer interface{ ChildLastEventID(child int) int64 }
	if child != 0 {
		if l, ok := r.env.Record.(childLastEventer); ok {
			return l.ChildLastEventID(child)
		}
		return 0
	}
	if l, ok := r.env.Record.(lastEventer); ok {
		return l.LastEventID()
	}
	return 0
}

// exited records the state's exit and applies its assignments. It fails
// the state (States.Runtime) if they would take the execution's variables
// past MaxTotalVariables.
func (r *runner) exited(f *Frame, step Step) error {
	var assigned []byte
	if step.assign != nil {
		old := f.VarBytes
		f.assign(step.assign)
		f.VarBytes = jsonSize(f.vars, MaxTotalVariables+1)
		r.x.VarBytes += f.VarBytes - old
		if r.x.VarBytes > MaxTotalVariables {
			return &RuntimeError{ErrorName: ErrorRuntime, CauseText: fmt.Sprintf(
				"An error occurred while executing the state '%s' (entered at the event id #%d). The workflow variables of the execution would take %d bytes, more than the limit of %d bytes.",
				step.State, f.EnteredEvent, r.x.VarBytes, MaxTotalVariables)}
		}
		assigned = encodeJSON(step.assign)
	}
	r.record(f, &Event{Type: step.Type + "StateExited", State: step.State, Output: step.Output, Assigned: assigned})
	return nil
}

// exitedOrFail is exited, failing f if the assignments do not fit.
func (r *runner) exitedOrFail(f *Frame, step Step) (ok bool, err error) {
	if err := r.exited(f, step); err != nil {
		re := err.(*RuntimeError)
		return false, r.frameFail(f, re.ErrorName, re.CauseText)
	}
	return true, nil
}

// after carries out step, the outcome of f's current state.
func (r *runner) after(f *Frame, step Step) error {
	switch step.Kind {
	case StepNext:
		if ok, err := r.exitedOrFail(f, step); !ok {
			return err
		}
		r.moveTo(f, step.Next, step.Output)
		return nil
	case StepSucceed:
		if ok, err := r.exitedOrFail(f, step); !ok {
			return err
		}
		return r.frameDone(f, step.Output)
	case StepFail:
		return r.frameFail(f, step.Error, step.Cause)
	case StepTask:
		spec := &TaskSpec{Resource: step.Resource, Input: step.TaskInput, TimeoutSeconds: step.TimeoutSeconds, HeartbeatSeconds: step.HeartbeatSeconds}
		return r.schedule(f, spec)
	case StepWait:
		f.Phase = phaseWait
		f.Wait = &waitResume{Output: step.Output, Next: step.Next, End: step.End}
		at := step.WaitUntil
		if at.IsZero() {
			at = r.env.Now.Add(step.Wait)
		}
		r.effects = append(r.effects, Effect{Kind: EffectTimer, Frame: f.ID, At: at})
		return nil
	}
	return fmt.Errorf("state %q: unexpected step kind %v", step.State, step.Kind)
}

// schedule asks for f's activity task.
func (r *runner) schedule(f *Frame, spec *TaskSpec) error {
	if r.env.CanSchedule != nil && resourceKind(spec.Resource) == ResourceActivity {
		ok, err := r.env.CanSchedule(spec.Resource)
		if err != nil {
			return err
		}
		if !ok {
			cause := fmt.Sprintf("The activity '%s' does not exist.", spec.Resource)
			r.record(f, &Event{Type: "ActivityScheduleFailed", Error: ErrorRuntime, Cause: cause})
			return r.frameFail(f, ErrorRuntime, cause)
		}
	}
	f.Phase, f.Task, f.Submitted = phaseTask, spec, false
	r.record(f, &Event{Type: taskEvent(spec.Resource, "Scheduled"), Task: spec})
	r.effects = append(r.effects, Effect{Kind: EffectSchedule, Frame: f.ID, Task: spec})
	return nil
}

// stateError handles f's current state failing with name: retry, catch, or
// fail the frame.
//
// failed, if not nil, is recorded when the state is not retried.
func (r *runner) stateError(f *Frame, name, cause string, failed *Event) error {
	prog, err := r.program(f)
	if err != nil {
		return err
	}
	jitter := 0.0
	if rnd := r.env.Context.Rand; rnd != nil {
		jitter = rnd.Float64()
	} else {
		jitter = rand.New(rand.NewPCG(1, 2)).Float64()
	}
	step := prog.TaskFailed(f.State, f.Input, name, cause, f.RetryCounts, jitter, r.context(f))
	if failed != nil && step.Kind != StepRetry {
		r.record(f, failed)
	}
	if step.Kind == StepRetry || step.Kind == StepNext {
		r.handled() // redrive.go
	}
	switch step.Kind {
	case StepRetry:
		f.Phase, f.RetryCounts = phaseRetry, step.RetryCounts
		r.effects = append(r.effects, Effect{Kind: EffectTimer, Frame: f.ID, At: r.env.Now.Add(step.Delay)})
		return nil
	case StepNext:
		f.Task = nil
		return r.after(f, step)
	}
	return r.frameFail(f, step.Error, step.Cause)
}

// frameDone ends f, whose program succeeded with output.
func (r *runner) frameDone(f *Frame, output []byte) error {
	if f.Parent == 0 {
		return r.end(Effect{Kind: EffectSucceed, Output: output})
	}
	p := r.x.byID[f.Parent]
	r.remove(f)
	fn := p.Fan
	fn.Running--
	fn.Results[f.Index] = output
	if f.childRoot() {
		// The child execution's history is its own: p's goes on from its
		// own last event.
		r.env.Record.Record(&Event{Type: "ExecutionSucceeded", Child: f.Child, Output: output}, f.LastEvent)
		return r.progress(p)
	}
	p.LastEvent = maxID(p.LastEvent, f.LastEvent)
	if st, _ := r.parentState(p); st != nil && st.typ == typeMap {
		r.record(p, &Event{Type: "MapIterationSucceeded", State: p.State, Index: f.Index})
	}
	return r.progress(p)
}

func maxID(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// parentState returns the state p is in.
func (r *runner) parentState(p *Frame) (*state, error) {
	prog, err := r.program(p)
	if err != nil {
		return nil, err
	}
	return prog.states[p.State], nil
}

// frameFail ends f, whose program failed with name and cause.
func (r *runner) frameFail(f *Frame, name, cause string) error {
	if f.Parent == 0 {
		return r.end(Effect{Kind: EffectFail, Error: name, Cause: cause})
	}
	p := r.x.byID[f.Parent]
	st, err := r.parentState(p)
	if err != nil {
		return err
	}
	r.fall(f) // redrive.go
	r.remove(f)
	fn := p.Fan
	fn.Running--
	if f.childRoot() {
		r.env.Record.Record(&Event{Type: "ExecutionFailed", Child: f.Child, Error: name, Cause: cause}, f.LastEvent)
	} else {
		p.LastEvent = maxID(p.LastEvent, f.LastEvent)
	}
	if st.typ == typeMap {
		if !f.childRoot() {
			r.record(p, &Event{Type: "MapIterationFailed", State: p.State, Index: f.Index})
		}
		fn.Failed++
		if tolerated(fn, len(fn.Items)) {
			return r.progress(p)
		}
		// A distributed Map tolerates no failure by default (a threshold
		// of 0): its Map Run fails with the threshold's error.
		if fn.TolCount >= 0 || fn.TolPct >= 0 || st.mapSpec.distributed {
			name, cause = errorExceedTolerance, "The specified tolerated failure threshold was exceeded"
		}
	}
	return r.fanFailed(p, st, name, cause)
}

// errorExceedTolerance is the error of a Map state whose failed iterations
// exceed its tolerated failure threshold.
const errorExceedTolerance = "States.ExceedToleratedFailureThreshold"

// fanFailed fails the Parallel or Map state of p (in state st) with name:
// its children are aborted, then it is retried, caught or fails p.
func (r *runner) fanFailed(p *Frame, st *state, name, cause string) error {
	r.abortChildren(p)
	if st.typ == typeMap && st.mapSpec.distributed {
		r.record(p, &Event{Type: "MapRunFailed", Error: name, Cause: cause, MapFrame: p.ID})
	}
	r.keepFan(p) // redrive.go
	p.Fan = nil
	// MapStateFailed or ParallelStateFailed is recorded unless the state is
	// retried: a retry starts it again (MapStateStarted, ParallelStateStarted).
	return r.stateError(p, name, cause, &Event{Type: st.typ + "StateFailed"})
}

// tolerated reports whether a Map's failures so far are within its
// tolerance (of total iterations). With both a count and a percentage,
// exceeding either is too many, as on AWS; with neither, no failure is
// tolerated.
func tolerated(fn *fan, total int) bool {
	if fn.TolCount < 0 && fn.TolPct < 0 {
		return fn.Failed == 0
	}
	if fn.TolCount >= 0 && fn.Failed > fn.TolCount {
		return false
	}
	if fn.TolPct >= 0 && total > 0 && float64(fn.Failed)*100/float64(total) > fn.TolPct {
		return false
	}
	return true
}

// abortChildren stops every frame below p: their tasks are closed, their
// timers dropped.
func (r *runner) abortChildren(p *Frame) {
	var kids []*Frame
	for _, c := range r.x.Frames {
		if c.Parent == p.ID {
			kids = append(kids, c)
		}
	}
	st, _ := r.parentState(p)
	for _, c := range kids {
		r.abortChildren(c)
		if c.Phase == phaseTask || c.Phase == phaseWait || c.Phase == phaseRetry {
			r.effects = append(r.effects, Effect{Kind: EffectCancel, Frame: c.ID})
		}
		if c.Phase == phaseFan && c.Fan != nil {
			if cst, _ := r.parentState(c); cst != nil && cst.typ == typeMap && cst.mapSpec.distributed {
				r.record(c, &Event{Type: "MapRunAborted", MapFrame: c.ID})
			}
		}
		switch {
		case c.childRoot():
			r.env.Record.Record(&Event{Type: "ExecutionAborted", Child: c.Child}, c.LastEvent)
		case st != nil && st.typ == typeMap:
			r.record(p, &Event{Type: "MapIterationAborted", State: p.State, Index: c.Index})
		}
		r.fall(c) // redrive.go
		r.remove(c)
	}
}

// remove drops f from the Exec.
func (r *runner) remove(f *Frame) {
	x := r.x
	x.VarBytes -= f.VarBytes
	delete(x.byID, f.ID)
	for i, g := range x.Frames {
		if g == f {
			x.Frames = append(x.Frames[:i], x.Frames[i+1:]...)
			break
		}
	}
	for i, id := range x.Ready {
		if id == f.ID {
			x.Ready = append(x.Ready[:i], x.Ready[i+1:]...)
			break
		}
	}
}

// end ends the execution.
func (r *runner) end(e Effect) error {
	if r.full && e.Kind == EffectSucceed {
		// Its last events found no room in the history.
		e = Effect{Kind: EffectFail, Error: ErrorRuntime, Cause: fmt.Sprintf("The execution reached the maximum number of history events (%d).", r.env.MaxEvents)}
	}
	r.effects = append(r.effects, e)
	r.ended = true
	if e.Kind == EffectFail {
		r.failedAt() // redrive.go
	}
	for _, f := range r.x.Frames {
		if f.Phase == phaseTask || f.Phase == phaseWait || f.Phase == phaseRetry {
			r.effects = append(r.effects, Effect{Kind: EffectCancel, Frame: f.ID})
		}
	}
	r.x.Frames, r.x.Ready, r.x.byID = nil, nil, map[int]*Frame{}
	return errEnded
}

// newChild adds a child frame of p for branch or item index, entering
// state start with input.
//
// hidden makes c the root of a child execution (an iteration of a
// distributed Map), whose history starts empty; a child of a hidden frame
// runs in the same child execution as its parent.
func (r *runner) newChild(p *Frame, index int, start string, input []byte, hidden bool) *Frame {
	c := &Frame{ID: r.x.NextID, Parent: p.ID, Index: index, Hidden: hidden || p.Hidden, Phase: phaseEnter, State: start, Input: input, LastEvent: p.LastEvent, Child: p.Child}
	if hidden {
		c.Child, c.LastEvent = c.ID, 0
	}
	r.x.NextID++
	r.x.Frames = append(r.x.Frames, c)
	r.x.byID[c.ID] = c
	r.ready(c)
	return c
}

// Abort records the abort of every state in progress, innermost first, as
// StopExecution does: "TaskStateAborted", "WaitStateAborted",
// "MapIterationAborted", "MapStateAborted", "ParallelStateAborted",
// "MapRunAborted"; the states of the child executions of distributed Maps
// are recorded in their own histories (Event.Child), and the caller ends
// those children itself. The caller closes the execution's tasks and
// timers itself.
func (m *Machine) Abort(x *Exec, rec Recorder) {
	r := &runner{m: m, x: x, env: Env{Record: rec, Context: &Context{}}}
	x.index()
	for i := len(x.Frames) - 1; i >= 0; i-- {
		f := x.Frames[i]
		st, err := r.parentState(f)
		if err != nil || st == nil {
			continue
		}
		switch f.Phase {
		case phaseTask, phaseWait, phaseRetry, phaseFan:
			if f.Phase == phaseRetry && st.typ != typeTask {
				continue
			}
			if f.Phase == phaseFan && st.typ == typeMap && st.mapSpec.distributed {
				r.record(f, &Event{Type: "MapRunAborted", MapFrame: f.ID})
			}
			r.record(f, &Event{Type: st.typ + "StateAborted"})
		}
		if f.Parent != 0 && !f.childRoot() {
			if p := x.byID[f.Parent]; p != nil {
				if pst, _ := r.parentState(p); pst != nil && pst.typ == typeMap {
					r.record(p, &Event{Type: "MapIterationAborted", State: p.State, Index: f.Index})
				}
			}
		}
	}
}
