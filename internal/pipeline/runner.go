package pipeline

// The worker side: PollForTask, ReportTaskProgress, SetTaskStatus and
// ReportTaskRunnerHeartbeat, and the service as the engine's owner of
// Data Pipeline tasks and timers.
//
// A taskId is the engine token of the attempt's task. The first
// ReportTaskProgress of an attempt acknowledges it (recorded on the
// attempt); an attempt not acknowledged within Config.AckTimeout is given
// up (TIMEDOUT) by an owner timer set when it is handed out, and handed
// out again at once with a new attempt (no retry spent).
// Later reports are engine heartbeats (memory only); the engine enforces
// reportProgressTimeout (heartbeat) and attemptTimeout (start-to-close).
//
// Task runners register themselves with ReportTaskRunnerHeartbeat (kind
// "pipeline.runner", ID the taskrunnerId, with the last-seen time). A
// runner record's terminate flag, set by an operator (TerminateRunner,
// operator.go), makes its next heartbeat answer terminate=true.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// Timer kinds.
const (
	timerAck   = "ack"   // Payload: attempt id
	timerRetry = "retry" // Payload: instance id
)

// maxPipelinePoll is AWS's PollForTask long-poll time.
const maxPipelinePoll = 90 * time.Second

func jsonDecode(o *store.Object, v any) error {
	if err := json.Unmarshal(o.Body, v); err != nil {
		return fmt.Errorf("decode %s %s: %w", o.Kind, o.ID, err)
	}
	return nil
}

func (s *Service) runnerOps() map[string]awsapi.Operation {
	return map[string]awsapi.Operation{
		"ActivatePipeline":          awsapi.Op(s.ActivatePipeline),
		"DeactivatePipeline":        awsapi.Op(s.DeactivatePipeline),
		"PollForTask":               awsapi.Op(s.PollForTask),
		"ReportTaskProgress":        awsapi.Op(s.ReportTaskProgress),
		"SetTaskStatus":             awsapi.Op(s.SetTaskStatus),
		"ReportTaskRunnerHeartbeat": awsapi.Op(s.ReportTaskRunnerHeartbeat),
		"SetStatus":                 awsapi.Op(s.SetStatus),
		"EvaluateExpression":        awsapi.Op(s.EvaluateExpression),
	}
}

// ackCache remembers the acknowledged taskIds of open attempts, so that
// only the first report of an attempt writes.
type ackCache struct{ m sync.Map }

type pollForTaskInput struct {
	WorkerGroup string `json:"workerGroup"`
	Hostname    string `json:"hostname"`
}

// TaskObject is a task handed to a runner.
type TaskObject struct {
	TaskID     string                    `json:"taskId"`
	PipelineID string                    `json:"pipelineId"`
	AttemptID  string                    `json:"attemptId"`
	Objects    map[string]PipelineObject `json:"objects"`
}

type pollForTaskOutput struct {
	TaskObject *TaskObject `json:"taskObject,omitempty"`
}

