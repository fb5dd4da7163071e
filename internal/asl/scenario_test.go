package asl

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/scripttest"
)

// A script (testdata/*.txt) is a sequence of commands in the format of
// internal/scripttest (-update rewrites the expected outputs). The commands
// drive one execution, the way the engine would:
//
//	define              body: a definition; prints "ok" or the problems;
//	                    the workflow variables start empty
//	context k=v...      sets Context fields: id, name, role, machine, machine-id,
//	                    start, entered, token (times in RFC 3339), event
//	                    (EnteredEventID), seed (Rand, a PCG seeded with it)
//	vars                prints the workflow variables
//	set-var name        body: JSON; sets a workflow variable
//	jitter f            the jitter TaskFailed gets (default 0.5)
//	start               body: the execution input (default {}); moves to StartAt
//	enter [state]       Enter the current (or named) state; body: its input
//	run                 Enter states until a task, the end, or an error
//	task-succeed        body: the task result; TaskSucceeded
//	task-fail err cause TaskFailed with the error name and the rest of the line
//
// Each processed state prints one line (with "assign=" and the variables
// its Assign set, if any); the driver then moves on as the engine would
// (Next, after a wait, retry counters, RetryCount), applying the
// assignments to the execution's variables.

// driver runs one execution for a script.
type driver struct {
	m      *Machine
	ctx    Context
	cur    string
	input  []byte
	counts []int
	jitter float64
	done   bool
	last   StepKind   // the kind of the last step
	vars   *scopeVars // the execution's top-level variables
}

// do runs one command and returns its output.
func (d *driver) do(c scripttest.Case) (string, error) {
	args := c.Args()
	switch c.Cmd {
	case "define":
		m, err := Parse([]byte(c.Body))
		if err != nil {
			var de *DefinitionError
			if !errors.As(err, &de) {
				return "", fmt.Errorf("Parse returned %T, want *DefinitionError", err)
			}
			var b strings.Builder
			for i, p := range de.Problems {
				if i > 0 {
					b.WriteByte('\n')
				}
				fmt.Fprintf(&b, "%s at %s: %s", p.Code, p.Location, p.Message)
			}
			return b.String(), nil
		}
		d.m, d.vars = m, &scopeVars{}
		return "ok", nil
	case "context":
		for _, a := range args {
			k, v, _ := strings.Cut(a, "=")
			switch k {
			case "id":
				d.ctx.ExecutionID = v
			case "name":
				d.ctx.ExecutionName = v
			case "role":
				d.ctx.RoleArn = v
			case "machine":
				d.ctx.StateMachineName = v
			case "machine-id":
				d.ctx.StateMachineID = v
			case "token":
				d.ctx.TaskToken = v
			case "event":
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return "", err
				}
				d.ctx.EnteredEventID = n
			case "seed":
				n, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					return "", err
				}
				d.ctx.Rand = rand.New(rand.NewPCG(n, n))
			case "start", "entered":
				ts, err := time.Parse(time.RFC3339Nano, v)
				if err != nil {
					return "", err
				}
				if k == "start" {
					d.ctx.StartTime = ts
				} else {
					d.ctx.EnteredTime = ts
				}
			default:
				return "", fmt.Errorf("unknown context key %q", k)
			}
		}
		return "ok", nil
	case "vars":
		if d.vars.vals == nil {
			return "{}", nil
		}
		return string(encodeJSON(d.vars.vals)), nil
	case "set-var":
		v, err := decodeJSON([]byte(c.Body), false)
		if err != nil {
			return "", err
		}
		o := newObject(1)
		o.set(args[0], v)
		applyAssign(d.vars, o)
		return "ok", nil
	case "jitter":
		f, err := strconv.ParseFloat(args[0], 64)
		d.jitter = f
		return "ok", err
	case "start":
		d.input = []byte(orDefault(c.Body, "{}"))
		d.ctx.ExecutionInput = d.input
		d.cur, d.done, d.counts, d.ctx.RetryCount = d.m.StartAt, false, nil, 0
		return "at " + d.cur, nil
	case "enter":
		if len(args) > 0 {
			d.cur, d.done, d.counts, d.ctx.RetryCount = args[0], false, nil, 0
		}
		if c.Body != "" {
			d.input = []byte(c.Body)
		}
		return d.enter(), nil
	case "run":
		var out []string
		for !d.done {
			line := d.enter()
			out = append(out, line)
			if d.last == StepTask {
				break
			}
		}
		return strings.Join(out, "\n"), nil
	case "task-succeed":
		d.ctx.vars = d.vars
		step, err := d.m.TaskSucceeded(d.cur, d.input, []byte(orDefault(c.Body, "{}")), &d.ctx)
		return d.advance(step, err), nil
	case "task-fail":
		errName, cause := "", ""
		if len(args) > 0 {
			errName = args[0]
			cause = strings.Join(args[1:], " ")
		}
		d.ctx.vars = d.vars
		step := d.m.TaskFailed(d.cur, d.input, errName, cause, d.counts, d.jitter, &d.ctx)
		return d.advance(step, nil), nil
	}
	return "", fmt.Errorf("unknown command %q", c.Cmd)
}

