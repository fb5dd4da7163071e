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

	mu              sync.Mutex
	lastBeat        time.Time // latest heartbeat (or start)
	details         []byte    // latest heartbeat details
	dirty           bool      // lastBeat/details not yet persisted
	cancelRequested bool
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

func (a *active) put(at *attempt) {
	s := a.shard(at.taskID)
	s.mu.Lock()
	s.m[at.taskID] = at
	s.mu.Unlock()
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
