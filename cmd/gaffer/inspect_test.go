package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// inspectFixture is a server with a state machine and three executions:
// one succeeded, one failed, one running whose task waits in its
// activity's queue.
type inspectFixture struct {
	url                        string
	act, machine               string
	succeeded, failed, running string
}

const inspectDefinition = `{"StartAt": "Route", "States": {
  "Route": {"Type": "Choice", "Choices": [
    {"Variable": "$.go", "StringEquals": "work", "Next": "Work"},
    {"Variable": "$.go", "StringEquals": "fail", "Next": "Nope"}], "Default": "Done"},
  "Work": {"Type": "Task", "Resource": "$ACT", "End": true},
  "Nope": {"Type": "Fail", "Error": "Nope", "Cause": "asked to fail"},
  "Done": {"Type": "Pass", "Result": {"ok": true}, "End": true}}}`

func newInspectFixture(t *testing.T) *inspectFixture {
	t.Helper()
	srv := servertest.Start(t, servertest.Options{})
	s := servertest.InProcess(srv).SFN()
	f := &inspectFixture{url: srv.URL()}
	f.act = s.Activity(t)
	f.machine = s.Machine(t, inspectDefinition, f.act)
	f.succeeded = s.Start(t, f.machine, `{"go":"done"}`)
	s.WaitStatus(t, f.succeeded, sfntypes.ExecutionStatusSucceeded)
	f.failed = s.Start(t, f.machine, `{"go":"fail"}`)
	s.WaitStatus(t, f.failed, sfntypes.ExecutionStatusFailed)
	f.running = s.Start(t, f.machine, `{"go":"work"}`)
	// The running execution's task is scheduled once Work is entered.
	s.Wait.Await(10*time.Second, func() bool {
		h := s.History(t, f.running)
		return len(h) > 0 && h[len(h)-1].Type == sfntypes.HistoryEventTypeActivityScheduled
	})
	return f
}

// gaffer runs the command line args and returns its stdout, failing the
// test on a non-zero exit.
func gaffer(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	if code := run(t.Context(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("gaffer %v exited %d: %s", args, code, stderr.String())
	}
	return stdout.String()
}

func TestExecutionsCommand(t *testing.T) {
	f := newInspectFixture(t)
	out := gaffer(t, "executions", "-endpoint", f.url)
	for _, want := range []string{"STATE MACHINE", "SUCCEEDED", "FAILED", "RUNNING", f.running} {
		if !strings.Contains(out, want) {
			t.Errorf("gaffer executions: no %q in\n%s", want, out)
		}
	}
	name := f.machine[strings.LastIndexByte(f.machine, ':')+1:]
	out = gaffer(t, "executions", "-endpoint", f.url, "--state-machine", name, "--status", "failed", "--json")
	var views []executionView
	if err := json.Unmarshal([]byte(out), &views); err != nil {
		t.Fatalf("gaffer executions --json: %v\n%s", err, out)
	}
	if len(views) != 1 || views[0].ExecutionArn != f.failed || views[0].Status != "FAILED" || views[0].StopDate == nil {
		t.Errorf("gaffer executions --status failed --json: %+v, want only %s", views, f.failed)
	}
	out = gaffer(t, "executions", "-endpoint", f.url, "-state-machine", f.machine, "-status", "RUNNING", "-json")
	if err := json.Unmarshal([]byte(out), &views); err != nil || len(views) != 1 || views[0].ExecutionArn != f.running {
		t.Errorf("gaffer executions by ARN, RUNNING: %v %+v", err, views)
	}
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"executions", "-endpoint", f.url, "-state-machine", "no-such-machine"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "no state machine") {
		t.Errorf("unknown state machine: exit %d, %q", code, stderr.String())
	}
	if code := run(t.Context(), []string{"executions", "-endpoint", f.url, "-status", "SLEEPING"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "-status") {
		t.Errorf("bad status: exit %d, %q", code, stderr.String())
	}
}

func TestHistoryCommand(t *testing.T) {
	f := newInspectFixture(t)
	out := gaffer(t, "history", "-endpoint", f.url, f.failed)
	for _, want := range []string{"ExecutionStarted", "ChoiceStateEntered", "Route", "FailStateEntered", "Nope", "ExecutionFailed", "asked to fail"} {
		if !strings.Contains(out, want) {
			t.Errorf("gaffer history: no %q in\n%s", want, out)
		}
	}
	out = gaffer(t, "history", "-endpoint", f.url, "-json", f.succeeded)
	var events []map[string]any
	if err := json.Unmarshal([]byte(out), &events); err != nil {
		t.Fatalf("gaffer history -json: %v\n%s", err, out)
	}
	var types []string
	for _, e := range events {
		types = append(types, e["type"].(string))
	}
	want := "ExecutionStarted ChoiceStateEntered ChoiceStateExited PassStateEntered PassStateExited ExecutionSucceeded"
	if got := strings.Join(types, " "); got != want {
		t.Errorf("gaffer history -json types:\n got %s\nwant %s", got, want)
	}
	last := events[len(events)-1]
	details, _ := last["executionSucceededEventDetails"].(map[string]any)
	if details == nil || !strings.Contains(details["output"].(string), `"ok":true`) {
		t.Errorf("gaffer history -json: last event %v, want its output in executionSucceededEventDetails.output", last)
	}
	if _, ok := events[0]["id"].(float64); !ok {
		t.Errorf("gaffer history -json: first event has no numeric id: %v", events[0])
	}
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"history", "-endpoint", f.url, f.running + "x"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "ExecutionDoesNotExist") {
		t.Errorf("unknown execution: exit %d, %q", code, stderr.String())
	}
}

func TestQueuesCommand(t *testing.T) {
	f := newInspectFixture(t)
	out := gaffer(t, "queues", "-endpoint", f.url)
	if !strings.Contains(out, "DEPTH") || !strings.Contains(out, f.act) {
		t.Errorf("gaffer queues:\n%s", out)
	}
	out = gaffer(t, "queues", "-endpoint", f.url, "-json")
	var queues []queueView
	if err := json.Unmarshal([]byte(out), &queues); err != nil {
		t.Fatalf("gaffer queues -json: %v\n%s", err, out)
	}
	var q *queueView
	for i := range queues {
		if queues[i].Name == f.act {
			q = &queues[i]
		}
	}
	if q == nil || q.Dialect != "sfn" || q.Kind != "activity" || q.Scheduled != 1 || q.Started != 0 || q.OldestScheduled.IsZero() {
		t.Fatalf("gaffer queues -json: activity queue %+v in %s", q, out)
	}
	// Once a worker holds the task, it counts as started.
	s := servertest.SFN(f.url)
	task, err := s.GetActivityTask(t.Context(), &sfn.GetActivityTaskInput{ActivityArn: aws.String(f.act), WorkerName: aws.String("w")})
	if err != nil || aws.ToString(task.TaskToken) == "" {
		t.Fatalf("GetActivityTask: %v", err)
	}
	out = gaffer(t, "queues", "-endpoint", f.url, "-json")
	queues = nil
	if err := json.Unmarshal([]byte(out), &queues); err != nil {
		t.Fatal(err)
	}
	for _, q := range queues {
		if q.Name == f.act && (q.Scheduled != 0 || q.Started != 1) {
			t.Errorf("after the poll: %+v, want 0 scheduled, 1 started", q)
		}
	}
}
