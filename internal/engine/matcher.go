package engine

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// matcher is the long-poll rendezvous. Each queue holds the ids of its
// scheduled tasks in order, and the pollers waiting on it. A task id offered
// while a poller waits goes straight to that poller; otherwise it waits in
// the queue for the next poll. The matcher is a hint: the store is the truth,
// and a poller that is handed an id still has to start the task durably (a
// task canceled meanwhile is skipped).
type matcher struct {
	mu     sync.Mutex
	queues map[string]*pollQueue
	closed chan struct{} // closed at shutdown: every waiting poll returns empty
	once   sync.Once
}

type pollQueue struct {
	ready   []int64 // scheduled task ids, oldest first (ready[head:])
	head    int
	waiters list.List // of *waiter, oldest first
}

type waiter struct {
	ch chan int64 // capacity 1: receives at most one id
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
	e.Value.(*waiter).ch <- id
	return true
}

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

// take returns the next task id of queue, waiting until one is offered, ctx
// ends, the deadline passes or the matcher closes; ok is false if none came.
func (m *matcher) take(ctx context.Context, queue string, deadline time.Time) (id int64, ok bool) {
	m.mu.Lock()
	q := m.queue(queue)
	if q.head < len(q.ready) {
		id = q.ready[q.head]
		q.head++
		if q.head == len(q.ready) {
			q.ready, q.head = q.ready[:0], 0
		} else if q.head > 1024 && q.head*2 > len(q.ready) {
			q.ready = append(q.ready[:0], q.ready[q.head:]...)
			q.head = 0
		}
		m.mu.Unlock()
		return id, true
	}
	select {
	case <-m.closed:
		m.mu.Unlock()
		return 0, false
	default:
	}
	w := &waiter{ch: make(chan int64, 1)}
	e := q.waiters.PushBack(w)
	m.mu.Unlock()

	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case id = <-w.ch:
		return id, true
	case <-ctx.Done():
	case <-t.C:
	case <-m.closed:
	}
	m.mu.Lock()
	select {
	case id = <-w.ch:
		// Handed an id just as we gave up: pass it on.
		m.mu.Unlock()
		m.putBack(queue, id)
	default:
		q.waiters.Remove(e)
		m.mu.Unlock()
	}
	return 0, false
}

// close releases every waiting poller; later polls return at once.
func (m *matcher) close() {
	m.once.Do(func() { close(m.closed) })
}

// waiting reports how many pollers wait on queue (for tests and metrics).
func (m *matcher) waiting(queue string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if q := m.queues[queue]; q != nil {
		return q.waiters.Len()
	}
	return 0
}
