package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/asl"
	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/sfnerr"
	"github.com/gaffer-dev/gaffer/internal/sfn/integration"
)

// TestState runs one state, as AWS's TestState does: nothing is stored,
// the state runs once (a Wait state does not wait, a retry is answered as
// RETRIABLE rather than made), and a Task calls its Resource — a Lambda
// function, with --lambda-endpoint; an HTTP Task, with --http-connections
// — or answers the request's mock.

type testStateInput struct {
	Definition         string              `json:"definition"`
	RoleArn            string              `json:"roleArn"`
	Input              *string             `json:"input"`
	InspectionLevel    string              `json:"inspectionLevel"`
	RevealSecrets      bool                `json:"revealSecrets"`
	Variables          *string             `json:"variables"`
	StateName          string              `json:"stateName"`
	Mock               *testStateMock      `json:"mock"`
	Context            *string             `json:"context"`
	StateConfiguration *testStateConfigure `json:"stateConfiguration"`
}

type testStateMock struct {
	Result      *string `json:"result"`
	ErrorOutput *struct {
		Error string `json:"error"`
		Cause string `json:"cause"`
	} `json:"errorOutput"`
	FieldValidationMode string `json:"fieldValidationMode"`
}

type testStateConfigure struct {
	RetrierRetryCount        *int   `json:"retrierRetryCount"`
	ErrorCausedByState       string `json:"errorCausedByState"`
	MapIterationFailureCount *int   `json:"mapIterationFailureCount"`
	MapItemReaderData        string `json:"mapItemReaderData"`
}

type inspectionErrorDetails struct {
	CatchIndex                  *int   `json:"catchIndex,omitempty"`
	RetryIndex                  *int   `json:"retryIndex,omitempty"`
	RetryBackoffIntervalSeconds *int64 `json:"retryBackoffIntervalSeconds,omitempty"`
}

type inspectionData struct {
	Input               *string                 `json:"input,omitempty"`
	AfterArguments      *string                 `json:"afterArguments,omitempty"`
	AfterInputPath      *string                 `json:"afterInputPath,omitempty"`
	AfterParameters     *string                 `json:"afterParameters,omitempty"`
	Result              *string                 `json:"result,omitempty"`
	AfterResultSelector *string                 `json:"afterResultSelector,omitempty"`
	AfterResultPath     *string                 `json:"afterResultPath,omitempty"`
	Variables           *string                 `json:"variables,omitempty"`
	ErrorDetails        *inspectionErrorDetails `json:"errorDetails,omitempty"`
	Request             *inspectionRequest      `json:"request,omitempty"`
	Response            *inspectionResponse     `json:"response,omitempty"`
}

// inspectionRequest is the model's InspectionDataRequest.
type inspectionRequest struct {
	Protocol string `json:"protocol,omitempty"`
	Method   string `json:"method,omitempty"`
	URL      string `json:"url,omitempty"`
	Headers  string `json:"headers,omitempty"`
	Body     string `json:"body,omitempty"`
}

// inspectionResponse is the model's InspectionDataResponse.
type inspectionResponse struct {
	Protocol      string `json:"protocol,omitempty"`
	StatusCode    string `json:"statusCode,omitempty"`
	StatusMessage string `json:"statusMessage,omitempty"`
	Headers       string `json:"headers,omitempty"`
	Body          string `json:"body,omitempty"`
}

type testStateOutput struct {
	Output         *string         `json:"output,omitempty"`
	Error          string          `json:"error,omitempty"`
	Cause          string          `json:"cause,omitempty"`
	InspectionData *inspectionData `json:"inspectionData,omitempty"`
	NextState      string          `json:"nextState,omitempty"`
	Status         string          `json:"status"`
}

// TestState statuses.
const (
	testSucceeded   = "SUCCEEDED"
	testFailed      = "FAILED"
	testRetriable   = "RETRIABLE"
	testCaughtError = "CAUGHT_ERROR"
)

// testStateName names the state of a one-state definition.
const testStateName = "TestState"

// testStateLimit bounds a tested state's run (AWS: five minutes, then
// States.Timeout).
const testStateLimit = 5 * time.Minute

