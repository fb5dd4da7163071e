// Command swf is a small Simple Workflow Service application run against
// gaffer: a decider and an activity worker, written with the AWS SDK for
// Go v2 and nothing else.
//
// It registers the domain "examples", the workflow type greeting/1 and the
// activity types greet/1 and shout/1 (each only if it does not exist yet),
// starts one greeting workflow and works on it until it closes. The decider
// schedules greet with the workflow's input, then shout with greet's
// result, then completes the workflow with shout's result. The worker
// heartbeats while it works and stops early if the decider asks it to.
//
//	go run ./cmd/gaffer serve          # one terminal
//	go run ./examples/swf              # another
//
// With -start=false it starts no workflow and only runs the decider and
// the worker, until interrupted: start workflows with the AWS CLI, or run
// the program again without the flag.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

// Names the example registers and uses.
const (
	domain          = "examples"
	workflowName    = "greeting"
	typeVersion     = "1"
	decisionList    = "examples-decisions"
	activityList    = "examples-activities"
	activityGreet   = "greet"
	activityShout   = "shout"
	workflowInput   = "world"
	identity        = "examples/swf"
	heartbeatSteps  = 3
	heartbeatPeriod = 150 * time.Millisecond
)

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:7710", "gaffer (or SWF) endpoint")
	start := flag.Bool("start", true, "start a greeting workflow and exit when it closes; with -start=false only run the decider and the worker, until interrupted")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if *start {
		err = run(ctx, *endpoint, os.Stdout)
	} else {
		err = work(ctx, *endpoint, os.Stdout)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// run registers the domain and types, starts a greeting workflow, runs a
// decider and an activity worker until that workflow has closed, and
// prints its close status and result.
func run(ctx context.Context, endpoint string, out io.Writer) error {
	ex := newExample(endpoint, out)
	if err := ex.register(ctx); err != nil {
		return err
	}
	workflowID := fmt.Sprintf("greeting-%d", time.Now().UnixNano())
	started, err := ex.client.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{
		Domain:       aws.String(domain),
		WorkflowId:   aws.String(workflowID),
		WorkflowType: &types.WorkflowType{Name: aws.String(workflowName), Version: aws.String(typeVersion)},
		Input:        aws.String(workflowInput),
	})
	if err != nil {
		return fmt.Errorf("start workflow: %w", err)
	}
	execution := &types.WorkflowExecution{WorkflowId: aws.String(workflowID), RunId: started.RunId}
	ex.printf("started workflow %s (run %s) with input %q", workflowID, aws.ToString(started.RunId), workflowInput)

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	wg.Go(func() { cancel(ex.decide(ctx)) })
	wg.Go(func() { cancel(ex.serveActivities(ctx)) })
	status, result, err := ex.waitClosed(ctx, execution)
	cancel(nil)
	wg.Wait()
	if err != nil {
		return err
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	ex.printf("workflow %s closed: %s, result %q", workflowID, status, result)
	if status != types.CloseStatusCompleted {
		return fmt.Errorf("workflow %s closed %s", workflowID, status)
	}
	return nil
}

// work registers the domain and types and runs the decider and the worker
// until ctx ends.
func work(ctx context.Context, endpoint string, out io.Writer) error {
	ex := newExample(endpoint, out)
	if err := ex.register(ctx); err != nil {
		return err
	}
	ex.printf("decider polling %s, worker polling %s; ^C to stop", decisionList, activityList)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	wg.Go(func() { cancel(ex.decide(ctx)) })
	wg.Go(func() { cancel(ex.serveActivities(ctx)) })
	wg.Wait()
	return context.Cause(ctx)
}

// example holds the SWF client and serialises the program's output.
type example struct {
	client *swf.Client
	mu     sync.Mutex
	out    io.Writer
}

func newExample(endpoint string, out io.Writer) *example {
	client := swf.NewFromConfig(aws.Config{
		Region: "us-east-1",
		// gaffer does not check signatures: any credentials do.
		Credentials:  credentials.NewStaticCredentialsProvider("any", "any", ""),
		BaseEndpoint: aws.String(endpoint),
	})
	return &example{client: client, out: out}
}

func (ex *example) printf(format string, args ...any) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	fmt.Fprintf(ex.out, format+"\n", args...)
}

