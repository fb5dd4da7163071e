// Package startstop gives gaffer's long-running components one lifecycle.
//
// A component (the engine, the SQLite store's writer, the server) keeps a
// Base and builds its Start and Stop on it:
//
//	func (c *Component) Start(ctx context.Context) error {
//		ctx, err := c.life.StartInit(ctx)
//		if err != nil {
//			return err // already started, or stopped
//		}
//		if err := c.load(ctx); err != nil { // start-up work, bounded by ctx
//			c.life.Stop()
//			return err
//		}
//		c.life.Go(c.run) // run(ctx) returns once ctx is done
//		return nil
//	}
//
//	func (c *Component) Stop() {
//		// what must happen before the goroutines see the stop
//		c.life.Stop()
//		// what needs them gone
//	}
//
// The rules:
//
//   - Start returns promptly: it does the start-up work the caller must wait
//     for (loading state, opening a listener), starts the component's
//     goroutines and returns. ctx bounds the start-up work and is the parent
//     of the component's context: its values reach every goroutine, and its
//     end stops them as Stop would, without the component's stop ordering.
//     A caller that stops the component with Stop passes a context that does
//     not end by itself.
//   - A component starts once. Start on a running component returns
//     ErrStarted; Start on a stopped one (including one stopped before it
//     was started, or whose Start failed) returns ErrStop. Make a new
//     component to run again.
//   - Stop cancels the component's context with the cause ErrStop
//     (context.Cause tells a stop from any other end) and returns once every
//     goroutine started through Go has returned. It is safe to call more than
//     once, concurrently, and before Start.
//   - Every goroutine of the component is started through Go, so that Stop
//     can wait for it.
package startstop

import (
	"context"
	"errors"
	"sync"
)

// ErrStop is the cause with which Stop cancels a component's context, and
// what Start returns for a component that was stopped.
var ErrStop = errors.New("startstop: stopped")

// ErrStarted is what Start returns for a component that is running.
var ErrStarted = errors.New("startstop: already started")

type state int

const (
	idle state = iota
	running
	stopped
)

// Base is the lifecycle state of one component. The zero value is a
// component that has not started. A Base must not be copied.
type Base struct {
	mu     sync.Mutex
	state  state
	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup
}

// StartInit marks the component as running and returns its context: a
// child of ctx that Stop cancels with ErrStop. It returns ErrStarted if the
// component is running and ErrStop if it was stopped.
func (b *Base) StartInit(ctx context.Context) (context.Context, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case running:
		return nil, ErrStarted
	case stopped:
		return nil, ErrStop
	}
	b.state = running
	b.ctx, b.cancel = context.WithCancelCause(ctx)
	return b.ctx, nil
}

// Go runs f in a new goroutine that Stop waits for, passing it the
// component's context; f must return once that context is done. Once Stop
// has begun, Go starts nothing and returns false. Calling Go before
// StartInit is a programming error: it panics.
func (b *Base) Go(f func(ctx context.Context)) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case idle:
		panic("startstop: Go before StartInit")
	case stopped:
		return false
	}
	// Added under mu while running: Stop's Wait, which comes after the
	// state change under mu, sees every Add.
	b.wg.Add(1)
	ctx := b.ctx
	go func() {
		defer b.wg.Done()
		f(ctx)
	}()
	return true
}

// Stop cancels the component's context with ErrStop and waits until every
// goroutine started through Go has returned. It is safe to call more than
// once, concurrently, and before StartInit (the component then never
// starts).
func (b *Base) Stop() {
	b.mu.Lock()
	if b.state == running {
		b.cancel(ErrStop)
	}
	b.state = stopped
	b.mu.Unlock()
	b.wg.Wait()
}
