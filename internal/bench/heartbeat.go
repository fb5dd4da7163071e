package bench

import (
	"context"
	"fmt"
)

// heartbeat is the heartbeat phase: SendTaskHeartbeat with one real
// token, against the bare handler.
func (b *bench) heartbeat(ctx context.Context, gaffer *endpoint) (err error) {
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

	activity, machine, err := setupMachine(ctx, gaffer, "bench-heartbeat")
	if err != nil {
		return err
	}
	cl := gaffer.caller()
	if err := cl.callJSON(ctx, "StartExecution", map[string]any{"stateMachineArn": machine, "input": "{}"}, nil); err != nil {
		return err
	}
	var task struct{ TaskToken string }
	if err := cl.callJSON(ctx, "GetActivityTask", map[string]any{"activityArn": activity, "workerName": "bench"}, &task); err != nil {
		return err
	}
	if task.TaskToken == "" {
		return fmt.Errorf("GetActivityTask returned no task within %v", serverPollWait)
	}
	body := mustJSON(map[string]any{"taskToken": task.TaskToken})

	b.progress("heartbeat: bare handler, %d clients, %v", o.Clients, o.Duration)
	bareRate, bareCPU, bareClientCPU, err := hammer(ctx, bare, sfnDialect, o.Clients, o.Duration, "SendTaskHeartbeat", body)
	if err != nil {
		return fmt.Errorf("bare handler: %w", err)
	}
	b.progress("heartbeat: gaffer SendTaskHeartbeat, %d clients, %v", o.Clients, o.Duration)
	gafferRate, gafferCPU, gafferClientCPU, err := hammer(ctx, gaffer, sfnDialect, o.Clients, o.Duration, "SendTaskHeartbeat", body)
	if err != nil {
		return err
	}
	ratio := gafferRate / bareRate
	r := b.report
	r.add(phaseHeartbeat, "bare_rps", fmt.Sprintf("bare net/http handler, %d clients", o.Clients), bareRate, "req/s")
	r.add(phaseHeartbeat, "gaffer_rps", fmt.Sprintf("gaffer SendTaskHeartbeat, %d clients", o.Clients), gafferRate, "req/s")
	r.addTarget(phaseHeartbeat, "ratio", "gaffer ÷ bare handler", 100*ratio, "%",
		fmt.Sprintf(">= %.0f %%", 100*targetHeartbeatRatio), ratio >= targetHeartbeatRatio)
	r.add(phaseHeartbeat, "bare_cpu_us", "bare handler server CPU per request", micros(bareCPU), "µs")
	r.add(phaseHeartbeat, "gaffer_cpu_us", "gaffer server CPU per heartbeat", micros(gafferCPU), "µs")
	r.add(phaseHeartbeat, "client_cpu_us", "bench client CPU per request (mean of both runs)", micros((bareClientCPU+gafferClientCPU)/2), "µs")
	return nil
}
