package engine

import "time"

// Read-only views of the engine's in-memory state for metrics (package
// metrics), and the one seam it needs to count what happens to tasks:
// wrapping the owners. Each view takes the lock of the part it reads, no
// more; none touches the store.

// Observer is told of what the engine measures inside, for metrics
// (Config.Observer). Its methods are called on the engine's own
// goroutines, some on a poll's path: each must be quick, must not block
// and must not call the engine.
type Observer interface {
	// PollHandedOff is called when a poll of queue that found no task
	// and waited is handed one (a scheduled task's id, or a task started
	// for it), with how long it had waited. A poll that finds a task at
	// once, or whose wait ends empty, is not reported.
	PollHandedOff(queue string, waited time.Duration)
	// BeatsFlushed is called when a flush of the heartbeats kept in
	// memory committed, with how many attempts' beats it persisted and
	// the age, when the flush began, of the oldest of them (the latest
	// beat of each attempt): how far the store lagged memory.
	BeatsFlushed(beats int, oldest time.Duration)
	// DeadlineFired is called for each deadline handled (its transaction
	// committed), with its kind (a task's timeout, or an owner's timer)
	// and how late it was handled: the clock when the batch committed
	// less the time it was due.
	DeadlineFired(kind DeadlineKind, late time.Duration)
}

// DeadlineKind tells the deadlines apart for an Observer: a task's
// timeout (any of its four) or an owner's timer.
type DeadlineKind int

// The kinds of deadline.
const (
	TaskTimeout DeadlineKind = iota
	OwnerTimer
)

// String returns the kind's label: task_timeout or timer.
func (k DeadlineKind) String() string {
	if k == OwnerTimer {
		return "timer"
	}
	return "task_timeout"
}

// Counters are the engine's running totals since it started.
type Counters struct {
	// DeadlinesFired counts the deadlines (task timeouts and owner timers)
	// handled: their transaction committed.
	DeadlinesFired int64
	// DeadlinesDropped counts the due deadlines dropped in memory as stale
	// (their task had started or ended meanwhile).
	DeadlinesDropped int64
	// FireBatches counts the store transactions that handled due
	// deadlines.
	FireBatches int64
}

// Counters returns the engine's running totals.
func (e *Engine) Counters() Counters {
	return Counters{
		DeadlinesFired:   e.fired.Load(),
		DeadlinesDropped: e.dropped.Load(),
		FireBatches:      e.fireBatches.Load(),
	}
}

// VisitQueues calls visit for each queue in memory (see Stats) with the
// polls waiting on it and the scheduled task ids it holds. It holds the
// matcher's lock throughout, which polls and schedules take too: visit
// must be quick (add to a total) and must not call the engine.
func (e *Engine) VisitQueues(visit func(queue string, waiting, queued int)) {
	m := e.matcher
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, q := range m.queues {
		visit(name, q.waiters.Len(), len(q.ready)-q.head)
	}
}

// StartedAttempts returns how many started attempts the engine holds in
// memory: the tasks handed to workers and not yet ended.
func (e *Engine) StartedAttempts() int {
	n := 0
	for i := range e.active.shards {
		s := &e.active.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

// Deadlines returns how many deadlines are armed (task timeouts and owner
// timers, stale ones included until they come due) and the earliest of
// them (zero if none): one earlier than now is due and not yet handled.
func (e *Engine) Deadlines() (armed int, earliest time.Time) {
	d := e.deadlines
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.h) > 0 {
		earliest = d.h[0].at
	}
	return len(d.h), earliest
}

// WrapOwners replaces each registered owner o of kind with wrap(kind, o),
// for a wrapper that observes the callbacks (metrics) and passes them on
// unchanged. Call it after the dialects registered and before Start.
func (e *Engine) WrapOwners(wrap func(kind string, o Owner) Owner) {
	for kind, o := range e.owners {
		e.owners[kind] = wrap(kind, o)
	}
}
