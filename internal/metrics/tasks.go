package metrics

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// class is a queue's dialect and kind: the labels of task and queue
// series. Queue names are the clients' (activity ARNs, task lists, worker
// groups) and unbounded, so they are not labels.
type class int

const (
	classSFNActivity class = iota
	classSFNIntegration
	classSWFActivity
	classSWFDecision
	classPipelineTask
	classOther
	numClasses
)

// classLabels are each class's dialect and queue_kind labels.
var classLabels = [numClasses][2]string{
	classSFNActivity:    {"sfn", "activity"},
	classSFNIntegration: {"sfn", "integration"},
	classSWFActivity:    {"swf", "activity"},
	classSWFDecision:    {"swf", "decision"},
	classPipelineTask:   {"pipeline", "task"},
	classOther:          {"other", "other"},
}

// classify returns the class of an engine queue from the prefix its
// dialect gives it (sfn.queueOf and the integrations' queues,
// swf.activityQueue and decisionQueue, pipeline's taskQueue).
func classify(queue string) class {
	switch {
	case strings.HasPrefix(queue, "sfn:"):
		return classSFNActivity
	case strings.HasPrefix(queue, "sfn-int:"):
		return classSFNIntegration
	case strings.HasPrefix(queue, "swf:a:"):
		return classSWFActivity
	case strings.HasPrefix(queue, "swf:d:"):
		return classSWFDecision
	case strings.HasPrefix(queue, "pipeline|"), strings.HasPrefix(queue, "pipeline@"):
		return classPipelineTask
	}
	return classOther
}

// Task outcomes, the outcome label of gaffer_tasks_closed_total.
const (
	outcomeCompleted = iota
	outcomeFailed
	outcomeTimedOut
	outcomeCanceled
	numOutcomes
)

var outcomeLabels = [numOutcomes]string{"completed", "failed", "timed_out", "canceled"}

// outcomeOf maps the engine's outcome kinds to the indexes above.
func outcomeOf(k engine.OutcomeKind) int {
	switch k {
	case engine.Failed:
		return outcomeFailed
	case engine.TimedOut:
		return outcomeTimedOut
	case engine.Canceled:
		return outcomeCanceled
	}
	return outcomeCompleted
}

// timeoutKinds are the engine's timeout kinds, the timeout label of
// gaffer_task_timeouts_total (indexed by engine.TimeoutKind).
var timeoutKinds = []engine.TimeoutKind{engine.ScheduleToStart, engine.ScheduleToClose, engine.StartToClose, engine.Heartbeat}

// classSeries are one class's pre-resolved series. The inc funcs are the
// counters' Inc as func values made once, so that registering one as an
// AfterCommit callback allocates nothing.
type classSeries struct {
	incScheduled, incStarted func()
	closed                   [numOutcomes]prometheus.Counter
	incClosed                [numOutcomes]func()
	incTimeout               [engine.Heartbeat + 1]func()
	waited                   prometheus.Observer
}

// tasks are the metrics of tasks, by class.
type tasks struct {
	classes [numClasses]classSeries
}

// waitBuckets are the buckets of gaffer_task_schedule_to_start_seconds:
// from a task handed straight to a waiting poller to one that waited a day.
var waitBuckets = []float64{0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14400, 86400}

func (ts *tasks) init(reg prometheus.Registerer) {
	labels := []string{"dialect", "queue_kind"}
	scheduled := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gaffer_tasks_scheduled_total",
		Help: "Tasks scheduled (put in a queue), by dialect and queue kind.",
	}, labels)
	started := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gaffer_tasks_started_total",
		Help: "Task attempts started (handed to a worker), by dialect and queue kind.",
	}, labels)
	closed := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gaffer_tasks_closed_total",
		Help: "Tasks ended, by dialect, queue kind and outcome (completed, failed, timed_out, canceled).",
	}, append(labels, "outcome"))
	timeouts := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gaffer_task_timeouts_total",
		Help: "Tasks timed out, by dialect, queue kind and timeout (SCHEDULE_TO_START, SCHEDULE_TO_CLOSE, START_TO_CLOSE, HEARTBEAT).",
	}, append(labels, "timeout"))
	waited := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gaffer_task_schedule_to_start_seconds",
		Help:    "Time from a task's scheduling to its first attempt's start (how long it waited for a worker), by dialect and queue kind.",
		Buckets: waitBuckets,
	}, labels)
	reg.MustRegister(scheduled, started, closed, timeouts, waited)
	for c := range numClasses {
		l := classLabels[c]
		s := &ts.classes[c]
		s.incScheduled = scheduled.WithLabelValues(l[0], l[1]).Inc
		s.incStarted = started.WithLabelValues(l[0], l[1]).Inc
		for o := range numOutcomes {
			s.closed[o] = closed.WithLabelValues(l[0], l[1], outcomeLabels[o])
			s.incClosed[o] = s.closed[o].Inc
		}
		for _, k := range timeoutKinds {
			s.incTimeout[k] = timeouts.WithLabelValues(l[0], l[1], k.String()).Inc
		}
		s.waited = waited.WithLabelValues(l[0], l[1])
	}
}

