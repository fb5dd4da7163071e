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

// wake is the wake phase: waking a waiting poller. With several nodes the
// poller waits on one node and the execution is started through another:
// the cross-node wake.
func (b *bench) wake(ctx context.Context, gaffer *endpoint) error {
	return b.runWake(ctx, gaffer, phaseWake, false)
}

// wakeLoad is the wake-load phase: the wake phase's samples while a
// quarter of -workers (at least one) run the cycle in the background on
// an activity of their own.
func (b *bench) wakeLoad(ctx context.Context, gaffer *endpoint) error {
	return b.runWake(ctx, gaffer, phaseWakeLoad, true)
}

func (b *bench) runWake(ctx context.Context, gaffer *endpoint, phase string, load bool) error {
	o := b.cfg
	activity, machine, err := setupMachine(ctx, gaffer, "bench-"+phase)
	if err != nil {
		return err
	}
	startBody := mustJSON(map[string]any{"stateMachineArn": machine, "input": "{}"})
	pollBody := mustJSON(map[string]any{"activityArn": activity, "workerName": "bench"})
	// One node: both on it. Several: the poller on the first, the starter
	// on the second.
	poller, starter := gaffer.pinned(sfnDialect, 0), gaffer.pinned(sfnDialect, 1)
	cross := len(gaffer.nodes) > 1

	var (
		loadDone  func() error
		loadCount atomic.Int64
		loaders   int
	)
	if load {
		loaders = max(1, o.Workers/4)
		lact, lmachine, err := setupMachine(ctx, gaffer, "bench-"+phase+"-background")
		if err != nil {
			return err
		}
		lstart := mustJSON(map[string]any{"stateMachineArn": lmachine, "input": `{"bench":true}`})
		lpoll := mustJSON(map[string]any{"activityArn": lact, "workerName": "bench"})
		lctx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		errs := make(chan error, loaders)
		for range loaders {
			cl := gaffer.caller()
			wg.Go(func() {
				if err := cycleLoop(lctx, cl, lstart, lpoll, &loadCount); err != nil && lctx.Err() == nil {
					errs <- err
				}
			})
		}
		loadDone = func() error {
			stop()
			wg.Wait()
			close(errs)
			if err := <-errs; err != nil {
				return fmt.Errorf("background cycle: %w", err)
			}
			return nil
		}
		defer func() {
			if loadDone != nil {
				_ = loadDone()
			}
		}()
	}

	type polled struct {
		at    time.Time
		token string
		err   error
	}
	// sample returns the time from sending StartExecution to the poll's
	// answer and to StartExecution's own answer.
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
	where := "one waiting poller"
	if cross {
		where = "one poller waiting on node 0, StartExecution through node 1"
	}
	if load {
		where += fmt.Sprintf(", %d background cycle loops", loaders)
	}
	b.progress("%s: %d samples, %s", phase, o.Samples, where)
	lats := make([]time.Duration, 0, o.Samples)
	starts := make([]time.Duration, 0, o.Samples)
	afters := make([]time.Duration, 0, o.Samples)
	var loadStart time.Time
	var load0 int64
	for i := range wakeWarmup + o.Samples {
		if i == wakeWarmup {
			loadStart, load0 = time.Now(), loadCount.Load()
		}
		wake, start, err := sample()
		if err != nil {
			return err
		}
		if i >= wakeWarmup {
			lats = append(lats, wake)
			starts = append(starts, start)
			afters = append(afters, wake-start)
		}
	}
	loadRate := float64(loadCount.Load()-load0) / time.Since(loadStart).Seconds()
	if load {
		err := loadDone()
		loadDone = nil
		if err != nil {
			return err
		}
	}
	slices.Sort(lats)
	slices.Sort(starts)
	slices.Sort(afters)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	p99 := percentile(lats, 0.99)
	target := targetWakeP99
	if cross {
		target = targetCrossWakeP99
	}
	sent := "StartExecution sent → waiting poll answered"
	if cross {
		sent = "StartExecution sent to node 1 → poll waiting on node 0 answered"
	}
	r := b.report
	r.add(phase, "p50_ms", sent+", p50", ms(percentile(lats, 0.50)), "ms")
	r.addTarget(phase, "p99_ms", sent+", p99", ms(p99), "ms",
		fmt.Sprintf("< %.0f ms", target*1000), p99.Seconds() < target)
	r.add(phase, "max_ms", sent+", max", ms(lats[len(lats)-1]), "ms")
	r.add(phase, "start_p50_ms", "StartExecution sent → its own answer (durable), p50", ms(percentile(starts, 0.50)), "ms")
	r.add(phase, "start_p99_ms", "StartExecution sent → its own answer (durable), p99", ms(percentile(starts, 0.99)), "ms")
	r.add(phase, "after_p50_ms", "StartExecution answered → poll answered, p50 (negative: before)", ms(percentile(afters, 0.50)), "ms")
	r.add(phase, "after_p99_ms", "StartExecution answered → poll answered, p99 (negative: before)", ms(percentile(afters, 0.99)), "ms")
	if load {
		r.add(phase, "load_executions_per_s", fmt.Sprintf("background cycle during the samples, %d loops", loaders), loadRate, "exec/s")
	}
	return nil
}

// cycleLoop runs StartExecution → GetActivityTask → SendTaskHeartbeat →
// SendTaskSuccess with cl until ctx ends, counting the executions
// completed.
func cycleLoop(ctx context.Context, cl *caller, startBody, pollBody []byte, count *atomic.Int64) error {
	var task struct{ TaskToken string }
	for ctx.Err() == nil {
		if err := cl.callJSON(ctx, "StartExecution", startBody, nil); err != nil {
			return err
		}
		task.TaskToken = ""
		if err := cl.callJSON(ctx, "GetActivityTask", pollBody, &task); err != nil {
			return err
		}
		if task.TaskToken == "" {
			return fmt.Errorf("GetActivityTask returned no task within %v although executions were started", serverPollWait)
		}
		token := mustJSON(map[string]any{"taskToken": task.TaskToken})
		if _, err := cl.call(ctx, "SendTaskHeartbeat", token); err != nil {
			return err
		}
		success := mustJSON(map[string]any{"taskToken": task.TaskToken, "output": `{"done":true}`})
		if _, err := cl.call(ctx, "SendTaskSuccess", success); err != nil {
			return err
		}
		count.Add(1)
	}
	return nil
}
