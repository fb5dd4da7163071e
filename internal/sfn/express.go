package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gaffer-dev/gaffer/internal/asl"
	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/sfnerr"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// Express state machines (docs/architecture.md, "Express executions").
//
// An Express execution runs on the engine as a Standard one does — its
// record, tasks and timers are in the store while it runs, so that Lambda
// calls, mocked integrations, Wait states and retries work alike and a
// restart resumes it — with these differences, all AWS's:
//
//   - its ARN is arn:…:express:MACHINE:NAME:UUID, which DescribeExecution,
//     GetExecutionHistory, StopExecution and DescribeStateMachineForExecution
//     refuse (InvalidArn), and StartExecution is not idempotent on its name;
//   - it keeps no history, and nothing once it has closed (alone on its
//     store; on a shared store the closed record stays until retention, so
//     that a node waiting on StartSyncExecution can read it);
//   - it runs at most five minutes (States.Timeout, status TIMED_OUT);
//   - its definition may hold no activity and no .sync or .waitForTaskToken
//     integration;
//   - StartSyncExecution starts one and answers when it closes.
const (
	typeStandard = "STANDARD"
	typeExpress  = "EXPRESS"
)

// expressMaxDuration is how long an Express execution may run (AWS: five
// minutes). A variable so that tests can shorten it.
var expressMaxDuration = 5 * time.Minute

// machineType returns the stored type for CreateStateMachine's type.
func machineType(t string) string {
	if t == typeExpress {
		return typeExpress
	}
	return typeStandard
}

// expressProblems lists what an Express definition may not hold, as AWS
// words it: activities, and the .sync and .waitForTaskToken patterns.
func expressProblems(m *asl.Machine) []string {
	var problems []string
	tasks := m.TaskStates()
	slices.SortFunc(tasks, func(a, b asl.TaskState) int { return strings.Compare(a.State, b.State) })
	for _, t := range tasks {
		res, _ := asl.ParseResource(t.Resource)
		switch {
		case res.Kind == asl.ResourceActivity:
			problems = append(problems, fmt.Sprintf("SCHEMA_VALIDATION_FAILED: Express state machine does not support Activity ARN: '%s' at /States/%s/Resource", t.Resource, t.State))
		case res.Kind == asl.ResourceService && res.Pattern != asl.PatternRequestResponse:
			problems = append(problems, fmt.Sprintf("SCHEMA_VALIDATION_FAILED: Express state machine does not support '.%s' service integration at /States/%s/Resource", res.Pattern, t.State))
		}
	}
	return problems
}

// checkExpress refuses a definition an Express state machine cannot run.
func checkExpress(m *asl.Machine) error {
	if p := expressProblems(m); len(p) > 0 {
		return sfnerr.InvalidDefinition("Invalid State Machine Definition: '%s'", strings.Join(p, ", "))
	}
	return nil
}

// expressARN returns a new Express execution's ARN: AWS's form, the name
// followed by a UUID, so that names may be reused.
func expressARN(machine arn, name string) string {
	return arn{region: machine.region, account: machine.account, resource: "express", name: machine.name, sub: name + ":" + newUUID()}.String()
}

// expressStart is what starts an Express execution.
type expressStart struct {
	arn, name, input, traceHeader, testCase string
}

// startExpress starts an Express execution of m inside tx, into ex; it
// may run to its end in this very transaction.
func (s *Service) startExpress(tx store.Tx, m *stateMachine, st expressStart, ex *execution) error {
	if st.testCase != "" {
		if err := s.checkTestCase(m.Name, st.testCase); err != nil {
			return err
		}
	}
	machine, err := s.machineByHash(tx, m.DefHash)
	if err != nil {
		return err
	}
	now := s.eng.Now().UTC()
	*ex = execution{
		ARN:              st.arn,
		StateMachineARN:  m.ARN,
		StateMachineName: m.Name,
		Name:             st.name,
		Status:           statusRunning,
		StartDate:        now,
		Input:            st.input,
		TraceHeader:      st.traceHeader,
		DefHash:          m.DefHash,
		RoleArn:          m.RoleArn,
		RevisionID:       m.RevisionID,
		MachineUpdatedAt: m.UpdatedAt,
		Logging:          m.Logging,
		Tracing:          m.Tracing,
		Encryption:       m.Encryption,
		TestCase:         st.testCase,
		Express:          true,
	}
	r := &recorder{ex: ex, now: now}
	limit := expressMaxDuration
	if t := time.Duration(machine.TimeoutSeconds) * time.Second; t > 0 && t < limit {
		limit = t
	}
	tm := &store.Timer{OwnerKind: ownerKind, OwnerID: ex.ARN, Kind: timerTimeout, FireAt: now.Add(limit)}
	if err := s.eng.SetTimer(tx, tm); err != nil {
		return err
	}
	ex.TimeoutTimerID = tm.ID
	run := &run{s: s, tx: tx, ex: ex, m: machine, rec: r}
	if err := run.start(); err != nil {
		return err
	}
	return run.save(true)
}

