package sfn

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/asl"
	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/sfnerr"
	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// Step Functions calling Step Functions (arn:aws:states:::states:startExecution
// and its .sync, .sync:2 and .waitForTaskToken patterns) needs no worker:
// the execution and its child share the store. The parent's reaction that
// schedules the Task state creates the child execution in the same
// transaction (its record, ExecutionStarted, its timeout); the child runs
// its first states in the next write, at a zero-delay timer of its own, so
// that no child ends inside its parent's transaction. A .sync task is an
// engine task on queueStates that nobody polls, held by gaffer
// (engine.ScheduleStarted), whose TimeoutSeconds is the engine's
// start-to-close deadline; the child's record names it, and the write that
// ends the child closes it with the child's outcome (engine.CloseWith), so
// the parent moves on in the same transaction as the child's end: exactly
// once, on whichever node writes it. A parent that stops (StopExecution, a
// failure, a timeout, an aborted branch, the task's own timeout) closes its
// task first, then aborts the .sync child still running, whose own children
// follow. See docs/architecture.md.
const (
	queueStates = "sfn-int:states"
	timerStart  = "start" // a child execution runs its first states
)

// startedByKey is the field of a child's input that names the execution
// that started it, as AWS's console reads it.
const startedByKey = "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"

// nestedLink is an execution's part about the execution that started it
// through a startExecution Task state.
type nestedLink struct {
	// ParentARN is the execution whose Task state started this one.
	ParentARN string `json:"parentArn,omitempty"`
	// ParentTask is the parent's open .sync task, which this execution's
	// end closes; 0 for the other patterns.
	ParentTask int64 `json:"parentTask,omitempty"`
	// ParentPattern is the Task state's integration pattern ("sync",
	// "sync:2", "waitForTaskToken" or "").
	ParentPattern string `json:"parentPattern,omitempty"`
	// StartedBy is the AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID of the
	// input, if it had one.
	StartedBy string `json:"startedBy,omitempty"`
}

// nestedCall is the input of a parent's task on queueStates.
type nestedCall struct {
	Child   string `json:"child"`
	Pattern string `json:"pattern"`
}

// isNested reports whether a resource starts an execution of a state
// machine.
func isNested(res asl.Resource) bool {
	return res.Kind == asl.ResourceService && res.Service == "states" && res.Action == "startExecution"
}

// mockedState reports whether the execution's test case mocks the state of
// frame: a mocked startExecution answers as any mocked integration.
func (r *run) mockedState(frame int) bool {
	if r.ex.TestCase == "" {
		return false
	}
	f := r.ex.Exec.Frame(frame)
	if f == nil {
		return false
	}
	_, ok := r.s.integ.Mocks.Lookup(r.ex.StateMachineName, r.ex.TestCase, f.State, 0)
	return ok
}

// startParams are the Parameters of a startExecution Task state.
type startParams struct {
	StateMachineArn *string         `json:"StateMachineArn"`
	Input           json.RawMessage `json:"Input"`
	Name            *string         `json:"Name"`
	TraceHeader     *string         `json:"TraceHeader"`
}

