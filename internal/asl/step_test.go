package asl

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// mustParse parses a definition for a test.
func mustParse(t testing.TB, def string) *Machine {
	t.Helper()
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

const activity = "arn:aws:states:us-east-1:123456789012:activity:work"

func TestEnterTask(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, fields, in string
		wantInput        string
		timeout, beat    int
	}{
		{"plain", ``, `{"a":1}`, `{"a":1}`, 0, 0},
		{"InputPath and Parameters", `"InputPath":"$.a","Parameters":{"v.$":"$.b","k":1}`, `{"a":{"b":"x"}}`, `{"v":"x","k":1}`, 0, 0},
		{"literal timeouts", `"TimeoutSeconds":300,"HeartbeatSeconds":60`, `{}`, `{}`, 300, 60},
		{"timeout only", `"TimeoutSeconds":1`, `{}`, `{}`, 1, 0},
		{"heartbeat only", `"HeartbeatSeconds":5`, `{}`, `{}`, 0, 5},
		{"timeout paths read the raw input", `"InputPath":"$.data","TimeoutSecondsPath":"$.t","HeartbeatSecondsPath":"$.h"`, `{"data":{},"t":100,"h":10}`, `{}`, 100, 10},
		{"integral float timeout", `"TimeoutSecondsPath":"$.t"`, `{"t":1e2}`, `{"t":1e2}`, 100, 0},
		{"timeout path from context", `"TimeoutSecondsPath":"$$.Execution.Input.t"`, `{}`, `{}`, 42, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			comma := ","
			if tt.fields == "" {
				comma = ""
			}
			m := mustParse(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+activity+`"`+comma+tt.fields+`,"End":true}}}`)
			step, err := m.Enter("T", []byte(tt.in), &Context{ExecutionInput: []byte(`{"t":42}`)})
			if err != nil {
				t.Fatalf("Enter: %v", err)
			}
			if step.Kind != StepTask || step.State != "T" || step.Type != "Task" || step.Resource != activity {
				t.Errorf("step = %+v, want a task step for T", step)
			}
			if got := string(step.TaskInput); got != tt.wantInput {
				t.Errorf("TaskInput = %s, want %s", got, tt.wantInput)
			}
			if step.TimeoutSeconds != tt.timeout || step.HeartbeatSeconds != tt.beat {
				t.Errorf("timeouts = %d/%d, want %d/%d", step.TimeoutSeconds, step.HeartbeatSeconds, tt.timeout, tt.beat)
			}
		})
	}
}

func TestEnterTaskTimeoutErrors(t *testing.T) {
	t.Parallel()
	m := mustParse(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+activity+`",
		"TimeoutSecondsPath":"$.t","HeartbeatSecondsPath":"$.h","End":true}}}`)
	tests := []struct{ in, want string }{
		{`{"h":1}`, "Invalid path '$.t' for TimeoutSecondsPath"},
		{`{"t":10}`, "Invalid path '$.h' for HeartbeatSecondsPath"},
		{`{"t":0,"h":1}`, "must be a positive integer"},
		{`{"t":-5,"h":1}`, "must be a positive integer"},
		{`{"t":1.5,"h":1}`, "must be a positive integer"},
		{`{"t":"10","h":1}`, "must be a positive integer"},
		{`{"t":100000000,"h":1}`, "at most 99999999"},
		{`{"t":10,"h":10}`, "heartbeat timeout (10 seconds) must be less than the task timeout (10 seconds)"},
		{`{"t":10,"h":null}`, "HeartbeatSecondsPath"},
	}
	for _, tt := range tests {
		_, err := m.Enter("T", []byte(tt.in), nil)
		var re *RuntimeError
		if !errors.As(err, &re) || re.Name() != ErrorRuntime || !strings.Contains(re.Cause(), tt.want) {
			t.Errorf("Enter(%s) error = %v, want States.Runtime containing %q", tt.in, err, tt.want)
		}
	}
}

