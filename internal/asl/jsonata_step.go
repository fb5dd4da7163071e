package asl

import (
	"fmt"
	"time"
)

// enterJSONata is Enter for a state whose QueryLanguage is JSONata. The
// state's input is $states.input; Arguments, Output, Assign and the other
// fields that may hold expressions are evaluated against it.
func (st *state) enterJSONata(step Step, raw any, e *env) (Step, error) {
	sc := &jsonataScope{input: raw}
	var err error
	switch st.typ {
	case typePass:
		return st.finishJSONata(step, sc, raw, e)
	case typeTask:
		in := raw
		if st.arguments != nil {
			if in, err = st.arguments.eval(e, sc, "Arguments"); err != nil {
				return Step{}, err
			}
		}
		step.Kind = StepTask
		step.Resource = st.resource
		if step.TaskInput, err = e.encode(in); err != nil {
			return Step{}, err
		}
		step.TimeoutSeconds, step.HeartbeatSeconds = st.timeout.value, st.heartbeat.value
		if st.timeoutX != nil {
			if step.TimeoutSeconds, err = st.timeoutX.eval(e, sc, "TimeoutSeconds"); err != nil {
				return Step{}, err
			}
		}
		if st.heartbeatX != nil {
			if step.HeartbeatSeconds, err = st.heartbeatX.eval(e, sc, "HeartbeatSeconds"); err != nil {
				return Step{}, err
			}
		}
		if h, t := step.HeartbeatSeconds, step.TimeoutSeconds; h > 0 && t > 0 && h >= t {
			return Step{}, e.fail("The heartbeat timeout (%d seconds) must be less than the task timeout (%d seconds)", h, t)
		}
		return step, nil
	case typeChoice:
		next, assign, output := st.defaultNext, st.assign, st.output
		for _, r := range st.choices {
			ok, err := r.cond.eval(e, sc)
			if err != nil {
				return Step{}, err
			}
			if ok {
				next, assign, output = r.next, r.assign, r.output
				break
			}
		}
		if next == "" {
			step.Kind = StepFail
			step.Error = ErrorNoChoiceMatched
			step.Cause = fmt.Sprintf("No Choice Rule matched the input and the Choice state '%s' has no Default", st.name)
			return step, nil
		}
		if step, err = finishOutput(step, sc, raw, assign, output, e); err != nil {
			return Step{}, err
		}
		step.Kind, step.Next = StepNext, next
		return step, nil
	case typeWait:
		switch w := st.wait; {
		case w.secondsX != nil:
			n, err := w.secondsX.eval(e, sc, "Seconds")
			if err != nil {
				return Step{}, err
			}
			step.Wait = time.Duration(n) * time.Second
		case w.timestampX != nil:
			if step.WaitUntil, err = jsonataTimestamp(w.timestampX, e, sc); err != nil {
				return Step{}, err
			}
		case w.hasSeconds:
			step.Wait = time.Duration(w.seconds) * time.Second
		default:
			step.WaitUntil = w.timestamp
		}
		if step, err = finishOutput(step, sc, raw, st.assign, st.output, e); err != nil {
			return Step{}, err
		}
		step.Kind, step.Next, step.End = StepWait, st.next, st.end
		return step, nil
	case typeSucceed:
		if step, err = finishOutput(step, sc, raw, nil, st.output, e); err != nil {
			return Step{}, err
		}
		step.Kind = StepSucceed
		return step, nil
	case typeFail:
		step.Kind = StepFail
		step.Error, step.Cause = st.failError.value, st.failCause.value
		if st.failErrorX != nil {
			if step.Error, err = jsonataString(st.failErrorX, e, sc, "Error"); err != nil {
				return Step{}, err
			}
		}
		if st.failCauseX != nil {
			if step.Cause, err = jsonataString(st.failCauseX, e, sc, "Cause"); err != nil {
				return Step{}, err
			}
		}
		return step, nil
	}
	return Step{}, e.fail("States of type %s are not supported", st.typ)
}

// finishJSONata evaluates Assign and Output (def when there is no Output)
// and moves on: StepNext, or StepSucceed for an End state.
func (st *state) finishJSONata(step Step, sc *jsonataScope, def any, e *env) (Step, error) {
	step, err := finishOutput(step, sc, def, st.assign, st.output, e)
	if err != nil {
		return Step{}, err
	}
	if st.end {
		step.Kind = StepSucceed
	} else {
		step.Kind, step.Next = StepNext, st.next
	}
	return step, nil
}

// finishOutput evaluates assign into step.assign and output (def when nil)
// into step.Output. Both see the variables as they were before the state.
func finishOutput(step Step, sc *jsonataScope, def any, assign *assignment, output *jtemplate, e *env) (Step, error) {
	var err error
	if step.assign, err = assign.eval(e, nil, sc); err != nil {
		return Step{}, err
	}
	out := def
	if output != nil {
		if out, err = output.eval(e, sc, "Output"); err != nil {
			return Step{}, err
		}
	}
	if step.Output, step.out, err = e.encodeOut(out); err != nil {
		return Step{}, err
	}
	return step, nil
}

// catchJSONata applies the catcher c of a JSONata Task state: Assign and
// Output see $states.input (the state's input) and $states.errorOutput.
func (c *catcher) catchJSONata(step Step, raw, errOut any, e *env) (Step, error) {
	sc := &jsonataScope{input: raw, errorOutput: errOut, hasError: true}
	return finishOutput(step, sc, errOut, c.assign, c.output, e)
}
