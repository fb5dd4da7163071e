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
	at   time.Time
	kind deadlineKind
	// partition is the task's or timer's: a deadline of a partition this
	// node no longer owns is dropped when it comes due.
	partition uint16
	id        int64 // task id, or timer id for dlTimer
	attempt   int   // the attempt the deadline belongs to (task deadlines)
	// background marks a timer whose owner fires work nobody waits on in
	// the store's background lane (see BackgroundTimers).
	background bool
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
// are not removed when the thing they guard ends; a due entry is checked
// against the in-memory state and dropped if stale (Engine.stale), and the
// rest against the store when they fire (Engine.apply). So that a long
// timeout does not keep an entry per ended task for its length, the
// deadline loop compacts the heap as it grows (compact, Engine.pending).
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

// due pops up to limit deadlines at or before now and returns them with the
// time of the next one (zero if none; at or before now if more are due).
func (d *deadlines) due(now time.Time, buf []deadline, limit int) ([]deadline, time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for n := 0; n < limit && len(d.h) > 0 && !d.h[0].at.After(now); n++ {
		buf = append(buf, heap.Pop(&d.h).(deadline))
	}
	if c := cap(d.h); c > shrinkMin && c > 4*len(d.h) {
		// A backlog has drained: give back the array it grew (a copy of
		// a heap is a heap).
		d.h = append(make(deadlineHeap, 0, 2*len(d.h)), d.h...)
	}
	if len(d.h) == 0 {
		return buf, time.Time{}
	}
	return buf, d.h[0].at
}

// shrinkMin is the capacity, in entries, below which the heap is not
// reallocated smaller when it empties; shardShrinkMin is an idSet shard's
// (a set of activeShards of them).
const (
	shrinkMin      = 1024
	shardShrinkMin = 64
)

// compact drops the deadlines over, by live, without holding the lock
// while it decides: the heap is swapped for an empty one (add goes on
// into it meanwhile) and the survivors are merged back; then the deadline
// loop is woken, in case it looked at the heap meanwhile.
func (d *deadlines) compact(live func(deadline) bool) (before, after int) {
	d.mu.Lock()
	old := d.h
	d.h = nil
	d.mu.Unlock()
	kept := old[:0]
	for _, dl := range old {
		if live(dl) {
			kept = append(kept, dl)
		}
	}
	clear(old[len(kept):])
	// A fresh array if most went: the old one's size is what compacting
	// is for.
	if cap(kept) > 4*len(kept) {
		kept = append(deadlineHeap(nil), kept...)
	}
	d.mu.Lock()
	kept = append(kept, d.h...)
	d.h = kept
	heap.Init(&d.h)
	after = len(d.h)
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
	return len(old), after
}

// len returns how many deadlines are pending.
func (d *deadlines) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.h)
}

// idSet is a set of task ids spread over several locks, like active;
// each id is kept with its task's partition.
type idSet struct {
	shards [activeShards]idShard
}

type idShard struct {
	mu sync.RWMutex
	m  map[int64]uint16
	// peak is the most ids m held since it was made: a Go map keeps the
	// room of its largest size, so a map down to a quarter of its peak
	// (past shardShrinkMin) is made anew (shrink).
	peak int
}

// shrink makes the shard's map anew if it holds a quarter of its peak or
// less; sh.mu is held. Each id copied was preceded by three deleted.
func (sh *idShard) shrink() {
	if sh.peak <= shardShrinkMin || len(sh.m) > sh.peak/4 {
		return
	}
	m := make(map[int64]uint16, len(sh.m))
	for id, p := range sh.m {
		m[id] = p
	}
	sh.m, sh.peak = m, len(m)
}

func newIDSet() *idSet {
	s := &idSet{}
	for i := range s.shards {
		s.shards[i].m = make(map[int64]uint16)
	}
	return s
}

func (s *idSet) add(id int64) { s.addIn(id, 0) }

// addIn adds id, of a task of partition p, and reports whether it was
// not in the set.
func (s *idSet) addIn(id int64, p int) bool {
	sh := &s.shards[uint64(id)%activeShards]
	sh.mu.Lock()
	_, had := sh.m[id]
	sh.m[id] = uint16(p)
	sh.peak = max(sh.peak, len(sh.m))
	sh.mu.Unlock()
	return !had
}

// take removes id and reports whether it was in the set.
func (s *idSet) take(id int64) bool {
	sh := &s.shards[uint64(id)%activeShards]
	sh.mu.Lock()
	_, had := sh.m[id]
	delete(sh.m, id)
	sh.shrink()
	sh.mu.Unlock()
	return had
}

// removeIn removes every id of the partitions in ps.
func (s *idSet) removeIn(ps map[int]bool) {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for id, p := range sh.m {
			if ps[int(p)] {
				delete(sh.m, id)
			}
		}
		sh.shrink()
		sh.mu.Unlock()
	}
}

func (s *idSet) remove(id int64) {
	sh := &s.shards[uint64(id)%activeShards]
	sh.mu.Lock()
	delete(sh.m, id)
	sh.shrink()
	sh.mu.Unlock()
}

func (s *idSet) has(id int64) bool {
	sh := &s.shards[uint64(id)%activeShards]
	sh.mu.RLock()
	_, ok := sh.m[id]
	sh.mu.RUnlock()
	return ok
}

// ClockMoved tells the engine that its clock (Config.Now) jumped, as a
// manual clock does when a test moves it: the deadline loop wakes, fires
// what is now due and sets its timer again from the new reading. A real
// clock never needs it.
func (e *Engine) ClockMoved() {
	select {
	case e.deadlines.wake <- struct{}{}:
	default:
	}
}
