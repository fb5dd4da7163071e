package server_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	swftypes "github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// SWF authorizes every action on the domain: two identities cannot see or
// touch each other's domains, executions and tasks (a task token is
// authorized on its task's domain), and a decision the decider may not
// make fails with OPERATION_NOT_PERMITTED in its …Failed event while the
// RespondDecisionTaskCompleted call succeeds.
func TestAuthorizationSWF(t *testing.T) {
	t.Parallel()
	owner := func(prefix string) string {
		return policyDoc(
			`{"Effect":"Allow","Action":"swf:*","Resource":"arn:aws:swf:*:*:/domain/`+prefix+`-*"}`,
			`{"Effect":"Allow","Action":"swf:ListDomains","Resource":"*"}`)
	}
	ids := servertest.Identities(t, map[string]string{
		"AKIDALICE": owner("alice"),
		"AKIDBOB":   owner("bob"),
		// A decider in alice's domain that may not schedule activities.
		"AKIDDECIDER": policyDoc(
			`{"Effect":"Allow","Action":"swf:*","Resource":"arn:aws:swf:us-east-1:000000000000:/domain/alice-dom"}`,
			`{"Effect":"Deny","Action":"swf:ScheduleActivityTask","Resource":"*"}`),
	})
	srv := servertest.Start(t, servertest.Options{MaxPollWait: 50 * time.Millisecond, Authenticate: ids.Authenticate})
	ctx := context.Background()
	as := func(akid string) *swf.Client { return swf.NewFromConfig(servertest.IdentityConfig(srv.URL(), akid)) }
	alice, bob, decider := as("AKIDALICE"), as("AKIDBOB"), as("AKIDDECIDER")
	denied := func(what string, err error) {
		t.Helper()
		servertest.WantClientError(t, what, err, "OperationNotPermittedFault")
	}
	dom := aws.String("alice-dom")
	tl := &swftypes.TaskList{Name: aws.String("tl")}
	wt := &swftypes.WorkflowType{Name: aws.String("wf"), Version: aws.String("1")}
	at := &swftypes.ActivityType{Name: aws.String("act"), Version: aws.String("1")}

	_, err := alice.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: dom, WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
	servertest.OK(t, "alice RegisterDomain", err)
	_, err = bob.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String("alice-other"), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
	denied("bob RegisterDomain alice-other", err)
	_, err = alice.RegisterWorkflowType(ctx, &swf.RegisterWorkflowTypeInput{Domain: dom, Name: wt.Name, Version: wt.Version})
	servertest.OK(t, "alice RegisterWorkflowType", err)
	_, err = alice.RegisterActivityType(ctx, &swf.RegisterActivityTypeInput{Domain: dom, Name: at.Name, Version: at.Version})
	servertest.OK(t, "alice RegisterActivityType", err)
	run, err := alice.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{
		Domain: dom, WorkflowId: aws.String("w1"), WorkflowType: wt, TaskList: tl,
		ExecutionStartToCloseTimeout: aws.String("3600"), TaskStartToCloseTimeout: aws.String("600"), ChildPolicy: swftypes.ChildPolicyTerminate,
	})
	servertest.OK(t, "alice StartWorkflowExecution", err)
	exec := &swftypes.WorkflowExecution{WorkflowId: aws.String("w1"), RunId: run.RunId}

	// Bob sees nothing of alice's domain but its name in ListDomains
	// (authorized on "*" and unfiltered, as on AWS).
	_, err = bob.DescribeDomain(ctx, &swf.DescribeDomainInput{Name: dom})
	denied("bob DescribeDomain", err)
	_, err = bob.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{Domain: dom, WorkflowId: aws.String("w2"), WorkflowType: wt, TaskList: tl,
		ExecutionStartToCloseTimeout: aws.String("3600"), TaskStartToCloseTimeout: aws.String("600"), ChildPolicy: swftypes.ChildPolicyTerminate})
	denied("bob StartWorkflowExecution", err)
	_, err = bob.DescribeWorkflowExecution(ctx, &swf.DescribeWorkflowExecutionInput{Domain: dom, Execution: exec})
	denied("bob DescribeWorkflowExecution", err)
	_, err = bob.SignalWorkflowExecution(ctx, &swf.SignalWorkflowExecutionInput{Domain: dom, WorkflowId: exec.WorkflowId, SignalName: aws.String("s")})
	denied("bob SignalWorkflowExecution", err)
	_, err = bob.PollForDecisionTask(ctx, &swf.PollForDecisionTaskInput{Domain: dom, TaskList: tl})
	denied("bob PollForDecisionTask", err)
	_, err = bob.PollForActivityTask(ctx, &swf.PollForActivityTaskInput{Domain: dom, TaskList: tl})
	denied("bob PollForActivityTask", err)
	_, err = bob.ListTagsForResource(ctx, &swf.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:swf:us-east-1:000000000000:/domain/alice-dom")})
	denied("bob ListTagsForResource", err)
	domains, err := bob.ListDomains(ctx, &swf.ListDomainsInput{RegistrationStatus: swftypes.RegistrationStatusRegistered})
	servertest.OK(t, "bob ListDomains", err)
	if !slices.ContainsFunc(domains.DomainInfos, func(d swftypes.DomainInfo) bool { return *d.Name == *dom }) {
		t.Errorf("bob ListDomains lacks alice-dom: %+v", domains.DomainInfos)
	}

	// The decider may not schedule an activity: that decision fails with
	// OPERATION_NOT_PERMITTED, the timer it also asked for starts.
	dt, err := decider.PollForDecisionTask(ctx, &swf.PollForDecisionTaskInput{Domain: dom, TaskList: tl})
	servertest.OK(t, "decider PollForDecisionTask", err)
	if dt.TaskToken == nil {
		t.Fatal("decider PollForDecisionTask: no task")
	}
	schedule := swftypes.Decision{DecisionType: swftypes.DecisionTypeScheduleActivityTask, ScheduleActivityTaskDecisionAttributes: &swftypes.ScheduleActivityTaskDecisionAttributes{
		ActivityType: at, ActivityId: aws.String("a1"), TaskList: tl,
		ScheduleToCloseTimeout: aws.String("600"), ScheduleToStartTimeout: aws.String("600"), StartToCloseTimeout: aws.String("600"), HeartbeatTimeout: aws.String("NONE"),
	}}
	timer := swftypes.Decision{DecisionType: swftypes.DecisionTypeStartTimer, StartTimerDecisionAttributes: &swftypes.StartTimerDecisionAttributes{
		TimerId: aws.String("t1"), StartToFireTimeout: aws.String("3600"),
	}}
	// Bob cannot answer alice's decision task: the token is authorized on
	// its domain.
	_, err = bob.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: dt.TaskToken})
	denied("bob RespondDecisionTaskCompleted", err)
	_, err = decider.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: dt.TaskToken, Decisions: []swftypes.Decision{schedule, timer}})
	servertest.OK(t, "decider RespondDecisionTaskCompleted", err)
	hist, err := alice.GetWorkflowExecutionHistory(ctx, &swf.GetWorkflowExecutionHistoryInput{Domain: dom, Execution: exec})
	servertest.OK(t, "alice GetWorkflowExecutionHistory", err)
	var failed *swftypes.ScheduleActivityTaskFailedEventAttributes
	timerStarted := false
	for _, ev := range hist.Events {
		switch ev.EventType {
		case swftypes.EventTypeScheduleActivityTaskFailed:
			failed = ev.ScheduleActivityTaskFailedEventAttributes
		case swftypes.EventTypeActivityTaskScheduled:
			t.Error("the denied ScheduleActivityTask decision scheduled an activity")
		case swftypes.EventTypeTimerStarted:
			timerStarted = true
		}
	}
	if failed == nil || failed.Cause != swftypes.ScheduleActivityTaskFailedCauseOperationNotPermitted || *failed.ActivityId != "a1" {
		t.Errorf("ScheduleActivityTaskFailed = %+v, want cause OPERATION_NOT_PERMITTED for a1", failed)
	}
	if !timerStarted {
		t.Error("the permitted StartTimer decision started no timer")
	}

	// The failure asks for a new decision: alice (allowed) schedules the
	// activity; bob can neither heartbeat nor complete its task.
	dt, err = alice.PollForDecisionTask(ctx, &swf.PollForDecisionTaskInput{Domain: dom, TaskList: tl})
	servertest.OK(t, "alice PollForDecisionTask", err)
	if dt.TaskToken == nil {
		t.Fatal("alice PollForDecisionTask: no task after the failed decision")
	}
	_, err = alice.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: dt.TaskToken, Decisions: []swftypes.Decision{schedule}})
	servertest.OK(t, "alice RespondDecisionTaskCompleted", err)
	task, err := alice.PollForActivityTask(ctx, &swf.PollForActivityTaskInput{Domain: dom, TaskList: tl})
	servertest.OK(t, "alice PollForActivityTask", err)
	if task.TaskToken == nil {
		t.Fatal("alice PollForActivityTask: no task")
	}
	_, err = bob.RecordActivityTaskHeartbeat(ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: task.TaskToken})
	denied("bob RecordActivityTaskHeartbeat", err)
	_, err = bob.RespondActivityTaskCompleted(ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: task.TaskToken})
	denied("bob RespondActivityTaskCompleted", err)
	_, err = bob.RespondActivityTaskFailed(ctx, &swf.RespondActivityTaskFailedInput{TaskToken: task.TaskToken})
	denied("bob RespondActivityTaskFailed", err)
	_, err = alice.RespondActivityTaskCompleted(ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: task.TaskToken, Result: aws.String("ok")})
	servertest.OK(t, "alice RespondActivityTaskCompleted", err)
	_, err = bob.TerminateWorkflowExecution(ctx, &swf.TerminateWorkflowExecutionInput{Domain: dom, WorkflowId: exec.WorkflowId})
	denied("bob TerminateWorkflowExecution", err)

	// A closing decision denied (swf:Complete* by an Action wildcard)
	// fails the same way and leaves the execution open.
	ids.Set(t, "AKIDDECIDER", policyDoc(
		`{"Effect":"Allow","Action":"swf:*","Resource":"arn:aws:swf:us-east-1:000000000000:/domain/alice-dom"}`,
		`{"Effect":"Deny","Action":"swf:Complete*","Resource":"*"}`))
	dt, err = decider.PollForDecisionTask(ctx, &swf.PollForDecisionTaskInput{Domain: dom, TaskList: tl, ReverseOrder: true, MaximumPageSize: 1})
	servertest.OK(t, "decider PollForDecisionTask after the activity", err)
	if dt.TaskToken == nil {
		t.Fatal("decider PollForDecisionTask: no task after the activity completed")
	}
	_, err = decider.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: dt.TaskToken, Decisions: []swftypes.Decision{
		{DecisionType: swftypes.DecisionTypeCompleteWorkflowExecution},
	}})
	servertest.OK(t, "decider RespondDecisionTaskCompleted CompleteWorkflowExecution", err)
	hist, err = alice.GetWorkflowExecutionHistory(ctx, &swf.GetWorkflowExecutionHistoryInput{Domain: dom, Execution: exec, ReverseOrder: true, MaximumPageSize: 3})
	servertest.OK(t, "alice GetWorkflowExecutionHistory", err)
	i := slices.IndexFunc(hist.Events, func(ev swftypes.HistoryEvent) bool {
		return ev.EventType == swftypes.EventTypeCompleteWorkflowExecutionFailed
	})
	if i < 0 || hist.Events[i].CompleteWorkflowExecutionFailedEventAttributes.Cause != swftypes.CompleteWorkflowExecutionFailedCauseOperationNotPermitted {
		t.Errorf("no CompleteWorkflowExecutionFailed with OPERATION_NOT_PERMITTED in %+v", hist.Events)
	}
	d, err := alice.DescribeWorkflowExecution(ctx, &swf.DescribeWorkflowExecutionInput{Domain: dom, Execution: exec})
	servertest.OK(t, "alice DescribeWorkflowExecution", err)
	if d.ExecutionInfo.ExecutionStatus != swftypes.ExecutionStatusOpen {
		t.Errorf("execution %s after a denied CompleteWorkflowExecution, want OPEN", d.ExecutionInfo.ExecutionStatus)
	}
}
