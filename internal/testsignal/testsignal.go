// Package testsignal lets a component tell tests that something happened,
// at no cost outside tests, so that tests wait on events instead of
// sleeping.
//
// A component holds a Signal as a plain field and calls Signal at the point
// of interest. Until a test calls Init, Signal is one atomic load and does
// nothing. Once initialised, each Signal puts a value in a buffered channel
// without ever blocking the component: when the buffer is full the value is
// dropped. A signal is therefore a wake-up, not a count: a test waits with
// Until, which re-checks its condition (the truth, e.g. a count read under
// the component's lock) on start and after every value. No wake-up that
// matters is lost: a value is dropped only while the buffer is full, and
// then the waiter still has a buffered value to receive after the drop, on
// which it re-checks.
//
// Modelled on river's rivershared/testsignal.
package testsignal

import (
	"sync/atomic"
	"time"
)

// bufferSize is how many values an initialised signal holds before it drops.
const bufferSize = 64

// Signal is a test hook of a component; its zero value is ready to use and
// inert.
type Signal[T any] struct {
	ch atomic.Pointer[chan T]
}

// Init arms the signal; later calls do nothing. It is safe to call while
// the component runs and calls Signal.
func (s *Signal[T]) Init() {
	if s.ch.Load() != nil {
		return
	}
	ch := make(chan T, bufferSize)
	s.ch.CompareAndSwap(nil, &ch)
}

// Signal records that the event happened; it never blocks. Without Init it
// does nothing.
func (s *Signal[T]) Signal(v T) {
	ch := s.ch.Load()
	if ch == nil {
		return
	}
	select {
	case *ch <- v:
	default: // full: a waiter has values to wake on and re-checks its condition
	}
}

// Until arms the signal and waits until cond holds: cond is checked at once
// and again after every signal. It reports whether cond held within the
// given time. cond must not itself cause the signal (or Until spins).
func (s *Signal[T]) Until(within time.Duration, cond func() bool) bool {
	s.Init()
	ch := *s.ch.Load()
	timer := time.NewTimer(within)
	defer timer.Stop()
	for !cond() {
		select {
		case <-ch:
		case <-timer.C:
			return cond()
		}
	}
	return true
}
