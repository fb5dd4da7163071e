package store

import (
	"context"
	"time"
)

// Lane says which of a store writer's two queues an Update waits in. A
// request's writes (a caller is waiting for the answer) go in LaneRequest,
// the default; work no caller waits on — deadline firings, the later writes
// of a long run of Step Functions states — goes in LaneBackground, through
// a context made by Background.
//
// While requests keep coming, the writer gives the background lane about
// BackgroundShare of its time (measured per transaction), never none:
// heavy background work costs the requests a bounded share of the writer,
// and still moves on. When only one lane has work, it has the writer (the
// background lane once the request lane has been idle for a moment: see
// Lanes.Next).
type Lane uint8

// The two lanes.
const (
	LaneRequest Lane = iota
	LaneBackground
)

// BackgroundShare is the share of the writer's time the background lane
// gets while requests keep coming. Under a client that keeps the lane full
// (long runs of states with large data, started faster than they finish)
// the lane takes all of its share, and each point of it is a point of the
// other clients' throughput on a busy writer: the soak benchmark's
// writer-bound kinds kept 79 % of their throughput at 10 %, and 80.5-83.7 %
// in three runs at 5 %. Whenever the requests leave the writer idle, the lane runs freely.
const BackgroundShare = 0.05

// maxCredit bounds the writer time the background lane may bank: a burst
// after a quiet spell takes at most this much ahead of waiting requests.
const maxCredit = 20 * time.Millisecond

// maxDebt bounds the writer time the background lane may owe. A background
// transaction is charged its whole duration, however long, so that long
// ones get no more than the share (charged at most maxCredit, a 50 ms one
// took 20 % of a busy writer); the bound is for a long run on an idle
// writer, after which background waits at most maxDebt/BackgroundShare
// for a turn of its own while requests keep coming (it still runs
// whenever the request lane is idle).
const maxDebt = time.Second

// idleGrace is how long the request lane must have had nothing, since its
// last transaction, before a background job without credit takes the
// writer (see Lanes.Next).
const idleGrace = 5 * time.Millisecond

type laneKey struct{}

// Background returns a context whose Updates go in the background lane.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, laneKey{}, LaneBackground)
}

// LaneOf returns the lane of Updates made with ctx: LaneBackground under
// Background, LaneRequest otherwise.
func LaneOf(ctx context.Context) Lane {
	if l, ok := ctx.Value(laneKey{}).(Lane); ok {
		return l
	}
	return LaneRequest
}

// Lanes is a writer's two queues and the account of the background lane's
// share: a token bucket in writer time, filled at BackgroundShare of the
// wall clock and emptied by the time background transactions take. Updates
// send to Queue(lane); only the writer goroutine calls Next, TryNext,
// Drain and Ran.
type Lanes[J any] struct {
	queues [2]chan J
	now    func() time.Time // time.Now; tests set their own
	// credit is the writer time the background lane may take now, between
	// -maxDebt and maxCredit, as of filled.
	credit time.Duration
	filled time.Time
	// lastRequest is when the last request transaction ended.
	lastRequest time.Time
	// held is a background job taken off its queue while the writer
	// waited, not yet run (hasHeld).
	held    J
	hasHeld bool
}

// NewLanes returns lanes of size jobs each.
func NewLanes[J any](size int) *Lanes[J] {
	return &Lanes[J]{queues: [2]chan J{make(chan J, size), make(chan J, size)}, now: time.Now}
}

// Queue returns the channel of lane l, to send jobs to (without blocking:
// a full lane is ErrOverloaded).
func (q *Lanes[J]) Queue(l Lane) chan J { return q.queues[l&1] }

// Len returns how many jobs are queued in both lanes (not counting one the
// writer has taken off to decide on).
func (q *Lanes[J]) Len() int { return len(q.queues[0]) + len(q.queues[1]) }

// Cap returns how many jobs each lane holds.
func (q *Lanes[J]) Cap() int { return cap(q.queues[0]) }

