package bench

import "context"

// swfHeartbeat is the swf-heartbeat phase: RecordActivityTaskHeartbeat
// against the bare handler.
func (b *bench) swfHeartbeat(ctx context.Context, gaffer *endpoint) error {
	return b.runHeartbeat(ctx, gaffer, heartbeatPhase{
		phase: phaseSWFHeartbeat, dl: swfDialect, op: "RecordActivityTaskHeartbeat", cpuDesc: "heartbeat",
		setup: func(ctx context.Context, gaffer *endpoint) ([]byte, func(context.Context) error, error) {
			// A real activity token: a workflow whose decider schedules
			// one activity, polled by a worker.
			const domain = "bench-heartbeat"
			if err := setupSWF(ctx, gaffer, domain); err != nil {
				return nil, nil, err
			}
			l := newSWFLoop(gaffer, domain, 0)
			ex, err := l.start(ctx)
			if err != nil {
				return nil, nil, err
			}
			token, err := l.decisionTask(ctx, ex, "WorkflowExecutionStarted")
			if err != nil {
				return nil, nil, err
			}
			if err := l.decide(ctx, token, l.scheduleActivity()); err != nil {
				return nil, nil, err
			}
			if token, err = l.activityTask(ctx, ex); err != nil {
				return nil, nil, err
			}
			after := func(ctx context.Context) error { return l.heartbeat(ctx, token) } // still the task's holder
			return mustJSON(map[string]any{"taskToken": token}), after, nil
		},
	})
}
