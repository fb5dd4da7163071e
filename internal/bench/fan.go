package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Settings of the map and parallel phases.
const (
	// mapItems is the number of items of each execution of the map phase.
	mapItems = 1000
	// mapInFlight is the number of map executions the map phase keeps
	// running at once: with one, the workers would idle at the end of each
	// map while its last tasks finish.
	mapInFlight = 2
	// parallelBranches is the number of branches of the parallel phase's
	// Parallel state, each one activity task.
	parallelBranches = 10
	// mapPoll is how often the map phase asks whether a map has ended.
	mapPoll = 50 * time.Millisecond
)

// setupFanMachine creates an activity and a state machine whose definition
// is def with "$ACT" replaced by the activity's ARN.
func setupFanMachine(ctx context.Context, ep *endpoint, name, def string) (activityArn, machineArn string, err error) {
	cl := ep.caller()
	var act struct{ ActivityArn string }
	if err := cl.callJSON(ctx, "CreateActivity", map[string]any{"name": name}, &act); err != nil {
		return "", "", err
	}
	var sm struct{ StateMachineArn string }
	if err := cl.callJSON(ctx, "CreateStateMachine", map[string]any{
		"name": name, "roleArn": benchRole, "definition": strings.ReplaceAll(def, "$ACT", act.ActivityArn),
	}, &sm); err != nil {
		return "", "", err
	}
	if act.ActivityArn == "" || sm.StateMachineArn == "" {
		return "", "", errors.New("CreateActivity or CreateStateMachine answered without an ARN")
	}
	return act.ActivityArn, sm.StateMachineArn, nil
}

// work polls activity and completes each task it gets until ctx ends.
func work(ctx context.Context, cl *caller, activity string) error {
	pollBody := mustJSON(map[string]any{"activityArn": activity, "workerName": "bench"})
	var task struct{ TaskToken string }
	for ctx.Err() == nil {
		task.TaskToken = ""
		if err := cl.callJSON(ctx, "GetActivityTask", pollBody, &task); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if task.TaskToken == "" {
			continue
		}
		success := mustJSON(map[string]any{"taskToken": task.TaskToken, "output": `{"done":true}`})
		if _, err := cl.call(ctx, "SendTaskSuccess", success); err != nil {
			return err
		}
	}
	return nil
}

// waitClosed waits until an execution has ended and returns its status.
// It asks every mapPoll: DescribeExecution reads the whole execution
// record, which is large while a Map runs.
func waitClosed(ctx context.Context, cl *caller, arn string) (string, error) {
	var out struct{ Status string }
	for {
		if err := cl.callJSON(ctx, "DescribeExecution", map[string]any{"executionArn": arn}, &out); err != nil {
			return "", err
		}
		if out.Status != "RUNNING" {
			return out.Status, nil
		}
		select {
		case <-ctx.Done():
			return "", context.Cause(ctx)
		case <-time.After(mapPoll):
		}
	}
}

// mapPhase is the map phase: an inline Map of mapItems items over one
// activity, MaxConcurrency 0, its tasks taken by -workers workers.
func (b *bench) mapPhase(ctx context.Context, gaffer *endpoint) error {
	o := b.cfg
	activity, machine, err := setupFanMachine(ctx, gaffer, "bench-map", `{"StartAt": "M", "States": {"M": {
		"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 0,
		"ItemSelector": {"item.$": "$$.Map.Item.Value"},
		"ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Task", "Resource": "$ACT", "HeartbeatSeconds": 3600, "End": true}}},
		"End": true}}}`)
	if err != nil {
		return err
	}
	n := mapItems
	if o.mapItems > 0 {
		n = o.mapItems
	}
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	input, err := json.Marshal(map[string]any{"items": items})
	if err != nil {
		return err
	}
	startBody := mustJSON(map[string]any{"stateMachineArn": machine, "input": string(input)})

	type outcome struct {
		maps        int64
		items       int64
		rate        float64
		perMap      time.Duration
		cpu, client time.Duration
	}
	// The workers serve both rounds. Workers stopped between rounds would
	// leave polls the server has not yet seen go (a client's canceled
	// request is noticed a moment later): the next Map's first tasks
	// could be started for them and never be answered — the window every
	// long poll has, which tasks without a timeout cannot recover from.
	phaseCtx, failPhase := context.WithCancelCause(ctx)
	defer failPhase(nil)
	workCtx, stopWork := context.WithCancel(phaseCtx)
	var workers sync.WaitGroup
	defer func() {
		stopWork()
		workers.Wait()
	}()
	for range o.Workers {
		cl := gaffer.caller()
		workers.Go(func() {
			if err := work(workCtx, cl, activity); err != nil {
				failPhase(err)
			}
		})
	}
	// round keeps mapInFlight executions running until d has passed, with
	// the workers taking their tasks; it ends when the last has succeeded.
	round := func(d time.Duration) (outcome, error) {
		ctx, cancel := context.WithCancelCause(phaseCtx)
		defer cancel(nil)
		var maps, mapTime atomic.Int64
		var starters sync.WaitGroup
		cpu0, err := gaffer.cpuTime()
		if err != nil {
			return outcome{}, err
		}
		own0 := ownCPUTime()
		start := time.Now()
		deadline := start.Add(d)
		for range mapInFlight {
			cl := gaffer.caller()
			starters.Go(func() {
				var started struct{ ExecutionArn string }
				for time.Now().Before(deadline) && ctx.Err() == nil {
					t0 := time.Now()
					if err := cl.callJSON(ctx, "StartExecution", startBody, &started); err != nil {
						cancel(err)
						return
					}
					status, err := waitClosed(ctx, cl, started.ExecutionArn)
					if err != nil {
						cancel(err)
						return
					}
					if status != "SUCCEEDED" {
						cancel(fmt.Errorf("map execution %s ended %s, want SUCCEEDED", started.ExecutionArn, status))
						return
					}
					maps.Add(1)
					mapTime.Add(int64(time.Since(t0)))
				}
			})
		}
		starters.Wait()
		elapsed := time.Since(start)
		own1 := ownCPUTime()
		cpu1, err := gaffer.cpuTime()
		if err != nil {
			return outcome{}, err
		}
		if err := context.Cause(ctx); err != nil {
			return outcome{}, err
		}
		// Every Map of the round has succeeded, so all its tasks were
		// completed (the workers' count may lag a Map's success by the
		// answers in flight: it is not the measure).
		k := maps.Load()
		n := k * int64(len(items))
		per := time.Duration(max(n, 1))
		return outcome{maps: k, items: n, rate: float64(n) / elapsed.Seconds(), perMap: time.Duration(mapTime.Load() / max(k, 1)),
			cpu: (cpu1 - cpu0) / per, client: (own1 - own0) / per}, nil
	}
	b.progress("map: %d items a map, %d maps at once, %d workers, %v", len(items), mapInFlight, o.Workers, o.Duration)
	if _, err := round(min(o.Duration/5, time.Second)); err != nil {
		return err
	}
	res, err := round(o.Duration)
	if err != nil {
		return err
	}
	r := b.report
	r.add(phaseMap, "maps", fmt.Sprintf("%d-item Map executions succeeded", len(items)), float64(res.maps), "")
	r.add(phaseMap, "items_per_s", fmt.Sprintf("Map items (GetActivityTask→SendTaskSuccess), %d workers", o.Workers), res.rate, "items/s")
	r.add(phaseMap, "map_s", fmt.Sprintf("StartExecution → SUCCEEDED, one %d-item Map", len(items)), res.perMap.Seconds(), "s")
	r.add(phaseMap, "cpu_us", "gaffer server CPU per item (2 requests)", micros(res.cpu), "µs")
	r.add(phaseMap, "client_cpu_us", "bench client CPU per item", micros(res.client), "µs")
	return nil
}