// Next waits for a job and returns it with its lane; ok is false when done
// is closed first. A background job is taken when the lane has credit;
// without, when no request is queued and none has been served for
// idleGrace (the writer is otherwise idle), or once the credit comes back.
// The grace matters: a group commit answers every waiting caller at once,
// so the request lane is empty for a moment after each batch while those
// callers send their next requests; were that moment enough, background
// work would take a transaction after every request batch, and the CPU the
// requests need.
func (q *Lanes[J]) Next(done <-chan struct{}) (j J, l Lane, ok bool) {
	req, bg := q.queues[LaneRequest], q.queues[LaneBackground]
	for {
		if q.hasHeld || len(bg) > 0 {
			now := q.fill()
			if q.credit > 0 {
				return q.takeBackground(), LaneBackground, true
			}
			if len(req) > 0 {
				return <-req, LaneRequest, true
			}
			wait := idleGrace - now.Sub(q.lastRequest)
			if wait <= 0 {
				return q.takeBackground(), LaneBackground, true
			}
			wait = min(wait, time.Duration(float64(-q.credit)/BackgroundShare)+time.Microsecond)
			t := time.NewTimer(wait)
			select {
			case j = <-req:
				t.Stop()
				return j, LaneRequest, true
			case <-done:
				t.Stop()
				return j, 0, false
			case <-t.C:
				continue // the credit is back, or the grace over
			}
		}
		select {
		case j = <-req:
			return j, LaneRequest, true
		case q.held = <-bg:
			q.hasHeld = true // decided on the next turn
		case <-done:
			return j, 0, false
		}
	}
}

// takeBackground returns the held background job, or the next queued one
// (only the writer receives: one is there).
func (q *Lanes[J]) takeBackground() J {
	if q.hasHeld {
		j := q.held
		var zero J
		q.held, q.hasHeld = zero, false
		return j
	}
	return <-q.queues[LaneBackground]
}

// fill adds the credit earned since the last fill and returns the time.
func (q *Lanes[J]) fill() time.Time {
	now := q.now()
	if !q.filled.IsZero() {
		q.credit += time.Duration(float64(now.Sub(q.filled)) * BackgroundShare)
		q.credit = min(q.credit, maxCredit)
	}
	q.filled = now
	return now
}

// Serve is a writer's loop: until done is closed it takes the next job
// (Next), adds whatever else waits in the same lane up to max jobs (Drain),
// hands the batch to commit, and counts the time that took against the
// lane (Ran). Once done is closed it commits what is still queued, and
// returns. The batch is cleared after commit returns, so that
// its jobs can be collected.
func (q *Lanes[J]) Serve(done <-chan struct{}, max int, commit func(batch []J)) {
	batch := make([]J, 0, max)
	run := func(j J, l Lane) {
		start := time.Now()
		batch = q.Drain(append(batch[:0], j), l, max)
		commit(batch)
		clear(batch)
		q.Ran(l, time.Since(start))
	}
	for {
		j, l, ok := q.Next(done)
		if !ok {
			break
		}
		run(j, l)
	}
	for {
		j, l, ok := q.TryNext()
		if !ok {
			return
		}
		run(j, l)
	}
}

// TryNext returns a queued job of either lane, requests first, without
// waiting (for the writer's last flush when it stops).
func (q *Lanes[J]) TryNext() (j J, l Lane, ok bool) {
	select {
	case j = <-q.queues[LaneRequest]:
		return j, LaneRequest, true
	default:
	}
	if q.hasHeld || len(q.queues[LaneBackground]) > 0 {
		return q.takeBackground(), LaneBackground, true
	}
	return j, 0, false
}

// Drain appends to batch the jobs queued in lane l, up to max in all. A
// background job has a transaction of its own (Drain adds nothing to it):
// it is a batch already (the engine fires deadlines in batches), and the
// share is measured per transaction, so a batch of several could hold the
// writer for their sum while requests wait.
func (q *Lanes[J]) Drain(batch []J, l Lane, max int) []J {
	if l == LaneBackground {
		return batch
	}
	for len(batch) < max {
		select {
		case j := <-q.queues[l]:
			batch = append(batch, j)
		default:
			return batch
		}
	}
	return batch
}

// Ran records that the writer spent d on a batch of lane l (the one Next
// last returned), which ended now.
func (q *Lanes[J]) Ran(l Lane, d time.Duration) {
	if l == LaneRequest {
		q.lastRequest = q.now()
		return
	}
	q.fill()
	q.credit = max(q.credit-d, -maxDebt)
}
