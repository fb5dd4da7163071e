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

// An execution started while a worker waits: the engine starts the task
// for that worker in StartExecution's own transaction, and the history
// holds one ActivityStarted, with the worker's name, right after
// ActivityScheduled — as when the worker polls later.
func TestTaskStartedForWaitingWorker(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	sm := b.Machine(t, `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"$ACT","End":true}}}`, act)
	type answer struct {
		out *sfn.GetActivityTaskOutput
		err error
	}
	got := make(chan answer, 1)
	go func() {
		out, err := b.Client.GetActivityTask(b.Ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(act), WorkerName: aws.String("early-bird")})
		got <- answer{out, err}
	}()
	servertest.WaitPolling(t, b.Srv, sfnsvc.QueueOf(act))
	exec := b.Start(t, sm, `{"n":1}`)
	a := <-got
	if a.err != nil || aws.ToString(a.out.TaskToken) == "" || aws.ToString(a.out.Input) != `{"n":1}` {
		t.Fatalf("GetActivityTask = %+v, %v", a.out, a.err)
	}
	events := b.History(t, exec)
	want := "ExecutionStarted TaskStateEntered ActivityScheduled ActivityStarted"
	if got := strings.Join(servertest.SFNEventTypes(events), " "); got != want {
		t.Fatalf("history %s, want %s", got, want)
	}
	if d := events[3].ActivityStartedEventDetails; d == nil || aws.ToString(d.WorkerName) != "early-bird" || events[3].PreviousEventId != events[2].Id {
		t.Fatalf("ActivityStarted = %+v", events[3])
	}
	if _, err := b.Client.SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: a.out.TaskToken, Output: aws.String(`{"ok":true}`)}); err != nil {
		t.Fatalf("SendTaskSuccess: %v", err)
	}
	b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	want = "ExecutionStarted TaskStateEntered ActivityScheduled ActivityStarted ActivitySucceeded TaskStateExited ExecutionSucceeded"
	if got := strings.Join(servertest.SFNEventTypes(b.History(t, exec)), " "); got != want {
		t.Fatalf("history %s, want %s", got, want)
	}
}
