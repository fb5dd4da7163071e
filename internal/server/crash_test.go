package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// Invariant 1: an acknowledged call is durable. These tests run `gaffer
// serve` as a child process, put executions in every phase, kill -9 it,
// restart it on the same data directory and check that nothing was lost and
// nothing was done twice.

const testRole = "arn:aws:iam::000000000000:role/test"

// client wraps an SDK client for the server at one URL; a restarted server
// gets a new one.
type client struct {
	*sfn.Client
	ctx  context.Context
	wait servertest.Waiter
}

// newClient returns a client for the server at url, which w waits on.
func newClient(url string, w servertest.Waiter) *client {
	return &client{Client: servertest.SFN(url), ctx: context.Background(), wait: w}
}

func (c *client) activity(t *testing.T, name string) string {
	t.Helper()
	out, err := c.CreateActivity(c.ctx, &sfn.CreateActivityInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateActivity %s: %v", name, err)
	}
	return aws.ToString(out.ActivityArn)
}

// machine creates a state machine; "$ACT" in definition is replaced by act.
func (c *client) machine(t *testing.T, name, definition, act string) string {
	t.Helper()
	out, err := c.CreateStateMachine(c.ctx, &sfn.CreateStateMachineInput{
		Name:       aws.String(name),
		Definition: aws.String(strings.ReplaceAll(definition, "$ACT", act)),
		RoleArn:    aws.String(testRole),
	})
	if err != nil {
		t.Fatalf("CreateStateMachine %s: %v", name, err)
	}
	return aws.ToString(out.StateMachineArn)
}

// start starts an execution named name with input {"id": name}.
func (c *client) start(t *testing.T, machine, name string) string {
	t.Helper()
	out, err := c.StartExecution(c.ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machine), Name: aws.String(name), Input: aws.String(idInput(name)),
	})
	if err != nil {
		t.Fatalf("StartExecution %s: %v", name, err)
	}
	return aws.ToString(out.ExecutionArn)
}

// poll long-polls act once; token is "" for an empty answer, id is the
// task input's "id".
func (c *client) poll(t *testing.T, act string) (token, id string) {
	t.Helper()
	out, err := c.GetActivityTask(c.ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(act), WorkerName: aws.String("crash-worker")})
	if err != nil {
		t.Fatalf("GetActivityTask: %v", err)
	}
	if out.TaskToken == nil {
		return "", ""
	}
	return aws.ToString(out.TaskToken), inputID(t, aws.ToString(out.Input))
}

// mustPoll polls act until it hands out a task (at most 30 s).
func (c *client) mustPoll(t *testing.T, act string) (token, id string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if tok, id := c.poll(t, act); tok != "" {
			return tok, id
		}
	}
	t.Fatalf("no task handed out on %s within 30s", act)
	return "", ""
}

func (c *client) heartbeat(t *testing.T, token string) {
	t.Helper()
	if _, err := c.SendTaskHeartbeat(c.ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(token)}); err != nil {
		t.Fatalf("SendTaskHeartbeat: %v", err)
	}
}

// succeed completes a task with output {"done": id}.
func (c *client) succeed(t *testing.T, token, id string) {
	t.Helper()
	if _, err := c.SendTaskSuccess(c.ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(doneOutput(id))}); err != nil {
		t.Fatalf("SendTaskSuccess %s: %v", id, err)
	}
}

func (c *client) describe(t *testing.T, exec string) *sfn.DescribeExecutionOutput {
	t.Helper()
	out, err := c.DescribeExecution(c.ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(exec)})
	if err != nil {
		t.Fatalf("DescribeExecution %s: %v", exec, err)
	}
	return out
}

// waitStatus re-reads the execution until its status is want (at most
// within) and returns its description.
func (c *client) waitStatus(t *testing.T, exec string, want types.ExecutionStatus, within time.Duration) *sfn.DescribeExecutionOutput {
	t.Helper()
	var out *sfn.DescribeExecutionOutput
	c.wait.Await(within, func() bool {
		out = c.describe(t, exec)
		return out.Status == want || out.Status != types.ExecutionStatusRunning
	})
	if out.Status != want {
		t.Fatalf("execution %s: status %s, want %s; history %v", exec, out.Status, want, servertest.SFNEventTypes(c.history(t, exec)))
	}
	return out
}

