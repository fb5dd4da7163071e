package startstop

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// service is a component built on Base the way the package doc shows: one
// goroutine that runs until its context ends, then records why.
type service struct {
	life    Base
	running chan struct{} // closed once run has begun
	release chan struct{} // run waits for it after the stop, if set
	cause   chan error    // run's context's cause, when it ended
	seen    chan context.Context
}

func newService() *service {
	return &service{running: make(chan struct{}), cause: make(chan error, 1), seen: make(chan context.Context, 1)}
}

func (s *service) Start(ctx context.Context) error {
	ctx, err := s.life.StartInit(ctx)
	if err != nil {
		return err
	}
	s.seen <- ctx
	s.life.Go(s.run)
	return nil
}

func (s *service) run(ctx context.Context) {
	close(s.running)
	<-ctx.Done()
	if s.release != nil {
		<-s.release
	}
	s.cause <- context.Cause(ctx)
}

func (s *service) Stop() { s.life.Stop() }

func TestStartOnce(t *testing.T) {
	t.Parallel()
	s := newService()
	if err := s.Start(t.Context()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := s.Start(t.Context()); !errors.Is(err, ErrStarted) {
		t.Errorf("second Start: %v, want ErrStarted", err)
	}
	s.Stop()
	if err := s.Start(t.Context()); !errors.Is(err, ErrStop) {
		t.Errorf("Start after Stop: %v, want ErrStop", err)
	}
}

func TestStopTwice(t *testing.T) {
	t.Parallel()
	s := newService()
	if err := s.Start(t.Context()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	<-s.running
	s.Stop()
	s.Stop()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(s.Stop) // concurrent stops of a stopped component return too
	}
	wg.Wait()
}

func TestStopBeforeStart(t *testing.T) {
	t.Parallel()
	s := newService()
	s.Stop()
	if err := s.Start(t.Context()); !errors.Is(err, ErrStop) {
		t.Errorf("Start after an early Stop: %v, want ErrStop", err)
	}
	s.Stop()
	var b Base
	b.Stop()
	if b.Go(func(context.Context) { t.Error("goroutine started on a stopped Base") }) {
		t.Error("Go on a Base stopped before it started returned true")
	}
}

func TestStopWaitsForGoroutines(t *testing.T) {
	t.Parallel()
	s := newService()
	s.release = make(chan struct{})
	if err := s.Start(t.Context()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	ctx := <-s.seen
	<-s.running
	stopped := make(chan struct{})
	go func() {
		s.Stop()
		close(stopped)
	}()
	second := make(chan struct{})
	go func() {
		s.Stop() // a concurrent Stop waits as well
		close(second)
	}()
	<-ctx.Done() // a Stop has begun; run is held until release
	select {
	case <-stopped:
		t.Fatal("Stop returned while a goroutine still ran")
	case <-second:
		t.Fatal("second Stop returned while a goroutine still ran")
	default:
	}
	close(s.release)
	<-stopped
	<-second
	// run sends its cause before it returns: after Stop, it must be there.
	select {
	case <-s.cause:
	default:
		t.Fatal("Stop returned before the goroutine did")
	}
}

func TestCauseIsErrStop(t *testing.T) {
	t.Parallel()
	s := newService()
	if err := s.Start(t.Context()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	ctx := <-s.seen
	s.Stop()
	if err := <-s.cause; !errors.Is(err, ErrStop) {
		t.Errorf("cause seen by the goroutine: %v, want ErrStop", err)
	}
	if err := context.Cause(ctx); !errors.Is(err, ErrStop) {
		t.Errorf("context.Cause after Stop: %v, want ErrStop", err)
	}
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Errorf("ctx.Err after Stop: %v, want context.Canceled", ctx.Err())
	}
}

func TestParentEndStopsGoroutines(t *testing.T) {
	t.Parallel()
	parent, cancel := context.WithCancel(t.Context())
	s := newService()
	if err := s.Start(parent); err != nil {
		t.Fatalf("Start: %v", err)
	}
	cancel()
	if err := <-s.cause; !errors.Is(err, context.Canceled) || errors.Is(err, ErrStop) {
		t.Errorf("cause after the parent ended: %v, want context.Canceled", err)
	}
	s.Stop()
}

func TestGoRefusedOnceStopping(t *testing.T) {
	t.Parallel()
	var b Base
	ctx, err := b.StartInit(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	inner := make(chan bool, 1)
	b.Go(func(ctx context.Context) {
		<-ctx.Done()
		// A goroutine that would start another during the stop is refused,
		// so Stop's wait is bounded by the goroutines already running.
		inner <- b.Go(func(context.Context) { t.Error("goroutine started during Stop") })
	})
	b.Stop()
	if <-inner {
		t.Error("Go during Stop returned true")
	}
	if ctx.Err() == nil {
		t.Error("context not done after Stop")
	}
}

func TestGoBeforeStartPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("Go before StartInit did not panic")
		}
	}()
	var b Base
	b.Go(func(context.Context) {})
}