// saveExpress stores an Express execution that has closed: alone on its
// store, it deletes the record (nothing of a closed Express execution is
// kept, as on AWS); on a shared store it keeps it closed, for a node
// waiting on StartSyncExecution to read. Either way the waiter of this
// node learns the outcome once the transaction commits.
func (r *run) saveExpress(insert bool) error {
	ex := *r.ex
	ex.Exec = nil
	r.tx.AfterCommit(func() { r.s.syncs.closed(&ex) })
	switch {
	case r.s.shared:
		if err := putExecution(r.tx, r.ex, insert); err != nil {
			return err
		}
	case !insert:
		if err := r.tx.DeleteObject(kindExecution, r.ex.ARN); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return r.saveKin() // a distributed Map's children and Map Runs, aborted by close
}

// syncWaiters are the StartSyncExecution requests waiting on this node,
// by execution ARN.
type syncWaiters struct {
	mu      sync.Mutex
	waiting map[string]chan *execution
}

// wait registers a waiter for the execution arn.
func (w *syncWaiters) wait(arn string) chan *execution {
	ch := make(chan *execution, 1)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.waiting == nil {
		w.waiting = make(map[string]chan *execution)
	}
	w.waiting[arn] = ch
	return ch
}

// forget drops the waiter of arn.
func (w *syncWaiters) forget(arn string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.waiting, arn)
}

// closed hands a closed execution to its waiter, if any.
func (w *syncWaiters) closed(ex *execution) {
	w.mu.Lock()
	ch := w.waiting[ex.ARN]
	delete(w.waiting, ex.ARN)
	w.mu.Unlock()
	if ch != nil {
		ch <- ex
	}
}

// refuseExpressListing answers ListExecutions of an Express state machine
// as AWS does.
func (s *Service) refuseExpressListing(ctx context.Context, machineARN string) error {
	return s.view(ctx, func(tx store.Tx) error {
		var m stateMachine
		_, err := getObject(tx, kindStateMachine, machineARN, &m, store.ErrNotFound)
		if errors.Is(err, store.ErrNotFound) {
			return nil // listExecutionsOf answers it
		}
		if err == nil && m.Type == typeExpress {
			return sfnerr.StateMachineTypeNotSupported("This operation is not supported by EXPRESS state machines: '%s' (Express executions are not listed; see their outcome in StartSyncExecution's answer)", machineARN)
		}
		return err
	})
}

type startSyncExecutionInput struct {
	StateMachineArn string  `json:"stateMachineArn"`
	Name            string  `json:"name"`
	Input           *string `json:"input"`
	TraceHeader     string  `json:"traceHeader"`
	IncludedData    string  `json:"includedData"`
}

type billingDetails struct {
	BilledMemoryUsedInMB         int64 `json:"billedMemoryUsedInMB"`
	BilledDurationInMilliseconds int64 `json:"billedDurationInMilliseconds"`
}

type startSyncExecutionOutput struct {
	ExecutionArn    string           `json:"executionArn"`
	StateMachineArn string           `json:"stateMachineArn"`
	Name            string           `json:"name"`
	StartDate       awsapi.Timestamp `json:"startDate"`
	StopDate        awsapi.Timestamp `json:"stopDate"`
	Status          string           `json:"status"`
	Error           string           `json:"error,omitempty"`
	Cause           string           `json:"cause,omitempty"`
	Input           *string          `json:"input,omitempty"`
	InputDetails    *dataDetails     `json:"inputDetails,omitempty"`
	Output          *string          `json:"output,omitempty"`
	OutputDetails   *dataDetails     `json:"outputDetails,omitempty"`
	TraceHeader     string           `json:"traceHeader,omitempty"`
	BillingDetails  *billingDetails  `json:"billingDetails"`
}

