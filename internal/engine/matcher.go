package engine

import (
	"container/list"
	"context"
	"maps"
	"sync"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/testsignal"
)

// matcher is the long-poll rendezvous. Each queue holds the ids of its
// scheduled tasks in order, and the pollers waiting on it. A task id offered
// while a poller waits goes straight to that poller; otherwise it waits in
// the queue for the next poll. The matcher is a hint: the store is the truth,
// and a poller that is handed an id still has to start the task durably (a
// task canceled meanwhile is skipped).
//
// A transaction that schedules a task may instead reserve the oldest
// waiting poller and start the task for it in the same transaction
// (Engine.Schedule): the reserved poller then waits for that transaction's
// outcome — the started task once it commits (fulfil), or nothing if it
// fails (release), after which it goes back to waiting.
//
// A queue is in memory only while it is not empty: the operation that takes
// its last task id or its last waiting poller frees it (and keeps the struct
// for reuse), so queue names that clients poll once and never again cost
// nothing for good. Every queue is reached through the map under mu; the
// only pointer held outside it is a waiting poller's to its own queue, which
// its presence keeps from being freed.
//
// Waiting polls are capped per queue and in all (limits); a poll past a cap
// is refused at once with ErrTooManyPollers or ErrTooManyPolls.
type matcher struct {
	mu     sync.Mutex
	queues map[string]*pollQueue
	// grown is the most queues held since queues was made: a Go map
	// does not shrink, so once far fewer are held it is made again.
	grown  int
	spare  []*pollQueue // freed queues, reused so that a queue that empties and fills again allocates nothing
	limits pollLimits
	// polls and queued count the waiting pollers and the held task ids of
	// every queue (Stats).
	polls  int
	queued int
	closed chan struct{} // closed at shutdown: every waiting poll returns empty
	once   sync.Once
	obs    Observer // told of polls handed a task after waiting; may be nil

	// waits is signalled each time a poll starts waiting, and each time
	// one gives up waiting (for tests).
	waits testsignal.Signal[struct{}]
}

// pollLimits caps waiting polls; 0 means no cap.
type pollLimits struct {
	perQueue int
	total    int
}

// maxSpareQueues bounds the freed queues kept for reuse, and
// maxSpareReady the capacity of a reused queue's id slice.
// The map of queues is made again when it holds under an eighth of the
// most it held, once that was over minRegrow.
const (
	maxSpareQueues = 64
	maxSpareReady  = 1024
	minRegrow      = 1024
)

type pollQueue struct {
	ready   []int64 // scheduled task ids, oldest first (ready[head:])
	head    int
	waiters list.List // of *waiter, oldest first
}

// handoff is what a waiting poller receives: the id of a scheduled task to
// start, a task already started for it, or neither (its reservation was
// released).
type handoff struct {
	id      int64
	started *store.Task
}

type waiter struct {
	ctx    context.Context // the poll's: a poller whose client is gone is not reserved
	worker string
	ch     chan handoff // capacity 1: receives at most one handoff per wait
	// reserved is set (under matcher.mu) when a scheduling transaction
	// took this poller off the list to start a task for it.
	reserved bool
}

func newMatcher(limits pollLimits, obs Observer) *matcher {
	return &matcher{queues: make(map[string]*pollQueue), limits: limits, closed: make(chan struct{}), obs: obs}
}

// queue returns the queue named name, creating it if it is not in memory.
// The caller holds m.mu and leaves the queue non-empty, or frees it.
func (m *matcher) queue(name string) *pollQueue {
	q := m.queues[name]
	if q == nil {
		if n := len(m.spare); n > 0 {
			q = m.spare[n-1]
			m.spare[n-1] = nil
			m.spare = m.spare[:n-1]
		} else {
			q = &pollQueue{}
		}
		m.queues[name] = q
		m.grown = max(m.grown, len(m.queues))
	}
	return q
}