// parallelPhase is the parallel phase: executions of a Parallel state of
// parallelBranches branches, each one activity task.
func (b *bench) parallelPhase(ctx context.Context, gaffer *endpoint) error {
	o := b.cfg
	branches := make([]string, parallelBranches)
	for i := range branches {
		branches[i] = fmt.Sprintf(`{"StartAt": "W%d", "States": {"W%d": {"Type": "Task", "Resource": "$ACT", "HeartbeatSeconds": 3600, "End": true}}}`, i, i)
	}
	activity, machine, err := setupFanMachine(ctx, gaffer, "bench-parallel", `{"StartAt": "P", "States": {"P": {
		"Type": "Parallel", "End": true, "Branches": [`+strings.Join(branches, ",")+`]}}}`)
	if err != nil {
		return err
	}
	startBody := mustJSON(map[string]any{"stateMachineArn": machine, "input": `{"bench":true}`})
	pollBody := mustJSON(map[string]any{"activityArn": activity, "workerName": "bench"})

	// Each worker starts an execution and completes parallelBranches
	// tasks (any execution's), so when all workers have stopped every
	// task has been completed.
	lastArns := make([]string, o.Workers)
	round := func(d time.Duration) (executions int64, rate float64, cpu, clientCPU time.Duration, err error) {
		var count atomic.Int64
		elapsed, cpu, clientCPU, err := runLoops(ctx, gaffer, o.Workers, d, func(ctx context.Context, w int, deadline time.Time) error {
			cl := gaffer.caller()
			var started struct{ ExecutionArn string }
			var task struct{ TaskToken string }
			for time.Now().Before(deadline) {
				if err := cl.callJSON(ctx, "StartExecution", startBody, &started); err != nil {
					return err
				}
				lastArns[w] = started.ExecutionArn
				for range parallelBranches {
					task.TaskToken = ""
					if err := cl.callJSON(ctx, "GetActivityTask", pollBody, &task); err != nil {
						return err
					}
					if task.TaskToken == "" {
						return fmt.Errorf("GetActivityTask returned no task within %v although executions were started", serverPollWait)
					}
					success := mustJSON(map[string]any{"taskToken": task.TaskToken, "output": `{"done":true}`})
					if _, err := cl.call(ctx, "SendTaskSuccess", success); err != nil {
						return err
					}
				}
				count.Add(1)
			}
			return nil
		})
		if err != nil {
			return 0, 0, 0, 0, err
		}
		k := count.Load()
		per := time.Duration(max(k, 1))
		return k, float64(k) / elapsed.Seconds(), cpu / per, clientCPU / per, nil
	}
	b.progress("parallel: %d branches, %d workers, %v", parallelBranches, o.Workers, o.Duration)
	if _, _, _, _, err := round(min(o.Duration/5, time.Second)); err != nil {
		return err
	}
	executions, rate, cpu, clientCPU, err := round(o.Duration)
	if err != nil {
		return err
	}
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
	r.add(phaseParallel, "executions", "executions completed (all their branch tasks answered)", float64(executions), "")
	r.add(phaseParallel, "executions_per_s", fmt.Sprintf("Start → %d×(Get→Success), %d branches, %d workers", parallelBranches, parallelBranches, o.Workers), rate, "exec/s")
	r.add(phaseParallel, "tasks_per_s", "branch tasks completed", rate*parallelBranches, "tasks/s")
	r.add(phaseParallel, "cpu_us", fmt.Sprintf("gaffer server CPU per execution (%d requests)", 1+2*parallelBranches), micros(cpu), "µs")
	r.add(phaseParallel, "client_cpu_us", "bench client CPU per execution", micros(clientCPU), "µs")
	return nil
}