func (c *client) history(t *testing.T, exec string) []types.HistoryEvent {
	t.Helper()
	var events []types.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(c.Client, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(exec), MaxResults: 1000})
	for p.HasMorePages() {
		page, err := p.NextPage(c.ctx)
		if err != nil {
			t.Fatalf("GetExecutionHistory %s: %v", exec, err)
		}
		events = append(events, page.Events...)
	}
	return events
}

func (c *client) executions(t *testing.T, machine string) []types.ExecutionListItem {
	t.Helper()
	var items []types.ExecutionListItem
	p := sfn.NewListExecutionsPaginator(c.Client, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine), MaxResults: 1000})
	for p.HasMorePages() {
		page, err := p.NextPage(c.ctx)
		if err != nil {
			t.Fatalf("ListExecutions: %v", err)
		}
		items = append(items, page.Executions...)
	}
	return items
}

func idInput(id string) string    { return fmt.Sprintf(`{"id":%q}`, id) }
func doneOutput(id string) string { return fmt.Sprintf(`{"done":%q}`, id) }

func inputID(t *testing.T, input string) string {
	t.Helper()
	id, err := parseID(input)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// parseID returns the "id" a task input carries; safe off the test's
// goroutine.
func parseID(input string) (string, error) {
	var v struct{ ID string }
	if err := json.Unmarshal([]byte(input), &v); err != nil || v.ID == "" {
		return "", fmt.Errorf("task input %q carries no id (%v)", input, err)
	}
	return v.ID, nil
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// checkHistory checks that a finished history has no lost or duplicated
// events: ids 1..n dense, one ExecutionStarted first, one closing event
// last, and each ActivityScheduled followed by exactly one ActivityStarted
// and exactly one outcome.
func checkHistory(t *testing.T, name string, events []types.HistoryEvent) {
	t.Helper()
	if len(events) == 0 {
		t.Errorf("%s: empty history", name)
		return
	}
	for i, e := range events {
		if e.Id != int64(i+1) {
			t.Errorf("%s: event %d has id %d; history %v", name, i+1, e.Id, servertest.SFNEventTypes(events))
			return
		}
	}
	count := func(typ types.HistoryEventType, prev int64) int {
		n := 0
		for _, e := range events {
			if e.Type == typ && (prev < 0 || e.PreviousEventId == prev) {
				n++
			}
		}
		return n
	}
	if n := count(types.HistoryEventTypeExecutionStarted, -1); n != 1 || events[0].Type != types.HistoryEventTypeExecutionStarted {
		t.Errorf("%s: %d ExecutionStarted, first event %s", name, n, events[0].Type)
	}
	closing := 0
	for _, typ := range []types.HistoryEventType{types.HistoryEventTypeExecutionSucceeded, types.HistoryEventTypeExecutionFailed, types.HistoryEventTypeExecutionTimedOut, types.HistoryEventTypeExecutionAborted} {
		closing += count(typ, -1)
	}
	if last := events[len(events)-1].Type; closing != 1 || !strings.HasPrefix(string(last), "Execution") {
		t.Errorf("%s: %d closing events, last event %s; history %v", name, closing, last, servertest.SFNEventTypes(events))
	}
	outcomes := []types.HistoryEventType{types.HistoryEventTypeActivitySucceeded, types.HistoryEventTypeActivityFailed, types.HistoryEventTypeActivityTimedOut}
	scheduled, started, ended := 0, 0, 0
	for _, e := range events {
		switch {
		case e.Type == types.HistoryEventTypeActivityScheduled:
			scheduled++
		case e.Type == types.HistoryEventTypeActivityStarted:
			started++
		case slices.Contains(outcomes, e.Type):
			ended++
		}
		if e.Type != types.HistoryEventTypeActivityScheduled {
			continue
		}
		var startedID int64 = -1
		if n := count(types.HistoryEventTypeActivityStarted, e.Id); n != 1 {
			t.Errorf("%s: ActivityScheduled %d has %d ActivityStarted; history %v", name, e.Id, n, servertest.SFNEventTypes(events))
		}
		for _, s := range events {
			if s.Type == types.HistoryEventTypeActivityStarted && s.PreviousEventId == e.Id {
				startedID = s.Id
			}
		}
		n := 0
		for _, typ := range outcomes {
			n += count(typ, startedID)
		}
		if n != 1 {
			t.Errorf("%s: ActivityScheduled %d (started %d) has %d outcomes; history %v", name, e.Id, startedID, n, servertest.SFNEventTypes(events))
		}
	}
	if started != scheduled || ended != scheduled {
		t.Errorf("%s: %d ActivityScheduled, %d ActivityStarted, %d outcomes; history %v", name, scheduled, started, ended, servertest.SFNEventTypes(events))
	}
}

// eventsKey summarises a history for comparison before and after a crash.
func eventsKey(events []types.HistoryEvent) string {
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "%d<%d %s %s\n", e.Id, e.PreviousEventId, e.Type, e.Timestamp.UTC().Format(time.RFC3339Nano))
	}
	return b.String()
}

