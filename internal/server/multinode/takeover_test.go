package multinode_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	dptypes "github.com/aws/aws-sdk-go-v2/service/datapipeline/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	swftypes "github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// The kill -9 take-over test's load: 1,000 units in flight across the
// three dialects, each waiting on a deadline (a Wait state, an SWF timer)
// or in a queue when a node dies.
const (
	takeoverSFN  = 500
	takeoverSWF  = 400
	takeoverDP   = 100
	takeoverWait = 8 // seconds: a Wait state's and an SWF timer's
)

// TestTakeOverAfterKill: kill -9 one of three nodes while 1,000 units are
// in flight; the others take its partitions within the lease (2 s), fire
// the deadlines it held (those that passed meanwhile at once), hand its
// queued tasks out, and every unit finishes with each task handed out
// exactly once and each deadline fired once.
func TestTakeOverAfterKill(t *testing.T) {
	ps := nodes(t, 3, "--max-poll-wait", "1s")
	if !ps[0].Await(15*time.Second, func() bool { return balanced(readNodes(t, ps[0]), 3) }) {
		t.Fatalf("nodes did not balance: %+v", readNodes(t, ps[0]))
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	// Workers talk to the two nodes that live: n2 and n3.
	live := []string{ps[1].URL, ps[2].URL}

	// Step Functions: Wait, then an activity task.
	sa := ps[0].Env().SFN()
	act := sa.Activity(t)
	machine := sa.Machine(t, fmt.Sprintf(`{"StartAt":"Pause","States":{"Pause":{"Type":"Wait","Seconds":%d,"Next":"Work"},"Work":{"Type":"Task","Resource":"$ACT","End":true}}}`, takeoverWait), act)
	sfnTasks := &handouts{seen: map[string]int{}}
	var wg sync.WaitGroup
	for i := range 8 {
		client := servertest.SFN(live[i%2])
		wg.Go(func() { sfnWorker(ctx, client, act, sfnTasks) })
	}

	// SWF: a timer, then an activity task.
	domain := servertest.Uniq("dom")
	sw := servertest.SWF(ps[0].URL)
	wt, at := registerSWF(t, sw, domain)
	swfDecisions, swfActivities := &handouts{seen: map[string]int{}}, &handouts{seen: map[string]int{}}
	for i := range 8 {
		client := servertest.SWF(live[i%2])
		wg.Go(func() { swfDecider(ctx, client, domain, at, swfDecisions) })
		wg.Go(func() { swfWorker(ctx, client, domain, swfActivities) })
	}

	// Data Pipeline: a pipeline run by runners polling the live nodes.
	group := servertest.Uniq("wg")
	dpAttempts := &handouts{seen: map[string]int{}}
	for i := range 4 {
		client := servertest.DataPipeline(live[i%2])
		wg.Go(func() { dpRunner(ctx, client, group, dpAttempts) })
	}

	// Start the units through all three nodes, a few at a time.
	execs, wids, pipelines := make([]string, takeoverSFN), make([]string, takeoverSWF), make([]string, takeoverDP)
	parallel(t, takeoverSFN, func(i int) error {
		out, err := servertest.SFN(ps[i%3].URL).StartExecution(context.Background(), &sfn.StartExecutionInput{
			StateMachineArn: aws.String(machine), Input: aws.String(fmt.Sprintf(`{"sfn":%d}`, i))})
		if err == nil {
			execs[i] = aws.ToString(out.ExecutionArn)
		}
		return err
	})
	parallel(t, takeoverSWF, func(i int) error {
		wids[i] = fmt.Sprintf("wf-%d", i)
		_, err := servertest.SWF(ps[i%3].URL).StartWorkflowExecution(context.Background(), &swf.StartWorkflowExecutionInput{
			Domain: aws.String(domain), WorkflowId: aws.String(wids[i]), WorkflowType: &wt,
			TaskList: &swftypes.TaskList{Name: aws.String("decide")},
		})
		return err
	})
	parallel(t, takeoverDP, func(i int) error {
		c := servertest.DataPipeline(ps[i%3].URL)
		ctx := context.Background()
		out, err := c.CreatePipeline(ctx, &datapipeline.CreatePipelineInput{Name: aws.String(fmt.Sprintf("p%d", i)), UniqueId: aws.String(fmt.Sprintf("u%d", i))})
		if err != nil {
			return err
		}
		objs := servertest.HelloPipeline()
		objs[0] = servertest.PipelineObject("Default", servertest.PipelineString("workerGroup", group), servertest.PipelineString("scheduleType", "cron"))
		put, err := c.PutPipelineDefinition(ctx, &datapipeline.PutPipelineDefinitionInput{PipelineId: out.PipelineId, PipelineObjects: objs})
		if err != nil {
			return err
		}
		if put.Errored {
			return fmt.Errorf("PutPipelineDefinition: %s", servertest.PipelineErrors(put.ValidationErrors))
		}
		if _, err := c.ActivatePipeline(ctx, &datapipeline.ActivatePipelineInput{PipelineId: out.PipelineId}); err != nil {
			return err
		}
		pipelines[i] = aws.ToString(out.PipelineId)
		return nil
	})

	killed := time.Now()
	ps[0].Kill(t)
	if !ps[1].Await(15*time.Second, func() bool { return balanced(readNodes(t, ps[1]), 2) }) {
		t.Fatalf("n2 and n3 did not take over n1's partitions: %+v", readNodes(t, ps[1]))
	}
	t.Logf("take-over after kill -9: %v (lease 2 s)", time.Since(killed))

	sb := ps[1].Env().SFN()
	for _, exec := range execs {
		sb.WaitStatus(t, exec, sfntypes.ExecutionStatusSucceeded)
	}
	for _, exec := range execs[:50] { // the history of a sample: one wait, one task
		counts := map[string]int{}
		for _, ty := range servertest.SFNEventTypes(sb.History(t, exec)) {
			counts[ty]++
		}
		if counts["WaitStateExited"] != 1 || counts["ActivityScheduled"] != 1 || counts["ActivitySucceeded"] != 1 {
			t.Errorf("%s: events %v", exec, counts)
		}
	}
	s2 := servertest.SWF(live[0])
	for _, wid := range wids {
		if !ps[1].Await(60*time.Second, func() bool { return swfClosed(t, s2, domain, wid) }) {
			t.Fatalf("workflow %s did not complete", wid)
		}
		counts := swfEventCounts(t, s2, domain, wid)
		if counts["TimerFired"] != 1 || counts["ActivityTaskCompleted"] != 1 || counts["WorkflowExecutionCompleted"] != 1 {
			t.Errorf("workflow %s: events %v", wid, counts)
		}
	}
	d2 := ps[1].Env().DataPipeline()
	for _, id := range pipelines {
		if !ps[1].Await(60*time.Second, func() bool { return dpFinished(t, d2, id) }) {
			t.Fatalf("pipeline %s did not finish", id)
		}
	}
	stop()
	wg.Wait()
	for what, h := range map[string]*handouts{"sfn task": sfnTasks, "swf decision": swfDecisions, "swf activity": swfActivities, "dp attempt": dpAttempts} {
		if r := h.repeats(); len(r) > 0 {
			t.Errorf("%s handed out more than once: %v", what, r)
		}
	}
	if n := len(sfnTasks.seen); n != takeoverSFN {
		t.Errorf("%d Step Functions tasks handed out, want %d", n, takeoverSFN)
	}
	if n := len(swfActivities.seen); n != takeoverSWF {
		t.Errorf("%d SWF activity tasks handed out, want %d", n, takeoverSWF)
	}
	if n := len(dpAttempts.seen); n < takeoverDP {
		t.Errorf("%d Data Pipeline attempts handed out, want at least one per pipeline (%d)", n, takeoverDP)
	}
}

// parallel runs fn(i) for each i below n, 16 at a time, and fails the
// test with the first error.
func parallel(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	next := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range next {
				errs[i] = fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// canceled reports whether err is the end of the test's workers.
func canceled(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, context.Canceled)
}

func sfnWorker(ctx context.Context, c *sfn.Client, act string, h *handouts) {
	for ctx.Err() == nil {
		out, err := c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(act), WorkerName: aws.String("w")})
		if err != nil || out.TaskToken == nil {
			continue
		}
		h.add(aws.ToString(out.Input))
		for {
			_, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: out.TaskToken, Output: out.Input})
			if err == nil || canceled(ctx, err) {
				break
			}
		}
	}
}

