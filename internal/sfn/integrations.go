package sfn

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/asl"
	"github.com/gaffer-dev/gaffer/internal/awsapi/sfnerr"
	"github.com/gaffer-dev/gaffer/internal/sfn/integration"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// Service integrations run as engine tasks on queues of their own, one per
// way of running them, which the Service's in-process workers (workers.go)
// long-poll: a mocked answer (the execution's test case mocks the state),
// and a Lambda call. The call is made outside any transaction, and its
// outcome completes or fails the task through the engine as an activity
// worker's would. See docs/architecture.md.
const (
	queueMock   = "sfn-int:mock"
	queueLambda = "sfn-int:lambda"
	queueHTTP   = "sfn-int:http"
)

// integrationQueues are the queues the workers poll.
var integrationQueues = []string{queueMock, queueLambda, queueHTTP}

// IntegrationConfig says which service integrations gaffer can run.
type IntegrationConfig struct {
	// Lambda, if not nil, calls Lambda functions (both Resource forms).
	Lambda *integration.Lambda
	// Mocks, if not nil, mocks the states its test cases name, whatever
	// their Resource, for executions started on "<machine ARN>#<test case>".
	Mocks *integration.MockConfig
	// HTTP, if not nil, makes the calls of HTTP Tasks
	// (arn:aws:states:::http:invoke) through its connections.
	HTTP *integration.HTTP
	// Workers is how many calls run at once per kind of integration;
	// default 32.
	Workers int
}

// callSpec is the input of an integration task: what the worker does.
type callSpec struct {
	Resource string          `json:"resource"`
	State    string          `json:"state"`
	Region   string          `json:"region"`
	Input    json.RawMessage `json:"input"`
	// Placeholder stands for $$.Task.Token in Input: the worker puts the
	// attempt's token in its place before calling.
	Placeholder string `json:"placeholder,omitempty"`
	// Mock is the mocked answer, when the execution's test case mocks the
	// state: the worker answers it without calling anything.
	Mock *integration.Mocked `json:"mock,omitempty"`
}

// isLambda reports whether a resource is a Lambda call: a function ARN or
// arn:aws:states:::lambda:invoke.
func isLambda(res asl.Resource) bool {
	return res.Kind == asl.ResourceLambdaFunction || (res.Kind == asl.ResourceService && res.Service == "lambda" && res.Action == "invoke")
}

// checkRunnable refuses a definition with a Task whose Resource gaffer
// cannot run: one that is neither an activity, nor a Lambda call with
// --lambda-endpoint set, nor a state that a test case of the state
// machine (named machine) mocks in --mock-config.
func (s *Service) checkRunnable(m *asl.Machine, machine string) error {
	var problems []string
	tasks := m.TaskStates()
	slices.SortFunc(tasks, func(a, b asl.TaskState) int { return strings.Compare(a.State, b.State) })
	for _, t := range tasks {
		res, _ := asl.ParseResource(t.Resource)
		switch {
		case res.Kind == asl.ResourceActivity:
		case isNested(res):
		case isHTTP(res) && s.integ.HTTP != nil:
		case isHTTP(res) && !s.integ.Mocks.Mocks(machine, t.State):
			problems = append(problems, fmt.Sprintf("UNSUPPORTED_FEATURE: State '%s': Resource '%s' is an HTTP Task, which gaffer calls when started with --http-connections (a file of the connections its Authentication.ConnectionArn names), or mocks with --mock-config", t.State, t.Resource))
		case isLambda(res) && s.integ.Lambda != nil:
		case s.integ.Mocks.Mocks(machine, t.State):
		case isLambda(res):
			problems = append(problems, fmt.Sprintf("UNSUPPORTED_FEATURE: State '%s': Resource '%s' calls Lambda, which gaffer does when started with --lambda-endpoint (or mocks with --mock-config, in a test case of state machine '%s' that names the state)", t.State, t.Resource, machine))
		default:
			problems = append(problems, fmt.Sprintf("UNSUPPORTED_FEATURE: State '%s': Resource '%s' is a service integration gaffer can only mock: start gaffer with --mock-config naming the state in a test case of state machine '%s'", t.State, t.Resource, machine))
		}
	}
	if len(problems) > 0 {
		return sfnerr.InvalidDefinition("Invalid State Machine Definition: '%s'", strings.Join(problems, ", "))
	}
	return nil
}

// splitTestCase splits StartExecution's "<state machine ARN>#<test case>".
func splitTestCase(machineARN string) (string, string) {
	if i := strings.IndexByte(machineARN, '#'); i >= 0 {
		return machineARN[:i], machineARN[i+1:]
	}
	return machineARN, ""
}

// checkTestCase refuses a test case the mock configuration does not define
// for the state machine.
func (s *Service) checkTestCase(machineName, testCase string) error {
	if s.integ.Mocks == nil {
		return sfnerr.ValidationException("Test case '%s' cannot run: gaffer was started without a mock configuration (--mock-config, or $SFN_MOCK_CONFIG)", testCase)
	}
	if !s.integ.Mocks.HasTestCase(machineName, testCase) {
		return sfnerr.ValidationException("Test case '%s' is not defined for state machine '%s' in the mock configuration", testCase, machineName)
	}
	return nil
}

