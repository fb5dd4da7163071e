package asl

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Error names that the interpreter produces or treats specially.
const (
	ErrorAll                    = "States.ALL"
	ErrorDataLimitExceeded      = "States.DataLimitExceeded"
	ErrorHeartbeatTimeout       = "States.HeartbeatTimeout"
	ErrorNoChoiceMatched        = "States.NoChoiceMatched"
	ErrorResultPathMatchFailure = "States.ResultPathMatchFailure"
	ErrorRuntime                = "States.Runtime"
	ErrorTaskFailed             = "States.TaskFailed"
	ErrorTimeout                = "States.Timeout"
)

// MaxPayload is the largest state input, effective input (after Parameters),
// result (after ResultSelector) and output, in bytes of compact UTF-8 JSON:
// AWS's 256 KiB quota. Data past it fails the state with
// States.DataLimitExceeded, which only a Retry or Catch naming it matches.
const MaxPayload = 256 << 10

// timeLayout is how the context object writes times: RFC 3339, UTC, with
// milliseconds, as AWS does.
const timeLayout = "2006-01-02T15:04:05.000Z"

// Context is the data behind the "$$" context object. The interpreter fills
// in $$.State.Name itself with the state being processed.
type Context struct {
	ExecutionID      string
	ExecutionName    string
	RoleArn          string
	ExecutionInput   []byte // JSON; empty means {}
	StartTime        time.Time
	StateMachineID   string
	StateMachineName string
	EnteredTime      time.Time // when the current state was entered; also $now and $millis in JSONata
	EnteredEventID   int64     // id of the state's *StateEntered event; 0: not named in causes
	RetryCount       int       // retries of the current Task state so far
	TaskToken        string    // "": $$.Task is absent
	RedriveCount     int       // $$.Execution.RedriveCount

	// Rand is the source of States.MathRandom, States.UUID, $random, $uuid
	// and retry jitter. The caller seeds it, so that a replay with the same
	// seed computes the same values; nil means a fixed seed.
	Rand *rand.Rand

	vars         *scopeVars // the workflow variables the state sees
	mapItem      *mapItem   // $$.Map.Item in a Map state's ItemSelector; nil elsewhere
	noRetryCount bool       // the state cannot retry: $$.State has no RetryCount, as on AWS
}

// mapItem is the $$.Map.Item of a Map iteration.
type mapItem struct {
	index int
	value any
}

// StepKind says what the caller must do next.
type StepKind int

const (
	// StepNext: go to Step.Next with Step.Output.
	StepNext StepKind = iota + 1
	// StepSucceed: the execution succeeds with Step.Output (a Succeed state,
	// or End on a Pass or Task state).
	StepSucceed
	// StepFail: the execution fails with Step.Error and Step.Cause.
	StepFail
	// StepTask: schedule an activity task for Step.Resource with
	// Step.TaskInput, TimeoutSeconds and HeartbeatSeconds, then report its
	// outcome with TaskSucceeded or TaskFailed.
	StepTask
	// StepWait: wait Step.Wait, or until Step.WaitUntil when that is not zero,
	// then go to Step.Next with Step.Output, or succeed with it if Step.End.
	StepWait
	// StepRetry: schedule the task again (call Enter for the same state with
	// the same input) after Step.Delay, keeping Step.RetryCounts.
	StepRetry
)

// String returns the kind's name, e.g. "next".
func (k StepKind) String() string {
	switch k {
	case StepNext:
		return "next"
	case StepSucceed:
		return "succeed"
	case StepFail:
		return "fail"
	case StepTask:
		return "task"
	case StepWait:
		return "wait"
	case StepRetry:
		return "retry"
	}
	return "StepKind(" + strconv.Itoa(int(k)) + ")"
}