const (
	taskDef = `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"$ACT","End":true}}}`
	// heartbeatDef: the worker must beat every 5 s.
	heartbeatDef = `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"$ACT","HeartbeatSeconds":5,"End":true}}}`
	waitDef      = `{"StartAt":"Pause","States":{"Pause":{"Type":"Wait","Seconds":2,"Next":"Work"},"Work":{"Type":"Task","Resource":"$ACT","End":true}}}`
	retryDef     = `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"$ACT","End":true,
		"Retry":[{"ErrorEquals":["Custom.Flaky"],"IntervalSeconds":2,"MaxAttempts":3,"BackoffRate":1}]}}}`
)

// TestCrashEveryPhase kills the server with executions in every phase and
// checks that the restarted server carries each of them on exactly once.
func TestCrashEveryPhase(t *testing.T) {
	t.Parallel()
	p := servertest.StartProcess(t, "")
	c := newClient(p.URL, p)

	actA, actB, actC, actD, actE := c.activity(t, "waiting"), c.activity(t, "started"), c.activity(t, "after-wait"), c.activity(t, "done"), c.activity(t, "retried")
	smA := c.machine(t, "waiting", taskDef, actA)
	smB := c.machine(t, "started", taskDef, actB)
	smBH := c.machine(t, "started-hb", heartbeatDef, actB)
	smC := c.machine(t, "wait", waitDef, actC)
	smD := c.machine(t, "done", taskDef, actD)
	smE := c.machine(t, "retried", retryDef, actE)

	execs := map[string]string{} // id → execution ARN

	// (a) waiting: started, task never polled.
	var idsA []string
	for i := range 6 {
		id := fmt.Sprintf("a-%d", i)
		execs[id] = c.start(t, smA, id)
		idsA = append(idsA, id)
	}

	// (e) failed once; the retry's 2 s back-off is pending.
	idsE := []string{"e-0", "e-1"}
	for _, id := range idsE {
		execs[id] = c.start(t, smE, id)
	}
	for range idsE {
		tok, id := c.mustPoll(t, actE)
		if _, err := c.SendTaskFailure(c.ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(tok), Error: aws.String("Custom.Flaky"), Cause: aws.String("try again")}); err != nil {
			t.Fatalf("SendTaskFailure %s: %v", id, err)
		}
	}

	// (b) started: the worker holds a token; b-0..b-2 must heartbeat.
	idsB := []string{"b-0", "b-1", "b-2", "b-3", "b-4"}
	for _, id := range idsB {
		sm := smB
		if id < "b-3" {
			sm = smBH
		}
		execs[id] = c.start(t, sm, id)
	}
	tokensB := map[string]string{}
	for range idsB {
		tok, id := c.mustPoll(t, actB)
		if _, dup := tokensB[id]; dup {
			t.Fatalf("task of %s handed out twice before the crash", id)
		}
		tokensB[id] = tok
		c.heartbeat(t, tok)
	}

	// (d) completed: acknowledged, so it must stay SUCCEEDED.
	idsD := []string{"d-0", "d-1"}
	for _, id := range idsD {
		execs[id] = c.start(t, smD, id)
	}
	historyD := map[string]string{}
	for range idsD {
		tok, id := c.mustPoll(t, actD)
		c.succeed(t, tok, id)
		// The outcome and the execution's reaction commit together: the
		// answer implies the new status.
		if out := c.describe(t, execs[id]); out.Status != types.ExecutionStatusSucceeded {
			t.Fatalf("%s: status %s right after SendTaskSuccess was acknowledged", id, out.Status)
		}
		historyD[id] = eventsKey(c.history(t, execs[id]))
	}

	// (c) in a Wait state, started just before the kill.
	idsC := []string{"c-0", "c-1"}
	for _, id := range idsC {
		execs[id] = c.start(t, smC, id)
	}
	for _, id := range idsB {
		c.heartbeat(t, tokensB[id])
	}

	p = p.Crash(t, 0)
	c = newClient(p.URL, p)

	// (b) first: the heartbeat window runs from the last persisted beat.
	// The attempts kept their tokens.
	var wg sync.WaitGroup
	for _, id := range idsB {
		wg.Go(func() {
			if _, err := c.SendTaskHeartbeat(c.ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(tokensB[id])}); err != nil {
				t.Errorf("%s: SendTaskHeartbeat after restart: %v", id, err)
				return
			}
			if _, err := c.SendTaskSuccess(c.ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tokensB[id]), Output: aws.String(doneOutput(id))}); err != nil {
				t.Errorf("%s: SendTaskSuccess after restart: %v", id, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// Every execution survived, with its status.
	for id, arn := range execs {
		want := types.ExecutionStatusRunning
		if id[0] == 'b' || id[0] == 'd' {
			want = types.ExecutionStatusSucceeded
		}
		if got := c.describe(t, arn).Status; got != want {
			t.Errorf("%s after restart: status %s, want %s", id, got, want)
		}
	}
	for _, id := range idsD {
		if got := eventsKey(c.history(t, execs[id])); got != historyD[id] {
			t.Errorf("%s: history changed across the crash:\nbefore:\n%s\nafter:\n%s", id, historyD[id], got)
		}
	}

	// (a) each waiting task is handed out exactly once, to concurrent
	// pollers; a poller stops at its first empty answer.
	var mu sync.Mutex
	handed := map[string]int{}
	for range 4 {
		wg.Go(func() {
			for {
				out, err := c.GetActivityTask(c.ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(actA), WorkerName: aws.String("drain")})
				if err != nil {
					t.Errorf("GetActivityTask: %v", err)
					return
				}
				if out.TaskToken == nil {
					return
				}
				id, err := parseID(aws.ToString(out.Input))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				handed[id]++
				mu.Unlock()
				if _, err := c.SendTaskSuccess(c.ctx, &sfn.SendTaskSuccessInput{TaskToken: out.TaskToken, Output: aws.String(doneOutput(id))}); err != nil {
					t.Errorf("%s: SendTaskSuccess: %v", id, err)
				}
			}
		})
	}
	wg.Wait()
	for _, id := range idsA {
		if handed[id] != 1 {
			t.Errorf("task of %s handed out %d times after the restart, want once", id, handed[id])
		}
	}
	if len(handed) != len(idsA) {
		t.Errorf("handed out %v, want exactly %v", handed, idsA)
	}

	// (c) resumes after its wait and reaches the Task.
	for range idsC {
		tok, id := c.mustPoll(t, actC)
		if !slices.Contains(idsC, id) {
			t.Fatalf("unexpected task %s on the wait machine's activity", id)
		}
		if !slices.Contains(servertest.SFNEventTypes(c.history(t, execs[id])), string(types.HistoryEventTypeWaitStateExited)) {
			t.Errorf("%s: task scheduled without WaitStateExited", id)
		}
		c.succeed(t, tok, id)
	}

	// (e) retries, and the retry can be completed.
	for range idsE {
		tok, id := c.mustPoll(t, actE)
		c.succeed(t, tok, id)
	}

	// (d) is never handed out again (its pollers get an empty answer).
	if tok, id := c.poll(t, actD); tok != "" {
		t.Errorf("completed task of %s handed out again after the restart", id)
	}

	for id, arn := range execs {
		out := c.waitStatus(t, arn, types.ExecutionStatusSucceeded, 15*time.Second)
		if got := aws.ToString(out.Output); !sameJSON(got, doneOutput(id)) {
			t.Errorf("%s: output %s, want %s", id, got, doneOutput(id))
		}
		events := c.history(t, arn)
		checkHistory(t, id, events)
		if id[0] == 'e' {
			if got := servertest.SFNEventTypes(events); !slices.Contains(got, string(types.HistoryEventTypeActivityFailed)) {
				t.Errorf("%s: no ActivityFailed in %v", id, got)
			}
		}
	}
	if t.Failed() {
		t.Logf("server log after restart:\n%s", p.Log())
	}
}

