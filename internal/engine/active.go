package engine

import (
	"sync"
	"time"
)

// attempt is the in-memory state of a started task attempt: what a heartbeat
// reads and writes without touching the store.
type attempt struct {
	taskID    int64
	attempt   int
	queue     string
	owner     string        // the task's OwnerID
	heartbeat time.Duration // 0: no heartbeat timeout
	partition int           // the task's partition
	// deadlines: the task has a start-to-close, heartbeat or
	// schedule-to-close timeout.
	deadlines bool

	mu              sync.Mutex
	lastBeat        time.Time // latest heartbeat (or start)
	details         []byte    // latest heartbeat details
	dirty           bool      // lastBeat/details not yet persisted
	cancelRequested bool
	// armed: this attempt's deadlines are in this node's heap (its
	// partition is owned here, or was when they were set); arming it
	// again adds none. Release clears it.
	armed bool
	// hbDue is the time of the latest heartbeat deadline set for it, so
	// that two copies of one (armed twice) re-arm as one.
	hbDue time.Time
}

// activeShards spreads the started attempts over several locks so that
// heartbeats from many workers do not contend.
const activeShards = 64

// active holds every started attempt this node owns, by task id.
type active struct {
	shards [activeShards]struct {
		mu sync.RWMutex
		m  map[int64]*attempt
	}
}

func newActive() *active {
	a := &active{}
	for i := range a.shards {
		a.shards[i].m = make(map[int64]*attempt)
	}
	return a
}

func (a *active) shard(id int64) *struct {
	mu sync.RWMutex
	m  map[int64]*attempt
} {
	return &a.shards[uint64(id)%activeShards]
}

func (a *active) get(id int64) *attempt {
	s := a.shard(id)
	s.mu.RLock()
	at := s.m[id]
	s.mu.RUnlock()
	return at
}

// putNew records at unless an entry of the same attempt is there already,
// and returns the entry kept and whether it is at.
func (a *active) putNew(at *attempt) (*attempt, bool) {
	s := a.shard(at.taskID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.m[at.taskID]; cur != nil && cur.attempt == at.attempt {
		return cur, false
	}
	s.m[at.taskID] = at
	return at, true
}

// sweep calls fn for every attempt, under its shard's write lock; fn
// returns true to forget the attempt. fn must not call back into a.
func (a *active) sweep(fn func(at *attempt) bool) {
	for i := range a.shards {
		s := &a.shards[i]
		s.mu.Lock()
		for id, at := range s.m {
			if fn(at) {
				delete(s.m, id)
			}
		}
		s.mu.Unlock()
	}
}

// remove forgets the attempt of task id if it is the given attempt.
func (a *active) remove(id int64, attemptNo int) {
	s := a.shard(id)
	s.mu.Lock()
	if at := s.m[id]; at != nil && at.attempt == attemptNo {
		delete(s.m, id)
	}
	s.mu.Unlock()
}

// dirty returns the attempts with heartbeats not yet persisted, clearing
// their dirty marks.
func (a *active) takeDirty() []beat {
	var out []beat
	for i := range a.shards {
		s := &a.shards[i]
		s.mu.RLock()
		for _, at := range s.m {
			at.mu.Lock()
			if at.dirty {
				at.dirty = false
				out = append(out, beat{taskID: at.taskID, attempt: at.attempt, at: at.lastBeat, details: at.details})
			}
			at.mu.Unlock()
		}
		s.mu.RUnlock()
	}
	return out
}

// beat is a heartbeat to persist.
type beat struct {
	taskID  int64
	attempt int
	at      time.Time
	details []byte
}
