package engine

import (
	"context"
	"testing"
	"time"
)

// BenchmarkMatcherOfferTake is the matcher's side of a poll that finds a
// task waiting: the queue fills and empties on each cycle.
func BenchmarkMatcherOfferTake(b *testing.B) {
	m := newMatcher(pollLimits{})
	ctx := context.Background()
	deadline := time.Now().Add(time.Hour)
	b.ReportAllocs()
	for i := int64(1); b.Loop(); i++ {
		m.offer("q", i)
		if h, ok, err := m.take(ctx, "q", "w", deadline); !ok || err != nil || h.id != i {
			b.Fatalf("take = %+v, %v, %v; want task %d", h, ok, err, i)
		}
	}
}
