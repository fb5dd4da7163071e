package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// cycle is the cycle phase: the full cycle of a one-task execution.
func (b *bench) cycle(ctx context.Context, gaffer *endpoint) error {
	o := b.cfg
	activity, machine, err := setupMachine(ctx, gaffer, "bench-cycle")
	if err != nil {
		return err
	}
	startBody := mustJSON(map[string]any{"stateMachineArn": machine, "input": `{"bench":true}`})
	pollBody := mustJSON(map[string]any{"activityArn": activity, "workerName": "bench"})

	// Each worker starts an execution, polls the activity (which every
	// worker shares, so it may get another worker's task), heartbeats and
	// completes what it got. Every loop starts one execution and completes
	// one, so when all workers have stopped every execution has been
	// completed.
	var dbCPU time.Duration // PostgreSQL's, over the measured round
	var notices [3]int64    // wake, arm, nodes notices over the measured round
	var measured time.Duration
	round := func(d time.Duration) (completed int64, rate float64, cpu, clientCPU time.Duration, lastArns []string, err error) {
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		var count atomic.Int64
		var wg sync.WaitGroup
		lastArns = make([]string, o.Workers)
		cpu0, err := gaffer.cpuTime()
		if err != nil {
			return 0, 0, 0, 0, nil, err
		}
		own0 := ownCPUTime()
		var db0 time.Duration
		if gaffer.db != nil {
			if db0, err = gaffer.db.cpuTime(); err != nil {
				return 0, 0, 0, 0, nil, err
			}
		}
		var nc *noticeCounter
		if b.target.pg {
			if nc, err = b.db.listen(ctx); err != nil {
				return 0, 0, 0, 0, nil, err
			}
		}
		start := time.Now()
		deadline := start.Add(d)
		for w := range o.Workers {
			cl := gaffer.caller()
			wg.Go(func() {
				var started struct{ ExecutionArn string }
				var task struct{ TaskToken string }
				for time.Now().Before(deadline) {
					if err := cl.callJSON(ctx, "StartExecution", startBody, &started); err != nil {
						cancel(err)
						return
					}
					lastArns[w] = started.ExecutionArn
					task.TaskToken = ""
					if err := cl.callJSON(ctx, "GetActivityTask", pollBody, &task); err != nil {
						cancel(err)
						return
					}
					if task.TaskToken == "" {
						cancel(fmt.Errorf("GetActivityTask returned no task within %v although executions were started", serverPollWait))
						return
					}
					token := mustJSON(map[string]any{"taskToken": task.TaskToken})
					if _, err := cl.call(ctx, "SendTaskHeartbeat", token); err != nil {
						cancel(err)
						return
					}
					success := mustJSON(map[string]any{"taskToken": task.TaskToken, "output": `{"done":true}`})
					if _, err := cl.call(ctx, "SendTaskSuccess", success); err != nil {
						cancel(err)
						return
					}
					count.Add(1)
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		own1 := ownCPUTime()
		if nc != nil {
			if err := nc.close(); err != nil {
				return 0, 0, 0, 0, nil, err
			}
			notices = [3]int64{nc.wake.Load(), nc.arm.Load(), nc.nodes.Load()}
		}
		if gaffer.db != nil {
			db1, err := gaffer.db.cpuTime()
			if err != nil {
				return 0, 0, 0, 0, nil, err
			}
			dbCPU = db1 - db0
		}
		measured = elapsed
		cpu1, err := gaffer.cpuTime()
		if err != nil {
			return 0, 0, 0, 0, nil, err
		}
		if err := context.Cause(ctx); err != nil {
			return 0, 0, 0, 0, nil, err
		}
		k := count.Load()
		per := time.Duration(max(k, 1))
		return k, float64(k) / elapsed.Seconds(), (cpu1 - cpu0) / per, (own1 - own0) / per, lastArns, nil
	}
	b.progress("cycle: %d workers, %v", o.Workers, o.Duration)
	if _, _, _, _, _, err := round(min(o.Duration/5, time.Second)); err != nil {
		return err
	}
	completed, rate, cpu, clientCPU, lastArns, err := round(o.Duration)
	if err != nil {
		return err
	}
	// Every worker's last execution must have succeeded.
	cl := gaffer.caller()
	for _, arn := range lastArns {
		if arn == "" {
			continue
		}
		if err := waitSucceeded(ctx, cl, arn); err != nil {
			return err
		}
	}
	r := b.report
	r.add(phaseCycle, "executions", "executions completed (SendTaskSuccess answered 200)", float64(completed), "")
	r.add(phaseCycle, "executions_per_s", fmt.Sprintf("Start→Get→Heartbeat→Success, %d workers", o.Workers), rate, "exec/s")
	r.add(phaseCycle, "cpu_us", "gaffer server CPU per execution (4 requests)", micros(cpu), "µs")
	b.addVsBare(phaseCycle, sfnDialect, "execution", rate, targetCycleRateVsBare, cpu, targetCycleCPUVsBare)
	r.add(phaseCycle, "client_cpu_us", "bench client CPU per execution", micros(clientCPU), "µs")
	if gaffer.db != nil {
		r.add(phaseCycle, "db_cpu_us", "PostgreSQL server CPU per execution (its processes, from /proc)", micros(dbCPU/time.Duration(max(completed, 1))), "µs")
	}
	if b.target.pg {
		secs := measured.Seconds()
		r.add(phaseCycle, "wake_notices_per_s", "NOTIFY gaffer_wake received by a listener, per second", float64(notices[0])/secs, "/s")
		r.add(phaseCycle, "arm_notices_per_s", "NOTIFY gaffer_arm received by a listener, per second", float64(notices[1])/secs, "/s")
		r.add(phaseCycle, "notices_per_execution", "NOTIFYs (all channels) per execution", float64(notices[0]+notices[1]+notices[2])/float64(max(completed, 1)), "")
	}
	return nil
}
