//lint:file-ignore SA1019 aws-sdk-go v1 is deprecated by AWS; covering the workers that still use it is this package's point.

package sdkv1_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/swf"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// swfFlow is a v1 SWF client on a domain with one workflow type and one
// activity type, each with its own default task list.
type swfFlow struct {
	env       servertest.Env
	c         *swf.SWF
	domain    string
	decisions string // the workflow type's default task list
	tasks     string // the activity type's default task list
	wfType    *swf.WorkflowType
	actType   *swf.ActivityType
}

// pollDecision long-polls the decision task list until a task comes.
func (f *swfFlow) pollDecision(t *testing.T) *swf.PollForDecisionTaskOutput {
	t.Helper()
	for range 10 {
		out, err := f.c.PollForDecisionTaskWithContext(f.env.Ctx, &swf.PollForDecisionTaskInput{
			Domain: aws.String(f.domain), TaskList: &swf.TaskList{Name: aws.String(f.decisions)}, Identity: aws.String("v1-decider"),
		})
		ok(t, "PollForDecisionTask", err)
		if aws.StringValue(out.TaskToken) != "" {
			return out
		}
	}
	t.Fatal("PollForDecisionTask: no task in 10 polls")
	return nil
}

// staleHeartbeat heartbeats a closed activity task and wants AWS's
// UnknownResourceFault with the message want: v1 workers (sclasen/swfsm)
// match "Unknown activity" and "Unknown execution" to stop heartbeating.
func (f *swfFlow) staleHeartbeat(t *testing.T, token *string, want string) {
	t.Helper()
	_, err := f.c.RecordActivityTaskHeartbeatWithContext(f.env.Ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: token})
	var unknown *swf.UnknownResourceFault
	if !errors.As(wantError(t, "RecordActivityTaskHeartbeat of a closed task", err, swf.ErrCodeUnknownResourceFault), &unknown) {
		t.Fatalf("RecordActivityTaskHeartbeat of a closed task: %T, want *swf.UnknownResourceFault", err)
	}
	if got := unknown.Message(); got != want {
		t.Fatalf("RecordActivityTaskHeartbeat of a closed task: message %q, want %q", got, want)
	}
}

// eventTypes lists the types of events.
func eventTypes(events []*swf.HistoryEvent) []string {
	var out []string
	for _, e := range events {
		out = append(out, aws.StringValue(e.EventType))
	}
	return out
}

