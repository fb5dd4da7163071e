package store

import (
	"context"
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

// TestLanesShare: with both lanes full, background runs only on the credit
// request time earns (BackgroundShare of the writer), and is never shut out.
func TestLanesShare(t *testing.T) {
	q := NewLanes[string](64)
	for range 64 {
		q.Queue(LaneRequest) <- "r"
		q.Queue(LaneBackground) <- "b"
	}
	// No credit yet: requests first.
	if _, l := next(t, q); l != LaneRequest {
		t.Fatalf("first lane %d, want request", l)
	}
	var reqTime, bgTime time.Duration
	const reqCost, bgCost = time.Millisecond, 3 * time.Millisecond
	q.Ran(LaneRequest, reqCost)
	reqTime += reqCost
	for range 60 {
		_, l := next(t, q)
		if l == LaneRequest {
			q.Ran(l, reqCost)
			reqTime += reqCost
		} else {
			q.Ran(l, bgCost)
			bgTime += bgCost
		}
	}
	if bgTime == 0 {
		t.Fatal("background never ran beside requests")
	}
	share := float64(bgTime) / float64(bgTime+reqTime)
	// The last background job may overdraw its credit by one job.
	if limit := BackgroundShare + float64(bgCost)/float64(bgTime+reqTime); share > limit {
		t.Errorf("background took %.1f %% of the writer, want at most %.1f %%", 100*share, 100*limit)
	}

	// Background alone: it has the writer, whatever its credit.
	for len(q.Queue(LaneRequest)) > 0 {
		<-q.Queue(LaneRequest)
	}
	q.Ran(LaneBackground, time.Second)
	if _, l := next(t, q); l != LaneBackground {
		t.Errorf("lane %d with only background queued, want background", l)
	}
}