// enter enters the current state.
func (d *driver) enter() string {
	if d.done {
		return "(execution is over)"
	}
	d.ctx.vars = d.vars
	step, err := d.m.Enter(d.cur, d.input, &d.ctx)
	return d.advance(step, err)
}

// advance prints a step and moves the execution on as the engine would.
func (d *driver) advance(step Step, err error) string {
	d.last = step.Kind
	if err != nil {
		d.done = true
		return fmt.Sprintf("%s: error %v", d.cur, err)
	}
	if step.Kind == StepNext || step.Kind == StepSucceed || step.Kind == StepWait {
		applyAssign(d.vars, step.assign)
	}
	switch step.Kind {
	case StepNext:
		d.cur, d.input, d.counts, d.ctx.RetryCount = step.Next, step.Output, nil, 0
	case StepWait:
		if step.End {
			d.done = true
		}
		d.cur, d.input = step.Next, step.Output
	case StepSucceed, StepFail:
		d.done = true
	case StepRetry:
		d.counts = step.RetryCounts
		d.ctx.RetryCount++
	}
	return formatStep(step)
}

// formatStep prints a step on one line, with its assignments.
func formatStep(s Step) string {
	line := formatKind(s)
	if s.assign != nil {
		line += " assign=" + string(encodeJSON(s.assign))
	}
	return line
}

// formatKind prints what a step does.
func formatKind(s Step) string {
	head := fmt.Sprintf("%s (%s): %s", s.State, s.Type, s.Kind)
	switch s.Kind {
	case StepNext:
		return fmt.Sprintf("%s %s %s", head, s.Next, s.Output)
	case StepSucceed:
		return fmt.Sprintf("%s %s", head, s.Output)
	case StepFail:
		return fmt.Sprintf("%s error=%q cause=%q", head, s.Error, s.Cause)
	case StepTask:
		return fmt.Sprintf("%s %s input=%s timeout=%d heartbeat=%d", head, s.Resource, s.TaskInput, s.TimeoutSeconds, s.HeartbeatSeconds)
	case StepWait:
		amount := s.Wait.String()
		if !s.WaitUntil.IsZero() {
			amount = "until " + s.WaitUntil.Format(time.RFC3339Nano)
		}
		then := "then " + s.Next
		if s.End {
			then = "then end"
		}
		return fmt.Sprintf("%s %s %s %s", head, amount, then, s.Output)
	case StepRetry:
		return fmt.Sprintf("%s after %v counts=%v", head, s.Delay, s.RetryCounts)
	}
	return head
}

// orDefault returns s, or def if s is blank.
func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func TestScenarios(t *testing.T) {
	t.Parallel()
	scripttest.Run(t, "testdata/*.txt", func() func(scripttest.Case) (string, error) {
		return (&driver{jitter: 0.5, vars: &scopeVars{}}).do
	})
}

// applyAssign applies a step's evaluated Assign to the scope, as the
// executor does once the state is done.
func applyAssign(v *scopeVars, assign *object) {
	if assign == nil {
		return
	}
	if v.vals == nil {
		v.vals = newObject(len(assign.keys))
	} else {
		v.vals = v.vals.clone()
	}
	for _, k := range assign.keys {
		v.vals.set(k, assign.value(k))
	}
}
