package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// dpTask is the dp-task phase: the task runner's round trip, PollForTask →
// ReportTaskProgress → SetTaskStatus FINISHED.
func (b *bench) dpTask(ctx context.Context, gaffer *endpoint) error {
	o := b.cfg
	b.progress("%s: creating %d pipelines of %d activities", phaseDPTask, o.Workers, dpActivities)
	loops := make([]*dpLoop, o.Workers)
	for i := range loops {
		l, err := newDPLoop(ctx, gaffer, i)
		if err != nil {
			return err
		}
		loops[i] = l
	}
	// What one loop did in a round: tasks finished, activations and the
	// time spent in them, the sum of each step's answer times, and each
	// round trip's time.
	type loopResult struct {
		tasks       int64
		activations int64
		activating  time.Duration
		steps       [3]time.Duration // poll, progress, finish
		trips       []time.Duration
	}
	// Each loop runs its tasks one after the other. A loop whose run is
	// exhausted re-activates its pipeline (timed apart, see below); before
	// the measured round every loop has a run with tasks left, activated
	// by the warm-up round or here.
	round := func(d time.Duration) (results []loopResult, elapsed, cpu, clientCPU time.Duration, err error) {
		results = make([]loopResult, o.Workers)
		elapsed, cpu, clientCPU, err = runLoops(ctx, gaffer, o.Workers, d, func(ctx context.Context, i int, deadline time.Time) error {
			l, res := loops[i], &results[i]
			for time.Now().Before(deadline) {
				if l.left == 0 {
					t0 := time.Now()
					if err := l.activateRun(ctx); err != nil {
						return err
					}
					res.activating += time.Since(t0)
					res.activations++
				}
				t0 := time.Now()
				taskID, err := l.pollTask(ctx)
				if err != nil {
					return err
				}
				t1 := time.Now()
				if err := dpProgress(ctx, l.cl, mustJSON(map[string]any{"taskId": taskID})); err != nil {
					return err
				}
				t2 := time.Now()
				if err := dpFinish(ctx, l.cl, taskID); err != nil {
					return err
				}
				t3 := time.Now()
				res.steps[0] += t1.Sub(t0)
				res.steps[1] += t2.Sub(t1)
				res.steps[2] += t3.Sub(t2)
				res.trips = append(res.trips, t3.Sub(t0))
				res.tasks++
			}
			return nil
		})
		return results, elapsed, cpu, clientCPU, err
	}
	b.progress("%s: activating %d pipelines", phaseDPTask, o.Workers)
	for _, l := range loops {
		if err := l.activateRun(ctx); err != nil {
			return err
		}
	}
	b.progress("%s: %d runners, %v", phaseDPTask, o.Workers, o.Duration)
	if _, _, _, _, err := round(min(o.Duration/5, time.Second)); err != nil {
		return err
	}
	// Top up every loop whose run is nearly exhausted, so that the
	// measured round starts with work activated outside it.
	for _, l := range loops {
		if l.left == 0 {
			if err := l.activateRun(ctx); err != nil {
				return err
			}
		}
	}
	results, elapsed, cpu, clientCPU, err := round(o.Duration)
	if err != nil {
		return err
	}
	var tasks, activations int64
	var activating time.Duration
	var steps [3]time.Duration
	var trips []time.Duration
	var busy float64 // Σ tasks_i / (elapsed - activating_i)
	for _, res := range results {
		tasks += res.tasks
		activations += res.activations
		activating += res.activating
		for k := range steps {
			steps[k] += res.steps[k]
		}
		trips = append(trips, res.trips...)
		if w := (elapsed - res.activating).Seconds(); w > 0 {
			busy += float64(res.tasks) / w
		}
	}
	if len(trips) == 0 {
		return errors.New("no task round trip completed")
	}
	// Drain: finish what is left of every run, so that every pipeline must
	// end FINISHED (each task was set FINISHED and nothing was lost).
	cl := gaffer.dpCaller()
	for _, l := range loops {
		for l.left > 0 {
			taskID, err := l.pollTask(ctx)
			if err != nil {
				return err
			}
			if err := dpProgress(ctx, l.cl, mustJSON(map[string]any{"taskId": taskID})); err != nil {
				return err
			}
			if err := dpFinish(ctx, l.cl, taskID); err != nil {
				return err
			}
		}
		if err := waitPipelineFinished(ctx, cl, l.pipelineID); err != nil {
			return err
		}
	}
	slices.Sort(trips)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	per := time.Duration(max(tasks, 1))
	wall := float64(tasks) / elapsed.Seconds()
	r := b.report
	r.add(phaseDPTask, "tasks", "tasks finished (SetTaskStatus FINISHED answered 200)", float64(tasks), "")
	r.add(phaseDPTask, "tasks_per_s", fmt.Sprintf("Poll→Progress→SetTaskStatus, %d runners, activation time excluded", o.Workers), busy, "tasks/s")
	b.addVsBare(phaseDPTask, dpDialect, "task", busy, targetDPTaskVsBare, 0, 0)
	r.add(phaseDPTask, "tasks_per_s_wall", "the same over the whole round, re-activations included", wall, "tasks/s")
	r.add(phaseDPTask, "round_trip_p50_ms", "PollForTask sent → SetTaskStatus answered, p50", ms(percentile(trips, 0.50)), "ms")
	r.add(phaseDPTask, "round_trip_p99_ms", "PollForTask sent → SetTaskStatus answered, p99", ms(percentile(trips, 0.99)), "ms")
	r.add(phaseDPTask, "poll_ms", "mean answer time: PollForTask", ms(steps[0]/per), "ms")
	r.add(phaseDPTask, "progress_ms", "mean answer time: ReportTaskProgress (first: acknowledges, writes)", ms(steps[1]/per), "ms")
	r.add(phaseDPTask, "finish_ms", "mean answer time: SetTaskStatus FINISHED", ms(steps[2]/per), "ms")
	r.add(phaseDPTask, "activations", fmt.Sprintf("re-activations during the measured round (%d tasks each)", dpActivities), float64(activations), "")
	var runs int
	var allActivating time.Duration
	for _, l := range loops {
		runs += l.runs
		allActivating += l.activating
	}
	r.add(phaseDPTask, "activate_ms", fmt.Sprintf("mean answer time: ActivatePipeline (a new run of %d tasks), all %d of the phase", dpActivities, runs), ms(allActivating/time.Duration(max(runs, 1))), "ms")
	r.add(phaseDPTask, "cpu_us", "gaffer server CPU per task (3 requests; activations included)", micros(cpu/per), "µs")
	r.add(phaseDPTask, "client_cpu_us", "bench client CPU per task", micros(clientCPU/per), "µs")
	return nil
}
