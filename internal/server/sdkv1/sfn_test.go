//lint:file-ignore SA1019 aws-sdk-go v1 is deprecated by AWS; covering the workers that still use it is this package's point.

package sdkv1_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/sfn"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// TestSFNFlow runs an activity task and an inline Map over two items with
// the v1 Step Functions client, from CreateActivity to the history.
func TestSFNFlow(t *testing.T) {
	t.Parallel()
	env, sess := setup(t)
	c := sfn.New(sess)
	ctx := env.Ctx

	act, err := c.CreateActivityWithContext(ctx, &sfn.CreateActivityInput{Name: aws.String(servertest.Uniq("v1-act"))})
	ok(t, "CreateActivity", err)
	actARN := aws.StringValue(act.ActivityArn)
	if !strings.HasPrefix(actARN, "arn:aws:states:us-east-1:") || act.CreationDate == nil || act.CreationDate.IsZero() {
		t.Fatalf("CreateActivity = %v", act)
	}
	def := `{"StartAt":"Work","States":{
		"Work":{"Type":"Task","Resource":"` + actARN + `","HeartbeatSeconds":60,"Next":"Each"},
		"Each":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":1,
			"ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"Wrap",
				"States":{"Wrap":{"Type":"Pass","Parameters":{"v.$":"$"},"End":true}}},
			"End":true}}}`
	sm, err := c.CreateStateMachineWithContext(ctx, &sfn.CreateStateMachineInput{
		Name:       aws.String(servertest.Uniq("v1-sm")),
		Definition: aws.String(def),
		RoleArn:    aws.String("arn:aws:iam::000000000000:role/test"),
	})
	ok(t, "CreateStateMachine", err)
	start, err := c.StartExecutionWithContext(ctx, &sfn.StartExecutionInput{
		StateMachineArn: sm.StateMachineArn,
		Name:            aws.String("run-1"),
		Input:           aws.String(`{"n":1}`),
	})
	ok(t, "StartExecution", err)
	exec := aws.StringValue(start.ExecutionArn)
	if !strings.HasSuffix(exec, ":run-1") || start.StartDate == nil || start.StartDate.IsZero() {
		t.Fatalf("StartExecution = %v", start)
	}

	// The task: polled (an empty long poll may come first), heartbeat,
	// success.
	var task *sfn.GetActivityTaskOutput
	for range 10 {
		task, err = c.GetActivityTaskWithContext(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(actARN), WorkerName: aws.String("v1-worker")})
		ok(t, "GetActivityTask", err)
		if aws.StringValue(task.TaskToken) != "" {
			break
		}
	}
	if aws.StringValue(task.TaskToken) == "" {
		t.Fatal("GetActivityTask: no task in 10 polls")
	}
	if !servertest.JSONEqual(t, aws.StringValue(task.Input), `{"n":1}`) {
		t.Fatalf("task input %s", aws.StringValue(task.Input))
	}
	_, err = c.SendTaskHeartbeatWithContext(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: task.TaskToken})
	ok(t, "SendTaskHeartbeat", err)
	_, err = c.SendTaskSuccessWithContext(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`{"items":[1,2]}`)})
	ok(t, "SendTaskSuccess", err)

	// The Map runs by itself; wait for the end.
	var desc *sfn.DescribeExecutionOutput
	env.Wait.Await(15*time.Second, func() bool {
		desc, err = c.DescribeExecutionWithContext(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(exec)})
		ok(t, "DescribeExecution", err)
		return aws.StringValue(desc.Status) != sfn.ExecutionStatusRunning
	})
	if aws.StringValue(desc.Status) != sfn.ExecutionStatusSucceeded {
		t.Fatalf("execution status %s, want SUCCEEDED", aws.StringValue(desc.Status))
	}
	if !servertest.JSONEqual(t, aws.StringValue(desc.Output), `[{"v":1},{"v":2}]`) {
		t.Fatalf("output %s", aws.StringValue(desc.Output))
	}
	if aws.StringValue(desc.StateMachineArn) != aws.StringValue(sm.StateMachineArn) || aws.StringValue(desc.Name) != "run-1" ||
		!servertest.JSONEqual(t, aws.StringValue(desc.Input), `{"n":1}`) ||
		desc.StartDate == nil || desc.StopDate == nil || desc.StopDate.Before(*desc.StartDate) {
		t.Fatalf("DescribeExecution = %v", desc)
	}

	// The history, three events a page so that v1 follows nextToken.
	var events []*sfn.HistoryEvent
	pages := 0
	err = c.GetExecutionHistoryPagesWithContext(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(exec), MaxResults: aws.Int64(3)},
		func(page *sfn.GetExecutionHistoryOutput, _ bool) bool {
			pages++
			events = append(events, page.Events...)
			return true
		})
	ok(t, "GetExecutionHistory", err)
	var types []string
	for i, e := range events {
		types = append(types, aws.StringValue(e.Type))
		if aws.Int64Value(e.Id) != int64(i+1) || e.Timestamp == nil || e.Timestamp.IsZero() {
			t.Fatalf("event %d = %v", i, e)
		}
	}
	if pages < 2 {
		t.Fatalf("%d events in %d pages of 3", len(events), pages)
	}
	want := []string{
		"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited",
		"MapStateEntered", "MapStateStarted",
		"MapIterationStarted", "PassStateEntered", "PassStateExited", "MapIterationSucceeded",
		"MapIterationStarted", "PassStateEntered", "PassStateExited", "MapIterationSucceeded",
		"MapStateSucceeded", "MapStateExited", "ExecutionSucceeded",
	}
	if !slices.Equal(types, want) {
		t.Fatalf("history\n%v\nwant\n%v", types, want)
	}
	for _, e := range events {
		switch aws.StringValue(e.Type) {
		case "ActivityScheduled":
			d := e.ActivityScheduledEventDetails
			if d == nil || aws.StringValue(d.Resource) != actARN || aws.Int64Value(d.HeartbeatInSeconds) != 60 || !servertest.JSONEqual(t, aws.StringValue(d.Input), `{"n":1}`) {
				t.Fatalf("ActivityScheduled details %v", d)
			}
		case "ActivityStarted":
			if d := e.ActivityStartedEventDetails; d == nil || aws.StringValue(d.WorkerName) != "v1-worker" {
				t.Fatalf("ActivityStarted details %v", d)
			}
		case "ActivitySucceeded":
			if d := e.ActivitySucceededEventDetails; d == nil || !servertest.JSONEqual(t, aws.StringValue(d.Output), `{"items":[1,2]}`) {
				t.Fatalf("ActivitySucceeded details %v", d)
			}
		case "MapStateStarted":
			if d := e.MapStateStartedEventDetails; d == nil || aws.Int64Value(d.Length) != 2 {
				t.Fatalf("MapStateStarted details %v", d)
			}
		case "MapIterationStarted", "MapIterationSucceeded":
			var d *sfn.MapIterationEventDetails
			if aws.StringValue(e.Type) == "MapIterationStarted" {
				d = e.MapIterationStartedEventDetails
			} else {
				d = e.MapIterationSucceededEventDetails
			}
			if d == nil || aws.StringValue(d.Name) != "Each" || d.Index == nil {
				t.Fatalf("%s details %v", aws.StringValue(e.Type), d)
			}
		case "ExecutionSucceeded":
			if d := e.ExecutionSucceededEventDetails; d == nil || !servertest.JSONEqual(t, aws.StringValue(d.Output), `[{"v":1},{"v":2}]`) {
				t.Fatalf("ExecutionSucceeded details %v", d)
			}
		}
	}

	// The finished task's token is spent.
	_, err = c.SendTaskSuccessWithContext(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`{}`)})
	var timedOut *sfn.TaskTimedOut
	if !errors.As(wantError(t, "SendTaskSuccess of a finished task", err, sfn.ErrCodeTaskTimedOut), &timedOut) {
		t.Fatalf("SendTaskSuccess of a finished task: %T, want *sfn.TaskTimedOut", err)
	}
}

