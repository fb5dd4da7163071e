package runner_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/runner"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// oneTask is a state machine of one activity task.
const oneTask = `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","HeartbeatSeconds":60,"End":true}}}`

func sfnSetup(t *testing.T) *servertest.SFNEnv {
	t.Helper()
	return servertest.InProcess(servertest.Start(t, servertest.Options{})).SFN()
}

func wantFailed(t *testing.T, e *servertest.SFNEnv, exec, errName, causePart string) {
	t.Helper()
	out := e.WaitStatus(t, exec, types.ExecutionStatusFailed)
	if aws.ToString(out.Error) != errName || !strings.Contains(aws.ToString(out.Cause), causePart) {
		t.Fatalf("execution failed with %q / %q, want %q and a cause with %q", aws.ToString(out.Error), aws.ToString(out.Cause), errName, causePart)
	}
}

func TestSFNSuccess(t *testing.T) {
	t.Parallel()
	e := sfnSetup(t)
	act := e.Activity(t)
	logs := t.TempDir()
	h := startRunner(t, e.Env, runner.Config{ActivityARN: act, Command: `cat; echo working >&2`, LogDir: logs, Concurrency: 2})
	exec := e.Start(t, e.Machine(t, oneTask, act), `{"x":1}`)
	if res := h.next(t); res.Outcome != "succeeded" || res.ExitCode != 0 {
		t.Fatalf("result %+v", res)
	}
	out := e.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(out.Output), `{"x":1}`) {
		t.Fatalf("output %s", aws.ToString(out.Output))
	}
	for ext, want := range map[string]string{".stdout": `{"x":1}`, ".stderr": "working\n"} {
		files, _ := filepath.Glob(filepath.Join(logs, "*-sfn-*"+ext))
		if len(files) != 1 {
			t.Fatalf("log files %s: %v", ext, files)
		}
		if b, _ := os.ReadFile(files[0]); string(b) != want {
			t.Fatalf("%s holds %q, want %q", files[0], b, want)
		}
	}
	if log := h.log.String(); !strings.Contains(log, "task started") || !strings.Contains(log, "outcome=succeeded") {
		t.Fatalf("runner log:\n%s", log)
	}
}

func TestSFNFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, command, exitError string
		timeout                  time.Duration
		outcome, err, cause      string
	}{
		{name: "exit", command: `echo oops >&2; exit 3`, outcome: "failed", err: "Runner.ExitCode3", cause: "oops"},
		{name: "exit named", command: `exit 3`, exitError: "Custom.Error", outcome: "failed", err: "Custom.Error", cause: "status 3"},
		{name: "not JSON", command: `echo not json`, outcome: "failed", err: "Runner.InvalidOutput", cause: "not json"},
		{name: "crash", command: `echo dying >&2; kill -KILL $$`, outcome: "failed", err: "Runner.Signaled", cause: "SIGKILL"},
		{name: "timeout", command: `echo slow >&2; sleep 30`, timeout: 100 * time.Millisecond, outcome: "timed out", err: "Runner.Timeout", cause: "slow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := sfnSetup(t)
			act := e.Activity(t)
			h := startRunner(t, e.Env, runner.Config{ActivityARN: act, Command: tc.command, ExitError: tc.exitError, TaskTimeout: tc.timeout})
			exec := e.Start(t, e.Machine(t, oneTask, act), `{}`)
			if res := h.next(t); res.Outcome != tc.outcome {
				t.Fatalf("result %+v, want outcome %s", res, tc.outcome)
			}
			wantFailed(t, e, exec, tc.err, tc.cause)
		})
	}
}

