package multinode_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	dptypes "github.com/aws/aws-sdk-go-v2/service/datapipeline/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	swftypes "github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/gaffer-dev/gaffer/internal/pgtest"
	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// TestMain runs the tests with one throwaway PostgreSQL cluster (pgtest.Main:
// stopped at the end, and no goroutine may outlive the tests).
func TestMain(m *testing.M) { pgtest.Main(m) }

// nodes starts n nodes named n1… on one fresh database, each with args.
func nodes(t *testing.T, n int, args ...string) []*servertest.Process {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	ps := make([]*servertest.Process, n)
	for i := range ps {
		ps[i] = servertest.StartNode(t, dsn, fmt.Sprintf("n%d", i+1), args...)
	}
	return ps
}

// nodesView is GET /gaffer/nodes.
type nodesView server.NodesView

func readNodes(t *testing.T, p *servertest.Process) nodesView {
	t.Helper()
	resp, err := http.Get(p.URL + "/gaffer/nodes")
	if err != nil {
		t.Fatalf("GET /gaffer/nodes: %v", err)
	}
	defer resp.Body.Close()
	var v nodesView
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /gaffer/nodes: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("decode /gaffer/nodes: %v", err)
	}
	return v
}

// held returns how many partitions each node holds, by name.
func (v nodesView) held() map[string]int {
	m := map[string]int{}
	for _, n := range v.Nodes {
		m[n.Name] = len(n.Partitions)
	}
	return m
}

// balanced reports whether the live nodes hold every partition, none
// twice, each its fair share (within one).
func balanced(v nodesView, live int) bool {
	if len(v.Nodes) != live || len(v.Free) != 0 {
		return false
	}
	seen := map[int]bool{}
	lo, hi := 64, 0
	for _, n := range v.Nodes {
		for _, p := range n.Partitions {
			if seen[p] {
				return false
			}
			seen[p] = true
		}
		lo, hi = min(lo, len(n.Partitions)), max(hi, len(n.Partitions))
	}
	return len(seen) == 64 && hi-lo <= 1
}

const taskMachine = `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"$ACT","HeartbeatSeconds":%d,"End":true}}}`

// TestCrossNode: a poll waiting on one node gets a task scheduled through
// another; heartbeats through a third keep it alive past its heartbeat
// timeout; the completion through yet another node ends the execution; a
// stop through one node closes a task started on another.
func TestCrossNode(t *testing.T) {
	ps := nodes(t, 3, "--max-poll-wait", "20s")
	a, b, c := ps[0].Env().SFN(), ps[1].Env().SFN(), ps[2].Env().SFN()
	if !ps[0].Await(15*time.Second, func() bool { return balanced(readNodes(t, ps[0]), 3) }) {
		t.Fatalf("nodes did not balance: %+v", readNodes(t, ps[0]))
	}
	act := a.Activity(t)
	machine := a.Machine(t, fmt.Sprintf(taskMachine, 2), act)

	// The poll waits on b; the execution starts through c.
	type polled struct {
		token, input string
		err          error
	}
	got := make(chan polled, 1)
	go func() {
		out, err := b.Client.GetActivityTask(context.Background(), &sfn.GetActivityTaskInput{ActivityArn: aws.String(act), WorkerName: aws.String("w")})
		if err != nil {
			got <- polled{err: err}
			return
		}
		got <- polled{token: aws.ToString(out.TaskToken), input: aws.ToString(out.Input)}
	}()
	exec := c.Start(t, machine, `{"n":1}`)
	p := <-got
	if p.err != nil || p.token == "" || p.input != `{"n":1}` {
		t.Fatalf("poll on b: token %q input %q err %v; want the task started through c", p.token, p.input, p.err)
	}

	// Heartbeats through c for twice the heartbeat timeout (2 s): the
	// deadline's holder, whichever node it is, must see them.
	tick := time.NewTicker(400 * time.Millisecond)
	defer tick.Stop()
	for end := time.Now().Add(4 * time.Second); time.Now().Before(end); <-tick.C {
		if _, err := c.Client.SendTaskHeartbeat(c.Ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(p.token)}); err != nil {
			t.Fatalf("SendTaskHeartbeat through c: %v", err)
		}
	}
	if _, err := a.Client.SendTaskSuccess(a.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(p.token), Output: aws.String(`{"done":true}`)}); err != nil {
		t.Fatalf("SendTaskSuccess through a: %v", err)
	}
	out := b.WaitStatus(t, exec, sfntypes.ExecutionStatusSucceeded)
	if aws.ToString(out.Output) != `{"done":true}` {
		t.Errorf("output %s", aws.ToString(out.Output))
	}
	if types := servertest.SFNEventTypes(c.History(t, exec)); strings.Contains(strings.Join(types, ","), "TimedOut") {
		t.Errorf("history %v: the heartbeats through another node did not keep the task alive", types)
	}

	// A stop through a closes the task started through b: its token dies
	// on every node.
	exec2 := a.Start(t, machine, `{"n":2}`)
	tok, _ := b.MustPoll(t, act)
	if _, err := c.Client.StopExecution(c.Ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(exec2)}); err != nil {
		t.Fatalf("StopExecution through c: %v", err)
	}
	a.WaitStatus(t, exec2, sfntypes.ExecutionStatusAborted)
	for i, n := range []*servertest.SFNEnv{a, b, c} {
		// A node that never saw the attempt reads the row; one that did may
		// accept a beat until its next flush notices (one flush interval).
		if !ps[i].Await(5*time.Second, func() bool {
			_, err := n.Client.SendTaskHeartbeat(n.Ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(tok)})
			return servertest.ErrorCode(err) == "TaskTimedOut"
		}) {
			t.Errorf("node %d still accepts the heartbeat of a stopped execution's task", i+1)
		}
	}
}