// freeIfIdle drops queue q, named name, from memory if it holds no task id
// and no poller waits on it. The caller holds m.mu.
func (m *matcher) freeIfIdle(name string, q *pollQueue) {
	if q.head < len(q.ready) || q.waiters.Len() > 0 {
		return
	}
	delete(m.queues, name)
	if n := len(m.queues); m.grown > minRegrow && n < m.grown/8 {
		// Amortised: at least 7/8 of the peak were deleted since.
		queues := make(map[string]*pollQueue, n) // not maps.Clone: it keeps the capacity
		maps.Copy(queues, m.queues)
		m.queues = queues
		m.grown = n
	}
	if len(m.spare) < maxSpareQueues {
		if cap(q.ready) > maxSpareReady {
			q.ready = nil
		}
		q.ready, q.head = q.ready[:0], 0
		m.spare = append(m.spare, q)
	}
}

// offer hands id to the oldest waiting poller of queue, or keeps it for the
// next poll.
func (m *matcher) offer(queue string, id int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := m.queue(queue)
	if m.handToWaiter(q, id) {
		m.freeIfIdle(queue, q)
		return
	}
	q.ready = append(q.ready, id)
	m.queued++
}

// offerWaiting hands id to the oldest poller waiting on queue and reports
// whether one was there; it never keeps id (on a shared store, pollers
// that come later look in the store).
func (m *matcher) offerWaiting(queue string, id int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := m.queues[queue]
	if q == nil || !m.handToWaiter(q, id) {
		return false
	}
	m.freeIfIdle(queue, q)
	return true
}

// handToWaiter gives id to the oldest poller waiting on q, if there is
// one. The caller holds m.mu.
func (m *matcher) handToWaiter(q *pollQueue, id int64) bool {
	e := q.waiters.Front()
	if e == nil {
		return false
	}
	m.removeWaiter(q, e)
	e.Value.(*waiter).ch <- handoff{id: id}
	return true
}

// removeWaiter takes a waiting poller off q's list. The caller holds m.mu.
func (m *matcher) removeWaiter(q *pollQueue, e *list.Element) {
	q.waiters.Remove(e)
	m.polls--
}

// reserve takes the oldest waiting poller of queue whose client is still
// there off the list, for a transaction to start a task for it; nil if
// none waits or the matcher is closed. The caller must end the reservation
// with fulfil or release.
func (m *matcher) reserve(queue string) *waiter {
	m.mu.Lock()
	defer m.mu.Unlock()
	select {
	case <-m.closed:
		return nil
	default:
	}
	q := m.queues[queue]
	if q == nil {
		return nil
	}
	for e := q.waiters.Front(); e != nil; e = e.Next() {
		if w := e.Value.(*waiter); w.ctx.Err() == nil {
			m.removeWaiter(q, e)
			w.reserved = true
			m.freeIfIdle(queue, q)
			return w
		}
	}
	return nil
}

// fulfil hands reserved poller w the task started for it.
func (m *matcher) fulfil(w *waiter, t *store.Task) { w.ch <- handoff{started: t} }

// release ends w's reservation without a task: it goes back to waiting.
func (m *matcher) release(w *waiter) { w.ch <- handoff{} }

// putBack returns id to the front of queue: it was handed to a poller that
// could not take it.
func (m *matcher) putBack(queue string, id int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := m.queue(queue)
	if m.handToWaiter(q, id) {
		m.freeIfIdle(queue, q)
		return
	}
	m.queued++
	if q.head > 0 {
		q.head--
		q.ready[q.head] = id
		return
	}
	q.ready = append([]int64{id}, q.ready...)
}

// take returns the next task of queue for a poll by worker: the id of a
// scheduled task, or a task already started for this poller. It waits until
// one comes, ctx ends, the deadline passes or the matcher closes; ok is
// false if none came. A poll that would wait past a limit is refused with
// ErrTooManyPollers or ErrTooManyPolls.
func (m *matcher) take(ctx context.Context, queue, worker string, deadline time.Time) (h handoff, ok bool, err error) {
	return m.takeLooking(ctx, queue, worker, deadline, nil)
}