func TestEnterWait(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, fields, in string
		wait             time.Duration
		until            string
		out              string
	}{
		{"Seconds", `"Seconds":90`, `{"a":1}`, 90 * time.Second, "", `{"a":1}`},
		{"Seconds zero", `"Seconds":0`, `{}`, 0, "", `{}`},
		{"Timestamp", `"Timestamp":"2016-03-14T01:59:00Z"`, `{}`, 0, "2016-03-14T01:59:00Z", `{}`},
		{"Timestamp with offset and fraction", `"Timestamp":"2016-03-14T03:59:00.25+02:00"`, `{}`, 0, "2016-03-14T01:59:00.25Z", `{}`},
		{"SecondsPath", `"SecondsPath":"$.d"`, `{"d":7}`, 7 * time.Second, "", `{"d":7}`},
		{"SecondsPath after InputPath", `"InputPath":"$.in","SecondsPath":"$.d","OutputPath":"$.d"`, `{"in":{"d":3}}`, 3 * time.Second, "", `3`},
		{"SecondsPath from context", `"SecondsPath":"$$.Execution.Input.d"`, `{}`, 11 * time.Second, "", `{}`},
		{"TimestampPath", `"TimestampPath":"$.when"`, `{"when":"2030-01-01T00:00:00Z"}`, 0, "2030-01-01T00:00:00Z", `{"when":"2030-01-01T00:00:00Z"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, end := range []bool{false, true} {
				tail := `"Next":"Done"`
				if end {
					tail = `"End":true`
				}
				done := `,"Done":{"Type":"Succeed"}`
				if end {
					done = ""
				}
				m := mustParse(t, `{"StartAt":"W","States":{"W":{"Type":"Wait",`+tt.fields+`,`+tail+`}`+done+`}}`)
				step, err := m.Enter("W", []byte(tt.in), &Context{ExecutionInput: []byte(`{"d":11}`)})
				if err != nil {
					t.Fatalf("Enter: %v", err)
				}
				if step.Kind != StepWait || step.Wait != tt.wait || string(step.Output) != tt.out {
					t.Errorf("step = %v wait %v output %s, want wait %v output %s", step.Kind, step.Wait, step.Output, tt.wait, tt.out)
				}
				var until time.Time
				if tt.until != "" {
					until, _ = time.Parse(time.RFC3339Nano, tt.until)
				}
				if !step.WaitUntil.Equal(until) {
					t.Errorf("WaitUntil = %v, want %v", step.WaitUntil, until)
				}
				if end && (!step.End || step.Next != "") || !end && (step.End || step.Next != "Done") {
					t.Errorf("End, Next = %v, %q with end=%v", step.End, step.Next, end)
				}
			}
		})
	}
}

func TestEnterSucceedAndFail(t *testing.T) {
	t.Parallel()
	m := mustParse(t, `{"StartAt":"Route","States":{
		"Route":{"Type":"Choice","Choices":[
			{"Variable":"$.to","StringEquals":"F1","Next":"F1"},{"Variable":"$.to","StringEquals":"F2","Next":"F2"},
			{"Variable":"$.to","StringEquals":"F3","Next":"F3"},{"Variable":"$.to","StringEquals":"F4","Next":"F4"}],"Default":"S"},
		"S":{"Type":"Succeed","InputPath":"$.a","OutputPath":"$.b"},
		"F1":{"Type":"Fail","Error":"E","Cause":"C"},
		"F2":{"Type":"Fail","ErrorPath":"$.e","CausePath":"$.c"},
		"F3":{"Type":"Fail","Cause":"only a cause"},
		"F4":{"Type":"Fail","ErrorPath":"$$.State.Name","CausePath":"$$.Execution.Name"}}}`)
	step, err := m.Enter("S", []byte(`{"a":{"b":[1]}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if step.Kind != StepSucceed || string(step.Output) != "[1]" || step.Type != "Succeed" {
		t.Errorf("Succeed step = %+v", step)
	}
	tests := []struct {
		state, in, err, cause string
	}{
		{"F1", `{}`, "E", "C"},
		{"F2", `{"e":"Err","c":"why"}`, "Err", "why"},
		{"F3", `{}`, "", "only a cause"},
		{"F4", `{}`, "F4", "exec"},
	}
	for _, tt := range tests {
		step, err := m.Enter(tt.state, []byte(tt.in), &Context{ExecutionName: "exec"})
		if err != nil {
			t.Fatalf("%s: %v", tt.state, err)
		}
		if step.Kind != StepFail || step.Error != tt.err || step.Cause != tt.cause || step.Type != "Fail" {
			t.Errorf("%s: step = %+v, want fail %q %q", tt.state, step, tt.err, tt.cause)
		}
	}
	for _, in := range []string{`{"c":"x"}`, `{"e":1,"c":"x"}`, `{"e":"x","c":null}`} {
		if _, err := m.Enter("F2", []byte(in), nil); err == nil {
			t.Errorf("Enter(F2, %s) succeeded, want a runtime error", in)
		}
	}
	if _, err := m.Enter("S", []byte(`{"x":1}`), nil); err == nil {
		t.Error("Succeed with a missing InputPath succeeded, want a runtime error")
	}
}

func TestTaskSucceeded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, fields, in, result string
		want                     string
	}{
		{"result replaces input", ``, `{"a":1}`, `{"r":2}`, `{"r":2}`},
		{"ResultPath", `"ResultPath":"$.res"`, `{"a":1}`, `{"r":2}`, `{"a":1,"res":{"r":2}}`},
		{"ResultPath into raw input despite InputPath", `"InputPath":"$.a","ResultPath":"$.res"`, `{"a":{"x":1}}`, `7`, `{"a":{"x":1},"res":7}`},
		{"ResultPath null", `"ResultPath":null`, `{"a":1}`, `{"r":2}`, `{"a":1}`},
		{"ResultSelector", `"ResultSelector":{"v.$":"$.payload.v","fixed":"f","n.$":"$$.State.Name"}`, `{}`, `{"payload":{"v":[1]},"other":1}`, `{"v":[1],"fixed":"f","n":"T"}`},
		{"ResultSelector then ResultPath then OutputPath", `"ResultSelector":{"v.$":"$.v"},"ResultPath":"$.out","OutputPath":"$.out.v"`, `{"a":1}`, `{"v":"x"}`, `"x"`},
		{"scalar result", `"ResultPath":"$.r"`, `{}`, `3.14159265358979323846264338327950288`, `{"r":3.14159265358979323846264338327950288}`},
		{"empty result is {}", `"ResultPath":"$.r"`, `{}`, ``, `{"r":{}}`},
		{"OutputPath null", `"OutputPath":null`, `{"a":1}`, `1`, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			comma := ","
			if tt.fields == "" {
				comma = ""
			}
			for _, end := range []bool{true, false} {
				tail, extra := `"End":true`, ``
				if !end {
					tail, extra = `"Next":"N"`, `,"N":{"Type":"Succeed"}`
				}
				m := mustParse(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+activity+`"`+comma+tt.fields+`,`+tail+`}`+extra+`}}`)
				step, err := m.TaskSucceeded("T", []byte(tt.in), []byte(tt.result), nil)
				if err != nil {
					t.Fatalf("TaskSucceeded: %v", err)
				}
				if got := string(step.Output); got != tt.want {
					t.Errorf("Output = %s, want %s", got, tt.want)
				}
				if end && step.Kind != StepSucceed || !end && (step.Kind != StepNext || step.Next != "N") {
					t.Errorf("Kind, Next = %v, %q with end=%v", step.Kind, step.Next, end)
				}
				if step.State != "T" || step.Type != "Task" {
					t.Errorf("State, Type = %q, %q", step.State, step.Type)
				}
			}
		})
	}
}