// tokenPlaceholder returns the execution's stand-in for $$.Task.Token: a
// random string made once per execution, which user data cannot hold by
// chance. The worker replaces it, in a .waitForTaskToken task's input,
// with the attempt's task token.
func (r *run) tokenPlaceholder() string {
	if r.ex.TokenNonce == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		r.ex.TokenNonce = hex.EncodeToString(b[:])
	}
	return "gaffer-task-token-" + r.ex.TokenNonce
}

// integrationTask fills in the engine task of a frame's service
// integration or Lambda call: its queue and its input, a callSpec. A state
// its execution's test case mocks gets its mocked answer for this
// invocation (counted per state and execution, from 0; a retry is the
// next). A state gaffer can neither mock nor call (its state machine was
// created under another configuration, or the execution runs no test case
// that mocks it) gets no task: unrunnable says why, and the state fails
// with States.Runtime.
func (r *run) integrationTask(frame int, spec *asl.TaskSpec, res asl.Resource, t *store.Task) (unrunnable string, err error) {
	state := ""
	if f := r.ex.Exec.Frame(frame); f != nil {
		state = f.State
	}
	call := callSpec{Resource: spec.Resource, State: state, Region: arnRegion(r.ex.ARN), Input: spec.Input}
	if strings.HasSuffix(spec.Resource, "."+asl.PatternWaitForToken) {
		call.Placeholder = r.tokenPlaceholder()
	}
	n := r.ex.Invocations[state]
	if r.ex.Invocations == nil {
		r.ex.Invocations = make(map[string]int)
	}
	r.ex.Invocations[state] = n + 1
	mocked, ok := r.s.integ.Mocks.Lookup(r.ex.StateMachineName, r.ex.TestCase, state, n)
	switch {
	case ok:
		t.Queue, call.Mock = queueMock, &mocked
	case isLambda(res) && r.s.integ.Lambda != nil:
		t.Queue = queueLambda
	case isHTTP(res) && r.s.integ.HTTP != nil:
		t.Queue = queueHTTP
	default:
		cause := fmt.Sprintf("gaffer cannot run Resource '%s' of state '%s': ", spec.Resource, state)
		switch {
		case isHTTP(res):
			cause += "gaffer makes HTTP Task calls only when started with --http-connections (or mocks them with --mock-config)"
		case isLambda(res):
			cause += "gaffer calls Lambda only when started with --lambda-endpoint (or mocks it with --mock-config)"
		case r.ex.TestCase == "":
			cause += "it can only be mocked, for executions started on '<state machine ARN>#<test case>' (--mock-config)"
		default:
			cause += fmt.Sprintf("test case '%s' does not mock the state", r.ex.TestCase)
		}
		return cause, nil
	}
	body, err := json.Marshal(&call)
	if err != nil {
		return "", fmt.Errorf("encode integration call: %w", err)
	}
	t.Input = body
	if call.Placeholder == "" || call.Mock != nil {
		// HeartbeatSeconds concerns who holds a task token; a call that
		// gaffer makes and answers itself has none to send.
		t.Heartbeat = 0
	}
	if t.StartToClose == 0 && t.Queue == queueLambda && call.Placeholder == "" {
		// A Lambda function runs at most 15 minutes.
		t.StartToClose = maxLambdaCall
	}
	if t.StartToClose == 0 && t.Queue == queueHTTP {
		t.StartToClose = maxHTTPCall
	}
	return "", nil
}

// maxLambdaCall bounds a Lambda call whose state sets no TimeoutSeconds: a
// function runs at most 15 minutes; the minute more is the way there and
// back.
const maxLambdaCall = 16 * time.Minute

// arnRegion returns the region of an ARN.
func arnRegion(a string) string {
	parts := strings.SplitN(a, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}

// submitted records that the .waitForTaskToken call of the task whose
// attempt token names was made, with the service's answer (TaskSubmitted);
// the task stays open for its callback. A task already answered (the
// callback came first) or closed records nothing.
func (s *Service) submitted(ctx context.Context, token string, output []byte) error {
	return s.update(ctx, func(tx store.Tx) error {
		t, err := s.eng.OpenTask(tx, token)
		if err != nil {
			return err
		}
		return (*owner)(s).react(tx, t.OwnerID, func(r *run) error {
			frame, ok := r.frameOf(t)
			if !ok {
				return nil
			}
			if err := r.advance(asl.Input{Kind: asl.InputTaskSubmitted, Frame: frame, Output: output}); err != nil {
				return err
			}
			return r.save(false)
		})
	})
}

// waitsForCallback reports whether the execution's frame that task t runs
// has made its .waitForTaskToken call (TaskSubmitted): after a restart,
// its call is not made again.
func (s *Service) waitsForCallback(tx store.Tx, t *store.Task) (bool, error) {
	var ex execution
	if _, err := getObject(tx, kindExecution, t.OwnerID, &ex, store.ErrNotFound); err != nil {
		return false, err
	}
	if ex.Exec == nil {
		return false, nil
	}
	r := &run{ex: &ex}
	frame, ok := r.frameOf(t)
	if !ok {
		return false, nil
	}
	f := ex.Exec.Frame(frame)
	return f != nil && f.Submitted, nil
}