// register registers the domain, the workflow type and the activity
// types, leaving any that already exist as they are.
func (ex *example) register(ctx context.Context) error {
	_, err := ex.client.RegisterDomain(ctx, &swf.RegisterDomainInput{
		Name:                                   aws.String(domain),
		WorkflowExecutionRetentionPeriodInDays: aws.String("1"),
	})
	if err != nil && !isFault[*types.DomainAlreadyExistsFault](err) {
		return fmt.Errorf("register domain: %w", err)
	}
	// Defaults on the types, so that neither StartWorkflowExecution nor
	// ScheduleActivityTask has to give task lists and timeouts. Durations
	// are strings of seconds.
	_, err = ex.client.RegisterWorkflowType(ctx, &swf.RegisterWorkflowTypeInput{
		Domain:                              aws.String(domain),
		Name:                                aws.String(workflowName),
		Version:                             aws.String(typeVersion),
		DefaultTaskList:                     &types.TaskList{Name: aws.String(decisionList)},
		DefaultExecutionStartToCloseTimeout: aws.String("300"),
		DefaultTaskStartToCloseTimeout:      aws.String("30"),
		DefaultChildPolicy:                  types.ChildPolicyTerminate,
	})
	if err != nil && !isFault[*types.TypeAlreadyExistsFault](err) {
		return fmt.Errorf("register workflow type: %w", err)
	}
	for _, name := range []string{activityGreet, activityShout} {
		_, err = ex.client.RegisterActivityType(ctx, &swf.RegisterActivityTypeInput{
			Domain:                            aws.String(domain),
			Name:                              aws.String(name),
			Version:                           aws.String(typeVersion),
			DefaultTaskList:                   &types.TaskList{Name: aws.String(activityList)},
			DefaultTaskScheduleToStartTimeout: aws.String("60"),
			DefaultTaskScheduleToCloseTimeout: aws.String("120"),
			DefaultTaskStartToCloseTimeout:    aws.String("60"),
			DefaultTaskHeartbeatTimeout:       aws.String("10"),
		})
		if err != nil && !isFault[*types.TypeAlreadyExistsFault](err) {
			return fmt.Errorf("register activity type %s: %w", name, err)
		}
	}
	ex.printf("registered domain %s, workflow type %s/%s, activity types %s/%s and %s/%s",
		domain, workflowName, typeVersion, activityGreet, typeVersion, activityShout, typeVersion)
	return nil
}

func isFault[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// The decider.

// decide polls for decision tasks until ctx ends and answers each one.
func (ex *example) decide(ctx context.Context) error {
	for {
		task, events, err := ex.pollDecision(ctx)
		if err != nil {
			return err
		}
		if task == nil {
			continue // the long poll ended empty: poll again
		}
		decisions := ex.nextDecisions(aws.ToString(task.WorkflowExecution.WorkflowId), events)
		_, err = ex.client.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{
			TaskToken: task.TaskToken,
			Decisions: decisions,
		})
		if err != nil {
			return fmt.Errorf("respond to decision task: %w", err)
		}
	}
}

// pollDecision long-polls for a decision task and reads its whole
// history, page by page. It returns a nil task when the poll ended empty.
func (ex *example) pollDecision(ctx context.Context) (*swf.PollForDecisionTaskOutput, []types.HistoryEvent, error) {
	in := &swf.PollForDecisionTaskInput{
		Domain:   aws.String(domain),
		TaskList: &types.TaskList{Name: aws.String(decisionList)},
		Identity: aws.String(identity + "/decider"),
	}
	task, err := ex.client.PollForDecisionTask(ctx, in)
	if err != nil {
		return nil, nil, fmt.Errorf("poll for decision task: %w", err)
	}
	if aws.ToString(task.TaskToken) == "" {
		return nil, nil, nil
	}
	events := task.Events
	for page := task; aws.ToString(page.NextPageToken) != ""; {
		in.NextPageToken = page.NextPageToken
		if page, err = ex.client.PollForDecisionTask(ctx, in); err != nil {
			return nil, nil, fmt.Errorf("poll for the next page of history: %w", err)
		}
		events = append(events, page.Events...)
	}
	return task, events, nil
}