// TestState runs one state with an input and answers its output, error,
// next state and, at inspectionLevel DEBUG or TRACE, its data at each
// stage.
func (s *Service) TestState(ctx context.Context, in *testStateInput) (*testStateOutput, error) {
	if err := awsapi.Authorize(ctx, "*"); err != nil {
		return nil, err
	}
	if in.RoleArn != "" {
		if err := checkRoleArn(in.RoleArn); err != nil {
			return nil, err
		}
	}
	m, name, err := testMachine(in.Definition, in.StateName)
	if err != nil {
		return nil, err
	}
	typ, _ := m.StateType(name)
	if in.Mock != nil {
		if typ != "Task" && typ != "Map" && typ != "Parallel" {
			return nil, sfnerr.ValidationException("A mock can only be specified for Task, Map, or Parallel states; state '%s' is a %s state", name, typ)
		}
		if (in.Mock.Result == nil) == (in.Mock.ErrorOutput == nil) {
			return nil, sfnerr.ValidationException("A mock must have exactly one of result and errorOutput")
		}
		if in.Mock.Result != nil && !json.Valid([]byte(*in.Mock.Result)) {
			return nil, sfnerr.ValidationException("The mock's result is not valid JSON")
		}
	} else if in.Context != nil {
		return nil, sfnerr.ValidationException("context may only be given with a mock")
	}
	if (typ == "Map" || typ == "Parallel") && in.Mock == nil {
		return nil, sfnerr.ValidationException("TestState runs a %s state only with a mock of its result (mock.result or mock.errorOutput)", typ)
	}
	input := "{}"
	if in.Input != nil {
		input = *in.Input
	}
	if !json.Valid([]byte(input)) {
		return nil, sfnerr.InvalidExecutionInput("Invalid Execution Input: the input is not valid JSON")
	}
	now := s.eng.Now().UTC()
	actx := &asl.Context{
		ExecutionID:      arn{region: awsapi.Region(ctx), account: s.account, resource: "execution", name: "TestState", sub: "TestState"}.String(),
		ExecutionName:    "TestState",
		RoleArn:          in.RoleArn,
		ExecutionInput:   []byte(input),
		StartTime:        now,
		StateMachineID:   arn{region: awsapi.Region(ctx), account: s.account, resource: "stateMachine", name: "TestState"}.String(),
		StateMachineName: "TestState",
		EnteredTime:      now,
		Rand:             rand.New(jitterSource{s.jitter}),
	}
	if c := in.StateConfiguration; c != nil && c.RetrierRetryCount != nil {
		actx.RetryCount = *c.RetrierRetryCount
	}
	if in.Variables != nil {
		if err := actx.SetVariables([]byte(*in.Variables)); err != nil {
			return nil, sfnerr.ValidationException("variables must be a JSON object: %v", err)
		}
	}
	t := &stateTest{s: s, m: m, name: name, typ: typ, input: []byte(input), ctx: actx, in: in}
	out, err := t.run(ctx)
	if err != nil {
		return nil, err
	}
	if lvl := in.InspectionLevel; lvl == "DEBUG" || lvl == "TRACE" {
		ins := m.Inspect(name, t.input, t.result, actx)
		d := out.InspectionData
		if d == nil {
			d = &inspectionData{}
		}
		d.Input, d.AfterArguments, d.AfterInputPath, d.AfterParameters = text(ins.Input), text(ins.AfterArguments), text(ins.AfterInputPath), text(ins.AfterParameters)
		d.Result, d.AfterResultSelector, d.AfterResultPath = text(ins.Result), text(ins.AfterResultSelector), text(ins.AfterResultPath)
		d.Variables = text(t.step.VariablesAfter(actx))
		if ex := t.exchange; lvl == "TRACE" && ex != nil {
			// The HTTP Task's request and response; without revealSecrets,
			// without what its connection adds (integration.InvokeTraced).
			if r := ex.Request; r != nil {
				d.Request = &inspectionRequest{Protocol: r.Protocol, Method: r.Method, URL: r.URL, Headers: r.Headers, Body: r.Body}
			}
			if r := ex.Response; r != nil {
				d.Response = &inspectionResponse{Protocol: r.Protocol, StatusCode: r.StatusCode, StatusMessage: r.StatusMessage, Headers: r.Headers, Body: r.Body}
			}
		}
		out.InspectionData = d
	}
	return out, nil
}

// text returns b as a string, nil for nil.
func text(b []byte) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}

