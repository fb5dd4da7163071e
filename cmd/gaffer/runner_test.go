package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// gaffer runner runs an activity's tasks until SIGTERM (its context), then
// drains and exits 0. (Not parallel: it sets the AWS environment, so that
// the SDK's credential chain finds credentials at once.)
func TestRunnerCommand(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	e := servertest.InProcess(servertest.Start(t, servertest.Options{})).SFN()
	act := e.Activity(t)
	machine := e.Machine(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","End":true}}}`, act)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stderr servertest.Buffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"runner", "-endpoint", e.URL, "-activity-arn", act, "-command", `sed 's/1/2/'`, "-concurrency", "2"}, &stderr, &stderr)
	}()
	exec := e.Start(t, machine, `{"n":1}`)
	out := e.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(out.Output), `{"n":2}`) {
		t.Fatalf("output %s", aws.ToString(out.Output))
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("gaffer runner exited %d:\n%s", c, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("gaffer runner did not exit:\n%s", stderr.String())
	}
	if log := stderr.String(); !strings.Contains(log, "task ended") || !strings.Contains(log, "outcome=succeeded") {
		t.Fatalf("gaffer runner logged:\n%s", log)
	}
}

func TestRunnerCommandBadFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"runner"},
		{"runner", "-activity-arn", "arn:aws:states:us-east-1:000000000000:activity:a"},
		{"runner", "-worker-group", "g", "-domain", "d", "-task-list", "l"},
		{"runner", "-worker-group", "g", "-command", "true"},
	} {
		var stderr servertest.Buffer
		if code := run(t.Context(), append(args, "-endpoint", "http://127.0.0.1:1"), &stderr, &stderr); code != 1 {
			t.Fatalf("%v: exit %d, want 1:\n%s", args, code, stderr.String())
		}
	}
}