// nextDecisions reads a greeting workflow's history and decides what
// happens next: greet the input, shout greet's result, complete with
// shout's result; any failure of an activity fails the workflow.
func (ex *example) nextDecisions(workflowID string, events []types.HistoryEvent) []types.Decision {
	var input string
	activityByEvent := map[int64]string{} // ActivityTaskScheduled event id → activity id
	results := map[string]string{}        // activity id → result
	var failure string
	for _, e := range events {
		switch e.EventType {
		case types.EventTypeWorkflowExecutionStarted:
			input = aws.ToString(e.WorkflowExecutionStartedEventAttributes.Input)
		case types.EventTypeActivityTaskScheduled:
			activityByEvent[e.EventId] = aws.ToString(e.ActivityTaskScheduledEventAttributes.ActivityId)
		case types.EventTypeActivityTaskCompleted:
			a := e.ActivityTaskCompletedEventAttributes
			results[activityByEvent[a.ScheduledEventId]] = aws.ToString(a.Result)
		case types.EventTypeActivityTaskFailed:
			a := e.ActivityTaskFailedEventAttributes
			failure = fmt.Sprintf("%s failed: %s", activityByEvent[a.ScheduledEventId], aws.ToString(a.Reason))
		case types.EventTypeActivityTaskTimedOut:
			a := e.ActivityTaskTimedOutEventAttributes
			failure = fmt.Sprintf("%s timed out (%s)", activityByEvent[a.ScheduledEventId], a.TimeoutType)
		case types.EventTypeActivityTaskCanceled:
			a := e.ActivityTaskCanceledEventAttributes
			failure = fmt.Sprintf("%s was canceled", activityByEvent[a.ScheduledEventId])
		case types.EventTypeScheduleActivityTaskFailed:
			a := e.ScheduleActivityTaskFailedEventAttributes
			failure = fmt.Sprintf("scheduling %s failed: %s", aws.ToString(a.ActivityId), a.Cause)
		}
	}
	scheduled := func(id string) bool {
		for _, a := range activityByEvent {
			if a == id {
				return true
			}
		}
		return false
	}
	switch {
	case failure != "":
		ex.printf("decider: %s: %s; fail the workflow", workflowID, failure)
		return []types.Decision{{
			DecisionType: types.DecisionTypeFailWorkflowExecution,
			FailWorkflowExecutionDecisionAttributes: &types.FailWorkflowExecutionDecisionAttributes{
				Reason: aws.String(truncate(failure, 256)),
			},
		}}
	case !scheduled(activityGreet):
		ex.printf("decider: %s started with input %q; schedule %s", workflowID, input, activityGreet)
		return []types.Decision{scheduleActivity(activityGreet, input)}
	case !scheduled(activityShout):
		if r, ok := results[activityGreet]; ok {
			ex.printf("decider: %s completed with %q; schedule %s", activityGreet, r, activityShout)
			return []types.Decision{scheduleActivity(activityShout, r)}
		}
	default:
		if r, ok := results[activityShout]; ok {
			ex.printf("decider: %s completed with %q; complete the workflow", activityShout, r)
			return []types.Decision{{
				DecisionType: types.DecisionTypeCompleteWorkflowExecution,
				CompleteWorkflowExecutionDecisionAttributes: &types.CompleteWorkflowExecutionDecisionAttributes{
					Result: aws.String(r),
				},
			}}
		}
	}
	// Nothing to do yet (an activity is still running): no decisions.
	return nil
}

