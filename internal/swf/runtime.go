package swf

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// Timer kinds of this dialect (store.Timer.Kind).
const (
	timerUser      = "timer"     // a StartTimer decision; Payload: the timerId
	timerTimeout   = "timeout"   // the execution's executionStartToCloseTimeout
	timerRetention = "retention" // deletes a closed execution after the domain's retention period
)

// Engine task OwnerRefs: "d" for the execution's decision task,
// "a:<activityId>" for an activity task.
const (
	refDecision       = "d"
	refActivityPrefix = "a:"
)

// Close statuses.
const (
	closeCompleted      = "COMPLETED"
	closeFailed         = "FAILED"
	closeCanceled       = "CANCELED"
	closeTerminated     = "TERMINATED"
	closeContinuedAsNew = "CONTINUED_AS_NEW"
	closeTimedOut       = "TIMED_OUT"
)

// Child policies.
const (
	childTerminate     = "TERMINATE"
	childRequestCancel = "REQUEST_CANCEL"
	childAbandon       = "ABANDON"
)

// runtime is the open state of an execution, kept as JSON in
// execution.Runtime: what the decisions and the engine callbacks work on.
// Every engine task and timer an open execution has is named here, so
// closing the execution can end them all, and a callback about anything
// not named here is stale and ignored.
type runtime struct {
	// Decision is the execution's one decision task, scheduled or started;
	// nil when there is none.
	Decision *openDecision `json:"decision,omitempty"`
	// DecisionPending is set when something that needs a decision happened
	// while the decision task was started: a new decision task follows
	// when it ends, and a closing decision of it fails with
	// UNHANDLED_DECISION.
	DecisionPending bool `json:"decisionPending,omitempty"`
	// PreviousStartedEventID is the DecisionTaskStarted event of the last
	// decision task the decider completed.
	PreviousStartedEventID int64 `json:"previousStartedEventId,omitempty"`
	// TaskListOverride and OverrideScheduleToStart are the decision task
	// list set by RespondDecisionTaskCompleted's taskList, and its
	// taskListScheduleToStartTimeout ("" : the override is permanent).
	TaskListOverride        string `json:"taskListOverride,omitempty"`
	OverrideScheduleToStart string `json:"overrideScheduleToStart,omitempty"`

	Activities map[string]*openActivity `json:"activities,omitempty"` // by activityId
	Timers     map[string]*openTimer    `json:"timers,omitempty"`     // by timerId
	Children   map[int64]*openChild     `json:"children,omitempty"`   // by StartChildWorkflowExecutionInitiated event id

	// TimeoutTimerID is the engine timer of executionStartToCloseTimeout.
	TimeoutTimerID int64 `json:"timeoutTimerId,omitempty"`
	// ParentInitiatedEventID is, for a child, the parent's
	// StartChildWorkflowExecutionInitiated event.
	ParentInitiatedEventID int64 `json:"parentInitiatedEventId,omitempty"`
}

// openDecision is the decision task of an execution.
type openDecision struct {
	TaskID           int64 `json:"taskId"`
	ScheduledEventID int64 `json:"scheduledEventId"`
	StartedEventID   int64 `json:"startedEventId,omitempty"` // 0 while scheduled
}

// openActivity is an activity task of an execution.
type openActivity struct {
	TaskID                 int64        `json:"taskId"`
	Type                   ActivityType `json:"type"`
	ScheduledEventID       int64        `json:"scheduledEventId"`
	StartedEventID         int64        `json:"startedEventId,omitempty"`
	CancelRequestedEventID int64        `json:"cancelRequestedEventId,omitempty"`
}

// openTimer is a timer started by a StartTimer decision.
type openTimer struct {
	TimerID        int64 `json:"timerId"` // the engine timer
	StartedEventID int64 `json:"startedEventId"`
}

// openChild is a child workflow execution started by this one.
type openChild struct {
	WorkflowID     string       `json:"workflowId"`
	RunID          string       `json:"runId"`
	Type           WorkflowType `json:"type"`
	StartedEventID int64        `json:"startedEventId"`
}

// decodeRuntime decodes an execution's runtime state.
func decodeRuntime(raw json.RawMessage) (*runtime, error) {
	rt := &runtime{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, rt); err != nil {
			return nil, fmt.Errorf("decode execution runtime: %w", err)
		}
	}
	if rt.Activities == nil {
		rt.Activities = map[string]*openActivity{}
	}
	if rt.Timers == nil {
		rt.Timers = map[string]*openTimer{}
	}
	if rt.Children == nil {
		rt.Children = map[int64]*openChild{}
	}
	return rt, nil
}