// Step is the outcome of processing a state: what the caller does next.
type Step struct {
	Kind  StepKind
	State string // the state this step came from
	Type  string // its type: "Pass", "Task", "Choice", "Wait", "Succeed" or "Fail"

	Next   string // StepNext; StepWait: the state after the wait ("" if End)
	End    bool   // StepWait: the execution succeeds after the wait
	Output []byte // StepNext, StepSucceed, StepWait (passed on after the wait)

	Error string // StepFail
	Cause string // StepFail

	Resource         string // StepTask: the activity ARN
	TaskInput        []byte // StepTask: the input after InputPath and Parameters
	TimeoutSeconds   int    // StepTask: 0 if none was set
	HeartbeatSeconds int    // StepTask: 0 if none was set

	Wait      time.Duration // StepWait: Seconds or SecondsPath
	WaitUntil time.Time     // StepWait: Timestamp or TimestampPath (zero if not used)

	Delay       time.Duration // StepRetry: how long to wait before the retry
	RetryCounts []int         // StepRetry: per-retrier counters to pass back to TaskFailed

	// assign holds the variables the state's Assign sets, evaluated; the
	// executor applies them to the scope once the state is done. nil: none.
	assign *object
	// out is the value Output encodes (when there is an Output): the next
	// state may take it as its input instead of decoding Output again
	// (see carryable).
	out any
}

// RuntimeError is a state failing while processing its data: a path that
// matches nothing, a ResultPath that cannot be applied, a value of the wrong
// type. The caller treats it as the state failing with ErrorName and CauseText.
type RuntimeError struct {
	ErrorName string // e.g. "States.Runtime", "States.ResultPathMatchFailure"
	CauseText string
}

// Name returns the error name.
func (e *RuntimeError) Name() string { return e.ErrorName }

// Cause returns the cause text.
func (e *RuntimeError) Cause() string { return e.CauseText }

// Error returns "name: cause".
func (e *RuntimeError) Error() string { return e.ErrorName + ": " + e.CauseText }

// env is what processing a state needs besides its data: the state's name,
// for messages and $$.State.Name, and the context object, built on first use.
type env struct {
	state  string
	ctx    *Context
	built  bool
	value  any
	orders map[uintptr]keptOrder // key order of objects handed to JSONata

	fixedRand *rand.Rand // the fixed-seed source when Context.Rand is nil
}

// newEnv returns the environment for processing state with ctx (nil: empty).
func newEnv(state string, ctx *Context) *env {
	if ctx == nil {
		ctx = &Context{}
	}
	return &env{state: state, ctx: ctx}
}

// contextObject returns the "$$" value.
func (e *env) contextObject() any {
	if e.built {
		return e.value
	}
	c := e.ctx
	input, err := decodeData(c.ExecutionInput)
	if err != nil {
		input = newObject(0)
	}
	exec := newObject(5)
	exec.set("Id", c.ExecutionID)
	exec.set("Input", input)
	exec.set("Name", c.ExecutionName)
	exec.set("RoleArn", c.RoleArn)
	exec.set("RedriveCount", json.Number(strconv.Itoa(c.RedriveCount)))
	exec.set("StartTime", c.StartTime.UTC().Format(timeLayout))
	st := newObject(3)
	st.set("EnteredTime", c.EnteredTime.UTC().Format(timeLayout))
	st.set("Name", e.state)
	if !c.noRetryCount {
		st.set("RetryCount", json.Number(strconv.Itoa(c.RetryCount)))
	}
	sm := newObject(2)
	sm.set("Id", c.StateMachineID)
	sm.set("Name", c.StateMachineName)
	root := newObject(4)
	root.set("Execution", exec)
	root.set("State", st)
	root.set("StateMachine", sm)
	if c.mapItem != nil {
		item := newObject(2)
		item.set("Index", json.Number(strconv.Itoa(c.mapItem.index)))
		item.set("Value", c.mapItem.value)
		mp := newObject(1)
		mp.set("Item", item)
		root.set("Map", mp)
	}
	if c.TaskToken != "" {
		task := newObject(1)
		task.set("Token", c.TaskToken)
		root.set("Task", task)
	}
	e.value, e.built = root, true
	return root
}

// lookup evaluates p against data, or against the context object for a "$$"
// path.
func (e *env) lookup(p *path, data any) (any, bool) {
	switch {
	case p.context:
		return p.eval(e.contextObject())
	case p.variable != "":
		v, ok := e.variable(p.variable)
		if !ok {
			return nil, false
		}
		return p.eval(v)
	}
	return p.eval(data)
}

// fail returns a States.Runtime error whose cause names the state.
func (e *env) fail(format string, args ...any) *RuntimeError {
	return &RuntimeError{
		ErrorName: ErrorRuntime,
		CauseText: e.causePrefix() + fmt.Sprintf(format, args...),
	}
}

// causePrefix begins the cause of an error raised while processing the
// state, as AWS words it: "An error occurred while executing the state 'X'
// (entered at the event id #2). ".
func (e *env) causePrefix() string {
	p := "An error occurred while executing the state '" + e.state + "'"
	if e.ctx.EnteredEventID > 0 {
		p += " (entered at the event id #" + strconv.FormatInt(e.ctx.EnteredEventID, 10) + ")"
	}
	return p + ". "
}

