package server_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// policyDoc returns a policy document of the statements.
func policyDoc(statements ...string) string {
	doc := `{"Version":"2012-10-17","Statement":[`
	for i, s := range statements {
		if i > 0 {
			doc += ","
		}
		doc += s
	}
	return doc + `]}`
}

const accessDenied = "AccessDeniedException"

// Two identities who own what their names prefix cannot see or touch each
// other's activities, state machines and executions; listings filter
// nothing (as on AWS, List* is authorized on "*"); every policy effect
// applies: Allow, an explicit Deny that wins, Action wildcards
// (states:SendTask*), NotAction.
func TestAuthorizationStepFunctions(t *testing.T) {
	t.Parallel()
	owner := func(prefix string) string {
		return policyDoc(
			`{"Effect":"Allow","Action":"states:*","Resource":[
				"arn:aws:states:*:*:activity:`+prefix+`-*",
				"arn:aws:states:*:*:stateMachine:`+prefix+`-*",
				"arn:aws:states:*:*:execution:`+prefix+`-*:*"]}`,
			`{"Effect":"Allow","Action":["states:ListActivities","states:ListStateMachines","states:SendTask*","states:ValidateStateMachineDefinition"],"Resource":"*"}`)
	}
	ids := servertest.Identities(t, map[string]string{
		"AKIDALICE": owner("alice"),
		"AKIDBOB":   owner("bob"),
		// A worker of alice's activity only: poll it and answer its tasks.
		"AKIDWORKER": policyDoc(
			`{"Effect":"Allow","Action":"states:GetActivityTask","Resource":"arn:aws:states:us-east-1:000000000000:activity:alice-act"}`,
			`{"Effect":"Allow","Action":"states:SendTask*","Resource":"*"}`),
		// Everything but answering tasks: the Deny wins over the Allow.
		"AKIDNOSEND": policyDoc(
			`{"Effect":"Allow","Action":"*","Resource":"*"}`,
			`{"Effect":"Deny","Action":"states:sendtask*","Resource":"*"}`),
		// Everything but deleting and stopping.
		"AKIDREADER": policyDoc(`{"Effect":"Allow","NotAction":["states:Delete*","states:Stop*"],"Resource":"*"}`),
	})
	srv := servertest.Start(t, servertest.Options{MaxPollWait: 50 * time.Millisecond, Authenticate: ids.Authenticate})
	ctx := context.Background()
	as := func(akid string) *sfn.Client { return sfn.NewFromConfig(servertest.IdentityConfig(srv.URL(), akid)) }
	alice, bob, worker, nosend, reader := as("AKIDALICE"), as("AKIDBOB"), as("AKIDWORKER"), as("AKIDNOSEND"), as("AKIDREADER")
	denied := func(what string, err error) {
		t.Helper()
		servertest.WantClientError(t, what, err, accessDenied)
	}

	act, err := alice.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("alice-act")})
	servertest.OK(t, "alice CreateActivity", err)
	_, err = bob.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("alice-bob")})
	denied("bob CreateActivity alice-bob", err)
	_, err = bob.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("bob-act")})
	servertest.OK(t, "bob CreateActivity", err)
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + *act.ActivityArn + `","End":true}}}`
	sm, err := alice.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("alice-sm"), Definition: aws.String(def), RoleArn: aws.String("arn:aws:iam::000000000000:role/r")})
	servertest.OK(t, "alice CreateStateMachine", err)
	_, err = bob.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("alice-sm2"), Definition: aws.String(def), RoleArn: aws.String("arn:aws:iam::000000000000:role/r")})
	denied("bob CreateStateMachine alice-sm2", err)
	ex, err := alice.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("run1")})
	servertest.OK(t, "alice StartExecution", err)

	// Bob can neither see nor touch alice's resources.
	_, err = bob.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: act.ActivityArn})
	denied("bob DescribeActivity", err)
	_, err = bob.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn})
	denied("bob GetActivityTask", err)
	_, err = bob.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: act.ActivityArn})
	denied("bob DeleteActivity", err)
	_, err = bob.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: sm.StateMachineArn})
	denied("bob DescribeStateMachine", err)
	_, err = bob.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn})
	denied("bob StartExecution", err)
	_, err = bob.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn})
	denied("bob ListExecutions", err)
	_, err = bob.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn})
	denied("bob DescribeExecution", err)
	_, err = bob.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: ex.ExecutionArn})
	denied("bob GetExecutionHistory", err)
	_, err = bob.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: ex.ExecutionArn})
	denied("bob StopExecution", err)
	_, err = bob.TagResource(ctx, &sfn.TagResourceInput{ResourceArn: sm.StateMachineArn, Tags: []sfntypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	denied("bob TagResource", err)
	// Listings filter nothing: bob sees alice's activity (AWS authorizes
	// ListActivities on "*" and lists every activity of the account).
	list, err := bob.ListActivities(ctx, &sfn.ListActivitiesInput{})
	servertest.OK(t, "bob ListActivities", err)
	if !slices.ContainsFunc(list.Activities, func(a sfntypes.ActivityListItem) bool { return *a.ActivityArn == *act.ActivityArn }) {
		t.Errorf("bob ListActivities lacks alice's activity: %+v", list.Activities)
	}

	// The worker polls alice's activity (and no other), heartbeats and
	// answers; states:SendTask* allows all three SendTask actions.
	_, err = worker.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: act.ActivityArn})
	denied("worker DescribeActivity", err)
	bobAct := "arn:aws:states:us-east-1:000000000000:activity:bob-act"
	_, err = worker.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(bobAct)})
	denied("worker GetActivityTask bob-act", err)
	task, err := worker.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn})
	servertest.OK(t, "worker GetActivityTask", err)
	if task.TaskToken == nil {
		t.Fatal("worker GetActivityTask: no task")
	}
	_, err = worker.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: task.TaskToken})
	servertest.OK(t, "worker SendTaskHeartbeat", err)
	// Allowed everything but SendTask* (an explicit deny wins, whatever
	// the case of the action in the policy).
	_, err = nosend.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String("{}")})
	denied("nosend SendTaskSuccess", err)
	_, err = nosend.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: task.TaskToken})
	denied("nosend SendTaskFailure", err)
	_, err = nosend.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: act.ActivityArn})
	servertest.OK(t, "nosend DescribeActivity", err)
	_, err = worker.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`{"done":true}`)})
	servertest.OK(t, "worker SendTaskSuccess", err)
	d, err := alice.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn})
	servertest.OK(t, "alice DescribeExecution", err)
	if d.Status != sfntypes.ExecutionStatusSucceeded {
		t.Errorf("execution %s, want SUCCEEDED", d.Status)
	}

	// NotAction: the reader may do all but Delete* and Stop*.
	_, err = reader.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: sm.StateMachineArn})
	servertest.OK(t, "reader DescribeStateMachine", err)
	_, err = reader.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: sm.StateMachineArn})
	denied("reader DeleteStateMachine", err)
	_, err = reader.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: act.ActivityArn})
	denied("reader DeleteActivity", err)
	_, err = alice.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: act.ActivityArn})
	servertest.OK(t, "alice DeleteActivity", err)
}