// PollForTask long-polls a worker group for a task. A task whose fields
// go over the evaluation budget (budget.go) is not handed out: its attempt
// fails with the reason, and the poll goes on.
func (s *Service) PollForTask(ctx context.Context, in *pollForTaskInput) (*pollForTaskOutput, error) {
	if err := awsapi.Authorize(ctx, "*"); err != nil {
		return nil, err
	}
	if in.WorkerGroup == "" {
		return nil, invalid("workerGroup is required: give the worker group whose tasks this runner runs (exact, case-sensitive)")
	}
	deadline := s.eng.Now().Add(s.maxPoll)
	for {
		wait := deadline.Sub(s.eng.Now())
		if wait <= 0 {
			return &pollForTaskOutput{}, nil
		}
		t, token, err := s.eng.Poll(ctx, s.taskQueue(awsapi.Region(ctx), in.WorkerGroup), in.Hostname, wait)
		if err != nil {
			return nil, err
		}
		if t == nil {
			return &pollForTaskOutput{}, nil
		}
		var obj *TaskObject
		err = s.view(ctx, func(tx store.Tx) error {
			var err error
			obj, err = s.taskObject(tx, t, token)
			return err
		})
		var be *budgetError
		if errors.As(err, &be) {
			// A task that cannot be built is a failed attempt, retried
			// as any (maximumRetries); the runner polls on. Failed even if
			// the runner has gone: the task is taken.
			cause, _ := json.Marshal(failure{Message: "The task could not be built: " + be.Error()})
			if err := s.eng.Fail(context.WithoutCancel(ctx), token, errIDBudget, string(cause)); err != nil && !errors.Is(err, engine.ErrInvalidToken) && !errors.Is(err, engine.ErrTaskClosed) {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if obj != nil {
			return &pollForTaskOutput{TaskObject: obj}, nil
		}
	}
}

// taskObject builds the objects a runner gets with a task: the attempt,
// its instance and the component's referenced objects, with expressions
// evaluated. nil if the attempt is no longer running.
func (s *Service) taskObject(tx store.Tx, t *store.Task, token string) (*TaskObject, error) {
	a, err := getAttempt(tx, t.OwnerID, t.OwnerRef)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if a.Status != statusRunning || a.TaskID != t.ID {
		return nil, nil
	}
	inst, err := getInstance(tx, a.PipelineID, a.InstanceID)
	if err != nil {
		return nil, err
	}
	p, err := loadPipeline(tx, a.PipelineID)
	if err != nil {
		return nil, err
	}
	def, err := s.activeDefinition(tx, p)
	if err != nil || def == nil {
		return nil, err
	}
	objs := map[string]PipelineObject{}
	ix := def.ix
	env := def.env(p.ID)
	comp := ix.byID[a.Component]
	if comp == nil {
		return nil, nil
	}
	// Every object is evaluated in the context of the instance's period
	// (a data node's directoryPath uses @scheduledStartTime too), with its
	// own @id.
	env.runtime = inst.runtimeMap()
	env.runtime["@id"] = a.ID
	fs, err := env.flatten(comp)
	if err != nil {
		return nil, err
	}
	objs[a.ID] = PipelineObject{ID: a.ID, Name: a.ID, Fields: append(fs, attemptFields(a, inst, def.version)...)}
	env.runtime["@id"] = inst.ID
	if fs, err = env.flatten(comp); err != nil {
		return nil, err
	}
	objs[inst.ID] = PipelineObject{ID: inst.ID, Name: inst.ID, Fields: append(fs, instanceFields(inst, def.version)...)}
	delete(env.runtime, "@id")
	for _, f := range env.flattenRaw(comp) {
		if f.RefValue == nil || f.Key == "parent" {
			continue
		}
		if r := ix.byID[*f.RefValue]; r != nil {
			if _, done := objs[r.ID]; !done {
				fs, err := env.flatten(r)
				if err != nil {
					return nil, err
				}
				objs[r.ID] = PipelineObject{ID: r.ID, Name: r.Name, Fields: fs}
			}
		}
	}
	return &TaskObject{TaskID: token, PipelineID: p.ID, AttemptID: a.ID, Objects: objs}, nil
}

// budgetError is a field whose evaluation went over budget (an
// *expr.BudgetError in err).
type budgetError struct {
	object, field string
	err           error
}

func (e *budgetError) Error() string {
	return fmt.Sprintf("field '%s' of '%s': %v", e.field, e.object, e.err)
}

func (e *budgetError) Unwrap() error { return e.err }

// flattenRaw returns o's fields with the ones it inherits (from its parent
// chain and Default) that it does not override.
func (e *evalEnv) flattenRaw(o *PipelineObject) []Field {
	var out []Field
	seenKey := map[string]bool{}
	seen := map[string]bool{}
	add := func(cur *PipelineObject) {
		local := map[string]bool{}
		for _, f := range cur.Fields {
			if seenKey[f.Key] {
				continue
			}
			local[f.Key] = true
			out = append(out, f)
		}
		for k := range local {
			seenKey[k] = true
		}
	}
	for cur := o; cur != nil && !seen[cur.ID]; cur = e.ix.parentOf(cur) {
		seen[cur.ID] = true
		add(cur)
	}
	if d := e.ix.byID[defaultObjectID]; d != nil && !seen[defaultObjectID] {
		add(d)
	}
	return out
}

// flatten is flattenRaw with string values evaluated in o's context. A
// value that cannot be evaluated is left as written, but one whose
// evaluation goes over budget is a *budgetError.
func (e *evalEnv) flatten(o *PipelineObject) ([]Field, error) {
	fs := e.flattenRaw(o)
	for i, f := range fs {
		if f.StringValue != nil && !verbatimKeys[f.Key] {
			v, err := e.evalTemplate(o, *f.StringValue, 0)
			if budgetErr(err) != nil {
				return nil, &budgetError{object: o.ID, field: f.Key, err: err}
			}
			fs[i] = strField(f.Key, v)
		}
	}
	return fs, nil
}

func fmtTime(t time.Time) string { return t.UTC().Format(fieldTime) }

// runtimeMap returns the instance's runtime fields for expressions.
func (i *instanceRecord) runtimeMap() map[string]string {
	m := map[string]string{"@scheduledStartTime": fmtTime(i.Scheduled), "@scheduledEndTime": fmtTime(i.scheduledEnd()), "@id": i.ID}
	if !i.Started.IsZero() {
		m["@actualStartTime"] = fmtTime(i.Started)
	}
	return m
}

// scheduledEnd is the end of the instance's period (its start for
// on-demand instances and those created before it was recorded).
func (i *instanceRecord) scheduledEnd() time.Time {
	if i.ScheduledEnd.IsZero() {
		return i.Scheduled
	}
	return i.ScheduledEnd
}

// instanceFields are the runtime fields of an instance.
func instanceFields(i *instanceRecord, version int) []Field {
	fs := []Field{
		refField("@componentParent", i.Component),
		strField("@pipelineId", i.PipelineID),
		strField("@sphere", sphereInstance),
		strField("@version", fmt.Sprint(version)),
		strField("@status", i.Status),
		strField("@scheduledStartTime", fmtTime(i.Scheduled)),
		strField("@scheduledEndTime", fmtTime(i.scheduledEnd())),
		strField("@attemptCount", fmt.Sprint(i.Attempts)),
	}
	if i.Current != "" {
		fs = append(fs, refField("@headAttempt", i.Current))
	}
	if !i.Started.IsZero() {
		fs = append(fs, strField("@actualStartTime", fmtTime(i.Started)))
	}
	if !i.Ended.IsZero() {
		fs = append(fs, strField("@actualEndTime", fmtTime(i.Ended)))
	}
	if i.ErrorID != "" {
		fs = append(fs, strField("errorId", i.ErrorID))
	}
	if i.ErrorMsg != "" {
		fs = append(fs, strField("errorMessage", i.ErrorMsg))
	}
	if i.CascadeOn != "" {
		fs = append(fs, refField("@cascadeFailedOn", i.CascadeOn))
	}
	for _, d := range i.DependsOn {
		fs = append(fs, refField("@waitingOn", d))
	}
	return fs
}

// attemptFields are the runtime fields of an attempt.
func attemptFields(a *attemptRecord, i *instanceRecord, version int) []Field {
	fs := []Field{
		refField("@componentParent", a.Component),
		refField("@instanceParent", a.InstanceID),
		strField("@pipelineId", a.PipelineID),
		strField("@sphere", sphereAttempt),
		strField("@version", fmt.Sprint(version)),
		strField("@status", a.Status),
		strField("@scheduledStartTime", fmtTime(i.Scheduled)),
		strField("@scheduledEndTime", fmtTime(i.scheduledEnd())),
		strField("@attemptCount", fmt.Sprint(a.N)),
	}
	if !a.Started.IsZero() {
		fs = append(fs, strField("@actualStartTime", fmtTime(a.Started)))
	}
	if !a.Ended.IsZero() {
		fs = append(fs, strField("@actualEndTime", fmtTime(a.Ended)))
	}
	if a.Hostname != "" {
		fs = append(fs, strField("hostname", a.Hostname))
	}
	if a.ErrorID != "" {
		fs = append(fs, strField("errorId", a.ErrorID))
	}
	if a.ErrorMsg != "" {
		fs = append(fs, strField("errorMessage", a.ErrorMsg))
	}
	if a.ErrorStack != "" {
		fs = append(fs, strField("errorStackTrace", a.ErrorStack))
	}
	return append(fs, a.Progress...)
}

func refField(key, id string) Field { return Field{Key: key, RefValue: &id} }

type reportTaskProgressInput struct {
	TaskID string  `json:"taskId"`
	Fields []Field `json:"fields"`
}

type reportTaskProgressOutput struct {
	Canceled bool `json:"canceled"`
}

// ReportTaskProgress acknowledges a task (first call) or keeps it alive.
func (s *Service) ReportTaskProgress(ctx context.Context, in *reportTaskProgressInput) (*reportTaskProgressOutput, error) {
	if err := awsapi.Authorize(ctx, "*"); err != nil {
		return nil, err
	}
	if err := s.checkTask(ctx, in.TaskID); err != nil {
		return nil, err
	}
	res, err := s.eng.Heartbeat(in.TaskID, nil)
	if err != nil {
		return nil, err
	}
	if _, acked := s.acked.m.Load(in.TaskID); !acked || len(in.Fields) > 0 {
		err = s.update(ctx, func(tx store.Tx) error {
			t, err := s.eng.OpenTask(tx, in.TaskID)
			if err != nil {
				return err
			}
			a, err := getAttempt(tx, t.OwnerID, t.OwnerRef)
			if errors.Is(err, store.ErrNotFound) {
				return engine.ErrTaskClosed
			}
			if err != nil {
				return err
			}
			if a.Status != statusRunning && a.Status != statusCanceled {
				return engine.ErrTaskClosed
			}
			if a.Acked && len(in.Fields) == 0 {
				return nil
			}
			a.Acked, a.Token = true, in.TaskID
			if err := s.dropAckTimer(tx, a); err != nil {
				return err
			}
			for _, f := range in.Fields {
				if strings.HasPrefix(f.Key, "@") {
					continue
				}
				a.Progress = setField(a.Progress, f)
			}
			return putAttempt(tx, a)
		})
		if err != nil {
			return nil, err
		}
		s.acked.m.Store(in.TaskID, struct{}{})
	}
	return &reportTaskProgressOutput{Canceled: res.CancelRequested}, nil
}

func setField(fs []Field, f Field) []Field {
	for i := range fs {
		if fs[i].Key == f.Key {
			fs[i] = f
			return fs
		}
	}
	return append(fs, f)
}

type setTaskStatusInput struct {
	TaskID          string `json:"taskId"`
	TaskStatus      string `json:"taskStatus"`
	ErrorID         string `json:"errorId"`
	ErrorMessage    string `json:"errorMessage"`
	ErrorStackTrace string `json:"errorStackTrace"`
}

// failure is the Cause of a failed engine outcome.
type failure struct {
	Message string `json:"message,omitempty"`
	Stack   string `json:"stack,omitempty"`
	False   bool   `json:"false,omitempty"`
}

// SetTaskStatus ends an attempt: FINISHED, FAILED or FALSE.
func (s *Service) SetTaskStatus(ctx context.Context, in *setTaskStatusInput) (*struct{}, error) {
	if err := awsapi.Authorize(ctx, "*"); err != nil {
		return nil, err
	}
	if strings.HasPrefix(in.ErrorID, "Service_") {
		return nil, invalid("Invalid errorId '%s': ids starting with 'Service_' are reserved", in.ErrorID)
	}
	if in.TaskStatus == "FINISHED" || in.TaskStatus == "FAILED" || in.TaskStatus == "FALSE" {
		if err := s.checkTask(ctx, in.TaskID); err != nil {
			return nil, err
		}
	}
	var err error
	switch in.TaskStatus {
	case "FINISHED":
		err = s.eng.Complete(ctx, in.TaskID, nil)
	case "FAILED", "FALSE":
		cause, _ := json.Marshal(failure{Message: in.ErrorMessage, Stack: in.ErrorStackTrace, False: in.TaskStatus == "FALSE"})
		err = s.eng.Fail(ctx, in.TaskID, in.ErrorID, string(cause))
	default:
		return nil, invalid("Invalid taskStatus '%s': give FINISHED, FAILED or FALSE", in.TaskStatus)
	}
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

type runnerHeartbeatInput struct {
	TaskrunnerID string `json:"taskrunnerId"`
	WorkerGroup  string `json:"workerGroup"`
	Hostname     string `json:"hostname"`
}

type runnerHeartbeatOutput struct {
	Terminate bool `json:"terminate"`
}

// runnerRecord is a registered task runner.
type runnerRecord struct {
	ID          string    `json:"id"`
	WorkerGroup string    `json:"workerGroup,omitempty"`
	Hostname    string    `json:"hostname,omitempty"`
	FirstSeen   time.Time `json:"firstSeen"`
	LastSeen    time.Time `json:"lastSeen"`
	// Terminate asks the runner to shut down (set by TerminateRunner).
	Terminate bool `json:"terminate,omitempty"`
}

// ReportTaskRunnerHeartbeat records that a task runner is alive.
func (s *Service) ReportTaskRunnerHeartbeat(ctx context.Context, in *runnerHeartbeatInput) (*runnerHeartbeatOutput, error) {
	if err := awsapi.Authorize(ctx, "*"); err != nil {
		return nil, err
	}
	if in.TaskrunnerID == "" {
		return nil, invalid("taskrunnerId is required")
	}
	now := s.eng.Now().UTC()
	var term bool
	err := s.update(ctx, func(tx store.Tx) error {
		var r runnerRecord
		if _, err := store.GetJSON(tx, kindRunner, in.TaskrunnerID, &r); errors.Is(err, store.ErrNotFound) {
			r = runnerRecord{ID: in.TaskrunnerID, FirstSeen: now}
		} else if err != nil {
			return err
		}
		r.LastSeen = now
		if in.WorkerGroup != "" {
			r.WorkerGroup = in.WorkerGroup
		}
		if in.Hostname != "" {
			r.Hostname = in.Hostname
		}
		term = r.Terminate
		return store.PutJSON(tx, &store.Object{Kind: kindRunner, ID: r.ID}, &r)
	})
	if err != nil {
		return nil, err
	}
	return &runnerHeartbeatOutput{Terminate: term}, nil
}

// owner is the service's engine.Owner.
type owner struct{ s *Service }

// TaskStarted marks the attempt of a task a poll started RUNNING and arms
// the acknowledgement window (markStarted); dispatch did that for a task
// Schedule started.
func (o owner) TaskStarted(tx store.Tx, t *store.Task, by engine.StartKind) error {
	if by == engine.StartedBySchedule {
		return nil
	}
	return o.react(tx, "started", t.OwnerID, t.OwnerRef, "", func(tx store.Tx) error { return o.taskStarted(tx, t) })
}

func (o owner) taskStarted(tx store.Tx, t *store.Task) error {
	s := o.s
	a, err := getAttempt(tx, t.OwnerID, t.OwnerRef)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if a.Status != statusWaitRunner {
		return nil // canceled meanwhile (taskObject skips it)
	}
	inst, err := getInstance(tx, a.PipelineID, a.InstanceID)
	if err != nil {
		return err
	}
	if err := s.markStarted(tx, a, inst, t.Worker); err != nil {
		return err
	}
	if err := putAttempt(tx, a); err != nil {
		return err
	}
	return putInstance(tx, inst)
}

// markStarted records that runner host took attempt a of instance inst:
// both RUNNING, and the acknowledgement window armed. The caller stores
// them.
func (s *Service) markStarted(tx store.Tx, a *attemptRecord, inst *instanceRecord, host string) error {
	now := s.eng.Now().UTC()
	ack := &store.Timer{OwnerKind: ownerKind, OwnerID: a.PipelineID, Kind: timerAck, FireAt: now.Add(s.ackTimeout), Payload: []byte(a.ID)}
	if err := s.eng.SetTimer(tx, ack); err != nil {
		return err
	}
	a.Status, a.Started, a.Hostname, a.AckTimerID = statusRunning, now, host, ack.ID
	inst.Status = statusRunning
	if inst.Started.IsZero() {
		inst.Started = now
	}
	return nil
}

// dropAckTimer cancels attempt a's acknowledgement window, if it is armed.
func (s *Service) dropAckTimer(tx store.Tx, a *attemptRecord) error {
	if a.AckTimerID == 0 {
		return nil
	}
	id := a.AckTimerID
	a.AckTimerID = 0
	return s.eng.CancelTimer(tx, id)
}

// TaskClosed records how an attempt ended and decides what comes next.
func (o owner) TaskClosed(tx store.Tx, t *store.Task, out engine.Outcome) error {
	return o.react(tx, "closed", t.OwnerID, t.OwnerRef, "", func(tx store.Tx) error { return o.taskClosed(tx, t, out) })
}

func (o owner) taskClosed(tx store.Tx, t *store.Task, out engine.Outcome) error {
	a, err := getAttempt(tx, t.OwnerID, t.OwnerRef)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	switch out.Kind {
	case engine.Completed:
		return o.s.attemptEnded(tx, a, statusFinished, "", "", "", endFailure)
	case engine.Failed:
		var f failure
		_ = json.Unmarshal([]byte(out.Cause), &f)
		how := endFailure
		if f.False {
			how = endNotMet
		}
		return o.s.attemptEnded(tx, a, statusFailed, out.Error, f.Message, f.Stack, how)
	case engine.TimedOut:
		msg := "The task runner stopped reporting progress (reportProgressTimeout)"
		if out.Timeout == engine.StartToClose {
			msg = "The attempt ran longer than its attemptTimeout"
		}
		return o.s.attemptEnded(tx, a, statusTimedOut, "TIMEDOUT", msg, "", endFailure)
	default:
		return o.s.attemptEnded(tx, a, statusCanceled, "", "", "", endFailure)
	}
}

// TimerFired handles the acknowledgement window and retry delays.
func (o owner) TimerFired(tx store.Tx, tm *store.Timer) error {
	var attemptID, instanceID string
	switch tm.Kind {
	case timerAck:
		attemptID = string(tm.Payload)
	case timerRetry, timerLate:
		instanceID = string(tm.Payload)
	}
	return o.react(tx, "timer", tm.OwnerID, attemptID, instanceID, func(tx store.Tx) error { return o.timerFired(tx, tm) })
}

func (o owner) timerFired(tx store.Tx, tm *store.Timer) error {
	s := o.s
	switch tm.Kind {
	case timerAck:
		a, err := getAttempt(tx, tm.OwnerID, string(tm.Payload))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil || a.Acked {
			return err
		}
		t, err := tx.GetTask(a.TaskID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.eng.CloseTask(tx, t); err != nil {
			return err
		}
		return s.attemptEnded(tx, a, statusTimedOut, "TIMEDOUT", "The task runner did not acknowledge the task (ReportTaskProgress) within the acknowledgement window", "", endUnacked)
	case timerPeriod:
		return s.periodFired(tx, tm)
	case timerLate:
		return s.lateFired(tx, tm)
	case timerRetry:
		inst, err := getInstance(tx, tm.OwnerID, string(tm.Payload))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil || inst.Status != statusWaitRunner || inst.Current != "" {
			return err
		}
		p, err := loadPipeline(tx, inst.PipelineID)
		if err != nil {
			return nil // deleted meanwhile
		}
		if p.State != stateScheduled {
			// Deactivated: wait as if on dependencies; activation resumes.
			inst.Status = statusWaitDeps
			return putInstance(tx, inst)
		}
		return s.dispatch(tx, inst)
	}
	return nil
}

// errIDInternal is the errorId of an attempt and instance gaffer failed
// because it could not run them on.
const errIDInternal = "Service_InternalError"

// testHookReaction, when set (by tests only), runs at the start of every
// reaction to an engine callback ("started", "closed", "timer"), with the
// attempt or instance it is about.
var testHookReaction func(callback, attemptID, instanceID string)

// react runs fn, the reaction to an engine callback about attempt attemptID
// or instance instanceID (either may be "") of pipeline pipelineID, through engine.React: if it
// fails for a reason of the records' own (one that no longer decodes, a
// panic), its writes are undone and the attempt and its instance are
// FAILED instead (errorId Service_InternalError), in the same transaction,
// so that no stored record can make the writer's work fail again and again.
func (o owner) react(tx store.Tx, callback, pipelineID, attemptID, instanceID string, fn func(tx store.Tx) error) error {
	s := o.s
	return s.eng.React(tx, func(tx store.Tx) error {
		if testHookReaction != nil {
			testHookReaction(callback, attemptID, instanceID)
		}
		return fn(tx)
	}, func(tx store.Tx, cause, stack string) error {
		s.log.Error("pipeline reaction failed; failing its instance", "attempt", attemptID, "instance", instanceID, "cause", cause, "stack", stack)
		return s.failBroken(tx, pipelineID, attemptID, instanceID, "gaffer could not run the instance on: "+cause)
	})
}

// failBroken fails attempt attemptID (if not "") and its instance (or
// instance instanceID) with errorId Service_InternalError and msg, from
// their stored records, and moves the pipeline on as for any failed
// instance (onFail actions, dependents cascade). An attempt whose record no
// longer decodes is replaced by a FAILED one; an instance whose record no
// longer decodes is left as it is (logged).
func (s *Service) failBroken(tx store.Tx, pipelineID, attemptID, instanceID, msg string) error {
	now := s.eng.Now().UTC()
	if attemptID != "" {
		id, _, ok := strings.Cut(attemptID, attemptInfix)
		if !ok {
			return nil
		}
		instanceID = id
		a, err := getAttempt(tx, pipelineID, attemptID)
		var be *engine.BrokenError
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil
		case errors.As(err, &be):
			a = &attemptRecord{ID: attemptID, PipelineID: pipelineID, InstanceID: instanceID, key: runKey(pipelineID, attemptID)}
			if _, err := tx.GetObject(kindAttempt, a.key); errors.Is(err, store.ErrNotFound) {
				a.key = attemptID // stored before ids were scoped to their pipeline
			}
		case err != nil:
			return err
		}
		if a.Status == statusWaitRunner || a.Status == statusRunning {
			if t, err := tx.GetTask(a.TaskID); err == nil && a.TaskID != 0 {
				if err := s.eng.CloseTask(tx, t); err != nil {
					return err
				}
			} else if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if err := s.dropAckTimer(tx, a); err != nil {
			return err
		}
		a.Status, a.Ended, a.ErrorID, a.ErrorMsg = statusFailed, now, errIDInternal, msg
		if err := putAttempt(tx, a); err != nil {
			return err
		}
	}
	if instanceID == "" {
		return nil
	}
	inst, err := getInstance(tx, pipelineID, instanceID)
	var be *engine.BrokenError
	if errors.Is(err, store.ErrNotFound) || errors.As(err, &be) {
		if err != nil && be != nil {
			s.log.Error("pipeline instance record does not decode; left as it is", "instance", instanceID, "err", err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if failedStatus(inst.Status) || inst.Status == statusFinished || attemptID != "" && inst.Current != attemptID {
		return nil // over, or on to another attempt
	}
	inst.Status, inst.Ended, inst.ErrorID, inst.ErrorMsg = statusFailed, now, errIDInternal, msg
	if err := putInstance(tx, inst); err != nil {
		return err
	}
	p, err := loadPipeline(tx, inst.PipelineID)
	if err != nil {
		return nil // deleted meanwhile
	}
	if _, err := s.runActions(tx, p, inst, onFail); err != nil {
		return err
	}
	return s.advance(tx, p, []*instanceRecord{inst})
}

// ending tells attemptEnded how an attempt that did not finish counts.
type ending int

const (
	endFailure ending = iota // FAILED or timed out: retried up to maximumRetries
	endNotMet                // SetTaskStatus FALSE: a precondition is checked again; an activity fails
	endUnacked               // not acknowledged: handed out again at once, not counted as a retry
)

// attemptEnded records the end of attempt a and moves its instance on:
// FINISHED releases dependents; a failure retries after retryDelay up to
// maximumRetries, then fails the instance.
func (s *Service) attemptEnded(tx store.Tx, a *attemptRecord, status, errID, errMsg, stack string, how ending) error {
	now := s.eng.Now().UTC()
	wasCanceled := a.Status == statusCanceled
	if !wasCanceled {
		a.Status = status
	}
	a.Ended = now
	if err := s.dropAckTimer(tx, a); err != nil {
		return err
	}
	if a.Token != "" {
		token := a.Token
		tx.AfterCommit(func() { s.acked.m.Delete(token) })
	}
	notMet := how == endNotMet
	if notMet && errMsg == "" {
		errMsg = "The condition is not met (SetTaskStatus FALSE)"
	}
	if errID != "" || errMsg != "" || stack != "" {
		a.ErrorID, a.ErrorMsg, a.ErrorStack = errID, errMsg, stack
	}
	if err := putAttempt(tx, a); err != nil {
		return err
	}
	inst, err := getInstance(tx, a.PipelineID, a.InstanceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if inst.Current != a.ID || wasCanceled || inst.Status == statusCanceled {
		return nil // superseded or canceled: nothing follows
	}
	p, err := loadPipeline(tx, a.PipelineID)
	if err != nil {
		return nil // deleted meanwhile
	}
	switch {
	case status == statusFinished:
		inst.Status, inst.Ended, inst.ErrorID, inst.ErrorMsg = statusFinished, now, "", ""
	case status == statusCanceled:
		inst.Status, inst.Ended = statusCanceled, now
	case notMet && inst.Precondition && inst.PreconditionTimeout > 0 && now.Before(inst.Started.Add(inst.PreconditionTimeout)):
		// Checked again after retryDelay until preconditionTimeout; a
		// condition not met does not count as a retry.
		inst.RetryBase++
		return s.retryLater(tx, inst, a, now)
	case how == endUnacked:
		// AWS hands an unacknowledged task out again in a later poll: a
		// lost PollForTask answer must not use up a retry.
		inst.RetryBase++
		inst.Status, inst.Current = statusWaitRunner, ""
		if p.State != stateScheduled {
			inst.Status = statusWaitDeps // deactivated meanwhile: activation resumes it
			return putInstance(tx, inst)
		}
		return s.dispatch(tx, inst)
	case (how == endFailure || notMet && inst.Precondition) && inst.Attempts-inst.RetryBase <= inst.MaxRetries:
		return s.retryLater(tx, inst, a, now)
	default:
		inst.Status, inst.Ended, inst.ErrorID, inst.ErrorMsg = statusFailed, now, a.ErrorID, a.ErrorMsg
	}
	if err := putInstance(tx, inst); err != nil {
		return err
	}
	switch inst.Status {
	case statusFinished:
		_, err = s.runActions(tx, p, inst, onSuccess)
	case statusFailed:
		_, err = s.runActions(tx, p, inst, onFail)
	}
	if err != nil {
		return err
	}
	return s.advance(tx, p, []*instanceRecord{inst})
}

// retryLater puts instance inst, whose attempt a failed, back to wait for
// a new attempt after its retryDelay.
func (s *Service) retryLater(tx store.Tx, inst *instanceRecord, a *attemptRecord, now time.Time) error {
	inst.Status, inst.Current = statusWaitRunner, ""
	inst.ErrorID, inst.ErrorMsg = a.ErrorID, a.ErrorMsg
	if err := putInstance(tx, inst); err != nil {
		return err
	}
	return s.eng.SetTimer(tx, &store.Timer{OwnerKind: ownerKind, OwnerID: a.PipelineID, Kind: timerRetry, FireAt: now.Add(inst.RetryDelay), Payload: []byte(inst.ID)})
}