// tooLarge returns the States.DataLimitExceeded error of the state, in AWS's
// words; what says whether its input or its result was too large.
func (e *env) tooLarge(what string) *RuntimeError {
	verb := "returned a result"
	if what == "input" {
		verb = "received an input"
	}
	return &RuntimeError{
		ErrorName: ErrorDataLimitExceeded,
		CauseText: "The state/task '" + e.state + "' " + verb + " with a size exceeding the maximum number of bytes service limit.",
	}
}

// encode returns the JSON text of a state's data, or States.DataLimitExceeded
// once it grows past MaxPayload (the encoding stops there).
func (e *env) encode(v any) ([]byte, error) {
	b, ok := appendJSON(nil, v, MaxPayload)
	if !ok {
		return nil, e.tooLarge("result")
	}
	return b, nil
}

// encodeOut is encode for a state's output, which it also returns.
func (e *env) encodeOut(v any) ([]byte, any, error) {
	b, err := e.encode(v)
	return b, v, err
}

// checkSize fails with States.DataLimitExceeded if v, which is not encoded
// itself, is larger than MaxPayload as JSON text.
func (e *env) checkSize(v any) error {
	if jsonSize(v, MaxPayload) > MaxPayload {
		return e.tooLarge("result")
	}
	return nil
}

// lookupState returns the named state or a runtime error.
func (m *Machine) lookupState(name string) (*state, error) {
	st, ok := m.states[name]
	if !ok {
		return nil, &RuntimeError{ErrorName: ErrorRuntime, CauseText: fmt.Sprintf("The state machine has no state named '%s'", name)}
	}
	return st, nil
}

// decodeInput decodes a state's raw input or a task's result.
func (e *env) decodeInput(data []byte, what string) (any, error) {
	if len(data) > MaxPayload {
		if what == "state input" {
			return nil, e.tooLarge("input")
		}
		return nil, e.tooLarge("result")
	}
	v, err := decodeData(data)
	if err != nil {
		return nil, e.fail("The %s is not valid JSON: %v", what, err)
	}
	return v, nil
}

// Enter processes entering state name with its raw input.
//
//   - Pass: InputPath, Parameters, Result (replaces the input), ResultPath,
//     OutputPath; then StepNext or StepSucceed.
//   - Choice: InputPath, the rules in order, OutputPath; StepNext to the first
//     matching rule's Next or the Default, else StepFail States.NoChoiceMatched.
//   - Wait: InputPath, the wait amount, OutputPath; StepWait.
//   - Succeed: InputPath, OutputPath; StepSucceed.
//   - Fail: StepFail with Error and Cause (ErrorPath and CausePath are read
//     from the raw input).
//   - Task: InputPath, Parameters; StepTask with the task input and its
//     timeouts (TimeoutSecondsPath and HeartbeatSecondsPath are read from the
//     raw input and must be positive integers).
//
// A failure while processing data is returned as a *RuntimeError; the state
// fails with it (see the package documentation for which can be caught).
func (m *Machine) Enter(name string, input []byte, ctx *Context) (Step, error) {
	return m.enter(name, input, nil, false, ctx)
}

