package bench

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store/sqlite"
	"github.com/gaffer-dev/gaffer/internal/swf"
)

// The growth phase: the hot paths and the listings on stores that hold
// more and more executions.

// growthDomain is the SWF domain the growth phase seeds.
const growthDomain = "bench-growth"

// growthListRuns is how many times each listing is timed per size (the
// median is reported).
const growthListRuns = 21

// growthSizes parses Config.Growth.
func (c *Config) growthSizes() ([]int, error) {
	var sizes []int
	for f := range strings.SplitSeq(c.Growth, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(strings.ReplaceAll(f, "_", ""))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-growth: %q is not a number of executions (at least 1)", f)
		}
		sizes = append(sizes, n)
	}
	if len(sizes) == 0 {
		return nil, fmt.Errorf("-growth: %q names no size", c.Growth)
	}
	return sizes, nil
}

// seedStore writes n closed SWF executions (swf.Seed) into a new SQLite
// store in dir, in the bench's own process, and returns how long it took.
func (b *bench) seedStore(ctx context.Context, dir string, n int) (time.Duration, error) {
	start := time.Now()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, fmt.Errorf("seed: %w", err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "gaffer.db"), sqlite.Options{})
	if err != nil {
		return 0, fmt.Errorf("seed: open the store: %w", err)
	}
	var mu sync.Mutex
	last := time.Now()
	err = swf.Seed(ctx, st, swf.SeedConfig{Domain: growthDomain, N: n, Now: time.Now(), Progress: func(done int) {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) > 10*time.Second {
			last = time.Now()
			b.progress("growth: seeded %d of %d executions (%.0f/s)", done, n, float64(done)/time.Since(start).Seconds())
		}
	}})
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return time.Since(start), err
}

