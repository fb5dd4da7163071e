package engine

import (
	"container/heap"
	"sync"
	"time"
)

// deadlineKind says what a deadline is for.
type deadlineKind uint8

const (
	dlScheduleToStart deadlineKind = iota + 1
	dlScheduleToClose
	dlStartToClose
	dlHeartbeat
	dlTimer // an owner's durable timer
)

// timeout returns the task timeout a task deadline enforces.
func (k deadlineKind) timeout() TimeoutKind {
	switch k {
	case dlScheduleToStart:
		return ScheduleToStart
	case dlScheduleToClose:
		return ScheduleToClose
	case dlStartToClose:
		return StartToClose
	case dlHeartbeat:
		return Heartbeat
	}
	return 0
}

// deadline is one entry of the deadline queue.
type deadline struct {
	at      time.Time
	kind    deadlineKind
	id      int64 // task id, or timer id for dlTimer
	attempt int   // the attempt the deadline belongs to (task deadlines)
}

// deadlineHeap is a min-heap of deadlines by time.
type deadlineHeap []deadline

func (h deadlineHeap) Len() int           { return len(h) }
func (h deadlineHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h deadlineHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *deadlineHeap) Push(x any)        { *h = append(*h, x.(deadline)) }
func (h *deadlineHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	*h = old[:len(old)-1]
	return d
}

// deadlines is every pending deadline behind one timer: the timer is always
// set for the earliest, and moves only when an earlier one arrives. Entries
// are never removed when the thing they guard ends; a fired entry is checked
// against the current state and dropped if stale.
type deadlines struct {
	mu   sync.Mutex
	h    deadlineHeap
	wake chan struct{} // capacity 1: an earlier deadline was added
}

func newDeadlines() *deadlines {
	return &deadlines{wake: make(chan struct{}, 1)}
}

func (d *deadlines) add(dl deadline) {
	d.mu.Lock()
	heap.Push(&d.h, dl)
	earliest := d.h[0] == dl
	d.mu.Unlock()
	if earliest {
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}
}

// due pops the deadlines at or before now and returns them with the time of
// the next one (zero if none).
func (d *deadlines) due(now time.Time, buf []deadline) ([]deadline, time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for len(d.h) > 0 && !d.h[0].at.After(now) {
		buf = append(buf, heap.Pop(&d.h).(deadline))
	}
	if len(d.h) == 0 {
		return buf, time.Time{}
	}
	return buf, d.h[0].at
}
