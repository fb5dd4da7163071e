package store

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestLaneOf(t *testing.T) {
	ctx := t.Context()
	if got := LaneOf(ctx); got != LaneRequest {
		t.Errorf("LaneOf(plain) = %d, want LaneRequest", got)
	}
	bg := Background(ctx)
	if got := LaneOf(bg); got != LaneBackground {
		t.Errorf("LaneOf(Background) = %d, want LaneBackground", got)
	}
	if got := LaneOf(context.WithoutCancel(bg)); got != LaneBackground {
		t.Errorf("LaneOf(derived from Background) = %d, want LaneBackground", got)
	}
}

// next takes the next job, which must be there.
func next(t *testing.T, q *Lanes[string]) (string, Lane) {
	t.Helper()
	j, l, ok := q.Next(nil)
	if !ok {
		t.Fatal("Next: no job")
	}
	return j, l
}

// TestLanesShare: with both lanes full, background gets BackgroundShare of
// the writer's time, and is never shut out, whether its jobs are short or
// much longer than the requests' (a long job is charged in full: it waits
// the longer for its next turn); with only background queued and no
// request for idleGrace, it has the writer.
func TestLanesShare(t *testing.T) {
	const reqCost = time.Millisecond
	var q *Lanes[string]
	for _, bgCost := range []time.Duration{3 * time.Millisecond, 50 * time.Millisecond} {
		q = NewLanes[string](256)
		clock := time.Unix(1000, 0)
		q.now = func() time.Time { return clock }
		var reqTime, bgTime time.Duration
		for bgTime+reqTime < 20*time.Second {
			for len(q.Queue(LaneRequest)) < 128 {
				q.Queue(LaneRequest) <- "r"
			}
			for len(q.Queue(LaneBackground)) < 128 {
				q.Queue(LaneBackground) <- "b"
			}
			_, l := next(t, q)
			cost := reqCost
			if l == LaneBackground {
				cost = bgCost
			}
			clock = clock.Add(cost)
			q.Ran(l, cost)
			if l == LaneBackground {
				bgTime += cost
			} else {
				reqTime += cost
			}
		}
		if bgTime == 0 {
			t.Fatalf("background jobs of %v never ran beside requests", bgCost)
		}
		share := float64(bgTime) / float64(bgTime+reqTime)
		// The bucket may start full (maxCredit) and the last job overdraw it.
		slack := float64(maxCredit+bgCost) / float64(bgTime+reqTime)
		if share > BackgroundShare+slack || share < BackgroundShare-slack {
			t.Errorf("background jobs of %v took %.1f %% of the writer, want %.0f %% ± %.1f", bgCost, 100*share, 100*BackgroundShare, 100*slack)
		}
	}

	// Background alone, credit overdrawn, a request just served: it waits
	// out the grace, then has the writer.
	for len(q.Queue(LaneRequest)) > 0 {
		<-q.Queue(LaneRequest)
	}
	q.now = time.Now
	q.Ran(LaneRequest, reqCost)
	q.Ran(LaneBackground, time.Second)
	if _, l := next(t, q); l != LaneBackground {
		t.Errorf("lane %d with only background queued, want background", l)
	}
}

// Serve commits the jobs in batches of one lane each, up to max, and, once
// done is closed, everything still queued.
func TestLanesServe(t *testing.T) {
	q := NewLanes[string](16)
	for _, j := range []string{"r1", "r2", "r3"} {
		q.Queue(LaneRequest) <- j
	}
	q.Queue(LaneBackground) <- "b1"
	q.Queue(LaneBackground) <- "b2"
	done := make(chan struct{})
	close(done) // all of it is the flush at a stop
	var batches [][]string
	q.Serve(done, 2, func(batch []string) {
		batches = append(batches, slices.Clone(batch))
	})
	var all []string
	for _, b := range batches {
		if len(b) > 2 || len(b) > 1 && b[0][0] != b[1][0] {
			t.Errorf("batch %v: more than 2 jobs, or of both lanes", b)
		}
		if b[0][0] == 'b' && len(b) > 1 {
			t.Errorf("background batch %v: a background job is a transaction of its own", b)
		}
		all = append(all, b...)
	}
	slices.Sort(all)
	if want := []string{"b1", "b2", "r1", "r2", "r3"}; !slices.Equal(all, want) {
		t.Errorf("committed %v, want each of %v once", all, want)
	}
	if len(batches) != 4 {
		t.Errorf("%d batches %v, want 4 (r1 r2 drained together)", len(batches), batches)
	}
}