// TestDeadlinesOnce: every kind of deadline, set through one node and held
// by whichever node holds its partition, fires exactly once.
func TestDeadlinesOnce(t *testing.T) {
	ps := nodes(t, 3)
	a, b := ps[0].Env().SFN(), ps[1].Env().SFN()
	act := a.Activity(t)
	// A heartbeat timeout (nobody beats), then a retry back-off, then a
	// Wait state: the execution fails over to Caught after one retry.
	def := `{"StartAt":"Work","States":{
		"Work":{"Type":"Task","Resource":"$ACT","HeartbeatSeconds":1,
			"Retry":[{"ErrorEquals":["States.Timeout"],"IntervalSeconds":1,"MaxAttempts":1}],
			"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Pause"}],"End":true},
		"Pause":{"Type":"Wait","Seconds":1,"Next":"Done"},
		"Done":{"Type":"Succeed"}}}`
	machine := a.Machine(t, def, act)
	var execs []string
	for i := range 12 { // spread over partitions, so over holders
		execs = append(execs, ps[i%3].Env().SFN().Start(t, machine, fmt.Sprintf(`{"i":%d}`, i)))
	}
	// Take each attempt (twice per execution) through b and let it time out.
	for range 2 * len(execs) {
		b.MustPoll(t, act)
	}
	for _, exec := range execs {
		b.WaitStatus(t, exec, sfntypes.ExecutionStatusSucceeded)
		counts := map[string]int{}
		for _, ty := range servertest.SFNEventTypes(a.History(t, exec)) {
			counts[ty]++
		}
		if counts["ActivityTimedOut"] != 2 || counts["ActivityScheduled"] != 2 || counts["WaitStateExited"] != 1 || counts["ExecutionSucceeded"] != 1 {
			t.Errorf("%s: events %v; want 2 timeouts, 2 schedules, one wait, one success", exec, counts)
		}
	}
}

// TestHandOverAtSIGTERM: a node stopped with SIGTERM hands its partitions
// over at once, long before its lease (60 s here) would have expired.
func TestHandOverAtSIGTERM(t *testing.T) {
	ps := nodes(t, 2, "--lease", "60s")
	if !ps[1].Await(20*time.Second, func() bool { return balanced(readNodes(t, ps[1]), 2) }) {
		t.Fatalf("two nodes did not balance: %+v", readNodes(t, ps[1]))
	}
	if code := ps[0].Terminate(t); code != 0 {
		t.Fatalf("n1 exited %d:\n%s", code, ps[0].Log())
	}
	if !ps[1].Await(10*time.Second, func() bool { return readNodes(t, ps[1]).held()["n2"] == 64 }) {
		t.Fatalf("n2 did not take n1's partitions within 10 s (the lease is 60 s): %+v", readNodes(t, ps[1]))
	}
}

// sfnWorker polls act on the nodes in turn until ctx ends, completing each
// task with its input, and records each hand-out by input.
type handouts struct {
	mu   sync.Mutex
	seen map[string]int
}

func (h *handouts) add(key string) {
	h.mu.Lock()
	h.seen[key]++
	h.mu.Unlock()
}

func (h *handouts) repeats() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var r []string
	for k, n := range h.seen {
		if n != 1 {
			r = append(r, fmt.Sprintf("%s×%d", k, n))
		}
	}
	return r
}

