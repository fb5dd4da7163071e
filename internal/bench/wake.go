package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptrace"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// wake is the wake phase: waking a waiting poller.
func (b *bench) wake(ctx context.Context, gaffer *endpoint) error {
	o := b.cfg
	activity, machine, err := setupMachine(ctx, gaffer, "bench-wake")
	if err != nil {
		return err
	}
	startBody := mustJSON(map[string]any{"stateMachineArn": machine, "input": "{}"})
	pollBody := mustJSON(map[string]any{"activityArn": activity, "workerName": "bench"})
	poller, starter := gaffer.caller(), gaffer.caller()

	type polled struct {
		at    time.Time
		token string
		err   error
	}
	// sample returns the time from sending StartExecution to the poll's
	// answer, and to StartExecution's own answer.
	sample := func() (wake, start time.Duration, err error) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		wrote := make(chan struct{})
		var once sync.Once
		trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(func() { close(wrote) }) }}
		done := make(chan polled, 1)
		go func() {
			var task struct{ TaskToken string }
			err := poller.callJSON(httptrace.WithClientTrace(ctx, trace), "GetActivityTask", pollBody, &task)
			done <- polled{at: time.Now(), token: task.TaskToken, err: err}
		}()
		select {
		case <-wrote:
		case p := <-done:
			if p.err != nil {
				return 0, 0, p.err
			}
			return 0, 0, errors.New("GetActivityTask answered before any execution was started")
		}
		time.Sleep(wakeSettle)
		t0 := time.Now()
		if err := starter.callJSON(ctx, "StartExecution", startBody, nil); err != nil {
			return 0, 0, err
		}
		start = time.Since(t0)
		p := <-done
		if p.err != nil {
			return 0, 0, p.err
		}
		if p.token == "" {
			return 0, 0, fmt.Errorf("GetActivityTask returned no task within %v of StartExecution", serverPollWait)
		}
		wake = p.at.Sub(t0)
		if _, err := starter.call(ctx, "SendTaskSuccess", mustJSON(map[string]any{"taskToken": p.token, "output": "{}"})); err != nil {
			return 0, 0, err
		}
		return wake, start, nil
	}
	samples := func() (lats, starts []time.Duration, err error) {
		lats = make([]time.Duration, 0, o.Samples)
		starts = make([]time.Duration, 0, o.Samples)
		for i := range wakeWarmup + o.Samples {
			wake, start, err := sample()
			if err != nil {
				return nil, nil, err
			}
			if i >= wakeWarmup {
				lats = append(lats, wake)
				starts = append(starts, start)
			}
		}
		slices.Sort(lats)
		slices.Sort(starts)
		return lats, starts, nil
	}
	b.progress("wake: %d samples, one waiting poller", o.Samples)
	lats, starts, err := samples()
	if err != nil {
		return err
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	target := fmt.Sprintf("< %.0f ms", targetWakeP99*1000)
	p99 := percentile(lats, 0.99)
	r := b.report
	r.add(phaseWake, "p50_ms", "StartExecution sent → waiting poll answered, p50", ms(percentile(lats, 0.50)), "ms")
	r.addTarget(phaseWake, "p99_ms", "StartExecution sent → waiting poll answered, p99", ms(p99), "ms", target, p99.Seconds() < targetWakeP99)
	r.add(phaseWake, "max_ms", "StartExecution sent → waiting poll answered, max", ms(lats[len(lats)-1]), "ms")
	r.add(phaseWake, "start_p50_ms", "StartExecution sent → its own answer (durable), p50", ms(percentile(starts, 0.50)), "ms")
	r.add(phaseWake, "start_p99_ms", "StartExecution sent → its own answer (durable), p99", ms(percentile(starts, 0.99)), "ms")

	// The same under a background cycle at half the rate the server can
	// sustain (measured here, unpaced, on an activity of its own).
	load, err := b.startWakeLoad(ctx, gaffer)
	if err != nil {
		return err
	}
	b.progress("wake: %d samples beside a background cycle of %.0f executions/s", o.Samples, load.rate)
	lats, _, err = samples()
	if lerr := load.stop(); err == nil {
		err = lerr
	}
	if err != nil {
		return err
	}
	p99 = percentile(lats, 0.99)
	r.add(phaseWake, "load_rate", "background cycle during the loaded samples (half the unpaced rate)", load.rate, "exec/s")
	r.add(phaseWake, "load_p50_ms", "the same beside the background cycle, p50", ms(percentile(lats, 0.50)), "ms")
	r.addTarget(phaseWake, "load_p99_ms", "the same beside the background cycle, p99", ms(p99), "ms", target, p99.Seconds() < targetWakeP99)
	return nil
}

