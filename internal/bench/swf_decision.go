package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// swfDecision is the swf-decision phase: a decision task answered → the
// next decision task.
func (b *bench) swfDecision(ctx context.Context, gaffer *endpoint) error {
	o := b.cfg
	const domain = "bench-decision"
	loops, err := setupSWFLoops(ctx, gaffer, domain, o.Workers)
	if err != nil {
		return err
	}
	type loopResult struct {
		decisions int64
		last      swfExecution
		trips     []time.Duration // StartTimer sent → next decision task received
	}
	// Each loop starts a workflow, answers its first swfDecisionTimers
	// decision tasks with a timer that fires at once (TimerFired schedules
	// the next decision task) and the last one with
	// CompleteWorkflowExecution, then starts the next workflow.
	round := func(d time.Duration) (results []loopResult, elapsed, cpu, clientCPU time.Duration, err error) {
		results = make([]loopResult, o.Workers)
		elapsed, cpu, clientCPU, err = runLoops(ctx, gaffer, o.Workers, d, func(ctx context.Context, i int, deadline time.Time) error {
			l, res := loops[i], &results[i]
			for time.Now().Before(deadline) {
				ex, err := l.start(ctx)
				if err != nil {
					return err
				}
				token, err := l.decisionTask(ctx, ex, "WorkflowExecutionStarted")
				if err != nil {
					return err
				}
				for k := range swfDecisionTimers {
					t0 := time.Now()
					if err := l.decide(ctx, token, swfStartTimer("t"+strconv.Itoa(k))); err != nil {
						return err
					}
					res.decisions++
					if token, err = l.decisionTask(ctx, ex, "TimerFired"); err != nil {
						return err
					}
					res.trips = append(res.trips, time.Since(t0))
				}
				if err := l.decide(ctx, token, swfCompleteWorkflow); err != nil {
					return err
				}
				res.decisions++
				res.last = ex
			}
			return nil
		})
		return results, elapsed, cpu, clientCPU, err
	}
	b.progress("%s: %d loops, %d timers per workflow, %v", phaseSWFDecision, o.Workers, swfDecisionTimers, o.Duration)
	if _, _, _, _, err := round(min(o.Duration/5, time.Second)); err != nil {
		return err
	}
	results, elapsed, cpu, clientCPU, err := round(o.Duration)
	if err != nil {
		return err
	}
	var decisions int64
	var trips []time.Duration
	cl := gaffer.swfCaller()
	for _, res := range results {
		decisions += res.decisions
		trips = append(trips, res.trips...)
		if res.decisions > 0 {
			if err := waitCompleted(ctx, cl, domain, res.last); err != nil {
				return err
			}
		}
	}
	if len(trips) == 0 {
		return errors.New("no decision round trip completed")
	}
	slices.Sort(trips)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	rate := float64(decisions) / elapsed.Seconds()
	per := time.Duration(max(decisions, 1))
	r := b.report
	r.add(phaseSWFDecision, "decisions", "decision tasks answered (RespondDecisionTaskCompleted answered 200)", float64(decisions), "")
	r.add(phaseSWFDecision, "decisions_per_s", fmt.Sprintf("decision tasks answered, %d loops, %d timers + 1 completion per workflow", o.Workers, swfDecisionTimers), rate, "dec/s")
	b.addVsBare(phaseSWFDecision, swfDialect, "decision task", rate, targetSWFDecisionVsBare, 0, 0)
	r.add(phaseSWFDecision, "round_trip_p50_ms", "StartTimer(0) answer sent → next decision task received, p50", ms(percentile(trips, 0.50)), "ms")
	r.add(phaseSWFDecision, "round_trip_p99_ms", "StartTimer(0) answer sent → next decision task received, p99", ms(percentile(trips, 0.99)), "ms")
	r.add(phaseSWFDecision, "cpu_us", "gaffer server CPU per decision task", micros(cpu/per), "µs")
	r.add(phaseSWFDecision, "client_cpu_us", "bench client CPU per decision task", micros(clientCPU/per), "µs")
	return nil
}