func TestTaskSucceededErrors(t *testing.T) {
	t.Parallel()
	m := mustParse(t, `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"`+activity+`","ResultSelector":{"v.$":"$.v"},"ResultPath":"$.a.b","Next":"P"},
		"P":{"Type":"Pass","End":true}}}`)
	tests := []struct {
		name, state, in, result string
		wantName, wantCause     string
	}{
		{"ResultSelector no match", "T", `{}`, `{"x":1}`, ErrorRuntime, "The JSONPath '$.v' specified for the field 'v.$' could not be found"},
		{"ResultPath mismatch", "T", `{"a":[]}`, `{"v":1}`, ErrorResultPathMatchFailure, "Unable to apply ResultPath '$.a.b'"},
		{"bad result JSON", "T", `{}`, `{"v":`, ErrorRuntime, "The task result is not valid JSON"},
		{"bad input JSON", "T", `[`, `{}`, ErrorRuntime, "The state input is not valid JSON"},
		{"not a Task state", "P", `{}`, `{}`, ErrorRuntime, "TaskSucceeded called for a Pass state"},
		{"no such state", "Q", `{}`, `{}`, ErrorRuntime, "no state named 'Q'"},
	}
	for _, tt := range tests {
		_, err := m.TaskSucceeded(tt.state, []byte(tt.in), []byte(tt.result), nil)
		var re *RuntimeError
		if !errors.As(err, &re) || re.Name() != tt.wantName || !strings.Contains(re.Cause(), tt.wantCause) {
			t.Errorf("%s: error = %v, want %s containing %q", tt.name, err, tt.wantName, tt.wantCause)
		}
	}
}