// TestFencedNode: a node paused (SIGSTOP) past its lease loses its
// partitions to the others; when it resumes, its writes are refused until
// it has rejoined, and nothing is done twice.
func TestFencedNode(t *testing.T) {
	ps := nodes(t, 2)
	a, b := ps[0].Env().SFN(), ps[1].Env().SFN()
	if !ps[1].Await(15*time.Second, func() bool { return balanced(readNodes(t, ps[1]), 2) }) {
		t.Fatalf("two nodes did not balance: %+v", readNodes(t, ps[1]))
	}
	act := a.Activity(t)
	machine := a.Machine(t, `{"StartAt":"Pause","States":{"Pause":{"Type":"Wait","Seconds":3,"Next":"Work"},"Work":{"Type":"Task","Resource":"$ACT","End":true}}}`, act)
	var execs []string
	for i := range 20 {
		execs = append(execs, a.Start(t, machine, fmt.Sprintf(`{"i":%d}`, i)))
	}
	ps[0].Signal(t, syscall.SIGSTOP)
	if !ps[1].Await(15*time.Second, func() bool { return readNodes(t, ps[1]).held()["n2"] == 64 }) {
		ps[0].Signal(t, syscall.SIGCONT)
		t.Fatalf("n2 did not take the paused n1's partitions: %+v", readNodes(t, ps[1]))
	}
	ps[0].Signal(t, syscall.SIGCONT)
	h := &handouts{seen: map[string]int{}}
	for range execs {
		tok, in := b.MustPoll(t, act)
		h.add(in)
		if _, err := b.Client.SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(in)}); err != nil {
			t.Fatalf("SendTaskSuccess: %v", err)
		}
	}
	for _, exec := range execs {
		b.WaitStatus(t, exec, sfntypes.ExecutionStatusSucceeded)
	}
	if r := h.repeats(); len(r) > 0 {
		t.Errorf("tasks handed out more than once: %v", r)
	}
	// n1 found out it was fenced and came back as a member.
	if !ps[0].Await(15*time.Second, func() bool { return strings.Contains(ps[0].Log(), "fenced") }) {
		t.Errorf("n1 never logged that it was fenced:\n%s", ps[0].Log())
	}
	if !ps[1].Await(15*time.Second, func() bool { return balanced(readNodes(t, ps[1]), 2) }) {
		t.Errorf("n1 did not rejoin: %+v", readNodes(t, ps[1]))
	}
	// Its writes work again (the SDK retried any refused while fenced).
	exec := a.Start(t, machine, `{"after":"fence"}`)
	tok, _ := b.MustPoll(t, act)
	if _, err := a.Client.SendTaskSuccess(a.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{}`)}); err != nil {
		t.Fatalf("SendTaskSuccess through the rejoined n1: %v", err)
	}
	b.WaitStatus(t, exec, sfntypes.ExecutionStatusSucceeded)
}

// TestMoreDeadlinesOnce: a start-to-close timeout (Step Functions
// TimeoutSeconds), an SWF schedule-to-start timeout and a Data Pipeline
// acknowledgement window, each set through one node and fired once by
// whichever node holds its partition.
func TestMoreDeadlinesOnce(t *testing.T) {
	ps := nodes(t, 3, "--pipeline-ack-timeout", "1s")
	ctx := context.Background()

	// Step Functions: TimeoutSeconds 1 on a task a worker holds and never
	// answers.
	a, b := ps[0].Env().SFN(), ps[1].Env().SFN()
	act := a.Activity(t)
	machine := a.Machine(t, `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"$ACT","TimeoutSeconds":1,
		"Catch":[{"ErrorEquals":["States.Timeout"],"Next":"Done"}],"End":true},"Done":{"Type":"Succeed"}}}`, act)
	var execs []string
	for i := range 6 {
		execs = append(execs, ps[i%3].Env().SFN().Start(t, machine, fmt.Sprintf(`{"i":%d}`, i)))
	}
	for range execs {
		b.MustPoll(t, act)
	}
	for _, exec := range execs {
		a.WaitStatus(t, exec, sfntypes.ExecutionStatusSucceeded)
		if n := countOf(servertest.SFNEventTypes(b.History(t, exec)), "ActivityTimedOut"); n != 1 {
			t.Errorf("%s: %d ActivityTimedOut events, want 1", exec, n)
		}
	}

	// SWF: an activity task nobody polls, with a schedule-to-start timeout
	// of one second.
	domain := servertest.Uniq("dom")
	s1, s2 := servertest.SWF(ps[0].URL), servertest.SWF(ps[1].URL)
	wt, at := registerSWF(t, s1, domain)
	if _, err := s1.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{
		Domain: aws.String(domain), WorkflowId: aws.String("w"), WorkflowType: &wt, TaskList: &swftypes.TaskList{Name: aws.String("decide")},
	}); err != nil {
		t.Fatalf("StartWorkflowExecution: %v", err)
	}
	d := pollDecisionOn(t, s2, domain)
	if _, err := s2.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: d.TaskToken, Decisions: []swftypes.Decision{{
		DecisionType: swftypes.DecisionTypeScheduleActivityTask,
		ScheduleActivityTaskDecisionAttributes: &swftypes.ScheduleActivityTaskDecisionAttributes{
			ActivityId: aws.String("a"), ActivityType: &at, TaskList: &swftypes.TaskList{Name: aws.String("nobody")},
			ScheduleToStartTimeout: aws.String("1")},
	}}}); err != nil {
		t.Fatalf("RespondDecisionTaskCompleted: %v", err)
	}
	d = pollDecisionOn(t, servertest.SWF(ps[2].URL), domain) // the timeout's decision task
	var timeouts int
	for _, e := range d.Events {
		if e.EventType == swftypes.EventTypeActivityTaskTimedOut {
			timeouts++
			if got := e.ActivityTaskTimedOutEventAttributes.TimeoutType; got != swftypes.ActivityTaskTimeoutTypeScheduleToStart {
				t.Errorf("timeout type %s, want SCHEDULE_TO_START", got)
			}
		}
	}
	if timeouts != 1 {
		t.Errorf("%d ActivityTaskTimedOut events, want 1", timeouts)
	}

	// Data Pipeline: a task handed out and never acknowledged goes out
	// again once, after the one-second window; acknowledged, it stays.
	dp := ps[0].Env().DataPipeline()
	group := servertest.Uniq("wg")
	id := dp.Create(t, "acks")
	objs := servertest.HelloPipeline()
	objs[0] = servertest.PipelineObject("Default", servertest.PipelineString("workerGroup", group), servertest.PipelineString("scheduleType", "cron"))
	dp.Put(t, id, objs)
	if _, err := dp.Client.ActivatePipeline(ctx, &datapipeline.ActivatePipelineInput{PipelineId: aws.String(id)}); err != nil {
		t.Fatalf("ActivatePipeline: %v", err)
	}
	first := pollTaskOn(t, servertest.DataPipeline(ps[1].URL), group)
	second := pollTaskOn(t, servertest.DataPipeline(ps[2].URL), group) // after the window
	if aws.ToString(second.TaskId) == aws.ToString(first.TaskId) || aws.ToString(second.PipelineId) != id {
		t.Fatalf("second hand-out: task %s of pipeline %s; want a new task of %s (the first was %s)", aws.ToString(second.TaskId), aws.ToString(second.PipelineId), id, aws.ToString(first.TaskId))
	}
	d3 := servertest.DataPipeline(ps[0].URL)
	if _, err := d3.ReportTaskProgress(ctx, &datapipeline.ReportTaskProgressInput{TaskId: second.TaskId}); err != nil {
		t.Fatalf("ReportTaskProgress: %v", err)
	}
	// Two polls' worth of waiting (the window is one second): nothing more.
	for range 2 {
		out, err := d3.PollForTask(ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String(group)})
		if err != nil {
			t.Fatalf("PollForTask: %v", err)
		}
		if out.TaskObject != nil {
			t.Fatalf("an acknowledged task was handed out again: %s", aws.ToString(out.TaskObject.TaskId))
		}
	}
	if _, err := d3.SetTaskStatus(ctx, &datapipeline.SetTaskStatusInput{TaskId: second.TaskId, TaskStatus: dptypes.TaskStatusFinished}); err != nil {
		t.Fatalf("SetTaskStatus: %v", err)
	}
}

func countOf(types []string, want string) int {
	n := 0
	for _, ty := range types {
		if ty == want {
			n++
		}
	}
	return n
}

// pollDecisionOn polls the "decide" task list until a decision task
// comes (at most 30 s).
func pollDecisionOn(t *testing.T, c *swf.Client, domain string) *swf.PollForDecisionTaskOutput {
	t.Helper()
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); {
		out, err := c.PollForDecisionTask(context.Background(), &swf.PollForDecisionTaskInput{Domain: aws.String(domain), TaskList: &swftypes.TaskList{Name: aws.String("decide")}})
		if err != nil {
			t.Fatalf("PollForDecisionTask: %v", err)
		}
		if out.TaskToken != nil {
			return out
		}
	}
	t.Fatal("no decision task within 30 s")
	return nil
}

// pollTaskOn polls a worker group until a task comes (at most 30 s).
func pollTaskOn(t *testing.T, c *datapipeline.Client, group string) *dptypes.TaskObject {
	t.Helper()
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); {
		out, err := c.PollForTask(context.Background(), &datapipeline.PollForTaskInput{WorkerGroup: aws.String(group)})
		if err != nil {
			t.Fatalf("PollForTask: %v", err)
		}
		if out.TaskObject != nil {
			return out.TaskObject
		}
	}
	t.Fatal("no Data Pipeline task within 30 s")
	return nil
}
