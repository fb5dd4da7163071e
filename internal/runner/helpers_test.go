package runner_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/runner"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// wait bounds every wait of these tests: generous, so that they do not
// flake on a loaded machine; a working runner is far faster.
const wait = 30 * time.Second

// handle is a runner running in the background of a test.
type handle struct {
	r      *runner.Runner
	cancel context.CancelFunc
	starts chan string
	ends   chan runner.Result
	done   chan error // Run's answer
	log    *servertest.Buffer
}

// startRunner runs a runner against env's server with cfg (AWS, Logger and
// OnTaskEnd set here) until the test ends, when its context is canceled
// (commands killed) and Run has returned.
func startRunner(t *testing.T, env servertest.Env, cfg runner.Config) *handle {
	t.Helper()
	h := &handle{starts: make(chan string, 64), ends: make(chan runner.Result, 64), done: make(chan error, 1), log: &servertest.Buffer{}}
	cfg.AWS = servertest.AWSConfig(env.URL)
	cfg.Logger = slog.New(slog.NewTextHandler(h.log, nil))
	cfg.OnTaskStart = func(task string) { h.starts <- task }
	cfg.OnTaskEnd = func(res runner.Result) { h.ends <- res }
	if cfg.KillGrace == 0 {
		cfg.KillGrace = 5 * time.Second
	}
	r, err := runner.New(cfg)
	if err != nil {
		t.Fatalf("runner.New: %v", err)
	}
	h.r = r
	ctx, cancel := context.WithCancel(t.Context())
	h.cancel = cancel
	go func() { h.done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(wait):
			t.Errorf("the runner did not stop; its log:\n%s", h.log.String())
		}
		if t.Failed() {
			t.Logf("runner log:\n%s", h.log.String())
		}
	})
	return h
}

// started waits until a task's command has started and returns the
// task's name.
func (h *handle) started(t *testing.T) string {
	t.Helper()
	select {
	case task := <-h.starts:
		return task
	case <-time.After(wait):
		t.Fatalf("no task started within %v; runner log:\n%s", wait, h.log.String())
	}
	return ""
}

// next waits for the next task to end.
func (h *handle) next(t *testing.T) runner.Result {
	t.Helper()
	select {
	case res := <-h.ends:
		return res
	case <-time.After(wait):
		t.Fatalf("no task ended within %v; runner log:\n%s", wait, h.log.String())
	}
	return runner.Result{}
}

// stopped waits until Run has returned and returns its error.
func (h *handle) stopped(t *testing.T) error {
	t.Helper()
	select {
	case err := <-h.done:
		h.done <- err // for the cleanup
		return err
	case <-time.After(wait):
		t.Fatalf("the runner did not stop within %v; its log:\n%s", wait, h.log.String())
	}
	return nil
}
