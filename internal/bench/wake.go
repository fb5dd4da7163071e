package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptrace"
	"slices"
	"sync"
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
	b.progress("wake: %d samples, one waiting poller", o.Samples)
	lats := make([]time.Duration, 0, o.Samples)
	starts := make([]time.Duration, 0, o.Samples)
	for i := range wakeWarmup + o.Samples {
		wake, start, err := sample()
		if err != nil {
			return err
		}
		if i >= wakeWarmup {
			lats = append(lats, wake)
			starts = append(starts, start)
		}
	}
	slices.Sort(lats)
	slices.Sort(starts)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	p99 := percentile(lats, 0.99)
	r := b.report
	r.add(phaseWake, "p50_ms", "StartExecution sent → waiting poll answered, p50", ms(percentile(lats, 0.50)), "ms")
	r.addTarget(phaseWake, "p99_ms", "StartExecution sent → waiting poll answered, p99", ms(p99), "ms",
		fmt.Sprintf("< %.0f ms", targetWakeP99*1000), p99.Seconds() < targetWakeP99)
	r.add(phaseWake, "max_ms", "StartExecution sent → waiting poll answered, max", ms(lats[len(lats)-1]), "ms")
	r.add(phaseWake, "start_p50_ms", "StartExecution sent → its own answer (durable), p50", ms(percentile(starts, 0.50)), "ms")
	r.add(phaseWake, "start_p99_ms", "StartExecution sent → its own answer (durable), p99", ms(percentile(starts, 0.99)), "ms")
	return nil
}
