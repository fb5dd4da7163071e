package sfn

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gaffer-dev/gaffer/internal/asl"
	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/sfnerr"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// Execution statuses.
const (
	statusRunning   = "RUNNING"
	statusSucceeded = "SUCCEEDED"
	statusFailed    = "FAILED"
	statusTimedOut  = "TIMED_OUT"
	statusAborted   = "ABORTED"
)

// execution is the stored record of an execution: what DescribeExecution
// shows, the definition it runs, and where it is.
type execution struct {
	ARN              string                   `json:"arn"`
	StateMachineARN  string                   `json:"stateMachineArn"`
	StateMachineName string                   `json:"stateMachineName"`
	Name             string                   `json:"name"`
	Status           string                   `json:"status"`
	StartDate        time.Time                `json:"startDate"`
	StopDate         time.Time                `json:"stopDate,omitzero"`
	Input            string                   `json:"input"`
	Output           *string                  `json:"output,omitempty"`
	Error            string                   `json:"error,omitempty"`
	Cause            string                   `json:"cause,omitempty"`
	TraceHeader      string                   `json:"traceHeader,omitempty"`
	DefHash          string                   `json:"definitionHash"` // the definition it runs (kind sfn.definition)
	RoleArn          string                   `json:"roleArn"`
	RevisionID       string                   `json:"revisionId,omitempty"`
	MachineUpdatedAt time.Time                `json:"machineUpdated"`
	Logging          *LoggingConfiguration    `json:"logging,omitempty"`
	Tracing          *TracingConfiguration    `json:"tracing,omitempty"`
	Encryption       *EncryptionConfiguration `json:"encryption,omitempty"`
	LastEventID      int64                    `json:"lastEventId"`

	// A child execution of a distributed Map state: its Map Run (the
	// record's parent), the Map state's label, how many items it got, and
	// the top-level execution whose record runs it.
	MapRunARN   string `json:"mapRunArn,omitempty"`
	MapRunLabel string `json:"mapRunLabel,omitempty"`
	ItemCount   int    `json:"itemCount,omitempty"`
	Root        string `json:"root,omitempty"`
	// A top-level execution's running child executions (by the root frame
	// of their iteration) and Map Runs (by the Map state's frame).
	Children map[int]string `json:"children,omitempty"`
	MapRuns  map[int]string `json:"mapRuns,omitempty"`

	// Where the execution is: the interpreter's state of every branch.
	Exec *asl.Exec `json:"exec,omitempty"`
	// The open activity tasks and pending timers of its frames.
	Tasks           map[int]int64 `json:"tasks,omitempty"`
	Timers          map[int]int64 `json:"timers,omitempty"`
	ContinueTimerID int64         `json:"continueTimerId,omitempty"`
	// The execution's own TimeoutSeconds timer.
	TimeoutTimerID int64 `json:"timeoutTimerId,omitempty"`

	// Service integrations (integrations.go): the mock configuration's
	// test case the execution runs ("<machine ARN>#<test case>"), how many
	// times each state called its integration so far, and the random part
	// of the execution's $$.Task.Token placeholder.
	TestCase    string         `json:"testCase,omitempty"`
	Invocations map[string]int `json:"invocations,omitempty"`
	TokenNonce  string         `json:"tokenNonce,omitempty"`

	// The execution that started this one from a startExecution Task
	// state (nested.go).
	nestedLink

	// Express: an execution of an EXPRESS state machine (express.go).
	Express bool `json:"express,omitempty"`

	// The version the execution runs, and the alias that chose it, when
	// started on a version or alias ARN (versions.go).
	VersionARN string `json:"versionArn,omitempty"`
	AliasARN   string `json:"aliasArn,omitempty"`
	// Redrives (redrive.go): how many so far and when the last was.
	RedriveCount int       `json:"redriveCount,omitempty"`
	RedriveDate  time.Time `json:"redriveDate,omitzero"`
	// Redrive is where a redrive resumes an execution that ended without
	// succeeding (asl.Machine.RedrivePoint); nil: nowhere.
	Redrive *asl.Exec `json:"redrive,omitempty"`
	// RedriveToken is the clientToken of the last redrive.
	RedriveToken string `json:"redriveToken,omitempty"`
}

func executionNotFound(a string) error {
	return sfnerr.ExecutionDoesNotExist("Execution Does Not Exist: '%s'", a)
}