// billedMemoryMB is what a sync answer reports as billed memory: AWS bills
// Express memory in 64 MB steps, and gaffer measures none per execution.
const billedMemoryMB = 64

// StartSyncExecution runs an Express execution and answers once it has
// closed, with its output or its error.
func (s *Service) StartSyncExecution(ctx context.Context, in *startSyncExecutionInput) (*startSyncExecutionOutput, error) {
	machineARN, testCase := splitTestCase(in.StateMachineArn)
	smARN, err := s.parseARN(ctx, machineARN, "stateMachine")
	if err != nil {
		return nil, err
	}
	name := in.Name
	if name == "" {
		name = newUUID()
	} else if err := checkName(name); err != nil {
		return nil, err
	}
	input := "{}"
	if in.Input != nil {
		input = *in.Input
	}
	if !json.Valid([]byte(input)) {
		return nil, sfnerr.InvalidExecutionInput("Invalid Execution Input: the input is not valid JSON")
	}
	if err := awsapi.Authorize(ctx, machineARN); err != nil {
		return nil, err
	}
	st := expressStart{arn: expressARN(smARN, name), name: name, input: input, traceHeader: in.TraceHeader, testCase: testCase}
	done := s.syncs.wait(st.arn)
	defer s.syncs.forget(st.arn)
	var ex execution
	err = s.update(ctx, func(tx store.Tx) error {
		var m stateMachine
		if _, err := readObject(tx, kindStateMachine, machineARN, &m, machineNotFound(machineARN)); err != nil {
			return err
		}
		if m.Type != typeExpress {
			return sfnerr.StateMachineTypeNotSupported("This operation is not supported by STANDARD state machines: StartSyncExecution runs EXPRESS state machines only ('%s' is STANDARD)", machineARN)
		}
		return s.startExpress(tx, &m, st, &ex)
	})
	if err != nil {
		return nil, err
	}
	closed, err := s.awaitExpress(ctx, st.arn, done)
	if err != nil {
		return nil, err
	}
	return syncAnswer(closed, in.IncludedData), nil
}

// awaitExpress waits for the Express execution arn to close. On a shared
// store another node may close it: the record is then read every half
// second.
func (s *Service) awaitExpress(ctx context.Context, arn string, done chan *execution) (*execution, error) {
	var poll <-chan time.Time
	if s.shared {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		poll = t.C
	}
	for {
		select {
		case ex := <-done:
			return ex, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-poll:
			var ex execution
			err := s.view(ctx, func(tx store.Tx) error {
				_, err := getObject(tx, kindExecution, arn, &ex, store.ErrNotFound)
				return err
			})
			if err == nil && ex.Status != statusRunning {
				return &ex, nil
			}
		}
	}
}

// syncAnswer is StartSyncExecution's answer for a closed execution.
func syncAnswer(ex *execution, included string) *startSyncExecutionOutput {
	out := &startSyncExecutionOutput{
		ExecutionArn:    ex.ARN,
		StateMachineArn: ex.StateMachineARN,
		Name:            ex.Name,
		StartDate:       awsapi.Timestamp{Time: ex.StartDate},
		StopDate:        awsapi.Timestamp{Time: ex.StopDate},
		Status:          ex.Status,
		Error:           ex.Error,
		Cause:           ex.Cause,
		TraceHeader:     ex.TraceHeader,
		BillingDetails:  &billingDetails{BilledMemoryUsedInMB: billedMemoryMB, BilledDurationInMilliseconds: billedDuration(ex.StopDate.Sub(ex.StartDate))},
	}
	if ex.Status == statusTimedOut && out.Error == "" {
		out.Error, out.Cause = asl.ErrorTimeout, "The execution ran longer than its limit: the state machine's TimeoutSeconds, at most five minutes for an Express execution."
	}
	if included != "METADATA_ONLY" {
		out.Input, out.InputDetails = data(ex.Input), &dataDetails{Included: true}
		if ex.Output != nil {
			out.Output, out.OutputDetails = ex.Output, &dataDetails{Included: true}
		}
	}
	return out
}

// billedDuration rounds a duration up to AWS's 100 ms billing step, at
// least one step.
func billedDuration(d time.Duration) int64 {
	ms := d.Milliseconds()
	if ms <= 0 {
		return 100
	}
	return (ms + 99) / 100 * 100
}