// takeLooking is take with look, if not nil, called once the poller is on
// the waiting list (and only the first time it is): so a task id that look
// offers, or any offered from then on, reaches a waiting poller.
func (m *matcher) takeLooking(ctx context.Context, queue, worker string, deadline time.Time, look func()) (h handoff, ok bool, err error) {
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	admitted := false        // a poller back from a released reservation is not refused
	var waitedFrom time.Time // when the poll first waited, with an observer
	for {
		m.mu.Lock()
		if q := m.queues[queue]; q != nil && q.head < len(q.ready) {
			id := q.ready[q.head]
			q.head++
			m.queued--
			if q.head == len(q.ready) {
				q.ready, q.head = q.ready[:0], 0
				m.freeIfIdle(queue, q)
			} else if q.head > 1024 && q.head*2 > len(q.ready) {
				q.ready = append(q.ready[:0], q.ready[q.head:]...)
				q.head = 0
			}
			m.mu.Unlock()
			return handoff{id: id}, true, nil
		}
		select {
		case <-m.closed:
			m.mu.Unlock()
			return handoff{}, false, nil
		default:
		}
		if !admitted {
			if err := m.admit(queue); err != nil {
				m.mu.Unlock()
				return handoff{}, false, err
			}
			admitted = true
		}
		q := m.queue(queue)
		w := &waiter{ctx: ctx, worker: worker, ch: make(chan handoff, 1)}
		e := q.waiters.PushBack(w)
		m.polls++
		m.mu.Unlock()
		if look != nil {
			look()
			look = nil
		}
		m.waits.Signal(struct{}{}) // after the look: tests see a poll that waits and has looked
		if t == nil {
			t = time.NewTimer(time.Until(deadline))
			if m.obs != nil {
				waitedFrom = time.Now()
			}
		}

		select {
		case h = <-w.ch:
			if h.id != 0 || h.started != nil {
				m.handedOff(queue, waitedFrom)
				return h, true, nil
			}
			continue // a reservation released: wait again
		case <-ctx.Done():
		case <-t.C:
		case <-m.closed:
		}
		m.mu.Lock()
		if w.reserved {
			// A transaction is starting a task for this poller: its
			// outcome is a commit away. A task started for it is its
			// answer, even past the deadline.
			m.mu.Unlock()
			if h = <-w.ch; h.started != nil {
				m.handedOff(queue, waitedFrom)
				return h, true, nil
			}
			return handoff{}, false, nil
		}
		select {
		case h = <-w.ch:
			// Handed an id just as we gave up: pass it on.
			m.mu.Unlock()
			m.putBack(queue, h.id)
		default:
			// Still on the list, so q is still the queue's in memory.
			m.removeWaiter(q, e)
			m.freeIfIdle(queue, q)
			m.mu.Unlock()
			m.waits.Signal(struct{}{})
		}
		return handoff{}, false, nil
	}
}

// handedOff tells the observer, if any, that a poll of queue waiting
// since from was handed a task.
func (m *matcher) handedOff(queue string, from time.Time) {
	if m.obs != nil {
		m.obs.PollHandedOff(queue, time.Since(from))
	}
}

// admit refuses a poll that would wait on queue past a limit. The caller
// holds m.mu.
func (m *matcher) admit(queue string) error {
	if m.limits.total > 0 && m.polls >= m.limits.total {
		return ErrTooManyPolls
	}
	if m.limits.perQueue > 0 {
		if q := m.queues[queue]; q != nil && q.waiters.Len() >= m.limits.perQueue {
			return ErrTooManyPollers
		}
	}
	return nil
}

// close releases every waiting poller; later polls return at once.
func (m *matcher) close() {
	m.once.Do(func() { close(m.closed) })
}

// waiting reports how many pollers wait on queue.
func (m *matcher) waiting(queue string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if q := m.queues[queue]; q != nil {
		return q.waiters.Len()
	}
	return 0
}

// waitingQueues returns the queues polls wait on.
func (m *matcher) waitingQueues() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var qs []string
	for name, q := range m.queues {
		if q.waiters.Len() > 0 {
			qs = append(qs, name)
		}
	}
	return qs
}

// stats reports the matcher's part of Stats.
func (m *matcher) stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Stats{Queues: len(m.queues), WaitingPolls: m.polls, QueuedTasks: m.queued}
}