// openCounts reports the execution's open work from its runtime state.
func (e *execution) openCounts() WorkflowExecutionOpenCounts {
	if e.Status != statusOpen {
		return WorkflowExecutionOpenCounts{}
	}
	rt, err := decodeRuntime(e.Runtime)
	if err != nil {
		return WorkflowExecutionOpenCounts{}
	}
	c := WorkflowExecutionOpenCounts{
		OpenActivityTasks:           len(rt.Activities),
		OpenTimers:                  len(rt.Timers),
		OpenChildWorkflowExecutions: len(rt.Children),
	}
	if rt.Decision != nil {
		c.OpenDecisionTasks = 1
	}
	return c
}

// session is one reaction's view of the executions it touches, inside one
// transaction: a decision can start a child, signal another execution or
// continue as new; a close notifies the parent and may terminate children.
// Each execution is loaded once, changed in memory, and written once by
// commit, so that all of them change together or not at all (invariant 3).
type session struct {
	s     *Service
	tx    store.Tx
	now   time.Time
	runs  map[string]*run
	order []*run
}

func (s *Service) newSession(tx store.Tx) *session {
	return &session{s: s, tx: tx, now: s.eng.Now().UTC(), runs: map[string]*run{}}
}

// run is one execution in a session.
type run struct {
	ss  *session
	ex  *execution
	rt  *runtime
	rec *recorder
	// deciding is set while the decisions of a completed decision task are
	// applied: events that need a decision then only set wantDecision,
	// and one decision task is scheduled after the last decision.
	deciding     bool
	wantDecision bool
	// deleted is set when the retention timer removed the execution.
	deleted bool
	// indexed is the status the execution's visibility entry holds (""
	// for a new run): commit writes the entry when the status changed,
	// that is when the run starts and when it closes.
	indexed string
}