// enter is Enter, given with decoded (if carried) the value input encodes:
// the previous state's output, passed on in memory (see carryable).
func (m *Machine) enter(name string, input []byte, decoded any, carried bool, ctx *Context) (Step, error) {
	st, err := m.lookupState(name)
	if err != nil {
		return Step{}, err
	}
	e := newEnv(name, ctx)
	raw := decoded
	if !carried || len(input) > MaxPayload {
		if raw, err = e.decodeInput(input, "state input"); err != nil {
			return Step{}, err
		}
	}
	step := Step{State: name, Type: st.typ}
	if st.jsonata {
		return st.enterJSONata(step, raw, e)
	}
	switch st.typ {
	case typePass:
		eff, err := st.effectiveInput(raw, e)
		if err != nil {
			return Step{}, err
		}
		if st.parameters != nil && !st.passesOn(st.hasResult) {
			// Checked here only when the output is not eff itself, which
			// finish checks as it encodes it.
			if err := e.checkSize(eff); err != nil {
				return Step{}, err
			}
		}
		result := eff
		if st.hasResult {
			result = st.result
		}
		return st.finish(step, raw, result, e)
	case typeTask:
		eff, err := st.effectiveInput(raw, e)
		if err != nil {
			return Step{}, err
		}
		step.Kind = StepTask
		step.Resource = st.resource
		if step.TaskInput, err = e.encode(eff); err != nil {
			return Step{}, err
		}
		if step.TimeoutSeconds, err = st.timeout.resolve(raw, e, "TimeoutSecondsPath"); err != nil {
			return Step{}, err
		}
		if step.HeartbeatSeconds, err = st.heartbeat.resolve(raw, e, "HeartbeatSecondsPath"); err != nil {
			return Step{}, err
		}
		if h, t := step.HeartbeatSeconds, step.TimeoutSeconds; h > 0 && t > 0 && h >= t {
			return Step{}, e.fail("The heartbeat timeout (%d seconds) must be less than the task timeout (%d seconds)", h, t)
		}
		return step, nil
	case typeChoice:
		eff, err := st.inputPath.apply(raw, e)
		if err != nil {
			return Step{}, err
		}
		next, assign := st.defaultNext, st.assign
		for _, r := range st.choices {
			ok, err := r.eval(eff, e)
			if err != nil {
				return Step{}, err
			}
			if ok {
				next, assign = r.next, r.assign
				break
			}
		}
		if next == "" {
			step.Kind = StepFail
			step.Error = ErrorNoChoiceMatched
			step.Cause = fmt.Sprintf("No Choice Rule matched the input and the Choice state '%s' has no Default", name)
			return step, nil
		}
		if step.assign, err = assign.eval(e, eff, nil); err != nil {
			return Step{}, err
		}
		out, err := st.outputPath.apply(eff, e)
		if err != nil {
			return Step{}, err
		}
		if step.Output, step.out, err = e.encodeOut(out); err != nil {
			return Step{}, err
		}
		step.Kind, step.Next = StepNext, next
		return step, nil
	case typeWait:
		eff, err := st.inputPath.apply(raw, e)
		if err != nil {
			return Step{}, err
		}
		if step.Wait, step.WaitUntil, err = st.wait.resolve(eff, e); err != nil {
			return Step{}, err
		}
		if step.assign, err = st.assign.eval(e, eff, nil); err != nil {
			return Step{}, err
		}
		out, err := st.outputPath.apply(eff, e)
		if err != nil {
			return Step{}, err
		}
		if step.Output, step.out, err = e.encodeOut(out); err != nil {
			return Step{}, err
		}
		step.Kind, step.Next, step.End = StepWait, st.next, st.end
		return step, nil
	case typeSucceed:
		eff, err := st.inputPath.apply(raw, e)
		if err != nil {
			return Step{}, err
		}
		out, err := st.outputPath.apply(eff, e)
		if err != nil {
			return Step{}, err
		}
		if step.Output, step.out, err = e.encodeOut(out); err != nil {
			return Step{}, err
		}
		step.Kind = StepSucceed
		return step, nil
	case typeFail:
		step.Kind = StepFail
		if step.Error, err = st.failError.resolve(raw, e, "ErrorPath"); err != nil {
			return Step{}, err
		}
		if step.Cause, err = st.failCause.resolve(raw, e, "CausePath"); err != nil {
			return Step{}, err
		}
		return step, nil
	}
	return Step{}, e.fail("States of type %s are not supported", st.typ)
}

// TaskSucceeded processes the result of the Task state name, whose raw input
// was input: ResultSelector, ResultPath (into the raw input), OutputPath; then
// StepNext or StepSucceed.
func (m *Machine) TaskSucceeded(name string, input, result []byte, ctx *Context) (Step, error) {
	st, err := m.lookupState(name)
	if err != nil {
		return Step{}, err
	}
	e := newEnv(name, ctx)
	if st.typ != typeTask && st.typ != typeParallel && st.typ != typeMap {
		return Step{}, e.fail("TaskSucceeded called for a %s state", st.typ)
	}
	raw, err := e.decodeInput(input, "state input")
	if err != nil {
		return Step{}, err
	}
	res, err := e.decodeInput(result, "task result")
	if err != nil {
		return Step{}, err
	}
	if st.jsonata {
		sc := &jsonataScope{input: raw, result: res, hasResult: true}
		return st.finishJSONata(Step{State: name, Type: st.typ}, sc, res, e)
	}
	if st.resultSelector != nil {
		if res, err = st.resultSelector.eval(res, e); err != nil {
			return Step{}, err
		}
		if !st.passesOn(false) {
			if err := e.checkSize(res); err != nil {
				return Step{}, err
			}
		}
	}
	return st.finish(Step{State: name, Type: st.typ}, raw, res, e)
}

