package bench

import (
	"context"
	"fmt"
)

// dpHeartbeat is the dp-heartbeat phase: ReportTaskProgress on an
// acknowledged task against the bare handler.
func (b *bench) dpHeartbeat(ctx context.Context, gaffer *endpoint) (err error) {
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

	// A real, acknowledged task: a one-activity pipeline, activated,
	// polled, and acknowledged by a first ReportTaskProgress (the one that
	// writes).
	cl := gaffer.dpCaller()
	const wg = "bench-dp-heartbeat"
	id, err := setupPipeline(ctx, cl, wg, wg, 1)
	if err != nil {
		return err
	}
	if _, err := cl.call(ctx, "ActivatePipeline", mustJSON(map[string]any{"pipelineId": id})); err != nil {
		return err
	}
	l := &dpLoop{cl: cl, pipelineID: id, poll: mustJSON(map[string]any{"workerGroup": wg, "hostname": "bench-runner"}), left: 1, runs: 1}
	taskID, err := l.pollTask(ctx)
	if err != nil {
		return err
	}
	body := mustJSON(map[string]any{"taskId": taskID})
	if err := dpProgress(ctx, cl, body); err != nil {
		return err
	}

	b.progress("%s: bare handler, %d clients, %v", phaseDPHeartbeat, o.Clients, o.Duration)
	bareRate, bareCPU, bareClientCPU, err := hammer(ctx, bare, dpDialect, o.Clients, o.Duration, "ReportTaskProgress", body)
	if err != nil {
		return fmt.Errorf("bare handler: %w", err)
	}
	b.progress("%s: gaffer ReportTaskProgress, %d clients, %v", phaseDPHeartbeat, o.Clients, o.Duration)
	gafferRate, gafferCPU, gafferClientCPU, err := hammer(ctx, gaffer, dpDialect, o.Clients, o.Duration, "ReportTaskProgress", body)
	if err != nil {
		return err
	}
	// Still the task's holder, and the task still ends normally.
	if err := dpProgress(ctx, cl, body); err != nil {
		return err
	}
	if err := dpFinish(ctx, cl, taskID); err != nil {
		return err
	}
	if err := waitPipelineFinished(ctx, cl, id); err != nil {
		return err
	}
	ratio := gafferRate / bareRate
	r := b.report
	r.add(phaseDPHeartbeat, "bare_rps", fmt.Sprintf("bare net/http handler, %d clients", o.Clients), bareRate, "req/s")
	r.add(phaseDPHeartbeat, "gaffer_rps", fmt.Sprintf("gaffer ReportTaskProgress (acknowledged task), %d clients", o.Clients), gafferRate, "req/s")
	r.addTarget(phaseDPHeartbeat, "ratio", "gaffer ÷ bare handler", 100*ratio, "%",
		fmt.Sprintf(">= %.0f %%", 100*targetHeartbeatRatio), ratio >= targetHeartbeatRatio)
	r.add(phaseDPHeartbeat, "bare_cpu_us", "bare handler server CPU per request", micros(bareCPU), "µs")
	r.add(phaseDPHeartbeat, "gaffer_cpu_us", "gaffer server CPU per ReportTaskProgress", micros(gafferCPU), "µs")
	r.add(phaseDPHeartbeat, "client_cpu_us", "bench client CPU per request (mean of both runs)", micros((bareClientCPU+gafferClientCPU)/2), "µs")
	return nil
}