// TestSWFFlow registers a domain and types with the v1 SWF client, runs
// one execution through a decider and an activity worker to
// CompleteWorkflowExecution, and describes it closed.
func TestSWFFlow(t *testing.T) {
	t.Parallel()
	env, sess := setup(t)
	f := &swfFlow{
		env: env, c: swf.New(sess),
		domain: servertest.Uniq("v1-domain"), decisions: servertest.Uniq("v1-decisions"), tasks: servertest.Uniq("v1-tasks"),
		wfType:  &swf.WorkflowType{Name: aws.String("wf"), Version: aws.String("1")},
		actType: &swf.ActivityType{Name: aws.String("act"), Version: aws.String("1")},
	}
	c, ctx := f.c, env.Ctx

	_, err := c.RegisterDomainWithContext(ctx, &swf.RegisterDomainInput{Name: aws.String(f.domain), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
	ok(t, "RegisterDomain", err)
	_, err = c.RegisterWorkflowTypeWithContext(ctx, &swf.RegisterWorkflowTypeInput{
		Domain: aws.String(f.domain), Name: f.wfType.Name, Version: f.wfType.Version,
		DefaultTaskList:                     &swf.TaskList{Name: aws.String(f.decisions)},
		DefaultExecutionStartToCloseTimeout: aws.String("300"),
		DefaultTaskStartToCloseTimeout:      aws.String("60"),
		DefaultChildPolicy:                  aws.String(swf.ChildPolicyTerminate),
	})
	ok(t, "RegisterWorkflowType", err)
	_, err = c.RegisterActivityTypeWithContext(ctx, &swf.RegisterActivityTypeInput{
		Domain: aws.String(f.domain), Name: f.actType.Name, Version: f.actType.Version,
		DefaultTaskList:                   &swf.TaskList{Name: aws.String(f.tasks)},
		DefaultTaskScheduleToStartTimeout: aws.String("NONE"),
		DefaultTaskScheduleToCloseTimeout: aws.String("NONE"),
		DefaultTaskStartToCloseTimeout:    aws.String("60"),
		DefaultTaskHeartbeatTimeout:       aws.String("60"),
	})
	ok(t, "RegisterActivityType", err)

	start, err := c.StartWorkflowExecutionWithContext(ctx, &swf.StartWorkflowExecutionInput{
		Domain: aws.String(f.domain), WorkflowId: aws.String("order-1"), WorkflowType: f.wfType, Input: aws.String("in"),
	})
	ok(t, "StartWorkflowExecution", err)
	we := &swf.WorkflowExecution{WorkflowId: aws.String("order-1"), RunId: start.RunId}
	if aws.StringValue(start.RunId) == "" {
		t.Fatal("StartWorkflowExecution: no runId")
	}

	// First decision: schedule the activity.
	d := f.pollDecision(t)
	if got := eventTypes(d.Events); !slices.Equal(got, []string{"WorkflowExecutionStarted", "DecisionTaskScheduled", "DecisionTaskStarted"}) {
		t.Fatalf("first decision task events %v", got)
	}
	if attrs := d.Events[0].WorkflowExecutionStartedEventAttributes; attrs == nil || aws.StringValue(attrs.Input) != "in" ||
		aws.StringValue(attrs.TaskList.Name) != f.decisions || aws.StringValue(attrs.ChildPolicy) != swf.ChildPolicyTerminate {
		t.Fatalf("WorkflowExecutionStarted attributes %v", attrs)
	}
	if aws.StringValue(d.WorkflowExecution.RunId) != aws.StringValue(we.RunId) || aws.StringValue(d.WorkflowType.Name) != "wf" ||
		aws.Int64Value(d.StartedEventId) != 3 || d.Events[0].EventTimestamp == nil || d.Events[0].EventTimestamp.IsZero() {
		t.Fatalf("first decision task %v", d)
	}
	_, err = c.RespondDecisionTaskCompletedWithContext(ctx, &swf.RespondDecisionTaskCompletedInput{
		TaskToken: d.TaskToken,
		Decisions: []*swf.Decision{{
			DecisionType: aws.String(swf.DecisionTypeScheduleActivityTask),
			ScheduleActivityTaskDecisionAttributes: &swf.ScheduleActivityTaskDecisionAttributes{
				ActivityId: aws.String("a1"), ActivityType: f.actType, Input: aws.String("work"),
			},
		}},
	})
	ok(t, "RespondDecisionTaskCompleted ScheduleActivityTask", err)

	// The activity: polled, heartbeat, completed.
	var task *swf.PollForActivityTaskOutput
	for range 10 {
		task, err = c.PollForActivityTaskWithContext(ctx, &swf.PollForActivityTaskInput{
			Domain: aws.String(f.domain), TaskList: &swf.TaskList{Name: aws.String(f.tasks)}, Identity: aws.String("v1-worker"),
		})
		ok(t, "PollForActivityTask", err)
		if aws.StringValue(task.TaskToken) != "" {
			break
		}
	}
	if aws.StringValue(task.TaskToken) == "" {
		t.Fatal("PollForActivityTask: no task in 10 polls")
	}
	if aws.StringValue(task.ActivityId) != "a1" || aws.StringValue(task.Input) != "work" || aws.StringValue(task.ActivityType.Name) != "act" ||
		aws.StringValue(task.WorkflowExecution.RunId) != aws.StringValue(we.RunId) {
		t.Fatalf("activity task %v", task)
	}
	hb, err := c.RecordActivityTaskHeartbeatWithContext(ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: task.TaskToken, Details: aws.String("half")})
	ok(t, "RecordActivityTaskHeartbeat", err)
	if hb.CancelRequested == nil || *hb.CancelRequested {
		t.Fatalf("RecordActivityTaskHeartbeat = %v, want cancelRequested false", hb)
	}
	_, err = c.RespondActivityTaskCompletedWithContext(ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: task.TaskToken, Result: aws.String("done")})
	ok(t, "RespondActivityTaskCompleted", err)
	f.staleHeartbeat(t, task.TaskToken, "Unknown activity, scheduledEventId = 5")

	// Second decision: complete the workflow with the activity's result.
	d = f.pollDecision(t)
	var result string
	for _, e := range d.Events {
		if a := e.ActivityTaskCompletedEventAttributes; a != nil {
			result = aws.StringValue(a.Result)
		}
	}
	if result != "done" || aws.Int64Value(d.PreviousStartedEventId) != 3 {
		t.Fatalf("second decision task: result %q, previousStartedEventId %d; events %v", result, aws.Int64Value(d.PreviousStartedEventId), eventTypes(d.Events))
	}
	_, err = c.RespondDecisionTaskCompletedWithContext(ctx, &swf.RespondDecisionTaskCompletedInput{
		TaskToken: d.TaskToken,
		Decisions: []*swf.Decision{{
			DecisionType: aws.String(swf.DecisionTypeCompleteWorkflowExecution),
			CompleteWorkflowExecutionDecisionAttributes: &swf.CompleteWorkflowExecutionDecisionAttributes{Result: aws.String("shipped")},
		}},
	})
	ok(t, "RespondDecisionTaskCompleted CompleteWorkflowExecution", err)

	desc, err := c.DescribeWorkflowExecutionWithContext(ctx, &swf.DescribeWorkflowExecutionInput{Domain: aws.String(f.domain), Execution: we})
	ok(t, "DescribeWorkflowExecution", err)
	info := desc.ExecutionInfo
	if aws.StringValue(info.ExecutionStatus) != swf.ExecutionStatusClosed || aws.StringValue(info.CloseStatus) != swf.CloseStatusCompleted ||
		info.CloseTimestamp == nil || info.CloseTimestamp.Before(*info.StartTimestamp) ||
		aws.StringValue(desc.ExecutionConfiguration.TaskList.Name) != f.decisions ||
		aws.Int64Value(desc.OpenCounts.OpenActivityTasks) != 0 {
		t.Fatalf("DescribeWorkflowExecution = %v", desc)
	}

	// The whole history, two events a page so that v1 follows nextPageToken.
	var events []*swf.HistoryEvent
	err = c.GetWorkflowExecutionHistoryPagesWithContext(ctx, &swf.GetWorkflowExecutionHistoryInput{Domain: aws.String(f.domain), Execution: we, MaximumPageSize: aws.Int64(2)},
		func(page *swf.GetWorkflowExecutionHistoryOutput, _ bool) bool {
			events = append(events, page.Events...)
			return true
		})
	ok(t, "GetWorkflowExecutionHistory", err)
	want := []string{
		"WorkflowExecutionStarted", "DecisionTaskScheduled", "DecisionTaskStarted", "DecisionTaskCompleted",
		"ActivityTaskScheduled", "ActivityTaskStarted", "ActivityTaskCompleted",
		"DecisionTaskScheduled", "DecisionTaskStarted", "DecisionTaskCompleted", "WorkflowExecutionCompleted",
	}
	if got := eventTypes(events); !slices.Equal(got, want) {
		t.Fatalf("history\n%v\nwant\n%v", got, want)
	}
	if a := events[len(events)-1].WorkflowExecutionCompletedEventAttributes; a == nil || aws.StringValue(a.Result) != "shipped" {
		t.Fatalf("WorkflowExecutionCompleted attributes %v", a)
	}

	// The token after the execution closed: AWS's UnknownResourceFault, in
	// AWS's words (see staleHeartbeat).
	f.staleHeartbeat(t, task.TaskToken, "Unknown execution: WorkflowExecution=[workflowId=order-1, runId="+aws.StringValue(we.RunId)+"]")
}