// scheduleNested starts the child execution of frame's startExecution Task
// state, with the parent's task for the patterns that wait. The state's
// outcome, when known at once (request-response's answer, a refused
// start), goes to r.fails, fed to the interpreter after the task's start.
func (r *run) scheduleNested(frame int, spec *asl.TaskSpec, res asl.Resource, t *store.Task) (bool, string, error) {
	fail := func(name, format string, args ...any) (bool, string, error) {
		r.fails = append(r.fails, asl.Input{Kind: asl.InputTaskFailed, Frame: frame, Error: name, Cause: fmt.Sprintf(format, args...)})
		return true, workerName, nil
	}
	var p startParams
	if err := json.Unmarshal(spec.Input, &p); err != nil {
		return fail("StepFunctions.ValidationException", "The Parameters of a startExecution Task must be an object with StateMachineArn, Input and Name: %v", err)
	}
	if p.StateMachineArn == nil {
		return fail("StepFunctions.ValidationException", "The Parameters of a startExecution Task must name the StateMachineArn to start")
	}
	machineARN := *p.StateMachineArn
	// A version or alias ARN starts that version (an alias picks one by
	// weight), as StartExecution does; the caller is the parent, in its
	// execution's region.
	parent, _ := parseARNForm(r.ex.ARN, "execution")
	smARN, target, err := r.s.parseStartARNIn(parent.region, machineARN)
	var apiErr *awsapi.Error
	switch {
	case errors.Is(err, errForeign):
		return fail("StepFunctions.StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", machineARN)
	case errors.As(err, &apiErr):
		return fail("StepFunctions."+apiErr.Code, "%s", apiErr.Message)
	case err != nil:
		return fail("StepFunctions.InvalidArn", "Invalid Arn: '%s'", machineARN)
	}
	input := "{}"
	switch {
	case len(p.Input) == 0 || string(p.Input) == "null":
	case p.Input[0] == '"':
		var s string
		_ = json.Unmarshal(p.Input, &s)
		if !json.Valid([]byte(s)) {
			return fail("StepFunctions.InvalidExecutionInput", "Invalid Execution Input: the input is not valid JSON")
		}
		input = s
	default:
		input = string(p.Input)
	}
	name := newUUID()
	if p.Name != nil {
		name = *p.Name
		if err := checkName(name); err != nil {
			return fail("StepFunctions.InvalidName", "%v", err)
		}
	}
	var m stateMachine
	_, err = getObject(r.tx, kindStateMachine, target.machine, &m, store.ErrNotFound)
	if err == nil {
		err = r.s.resolveStart(r.tx, &target, &m)
	}
	if errors.Is(err, store.ErrNotFound) || errors.As(err, &apiErr) && apiErr.Code == sfnerr.CodeStateMachineDoesNotExist {
		return fail("StepFunctions.StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", machineARN)
	}
	if err != nil {
		return false, "", err
	}
	exARN := arn{region: smARN.region, account: smARN.account, resource: "execution", name: smARN.name, sub: name}.String()
	if o, err := r.tx.GetObject(kindExecution, exARN); err == nil {
		var ex execution
		if err := decode(o, &ex); err != nil {
			return false, "", err
		}
		if res.Pattern == asl.PatternRequestResponse && ex.Status == statusRunning && ex.Input == input {
			// StartExecution's idempotency: the running execution answers.
			r.fails = append(r.fails, asl.Input{Kind: asl.InputTaskSucceeded, Frame: frame, Output: startOutput(&ex)})
			return true, workerName, nil
		}
		return fail("StepFunctions.ExecutionAlreadyExists", "Execution Already Exists: '%s'", exARN)
	} else if !errors.Is(err, store.ErrNotFound) {
		return false, "", err
	}
	machine, err := r.s.machineByHash(r.tx, m.DefHash)
	if err != nil {
		return false, "", err
	}
	if len(input) > asl.MaxPayload {
		return fail("States.DataLimitExceeded", "The child execution's input is larger than %d bytes", asl.MaxPayload)
	}
	link := nestedLink{ParentARN: r.ex.ARN, ParentPattern: res.Pattern}
	if res.Pattern != asl.PatternRequestResponse {
		call, err := json.Marshal(nestedCall{Child: exARN, Pattern: res.Pattern})
		if err != nil {
			return false, "", err
		}
		t.Queue, t.Input = queueStates, call
		if res.Pattern != asl.PatternWaitForToken {
			// The child's running is the task's liveness: gaffer watches it
			// itself (its end closes the task), so no heartbeat is due.
			t.Heartbeat = 0
		}
		t.ScheduledAt = r.rec.now
		token, err := r.s.eng.ScheduleStarted(r.tx, t, workerName)
		if err != nil {
			return false, "", err
		}
		if r.ex.Tasks == nil {
			r.ex.Tasks = make(map[int]int64)
		}
		r.ex.Tasks[frame] = t.ID
		if res.Pattern == asl.PatternWaitForToken {
			input = strings.ReplaceAll(input, r.tokenPlaceholder(), token)
			r.rec.showToken(spec, r.tokenPlaceholder(), token)
		} else {
			link.ParentTask = t.ID
		}
	}
	var top map[string]json.RawMessage
	if json.Unmarshal([]byte(input), &top) == nil {
		_ = json.Unmarshal(top[startedByKey], &link.StartedBy)
	}
	child := &execution{
		ARN:              exARN,
		StateMachineARN:  m.ARN,
		StateMachineName: m.Name,
		Name:             name,
		Status:           statusRunning,
		StartDate:        r.rec.now,
		Input:            input,
		DefHash:          m.DefHash,
		RoleArn:          m.RoleArn,
		RevisionID:       m.RevisionID,
		MachineUpdatedAt: m.UpdatedAt,
		Logging:          m.Logging,
		Tracing:          m.Tracing,
		Encryption:       m.Encryption,
		VersionARN:       target.version,
		AliasARN:         target.alias,
		nestedLink:       link,
	}
	if p.TraceHeader != nil {
		child.TraceHeader = *p.TraceHeader
	}
	if err := r.s.createChild(r.tx, child, machine, r.rec.now); err != nil {
		return false, "", err
	}
	switch res.Pattern {
	case asl.PatternRequestResponse:
		r.fails = append(r.fails, asl.Input{Kind: asl.InputTaskSucceeded, Frame: frame, Output: startOutput(child)})
	case asl.PatternWaitForToken:
		r.fails = append(r.fails, asl.Input{Kind: asl.InputTaskSubmitted, Frame: frame, Output: startOutput(child)})
	}
	return true, workerName, nil
}