func registerSWF(t *testing.T, c *swf.Client, domain string) (swftypes.WorkflowType, swftypes.ActivityType) {
	t.Helper()
	ctx := context.Background()
	wt := swftypes.WorkflowType{Name: aws.String("job"), Version: aws.String("1")}
	at := swftypes.ActivityType{Name: aws.String("step"), Version: aws.String("1")}
	if _, err := c.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String(domain), WorkflowExecutionRetentionPeriodInDays: aws.String("1")}); err != nil {
		t.Fatalf("RegisterDomain: %v", err)
	}
	if _, err := c.RegisterWorkflowType(ctx, &swf.RegisterWorkflowTypeInput{
		Domain: aws.String(domain), Name: wt.Name, Version: wt.Version,
		DefaultTaskList:                     &swftypes.TaskList{Name: aws.String("decide")},
		DefaultExecutionStartToCloseTimeout: aws.String("3600"),
		DefaultTaskStartToCloseTimeout:      aws.String("300"),
		DefaultChildPolicy:                  swftypes.ChildPolicyTerminate,
	}); err != nil {
		t.Fatalf("RegisterWorkflowType: %v", err)
	}
	if _, err := c.RegisterActivityType(ctx, &swf.RegisterActivityTypeInput{
		Domain: aws.String(domain), Name: at.Name, Version: at.Version,
		DefaultTaskList:                   &swftypes.TaskList{Name: aws.String("acts")},
		DefaultTaskScheduleToStartTimeout: aws.String("600"),
		DefaultTaskScheduleToCloseTimeout: aws.String("900"),
		DefaultTaskStartToCloseTimeout:    aws.String("600"),
		DefaultTaskHeartbeatTimeout:       aws.String("300"),
	}); err != nil {
		t.Fatalf("RegisterActivityType: %v", err)
	}
	return wt, at
}