// of returns class c's series.
func (ts *tasks) of(c class) *classSeries { return &ts.classes[c] }

// WrapOwner returns o counting, once their transaction commits, the task
// attempts it is told started and the tasks it is told ended; pass it to
// engine.Engine.WrapOwners. Every callback is o's, unchanged.
func (m *Metrics) WrapOwner(_ string, o engine.Owner) engine.Owner {
	return &owner{Owner: o, tasks: &m.tasks}
}

type owner struct {
	engine.Owner
	tasks *tasks
}

func (o *owner) TaskStarted(tx store.Tx, t *store.Task, by engine.StartKind) error {
	if err := o.Owner.TaskStarted(tx, t, by); err != nil {
		return err
	}
	s := o.tasks.of(classify(t.Queue))
	tx.AfterCommit(s.incStarted)
	if t.Attempt == 1 {
		// Observed now, not after the commit: a start undone later is
		// rare, and a closure to carry the value would cost an allocation.
		s.waited.Observe(max(t.StartedAt.Sub(t.ScheduledAt), 0).Seconds())
	}
	return nil
}

func (o *owner) TaskClosed(tx store.Tx, t *store.Task, out engine.Outcome) error {
	if err := o.Owner.TaskClosed(tx, t, out); err != nil {
		return err
	}
	s := o.tasks.of(classify(t.Queue))
	tx.AfterCommit(s.incClosed[outcomeOf(out.Kind)])
	if out.Kind == engine.TimedOut && out.Timeout >= engine.ScheduleToStart && out.Timeout <= engine.Heartbeat {
		tx.AfterCommit(s.incTimeout[out.Timeout])
	}
	return nil
}

// WrapStore returns s timing every Update (gaffer_store_update_seconds),
// counting those refused as overloaded, and counting the tasks its
// transactions insert (gaffer_tasks_scheduled_total) once they commit.
// View and Close are s's.
func (m *Metrics) WrapStore(s store.Store) store.Store {
	return &meteredStore{Store: s, m: m}
}

type meteredStore struct {
	store.Store
	m *Metrics
}

// Unwrap returns the store WrapStore wrapped: what to type-assert for the
// optional interfaces of a store (store.Fencer, store.Notifier), which the
// wrapper does not have.
func (s *meteredStore) Unwrap() store.Store { return s.Store }

func (s *meteredStore) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	start := time.Now()
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		return fn(&meteredTx{Tx: tx, tasks: &s.m.tasks})
	})
	s.m.store.update.Observe(time.Since(start).Seconds())
	if err != nil && errors.Is(err, store.ErrOverloaded) {
		s.m.store.overloaded.Inc()
	}
	return err
}

// meteredTx counts the tasks inserted through it.
type meteredTx struct {
	store.Tx
	tasks *tasks
}

func (tx *meteredTx) InsertTask(t *store.Task) error {
	if err := tx.Tx.InsertTask(t); err != nil {
		return err
	}
	tx.Tx.AfterCommit(tx.tasks.of(classify(t.Queue)).incScheduled)
	return nil
}

func (tx *meteredTx) Savepoint(fn func(tx store.Tx) error) error {
	return tx.Tx.Savepoint(func(inner store.Tx) error {
		return fn(&meteredTx{Tx: inner, tasks: tx.tasks})
	})
}
