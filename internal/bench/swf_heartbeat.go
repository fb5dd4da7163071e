package bench

import (
	"context"
	"fmt"
)

// swfHeartbeat is the swf-heartbeat phase: RecordActivityTaskHeartbeat
// against the bare handler.
func (b *bench) swfHeartbeat(ctx context.Context, gaffer *endpoint) (err error) {
	o := b.cfg
	bareSrv, err := b.startBare(ctx, false)
	if err != nil {
		return err
	}
	defer func() {
		if serr := bareSrv.stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	bare := &endpoint{url: bareSrv.url, client: b.client, proc: bareSrv}

	// A real activity token: a workflow whose decider schedules one
	// activity, polled by a worker.
	const domain = "bench-heartbeat"
	if err := setupSWF(ctx, gaffer, domain); err != nil {
		return err
	}
	l := newSWFLoop(gaffer, domain, 0)
	ex, err := l.start(ctx)
	if err != nil {
		return err
	}
	token, err := l.decisionTask(ctx, ex, "WorkflowExecutionStarted")
	if err != nil {
		return err
	}
	if err := l.decide(ctx, token, l.scheduleActivity()); err != nil {
		return err
	}
	if token, err = l.activityTask(ctx, ex); err != nil {
		return err
	}
	body := mustJSON(map[string]any{"taskToken": token})

	b.progress("%s: bare handler, %d clients, %v", phaseSWFHeartbeat, o.Clients, o.Duration)
	bareRate, bareCPU, bareClientCPU, err := hammer(ctx, bare, swfDialect, o.Clients, o.Duration, "RecordActivityTaskHeartbeat", body)
	if err != nil {
		return fmt.Errorf("bare handler: %w", err)
	}
	b.progress("%s: gaffer RecordActivityTaskHeartbeat, %d clients, %v", phaseSWFHeartbeat, o.Clients, o.Duration)
	gafferRate, gafferCPU, gafferClientCPU, err := hammer(ctx, gaffer, swfDialect, o.Clients, o.Duration, "RecordActivityTaskHeartbeat", body)
	if err != nil {
		return err
	}
	if err := l.heartbeat(ctx, token); err != nil { // still the task's holder
		return err
	}
	ratio := gafferRate / bareRate
	r := b.report
	r.add(phaseSWFHeartbeat, "bare_rps", fmt.Sprintf("bare net/http handler, %d clients", o.Clients), bareRate, "req/s")
	r.add(phaseSWFHeartbeat, "gaffer_rps", fmt.Sprintf("gaffer RecordActivityTaskHeartbeat, %d clients", o.Clients), gafferRate, "req/s")
	r.addTarget(phaseSWFHeartbeat, "ratio", "gaffer ÷ bare handler", 100*ratio, "%",
		fmt.Sprintf(">= %.0f %%", 100*targetHeartbeatRatio), ratio >= targetHeartbeatRatio)
	r.add(phaseSWFHeartbeat, "bare_cpu_us", "bare handler server CPU per request", micros(bareCPU), "µs")
	r.add(phaseSWFHeartbeat, "gaffer_cpu_us", "gaffer server CPU per heartbeat", micros(gafferCPU), "µs")
	r.add(phaseSWFHeartbeat, "client_cpu_us", "bench client CPU per request (mean of both runs)", micros((bareClientCPU+gafferClientCPU)/2), "µs")
	return nil
}