// createChild stores a new child execution, started (ExecutionStarted, its
// timeout), that runs its first states at a zero-delay timer.
func (s *Service) createChild(tx store.Tx, ex *execution, machine *asl.Machine, now time.Time) error {
	rec := &recorder{ex: ex, now: now}
	rec.add(historyEvent{Type: "ExecutionStarted", ExecutionStarted: &executionStartedDetails{
		Input: data(ex.Input), InputDetails: notTruncated, RoleArn: ex.RoleArn,
	}}, 0)
	if machine.TimeoutSeconds > 0 {
		tm := &store.Timer{OwnerKind: ownerKind, OwnerID: ex.ARN, Kind: timerTimeout, FireAt: now.Add(time.Duration(machine.TimeoutSeconds) * time.Second)}
		if err := s.eng.SetTimer(tx, tm); err != nil {
			return err
		}
		ex.TimeoutTimerID = tm.ID
	}
	ex.Exec = machine.NewExec([]byte(ex.Input))
	// The start timer is the execution's continue timer: closing the
	// execution before it fires drops it.
	tm := &store.Timer{OwnerKind: ownerKind, OwnerID: ex.ARN, Kind: timerStart, FireAt: now}
	if err := s.eng.SetTimer(tx, tm); err != nil {
		return err
	}
	ex.ContinueTimerID = tm.ID
	r := &run{s: s, tx: tx, ex: ex, m: machine, rec: rec}
	return r.save(true)
}

// startFired runs a child execution's first states (its timerStart).
func (r *run) startFired(tm *store.Timer) error {
	if tm.ID != r.ex.ContinueTimerID {
		return nil
	}
	r.ex.ContinueTimerID = 0
	return r.advance(asl.Input{Kind: asl.InputStart})
}

// epochMillis is a date as the optimized integrations give it: milliseconds
// since the epoch.
func epochMillis(t time.Time) int64 { return t.UnixMilli() }

// startOutput is the answer of a request-response startExecution (and the
// TaskSubmitted output of .waitForTaskToken).
func startOutput(ex *execution) []byte {
	b, _ := json.Marshal(struct {
		ExecutionArn string
		StartDate    int64
	}{ex.ARN, epochMillis(ex.StartDate)})
	return b
}

// childDescription is a child execution as a .sync task's output (or, for
// a child that did not succeed, its failure's cause) shows it:
// DescribeExecution's shape with the member names capitalised, dates in
// epoch milliseconds, and Input and Output as JSON text (.sync) or as JSON
// (.sync:2).
type childDescription struct {
	ExecutionArn    string          `json:"ExecutionArn"`
	Input           json.RawMessage `json:"Input"`
	InputDetails    dataDetails2    `json:"InputDetails"`
	Name            string          `json:"Name"`
	Output          json.RawMessage `json:"Output,omitempty"`
	OutputDetails   *dataDetails2   `json:"OutputDetails,omitempty"`
	RedriveCount    int             `json:"RedriveCount"`
	RedriveStatus   string          `json:"RedriveStatus"`
	StartDate       int64           `json:"StartDate"`
	StateMachineArn string          `json:"StateMachineArn"`
	Status          string          `json:"Status"`
	StopDate        int64           `json:"StopDate"`
	TraceHeader     string          `json:"TraceHeader,omitempty"`
	// StateMachineVersionArn and StateMachineAliasArn name the version and
	// alias the child was started through, as DescribeExecution does.
	StateMachineVersionArn string `json:"StateMachineVersionArn,omitempty"`
	StateMachineAliasArn   string `json:"StateMachineAliasArn,omitempty"`
	Error                  string `json:"Error,omitempty"`
	Cause                  string `json:"Cause,omitempty"`
}

