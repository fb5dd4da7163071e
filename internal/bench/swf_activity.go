package bench

import (
	"context"
	"fmt"
	"time"
)

// swfActivitySteps are the requests of one workflow in the swf-activity
// phase, in order, with the metric of their mean answer time.
var swfActivitySteps = []struct{ metric, desc string }{
	{"start_ms", "StartWorkflowExecution"},
	{"poll_decision_ms", "PollForDecisionTask (first decision task)"},
	{"schedule_ms", "RespondDecisionTaskCompleted (ScheduleActivityTask)"},
	{"poll_activity_ms", "PollForActivityTask"},
	{"heartbeat_ms", "RecordActivityTaskHeartbeat"},
	{"complete_activity_ms", "RespondActivityTaskCompleted"},
	{"poll_decision2_ms", "PollForDecisionTask (second decision task)"},
	{"complete_workflow_ms", "RespondDecisionTaskCompleted (CompleteWorkflowExecution)"},
}

// activityWorkflow returns the requests of one workflow with one activity,
// in the order of swfActivitySteps; the first sets *ex to the workflow.
func (l *swfLoop) activityWorkflow(ctx context.Context, ex *swfExecution) []func() error {
	var decision, activity string
	return []func() error{
		func() (err error) { *ex, err = l.start(ctx); return err },
		func() (err error) { decision, err = l.decisionTask(ctx, *ex, "WorkflowExecutionStarted"); return err },
		func() error { return l.decide(ctx, decision, l.scheduleActivity()) },
		func() (err error) { activity, err = l.activityTask(ctx, *ex); return err },
		func() error { return l.heartbeat(ctx, activity) },
		func() error {
			_, err := l.cl.call(ctx, "RespondActivityTaskCompleted", mustJSON(map[string]any{"taskToken": activity, "result": `{"done":true}`}))
			return err
		},
		func() (err error) { decision, err = l.decisionTask(ctx, *ex, "ActivityTaskCompleted"); return err },
		func() error { return l.decide(ctx, decision, swfCompleteWorkflow) },
	}
}

// swfActivity is the swf-activity phase: the whole life of a workflow
// with one activity.
func (b *bench) swfActivity(ctx context.Context, gaffer *endpoint) error {
	o := b.cfg
	const domain = "bench-activity"
	loops, err := setupSWFLoops(ctx, gaffer, domain, o.Workers)
	if err != nil {
		return err
	}
	// What one loop did: workflows completed, the last one, and the sum
	// of the answer times of each step (swfActivitySteps).
	type loopResult struct {
		completed int64
		last      swfExecution
		steps     []time.Duration
	}
	round := func(d time.Duration) (results []loopResult, elapsed, cpu, clientCPU time.Duration, err error) {
		results = make([]loopResult, o.Workers)
		for i := range results {
			results[i].steps = make([]time.Duration, len(swfActivitySteps))
		}
		elapsed, cpu, clientCPU, err = runLoops(ctx, gaffer, o.Workers, d, func(ctx context.Context, i int, deadline time.Time) error {
			l, res := loops[i], &results[i]
			var ex swfExecution
			steps := l.activityWorkflow(ctx, &ex)
			for time.Now().Before(deadline) {
				for k, step := range steps {
					t0 := time.Now()
					err := step()
					res.steps[k] += time.Since(t0)
					if err != nil {
						return err
					}
				}
				res.completed++
				res.last = ex
			}
			return nil
		})
		return results, elapsed, cpu, clientCPU, err
	}
	b.progress("%s: %d loops, %v", phaseSWFActivity, o.Workers, o.Duration)
	if _, _, _, _, err := round(min(o.Duration/5, time.Second)); err != nil {
		return err
	}
	results, elapsed, cpu, clientCPU, err := round(o.Duration)
	if err != nil {
		return err
	}
	var completed int64
	steps := make([]time.Duration, len(swfActivitySteps))
	cl := gaffer.swfCaller()
	for _, res := range results {
		completed += res.completed
		for i, d := range res.steps {
			steps[i] += d
		}
		if res.completed > 0 {
			if err := waitCompleted(ctx, cl, domain, res.last); err != nil {
				return err
			}
		}
	}
	rate := float64(completed) / elapsed.Seconds()
	per := time.Duration(max(completed, 1))
	r := b.report
	r.add(phaseSWFActivity, "workflows", "workflows completed (CompleteWorkflowExecution answered 200)", float64(completed), "")
	r.add(phaseSWFActivity, "workflows_per_s", fmt.Sprintf("Start→Decide→Poll→Heartbeat→Complete→Decide, %d loops", o.Workers), rate, "wf/s")
	r.add(phaseSWFActivity, "cpu_us", "gaffer server CPU per workflow (8 requests)", micros(cpu/per), "µs")
	b.addVsBare(phaseSWFActivity, swfDialect, "workflow", rate, targetSWFWorkflowVsBare, 0, 0)
	r.add(phaseSWFActivity, "client_cpu_us", "bench client CPU per workflow", micros(clientCPU/per), "µs")
	for i, s := range swfActivitySteps {
		r.add(phaseSWFActivity, s.metric, "mean answer time: "+s.desc, float64(steps[i]/per)/float64(time.Millisecond), "ms")
	}
	return nil
}