// wakeLoad is the wake phase's background cycle.
type wakeLoad struct {
	rate   float64 // executions/s it is paced at
	cancel context.CancelCauseFunc
	err    func() error // the error that stopped it early, if any
	wg     sync.WaitGroup
}

// stop ends the background cycle and returns its first error.
func (l *wakeLoad) stop() error {
	l.cancel(errWakeLoadDone)
	l.wg.Wait()
	return l.err()
}

var errWakeLoadDone = errors.New("wake load stopped")

// startWakeLoad measures the cycle's unpaced rate with -workers loops for
// a fifth of -duration (at most a second), then runs the same loops paced
// at half that rate until stopped.
func (b *bench) startWakeLoad(ctx context.Context, gaffer *endpoint) (*wakeLoad, error) {
	o := b.cfg
	activity, machine, err := setupMachine(ctx, gaffer, "bench-wake-load")
	if err != nil {
		return nil, err
	}
	startBody := mustJSON(map[string]any{"stateMachineArn": machine, "input": "{}"})
	pollBody := mustJSON(map[string]any{"activityArn": activity, "workerName": "bench-load"})
	cycle := func(ctx context.Context, cl *caller) error {
		if err := cl.callJSON(ctx, "StartExecution", startBody, nil); err != nil {
			return err
		}
		var task struct{ TaskToken string }
		if err := cl.callJSON(ctx, "GetActivityTask", pollBody, &task); err != nil {
			return err
		}
		if task.TaskToken == "" {
			return fmt.Errorf("GetActivityTask returned no task within %v although executions were started", serverPollWait)
		}
		_, err := cl.call(ctx, "SendTaskSuccess", mustJSON(map[string]any{"taskToken": task.TaskToken, "output": "{}"}))
		return err
	}
	d := min(o.Duration/5, time.Second)
	b.progress("wake: measuring the unpaced cycle rate, %d workers, %v", o.Workers, d)
	var count atomic.Int64
	elapsed, _, _, err := runLoops(ctx, gaffer, o.Workers, d, func(ctx context.Context, i int, deadline time.Time) error {
		cl := gaffer.caller()
		for time.Now().Before(deadline) {
			if err := cycle(ctx, cl); err != nil {
				return err
			}
			count.Add(1)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rate := float64(count.Load()) / elapsed.Seconds() / 2
	lctx, cancel := context.WithCancelCause(ctx)
	l := &wakeLoad{rate: rate, cancel: cancel}
	l.err = func() error {
		if err := context.Cause(lctx); !errors.Is(err, errWakeLoadDone) {
			return err
		}
		return nil
	}
	// Each worker starts its cycles on a schedule of its own, so that the
	// total is rate; a late worker does not catch up.
	every := time.Duration(float64(o.Workers) / max(rate, 1) * float64(time.Second))
	for range o.Workers {
		cl := gaffer.caller()
		l.wg.Go(func() {
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-lctx.Done():
					return
				case <-t.C:
				}
				if err := cycle(lctx, cl); err != nil && lctx.Err() == nil {
					cancel(err)
					return
				}
			}
		})
	}
	return l, nil
}