// scheduleActivity schedules the activity type name/1 with the activity
// id name: each runs once per workflow. Its task list and timeouts are the
// type's defaults.
func scheduleActivity(name, input string) types.Decision {
	return types.Decision{
		DecisionType: types.DecisionTypeScheduleActivityTask,
		ScheduleActivityTaskDecisionAttributes: &types.ScheduleActivityTaskDecisionAttributes{
			ActivityId:   aws.String(name),
			ActivityType: &types.ActivityType{Name: aws.String(name), Version: aws.String(typeVersion)},
			Input:        aws.String(input),
		},
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// The activity worker.

// serveActivities polls for activity tasks until ctx ends and works on
// each one.
func (ex *example) serveActivities(ctx context.Context) error {
	for {
		task, err := ex.client.PollForActivityTask(ctx, &swf.PollForActivityTaskInput{
			Domain:   aws.String(domain),
			TaskList: &types.TaskList{Name: aws.String(activityList)},
			Identity: aws.String(identity + "/worker"),
		})
		if err != nil {
			return fmt.Errorf("poll for activity task: %w", err)
		}
		if aws.ToString(task.TaskToken) == "" {
			continue // the long poll ended empty: poll again
		}
		if err := ex.perform(ctx, task); err != nil {
			return err
		}
	}
}

// perform works on one activity task: a few steps with a heartbeat after
// each, then the result. A heartbeat answered with cancelRequested ends
// the work with RespondActivityTaskCanceled.
func (ex *example) perform(ctx context.Context, task *swf.PollForActivityTaskOutput) error {
	name, input := aws.ToString(task.ActivityType.Name), aws.ToString(task.Input)
	ex.printf("worker: %s(%q) started", name, input)
	for step := 1; step <= heartbeatSteps; step++ {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(heartbeatPeriod):
		}
		details := fmt.Sprintf("step %d of %d", step, heartbeatSteps)
		hb, err := ex.client.RecordActivityTaskHeartbeat(ctx, &swf.RecordActivityTaskHeartbeatInput{
			TaskToken: task.TaskToken,
			Details:   aws.String(details),
		})
		if err != nil {
			return fmt.Errorf("heartbeat %s: %w", name, err)
		}
		ex.printf("worker: %s heartbeat: %s", name, details)
		if hb.CancelRequested {
			ex.printf("worker: %s: cancellation requested; stop", name)
			_, err := ex.client.RespondActivityTaskCanceled(ctx, &swf.RespondActivityTaskCanceledInput{
				TaskToken: task.TaskToken,
				Details:   aws.String("canceled after " + strconv.Itoa(step) + " steps"),
			})
			if err != nil {
				return fmt.Errorf("report %s canceled: %w", name, err)
			}
			return nil
		}
	}
	var result string
	switch name {
	case activityGreet:
		result = "Hello, " + input + "!"
	case activityShout:
		result = strings.ToUpper(input)
	default:
		_, err := ex.client.RespondActivityTaskFailed(ctx, &swf.RespondActivityTaskFailedInput{
			TaskToken: task.TaskToken,
			Reason:    aws.String("unknown activity type"),
			Details:   aws.String(name),
		})
		if err != nil {
			return fmt.Errorf("report %s failed: %w", name, err)
		}
		return nil
	}
	if _, err := ex.client.RespondActivityTaskCompleted(ctx, &swf.RespondActivityTaskCompletedInput{
		TaskToken: task.TaskToken,
		Result:    aws.String(result),
	}); err != nil {
		return fmt.Errorf("complete %s: %w", name, err)
	}
	ex.printf("worker: %s completed: %q", name, result)
	return nil
}

// Waiting for the end.

// waitClosed checks every 200 ms with DescribeWorkflowExecution whether
// the execution has closed, and then returns its close status and, if it
// completed, its result (from the last event of its history).
func (ex *example) waitClosed(ctx context.Context, execution *types.WorkflowExecution) (types.CloseStatus, string, error) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return "", "", context.Cause(ctx)
		case <-tick.C:
		}
		desc, err := ex.client.DescribeWorkflowExecution(ctx, &swf.DescribeWorkflowExecutionInput{
			Domain: aws.String(domain), Execution: execution,
		})
		if err != nil {
			return "", "", fmt.Errorf("describe workflow: %w", err)
		}
		info := desc.ExecutionInfo
		if info.ExecutionStatus != types.ExecutionStatusClosed {
			continue
		}
		if info.CloseStatus != types.CloseStatusCompleted {
			return info.CloseStatus, "", nil
		}
		hist, err := ex.client.GetWorkflowExecutionHistory(ctx, &swf.GetWorkflowExecutionHistoryInput{
			Domain: aws.String(domain), Execution: execution,
			ReverseOrder: true, MaximumPageSize: 1,
		})
		if err != nil {
			return "", "", fmt.Errorf("read workflow history: %w", err)
		}
		if len(hist.Events) == 0 || hist.Events[0].WorkflowExecutionCompletedEventAttributes == nil {
			return "", "", errors.New("the history of a completed workflow does not end with WorkflowExecutionCompleted")
		}
		return info.CloseStatus, aws.ToString(hist.Events[0].WorkflowExecutionCompletedEventAttributes.Result), nil
	}
}
