package pipeline

// Activation and the run state of a pipeline: instances and attempts.
//
// # Records
//
//   - an instance (kind "pipeline.instance", ID "@<componentId>_<time>",
//     Parent the pipelineId, Status its @status) is one run of one activity
//     component;
//   - an attempt (kind "pipeline.attempt", ID "<instanceId>_Attempt=<n>",
//     Parent the pipelineId, Status its @status) is one try of an instance,
//     handed to a task runner as one engine task (a new engine task, hence a
//     new taskId, per attempt).
//
// Statuses follow the AWS developer guide: an instance goes
// WAITING_ON_DEPENDENCIES → WAITING_FOR_RUNNER → RUNNING → FINISHED | FAILED
// | CANCELED | CASCADE_FAILED; an attempt WAITING_FOR_RUNNER → RUNNING →
// FINISHED | FAILED | TIMEDOUT | CANCELED.
//
// # Decisions where AWS is silent
//
//   - On-demand activities (scheduleType ondemand, or no schedule) get one
//     instance per activation; scheduled ones one per period of their
//     Schedule (see schedule.go).
//   - ActivatePipeline of an active pipeline whose run is not over does
//     nothing; of a FINISHED (or never run) pipeline starts a new run; of a
//     deactivated pipeline resumes its run (instances that were canceled stay
//     so).
//   - maximumRetries defaults to 2 and is capped at 5; retryDelay defaults
//     to Config.RetryDelay (2 minutes) and, unlike AWS (minimum 2 minutes),
//     any period is accepted. Periods may be given in seconds ("2 seconds"),
//     a gaffer extension so that tests run fast.
//   - An attempt that hits its attemptTimeout or its reportProgressTimeout
//     (default 15 minutes) ends TIMEDOUT and counts as a failure. One not
//     acknowledged within the acknowledgement window (Config.AckTimeout,
//     default 2 minutes, enforced by an owner timer since the engine has one
//     heartbeat timeout per task) ends TIMEDOUT too, but its instance is
//     handed out again at once without spending a retry: AWS gives such a
//     task to a later poll, and a lost PollForTask answer is not the
//     task's failure.
//   - With failureAndRerunMode none (the default), instances depending on
//     a failed one stay WAITING_ON_DEPENDENCIES; with cascade they become
//     CASCADE_FAILED. A run is over (the pipeline FINISHED) when no instance
//     can make progress.
//   - SetTaskStatus FALSE is for preconditions (see progress.go); on an
//     activity it ends the instance FAILED without retries.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// Object kinds of the run state.
const (
	kindInstance = "pipeline.instance" // ID: runKey(pipelineId, instance id); Parent: pipelineId; Status: @status
	kindAttempt  = "pipeline.attempt"  // ID: runKey(pipelineId, attempt id); Parent: pipelineId; Status: @status
	kindRunner   = "pipeline.runner"   // ID: taskrunnerId; Body: runnerRecord
)

// ownerKind is the engine owner kind of Data Pipeline tasks and timers.
const ownerKind = "pipeline"

// Pipeline and object states.
const (
	stateScheduled   = "SCHEDULED"
	stateInactive    = "INACTIVE"
	stateFinished    = "FINISHED"
	statusWaitDeps   = "WAITING_ON_DEPENDENCIES"
	statusWaitRunner = "WAITING_FOR_RUNNER"
	statusRunning    = "RUNNING"
	statusFinished   = "FINISHED"
	statusFailed     = "FAILED"
	statusCanceled   = "CANCELED"
	statusCascade    = "CASCADE_FAILED"
	statusTimedOut   = "TIMEDOUT"
	statusPaused     = "PAUSED"
)

// Defaults of the timing fields.
const (
	defaultMaxRetries     = 2
	maxMaxRetries         = 5
	defaultReportProgress = 15 * time.Minute
	defaultAckTimeout     = 2 * time.Minute
	defaultRetryDelay     = 10 * time.Minute // AWS's default retryDelay
)