type dataDetails2 struct {
	Included bool `json:"Included"`
}

// describeChild returns the child's description for its parent's .sync
// (asJSON false) or .sync:2 (asJSON true) task.
func describeChild(ex *execution, asJSON bool) []byte {
	text := func(s string) json.RawMessage {
		if asJSON {
			return json.RawMessage(s)
		}
		b, _ := json.Marshal(s)
		return b
	}
	d := childDescription{
		ExecutionArn:           ex.ARN,
		Input:                  text(ex.Input),
		InputDetails:           dataDetails2{Included: true},
		Name:                   ex.Name,
		RedriveStatus:          "NOT_REDRIVABLE",
		StartDate:              epochMillis(ex.StartDate),
		StateMachineArn:        ex.StateMachineARN,
		Status:                 ex.Status,
		StopDate:               epochMillis(ex.StopDate),
		TraceHeader:            ex.TraceHeader,
		StateMachineVersionArn: ex.VersionARN,
		StateMachineAliasArn:   ex.AliasARN,
		Error:                  ex.Error,
		Cause:                  ex.Cause,
	}
	if ex.Output != nil {
		d.Output, d.OutputDetails = text(*ex.Output), &dataDetails2{Included: true}
	}
	b, _ := json.Marshal(&d)
	return b
}

// notifyParent closes the parent's .sync task once this child execution
// has ended (it runs as the child's record is saved): the parent moves on
// in this transaction. A child that succeeded completes it with its
// description; one that failed, timed out or was aborted fails it with
// States.TaskFailed and its description as the cause, as on AWS. A task
// already closed (the parent stopped it, or its timeout fired) takes
// nothing.
func (r *run) notifyParent() error {
	ex := r.ex
	if ex.ParentTask == 0 || ex.Status == statusRunning {
		return nil
	}
	t, err := r.tx.GetTask(ex.ParentTask)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if t.OwnerID != ex.ParentARN || t.State != store.TaskStarted || t.Queue != queueStates {
		return nil
	}
	desc := describeChild(ex, ex.ParentPattern == asl.PatternSync2)
	out := engine.Outcome{Kind: engine.Completed, Result: desc}
	if ex.Status != statusSucceeded {
		out = engine.Outcome{Kind: engine.Failed, Error: "States.TaskFailed", Cause: string(desc)}
	}
	return r.s.eng.CloseWith(r.tx, t, out)
}

// stopNested aborts the child execution a closed .sync task of this
// execution waited for, if it still runs: a parent that stops, fails or
// times out, or whose task timed out or whose branch was aborted, stops
// its child, and the child its own. A .waitForTaskToken or
// request-response child runs on, as on AWS.
func (r *run) stopNested(t *store.Task) error {
	if t.Queue != queueStates {
		return nil
	}
	var call nestedCall
	if err := json.Unmarshal(t.Input, &call); err != nil {
		return nil
	}
	if call.Pattern != asl.PatternSync && call.Pattern != asl.PatternSync2 {
		return nil
	}
	var ex execution
	_, err := getObject(r.tx, kindExecution, call.Child, &ex, store.ErrNotFound)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if ex.Status != statusRunning {
		return nil
	}
	machine, err := r.s.machineByHash(r.tx, ex.DefHash)
	if err != nil {
		return err
	}
	child := &run{s: r.s, tx: r.tx, ex: &ex, m: machine, rec: &recorder{ex: &ex, now: r.rec.now}}
	if ex.Exec != nil {
		machine.Abort(ex.Exec, child)
	}
	d := &errorDetails{Cause: fmt.Sprintf("The execution was stopped because its parent execution '%s' stopped waiting for it", r.ex.ARN)}
	child.rec.add(historyEvent{Type: "ExecutionAborted", ExecutionAborted: d}, -1)
	if err := child.close(statusAborted, nil, d.Error, d.Cause); err != nil {
		return err
	}
	return child.save(false)
}
