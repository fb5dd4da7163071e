package sfn_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
	sfnsvc "github.com/gaffer-dev/gaffer/internal/sfn"
)

// TestTaskTokensByRegion: a task token is an id too. A worker in another
// region (or partition) than the execution's cannot heartbeat, complete or
// fail its task: the token answers TaskTimedOut, as a token of a task that
// no longer exists; the task stays open for its own region.
func TestTaskTokensByRegion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	east := regionClient(b, "us-east-1")
	act := b.Activity(t)
	ex := b.Start(t, b.Machine(t, cpTaskDef, act), `{"x":1}`)
	tok, _ := b.MustPoll(t, act)

	for _, region := range []string{"eu-west-1", "cn-north-1"} {
		c := regionClient(b, region)
		_, err := c.SendTaskHeartbeat(b.Ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(tok)})
		servertest.WantClientError(t, region+": SendTaskHeartbeat of a us-east-1 task", err, "TaskTimedOut")
		_, err = c.SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{"from":"` + region + `"}`)})
		servertest.WantClientError(t, region+": SendTaskSuccess of a us-east-1 task", err, "TaskTimedOut")
		_, err = c.SendTaskFailure(b.Ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(tok), Error: aws.String("E")})
		servertest.WantClientError(t, region+": SendTaskFailure of a us-east-1 task", err, "TaskTimedOut")
		// Worded as a closed task's token, which tells nothing of the task.
		if !strings.Contains(err.Error(), "Provided task does not exist anymore") {
			t.Errorf("%s: SendTaskFailure: %v, want the closed task's message", region, err)
		}
	}

	// Nothing reached the execution: it still waits on the task, whose
	// token works from us-east-1.
	d, err := east.DescribeExecution(b.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(ex)})
	if err != nil || d.Status != types.ExecutionStatusRunning {
		t.Fatalf("after the foreign calls: %v, %v; want RUNNING", d, err)
	}
	if _, err := east.SendTaskHeartbeat(b.Ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(tok)}); err != nil {
		t.Fatalf("SendTaskHeartbeat from us-east-1: %v", err)
	}
	if _, err := east.SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{"from":"us-east-1"}`)}); err != nil {
		t.Fatalf("SendTaskSuccess from us-east-1: %v", err)
	}
	out := b.WaitStatus(t, ex, types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(out.Output), `{"from":"us-east-1"}`) {
		t.Errorf("output %s", aws.ToString(out.Output))
	}
	// Once closed, the token answers alike from every region.
	exTokenDead(t, b, tok)
	_, err = regionClient(b, "eu-west-1").SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{}`)})
	servertest.WantClientError(t, "eu-west-1: SendTaskSuccess of a closed us-east-1 task", err, "TaskTimedOut")
}

// TestActivityOfAnotherRegion: a Task state naming an activity of another
// region or account than its state machine's does not schedule onto it:
// the activity does not exist for the execution (ActivityScheduleFailed,
// States.Runtime), as a missing activity.
func TestActivityOfAnotherRegion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t) // us-east-1's, which exists
	for _, tc := range []struct{ region, resource string }{
		{"eu-west-1", act},
		{"us-east-1", strings.Replace(act, ":000000000000:", ":111111111111:", 1)},
	} {
		c := regionClient(b, tc.region)
		def := strings.ReplaceAll(cpTaskDef, "$ACT", tc.resource)
		sm, err := c.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{Name: aws.String(servertest.Uniq("foreignact")), Definition: aws.String(def), RoleArn: aws.String(exRole)})
		if err != nil {
			t.Fatalf("%s: CreateStateMachine naming %s: %v", tc.region, tc.resource, err)
		}
		st, err := c.StartExecution(b.Ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn})
		if err != nil {
			t.Fatal(err)
		}
		w := &servertest.SFNEnv{Env: b.Env, Client: c}
		d := w.WaitStatus(t, *st.ExecutionArn, types.ExecutionStatusFailed)
		if aws.ToString(d.Error) != "States.Runtime" {
			t.Errorf("%s naming %s: error %q, want States.Runtime", tc.region, tc.resource, aws.ToString(d.Error))
		}
		h := w.History(t, *st.ExecutionArn)
		failed := exFind(h, types.HistoryEventTypeActivityScheduleFailed)
		if len(failed) != 1 || len(exFind(h, types.HistoryEventTypeActivityScheduled)) != 0 {
			t.Fatalf("%s naming %s: history\n%s", tc.region, tc.resource, strings.Join(exDescribeAll(h), "\n"))
		}
		if cause := aws.ToString(failed[0].ActivityScheduleFailedEventDetails.Cause); cause != "The activity '"+tc.resource+"' does not exist." {
			t.Errorf("%s: cause %q", tc.region, cause)
		}
	}
	// Nothing was queued on the us-east-1 activity: a machine of its own
	// region schedules its task, and the poll gets that one.
	ex := b.Start(t, b.Machine(t, cpTaskDef, act), `{"own":true}`)
	if _, in := b.MustPoll(t, act); !servertest.JSONEqual(t, in, `{"own":true}`) {
		t.Errorf("the us-east-1 activity's task has input %s, want its own execution's", in)
	}
	b.WaitStatus(t, ex, types.ExecutionStatusRunning)
}

// TestInScope: the heartbeat's region check compares an ARN's partition,
// service, region and account, nothing else.
func TestInScope(t *testing.T) {
	t.Parallel()
	const ex = "arn:aws:states:us-east-1:000000000000:execution:m:e"
	for _, tt := range []struct {
		arn, partition, region, account string
		want                            bool
	}{
		{ex, "aws", "us-east-1", "000000000000", true},
		{ex, "aws", "eu-west-1", "000000000000", false},
		{ex, "aws-cn", "us-east-1", "000000000000", false},
		{ex, "aws", "us-east-1", "111111111111", false},
		{"arn:aws:states:us-east-1", "aws", "us-east-1", "000000000000", false},
		{"", "aws", "us-east-1", "000000000000", false},
		{"arn:aws:lambda:us-east-1:000000000000:function:f", "aws", "us-east-1", "000000000000", false},
	} {
		if got := sfnsvc.InScope(tt.arn, tt.partition, tt.region, tt.account); got != tt.want {
			t.Errorf("inScope(%q, %s, %s, %s) = %v, want %v", tt.arn, tt.partition, tt.region, tt.account, got, tt.want)
		}
	}
}
