package testsignal

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestSignalWithoutInitDoesNothing(t *testing.T) {
	t.Parallel()
	var s Signal[int]
	for i := range 2 * bufferSize {
		s.Signal(i) // neither blocks nor panics
	}
}

func TestUntilWakesOnSignal(t *testing.T) {
	t.Parallel()
	var s Signal[struct{}]
	var n atomic.Int64
	s.Init()
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 3 {
			n.Add(1)
			s.Signal(struct{}{})
		}
	})
	if !s.Until(10*time.Second, func() bool { return n.Load() == 3 }) {
		t.Fatalf("Until: n = %d, want 3", n.Load())
	}
	wg.Wait()
}

// A full buffer drops values, yet a waiter sees the condition become true.
func TestUntilAfterDrops(t *testing.T) {
	t.Parallel()
	var s Signal[int]
	s.Init()
	var n atomic.Int64
	for i := range 3 * bufferSize {
		n.Add(1)
		s.Signal(i)
	}
	if !s.Until(10*time.Second, func() bool { return n.Load() == 3*bufferSize }) {
		t.Fatal("Until did not see the condition")
	}
}

func TestUntilTimesOut(t *testing.T) {
	t.Parallel()
	var s Signal[int]
	if s.Until(time.Millisecond, func() bool { return false }) {
		t.Fatal("Until = true for a condition that never holds")
	}
}