// TaskFailed decides what the Task state name does after its task failed with
// errName and cause: retry (StepRetry), move to a catcher's Next (StepNext,
// with the error output placed by the catcher's ResultPath), or fail the
// execution (StepFail).
//
// retryCounts is nil on the first failure of a visit to the state, else the
// RetryCounts of the previous StepRetry. jitter, in [0, 1), scales the delay
// of retriers with JitterStrategy FULL.
//
// States.Runtime is never retried or caught. A catcher whose ResultPath
// cannot be applied fails the execution with States.ResultPathMatchFailure.
func (m *Machine) TaskFailed(name string, input []byte, errName, cause string, retryCounts []int, jitter float64, ctx *Context) Step {
	step := Step{State: name, Kind: StepFail, Error: errName, Cause: cause}
	st, err := m.lookupState(name)
	if err != nil {
		return step
	}
	step.Type = st.typ
	if errName == ErrorRuntime {
		return step
	}
	if i := matchRetrier(st.retriers, errName); i >= 0 {
		counts := make([]int, len(st.retriers))
		copy(counts, retryCounts)
		if r := st.retriers[i]; counts[i] < r.maxAttempts {
			step.Kind = StepRetry
			step.Error, step.Cause = "", ""
			step.Delay = r.delay(counts[i], jitter)
			counts[i]++
			step.RetryCounts = counts
			return step
		}
	}
	c := matchCatcher(st.catchers, errName)
	if c == nil {
		return step
	}
	e := newEnv(name, ctx)
	raw, err := e.decodeInput(input, "state input")
	if err != nil {
		step.Error, step.Cause = err.(*RuntimeError).ErrorName, err.(*RuntimeError).CauseText
		return step
	}
	errOut := newObject(2)
	errOut.set("Error", errName)
	errOut.set("Cause", cause)
	if st.jsonata {
		out, err := c.catchJSONata(step, raw, errOut, e)
		if err != nil {
			re := err.(*RuntimeError)
			step.Error, step.Cause = re.ErrorName, re.CauseText
			return step
		}
		out.Kind, out.Next = StepNext, c.next
		out.Error, out.Cause = "", ""
		return out
	}
	if step.assign, err = c.assign.eval(e, errOut, nil); err != nil {
		re := err.(*RuntimeError)
		step.Error, step.Cause = re.ErrorName, re.CauseText
		return step
	}
	out, err := c.resultPath.apply(raw, errOut, e)
	if err != nil {
		re := err.(*RuntimeError)
		step.Error, step.Cause = re.ErrorName, re.CauseText
		return step
	}
	if step.Output, step.out, err = e.encodeOut(out); err != nil {
		re := err.(*RuntimeError)
		step.Error, step.Cause = re.ErrorName, re.CauseText
		return step
	}
	step.Kind, step.Next = StepNext, c.next
	step.Error, step.Cause = "", ""
	return step
}

// effectiveInput applies InputPath and Parameters to the raw input.
func (st *state) effectiveInput(raw any, e *env) (any, error) {
	eff, err := st.inputPath.apply(raw, e)
	if err != nil {
		return nil, err
	}
	if st.parameters != nil {
		return st.parameters.eval(eff, e)
	}
	return eff, nil
}

// passesOn reports whether the state's output is its result unchanged
// (ResultPath and OutputPath "$"), so that encoding the output measures the
// result. replaced is true when a Pass state's Result stands in for it.
func (st *state) passesOn(replaced bool) bool {
	return !replaced && !st.resultPath.null && st.resultPath.path == nil && !st.outputPath.null && st.outputPath.path == nil
}

// finish applies ResultPath and OutputPath and moves on: StepNext, or
// StepSucceed for an End state.
func (st *state) finish(step Step, raw, result any, e *env) (Step, error) {
	var err error
	if step.assign, err = st.assign.eval(e, result, nil); err != nil {
		return Step{}, err
	}
	out, err := st.resultPath.apply(raw, result, e)
	if err != nil {
		return Step{}, err
	}
	if out, err = st.outputPath.apply(out, e); err != nil {
		return Step{}, err
	}
	if step.Output, step.out, err = e.encodeOut(out); err != nil {
		return Step{}, err
	}
	if st.end {
		step.Kind = StepSucceed
	} else {
		step.Kind, step.Next = StepNext, st.next
	}
	return step, nil
}

