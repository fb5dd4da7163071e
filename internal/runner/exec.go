package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// maxStdout is the most stdout kept for the answer: Step Functions'
// output limit (SWF's result is smaller; each dialect checks its own).
const maxStdout = 256 * 1024

// tailSize is how much of stderr is kept for the failure report.
const tailSize = 32 * 1024

// stopReason is why the runner stopped a command.
type stopReason int

const (
	notStopped  stopReason = iota
	stopCancel             // the service asked for it
	stopGone               // the service no longer knows the task
	stopTimeout            // Config.TaskTimeout passed
	stopDrain              // Shutdown's drain ran out
	stopAbandon            // Run's context ended
)

// outcome is how a command ended.
type outcome struct {
	stopped  stopReason
	exitCode int            // -1 unless it exited
	signal   syscall.Signal // what killed it, if a signal did
	startErr error          // it did not start
	stdout   []byte
	overflow bool // stdout was longer than maxStdout
	tail     *tail
	duration time.Duration
}

// succeeded reports whether the command exited 0 on its own.
func (o *outcome) succeeded() bool {
	return o.stopped == notStopped && o.startErr == nil && o.exitCode == 0
}

// failure returns the error name and a description of an outcome that is
// not a success (the stderr tail included), given the configured name for
// non-zero exits.
func (o *outcome) failure(exitError string) (name, cause string) {
	switch {
	case o.startErr != nil:
		return "Runner.StartFailed", "the command did not start: " + o.startErr.Error()
	case o.stopped == stopTimeout:
		name, cause = "Runner.Timeout", "the command ran longer than the runner's task timeout and was killed"
	case o.stopped == stopDrain || o.stopped == stopAbandon:
		name, cause = "Runner.Interrupted", "the runner stopped before the command finished, and killed it"
	case o.signal != 0:
		name, cause = "Runner.Signaled", "the command was killed by signal "+signalName(o.signal)
	default:
		name = exitError
		if name == "" {
			name = fmt.Sprintf("Runner.ExitCode%d", o.exitCode)
		}
		cause = fmt.Sprintf("the command exited with status %d", o.exitCode)
	}
	if t := o.tail.String(); t != "" {
		cause += "; stderr:\n" + t
	}
	return name, cause
}

// signalName is "SIGTERM" for syscall.SIGTERM.
func signalName(s syscall.Signal) string {
	names := map[syscall.Signal]string{
		syscall.SIGTERM: "SIGTERM", syscall.SIGKILL: "SIGKILL", syscall.SIGINT: "SIGINT",
		syscall.SIGSEGV: "SIGSEGV", syscall.SIGABRT: "SIGABRT", syscall.SIGHUP: "SIGHUP",
		syscall.SIGQUIT: "SIGQUIT", syscall.SIGPIPE: "SIGPIPE", syscall.SIGBUS: "SIGBUS",
		syscall.SIGFPE: "SIGFPE", syscall.SIGILL: "SIGILL",
	}
	if n, ok := names[s]; ok {
		return n
	}
	return fmt.Sprintf("%d (%s)", int(s), s)
}

// execute runs j's command to its end, beating meanwhile, and reports it.
func (r *Runner) execute(ctx context.Context, j *job) {
	if j.cleanup != nil {
		defer j.cleanup()
	}
	r.log.Info("task started", "task", j.name, "dialect", r.dialect.name())
	o := r.runCommand(ctx, j)
	res := Result{Task: j.name, ExitCode: o.exitCode, Duration: o.duration}
	if o.signal != 0 {
		res.Signal = signalName(o.signal)
	}
	switch o.stopped {
	case stopAbandon:
		res.Outcome = "abandoned"
	case stopGone:
		res.Outcome = "gone"
	default:
		// A report after Run's context ended would not be the runner's
		// last word: a crashed runner says nothing.
		res.Outcome, res.Err = j.report(ctx, o)
	}
	attrs := []any{"task", j.name, "outcome", res.Outcome, "duration", o.duration.Round(time.Millisecond), "exit", o.exitCode}
	if res.Signal != "" {
		attrs = append(attrs, "signal", res.Signal)
	}
	if res.Err != nil {
		r.log.Warn("task ended; its report failed", append(attrs, "err", res.Err)...)
	} else {
		r.log.Info("task ended", attrs...)
	}
	r.ended(res)
}