// testMachine parses TestState's definition: one state (run under the
// name TestState, the states it names as Next made Succeed states), or a
// whole state machine and the state stateName (default: StartAt).
func testMachine(definition, stateName string) (*asl.Machine, string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(definition), &fields); err != nil {
		return nil, "", sfnerr.InvalidDefinition("Invalid State Definition: the definition is not a JSON object: %v", err)
	}
	if _, whole := fields["States"]; whole {
		m, err := asl.Parse([]byte(definition))
		if err != nil {
			return nil, "", sfnerr.InvalidDefinition("%s", err.Error())
		}
		name := stateName
		if name == "" {
			var start struct{ StartAt string }
			_ = json.Unmarshal([]byte(definition), &start)
			name = start.StartAt
		}
		if _, ok := m.StateType(name); !ok {
			return nil, "", sfnerr.ValidationException("State '%s' is not a state of the definition", name)
		}
		return m, name, nil
	}
	if stateName != "" {
		return nil, "", sfnerr.ValidationException("stateName is given only with a whole state machine definition (with StartAt and States)")
	}
	states := map[string]json.RawMessage{testStateName: json.RawMessage(definition)}
	for _, n := range nextStates(fields) {
		if n != testStateName {
			states[n] = json.RawMessage(`{"Type":"Succeed"}`)
		}
	}
	wrapped, err := json.Marshal(map[string]any{"StartAt": testStateName, "States": states})
	if err != nil {
		return nil, "", fmt.Errorf("wrap the state: %w", err)
	}
	m, err := asl.Parse(wrapped)
	if err != nil {
		return nil, "", sfnerr.InvalidDefinition("%s", strings.ReplaceAll(err.Error(), "/States/"+testStateName, ""))
	}
	return m, testStateName, nil
}

// nextStates lists the states a state's definition names: Next, Default,
// its Choices' and its Catchers' Next.
func nextStates(fields map[string]json.RawMessage) []string {
	var out []string
	add := func(raw json.RawMessage) {
		var s string
		if json.Unmarshal(raw, &s) == nil && s != "" {
			out = append(out, s)
		}
	}
	add(fields["Next"])
	add(fields["Default"])
	for _, key := range []string{"Choices", "Catch"} {
		var list []map[string]json.RawMessage
		if json.Unmarshal(fields[key], &list) == nil {
			for _, c := range list {
				add(c["Next"])
			}
		}
	}
	return out
}

// stateTest is one TestState run.
type stateTest struct {
	s      *Service
	m      *asl.Machine
	name   string
	typ    string
	input  []byte
	result []byte // the Task's (or mocked Map's or Parallel's) result
	ctx    *asl.Context
	in     *testStateInput
	step   asl.Step
	// exchange is an HTTP Task's call, for inspectionLevel TRACE.
	exchange *integration.Exchange
}