// TestCrashDuringBurst kills the server while 8 workers start executions
// and complete tasks as fast as they can. Whatever was acknowledged must be
// there after the restart; whatever was not may or may not have happened,
// but nothing is half-done: every execution can be driven to completion.
func TestCrashDuringBurst(t *testing.T) {
	t.Parallel()
	p := servertest.StartProcess(t, "")
	c := newClient(p.URL, p)
	act := c.activity(t, "burst")
	// A worker whose GetActivityTask answer was lost in the crash holds no
	// token: its attempt times out after 3 s without heartbeats and is
	// retried, so every execution can finish.
	sm := c.machine(t, "burst", `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"$ACT","HeartbeatSeconds":3,"End":true,
		"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":1,"MaxAttempts":10,"BackoffRate":1}]}}}`, act)

	// No SDK retries: a call is acknowledged by its own 200, never by a
	// retry that might reach the restarted server.
	burst := sfn.NewFromConfig(servertest.AWSConfig(p.URL), func(o *sfn.Options) { o.RetryMaxAttempts = 1 })
	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu        sync.Mutex
		started   = map[string]string{} // acknowledged StartExecution: name → ARN
		succeeded = map[string]bool{}   // acknowledged SendTaskSuccess, by execution name
		tokens    = map[string]string{} // the latest token handed out, by execution name
		acked     int
		enough    = make(chan struct{})
	)
	ack := func() {
		acked++
		if acked == 80 {
			close(enough)
		}
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				name := fmt.Sprintf("w%d-%d", g, i)
				out, err := burst.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String(name), Input: aws.String(idInput(name))})
				if err == nil {
					mu.Lock()
					started[name] = aws.ToString(out.ExecutionArn)
					ack()
					mu.Unlock()
				}
				task, err := burst.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(act), WorkerName: aws.String(name)})
				if err != nil || task.TaskToken == nil {
					continue
				}
				id, err := parseID(aws.ToString(task.Input))
				if err != nil {
					t.Error(err)
					continue
				}
				mu.Lock()
				tokens[id] = aws.ToString(task.TaskToken)
				mu.Unlock()
				if _, err := burst.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(doneOutput(id))}); err == nil {
					mu.Lock()
					succeeded[id] = true
					ack()
					mu.Unlock()
				}
			}
		})
	}
	select {
	case <-enough:
	case <-time.After(60 * time.Second):
		cancel()
		wg.Wait()
		t.Fatalf("only %d calls acknowledged in 60s:\n%s", acked, p.Log())
	}
	p.Kill(t) // with calls in flight
	cancel()
	wg.Wait()
	t.Logf("acknowledged before the kill: %d starts, %d completions", len(started), len(succeeded))

	p = p.Restart(t)
	c = newClient(p.URL, p)

	for name, arn := range started {
		out, err := c.DescribeExecution(c.ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Errorf("acknowledged execution %s lost: %v", name, err)
			continue
		}
		if succeeded[name] {
			if out.Status != types.ExecutionStatusSucceeded || !sameJSON(aws.ToString(out.Output), doneOutput(name)) {
				t.Errorf("%s: acknowledged completion lost: status %s output %s", name, out.Status, aws.ToString(out.Output))
			}
		}
	}
	for name := range succeeded {
		if _, ok := started[name]; !ok {
			// Completed, though its start's answer was lost in flight.
			started[name] = ""
		}
	}

	all := c.executions(t, sm)
	byName := map[string]types.ExecutionListItem{}
	for _, e := range all {
		name := aws.ToString(e.Name)
		byName[name] = e
		if e.Status != types.ExecutionStatusRunning && e.Status != types.ExecutionStatusSucceeded {
			t.Errorf("%s: status %s after the crash", name, e.Status)
		}
	}
	running := 0
	for _, e := range all {
		if e.Status == types.ExecutionStatusRunning {
			running++
		}
	}
	t.Logf("after the restart: %d executions, %d running", len(all), running)
	for name := range started {
		if _, ok := byName[name]; !ok {
			t.Errorf("acknowledged execution %s missing from ListExecutions", name)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// Tokens whose completion was not acknowledged: a completion that did
	// happen must not happen twice; one that did not may happen now.
	for name, tok := range tokens {
		if succeeded[name] {
			continue
		}
		e, ok := byName[name]
		if !ok {
			t.Errorf("%s: a task was handed out but the execution is missing", name)
			continue
		}
		done := c.describe(t, aws.ToString(e.ExecutionArn)).Status == types.ExecutionStatusSucceeded
		_, err := c.SendTaskSuccess(c.ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(doneOutput(name))})
		switch {
		case done && err == nil:
			t.Errorf("%s: SUCCEEDED, yet its token completed the task again", name)
		case err != nil && servertest.ErrorCode(err) != "TaskTimedOut":
			t.Errorf("%s: SendTaskSuccess with the pre-crash token: %v", name, err)
		}
	}

	// Drive everything else to completion.
	dctx, dcancel := context.WithCancel(context.Background())
	for range 4 {
		wg.Go(func() {
			for dctx.Err() == nil {
				out, err := c.GetActivityTask(dctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(act), WorkerName: aws.String("drain")})
				if err != nil || out.TaskToken == nil {
					continue
				}
				id, err := parseID(aws.ToString(out.Input))
				if err != nil {
					t.Error(err)
					continue
				}
				if _, err := c.SendTaskSuccess(c.ctx, &sfn.SendTaskSuccessInput{TaskToken: out.TaskToken, Output: aws.String(doneOutput(id))}); err != nil {
					t.Errorf("%s: SendTaskSuccess: %v", id, err)
				}
			}
		})
	}
	// The drain workers and timers do the work; this re-reads.
	var unfinished []string
	if !p.Await(60*time.Second, func() bool {
		unfinished = nil
		for _, e := range c.executions(t, sm) {
			if e.Status != types.ExecutionStatusSucceeded {
				unfinished = append(unfinished, aws.ToString(e.Name)+":"+string(e.Status))
			}
		}
		return len(unfinished) == 0
	}) {
		dcancel()
		wg.Wait()
		sort.Strings(unfinished)
		t.Fatalf("executions not finished 60s after the restart: %v\nserver log:\n%s", unfinished, p.Log())
	}
	dcancel()
	wg.Wait()

	for _, e := range c.executions(t, sm) {
		name := aws.ToString(e.Name)
		out := c.describe(t, aws.ToString(e.ExecutionArn))
		if !sameJSON(aws.ToString(out.Output), doneOutput(name)) {
			t.Errorf("%s: output %s", name, aws.ToString(out.Output))
		}
		events := c.history(t, aws.ToString(e.ExecutionArn))
		checkHistory(t, name, events)
		if n := strings.Count(strings.Join(servertest.SFNEventTypes(events), " "), string(types.HistoryEventTypeActivitySucceeded)); n != 1 {
			t.Errorf("%s: %d ActivitySucceeded events, want 1: %v", name, n, servertest.SFNEventTypes(events))
		}
	}
}