// StopExecution: the next heartbeat answers TaskTimedOut, and the command
// is killed; nothing is reported.
func TestSFNStopExecution(t *testing.T) {
	t.Parallel()
	e := sfnSetup(t)
	act := e.Activity(t)
	h := startRunner(t, e.Env, runner.Config{ActivityARN: act, Command: `sleep 30`, Heartbeat: 50 * time.Millisecond})
	exec := e.Start(t, e.Machine(t, oneTask, act), `{}`)
	h.started(t)
	_, err := e.Client.StopExecution(e.Ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(exec)})
	servertest.OK(t, "StopExecution", err)
	if res := h.next(t); res.Outcome != "gone" || res.Signal != "SIGTERM" || res.Duration > 20*time.Second {
		t.Fatalf("result %+v, want the command killed by SIGTERM", res)
	}
	e.WaitStatus(t, exec, types.ExecutionStatusAborted)
}

// A runner killed mid-task says nothing: the task times out (heartbeat)
// and, retried, goes to another runner.
func TestSFNRunnerKilled(t *testing.T) {
	t.Parallel()
	e := sfnSetup(t)
	act := e.Activity(t)
	machine := e.Machine(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","HeartbeatSeconds":1,
		"Retry":[{"ErrorEquals":["States.Timeout"],"IntervalSeconds":1,"MaxAttempts":1}],"End":true}}}`, act)
	first := startRunner(t, e.Env, runner.Config{ActivityARN: act, Command: `sleep 30`, Heartbeat: 100 * time.Millisecond})
	exec := e.Start(t, machine, `{"n":1}`)
	first.started(t)
	first.cancel()
	if res := first.next(t); res.Outcome != "abandoned" {
		t.Fatalf("first runner's result %+v", res)
	}
	if err := first.stopped(t); err == nil {
		t.Fatal("Run returned nil after its context ended")
	}
	second := startRunner(t, e.Env, runner.Config{ActivityARN: act, Command: `cat`})
	if res := second.next(t); res.Outcome != "succeeded" {
		t.Fatalf("second runner's result %+v", res)
	}
	out := e.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(out.Output), `{"n":1}`) {
		t.Fatalf("output %s", aws.ToString(out.Output))
	}
	evs := servertest.SFNEventTypes(e.History(t, exec))
	if !slices.Contains(evs, string(types.HistoryEventTypeActivityTimedOut)) {
		t.Fatalf("history %v has no ActivityTimedOut", evs)
	}
}

// Shutdown lets a running task finish within the drain, and polls no
// more.
func TestSFNShutdownDrains(t *testing.T) {
	t.Parallel()
	e := sfnSetup(t)
	act := e.Activity(t)
	gate := filepath.Join(t.TempDir(), "go")
	h := startRunner(t, e.Env, runner.Config{ActivityARN: act, Drain: time.Minute,
		Command: `while [ ! -e ` + gate + ` ]; do sleep 0.02; done; cat`})
	exec := e.Start(t, e.Machine(t, oneTask, act), `{"done":true}`)
	h.started(t)
	h.r.Shutdown()
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if res := h.next(t); res.Outcome != "succeeded" {
		t.Fatalf("result %+v", res)
	}
	if err := h.stopped(t); err != nil {
		t.Fatalf("Run after Shutdown: %v", err)
	}
	e.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
}

// Shutdown without a drain kills the running task and hands it back
// (Runner.Interrupted).
func TestSFNShutdownInterrupts(t *testing.T) {
	t.Parallel()
	e := sfnSetup(t)
	act := e.Activity(t)
	h := startRunner(t, e.Env, runner.Config{ActivityARN: act, Command: `echo busy >&2; sleep 30`})
	exec := e.Start(t, e.Machine(t, oneTask, act), `{}`)
	h.started(t)
	h.r.Shutdown()
	if res := h.next(t); res.Outcome != "interrupted" || res.Signal != "SIGTERM" {
		t.Fatalf("result %+v", res)
	}
	if err := h.stopped(t); err != nil {
		t.Fatalf("Run after Shutdown: %v", err)
	}
	wantFailed(t, e, exec, "Runner.Interrupted", "the runner stopped")
}
