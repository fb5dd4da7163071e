package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// hammer sends the same request (op of dialect) from n concurrent
// clients, first for a warm-up of a fifth of d (at most a second), then
// for d, and returns the measured requests per second and the server's
// CPU time per request.
func hammer(ctx context.Context, ep *endpoint, dl dialect, n int, d time.Duration, op string, body []byte) (rate float64, cpu, clientCPU time.Duration, err error) {
	callers := make([]*caller, n)
	for i := range callers {
		callers[i] = ep.callerFor(dl)
	}
	round := func(d time.Duration) (float64, time.Duration, time.Duration, error) {
		var count atomic.Int64
		elapsed, cpu, clientCPU, err := runLoops(ctx, ep, n, d, func(ctx context.Context, i int, deadline time.Time) error {
			k := int64(0)
			for time.Now().Before(deadline) {
				if _, err := callers[i].call(ctx, op, body); err != nil {
					return err
				}
				k++
			}
			count.Add(k)
			return nil
		})
		if err != nil {
			return 0, 0, 0, err
		}
		k := time.Duration(max(count.Load(), 1))
		return float64(count.Load()) / elapsed.Seconds(), cpu / k, clientCPU / k, nil
	}
	if _, _, _, err := round(min(d/5, time.Second)); err != nil {
		return 0, 0, 0, err
	}
	return round(d)
}

// runLoops runs loop(ctx, i, deadline) in n goroutines, each until it
// returns (the loops stop starting work at deadline = now + d, and finish
// what they started), and returns the time until the last one returned
// and the CPU time the server and the bench used meanwhile. The first
// error stops every loop.
func runLoops(ctx context.Context, ep *endpoint, n int, d time.Duration, loop func(ctx context.Context, i int, deadline time.Time) error) (elapsed, cpu, clientCPU time.Duration, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	cpu0, err := ep.cpuTime()
	if err != nil {
		return 0, 0, 0, err
	}
	own0 := ownCPUTime()
	start := time.Now()
	deadline := start.Add(d)
	for i := range n {
		wg.Go(func() {
			if err := loop(ctx, i, deadline); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	elapsed = time.Since(start)
	own1 := ownCPUTime()
	cpu1, err := ep.cpuTime()
	if err != nil {
		return 0, 0, 0, err
	}
	if err := context.Cause(ctx); err != nil {
		return 0, 0, 0, err
	}
	return elapsed, cpu1 - cpu0, own1 - own0, nil
}
