package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gaffer-dev/gaffer/internal/cluster"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// Settings of the takeover phase.
const (
	// takeoverTasks is the number of activity tasks held by a worker when
	// the node is killed, completed through the survivors afterwards.
	takeoverTasks = 64
	// takeoverTimers is the least number of Wait-state executions in the
	// killed node's partitions, and takeoverTimersMin of them all.
	takeoverTimers    = 16
	takeoverTimersMin = 48
	// takeoverWait is the Wait state's Seconds: its deadline falls due
	// this long after the execution started, just after the kill.
	takeoverWait = 2
	// takeoverEvery is how often the bench looks at the nodes and the
	// executions after the kill.
	takeoverEvery = 10 * time.Millisecond
)

// nodesAnswer is what GET /gaffer/nodes answers (server.NodesView).
type nodesAnswer struct {
	Nodes []struct {
		Name       string `json:"name"`
		Partitions []int  `json:"partitions"`
	} `json:"nodes"`
	Free []int `json:"free"`
}

// takeover is the takeover phase: three nodes on one PostgreSQL schema,
// tasks held by workers and Wait deadlines in every partition; node 2 is
// killed with SIGKILL; the bench times until the two others hold all
// partitions (GET /gaffer/nodes) and until the killed node's deadlines
// have fired (its executions SUCCEEDED), then completes the held tasks
// through the survivors.
func (b *bench) takeover(ctx context.Context, _ *endpoint) (err error) {
	lease := b.cfg.Lease
	if lease == 0 {
		lease = cluster.DefaultLease
	}
	b.progress("takeover: 3 nodes on PostgreSQL, lease %v", lease)
	procs, err := b.startNodes(ctx, "takeover", 3, serverPollWait, "", false)
	if err != nil {
		return err
	}
	defer func() {
		for _, p := range procs {
			if p.dead() {
				continue
			}
			if serr := p.stop(); serr != nil && err == nil {
				err = serr
			}
		}
	}()
	client := newClient(32)
	defer client.CloseIdleConnections()
	ep := b.endpointOf(procs, client)
	survivors := b.endpointOf(procs[:2], client)
	victim := procs[2]
	victimName := "takeover-n2"

	// Wait until the three share the partitions.
	limit := 3*lease + 10*time.Second
	view, err := b.waitNodes(ctx, client, procs[0], limit, func(v nodesAnswer) bool {
		if len(v.Nodes) != 3 || len(v.Free) != 0 {
			return false
		}
		for _, n := range v.Nodes {
			if len(n.Partitions) == 0 {
				return false
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("the three nodes did not share the partitions: %w", err)
	}
	victimParts := map[int]bool{}
	for _, n := range view.Nodes {
		if n.Name == victimName {
			for _, p := range n.Partitions {
				victimParts[p] = true
			}
		}
	}
	if len(victimParts) == 0 {
		return fmt.Errorf("node %s holds no partition: %+v", victimName, view)
	}

	// Work in flight: tasks held by workers, and Wait deadlines.
	activity, machine, err := setupMachine(ctx, ep, "bench-takeover")
	if err != nil {
		return err
	}
	waitMachine, err := setupWaitMachine(ctx, ep, "bench-takeover-wait", takeoverWait)
	if err != nil {
		return err
	}
	cl := ep.caller()
	startBody := mustJSON(map[string]any{"stateMachineArn": machine, "input": "{}"})
	pollBody := mustJSON(map[string]any{"activityArn": activity, "workerName": "bench"})
	var tokens, taskArns []string
	for range takeoverTasks {
		var started struct{ ExecutionArn string }
		if err := cl.callJSON(ctx, "StartExecution", startBody, &started); err != nil {
			return err
		}
		var task struct{ TaskToken string }
		if err := cl.callJSON(ctx, "GetActivityTask", pollBody, &task); err != nil {
			return err
		}
		if task.TaskToken == "" {
			return fmt.Errorf("GetActivityTask returned no task within %v", serverPollWait)
		}
		tokens, taskArns = append(tokens, task.TaskToken), append(taskArns, started.ExecutionArn)
	}
	waitBody := mustJSON(map[string]any{"stateMachineArn": waitMachine, "input": "{}"})
	var victimArns, otherArns []string
	for i := 0; len(victimArns) < takeoverTimers || len(victimArns)+len(otherArns) < takeoverTimersMin; i++ {
		if i == 1000 {
			return fmt.Errorf("1000 executions, only %d in the partitions of %s", len(victimArns), victimName)
		}
		var started struct{ ExecutionArn string }
		if err := cl.callJSON(ctx, "StartExecution", waitBody, &started); err != nil {
			return err
		}
		if victimParts[store.PartitionOf(started.ExecutionArn)] {
			victimArns = append(victimArns, started.ExecutionArn)
		} else {
			otherArns = append(otherArns, started.ExecutionArn)
		}
	}
	// The first Wait deadline falls due takeoverWait after the first
	// Wait execution started; the kill comes before it.
	b.progress("takeover: %d tasks held, %d Wait deadlines (%d in %s's %d partitions); kill -9 %s",
		len(tokens), len(victimArns)+len(otherArns), len(victimArns), victimName, len(victimParts), victimName)
	killed := time.Now()
	if err := victim.kill(); err != nil {
		return err
	}

	var (
		wg                                 sync.WaitGroup
		partsAt                            time.Duration
		victimFirst, victimLast, otherLast time.Duration
		partsErr, victimErr, otherErr      error
	)
	wg.Go(func() {
		_, partsErr = b.waitNodes(ctx, client, procs[0], limit, func(v nodesAnswer) bool {
			if len(v.Free) != 0 || len(v.Nodes) != 2 {
				return false
			}
			n := 0
			for _, nd := range v.Nodes {
				n += len(nd.Partitions)
			}
			return n == store.Partitions
		})
		partsAt = time.Since(killed)
	})
	wg.Go(func() {
		victimFirst, victimLast, victimErr = waitAllSucceeded(ctx, survivors.caller(), victimArns, killed, limit)
	})
	wg.Go(func() {
		_, otherLast, otherErr = waitAllSucceeded(ctx, survivors.caller(), otherArns, killed, limit)
	})
	wg.Wait()
	for _, e := range []error{partsErr, victimErr, otherErr} {
		if e != nil {
			return e
		}
	}
	// The held tasks, completed through the survivors.
	scl := survivors.caller()
	for _, tok := range tokens {
		if _, err := scl.call(ctx, "SendTaskSuccess", mustJSON(map[string]any{"taskToken": tok, "output": "{}"})); err != nil {
			return fmt.Errorf("after the take-over: %w", err)
		}
	}
	for _, arn := range taskArns {
		if err := waitSucceeded(ctx, scl, arn); err != nil {
			return fmt.Errorf("after the take-over: %w", err)
		}
	}

	secs := func(d time.Duration) float64 { return d.Seconds() }
	r := b.report
	target := lease + targetTakeoverSlack
	r.add(phaseTakeover, "lease_s", "lease (--lease): how long a dead node's row lives", secs(lease), "s")
	r.add(phaseTakeover, "victim_partitions", fmt.Sprintf("partitions of the killed node (of %d, 3 nodes)", store.Partitions), float64(len(victimParts)), "")
	r.addTarget(phaseTakeover, "partitions_s", "kill -9 → the two survivors hold all partitions (GET /gaffer/nodes)", secs(partsAt), "s",
		fmt.Sprintf("<= %.1f s", target.Seconds()), partsAt <= target)
	r.add(phaseTakeover, "deadline_first_s", fmt.Sprintf("kill -9 → first of the killed node's %d Wait deadlines fired", len(victimArns)), secs(victimFirst), "s")
	r.add(phaseTakeover, "deadline_last_s", "kill -9 → last of the killed node's Wait deadlines fired", secs(victimLast), "s")
	r.add(phaseTakeover, "survivor_deadline_last_s", fmt.Sprintf("kill -9 → last of the survivors' %d Wait deadlines fired (when due)", len(otherArns)), secs(otherLast), "s")
	r.addTarget(phaseTakeover, "tasks_completed", "tasks held at the kill, completed through the survivors, executions SUCCEEDED", float64(len(tokens)), "",
		fmt.Sprintf("= %d", takeoverTasks), len(tokens) == takeoverTasks)
	return nil
}

// setupWaitMachine creates a state machine of one Wait state of seconds,
// and returns its ARN.
func setupWaitMachine(ctx context.Context, ep *endpoint, name string, seconds int) (string, error) {
	def := mustJSON(map[string]any{
		"StartAt": "Wait",
		"States":  map[string]any{"Wait": map[string]any{"Type": "Wait", "Seconds": seconds, "End": true}},
	})
	var sm struct{ StateMachineArn string }
	if err := ep.caller().callJSON(ctx, "CreateStateMachine", map[string]any{
		"name": name, "roleArn": benchRole, "definition": string(def),
	}, &sm); err != nil {
		return "", err
	}
	return sm.StateMachineArn, nil
}

// waitAllSucceeded describes arns every takeoverEvery until each has
// SUCCEEDED, and returns when the first and the last were first seen so,
// measured from since. Any other closed status, or limit passing, is an
// error.
func waitAllSucceeded(ctx context.Context, cl *caller, arns []string, since time.Time, limit time.Duration) (first, last time.Duration, err error) {
	pending := append([]string(nil), arns...)
	var out struct{ Status string }
	for len(pending) > 0 {
		var still []string
		for _, arn := range pending {
			if err := cl.callJSON(ctx, "DescribeExecution", map[string]any{"executionArn": arn}, &out); err != nil {
				return 0, 0, err
			}
			switch out.Status {
			case "SUCCEEDED":
				at := time.Since(since)
				if first == 0 {
					first = at
				}
				last = at
			case "RUNNING":
				still = append(still, arn)
			default:
				return 0, 0, fmt.Errorf("execution %s is %s, want SUCCEEDED", arn, out.Status)
			}
		}
		pending = still
		if len(pending) == 0 {
			break
		}
		if time.Since(since) > limit {
			return 0, 0, fmt.Errorf("%d of %d executions still RUNNING %v after the kill", len(pending), len(arns), limit)
		}
		select {
		case <-ctx.Done():
			return 0, 0, context.Cause(ctx)
		case <-time.After(takeoverEvery):
		}
	}
	return first, last, nil
}

// waitNodes reads GET /gaffer/nodes from p every takeoverEvery until done
// says yes, for at most limit, and returns that answer.
func (b *bench) waitNodes(ctx context.Context, client *http.Client, p *proc, limit time.Duration, done func(nodesAnswer) bool) (nodesAnswer, error) {
	deadline := time.Now().Add(limit)
	var v nodesAnswer
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url+"/gaffer/nodes", nil)
		if err != nil {
			return v, err
		}
		if b.signer != nil {
			if err := b.signer.sign(ctx, req, nil, "gaffer"); err != nil {
				return v, err
			}
		}
		resp, err := client.Do(req)
		if err != nil {
			return v, fmt.Errorf("GET /gaffer/nodes: %w", err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return v, fmt.Errorf("GET /gaffer/nodes: %w", err)
		}
		if resp.StatusCode != http.StatusOK {
			return v, fmt.Errorf("GET /gaffer/nodes: HTTP %d: %s", resp.StatusCode, body)
		}
		v = nodesAnswer{}
		if err := json.Unmarshal(body, &v); err != nil {
			return v, fmt.Errorf("GET /gaffer/nodes: %w", err)
		}
		if done(v) {
			return v, nil
		}
		if time.Now().After(deadline) {
			return v, fmt.Errorf("GET /gaffer/nodes after %v: %s", limit, body)
		}
		select {
		case <-ctx.Done():
			return v, context.Cause(ctx)
		case <-time.After(takeoverEvery):
		}
	}
}
