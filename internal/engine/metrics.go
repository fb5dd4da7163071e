package engine

import "time"

// Read-only views of the engine's in-memory state for metrics (package
// metrics), and the one seam it needs to count what happens to tasks:
// wrapping the owners. Each view takes the lock of the part it reads, no
// more; none touches the store.

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