// swfDecider decides every workflow of the test: a timer, then an
// activity, then completion. Each decision task is recorded by workflow
// and started event id.
func swfDecider(ctx context.Context, c *swf.Client, domain string, at swftypes.ActivityType, h *handouts) {
	for ctx.Err() == nil {
		in := &swf.PollForDecisionTaskInput{Domain: aws.String(domain), TaskList: &swftypes.TaskList{Name: aws.String("decide")}, Identity: aws.String("decider")}
		out, err := c.PollForDecisionTask(ctx, in)
		if err != nil || out.TaskToken == nil {
			continue
		}
		events := out.Events
		for next := out.NextPageToken; next != nil; {
			in.NextPageToken = next
			page, err := c.PollForDecisionTask(ctx, in)
			if err != nil {
				break
			}
			events = append(events, page.Events...)
			next = page.NextPageToken
		}
		wid := aws.ToString(out.WorkflowExecution.WorkflowId)
		h.add(fmt.Sprintf("%s@%d", wid, out.StartedEventId))
		var d swftypes.Decision
		switch last := lastOf(events); last {
		case swftypes.EventTypeWorkflowExecutionStarted:
			d = swftypes.Decision{DecisionType: swftypes.DecisionTypeStartTimer, StartTimerDecisionAttributes: &swftypes.StartTimerDecisionAttributes{
				TimerId: aws.String("t"), StartToFireTimeout: aws.String(fmt.Sprint(takeoverWait))}}
		case swftypes.EventTypeTimerFired:
			d = swftypes.Decision{DecisionType: swftypes.DecisionTypeScheduleActivityTask, ScheduleActivityTaskDecisionAttributes: &swftypes.ScheduleActivityTaskDecisionAttributes{
				ActivityId: aws.String("a"), ActivityType: &at, Input: aws.String(wid)}}
		case swftypes.EventTypeActivityTaskCompleted:
			d = swftypes.Decision{DecisionType: swftypes.DecisionTypeCompleteWorkflowExecution}
		default:
			continue // nothing new to decide: the task times out
		}
		for {
			_, err := c.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: out.TaskToken, Decisions: []swftypes.Decision{d}})
			if err == nil || canceled(ctx, err) {
				break
			}
		}
	}
}

// lastOf returns the type of the newest event a decider acts on.
func lastOf(events []swftypes.HistoryEvent) swftypes.EventType {
	for i := len(events) - 1; i >= 0; i-- {
		switch ty := events[i].EventType; ty {
		case swftypes.EventTypeWorkflowExecutionStarted, swftypes.EventTypeTimerFired, swftypes.EventTypeActivityTaskCompleted:
			return ty
		}
	}
	return ""
}

