package swf

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi/swferr"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// maxExecutionTimeout is SWF's longest executionStartToCloseTimeout: one
// year.
const maxExecutionTimeout = 365 * 24 * time.Hour

type startWorkflowExecutionInput struct {
	Domain                       string       `json:"domain"`
	WorkflowID                   string       `json:"workflowId"`
	WorkflowType                 WorkflowType `json:"workflowType"`
	TaskList                     *TaskList    `json:"taskList"`
	TaskPriority                 string       `json:"taskPriority"`
	Input                        string       `json:"input"`
	ExecutionStartToCloseTimeout string       `json:"executionStartToCloseTimeout"`
	TagList                      []string     `json:"tagList"`
	TaskStartToCloseTimeout      string       `json:"taskStartToCloseTimeout"`
	ChildPolicy                  string       `json:"childPolicy"`
	LambdaRole                   string       `json:"lambdaRole"`
}

type runOutput struct {
	RunID string `json:"runId"`
}

type signalWorkflowExecutionInput struct {
	Domain     string `json:"domain"`
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
	SignalName string `json:"signalName"`
	Input      string `json:"input"`
}

type requestCancelWorkflowExecutionInput struct {
	Domain     string `json:"domain"`
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
}

type terminateWorkflowExecutionInput struct {
	Domain      string `json:"domain"`
	WorkflowID  string `json:"workflowId"`
	RunID       string `json:"runId"`
	Reason      string `json:"reason"`
	Details     string `json:"details"`
	ChildPolicy string `json:"childPolicy"`
}

// startParams is what starting a run needs: from StartWorkflowExecution, a
// StartChildWorkflowExecution decision or a ContinueAsNewWorkflowExecution
// decision. Empty configuration members take the workflow type's
// defaults (resolve).
type startParams struct {
	domain       string
	workflowID   string
	wt           *workflowType
	input        string
	taskList     string
	taskPriority string
	execTimeout  string
	taskTimeout  string
	childPolicy  string
	lambdaRole   string
	tagList      []string

	parent          *WorkflowExecution
	parentInitiated int64
	continuedFrom   string
	runID           string // "" : a new random one
}

// resolve fills the configuration from the workflow type's defaults. It
// returns the SWF cause naming what could not be resolved, or "".
func (p *startParams) resolve() string {
	wt := p.wt
	if p.taskList == "" {
		p.taskList = wt.DefaultTaskList
	}
	if p.taskPriority == "" {
		p.taskPriority = wt.DefaultTaskPriority
	}
	if p.execTimeout == "" {
		p.execTimeout = wt.DefaultExecutionStartToClose
	}
	if p.taskTimeout == "" {
		p.taskTimeout = wt.DefaultTaskStartToClose
	}
	if p.childPolicy == "" {
		p.childPolicy = wt.DefaultChildPolicy
	}
	if p.lambdaRole == "" {
		p.lambdaRole = wt.DefaultLambdaRole
	}
	switch {
	case p.taskList == "":
		return "DEFAULT_TASK_LIST_UNDEFINED"
	case p.execTimeout == "" || p.execTimeout == "NONE":
		return "DEFAULT_EXECUTION_START_TO_CLOSE_TIMEOUT_UNDEFINED"
	case p.taskTimeout == "":
		return "DEFAULT_TASK_START_TO_CLOSE_TIMEOUT_UNDEFINED"
	case p.childPolicy == "":
		return "DEFAULT_CHILD_POLICY_UNDEFINED"
	}
	return ""
}

// checkExecutionTimeout checks an executionStartToCloseTimeout given by a
// caller: whole seconds up to a year; "NONE" is not allowed.
func checkExecutionTimeout(field, v string) error {
	if v == "" {
		return nil
	}
	if v == "NONE" {
		return swferr.ValidationException("Invalid %s 'NONE': a workflow execution must have a start-to-close timeout (at most one year)", field)
	}
	if err := checkDuration(field, v); err != nil {
		return err
	}
	if d, _, _ := parseDuration(field, v); d > maxExecutionTimeout {
		return swferr.ValidationException("Invalid %s '%s': at most one year (31536000 seconds)", field, v)
	}
	return nil
}

// checkStartConfig checks the configuration members shared by
// StartWorkflowExecution and the start-child and continue-as-new decisions.
func checkStartConfig(prefix, taskList, execTimeout, taskTimeout, taskPriority string) error {
	if taskList != "" {
		if err := checkName(prefix+"taskList.name", taskList); err != nil {
			return err
		}
	}
	if err := checkExecutionTimeout(prefix+"executionStartToCloseTimeout", execTimeout); err != nil {
		return err
	}
	if err := checkDuration(prefix+"taskStartToCloseTimeout", taskTimeout); err != nil {
		return err
	}
	_, err := checkPriority(prefix+"taskPriority", taskPriority)
	return err
}