// instanceRecord is one run of an activity component.
type instanceRecord struct {
	ID             string        `json:"id"`
	PipelineID     string        `json:"pipelineId"`
	Component      string        `json:"component"`
	Run            int           `json:"run"` // activation run number
	Status         string        `json:"status"`
	Scheduled      time.Time     `json:"scheduled"`
	ScheduledEnd   time.Time     `json:"scheduledEnd,omitzero"`
	Started        time.Time     `json:"started,omitzero"`
	Ended          time.Time     `json:"ended,omitzero"`
	Attempts       int           `json:"attempts"`
	RetryBase      int           `json:"retryBase,omitempty"` // Attempts when last rerun
	DependsOn      []string      `json:"dependsOn,omitempty"` // instance ids
	WorkerGroup    string        `json:"workerGroup"`
	MaxRetries     int           `json:"maxRetries"`
	RetryDelay     time.Duration `json:"retryDelay"`
	AttemptTimeout time.Duration `json:"attemptTimeout,omitempty"`
	ReportProgress time.Duration `json:"reportProgress"`
	Cascade        bool          `json:"cascade,omitempty"`
	Current        string        `json:"current,omitempty"` // the latest attempt's id
	ErrorID        string        `json:"errorId,omitempty"`
	ErrorMsg       string        `json:"errorMessage,omitempty"`
	CascadeOn      string        `json:"cascadeFailedOn,omitempty"`
	// Precondition marks the check of a precondition of the activity
	// instance in Dependents; PreconditionTimeout bounds how long a
	// condition not met (SetTaskStatus FALSE) is checked again.
	Precondition        bool          `json:"precondition,omitempty"`
	PreconditionTimeout time.Duration `json:"preconditionTimeout,omitempty"`
	// Dependents are the instances whose DependsOn holds this one.
	Dependents []string `json:"dependents,omitempty"`
	// MaxActive is the component's maxActiveInstances (0: no limit).
	MaxActive int `json:"maxActive,omitempty"`
	// LateAfter is the component's lateAfterTimeout (0: none).
	LateAfter time.Duration `json:"lateAfter,omitempty"`

	// stored is the status the record was read or last written with, for
	// the run's bookkeeping (noteTransition).
	stored string
	// key is the store key the record was read from ("" if new): a record
	// stored before ids were scoped to their pipeline moves to its runKey
	// when next written.
	key string
}

// attemptRecord is one try of an instance.
type attemptRecord struct {
	ID         string    `json:"id"`
	N          int       `json:"n"`
	InstanceID string    `json:"instanceId"`
	PipelineID string    `json:"pipelineId"`
	Component  string    `json:"component"`
	Status     string    `json:"status"`
	TaskID     int64     `json:"taskId"`
	Acked      bool      `json:"acked,omitempty"`
	Hostname   string    `json:"hostname,omitempty"`
	Created    time.Time `json:"created"`
	Started    time.Time `json:"started,omitzero"`
	Ended      time.Time `json:"ended,omitzero"`
	ErrorID    string    `json:"errorId,omitempty"`
	ErrorMsg   string    `json:"errorMessage,omitempty"`
	ErrorStack string    `json:"errorStackTrace,omitempty"`
	Progress   []Field   `json:"progress,omitempty"`   // fields set by ReportTaskProgress
	Canceled   bool      `json:"canceled,omitempty"`   // cancellation was requested
	Token      string    `json:"token,omitempty"`      // its taskId (the engine token), once the runner acknowledged it
	AckTimerID int64     `json:"ackTimerId,omitempty"` // the armed acknowledgement window, until acknowledged or ended

	key string // as instanceRecord.key
}

// attemptInfix joins an instance id and an attempt's number in the
// attempt's id.
const attemptInfix = "_Attempt="

// runKey is the store key of a pipeline's instance or attempt with id.
// Instance and attempt ids are AWS's ("@<component>_<time>",
// "@<component>_<time>_Attempt=<n>"), unique only within their pipeline,
// as on AWS: two pipelines activated in the same second have the same ids,
// each its own object.
func runKey(pipelineID, id string) string {
	return pipelineID + "/" + id
}

