package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// expressDefinition is the express phase's state machine: three states,
// none of which waits, so that an execution runs whole in the request.
const expressDefinition = `{"StartAt": "A", "States": {
	"A": {"Type": "Pass", "Result": {"n": 1}, "ResultPath": "$.a", "Next": "B"},
	"B": {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a.n, 1)"}, "ResultPath": "$.b", "Next": "C"},
	"C": {"Type": "Succeed", "OutputPath": "$.b"}}}`

// express measures StartSyncExecution of a three-state EXPRESS state
// machine: executions/s with o.Workers clients, and each call's latency.
func (b *bench) express(ctx context.Context, gaffer *endpoint) error {
	o := b.cfg
	cl := gaffer.caller()
	var sm struct{ StateMachineArn string }
	if err := cl.callJSON(ctx, "CreateStateMachine", map[string]any{
		"name": "bench-express", "roleArn": benchRole, "type": "EXPRESS", "definition": expressDefinition,
	}, &sm); err != nil {
		return err
	}
	if sm.StateMachineArn == "" {
		return errors.New("CreateStateMachine answered without an ARN")
	}
	body := mustJSON(map[string]any{"stateMachineArn": sm.StateMachineArn, "input": `{"bench":true}`})
	round := func(d time.Duration) (n int64, rate float64, cpu time.Duration, lats []time.Duration, err error) {
		per := make([][]time.Duration, o.Workers)
		elapsed, cpu, _, err := runLoops(ctx, gaffer, o.Workers, d, func(ctx context.Context, w int, deadline time.Time) error {
			cl := gaffer.caller()
			var out struct{ Status, Error, Cause string }
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if err := cl.callJSON(ctx, "StartSyncExecution", body, &out); err != nil {
					return err
				}
				per[w] = append(per[w], time.Since(t0))
				if out.Status != "SUCCEEDED" {
					return fmt.Errorf("StartSyncExecution answered %s (%s: %s)", out.Status, out.Error, out.Cause)
				}
			}
			return nil
		})
		if err != nil {
			return 0, 0, 0, nil, err
		}
		for _, l := range per {
			lats = append(lats, l...)
		}
		slices.Sort(lats)
		n = int64(len(lats))
		return n, float64(n) / elapsed.Seconds(), cpu / time.Duration(max(n, 1)), lats, nil
	}
	b.progress("express: StartSyncExecution of a 3-state EXPRESS machine, %d workers, %v", o.Workers, o.Duration)
	if _, _, _, _, err := round(min(o.Duration/5, time.Second)); err != nil {
		return err
	}
	n, rate, cpu, lats, err := round(o.Duration)
	if err != nil {
		return err
	}
	if n == 0 {
		return errors.New("express: no execution completed")
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	r := b.report
	r.add(phaseExpress, "executions", "StartSyncExecution calls answered SUCCEEDED", float64(n), "")
	r.add(phaseExpress, "executions_per_s", fmt.Sprintf("StartSyncExecution of a 3-state EXPRESS machine, %d workers", o.Workers), rate, "exec/s")
	r.add(phaseExpress, "p50_ms", "StartSyncExecution sent → answered, p50", ms(percentile(lats, 0.50)), "ms")
	r.add(phaseExpress, "p99_ms", "StartSyncExecution sent → answered, p99", ms(percentile(lats, 0.99)), "ms")
	r.add(phaseExpress, "cpu_us", "gaffer server CPU per execution (one request, one write)", micros(cpu), "µs")
	return nil
}
