package engine

import (
	"container/list"
	"context"
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
type matcher struct {
	mu     sync.Mutex
	queues map[string]*pollQueue
	closed chan struct{} // closed at shutdown: every waiting poll returns empty
	once   sync.Once

	// waits is signalled each time a poll starts waiting (for tests).
	waits testsignal.Signal[struct{}]
}

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

func newMatcher() *matcher {
	return &matcher{queues: make(map[string]*pollQueue), closed: make(chan struct{})}
}

func (m *matcher) queue(name string) *pollQueue {
	q := m.queues[name]
	if q == nil {
		q = &pollQueue{}
		m.queues[name] = q
	}
	return q
}

// offer hands id to the oldest waiting poller of queue, or keeps it for the
// next poll.
func (m *matcher) offer(queue string, id int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := m.queue(queue)
	if !q.handToWaiter(id) {
		q.ready = append(q.ready, id)
	}
}

// handToWaiter gives id to the oldest waiting poller, if there is one.
func (q *pollQueue) handToWaiter(id int64) bool {
	e := q.waiters.Front()
	if e == nil {
		return false
	}
	q.waiters.Remove(e)
	e.Value.(*waiter).ch <- handoff{id: id}
	return true
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
			q.waiters.Remove(e)
			w.reserved = true
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
	if q.handToWaiter(id) {
		return
	}
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
// false if none came.
func (m *matcher) take(ctx context.Context, queue, worker string, deadline time.Time) (h handoff, ok bool) {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	for {
		m.mu.Lock()
		q := m.queue(queue)
		if q.head < len(q.ready) {
			id := q.ready[q.head]
			q.head++
			if q.head == len(q.ready) {
				q.ready, q.head = q.ready[:0], 0
			} else if q.head > 1024 && q.head*2 > len(q.ready) {
				q.ready = append(q.ready[:0], q.ready[q.head:]...)
				q.head = 0
			}
			m.mu.Unlock()
			return handoff{id: id}, true
		}
		select {
		case <-m.closed:
			m.mu.Unlock()
			return handoff{}, false
		default:
		}
		w := &waiter{ctx: ctx, worker: worker, ch: make(chan handoff, 1)}
		e := q.waiters.PushBack(w)
		m.mu.Unlock()
		m.waits.Signal(struct{}{})

		select {
		case h = <-w.ch:
			if h.id != 0 || h.started != nil {
				return h, true
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
				return h, true
			}
			return handoff{}, false
		}
		select {
		case h = <-w.ch:
			// Handed an id just as we gave up: pass it on.
			m.mu.Unlock()
			m.putBack(queue, h.id)
		default:
			q.waiters.Remove(e)
			m.mu.Unlock()
		}
		return handoff{}, false
	}
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