// runCommand starts j's command and waits for it, heartbeating every
// Config.Heartbeat and killing it when the service, the task timeout, the
// drain or ctx says so.
func (r *Runner) runCommand(ctx context.Context, j *job) *outcome {
	o := &outcome{exitCode: -1, tail: &tail{}}
	stdout := &capped{limit: maxStdout}
	outs, errs := []io.Writer{stdout}, []io.Writer{o.tail}
	if j.stdout != nil {
		outs = append(outs, j.stdout)
	}
	if j.stderr != nil {
		errs = append(errs, j.stderr)
	}
	if r.cfg.LogDir != "" {
		base := filepath.Join(r.cfg.LogDir, fmt.Sprintf("%s-%04d-%s", time.Now().UTC().Format("20060102T150405Z"), r.nextSeq(), fileSafe(j.name)))
		for _, f := range []struct {
			ext string
			ws  *[]io.Writer
		}{{".stdout", &outs}, {".stderr", &errs}} {
			lf, err := os.OpenFile(base+f.ext, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
			if err != nil {
				r.log.Warn("task log file", "task", j.name, "err", err)
				continue
			}
			defer lf.Close()
			*f.ws = append(*f.ws, lf)
		}
	}
	cmd := exec.Command(j.argv[0], j.argv[1:]...)
	setGroup(cmd)
	cmd.Env = append(os.Environ(), j.env...)
	cmd.Stdin = bytes.NewReader(j.stdin)
	cmd.Stdout = io.MultiWriter(outs...)
	cmd.Stderr = io.MultiWriter(errs...)
	// Once the command has exited, what it left running may hold its
	// output open: stop reading after the grace.
	cmd.WaitDelay = r.cfg.KillGrace
	start := time.Now()
	if err := cmd.Start(); err != nil {
		o.startErr = err
		return o
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if r.cfg.OnTaskStart != nil {
		r.cfg.OnTaskStart(j.name)
	}

	beat := time.NewTicker(r.cfg.Heartbeat)
	defer beat.Stop()
	var timeout <-chan time.Time
	if r.cfg.TaskTimeout > 0 {
		t := time.NewTimer(r.cfg.TaskTimeout)
		defer t.Stop()
		timeout = t.C
	}
	drain, abort := (<-chan struct{})(r.drainC), ctx.Done()
	var grace <-chan time.Time
	stop := func(why stopReason) {
		if o.stopped != notStopped {
			if why == stopAbandon {
				o.stopped = why // the runner's end overrides: nothing is reported
			}
			return
		}
		o.stopped = why
		signalGroup(cmd, syscall.SIGTERM)
		grace = time.After(r.cfg.KillGrace)
	}
	var err error
loop:
	for {
		select {
		case err = <-done:
			break loop
		case <-beat.C:
			if o.stopped != notStopped {
				continue
			}
			last := o.tail.lastLine()
			v, berr := j.beat(ctx, last)
			if berr != nil && ctx.Err() == nil {
				r.log.Warn("heartbeat failed", "task", j.name, "err", berr)
			} else if berr == nil {
				r.lastBeat.Store(&last)
				r.beats.Signal(struct{}{})
			}
			switch v {
			case cancelTask:
				stop(stopCancel)
			case taskGone:
				stop(stopGone)
			}
		case <-timeout:
			stop(stopTimeout)
		case <-drain:
			drain = nil
			stop(stopDrain)
		case <-abort:
			abort = nil
			stop(stopAbandon)
		case <-grace:
			grace = nil
			signalGroup(cmd, syscall.SIGKILL)
		}
	}
	o.duration = time.Since(start)
	o.stdout, o.overflow = stdout.buf.Bytes(), stdout.over
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			o.signal = ws.Signal()
		} else {
			o.exitCode = ee.ExitCode()
		}
	} else if err == nil || errors.Is(err, exec.ErrWaitDelay) {
		o.exitCode = cmd.ProcessState.ExitCode()
	}
	return o
}

// fileSafe turns a task name into a file name.
func fileSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '=') {
			b[i] = '_'
		}
	}
	if len(b) > 100 {
		b = b[:100]
	}
	return string(b)
}

// capped keeps the first limit bytes written and notes any more.
type capped struct {
	limit int
	buf   bytes.Buffer
	over  bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.limit - c.buf.Len(); room < len(p) {
		c.over = true
		if room > 0 {
			c.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return c.buf.Write(p)
}

// tail keeps the last tailSize bytes written (stderr), for reports and
// heartbeat details; safe for the writer and the heartbeat at once.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*tailSize {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailSize:]...)
	}
	return len(p), nil
}

// String returns the tail (at most tailSize bytes, from a rune start).
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(lastBytes(t.buf, tailSize))
}

// lastLine returns the last non-empty line written.
func (t *tail) lastLine() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimRight(string(t.buf), "\r\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// lastBytes returns the last n bytes or fewer of b, starting at a rune.
func lastBytes(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	b = b[len(b)-n:]
	for len(b) > 0 && !utf8.RuneStart(b[0]) {
		b = b[1:]
	}
	return b
}

// clip returns s cut to at most n bytes at a rune boundary, keeping its
// start (for messages whose first words matter).
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// clipTail cuts s to at most n bytes, keeping its head line and its end
// (the stderr tail is what explains a failure).
func clipTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	head, rest, _ := strings.Cut(s, "\n")
	if len(head)+5 >= n {
		return clip(head, n)
	}
	return head + "\n…" + string(lastBytes([]byte(rest), n-len(head)-len("\n…")))
}
