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
// When both lanes have work queued, the writer gives the background lane at
// most BackgroundShare of its time (measured per transaction), never none:
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
// gets while the request lane has work waiting.
const BackgroundShare = 0.10

// maxCredit bounds the writer time the background lane may bank while it
// has nothing queued, or owe after a long transaction: a burst of
// background work after a quiet spell takes at most this much ahead of
// waiting requests, and one long transaction delays the next background
// one while requests wait by at most maxCredit/BackgroundShare.
const maxCredit = 20 * time.Millisecond

// idleGrace is how long the request lane must have had nothing since its
// last transaction before a background job without credit takes the
// writer (see Lanes.Next).
const idleGrace = 2 * time.Millisecond

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
// share. Updates send to Queue(lane); only the writer goroutine calls Next,
// Drain and Ran.
type Lanes[J any] struct {
	queues [2]chan J
	// credit is the writer time the background lane may still take while
	// requests wait: each request transaction adds its time ×
	// BackgroundShare/(1-BackgroundShare), each background transaction run
	// while requests waited takes its own. Between -maxCredit and maxCredit.
	credit time.Duration
	// charged: the last background job was taken on credit, or while
	// requests waited or had been served within idleGrace.
	charged bool
	// lastRequest is when the last request transaction ended.
	lastRequest time.Time
}

// NewLanes returns lanes of size jobs each.
func NewLanes[J any](size int) *Lanes[J] {
	return &Lanes[J]{queues: [2]chan J{make(chan J, size), make(chan J, size)}}
}

// Queue returns the channel of lane l, to send jobs to (without blocking:
// a full lane is ErrOverloaded).
func (q *Lanes[J]) Queue(l Lane) chan J { return q.queues[l&1] }

// Len returns how many jobs are queued in both lanes.
func (q *Lanes[J]) Len() int { return len(q.queues[0]) + len(q.queues[1]) }

// Cap returns how many jobs both lanes hold.
func (q *Lanes[J]) Cap() int { return cap(q.queues[0]) + cap(q.queues[1]) }

// Next waits for a job and returns it with its lane; ok is false when done
// is closed first. When both lanes have jobs, the background one is taken
// only while the lane has credit. Without credit, a background job also
// waits for the request lane to have been idle for idleGrace since the
// last request transaction: a group commit answers every waiting caller
// at once, so the request lane is empty for a moment after each, while
// those callers send their next requests; were that moment enough, the
// background lane would get a transaction after every request batch.
func (q *Lanes[J]) Next(done <-chan struct{}) (j J, l Lane, ok bool) {
	req, bg := q.queues[LaneRequest], q.queues[LaneBackground]
	if len(bg) > 0 {
		if q.credit > 0 {
			q.charged = true
			return <-bg, LaneBackground, true
		}
		if len(req) > 0 {
			return <-req, LaneRequest, true
		}
		if wait := idleGrace - time.Since(q.lastRequest); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case j = <-req:
				t.Stop()
				return j, LaneRequest, true
			case <-done:
				t.Stop()
				return j, 0, false
			case <-t.C:
			}
		}
		// Only the writer receives: the queued job is still there.
		q.charged = len(req) > 0
		return <-bg, LaneBackground, true
	}
	select {
	case j = <-req:
		return j, LaneRequest, true
	case j = <-bg:
		q.charged = len(req) > 0 || time.Since(q.lastRequest) < idleGrace
		return j, LaneBackground, true
	case <-done:
		return j, 0, false
	}
}

// TryNext returns a queued job of either lane, requests first, without
// waiting (for the writer's last flush when it stops).
func (q *Lanes[J]) TryNext() (j J, l Lane, ok bool) {
	for _, l := range []Lane{LaneRequest, LaneBackground} {
		select {
		case j = <-q.queues[l]:
			return j, l, true
		default:
		}
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
// last returned).
func (q *Lanes[J]) Ran(l Lane, d time.Duration) {
	switch {
	case l == LaneRequest:
		q.credit += time.Duration(float64(d) * BackgroundShare / (1 - BackgroundShare))
		q.lastRequest = time.Now()
	case q.charged:
		q.credit -= d
	}
	q.credit = min(max(q.credit, -maxCredit), maxCredit)
}