func swfWorker(ctx context.Context, c *swf.Client, domain string, h *handouts) {
	for ctx.Err() == nil {
		out, err := c.PollForActivityTask(ctx, &swf.PollForActivityTaskInput{Domain: aws.String(domain), TaskList: &swftypes.TaskList{Name: aws.String("acts")}, Identity: aws.String("worker")})
		if err != nil || out.TaskToken == nil {
			continue
		}
		h.add(aws.ToString(out.Input))
		for {
			_, err := c.RespondActivityTaskCompleted(ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: out.TaskToken})
			if err == nil || canceled(ctx, err) {
				break
			}
		}
	}
}

func swfClosed(t *testing.T, c *swf.Client, domain, wid string) bool {
	t.Helper()
	out, err := c.ListClosedWorkflowExecutions(context.Background(), &swf.ListClosedWorkflowExecutionsInput{
		Domain: aws.String(domain), ExecutionFilter: &swftypes.WorkflowExecutionFilter{WorkflowId: aws.String(wid)},
		StartTimeFilter: &swftypes.ExecutionTimeFilter{OldestDate: aws.Time(time.Unix(0, 0))},
	})
	if err != nil {
		t.Fatalf("ListClosedWorkflowExecutions: %v", err)
	}
	return len(out.ExecutionInfos) == 1 && out.ExecutionInfos[0].CloseStatus == swftypes.CloseStatusCompleted
}

func swfEventCounts(t *testing.T, c *swf.Client, domain, wid string) map[string]int {
	t.Helper()
	out, err := c.ListClosedWorkflowExecutions(context.Background(), &swf.ListClosedWorkflowExecutionsInput{
		Domain: aws.String(domain), ExecutionFilter: &swftypes.WorkflowExecutionFilter{WorkflowId: aws.String(wid)},
		StartTimeFilter: &swftypes.ExecutionTimeFilter{OldestDate: aws.Time(time.Unix(0, 0))},
	})
	if err != nil || len(out.ExecutionInfos) != 1 {
		t.Fatalf("ListClosedWorkflowExecutions %s: %v", wid, err)
	}
	counts := map[string]int{}
	p := swf.NewGetWorkflowExecutionHistoryPaginator(c, &swf.GetWorkflowExecutionHistoryInput{Domain: aws.String(domain), Execution: out.ExecutionInfos[0].Execution})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("GetWorkflowExecutionHistory: %v", err)
		}
		for _, e := range page.Events {
			counts[string(e.EventType)]++
		}
	}
	return counts
}

// dpRunner polls the worker group and finishes every task, recording each
// attempt it is handed.
func dpRunner(ctx context.Context, c *datapipeline.Client, group string, h *handouts) {
	for ctx.Err() == nil {
		out, err := c.PollForTask(ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String(group), Hostname: aws.String("runner")})
		if err != nil || out.TaskObject == nil {
			continue
		}
		h.add(aws.ToString(out.TaskObject.PipelineId) + "/" + aws.ToString(out.TaskObject.AttemptId))
		for {
			_, err := c.SetTaskStatus(ctx, &datapipeline.SetTaskStatusInput{TaskId: out.TaskObject.TaskId, TaskStatus: dptypes.TaskStatusFinished})
			if err == nil || canceled(ctx, err) {
				break
			}
		}
	}
}

// dpFinished reports whether every instance of the pipeline's activity
// finished.
func dpFinished(t *testing.T, e *servertest.PipelineEnv, id string) bool {
	t.Helper()
	q, err := e.Client.QueryObjects(e.Ctx, &datapipeline.QueryObjectsInput{PipelineId: aws.String(id), Sphere: aws.String("INSTANCE")})
	if err != nil {
		t.Fatalf("QueryObjects: %v", err)
	}
	if len(q.Ids) == 0 {
		return false
	}
	d, err := e.Client.DescribeObjects(e.Ctx, &datapipeline.DescribeObjectsInput{PipelineId: aws.String(id), ObjectIds: q.Ids})
	if err != nil {
		t.Fatalf("DescribeObjects: %v", err)
	}
	activities := 0
	for _, o := range d.PipelineObjects {
		f := servertest.PipelineFields(o.Fields)
		if f["type"] != "ShellCommandActivity" {
			continue
		}
		activities++
		if f["@status"] != "FINISHED" {
			return false
		}
	}
	return activities > 0
}
