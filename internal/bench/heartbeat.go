package bench

import (
	"cmp"
	"context"
	"fmt"
	"time"
)

// heartbeatPhase is what one of the heartbeat phases measures: op of
// dialect dl, with a body that names one real task, sent by every client
// first to the bare handler and then to gaffer.
type heartbeatPhase struct {
	phase string
	dl    dialect
	op    string
	// gafferDesc names gaffer's request in the progress line (op if
	// empty) and gafferRateDesc in the rate figure (gafferDesc if empty);
	// cpuDesc names one request in the CPU figure.
	gafferDesc, gafferRateDesc, cpuDesc string
	// setup makes the real task on gaffer, once the bare handler runs,
	// and returns the body and a check (nil for none) that the task is
	// still held once both runs are over.
	setup func(ctx context.Context, gaffer *endpoint) (body []byte, after func(context.Context) error, err error)
}

// runHeartbeat runs a heartbeat phase: it starts a bare handler, sets up
// the task, hammers the bare handler and then gaffer with the same
// request, and reports the two rates, their ratio against
// targetHeartbeatRatio and the CPU each spent.
func (b *bench) runHeartbeat(ctx context.Context, gaffer *endpoint, p heartbeatPhase) (err error) {
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

	body, after, err := p.setup(ctx, gaffer)
	if err != nil {
		return err
	}
	gafferDesc := cmp.Or(p.gafferDesc, p.op)
	b.progress("%s: bare handler, %d clients, %v", p.phase, o.Clients, o.Duration)
	bareRate, bareCPU, bareClientCPU, err := hammer(ctx, bare, p.dl, o.Clients, o.Duration, p.op, body)
	if err != nil {
		return fmt.Errorf("bare handler: %w", err)
	}
	b.progress("%s: gaffer %s, %d clients, %v", p.phase, gafferDesc, o.Clients, o.Duration)
	var db0 time.Duration
	if gaffer.db != nil {
		if db0, err = gaffer.db.cpuTime(); err != nil {
			return err
		}
	}
	gafferRate, gafferCPU, gafferClientCPU, err := hammer(ctx, gaffer, p.dl, o.Clients, o.Duration, p.op, body)
	if err != nil {
		return err
	}
	var dbCPU time.Duration
	if gaffer.db != nil {
		db1, err := gaffer.db.cpuTime()
		if err != nil {
			return err
		}
		// Over the warm-up and the measured round: per second of both.
		dbCPU = db1 - db0
	}
	if after != nil {
		if err := after(ctx); err != nil {
			return err
		}
	}
	if b.bare == nil {
		b.bare = map[string]bareFigures{}
	}
	b.bare[bareKey(b.target, p.dl)] = bareFigures{rate: bareRate, cpu: bareCPU}
	ratio := gafferRate / bareRate
	r := b.report
	r.add(p.phase, "bare_rps", fmt.Sprintf("bare net/http handler, %d clients", o.Clients), bareRate, "req/s")
	r.add(p.phase, "gaffer_rps", fmt.Sprintf("gaffer %s, %d clients", cmp.Or(p.gafferRateDesc, gafferDesc), o.Clients), gafferRate, "req/s")
	r.addTarget(p.phase, "ratio", "gaffer ÷ bare handler", 100*ratio, "%",
		fmt.Sprintf(">= %.0f %%", 100*targetHeartbeatRatio), ratio >= targetHeartbeatRatio)
	r.add(p.phase, "bare_cpu_us", "bare handler server CPU per request", micros(bareCPU), "µs")
	r.add(p.phase, "gaffer_cpu_us", "gaffer server CPU per "+p.cpuDesc, micros(gafferCPU), "µs")
	r.add(p.phase, "client_cpu_us", "bench client CPU per request (mean of both runs)", micros((bareClientCPU+gafferClientCPU)/2), "µs")
	if gaffer.db != nil {
		total := o.Duration + min(o.Duration/5, time.Second)
		r.add(p.phase, "db_cpu_pct", "PostgreSQL server CPU while gaffer was hammered (% of one CPU)", 100*dbCPU.Seconds()/total.Seconds(), "%")
	}
	return nil
}

// heartbeat is the heartbeat phase: SendTaskHeartbeat with one real
// token, against the bare handler.
func (b *bench) heartbeat(ctx context.Context, gaffer *endpoint) error {
	return b.runHeartbeat(ctx, gaffer, heartbeatPhase{
		phase: phaseHeartbeat, dl: sfnDialect, op: "SendTaskHeartbeat", cpuDesc: "heartbeat",
		setup: func(ctx context.Context, gaffer *endpoint) ([]byte, func(context.Context) error, error) {
			activity, machine, err := setupMachine(ctx, gaffer, "bench-heartbeat")
			if err != nil {
				return nil, nil, err
			}
			cl := gaffer.caller()
			if err := cl.callJSON(ctx, "StartExecution", map[string]any{"stateMachineArn": machine, "input": "{}"}, nil); err != nil {
				return nil, nil, err
			}
			var task struct{ TaskToken string }
			if err := cl.callJSON(ctx, "GetActivityTask", map[string]any{"activityArn": activity, "workerName": "bench"}, &task); err != nil {
				return nil, nil, err
			}
			if task.TaskToken == "" {
				return nil, nil, fmt.Errorf("GetActivityTask returned no task within %v", serverPollWait)
			}
			return mustJSON(map[string]any{"taskToken": task.TaskToken}), nil, nil
		},
	})
}