// errAlreadyStarted is returned by startRun when the workflowId has an
// open run.
var errAlreadyStarted = errors.New("swf: workflow execution already started")

// newRunID returns a random run id: 44 characters, like AWS's.
func newRunID() string {
	var b [33]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// startRun starts a run with resolved parameters: WorkflowExecutionStarted,
// the first decision task and the execution timeout, in the session's
// transaction.
func (ss *session) startRun(p *startParams) (*run, error) {
	if p.runID == "" {
		p.runID = newRunID()
	}
	err := ss.tx.InsertObject(&store.Object{Kind: kindOpenRun, ID: openRunID(p.domain, p.workflowID), Parent: p.domain, Body: []byte(p.runID)})
	if errors.Is(err, store.ErrExists) {
		return nil, errAlreadyStarted
	}
	if err != nil {
		return nil, err
	}
	execTimeout, _, err := parseDuration("executionStartToCloseTimeout", p.execTimeout)
	if err != nil {
		return nil, err
	}
	ex := &execution{
		Domain:                       p.domain,
		WorkflowID:                   p.workflowID,
		RunID:                        p.runID,
		Type:                         WorkflowType{Name: p.wt.Name, Version: p.wt.Version},
		Status:                       statusOpen,
		Started:                      ss.now,
		Parent:                       p.parent,
		TagList:                      p.tagList,
		Input:                        p.input,
		TaskList:                     p.taskList,
		TaskPriority:                 p.taskPriority,
		ExecutionStartToCloseTimeout: p.execTimeout,
		TaskStartToCloseTimeout:      p.taskTimeout,
		ChildPolicy:                  p.childPolicy,
		LambdaRole:                   p.lambdaRole,
	}
	rt, _ := decodeRuntime(nil)
	rt.ParentInitiatedEventID = p.parentInitiated
	r := ss.add(ex, rt)
	r.rec.add("WorkflowExecutionStarted", workflowExecutionStartedAttrs{
		Input:                        p.input,
		ExecutionStartToCloseTimeout: p.execTimeout,
		TaskStartToCloseTimeout:      p.taskTimeout,
		ChildPolicy:                  p.childPolicy,
		TaskList:                     TaskList{Name: p.taskList},
		TaskPriority:                 p.taskPriority,
		WorkflowType:                 ex.Type,
		TagList:                      p.tagList,
		ContinuedExecutionRunID:      p.continuedFrom,
		ParentWorkflowExecution:      p.parent,
		ParentInitiatedEventID:       p.parentInitiated,
		LambdaRole:                   p.lambdaRole,
	})
	if err := r.scheduleDecision(); err != nil {
		return nil, err
	}
	tm := &store.Timer{OwnerKind: ownerKind, OwnerID: ex.ID(), Kind: timerTimeout, FireAt: ss.now.Add(execTimeout)}
	if err := ss.s.eng.SetTimer(ss.tx, tm); err != nil {
		return nil, err
	}
	rt.TimeoutTimerID = tm.ID
	return r, nil
}

// StartWorkflowExecution starts a run of a workflow type.
func (s *Service) StartWorkflowExecution(ctx context.Context, in *startWorkflowExecutionInput) (*runOutput, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	if err := checkName("workflowId", in.WorkflowID); err != nil {
		return nil, err
	}
	taskList := ""
	if in.TaskList != nil {
		taskList = in.TaskList.Name
		if err := checkName("taskList.name", taskList); err != nil {
			return nil, err
		}
	}
	if err := checkStartConfig("", taskList, in.ExecutionStartToCloseTimeout, in.TaskStartToCloseTimeout, in.TaskPriority); err != nil {
		return nil, err
	}
	prio, _ := checkPriority("taskPriority", in.TaskPriority)
	var runID string
	err := s.update(ctx, func(tx store.Tx) error {
		d, err := loadDomain(tx, in.Domain)
		if err != nil {
			return err
		}
		if d.Status == statusDeprecated {
			return swferr.DomainDeprecated(domainName(in.Domain))
		}
		wt, err := loadWorkflowType(tx, in.Domain, in.WorkflowType.Name, in.WorkflowType.Version)
		if err != nil {
			return err
		}
		if wt == nil {
			return swferr.UnknownType("WorkflowType", in.WorkflowType.Name, in.WorkflowType.Version)
		}
		if wt.Status == statusDeprecated {
			return swferr.TypeDeprecated("WorkflowType", wt.Name, wt.Version)
		}
		p := &startParams{
			domain: in.Domain, workflowID: in.WorkflowID, wt: wt, input: in.Input,
			taskList: taskList, taskPriority: prio, execTimeout: in.ExecutionStartToCloseTimeout,
			taskTimeout: in.TaskStartToCloseTimeout, childPolicy: in.ChildPolicy, lambdaRole: in.LambdaRole,
			tagList: in.TagList,
		}
		if cause := p.resolve(); cause != "" {
			return defaultUndefined(cause)
		}
		ss := s.newSession(tx)
		r, err := ss.startRun(p)
		if errors.Is(err, errAlreadyStarted) {
			return swferr.WorkflowExecutionAlreadyStarted()
		}
		if err != nil {
			return err
		}
		runID = r.ex.RunID
		return ss.commit()
	})
	if err != nil {
		return nil, err
	}
	return &runOutput{RunID: runID}, nil
}

// defaultUndefined answers a StartWorkflowExecution whose configuration
// could not be resolved.
func defaultUndefined(cause string) error {
	what := map[string]string{
		"DEFAULT_TASK_LIST_UNDEFINED":                        "taskList",
		"DEFAULT_EXECUTION_START_TO_CLOSE_TIMEOUT_UNDEFINED": "executionStartToCloseTimeout",
		"DEFAULT_TASK_START_TO_CLOSE_TIMEOUT_UNDEFINED":      "taskStartToCloseTimeout",
		"DEFAULT_CHILD_POLICY_UNDEFINED":                     "childPolicy",
	}[cause]
	return swferr.DefaultUndefined(what)
}

// unknownExecution answers an operation on a workflow with no open run.
func unknownExecution(domainName, workflowID, runID string) error {
	if runID == "" {
		return swferr.UnknownOpenExecution(workflowID)
	}
	return swferr.UnknownExecution(workflowID, runID)
}

// withOpenRun runs fn on the open run of workflowID (runID if given) in a
// write transaction, and commits the session.
func (s *Service) withOpenRun(ctx context.Context, domainName, workflowID, runID string, fn func(r *run) error) error {
	return s.update(ctx, func(tx store.Tx) error {
		if _, err := loadDomain(tx, domainName); err != nil {
			return err
		}
		ss := s.newSession(tx)
		r, err := ss.openRun(domainName, workflowID, runID)
		if err != nil {
			return err
		}
		if r == nil {
			return unknownExecution(domainName, workflowID, runID)
		}
		if err := fn(r); err != nil {
			return err
		}
		return ss.commit()
	})
}

// validRunRef checks a workflowId and optional runId of a request: ids
// containing '|' name no run.
func validRunRef(workflowID, runID string) bool {
	for _, c := range workflowID + runID {
		if c == '|' {
			return false
		}
	}
	return true
}

// SignalWorkflowExecution records a signal in an open run's history and
// gives it a decision task.
func (s *Service) SignalWorkflowExecution(ctx context.Context, in *signalWorkflowExecutionInput) (*struct{}, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	if err := checkName("signalName", in.SignalName); err != nil {
		return nil, err
	}
	if !validRunRef(in.WorkflowID, in.RunID) {
		return nil, unknownExecution(in.Domain, in.WorkflowID, in.RunID)
	}
	err := s.withOpenRun(ctx, in.Domain, in.WorkflowID, in.RunID, func(r *run) error {
		r.rec.add("WorkflowExecutionSignaled", workflowExecutionSignaledAttrs{SignalName: in.SignalName, Input: in.Input})
		return r.needDecision()
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// RequestCancelWorkflowExecution records a cancel request; the decider
// decides what to do about it.
func (s *Service) RequestCancelWorkflowExecution(ctx context.Context, in *requestCancelWorkflowExecutionInput) (*struct{}, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	if !validRunRef(in.WorkflowID, in.RunID) {
		return nil, unknownExecution(in.Domain, in.WorkflowID, in.RunID)
	}
	err := s.withOpenRun(ctx, in.Domain, in.WorkflowID, in.RunID, func(r *run) error {
		r.rec.add("WorkflowExecutionCancelRequested", workflowExecutionCancelRequestedAttrs{})
		r.ex.CancelRequested = true
		return r.needDecision()
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// TerminateWorkflowExecution closes an open run at once, applying the
// child policy to its open children.
func (s *Service) TerminateWorkflowExecution(ctx context.Context, in *terminateWorkflowExecutionInput) (*struct{}, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	if !validRunRef(in.WorkflowID, in.RunID) {
		return nil, unknownExecution(in.Domain, in.WorkflowID, in.RunID)
	}
	err := s.withOpenRun(ctx, in.Domain, in.WorkflowID, in.RunID, func(r *run) error {
		return r.terminate(in.Reason, in.Details, in.ChildPolicy, "OPERATOR_INITIATED")
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}
