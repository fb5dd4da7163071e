package bench

import "context"

// dpHeartbeat is the dp-heartbeat phase: ReportTaskProgress on an
// acknowledged task against the bare handler.
func (b *bench) dpHeartbeat(ctx context.Context, gaffer *endpoint) error {
	return b.runHeartbeat(ctx, gaffer, heartbeatPhase{
		phase: phaseDPHeartbeat, dl: dpDialect, op: "ReportTaskProgress",
		gafferRateDesc: "ReportTaskProgress (acknowledged task)", cpuDesc: "ReportTaskProgress",
		setup: func(ctx context.Context, gaffer *endpoint) ([]byte, func(context.Context) error, error) {
			// A real, acknowledged task: a one-activity pipeline,
			// activated, polled, and acknowledged by a first
			// ReportTaskProgress (the one that writes).
			cl := gaffer.dpCaller()
			const wg = "bench-dp-heartbeat"
			id, err := setupPipeline(ctx, cl, wg, wg, 1)
			if err != nil {
				return nil, nil, err
			}
			if _, err := cl.call(ctx, "ActivatePipeline", mustJSON(map[string]any{"pipelineId": id})); err != nil {
				return nil, nil, err
			}
			l := &dpLoop{cl: cl, pipelineID: id, poll: mustJSON(map[string]any{"workerGroup": wg, "hostname": "bench-runner"}), left: 1, runs: 1}
			taskID, err := l.pollTask(ctx)
			if err != nil {
				return nil, nil, err
			}
			body := mustJSON(map[string]any{"taskId": taskID})
			if err := dpProgress(ctx, cl, body); err != nil {
				return nil, nil, err
			}
			// Still the task's holder, and the task still ends normally.
			after := func(ctx context.Context) error {
				if err := dpProgress(ctx, cl, body); err != nil {
					return err
				}
				if err := dpFinish(ctx, cl, taskID); err != nil {
					return err
				}
				return waitPipelineFinished(ctx, cl, id)
			}
			return body, after, nil
		},
	})
}
