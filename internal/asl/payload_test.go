package asl

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// passMachine returns a machine whose start state is the Pass state with the
// given extra fields, followed by End.
func passMachine(t *testing.T, fields string) *Machine {
	t.Helper()
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass",` + fields + `,"End":true}}}`
	if fields == "" {
		def = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	}
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatalf("Parse(%s): %v", def, err)
	}
	return m
}

func TestPassDataFlow(t *testing.T) {
	t.Parallel()
	const in = `{"a":{"b":1,"c":[1,2]},"s":"x","n":2.50}`
	tests := []struct {
		name, fields, want string
	}{
		{"defaults pass input through", ``, in},
		{"InputPath selects", `"InputPath":"$.a"`, `{"b":1,"c":[1,2]}`},
		{"InputPath $", `"InputPath":"$"`, in},
		{"InputPath null", `"InputPath":null`, `{}`},
		{"InputPath scalar", `"InputPath":"$.n"`, `2.50`},
		{"InputPath indefinite", `"InputPath":"$.a.c[*]"`, `[1,2]`},
		{"InputPath context", `"InputPath":"$$.Execution.Input"`, `{"from":"context"}`},
		{"Result replaces", `"Result":{"r":true}`, `{"r":true}`},
		{"Result null", `"Result":null`, `null`},
		{"Result under ResultPath", `"Result":"r","ResultPath":"$.a.d"`, `{"a":{"b":1,"c":[1,2],"d":"r"},"s":"x","n":2.50}`},
		{"ResultPath replaces member", `"Result":"r","ResultPath":"$.s"`, `{"a":{"b":1,"c":[1,2]},"s":"r","n":2.50}`},
		{"ResultPath into array", `"Result":"r","ResultPath":"$.a.c[1]"`, `{"a":{"b":1,"c":[1,"r"]},"s":"x","n":2.50}`},
		{"ResultPath null discards", `"Result":"r","ResultPath":null`, in},
		{"ResultPath $ replaces", `"Result":"r","ResultPath":"$"`, `"r"`},
		{"ResultPath merges into raw input, not InputPath's", `"InputPath":"$.a","ResultPath":"$.copy"`, `{"a":{"b":1,"c":[1,2]},"s":"x","n":2.50,"copy":{"b":1,"c":[1,2]}}`},
		{"ResultPath under the selected part", `"InputPath":"$.a","ResultPath":"$.a.self"`, `{"a":{"b":1,"c":[1,2],"self":{"b":1,"c":[1,2]}},"s":"x","n":2.50}`},
		{"OutputPath selects", `"OutputPath":"$.a.b"`, `1`},
		{"OutputPath null", `"OutputPath":null`, `{}`},
		{"OutputPath after ResultPath", `"Result":{"k":"v"},"ResultPath":"$.res","OutputPath":"$.res.k"`, `"v"`},
		{"OutputPath indefinite", `"OutputPath":"$..b"`, `[1]`},
		{"OutputPath context", `"OutputPath":"$$.State.Name"`, `"P"`},
		{"Parameters with paths", `"Parameters":{"x.$":"$.a.b","lit":"$.not.a.path","nested":{"y.$":"$.s"},"arr":[{"z.$":"$.n"},3]}`, `{"x":1,"lit":"$.not.a.path","nested":{"y":"x"},"arr":[{"z":2.50},3]}`},
		{"Parameters after InputPath", `"InputPath":"$.a","Parameters":{"b.$":"$.b"}`, `{"b":1}`},
		{"Parameters literal only", `"Parameters":{"k":[1,{"a":null}]}`, `{"k":[1,{"a":null}]}`},
		{"Parameters non-object", `"Parameters":[1,"two"]`, `[1,"two"]`},
		{"Parameters keep key order", `"Parameters":{"z":1,"a.$":"$.s","m":2}`, `{"z":1,"a":"x","m":2}`},
		{"Parameters indefinite path", `"Parameters":{"all.$":"$.a.c[*]","none.$":"$.zz[*]"}`, `{"all":[1,2],"none":[]}`},
		{"Parameters with context", `"Parameters":{"name.$":"$$.Execution.Name","ctx.$":"$$.StateMachine"}`, `{"name":"exec","ctx":{"Id":"sm-arn","Name":"sm"}}`},
		{"Parameters whole input and context", `"Parameters":{"in.$":"$","retry.$":"$$.State.RetryCount"}`, `{"in":` + in + `,"retry":3}`},
		{"Parameters and Result: Result wins", `"Parameters":{"x.$":"$.s"},"Result":"r"`, `"r"`},
		{"Parameters null value", `"Parameters":{"x":null}`, `{"x":null}`},
		{"Parameters with InputPath null", `"InputPath":null,"Parameters":{"x":1}`, `{"x":1}`},
	}
	ctx := &Context{
		ExecutionName:    "exec",
		ExecutionInput:   []byte(`{"from":"context"}`),
		StateMachineID:   "sm-arn",
		StateMachineName: "sm",
		RetryCount:       3,
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := passMachine(t, tt.fields)
			step, err := m.Enter("P", []byte(in), ctx)
			if err != nil {
				t.Fatalf("Enter: %v", err)
			}
			if step.Kind != StepSucceed {
				t.Fatalf("Kind = %v, want succeed", step.Kind)
			}
			if got := string(step.Output); got != tt.want {
				t.Errorf("Output = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestPassRuntimeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, fields, in string
		wantName         string
		wantCause        string
	}{
		{"InputPath no match", `"InputPath":"$.zz"`, `{}`, ErrorRuntime, "Invalid path '$.zz' : No results for path: $['zz']"},
		{"OutputPath no match", `"OutputPath":"$.a.zz"`, `{"a":{}}`, ErrorRuntime, "Invalid path '$.a.zz' : No results for path: $['a']['zz']"},
		{"Parameters no match", `"Parameters":{"x.$":"$.zz"}`, `{"a":1}`, ErrorRuntime, `The JSONPath '$.zz' specified for the field 'x.$' could not be found in the input '{"a":1}'`},
		{"Parameters nested no match", `"Parameters":{"o":{"a":[{"x.$":"$.zz"}]}}`, `{}`, ErrorRuntime, "field 'x.$'"},
		{"Parameters context no match", `"Parameters":{"t.$":"$$.Task.Token"}`, `{}`, ErrorRuntime, "could not be found in the context object"},
		{"ResultPath through a string", `"Result":1,"ResultPath":"$.s.x"`, `{"s":"str"}`, ErrorResultPathMatchFailure, "Unable to apply ResultPath '$.s.x' to input '{\"s\":\"str\"}': $['s'] is a string, not an object"},
		{"ResultPath on a scalar input", `"Result":1,"ResultPath":"$.x"`, `7`, ErrorResultPathMatchFailure, "$ is a number, not an object"},
		{"ResultPath beyond array", `"Result":1,"ResultPath":"$.a[2]"`, `{"a":[]}`, ErrorResultPathMatchFailure, "$['a'][2] does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := passMachine(t, tt.fields)
			_, err := m.Enter("P", []byte(tt.in), nil)
			var re *RuntimeError
			if !errors.As(err, &re) {
				t.Fatalf("Enter error = %v, want a *RuntimeError", err)
			}
			if re.Name() != tt.wantName || !strings.Contains(re.Cause(), tt.wantCause) {
				t.Errorf("error = %v, want %s containing %q", err, tt.wantName, tt.wantCause)
			}
			if !strings.HasPrefix(re.Cause(), "An error occurred while executing the state 'P'. ") {
				t.Errorf("cause %q does not name the state", re.Cause())
			}
		})
	}
}

// TestDefinitionLiteralsNotShared checks that an execution cannot change
// the literal values a definition holds (Result, Parameters).
func TestDefinitionLiteralsNotShared(t *testing.T) {
	t.Parallel()
	m := passMachine(t, `"Result":{"r":{"deep":1}},"ResultPath":"$.x"`)
	for range 2 {
		step, err := m.Enter("P", []byte(`{"x":{"y":1}}`), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(step.Output), `{"x":{"r":{"deep":1}}}`; got != want {
			t.Errorf("Output = %s, want %s", got, want)
		}
	}
	m = passMachine(t, `"Parameters":{"lit":{"a":1},"p.$":"$.v"},"ResultPath":"$.out"`)
	for _, in := range []string{`{"v":1}`, `{"v":2}`} {
		step, err := m.Enter("P", []byte(in), nil)
		if err != nil {
			t.Fatal(err)
		}
		want := `{"v":` + in[5:6] + `,"out":{"lit":{"a":1},"p":` + in[5:6] + `}}`
		if got := string(step.Output); got != want {
			t.Errorf("Output = %s, want %s", got, want)
		}
	}
}

func TestContextObject(t *testing.T) {
	t.Parallel()
	m := passMachine(t, `"Parameters":{"ctx.$":"$$"}`)
	ctx := &Context{
		ExecutionID:      "arn:aws:states:us-east-1:123456789012:execution:sm:e",
		ExecutionName:    "e",
		RoleArn:          "arn:aws:iam::123456789012:role/r",
		ExecutionInput:   []byte(`{"z":1,"a":2}`),
		StartTime:        time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.FixedZone("x", 3600)),
		StateMachineID:   "arn:aws:states:us-east-1:123456789012:stateMachine:sm",
		StateMachineName: "sm",
		EnteredTime:      time.Date(2024, 5, 1, 11, 0, 1, 0, time.UTC),
		RetryCount:       2,
		TaskToken:        "tok",
	}
	step, err := m.Enter("P", []byte(`{}`), ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ctx":{` +
		`"Execution":{"Id":"arn:aws:states:us-east-1:123456789012:execution:sm:e","Input":{"z":1,"a":2},"Name":"e","RoleArn":"arn:aws:iam::123456789012:role/r","RedriveCount":0,"StartTime":"2024-05-01T11:00:00.123Z"},` +
		`"State":{"EnteredTime":"2024-05-01T11:00:01.000Z","Name":"P","RetryCount":2},` +
		`"StateMachine":{"Id":"arn:aws:states:us-east-1:123456789012:stateMachine:sm","Name":"sm"},` +
		`"Task":{"Token":"tok"}}}`
	if got := string(step.Output); got != want {
		t.Errorf("Output =\n%s\nwant\n%s", got, want)
	}

	// Without a token there is no $$.Task; a nil Context is empty; a bad
	// execution input reads as {}.
	ctx.TaskToken = ""
	ctx.ExecutionInput = []byte("{bad")
	step, err = m.Enter("P", []byte(`{}`), ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(step.Output); strings.Contains(got, `"Task"`) || !strings.Contains(got, `"Input":{}`) {
		t.Errorf("Output = %s, want no Task and an empty Input", got)
	}
	step, err = m.Enter("P", []byte(`{}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(step.Output); !strings.Contains(got, `"State":{"EnteredTime":"0001-01-01T00:00:00.000Z","Name":"P","RetryCount":0}`) {
		t.Errorf("Output with nil Context = %s", got)
	}
}

// TestTemplateReadsInput: a template reads its "$" data through a path on
// it or an intrinsic call, not through "$$" or a variable.
func TestTemplateReadsInput(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		tmpl string
		want bool
	}{
		{`{"a": 1, "b": [2]}`, false},
		{`{"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"}`, false},
		{`{"x.$": "$x"}`, false},
		{`{"nested": {"v.$": "$$.Map.Item.Value"}, "list": [{"w.$": "$.w"}]}`, true},
		{`{"all.$": "$"}`, true},
		{`{"f.$": "States.Format('{}', $$.Map.Item.Index)"}`, true},
	} {
		v, err := decodeJSON([]byte(tt.tmpl), true)
		if err != nil {
			t.Fatal(err)
		}
		c := &checker{}
		tm := compileTemplate(scope{c: c, who: "test"}, v)
		if len(c.problems) > 0 {
			t.Fatalf("%s: %v", tt.tmpl, c.problems)
		}
		if got := tm.readsInput(); got != tt.want {
			t.Errorf("%s: readsInput = %v, want %v", tt.tmpl, got, tt.want)
		}
	}
}