// putInstance stores an instance and keeps the run's bookkeeping.
func putInstance(tx store.Tx, in *instanceRecord) error {
	return putInstances(tx, []*instanceRecord{in})
}

// putInstances stores instances of one pipeline and keeps the run's
// bookkeeping.
func putInstances(tx store.Tx, ins []*instanceRecord) error {
	if err := noteTransitions(tx, ins); err != nil {
		return err
	}
	for _, in := range ins {
		in.stored = in.Status
		key := runKey(in.PipelineID, in.ID)
		if err := moveLegacy(tx, kindInstance, in.key, key); err != nil {
			return err
		}
		in.key = key
		if err := store.PutJSON(tx, &store.Object{Kind: kindInstance, ID: key, Parent: in.PipelineID, Status: in.Status}, in); err != nil {
			return err
		}
	}
	return nil
}

func putAttempt(tx store.Tx, a *attemptRecord) error {
	key := runKey(a.PipelineID, a.ID)
	if err := moveLegacy(tx, kindAttempt, a.key, key); err != nil {
		return err
	}
	a.key = key
	return store.PutJSON(tx, &store.Object{Kind: kindAttempt, ID: key, Parent: a.PipelineID, Status: a.Status}, a)
}

// moveLegacy deletes the record stored under from (read from before ids
// were scoped to their pipeline) that is about to be written under key.
func moveLegacy(tx store.Tx, kind, from, key string) error {
	if from == "" || from == key {
		return nil
	}
	if err := tx.DeleteObject(kind, from); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// getRecord reads a record of a run; one that no longer decodes is an
// *engine.BrokenError.
func getRecord(tx store.Tx, kind, id string, v any) error {
	o, err := tx.GetObject(kind, id)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(o.Body, v); err != nil {
		return engine.Brokenf("%s %s does not decode: %v", kind, id, err)
	}
	return nil
}

// getRunObject reads pipelineID's instance or attempt id into v and
// returns the key it is stored under: its runKey, or, for a record stored
// before ids were scoped to their pipeline, the bare id if the record is
// the pipeline's. Another pipeline's id is store.ErrNotFound.
func getRunObject(tx store.Tx, kind, pipelineID, id string, v any) (string, error) {
	key := runKey(pipelineID, id)
	err := getRecord(tx, kind, key, v)
	if !errors.Is(err, store.ErrNotFound) {
		return key, err
	}
	o, err := tx.GetObject(kind, id)
	if err != nil {
		return "", err
	}
	if o.Parent != pipelineID {
		return "", store.ErrNotFound
	}
	if err := json.Unmarshal(o.Body, v); err != nil {
		return "", engine.Brokenf("%s %s does not decode: %v", kind, id, err)
	}
	return id, nil
}

// getInstance returns pipelineID's instance id.
func getInstance(tx store.Tx, pipelineID, id string) (*instanceRecord, error) {
	var in instanceRecord
	key, err := getRunObject(tx, kindInstance, pipelineID, id, &in)
	if err != nil {
		return nil, err
	}
	in.stored, in.key = in.Status, key
	return &in, nil
}

// getAttempt returns pipelineID's attempt id.
func getAttempt(tx store.Tx, pipelineID, id string) (*attemptRecord, error) {
	var a attemptRecord
	key, err := getRunObject(tx, kindAttempt, pipelineID, id, &a)
	if err != nil {
		return nil, err
	}
	a.key = key
	return &a, nil
}

// listInstances returns a pipeline's instances in creation order.
func listInstances(tx store.Tx, pipelineID string) ([]*instanceRecord, error) {
	if testHookListInstances != nil {
		testHookListInstances(pipelineID)
	}
	objs, err := tx.ListObjects(store.ObjectQuery{Kind: kindInstance, Parent: pipelineID})
	if err != nil {
		return nil, err
	}
	out := make([]*instanceRecord, 0, len(objs))
	for _, o := range objs {
		var in instanceRecord
		if err := jsonDecode(o, &in); err != nil {
			return nil, err
		}
		in.stored, in.key = in.Status, o.ID
		out = append(out, &in)
	}
	return out, nil
}

// testHookListInstances, when set (by tests only), is called with the
// pipeline ID each time a pipeline's instances are listed: they are all
// its runs', so the hot paths must not.
var testHookListInstances func(pipelineID string)

// listAttempts returns a pipeline's attempts in creation order.
func listAttempts(tx store.Tx, pipelineID string) ([]*attemptRecord, error) {
	objs, err := tx.ListObjects(store.ObjectQuery{Kind: kindAttempt, Parent: pipelineID})
	if err != nil {
		return nil, err
	}
	out := make([]*attemptRecord, 0, len(objs))
	for _, o := range objs {
		var a attemptRecord
		if err := jsonDecode(o, &a); err != nil {
			return nil, err
		}
		a.key = o.ID
		out = append(out, &a)
	}
	return out, nil
}

// parsePeriod parses a Data Pipeline period ("15 minutes", "1 hour", "2
// days"); seconds ("2 seconds") are a gaffer extension.
func parsePeriod(v string) (time.Duration, error) {
	f := strings.Fields(strings.TrimSpace(v))
	if len(f) != 2 {
		return 0, fmt.Errorf("'%s' is not a period like '15 minutes'", v)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 0 {
		return 0, fmt.Errorf("'%s' is not a period like '15 minutes'", v)
	}
	var unit time.Duration
	switch strings.TrimSuffix(strings.ToLower(f[1]), "s") {
	case "second":
		unit = time.Second
	case "minute":
		unit = time.Minute
	case "hour":
		unit = time.Hour
	case "day":
		unit = 24 * time.Hour
	case "week":
		unit = 7 * 24 * time.Hour
	case "month":
		unit = 30 * 24 * time.Hour
	case "year":
		unit = 365 * 24 * time.Hour
	default:
		return 0, fmt.Errorf("'%s' has an unknown unit; give seconds, minutes, hours, days, weeks, months or years", v)
	}
	return time.Duration(n) * unit, nil
}

type activateInput struct {
	PipelineID      string            `json:"pipelineId"`
	ParameterValues []ParameterValue  `json:"parameterValues"`
	StartTimestamp  *awsapi.Timestamp `json:"startTimestamp"`
}

type deactivateInput struct {
	PipelineID   string `json:"pipelineId"`
	CancelActive *bool  `json:"cancelActive"`
}

// ActivatePipeline starts (or resumes) a run of the pipeline's definition.
func (s *Service) ActivatePipeline(ctx context.Context, in *activateInput) (*struct{}, error) {
	if err := s.authorize(ctx, in.PipelineID); err != nil {
		return nil, err
	}
	now := s.eng.Now().UTC().Truncate(time.Second)
	start := now
	if in.StartTimestamp != nil && !in.StartTimestamp.IsZero() {
		start = in.StartTimestamp.UTC().Truncate(time.Second)
	}
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPipelineIn(ctx, tx, in.PipelineID)
		if err != nil {
			return err
		}
		latest, over, err := latestRun(tx, p, nil)
		if err != nil {
			return err
		}
		pending, err := schedulePending(tx, p)
		if err != nil {
			return err
		}
		if p.State == stateScheduled && (pending || !over) {
			return nil // already active
		}
		if p.State == stateInactive && (pending || !over) {
			p.State = stateScheduled
			if err := s.resumeSchedules(tx, p); err != nil {
				return err
			}
			if err := putPipeline(tx, p); err != nil {
				return err
			}
			return s.advance(tx, p, nil)
		}
		defLatest, ok, err := loadDefinition(tx, p.ID, versionLatest)
		if err != nil {
			return err
		}
		if !ok {
			return invalid("Pipeline %s has no definition: put one with PutPipelineDefinition before activating it", p.ID)
		}
		def := *defLatest
		if len(in.ParameterValues) > 0 {
			def.ParameterValues = in.ParameterValues
			if rep := validateDefinition(p.ID, def.Objects, def.ParameterObjects, def.ParameterValues); rep.errored() {
				return invalid("Invalid parameterValues: %s", rep.errs[0].Errors)
			}
		}
		run := latest + 1
		created, err := s.newInstances(tx, p, &def, run, start, start, "")
		if err != nil {
			return err
		}
		p.Run, p.Activated, p.Paused = run, now, nil
		scheds, err := s.armSchedules(tx, p, &def, run)
		if err != nil {
			return err
		}
		if err := putDefinition(tx, p.ID, versionActive, &def); err != nil {
			return err
		}
		p.ActiveVersion = def.Version
		p.State = stateScheduled
		if len(created) == 0 && scheds == 0 {
			p.State = stateFinished
		}
		if err := putPipeline(tx, p); err != nil {
			return err
		}
		return s.advance(tx, p, created)
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// dispatch creates the next attempt of instance i and schedules its task.
func (s *Service) dispatch(tx store.Tx, i *instanceRecord) error {
	i.Attempts++
	a := &attemptRecord{
		ID: fmt.Sprintf("%s"+attemptInfix+"%d", i.ID, i.Attempts), N: i.Attempts, InstanceID: i.ID,
		PipelineID: i.PipelineID, Component: i.Component, Status: statusWaitRunner, Created: s.eng.Now().UTC(),
	}
	p, err := loadPipeline(tx, i.PipelineID)
	if err != nil {
		return err
	}
	t := &store.Task{
		Queue: s.taskQueue(s.region(p), i.WorkerGroup), OwnerKind: ownerKind, OwnerID: i.PipelineID, OwnerRef: a.ID,
		StartToClose: i.AttemptTimeout, Heartbeat: i.ReportProgress,
	}
	sch, err := s.eng.Schedule(tx, t)
	if err != nil {
		return err
	}
	a.TaskID = t.ID
	i.Status, i.Current = statusWaitRunner, a.ID
	if sch.Started {
		// Started for a waiting runner in this transaction: record it now
		// (TaskStarted, StartedBySchedule, has nothing to do).
		if err := s.markStarted(tx, a, i, sch.Worker); err != nil {
			return err
		}
	}
	if err := putAttempt(tx, a); err != nil {
		return err
	}
	return putInstance(tx, i)
}

// taskQueue is the engine queue of a worker group (exact, case-sensitive).
//
// Each region's worker groups are apart: the queue of a worker group of the
// node's default region keeps the name it always had, "pipeline|<group>";
// another region's is "pipeline@<region>|<group>".
func (s *Service) taskQueue(region, workerGroup string) string {
	if region == s.home {
		return "pipeline|" + workerGroup
	}
	return "pipeline@" + region + "|" + workerGroup
}

// queueRegion returns the region of a task queue (taskQueue).
func (s *Service) queueRegion(queue string) string {
	if rest, ok := strings.CutPrefix(queue, "pipeline@"); ok {
		region, _, _ := strings.Cut(rest, "|")
		return region
	}
	return s.home
}

// checkTask answers a taskId the caller may not use as one that does not
// exist: a taskId is an id too, and its attempt belongs to its pipeline,
// which only its own region sees. The taskId of another region's pipeline
// answers as an ended attempt's does (engine.ErrTaskClosed:
// TaskNotFoundException); an unknown or ended one as the engine's verbs
// answer it. The check reads memory only (the queue names the region).
func (s *Service) checkTask(ctx context.Context, taskID string) error {
	q, err := s.eng.TaskQueue(taskID)
	if err != nil {
		return err
	}
	if s.queueRegion(q) != awsapi.Region(ctx) {
		return engine.ErrTaskClosed
	}
	return nil
}

// DeactivatePipeline stops dispatching the pipeline's instances and, with
// cancelActive (the default), cancels its running and waiting attempts:
// the runner's next ReportTaskProgress answers canceled=true.
func (s *Service) DeactivatePipeline(ctx context.Context, in *deactivateInput) (*struct{}, error) {
	if err := s.authorize(ctx, in.PipelineID); err != nil {
		return nil, err
	}
	cancelActive := in.CancelActive == nil || *in.CancelActive
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPipelineIn(ctx, tx, in.PipelineID)
		if err != nil {
			return err
		}
		if p.State != stateScheduled {
			return nil
		}
		p.State = stateInactive
		if err := putPipeline(tx, p); err != nil {
			return err
		}
		if !cancelActive {
			return nil
		}
		insts, err := listInstances(tx, p.ID)
		if err != nil {
			return err
		}
		for _, i := range insts {
			if i.Status == statusWaitRunner || i.Status == statusRunning {
				if err := s.cancelInstance(tx, i, "Canceled by DeactivatePipeline"); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// cancelInstance cancels an instance: a waiting attempt ends at once, a
// running one is asked to stop (its holder learns it from
// ReportTaskProgress; the instance is CANCELED now either way).
func (s *Service) cancelInstance(tx store.Tx, i *instanceRecord, reason string) error {
	now := s.eng.Now().UTC()
	if i.Current != "" {
		a, err := getAttempt(tx, i.PipelineID, i.Current)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if a != nil && (a.Status == statusWaitRunner || a.Status == statusRunning) {
			t, err := tx.GetTask(a.TaskID)
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return err
			case t.State == store.TaskStarted:
				if err := s.eng.RequestCancel(tx, t); err != nil {
					return err
				}
			default:
				if err := s.eng.CloseTask(tx, t); err != nil {
					return err
				}
			}
			a.Status, a.Canceled, a.Ended, a.ErrorMsg = statusCanceled, true, now, reason
			if err := putAttempt(tx, a); err != nil {
				return err
			}
		}
	}
	i.Status, i.Ended = statusCanceled, now
	return putInstance(tx, i)
}

// deleteRun removes a pipeline's run state: its open tasks (their taskIds
// die), timers, instances, attempts and taskId index.
func (s *Service) deleteRun(tx store.Tx, pipelineID string) error {
	tasks, err := tx.ListTasks(store.TaskQuery{OwnerKind: ownerKind, OwnerID: pipelineID})
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if err := s.eng.CloseTask(tx, t); err != nil {
			return err
		}
		if t.State != store.TaskStarted {
			continue
		}
		// An acknowledged attempt's taskId is remembered until its attempt
		// ends; this one ends here.
		a, err := getAttempt(tx, pipelineID, t.OwnerRef)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if a != nil && a.Token != "" {
			token := a.Token
			tx.AfterCommit(func() { s.acked.m.Delete(token) })
		}
	}
	timers, err := tx.ListTimers(store.TimerQuery{OwnerKind: ownerKind, OwnerID: pipelineID})
	if err != nil {
		return err
	}
	for _, tm := range timers {
		if err := s.eng.CancelTimer(tx, tm.ID); err != nil {
			return err
		}
	}
	if err := tx.DeleteObject(kindRunState, pipelineID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	for _, kind := range []string{kindInstance, kindAttempt, kindHealth} {
		objs, err := tx.ListObjects(store.ObjectQuery{Kind: kind, Parent: pipelineID})
		if err != nil {
			return err
		}
		for _, o := range objs {
			if err := tx.DeleteObject(kind, o.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// freeInstanceID returns base, or base with the first "_<n>" suffix (from
// 2) that no instance of the pipeline has and taken does not hold (a
// pipeline activated again within the same second).
func freeInstanceID(tx store.Tx, pipelineID, base string, taken map[string]bool) (string, error) {
	id := base
	for n := 2; ; n++ {
		used, err := instanceExists(tx, pipelineID, id)
		if err != nil {
			return "", err
		}
		if !used && !taken[id] {
			return id, nil
		}
		id = fmt.Sprintf("%s_%d", base, n)
	}
}

// instanceExists reports whether pipelineID has an instance id, without
// decoding it.
func instanceExists(tx store.Tx, pipelineID, id string) (bool, error) {
	_, err := tx.GetObject(kindInstance, runKey(pipelineID, id))
	if errors.Is(err, store.ErrNotFound) {
		var o *store.Object
		o, err = tx.GetObject(kindInstance, id) // stored before ids were scoped
		if err == nil && o.Parent != pipelineID {
			err = store.ErrNotFound
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