// growthCycle runs Start → GetActivityTask → SendTaskHeartbeat →
// SendTaskSuccess loops for d and returns the mean answer time of the
// poll, the heartbeat and the success, the executions/s and the server CPU
// per execution.
func (b *bench) growthCycle(ctx context.Context, gaffer *endpoint, activity, machine string, d time.Duration) (poll, beat, done time.Duration, rate float64, cpu time.Duration, err error) {
	startBody := mustJSON(map[string]any{"stateMachineArn": machine, "input": `{"bench":true}`})
	pollBody := mustJSON(map[string]any{"activityArn": activity, "workerName": "bench"})
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var count, pollNs, beatNs, doneNs atomic.Int64
	var wg sync.WaitGroup
	cpu0, err := gaffer.proc.cpuTime()
	if err != nil {
		return 0, 0, 0, 0, 0, err
	}
	start := time.Now()
	deadline := start.Add(d)
	timed := func(sum *atomic.Int64, f func() error) error {
		t := time.Now()
		err := f()
		sum.Add(int64(time.Since(t)))
		return err
	}
	for range b.cfg.Workers {
		cl := gaffer.caller()
		wg.Go(func() {
			var task struct{ TaskToken string }
			for time.Now().Before(deadline) {
				if err := cl.callJSON(ctx, "StartExecution", startBody, nil); err != nil {
					cancel(err)
					return
				}
				task.TaskToken = ""
				if err := timed(&pollNs, func() error { return cl.callJSON(ctx, "GetActivityTask", pollBody, &task) }); err != nil {
					cancel(err)
					return
				}
				if task.TaskToken == "" {
					cancel(fmt.Errorf("GetActivityTask returned no task within %v although executions were started", serverPollWait))
					return
				}
				token := mustJSON(map[string]any{"taskToken": task.TaskToken})
				if err := timed(&beatNs, func() error { _, err := cl.call(ctx, "SendTaskHeartbeat", token); return err }); err != nil {
					cancel(err)
					return
				}
				success := mustJSON(map[string]any{"taskToken": task.TaskToken, "output": `{"done":true}`})
				if err := timed(&doneNs, func() error { _, err := cl.call(ctx, "SendTaskSuccess", success); return err }); err != nil {
					cancel(err)
					return
				}
				count.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, err := gaffer.proc.cpuTime()
	if err != nil {
		return 0, 0, 0, 0, 0, err
	}
	if err := context.Cause(ctx); err != nil {
		return 0, 0, 0, 0, 0, err
	}
	k := time.Duration(max(count.Load(), 1))
	return time.Duration(pollNs.Load()) / k, time.Duration(beatNs.Load()) / k, time.Duration(doneNs.Load()) / k,
		float64(count.Load()) / elapsed.Seconds(), (cpu1 - cpu0) / k, nil
}

// median times f growthListRuns times and returns the median.
func median(f func() error) (time.Duration, error) {
	ds := make([]time.Duration, 0, growthListRuns)
	for range growthListRuns {
		t := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(t))
	}
	slices.Sort(ds)
	return ds[len(ds)/2], nil
}

// growthLists times the listings on the seeded domain and on the cycle's
// state machine: a first page of 100 closed executions by close time, the
// 10th page (reached through the tokens), a first page filtered by a tag
// that 1 % of the executions carry, the count of the executions closed in
// the last hour and of all of them, and Step Functions' ListExecutions of
// the cycle's machine (a page of 100 SUCCEEDED, and of FAILED: none).
func (b *bench) growthLists(ctx context.Context, gaffer *endpoint, machine string) (map[string]time.Duration, error) {
	cl := gaffer.swfCaller()
	all := map[string]any{"oldestDate": 0}
	type page struct {
		ExecutionInfos []struct{} `json:"executionInfos"`
		NextPageToken  string     `json:"nextPageToken"`
	}
	list := func(in map[string]any, pages int) func() error {
		return func() error {
			tok := ""
			for range pages {
				in := maps.Clone(in)
				if tok != "" {
					in["nextPageToken"] = tok
				}
				var out page
				if err := cl.callJSON(ctx, "ListClosedWorkflowExecutions", in, &out); err != nil {
					return err
				}
				if out.NextPageToken == "" {
					return nil // a store smaller than the pages
				}
				tok = out.NextPageToken
			}
			return nil
		}
	}
	count := func(in map[string]any) func() error {
		return func() error { return cl.callJSON(ctx, "CountClosedWorkflowExecutions", in, nil) }
	}
	sfnCl := gaffer.caller()
	sfnList := func(status string) func() error {
		return func() error {
			return sfnCl.callJSON(ctx, "ListExecutions", map[string]any{"stateMachineArn": machine, "statusFilter": status, "maxResults": 100}, nil)
		}
	}
	hour := map[string]any{"oldestDate": float64(time.Now().Add(-time.Hour).Unix())}
	ops := []struct {
		name string
		f    func() error
	}{
		{"list_closed_ms", list(map[string]any{"domain": growthDomain, "closeTimeFilter": all, "maximumPageSize": 100}, 1)},
		{"list_closed_10_pages_ms", list(map[string]any{"domain": growthDomain, "closeTimeFilter": all, "maximumPageSize": 100}, 10)},
		{"list_closed_tag_ms", list(map[string]any{"domain": growthDomain, "closeTimeFilter": all, "maximumPageSize": 100, "tagFilter": map[string]any{"tag": "batch-7"}}, 1)},
		{"count_closed_hour_ms", count(map[string]any{"domain": growthDomain, "closeTimeFilter": hour})},
		{"count_closed_all_ms", count(map[string]any{"domain": growthDomain, "closeTimeFilter": all})},
		{"sfn_list_succeeded_ms", sfnList("SUCCEEDED")},
		{"sfn_list_failed_ms", sfnList("FAILED")},
	}
	out := map[string]time.Duration{}
	for _, op := range ops {
		d, err := median(op.f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op.name, err)
		}
		out[op.name] = d
	}
	return out, nil
}

// growth is the growth phase: for each size of Config.Growth, a store
// seeded with that many closed SWF executions (each with its 11-event
// history, visibility entry and retention timer), a server started on it,
// the cycle's answer times and the listings' on top.
func (b *bench) growth(ctx context.Context, _ *endpoint) error {
	sizes, err := b.cfg.growthSizes()
	if err != nil {
		return err
	}
	r := b.report
	type point struct {
		poll, beat, done time.Duration
	}
	var points []point
	b.slowStart = true
	defer func() { b.slowStart = false }()
	for _, n := range sizes {
		name := "growth-" + strconv.Itoa(n)
		dir := filepath.Join(b.tmp, name)
		b.progress("growth: seeding %d executions", n)
		took, err := b.seedStore(ctx, dir, n)
		if err != nil {
			return err
		}
		sfx := "@" + strconv.Itoa(n)
		at := fmt.Sprintf("[%d] ", n)
		r.add(phaseGrowth, "seed_per_s"+sfx, fmt.Sprintf("%sexecutions seeded per second (%d in %v)", at, n, took.Round(time.Millisecond)), float64(n)/took.Seconds(), "exec/s")
		t := time.Now()
		profile := ""
		if b.cfg.CPUProfile != "" {
			profile = b.cfg.CPUProfile + "." + name
		}
		srv, err := b.startGaffer(ctx, name, serverPollWait, profile, false)
		if err != nil {
			return err
		}
		r.add(phaseGrowth, "ready_ms"+sfx, at+"server start on the seeded store until /healthz answers", float64(time.Since(t))/float64(time.Millisecond), "ms")
		err = func() error {
			gaffer := &endpoint{url: srv.url, client: b.client, proc: srv, signer: b.signer}
			activity, machine, err := setupMachine(ctx, gaffer, "bench-growth")
			if err != nil {
				return err
			}
			b.progress("growth: %d executions: cycle, %d workers, %v", n, b.cfg.Workers, b.cfg.Duration)
			if _, _, _, _, _, err := b.growthCycle(ctx, gaffer, activity, machine, min(b.cfg.Duration/5, time.Second)); err != nil {
				return err
			}
			poll, beat, done, rate, cpu, err := b.growthCycle(ctx, gaffer, activity, machine, b.cfg.Duration)
			if err != nil {
				return err
			}
			points = append(points, point{poll, beat, done})
			r.add(phaseGrowth, "executions_per_s"+sfx, at+"cycle Start→Get→Heartbeat→Success", rate, "exec/s")
			r.add(phaseGrowth, "cpu_us"+sfx, at+"gaffer server CPU per cycle execution", micros(cpu), "µs")
			r.add(phaseGrowth, "poll_us"+sfx, at+"GetActivityTask mean answer time in the cycle", micros(poll), "µs")
			r.add(phaseGrowth, "heartbeat_us"+sfx, at+"SendTaskHeartbeat mean answer time in the cycle", micros(beat), "µs")
			r.add(phaseGrowth, "complete_us"+sfx, at+"SendTaskSuccess mean answer time in the cycle", micros(done), "µs")
			b.progress("growth: %d executions: listings", n)
			lists, err := b.growthLists(ctx, gaffer, machine)
			if err != nil {
				return err
			}
			for _, k := range slices.Sorted(maps.Keys(lists)) {
				r.add(phaseGrowth, k+sfx, at+growthListDescriptions[k], float64(lists[k])/float64(time.Millisecond), "ms")
			}
			return nil
		}()
		if serr := srv.stop(); err == nil {
			err = serr
		}
		if err != nil {
			return fmt.Errorf("%d executions: %w", n, err)
		}
	}
	if len(points) > 1 {
		first, last := points[0], points[len(points)-1]
		for _, m := range []struct {
			name     string
			from, to time.Duration
		}{{"poll", first.poll, last.poll}, {"heartbeat", first.beat, last.beat}, {"complete", first.done, last.done}} {
			ratio := float64(m.to) / float64(max(m.from, 1))
			r.addTarget(phaseGrowth, m.name+"_growth", fmt.Sprintf("%s answer time at %d ÷ at %d executions", m.name, sizes[len(sizes)-1], sizes[0]),
				ratio, "×", "<= 1.10", ratio <= 1.10)
		}
	}
	return nil
}

var growthListDescriptions = map[string]string{
	"list_closed_ms":          "SWF ListClosedWorkflowExecutions, first page of 100 (median)",
	"list_closed_10_pages_ms": "SWF ListClosedWorkflowExecutions, 10 pages of 100 through the tokens (fewer on a smaller store) (median)",
	"list_closed_tag_ms":      "SWF ListClosedWorkflowExecutions by a tag 1 % carry, first page of 100 (median)",
	"count_closed_hour_ms":    "SWF CountClosedWorkflowExecutions of the last hour (median)",
	"count_closed_all_ms":     "SWF CountClosedWorkflowExecutions of all (exact: reads the index range) (median)",
	"sfn_list_succeeded_ms":   "SFN ListExecutions of the cycle's machine, SUCCEEDED, page of 100 (median)",
	"sfn_list_failed_ms":      "SFN ListExecutions of the cycle's machine, FAILED (none) (median)",
}