func TestRuntimeErrorText(t *testing.T) {
	t.Parallel()
	e := &RuntimeError{ErrorName: "States.Runtime", CauseText: "boom"}
	if got, want := e.Error(), "States.Runtime: boom"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if e.Name() != "States.Runtime" || e.Cause() != "boom" {
		t.Errorf("Name, Cause = %q, %q", e.Name(), e.Cause())
	}
}

func TestStepKindString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		k    StepKind
		want string
	}{
		{StepNext, "next"}, {StepSucceed, "succeed"}, {StepFail, "fail"},
		{StepTask, "task"}, {StepWait, "wait"}, {StepRetry, "retry"}, {0, "StepKind(0)"},
	}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("StepKind(%d).String() = %q, want %q", int(tt.k), got, tt.want)
		}
	}
}

func TestMachineFields(t *testing.T) {
	t.Parallel()
	m := mustParse(t, `{"Comment":"hello","StartAt":"A","TimeoutSeconds":3600,"Version":"1.0","QueryLanguage":"JSONPath",
		"States":{"A":{"Type":"Pass","Comment":"c","QueryLanguage":"JSONPath","Next":"B"},"B":{"Type":"Task","Resource":"`+activity+`","Next":"C"},
		"C":{"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":true,"Next":"D","Comment":"rule"},{"Variable":"$.x","IsNull":true,"Next":"F"}],"Default":"E"},
		"D":{"Type":"Wait","Seconds":1,"Next":"E"},"E":{"Type":"Succeed"},"F":{"Type":"Fail"}}}`)
	if m.StartAt != "A" || m.Comment != "hello" || m.TimeoutSeconds != 3600 {
		t.Errorf("Machine = %q %q %d", m.StartAt, m.Comment, m.TimeoutSeconds)
	}
	for name, want := range map[string]string{"A": "Pass", "B": "Task", "C": "Choice", "D": "Wait", "E": "Succeed", "F": "Fail"} {
		if got, ok := m.StateType(name); !ok || got != want {
			t.Errorf("StateType(%s) = %q, %v, want %q", name, got, ok, want)
		}
	}
	if got, ok := m.StateType("Z"); ok || got != "" {
		t.Errorf("StateType(Z) = %q, %v, want \"\", false", got, ok)
	}
	if _, err := m.Enter("Z", nil, nil); err == nil {
		t.Error("Enter of an unknown state succeeded")
	}
	if step := m.TaskFailed("Z", nil, "E", "c", nil, 0, nil); step.Kind != StepFail || step.Error != "E" {
		t.Errorf("TaskFailed of an unknown state = %+v, want a failure with the error", step)
	}
}