// newUUID returns a random UUID, AWS's default execution name.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// StartExecution starts an execution of a state machine. Starting one with
// the name and input of a running execution returns that execution (AWS's
// idempotency); any other reuse of a name fails with ExecutionAlreadyExists.
func (s *Service) StartExecution(ctx context.Context, in *startExecutionInput) (*startExecutionOutput, error) {
	machineARN, testCase := splitTestCase(in.StateMachineArn)
	in.StateMachineArn = machineARN
	smARN, target, err := s.parseStartARN(ctx, in.StateMachineArn) // versions.go: a version or alias ARN too
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
	if err := awsapi.Authorize(ctx, in.StateMachineArn); err != nil {
		return nil, err
	}
	exARN := arn{region: smARN.region, account: smARN.account, resource: "execution", name: smARN.name, sub: name}.String()
	var ex execution
	err = s.update(ctx, func(tx store.Tx) error {
		var m stateMachine
		if _, err := readObject(tx, kindStateMachine, target.machine, &m, machineNotFound(in.StateMachineArn)); err != nil {
			return err
		}
		if m.Type == typeExpress {
			return s.startExpress(tx, &m, expressStart{arn: expressARN(smARN, name), name: name, input: input, traceHeader: in.TraceHeader, testCase: testCase}, &ex)
		}
		o, err := tx.GetObject(kindExecution, exARN)
		if err == nil {
			if err := decode(o, &ex); err != nil {
				return err
			}
			if ex.Status == statusRunning && ex.Input == input {
				return nil
			}
			return sfnerr.ExecutionAlreadyExists("Execution Already Exists: '%s'", exARN)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if testCase != "" {
			if err := s.checkTestCase(m.Name, testCase); err != nil {
				return err
			}
		}
		if err := s.resolveStart(tx, &target, &m); err != nil {
			return err
		}
		machine, err := s.machineByHash(tx, m.DefHash)
		if err != nil {
			return err
		}
		now := s.eng.Now().UTC()
		ex = execution{
			ARN:              exARN,
			StateMachineARN:  m.ARN,
			StateMachineName: m.Name,
			Name:             name,
			Status:           statusRunning,
			StartDate:        now,
			Input:            input,
			TraceHeader:      in.TraceHeader,
			DefHash:          m.DefHash,
			RoleArn:          m.RoleArn,
			RevisionID:       m.RevisionID,
			MachineUpdatedAt: m.UpdatedAt,
			Logging:          m.Logging,
			Tracing:          m.Tracing,
			Encryption:       m.Encryption,
			TestCase:         testCase,
			VersionARN:       target.version,
			AliasARN:         target.alias,
		}
		r := &recorder{ex: &ex, now: now}
		r.add(historyEvent{Type: "ExecutionStarted", ExecutionStarted: &executionStartedDetails{
			Input: data(input), InputDetails: notTruncated, RoleArn: m.RoleArn,
		}}, 0)
		if machine.TimeoutSeconds > 0 {
			tm := &store.Timer{OwnerKind: ownerKind, OwnerID: ex.ARN, Kind: timerTimeout, FireAt: now.Add(time.Duration(machine.TimeoutSeconds) * time.Second)}
			if err := s.eng.SetTimer(tx, tm); err != nil {
				return err
			}
			ex.TimeoutTimerID = tm.ID
		}
		// StartExecution's caller waits on this write: the first budget.
		run := &run{s: s, tx: tx, ex: &ex, m: machine, rec: r, first: true}
		if err := run.start(); err != nil {
			return err
		}
		if testHookFirstWrite != nil {
			testHookFirstWrite(&ex)
		}
		return run.save(true)
	})
	if err != nil {
		return nil, err
	}
	return &startExecutionOutput{ExecutionArn: ex.ARN, StartDate: awsapi.Timestamp{Time: ex.StartDate}}, nil
}

// loadExecution reads an execution for the read-only operations.
func (s *Service) loadExecution(ctx context.Context, executionArn string) (*execution, error) {
	if _, err := s.parseARN(ctx, executionArn, "execution"); err != nil {
		return nil, err
	}
	if err := awsapi.Authorize(ctx, executionArn); err != nil {
		return nil, err
	}
	var ex execution
	err := s.view(ctx, func(tx store.Tx) error {
		_, err := getObject(tx, kindExecution, executionArn, &ex, executionNotFound(executionArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &ex, nil
}

// DescribeExecution describes an execution.
func (s *Service) DescribeExecution(ctx context.Context, in *executionArnInput) (*describeExecutionOutput, error) {
	ex, err := s.loadExecution(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	out := &describeExecutionOutput{
		ExecutionArn:    ex.ARN,
		StateMachineArn: ex.StateMachineARN,
		Name:            ex.Name,
		Status:          ex.Status,
		StartDate:       awsapi.Timestamp{Time: ex.StartDate},
		StopDate:        awsapi.Timestamp{Time: ex.StopDate},
		TraceHeader:     ex.TraceHeader,
		Error:           ex.Error,
		Cause:           ex.Cause,
		MapRunArn:       ex.MapRunARN,

		StateMachineVersionArn: ex.VersionARN,
		StateMachineAliasArn:   ex.AliasARN,
	}
	s.describeRedrive(ex, out) // redrive.go
	if in.IncludedData != "METADATA_ONLY" {
		out.Input = data(ex.Input)
		out.InputDetails = &dataDetails{Included: true}
		if ex.Output != nil {
			out.Output = ex.Output
			out.OutputDetails = &dataDetails{Included: true}
		}
	}
	return out, nil
}

// DescribeStateMachineForExecution describes the state machine as the
// execution started it.
func (s *Service) DescribeStateMachineForExecution(ctx context.Context, in *executionArnInput) (*describeStateMachineForExecutionOutput, error) {
	ex, err := s.loadExecution(ctx, in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	var definition string
	if err := s.view(ctx, func(tx store.Tx) error {
		definition, err = definitionText(tx, ex.DefHash)
		return err
	}); err != nil {
		return nil, err
	}
	return &describeStateMachineForExecutionOutput{
		StateMachineArn:         ex.StateMachineARN,
		Name:                    ex.StateMachineName,
		Definition:              definition,
		RoleArn:                 ex.RoleArn,
		UpdateDate:              awsapi.Timestamp{Time: ex.MachineUpdatedAt},
		LoggingConfiguration:    ex.Logging,
		TracingConfiguration:    ex.Tracing,
		RevisionID:              ex.RevisionID,
		MapRunArn:               ex.MapRunARN,
		Label:                   ex.MapRunLabel,
		EncryptionConfiguration: defaultEncryption(ex.Encryption),
	}, nil
}

// StopExecution aborts a running execution: its open task's token dies and
// its timers are dropped. Stopping an execution that has already ended
// changes nothing and returns its stop date.
func (s *Service) StopExecution(ctx context.Context, in *stopExecutionInput) (*stopExecutionOutput, error) {
	if _, err := s.parseARN(ctx, in.ExecutionArn, "execution"); err != nil {
		return nil, err
	}
	if err := awsapi.Authorize(ctx, in.ExecutionArn); err != nil {
		return nil, err
	}
	var ex execution
	err := s.update(ctx, func(tx store.Tx) error {
		if _, err := getObject(tx, kindExecution, in.ExecutionArn, &ex, executionNotFound(in.ExecutionArn)); err != nil {
			return err
		}
		if ex.Status != statusRunning {
			return nil
		}
		if ex.MapRunARN != "" {
			return sfnerr.ValidationException("Execution '%s' is a child execution of Map Run '%s': gaffer stops it only with its parent; stop '%s'", ex.ARN, ex.MapRunARN, ex.Root)
		}
		machine, err := s.machineByHash(tx, ex.DefHash)
		if err != nil {
			return err
		}
		r := &run{s: s, tx: tx, ex: &ex, m: machine, rec: &recorder{ex: &ex, now: s.eng.Now().UTC()}}
		d := &errorDetails{}
		if in.Error != nil {
			d.Error = *in.Error
		}
		if in.Cause != nil {
			d.Cause = *in.Cause
		}
		// The states in progress (Tasks, Waits, Parallels, Maps) are
		// aborted first.
		if ex.Exec != nil {
			machine.Abort(ex.Exec, r)
		}
		r.rec.add(historyEvent{Type: "ExecutionAborted", ExecutionAborted: d}, -1)
		if err := r.close(statusAborted, nil, d.Error, d.Cause); err != nil {
			return err
		}
		return r.save(false)
	})
	if err != nil {
		return nil, err
	}
	return &stopExecutionOutput{StopDate: awsapi.Timestamp{Time: ex.StopDate}}, nil
}

// ListExecutions lists a state machine's executions, newest first.
func (s *Service) ListExecutions(ctx context.Context, in *listExecutionsInput) (*listExecutionsOutput, error) {
	if in.MapRunArn != "" {
		return s.listChildren(ctx, in)
	}
	if in.StateMachineArn == "" {
		return nil, sfnerr.ValidationException("Must provide a StateMachine ARN or MapRun ARN")
	}
	if in.StatusFilter == "PENDING_REDRIVE" {
		return nil, sfnerr.ValidationException("The PENDING_REDRIVE status filter can only be used with a mapRunArn")
	}
	if isQualified(in.StateMachineArn) {
		// A version's or an alias's executions (versions.go).
		q, err := s.parseQualified(ctx, in.StateMachineArn, "")
		if err != nil {
			return nil, err
		}
		in.only = in.StateMachineArn
		return s.listExecutionsOf(ctx, in, kindStateMachine, q.machine.String(), machineNotFound)
	}
	if _, err := s.parseARN(ctx, in.StateMachineArn, "stateMachine"); err != nil {
		return nil, err
	}
	if err := s.refuseExpressListing(ctx, in.StateMachineArn); err != nil {
		return nil, err
	}
	return s.listExecutionsOf(ctx, in, kindStateMachine, in.StateMachineArn, machineNotFound)
}

// listExecutionsOf lists the executions under parent, an object of kind
// parentKind (a state machine, or a Map Run for its child executions),
// newest first; notFound answers a parent that does not exist.
func (s *Service) listExecutionsOf(ctx context.Context, in *listExecutionsInput, parentKind, parent string, notFound func(string) error) (*listExecutionsOutput, error) {
	if err := awsapi.Authorize(ctx, parent); err != nil {
		return nil, err
	}
	if err := s.view(ctx, func(tx store.Tx) error {
		_, err := tx.GetObject(parentKind, parent)
		if errors.Is(err, store.ErrNotFound) {
			return notFound(parent)
		}
		return err
	}); err != nil {
		return nil, err
	}
	out := &listExecutionsOutput{Executions: []executionListItem{}}
	filter, keep := executionFilter(in) // redrive.go
	err := s.listWhere(ctx, kindExecution, parent, in.StatusFilter, "", filter, keep, in.MaxResults, in.NextToken, true, &out.NextToken, func(o *store.Object) error {
		var ex execution
		if err := decode(o, &ex); err != nil {
			return err
		}
		item := executionListItem{
			ExecutionArn:    ex.ARN,
			StateMachineArn: ex.StateMachineARN,
			Name:            ex.Name,
			Status:          ex.Status,
			StartDate:       awsapi.Timestamp{Time: ex.StartDate},
			StopDate:        awsapi.Timestamp{Time: ex.StopDate},

			StateMachineVersionArn: ex.VersionARN,
			StateMachineAliasArn:   ex.AliasARN,
			RedriveCount:           ex.RedriveCount,
			RedriveDate:            awsapi.Timestamp{Time: ex.RedriveDate},
		}
		if ex.MapRunARN != "" {
			item.MapRunArn, item.ItemCount = ex.MapRunARN, max(ex.ItemCount, 1)
		}
		out.Executions = append(out.Executions, item)
		return nil
	})
	return out, err
}

// GetExecutionHistory pages through an execution's history.
func (s *Service) GetExecutionHistory(ctx context.Context, in *getExecutionHistoryInput) (*getExecutionHistoryOutput, error) {
	if _, err := s.parseARN(ctx, in.ExecutionArn, "execution"); err != nil {
		return nil, err
	}
	if err := awsapi.Authorize(ctx, in.ExecutionArn); err != nil {
		return nil, err
	}
	kind := awsapi.ListingKey("history", in.ExecutionArn, strconv.FormatBool(in.ReverseOrder), strconv.FormatBool(in.IncludeExecutionData == nil || *in.IncludeExecutionData))
	after, err := s.parsePageToken(kind, in.NextToken)
	if err != nil {
		return nil, err
	}
	size := pageSize(in.MaxResults)
	out := &getExecutionHistoryOutput{Events: []json.RawMessage{}}
	err = s.view(ctx, func(tx store.Tx) error {
		if _, err := tx.GetObject(kindExecution, in.ExecutionArn); errors.Is(err, store.ErrNotFound) {
			return executionNotFound(in.ExecutionArn)
		} else if err != nil {
			return err
		}
		evs, err := tx.ListEvents(store.EventQuery{Owner: in.ExecutionArn, AfterID: after, Desc: in.ReverseOrder, Limit: size + 1})
		if err != nil {
			return err
		}
		if len(evs) > size {
			evs = evs[:size]
			out.NextToken = s.pageToken(kind, evs[size-1].ID)
		}
		strip := in.IncludeExecutionData != nil && !*in.IncludeExecutionData
		for _, e := range evs {
			body := e.Body
			if strip {
				var ev historyEvent
				if err := json.Unmarshal(body, &ev); err != nil {
					return fmt.Errorf("decode history event: %w", err)
				}
				ev.stripData()
				if body, err = json.Marshal(&ev); err != nil {
					return err
				}
			}
			out.Events = append(out.Events, body)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