// get loads the execution with object id, or returns nil if there is none.
func (ss *session) get(id string) (*run, error) {
	if r, ok := ss.runs[id]; ok {
		if r.deleted {
			return nil, nil
		}
		return r, nil
	}
	o, err := ss.tx.GetObject(kindExecution, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ex execution
	if err := json.Unmarshal(o.Body, &ex); err != nil {
		return nil, engine.Brokenf("its record %s does not decode: %v", id, err)
	}
	rt, err := decodeRuntime(ex.Runtime)
	if err != nil {
		return nil, engine.Brokenf("%s: %v", id, err)
	}
	r := ss.add(&ex, rt)
	r.indexed = ex.Status
	return r, nil
}

// add puts an execution (loaded or new) into the session.
func (ss *session) add(ex *execution, rt *runtime) *run {
	r := &run{ss: ss, ex: ex, rt: rt, rec: &recorder{ex: ex, now: ss.now}}
	ss.runs[ex.ID()] = r
	ss.order = append(ss.order, r)
	return r
}

// openRun returns the open run of workflowID in domain (the run runID if
// it is not ""), or nil if there is none.
func (ss *session) openRun(domainName, workflowID, runID string) (*run, error) {
	if runID == "" {
		o, err := ss.tx.GetObject(kindOpenRun, openRunID(domainName, workflowID))
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		runID = string(o.Body)
	}
	r, err := ss.get(executionID(domainName, workflowID, runID))
	if err != nil || r == nil || !r.open() {
		return nil, err
	}
	return r, nil
}

// maxHistoryEvents is SWF's hard limit on an execution's history: a run
// that reaches it is terminated (cause EVENT_LIMIT_EXCEEDED) at the end of
// the reaction that got it there, so its last event may be a few past it.
const maxHistoryEvents = 25000

// commit writes every execution the session changed: history events, then
// the record with its runtime state.
func (ss *session) commit() error {
	// Terminating a run may touch others (children, parent): index loop.
	for i := 0; i < len(ss.order); i++ {
		if r := ss.order[i]; r.open() && r.ex.LastEventID >= maxHistoryEvents-1 {
			if err := r.terminate("", "", "", "EVENT_LIMIT_EXCEEDED"); err != nil {
				return err
			}
		}
	}
	for _, r := range ss.order {
		// Every change of a run records at least one event: a run that
		// was only looked at is not written.
		if r.deleted || len(r.rec.pending) == 0 {
			continue
		}
		if err := r.rec.flush(ss.tx); err != nil {
			return err
		}
		raw, err := json.Marshal(r.rt)
		if err != nil {
			return fmt.Errorf("encode execution runtime: %w", err)
		}
		r.ex.Runtime = raw
		if err := putJSON(ss.tx, kindExecution, r.ex.ID(), r.ex.Domain, r.ex.Status, r.ex); err != nil {
			return err
		}
		if r.indexed != r.ex.Status {
			if err := ss.tx.PutVisibility(visibilityOf(r.ex)); err != nil {
				return err
			}
			r.indexed = r.ex.Status
		}
	}
	return nil
}

func (r *run) open() bool { return r.ex.Status == statusOpen }

func (r *run) self() WorkflowExecution {
	return WorkflowExecution{WorkflowID: r.ex.WorkflowID, RunID: r.ex.RunID}
}

// needDecision is called after an event the decider must see: it schedules
// a decision task unless one is scheduled already (the event joins it); if
// one is started, a new one follows when it ends.
func (r *run) needDecision() error {
	switch {
	case !r.open():
		return nil
	case r.deciding:
		r.wantDecision = true
	case r.rt.Decision == nil:
		return r.scheduleDecision()
	case r.rt.Decision.StartedEventID != 0:
		r.rt.DecisionPending = true
	}
	return nil
}

// scheduleDecision schedules the execution's decision task.
func (r *run) scheduleDecision() error {
	ex := r.ex
	taskList := ex.TaskList
	var toStart time.Duration
	attrs := decisionTaskScheduledAttrs{
		TaskList:            TaskList{Name: taskList},
		TaskPriority:        ex.TaskPriority,
		StartToCloseTimeout: ex.TaskStartToCloseTimeout,
	}
	if r.rt.TaskListOverride != "" {
		attrs.TaskList.Name = r.rt.TaskListOverride
		if r.rt.OverrideScheduleToStart != "" {
			attrs.ScheduleToStartTimeout = r.rt.OverrideScheduleToStart
			toStart, _, _ = parseDuration("taskListScheduleToStartTimeout", r.rt.OverrideScheduleToStart)
		}
	}
	toClose, _, err := parseDuration("taskStartToCloseTimeout", ex.TaskStartToCloseTimeout)
	if err != nil {
		return err
	}
	id := r.rec.add("DecisionTaskScheduled", attrs)
	t := &store.Task{
		Queue:           decisionQueue(ex.Domain, attrs.TaskList.Name),
		OwnerKind:       ownerKind,
		OwnerID:         ex.ID(),
		OwnerRef:        refDecision,
		Priority:        priority(ex.TaskPriority),
		ScheduleToStart: toStart,
		StartToClose:    toClose,
		ScheduledAt:     r.ss.now,
	}
	if _, err := r.ss.s.eng.Schedule(r.ss.tx, t); err != nil {
		return err
	}
	if err := r.indexTask(t, true, id); err != nil {
		return err
	}
	r.rt.Decision = &openDecision{TaskID: t.ID, ScheduledEventID: id}
	r.rt.DecisionPending = false
	return nil
}

// priority parses a task priority ("" is 0).
func priority(p string) int {
	n, _ := strconv.Atoi(p)
	return n
}

// closeTask ends an engine task the execution no longer wants; its token
// dies.
func (r *run) closeTask(id int64) error {
	t, err := r.ss.tx.GetTask(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return r.ss.s.eng.CloseTask(r.ss.tx, t)
}

// closing says how an execution ends, for its parent's event.
type closing struct {
	status          string // a close status
	result          string // COMPLETED
	reason, details string // FAILED (reason, details), CANCELED (details)
	childPolicy     string // TERMINATED, TIMED_OUT: applied to open children
}

// close ends the execution after its closing event was recorded: every
// open task's token dies, timers are dropped, the workflowId is free
// again, the child policy (if any) is applied to open children, the parent
// learns how its child ended, and the retention timer is set.
func (r *run) close(c closing) error {
	ss, ex, rt := r.ss, r.ex, r.rt
	ex.Status, ex.CloseStatus, ex.Closed = statusClosed, c.status, ss.now
	if rt.Decision != nil {
		if err := r.closeTask(rt.Decision.TaskID); err != nil {
			return err
		}
		rt.Decision = nil
	}
	rt.DecisionPending = false
	for id, a := range rt.Activities {
		if err := r.closeTask(a.TaskID); err != nil {
			return err
		}
		delete(rt.Activities, id)
	}
	for id, tm := range rt.Timers {
		if err := ss.s.eng.CancelTimer(ss.tx, tm.TimerID); err != nil {
			return err
		}
		delete(rt.Timers, id)
	}
	if rt.TimeoutTimerID != 0 {
		if err := ss.s.eng.CancelTimer(ss.tx, rt.TimeoutTimerID); err != nil {
			return err
		}
		rt.TimeoutTimerID = 0
	}
	// Free the workflowId (a continue-as-new run takes it over at once).
	o, err := ss.tx.GetObject(kindOpenRun, openRunID(ex.Domain, ex.WorkflowID))
	if err == nil && string(o.Body) == ex.RunID {
		err = ss.tx.DeleteObject(kindOpenRun, o.ID)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	// Children: the policy applies when the execution is terminated or
	// times out; otherwise they are abandoned (they run on, and nobody is
	// told when they end).
	children := rt.Children
	rt.Children = map[int64]*openChild{}
	if c.childPolicy != "" && c.childPolicy != childAbandon {
		for initiated, ch := range children {
			if err := r.applyChildPolicy(c.childPolicy, initiated, ch); err != nil {
				return err
			}
		}
	}
	if ex.Parent != nil && c.status != closeContinuedAsNew {
		if err := r.notifyParent(c); err != nil {
			return err
		}
	}
	return r.setRetention()
}

// applyChildPolicy terminates a child or asks it to cancel.
func (r *run) applyChildPolicy(policy string, initiated int64, ch *openChild) error {
	// The child may have continued as new: its open run carries on as the
	// child if it still names this parent.
	child, err := r.ss.openRun(r.ex.Domain, ch.WorkflowID, "")
	if err != nil || child == nil || child.ex.Parent == nil || *child.ex.Parent != r.self() || child.rt.ParentInitiatedEventID != initiated {
		return err
	}
	switch policy {
	case childTerminate:
		return child.terminate("", "", "", "CHILD_POLICY_APPLIED")
	case childRequestCancel:
		child.rec.add("WorkflowExecutionCancelRequested", workflowExecutionCancelRequestedAttrs{Cause: "CHILD_POLICY_APPLIED"})
		child.ex.CancelRequested = true
		return child.needDecision()
	}
	return nil
}

// terminate closes the execution at once (TerminateWorkflowExecution, or a
// parent's TERMINATE child policy).
func (r *run) terminate(reason, details, childPolicy, cause string) error {
	if childPolicy == "" {
		childPolicy = r.ex.ChildPolicy
	}
	r.rec.add("WorkflowExecutionTerminated", workflowExecutionTerminatedAttrs{
		Reason: reason, Details: details, ChildPolicy: childPolicy, Cause: cause,
	})
	return r.close(closing{status: closeTerminated, childPolicy: childPolicy})
}

// notifyParent records how this child ended in its parent's history and
// gives the parent a decision task.
func (r *run) notifyParent(c closing) error {
	ex := r.ex
	p, err := r.ss.get(executionID(ex.Domain, ex.Parent.WorkflowID, ex.Parent.RunID))
	if err != nil || p == nil || !p.open() {
		return err
	}
	ch := p.rt.Children[r.rt.ParentInitiatedEventID]
	if ch == nil {
		return nil
	}
	delete(p.rt.Children, r.rt.ParentInitiatedEventID)
	base := childEventAttrs{
		WorkflowExecution: r.self(),
		WorkflowType:      ex.Type,
		InitiatedEventID:  r.rt.ParentInitiatedEventID,
		StartedEventID:    ch.StartedEventID,
	}
	switch c.status {
	case closeCompleted:
		base.Result = c.result
		p.rec.add("ChildWorkflowExecutionCompleted", base)
	case closeFailed:
		base.Reason, base.Details = c.reason, c.details
		p.rec.add("ChildWorkflowExecutionFailed", base)
	case closeCanceled:
		base.Details = c.details
		p.rec.add("ChildWorkflowExecutionCanceled", base)
	case closeTerminated:
		p.rec.add("ChildWorkflowExecutionTerminated", base)
	case closeTimedOut:
		base.TimeoutType = "START_TO_CLOSE"
		p.rec.add("ChildWorkflowExecutionTimedOut", base)
	default:
		return fmt.Errorf("swf: notify parent of close status %q", c.status)
	}
	return p.needDecision()
}

// setRetention sets the timer that deletes the closed execution once the
// domain's retention period has passed ("NONE" and "0": at once).
func (r *run) setRetention() error {
	d, err := loadDomain(r.ss.tx, r.ex.Domain)
	if err != nil {
		return err
	}
	tm := &store.Timer{OwnerKind: ownerKind, OwnerID: r.ex.ID(), Kind: timerRetention, FireAt: r.ss.now.Add(retention(d))}
	return r.ss.s.eng.SetTimer(r.ss.tx, tm)
}

// remove deletes a closed execution and its history (retention).
func (r *run) remove() error {
	if err := r.ss.tx.DeleteEvents(r.ex.ID()); err != nil {
		return err
	}
	if err := dropTaskIndex(r.ss.tx, r.ex.ID()); err != nil {
		return err
	}
	if err := r.ss.tx.DeleteObject(kindExecution, r.ex.ID()); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err := r.ss.tx.DeleteVisibility(kindExecution, r.ex.ID()); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	r.deleted = true
	return nil
}