// secondsField is a Task timeout: a literal or a path resolved at run time.
type secondsField struct {
	value int
	path  *path
}

// resolve returns the number of seconds (0: none). A path must name a
// positive integer.
func (s secondsField) resolve(raw any, e *env, field string) (int, error) {
	if s.path == nil {
		return s.value, nil
	}
	v, ok := e.lookup(s.path, raw)
	if !ok {
		return 0, e.fail("Invalid path '%s' for %s : No results for path: %s", s.path.text, field, s.path.normalized())
	}
	n, ok := integer(v)
	if !ok || n < 1 || n > maxSeconds {
		return 0, e.fail("The value at %s '%s' must be a positive integer (at most %d), not %s", field, s.path.text, maxSeconds, encodeJSON(v))
	}
	return int(n), nil
}

// textField is a Fail state's Error or Cause: a literal, a path or an
// intrinsic function call.
type textField struct {
	value string
	path  *path
	call  *intrinsic
}

// resolve returns the string; a path or call must yield a string.
func (t textField) resolve(raw any, e *env, field string) (string, error) {
	if t.call != nil {
		v, err := t.call.eval(raw, e, field)
		if err != nil {
			return "", err
		}
		s, ok := v.(string)
		if !ok {
			return "", e.fail("The value of %s '%s' must be a string, not %s", field, t.call.text, describe(v))
		}
		return s, nil
	}
	if t.path == nil {
		return t.value, nil
	}
	v, ok := e.lookup(t.path, raw)
	if !ok {
		return "", e.fail("The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", t.path.text, field, encodeJSON(raw))
	}
	s, ok := v.(string)
	if !ok {
		return "", e.fail("The value at %s '%s' must be a string, not %s", field, t.path.text, describe(v))
	}
	return s, nil
}

// waitSpec is a Wait state's amount: exactly one field is set.
type waitSpec struct {
	seconds       int
	hasSeconds    bool
	timestamp     time.Time
	secondsPath   *path
	timestampPath *path
	secondsX      *jsonataSeconds // JSONata Seconds expression
	timestampX    *jsonataExpr    // JSONata Timestamp expression
}

// resolve returns the duration or the instant to wait for.
func (w waitSpec) resolve(eff any, e *env) (time.Duration, time.Time, error) {
	switch {
	case w.secondsPath != nil:
		v, ok := e.lookup(w.secondsPath, eff)
		if !ok {
			return 0, time.Time{}, e.fail("Invalid path '%s' for SecondsPath : No results for path: %s", w.secondsPath.text, w.secondsPath.normalized())
		}
		n, ok := integer(v)
		if !ok {
			return 0, time.Time{}, e.fail("The SecondsPath parameter cannot be parsed as a long value: %s == %s", w.secondsPath.text, valueText(v))
		}
		if n < 0 || n > maxSeconds {
			return 0, time.Time{}, e.fail("The value at SecondsPath '%s' must be a non-negative integer (at most %d), not %s", w.secondsPath.text, maxSeconds, encodeJSON(v))
		}
		return time.Duration(n) * time.Second, time.Time{}, nil
	case w.timestampPath != nil:
		v, ok := e.lookup(w.timestampPath, eff)
		if !ok {
			return 0, time.Time{}, e.fail("Invalid path '%s' for TimestampPath : No results for path: %s", w.timestampPath.text, w.timestampPath.normalized())
		}
		s, _ := v.(string)
		t, ok := parseTimestamp(s)
		if !ok {
			return 0, time.Time{}, e.fail("The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s == %s", w.timestampPath.text, valueText(v))
		}
		return 0, t, nil
	case w.hasSeconds:
		return time.Duration(w.seconds) * time.Second, time.Time{}, nil
	}
	return 0, w.timestamp, nil
}

// integer returns v as an int64 if it is a JSON number with an integral value.
func integer(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f < math.MinInt64 || f >= math.MaxInt64 || f != math.Trunc(f) {
		return 0, false
	}
	return int64(f), true
}

// parseTimestamp parses an RFC 3339 timestamp (uppercase T and Z, optional
// fractional seconds) into UTC.
func parseTimestamp(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}