// TestSFNErrors checks that v1 reads gaffer's error answers as AWS's: the
// code (awserr.Error Code()) and the modelled exception type.
func TestSFNErrors(t *testing.T) {
	t.Parallel()
	env, sess := setup(t)
	c := sfn.New(sess)
	ctx := env.Ctx

	_, err := c.DescribeExecutionWithContext(ctx, &sfn.DescribeExecutionInput{
		ExecutionArn: aws.String("arn:aws:states:us-east-1:000000000000:execution:nope:nope"),
	})
	var notFound *sfn.ExecutionDoesNotExist
	if !errors.As(wantError(t, "DescribeExecution of an unknown ARN", err, sfn.ErrCodeExecutionDoesNotExist), &notFound) {
		t.Fatalf("DescribeExecution of an unknown ARN: %T, want *sfn.ExecutionDoesNotExist", err)
	}
	_, err = c.DescribeExecutionWithContext(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("not-an-arn")})
	var badARN *sfn.InvalidArn
	if !errors.As(wantError(t, "DescribeExecution of a malformed ARN", err, sfn.ErrCodeInvalidArn), &badARN) {
		t.Fatalf("DescribeExecution of a malformed ARN: %T, want *sfn.InvalidArn", err)
	}
	_, err = c.CreateStateMachineWithContext(ctx, &sfn.CreateStateMachineInput{
		Name:       aws.String(servertest.Uniq("v1-bad")),
		Definition: aws.String(`{"StartAt":"Missing","States":{"A":{"Type":"Succeed"}}}`),
		RoleArn:    aws.String("arn:aws:iam::000000000000:role/test"),
	})
	var badDef *sfn.InvalidDefinition
	if !errors.As(wantError(t, "CreateStateMachine of a bad definition", err, sfn.ErrCodeInvalidDefinition), &badDef) {
		t.Fatalf("CreateStateMachine of a bad definition: %T, want *sfn.InvalidDefinition", err)
	}
	_, err = c.SendTaskSuccessWithContext(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("garbled"), Output: aws.String(`{}`)})
	var badToken *sfn.InvalidToken
	if !errors.As(wantError(t, "SendTaskSuccess of a garbled token", err, sfn.ErrCodeInvalidToken), &badToken) {
		t.Fatalf("SendTaskSuccess of a garbled token: %T, want *sfn.InvalidToken", err)
	}
}