// TestCrashHeartbeatDeadline: a worker that dies with the server sends no
// more heartbeats; the restarted server re-arms the heartbeat deadline from
// the store and times the attempt out, whether the deadline is still ahead
// or passed while the server was down.
func TestCrashHeartbeatDeadline(t *testing.T) {
	t.Parallel()
	for _, downtime := range []time.Duration{0, 3 * time.Second} {
		t.Run(fmt.Sprintf("down %v", downtime), func(t *testing.T) {
			t.Parallel()
			p := servertest.StartProcess(t, "")
			c := newClient(p.URL, p)
			act := c.activity(t, "beats")
			sm := c.machine(t, "beats", `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"$ACT","HeartbeatSeconds":2,"End":true}}}`, act)
			exec := c.start(t, sm, "x")
			before := time.Now()
			tok, _ := c.mustPoll(t, act)
			// Simulated downtime: the worker and the server are both gone.
			p = p.Crash(t, downtime)
			c = newClient(p.URL, p)
			restarted := time.Now()

			out := c.waitStatus(t, exec, types.ExecutionStatusFailed, 15*time.Second)
			if got := aws.ToString(out.Error); got != "States.HeartbeatTimeout" {
				t.Errorf("execution error %q, want States.HeartbeatTimeout", got)
			}
			t.Logf("timed out %v after the start, %v after the restart", time.Since(before), time.Since(restarted))
			if early := time.Since(before); early < 1900*time.Millisecond {
				t.Errorf("timed out %v after the task started, before its 2s heartbeat deadline", early)
			}
			if late := time.Since(restarted); late > 10*time.Second {
				t.Errorf("timed out %v after the restart; the deadline was 2s after the start", late)
			}
			events := c.history(t, exec)
			checkHistory(t, "x", events)
			var timedOut *types.HistoryEvent
			for i := range events {
				if events[i].Type == types.HistoryEventTypeActivityTimedOut {
					timedOut = &events[i]
				}
			}
			if timedOut == nil || timedOut.ActivityTimedOutEventDetails == nil || aws.ToString(timedOut.ActivityTimedOutEventDetails.Error) != "States.HeartbeatTimeout" {
				t.Errorf("no ActivityTimedOut with States.HeartbeatTimeout in %v", servertest.SFNEventTypes(events))
			}
			_, err := c.SendTaskHeartbeat(c.ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(tok)})
			if got := servertest.ErrorCode(err); got != "TaskTimedOut" {
				t.Errorf("heartbeat with the timed-out token: %v, want TaskTimedOut", err)
			}
		})
	}
}
