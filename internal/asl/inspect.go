package asl

import "fmt"

// Inspection is one state's data at each stage of its processing, as
// Step Functions' TestState shows it (inspectionData): the raw input, the
// input after InputPath and after Parameters, the result before and after
// ResultSelector, and the output after ResultPath. A stage the state does
// not have (a Choice state has no result) is nil. A JSONata state shows
// AfterArguments instead of the JSONPath stages.
type Inspection struct {
	Input               []byte
	AfterInputPath      []byte
	AfterParameters     []byte
	AfterArguments      []byte
	Result              []byte
	AfterResultSelector []byte
	AfterResultPath     []byte
}

// Inspect computes the stages of the state name's processing of input and,
// for a Task, Parallel or Map state, of its result (nil: the state did not
// produce one). It stops at the first stage that fails, keeping those
// before; the failure itself is Enter's or TaskSucceeded's to report.
func (m *Machine) Inspect(name string, input, result []byte, ctx *Context) *Inspection {
	out := &Inspection{Input: input}
	st, err := m.lookupState(name)
	if err != nil {
		return out
	}
	e := newEnv(name, ctx)
	raw, err := e.decodeInput(input, "state input")
	if err != nil {
		return out
	}
	if st.jsonata {
		if st.typ == typeTask {
			in := raw
			if st.arguments != nil {
				if in, err = st.arguments.eval(e, &jsonataScope{input: raw}, "Arguments"); err != nil {
					return out
				}
			}
			out.AfterArguments = encodeJSON(in)
		}
		if result != nil {
			out.Result = result
		}
		return out
	}
	eff, err := st.inputPath.apply(raw, e)
	if err != nil {
		return out
	}
	out.AfterInputPath = encodeJSON(eff)
	switch st.typ {
	case typePass, typeTask, typeParallel, typeMap:
	default:
		return out
	}
	if st.parameters != nil {
		if eff, err = st.parameters.eval(eff, e); err != nil {
			return out
		}
	}
	out.AfterParameters = encodeJSON(eff)
	var res any
	switch {
	case st.typ == typePass && st.hasResult:
		res = st.result
	case st.typ == typePass:
		res = eff
	case result == nil:
		return out
	default:
		if res, err = e.decodeInput(result, "task result"); err != nil {
			return out
		}
	}
	out.Result = encodeJSON(res)
	if st.resultSelector != nil && st.typ != typePass {
		if res, err = st.resultSelector.eval(res, e); err != nil {
			return out
		}
	}
	out.AfterResultSelector = encodeJSON(res)
	after, err := st.resultPath.apply(raw, res, e)
	if err != nil {
		return out
	}
	out.AfterResultPath = encodeJSON(after)
	return out
}

// Handlers returns the index of the Retry and of the Catch of the state
// name that match the error errName, -1 for none.
func (m *Machine) Handlers(name, errName string) (retrier, catcher int) {
	st, err := m.lookupState(name)
	if err != nil || errName == ErrorRuntime {
		return -1, -1
	}
	retrier, catcher = matchRetrier(st.retriers, errName), -1
	for i := range st.catchers {
		if anyMatches(st.catchers[i].errorEquals, errName) {
			catcher = i
			break
		}
	}
	return retrier, catcher
}

// SetVariables makes the JSON object vars the workflow variables the state
// sees (TestState's variables).
func (c *Context) SetVariables(vars []byte) error {
	v, err := decodeData(vars)
	if err != nil {
		return err
	}
	o, ok := v.(*object)
	if !ok {
		return fmt.Errorf("the variables are not a JSON object")
	}
	c.vars = &scopeVars{vals: o}
	return nil
}

// VariablesAfter returns, as a JSON object, the workflow variables once the
// step is done: those ctx holds with the step's assignments applied.
func (s Step) VariablesAfter(ctx *Context) []byte {
	vals := newObject(0)
	if ctx != nil && ctx.vars != nil && ctx.vars.vals != nil {
		vals = ctx.vars.vals.clone()
	}
	if s.assign != nil {
		for i, k := range s.assign.keys {
			vals.set(k, s.assign.vals[i])
		}
	}
	return encodeJSON(vals)
}