// run runs the state and words its outcome.
func (t *stateTest) run(ctx context.Context) (*testStateOutput, error) {
	if t.typ == "Map" || t.typ == "Parallel" {
		return t.taskOutcome()
	}
	step, err := t.m.Enter(t.name, t.input, t.ctx)
	if err != nil {
		var re *asl.RuntimeError
		if !errors.As(err, &re) {
			return nil, err
		}
		return t.failed(re.ErrorName, re.CauseText), nil
	}
	if step.Kind != asl.StepTask {
		return t.outcome(step), nil
	}
	if t.in.Mock != nil {
		return t.taskOutcome()
	}
	res, _ := asl.ParseResource(step.Resource)
	switch {
	case res.Kind == asl.ResourceActivity:
		return nil, sfnerr.ValidationException("TestState does not run activities: give a mock of the task's result (mock.result or mock.errorOutput)")
	case res.Kind == asl.ResourceService && res.Pattern != asl.PatternRequestResponse:
		return nil, sfnerr.ValidationException("TestState runs the .%s pattern only with a mock of its result (mock.result or mock.errorOutput)", res.Pattern)
	case isHTTP(res):
		if t.s.integ.HTTP == nil {
			return nil, sfnerr.ValidationException("gaffer calls HTTP Tasks only when started with --http-connections: start it so, or give a mock of the result")
		}
	case !isLambda(res):
		return nil, sfnerr.ValidationException("gaffer cannot call Resource '%s': give a mock of its result (mock.result or mock.errorOutput)", step.Resource)
	case t.s.integ.Lambda == nil:
		return nil, sfnerr.ValidationException("gaffer calls Lambda only when started with --lambda-endpoint: start it so, or give a mock of the result")
	}
	limit := testStateLimit
	if step.TimeoutSeconds > 0 && time.Duration(step.TimeoutSeconds)*time.Second < limit {
		limit = time.Duration(step.TimeoutSeconds) * time.Second
	}
	callCtx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	inv := integration.Invocation{Region: awsapi.Region(ctx)}
	var out json.RawMessage
	if isHTTP(res) {
		out, t.exchange, err = t.s.integ.HTTP.InvokeTraced(callCtx, awsapi.Region(ctx), step.TaskInput, t.in.RevealSecrets)
	} else if res.Kind == asl.ResourceLambdaFunction {
		inv.Function, inv.Input = step.Resource, step.TaskInput
		out, err = t.s.integ.Lambda.InvokeFunction(callCtx, inv)
	} else {
		inv.Parameters = step.TaskInput
		out, err = t.s.integ.Lambda.Invoke(callCtx, inv)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if callCtx.Err() != nil {
		return t.taskFailed(asl.ErrorTimeout, "The state ran longer than its TimeoutSeconds (TestState: at most five minutes)."), nil
	}
	if err != nil {
		te := &integration.TaskError{Name: "States.TaskFailed", Cause: err.Error()}
		errors.As(err, &te)
		return t.taskFailed(te.Name, te.Cause), nil
	}
	return t.taskSucceeded(out), nil
}

// taskOutcome answers the request's mock as the state's result.
func (t *stateTest) taskOutcome() (*testStateOutput, error) {
	if e := t.in.Mock.ErrorOutput; e != nil {
		return t.taskFailed(e.Error, e.Cause), nil
	}
	return t.taskSucceeded([]byte(*t.in.Mock.Result)), nil
}

// taskSucceeded applies the task's result.
func (t *stateTest) taskSucceeded(result []byte) *testStateOutput {
	t.result = result
	step, err := t.m.TaskSucceeded(t.name, t.input, result, t.ctx)
	if err != nil {
		var re *asl.RuntimeError
		if errors.As(err, &re) {
			return t.taskFailed(re.ErrorName, re.CauseText)
		}
		return t.failed(asl.ErrorRuntime, err.Error())
	}
	return t.outcome(step)
}

// failed answers a state failing with an error (Retry and Catch apply).
func (t *stateTest) failed(errName, cause string) *testStateOutput {
	return t.taskFailed(errName, cause)
}

// taskFailed applies the state's Retry and Catch to an error: a retrier
// that would retry makes the answer RETRIABLE, a catcher CAUGHT_ERROR.
func (t *stateTest) taskFailed(errName, cause string) *testStateOutput {
	var counts []int
	if c := t.in.StateConfiguration; c != nil && c.RetrierRetryCount != nil {
		// Only the matching retrier's count is read.
		counts = make([]int, 64)
		for i := range counts {
			counts[i] = *c.RetrierRetryCount
		}
	}
	step := t.m.TaskFailed(t.name, t.input, errName, cause, counts, 0, t.ctx)
	t.step = step
	retry, catch := t.m.Handlers(t.name, errName)
	switch step.Kind {
	case asl.StepRetry:
		secs := int64((step.Delay + time.Second - 1) / time.Second) // whole seconds, rounded up
		return &testStateOutput{Status: testRetriable, Error: errName, Cause: cause,
			InspectionData: &inspectionData{ErrorDetails: &inspectionErrorDetails{RetryIndex: &retry, RetryBackoffIntervalSeconds: &secs}}}
	case asl.StepNext:
		out := &testStateOutput{Status: testCaughtError, Error: errName, Cause: cause, Output: text(step.Output), NextState: step.Next}
		if catch >= 0 {
			out.InspectionData = &inspectionData{ErrorDetails: &inspectionErrorDetails{CatchIndex: &catch}}
		}
		return out
	}
	return &testStateOutput{Status: testFailed, Error: step.Error, Cause: step.Cause}
}

// outcome words a step that did not fail.
func (t *stateTest) outcome(step asl.Step) *testStateOutput {
	t.step = step
	switch step.Kind {
	case asl.StepFail:
		return &testStateOutput{Status: testFailed, Error: step.Error, Cause: step.Cause}
	case asl.StepNext, asl.StepWait:
		return &testStateOutput{Status: testSucceeded, Output: text(step.Output), NextState: step.Next}
	default:
		return &testStateOutput{Status: testSucceeded, Output: text(step.Output)}
	}
}
