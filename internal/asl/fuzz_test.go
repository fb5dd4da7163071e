package asl

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gaffer-dev/gaffer/internal/scripttest"
)

// definitionSeeds returns the definitions in testdata scripts.
func definitionSeeds(t testing.TB) []string {
	var seeds []string
	for _, c := range scripttest.Cases(t, "testdata/*.txt") {
		if c.Cmd == "define" {
			seeds = append(seeds, c.Body)
		}
	}
	return seeds
}

// FuzzParse checks that Parse never panics, that it fails only with a
// *DefinitionError, and that a machine it accepts can process every state
// without panicking.
func FuzzParse(f *testing.F) {
	for _, s := range definitionSeeds(f) {
		f.Add(s)
	}
	f.Add(`{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"a.$":"$..x[1:]","b":[{"c.$":"$$.Execution.Input"}]},"End":true}}}`)
	f.Add(`{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Not":{"Or":[{"Variable":"$['a b'][0]","StringMatches":"\\**"}]},"Next":"B"}]},"B":{"Type":"Succeed"}}}`)
	f.Fuzz(func(t *testing.T, def string) {
		m, err := Parse([]byte(def))
		if err != nil {
			var de *DefinitionError
			if !errors.As(err, &de) || len(de.Problems) == 0 {
				t.Fatalf("Parse error %v is not a *DefinitionError with problems", err)
			}
			for _, p := range de.Problems {
				if p.Code == "" || p.Message == "" || p.Location == "" {
					t.Fatalf("incomplete problem %+v", p)
				}
			}
			_ = de.Error()
			return
		}
		inputs := []string{`{}`, `{"a":{"b":[1,"x",null,true]},"x":1,"t":"2016-03-14T01:59:00Z"}`, `[1]`, `"s"`}
		for name := range m.states {
			for _, in := range inputs {
				_, _ = m.Enter(name, []byte(in), &Context{ExecutionInput: []byte(in), TaskToken: "t"})
				_, _ = m.TaskSucceeded(name, []byte(in), []byte(in), nil)
				_ = m.TaskFailed(name, []byte(in), "States.Timeout", "c", []int{1}, 0.5, nil)
			}
		}
	})
}

// FuzzPath checks that parsing and evaluating paths never panics and that
// set succeeds or fails cleanly on reference paths.
func FuzzPath(f *testing.F) {
	for _, s := range []string{"$", "$.a.b", "$['a b'][0]", "$..x", "$.a[*]", "$.a[1:-1]", "$.a[0,1]", "$$.Execution.Id", "$.a[?(@.b)]", "$.a['x','y']"} {
		f.Add(s)
	}
	doc := mustDecode(f, `{"a":{"b":[1,{"x":2}],"a b":[3]},"x":[{"x":4}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePath(s)
		if err != nil {
			return
		}
		_ = p.normalized()
		v, ok := p.eval(doc)
		if !p.definite && (!ok || v == nil) {
			t.Fatalf("indefinite path %q returned %v, %v", s, v, ok)
		}
		if p.reference() {
			_, _ = p.set(doc, "v")
		}
	})
}

// doublingMachine is the hardening issue's definition: n Pass states, each
// of which doubles its input ({"a.$":"$","b.$":"$"}), so that the payload
// limit, not memory, ends the execution.
func doublingMachine(n int) string {
	var b strings.Builder
	b.WriteString(`{"StartAt":"S0","States":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"S%d":{"Type":"Pass","Parameters":{"a.$":"$","b.$":"$"},`, i)
		if i == n-1 {
			b.WriteString(`"End":true}`)
		} else {
			fmt.Fprintf(&b, `"Next":"S%d"}`, i+1)
		}
	}
	b.WriteString(`}}`)
	return b.String()
}

// FuzzRun checks that a machine Parse accepts can be run from StartAt with
// any JSON input without panicking: each step is followed (a task succeeds
// with its input as result, or fails, as outcome's bits say) for at most
// maxFuzzSteps steps, every error is a *RuntimeError, every transition
// names a state of the machine, and every output is JSON within
// MaxPayload.
func FuzzRun(f *testing.F) {
	inputs := []string{`{}`, `{"x":1}`, `{"a":{"b":[1,"x",null,true]},"x":1,"t":"2016-03-14T01:59:00Z"}`, `[1,{"x":[]}]`, `"s"`, `null`, `1e400`}
	for i, s := range definitionSeeds(f) {
		f.Add(s, inputs[i%len(inputs)], uint64(i))
	}
	f.Add(doublingMachine(30), `{"x":1}`, uint64(0))
	f.Add(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:1:activity:a","Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":2}],"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"W"}],"End":true},"W":{"Type":"Wait","SecondsPath":"$.x","Next":"C"},"C":{"Type":"Choice","Choices":[{"Variable":"$.x","NumericGreaterThan":0,"Next":"F"}],"Default":"T"},"F":{"Type":"Fail","Error":"E","Cause":"C"}}}`, `{"x":1}`, uint64(0xff))
	const maxFuzzSteps = 64
	failures := []string{"States.TaskFailed", "States.Timeout", "States.HeartbeatTimeout", "Custom.Error", ErrorRuntime}
	f.Fuzz(func(t *testing.T, def, input string, outcome uint64) {
		m, err := Parse([]byte(def))
		if err != nil || !json.Valid([]byte(input)) {
			return
		}
		ctx := &Context{ExecutionInput: []byte(input), TaskToken: "t"}
		checkOutput := func(step Step, out []byte) {
			t.Helper()
			if !json.Valid(out) || len(out) > MaxPayload {
				t.Fatalf("%s step from %s: output of %d bytes is not JSON within MaxPayload: %.200q", step.Kind, step.State, len(out), out)
			}
		}
		checkErr := func(err error) {
			t.Helper()
			var re *RuntimeError
			if !errors.As(err, &re) || re.ErrorName == "" {
				t.Fatalf("error %v (%T) is not a *RuntimeError with a name", err, err)
			}
		}
		state, data := m.StartAt, []byte(input)
		var retries []int
		for range maxFuzzSteps {
			step, err := m.Enter(state, data, ctx)
			if err != nil {
				checkErr(err)
				return
			}
			if step.Kind == StepTask {
				if !json.Valid(step.TaskInput) {
					t.Fatalf("task input of %s is not JSON: %q", state, step.TaskInput)
				}
				bit := outcome & 1
				outcome = outcome>>1 | bit<<63
				if bit == 0 {
					step, err = m.TaskSucceeded(state, data, step.TaskInput, ctx)
					if err != nil {
						checkErr(err)
						return
					}
				} else {
					step = m.TaskFailed(state, data, failures[int(outcome%uint64(len(failures)))], "cause", retries, 0.5, ctx)
				}
			}
			switch step.Kind {
			case StepNext:
				checkOutput(step, step.Output)
				state, data, retries = step.Next, step.Output, nil
			case StepWait:
				checkOutput(step, step.Output)
				if step.End {
					return
				}
				state, data = step.Next, step.Output
			case StepRetry:
				retries = step.RetryCounts
				continue
			case StepSucceed:
				checkOutput(step, step.Output)
				return
			case StepFail:
				// A Fail state may leave Error out; every other failure
				// names its error.
				if step.Error == "" && step.Type != "Fail" {
					t.Fatalf("fail step from %s (%s) without an error name", step.State, step.Type)
				}
				return
			default:
				t.Fatalf("Enter(%s) returned step kind %v", state, step.Kind)
			}
			if _, ok := m.StateType(state); !ok {
				t.Fatalf("step from %s goes to %q, not a state of the machine", step.State, state)
			}
		}
	})
}