// TestSWFErrors checks that v1 reads gaffer's SWF faults as AWS's: the
// code (awserr.Error Code()) and the modelled fault type.
func TestSWFErrors(t *testing.T) {
	t.Parallel()
	env, sess := setup(t)
	c, ctx := swf.New(sess), env.Ctx

	_, err := c.DescribeDomainWithContext(ctx, &swf.DescribeDomainInput{Name: aws.String("no-such-domain")})
	var unknown *swf.UnknownResourceFault
	if !errors.As(wantError(t, "DescribeDomain of an unknown domain", err, swf.ErrCodeUnknownResourceFault), &unknown) {
		t.Fatalf("DescribeDomain of an unknown domain: %T, want *swf.UnknownResourceFault", err)
	}
	domain := servertest.Uniq("v1-domain")
	_, err = c.RegisterDomainWithContext(ctx, &swf.RegisterDomainInput{Name: aws.String(domain), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
	ok(t, "RegisterDomain", err)
	_, err = c.DescribeWorkflowExecutionWithContext(ctx, &swf.DescribeWorkflowExecutionInput{
		Domain: aws.String(domain), Execution: &swf.WorkflowExecution{WorkflowId: aws.String("nope"), RunId: aws.String("nope")},
	})
	if !errors.As(wantError(t, "DescribeWorkflowExecution of an unknown execution", err, swf.ErrCodeUnknownResourceFault), &unknown) {
		t.Fatalf("DescribeWorkflowExecution of an unknown execution: %T, want *swf.UnknownResourceFault", err)
	}
	_, err = c.RegisterDomainWithContext(ctx, &swf.RegisterDomainInput{Name: aws.String(domain), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
	var exists *swf.DomainAlreadyExistsFault
	if !errors.As(wantError(t, "RegisterDomain again", err, swf.ErrCodeDomainAlreadyExistsFault), &exists) {
		t.Fatalf("RegisterDomain again: %T, want *swf.DomainAlreadyExistsFault", err)
	}
}
