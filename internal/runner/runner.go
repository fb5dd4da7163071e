package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/swf"

	"github.com/gaffer-dev/gaffer/internal/testsignal"
)

// Config configures a Runner. Exactly one dialect is set: ActivityARN
// (Step Functions), Domain and TaskList (SWF), or WorkerGroup (Data
// Pipeline).
type Config struct {
	// AWS is the SDK configuration of the clients: endpoint, region,
	// credentials, HTTP client.
	AWS aws.Config

	// ActivityARN is the Step Functions activity to poll.
	ActivityARN string
	// Domain and TaskList are the SWF activity task list to poll.
	Domain, TaskList string
	// WorkerGroup is the Data Pipeline worker group to poll.
	WorkerGroup string
	// Command is the shell command run for each SFN or SWF task (`sh -c`);
	// Data Pipeline tasks carry their own.
	Command string

	// WorkerName names this runner to the service: SFN workerName, SWF
	// identity, Data Pipeline hostname. Default: the host name.
	WorkerName string
	// TaskRunnerID is the Data Pipeline taskrunnerId; default a random id,
	// stable for the Runner's life.
	TaskRunnerID string

	// Concurrency is how many tasks run at once (one poller each);
	// default 1.
	Concurrency int
	// Heartbeat is how often a running task is reported alive (SFN
	// SendTaskHeartbeat, SWF RecordActivityTaskHeartbeat, Data Pipeline
	// ReportTaskProgress); default 10 s for SFN and SWF, 30 s for Data
	// Pipeline. Keep it well below the tasks' heartbeat timeouts.
	Heartbeat time.Duration
	// RunnerHeartbeat is how often a Data Pipeline runner calls
	// ReportTaskRunnerHeartbeat; default 1 minute.
	RunnerHeartbeat time.Duration
	// TaskTimeout, if positive, kills a command that runs longer and fails
	// its task ("Runner.Timeout").
	TaskTimeout time.Duration
	// KillGrace is the time between SIGTERM and SIGKILL; default 10 s.
	KillGrace time.Duration
	// Drain is how long Shutdown lets running tasks finish before it kills
	// them; 0 kills them at once.
	Drain time.Duration
	// LogDir, if set, receives each task's stdout and stderr, in
	// <task>.stdout and <task>.stderr.
	LogDir string
	// ExitError, if set, is the error name (SFN error, SWF reason, Data
	// Pipeline errorId) of a non-zero exit instead of "Runner.ExitCode<N>".
	ExitError string

	// Logger receives one line per task start and end, and the runner's
	// troubles; default discards.
	Logger *slog.Logger
	// OnTaskStart, if set, is called with the task's name once its
	// command has started.
	OnTaskStart func(task string)
	// OnTaskEnd, if set, is called after each task has ended and been
	// reported (or dropped).
	OnTaskEnd func(Result)
}

// Result is how one task ended, as OnTaskEnd sees it.
type Result struct {
	// Task names the task (as in the log lines and log file names).
	Task string
	// Outcome is what the runner reported: "succeeded", "failed",
	// "false" (a Data Pipeline precondition not met), "canceled", "gone"
	// (the service no longer knew the task: nothing reported),
	// "timed out", "interrupted", "abandoned" (Run's context ended: nothing
	// reported) or "unsupported".
	Outcome string
	// ExitCode is the command's exit status, -1 if it did not exit
	// normally (or did not start).
	ExitCode int
	// Signal is the signal that ended the command, if one did.
	Signal string
	// Duration is how long the command ran.
	Duration time.Duration
	// Err is the error of the final report, if it failed.
	Err error
}

// Runner runs tasks; New makes one, Run runs it.
type Runner struct {
	cfg     Config
	log     *slog.Logger
	dialect dialect

	mu       sync.Mutex
	stopping bool
	stopPoll context.CancelFunc // set by Run
	drainC   chan struct{}      // closed when running tasks must stop (Shutdown + Drain)
	drainSet bool
	seq      int

	// beats wakes tests after each heartbeat the service accepted;
	// lastBeat holds the details it sent.
	beats    testsignal.Signal[struct{}]
	lastBeat atomic.Pointer[string]
}

// dialect is one service's side of the work.
type dialect interface {
	// name is the dialect's short name for logs.
	name() string
	// poll long-polls for a task; nil without one.
	poll(ctx context.Context) (*job, error)
}

// verdict is what a heartbeat learnt.
type verdict int

const (
	keepGoing  verdict = iota
	cancelTask         // the service asks the task to stop: report canceled
	taskGone           // the service no longer knows the task: report nothing
)

// job is one task to run.
type job struct {
	name  string
	argv  []string
	env   []string
	stdin []byte
	// stdout and stderr, if set, also receive the command's output (Data
	// Pipeline's stdout and stderr fields).
	stdout, stderr *os.File
	beat           func(ctx context.Context, lastLine string) (verdict, error)
	report         func(ctx context.Context, o *outcome) (string, error)
	// unstage copies staged outputs out after a success (Data Pipeline).
	unstage func() error
	cleanup func()
}

// New checks cfg and returns a Runner.
func New(cfg Config) (*Runner, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}
	if cfg.KillGrace <= 0 {
		cfg.KillGrace = 10 * time.Second
	}
	if cfg.RunnerHeartbeat <= 0 {
		cfg.RunnerHeartbeat = time.Minute
	}
	if cfg.WorkerName == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "gaffer-runner"
		}
		cfg.WorkerName = h
	}
	if cfg.TaskRunnerID == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		cfg.TaskRunnerID = "gaffer-runner-" + hex.EncodeToString(b)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &Runner{cfg: cfg, log: cfg.Logger, drainC: make(chan struct{})}
	switch {
	case cfg.ActivityARN != "":
		r.dialect = &sfnDialect{r: r, c: sfn.NewFromConfig(cfg.AWS)}
		r.defaultHeartbeat(10 * time.Second)
	case cfg.WorkerGroup != "":
		r.dialect = &pipelineDialect{r: r, c: datapipeline.NewFromConfig(cfg.AWS)}
		r.defaultHeartbeat(30 * time.Second)
	default:
		r.dialect = &swfDialect{r: r, c: swf.NewFromConfig(cfg.AWS)}
		r.defaultHeartbeat(10 * time.Second)
	}
	if cfg.LogDir != "" {
		if err := os.MkdirAll(cfg.LogDir, 0o750); err != nil {
			return nil, fmt.Errorf("log directory: %w", err)
		}
	}
	return r, nil
}

// Validate checks that exactly one dialect is configured, with what it
// needs; its errors name the flags of `gaffer runner`.
func (c *Config) Validate() error {
	set := 0
	for _, on := range []bool{c.ActivityARN != "", c.Domain != "" || c.TaskList != "", c.WorkerGroup != ""} {
		if on {
			set++
		}
	}
	switch {
	case set != 1:
		return errors.New("give exactly one of: -activity-arn (Step Functions), -domain and -task-list (SWF), -worker-group (Data Pipeline)")
	case c.WorkerGroup != "" && c.Command != "":
		return errors.New("-command: a Data Pipeline runner runs the tasks' own commands: give none")
	case c.WorkerGroup == "" && c.Command == "":
		return errors.New("-command is required with -activity-arn or -domain and -task-list")
	case c.ActivityARN == "" && c.WorkerGroup == "" && (c.Domain == "" || c.TaskList == ""):
		return errors.New("an SWF runner needs both -domain and -task-list")
	case c.Concurrency < 0:
		return fmt.Errorf("-concurrency %d: give 1 or more", c.Concurrency)
	case c.Heartbeat < 0 || c.TaskTimeout < 0 || c.Drain < 0 || c.KillGrace < 0 || c.RunnerHeartbeat < 0:
		return errors.New("durations must not be negative")
	}
	return nil
}

func (r *Runner) defaultHeartbeat(d time.Duration) {
	if r.cfg.Heartbeat <= 0 {
		r.cfg.Heartbeat = d
	}
}

// TaskRunnerID returns the Data Pipeline taskrunnerId the runner reports.
func (r *Runner) TaskRunnerID() string { return r.cfg.TaskRunnerID }

// Run polls and runs tasks until ctx ends (the commands are killed and
// nothing more is reported), or until Shutdown or a Data Pipeline
// terminate has let the running tasks finish or handed them back. It
// returns nil after an orderly stop, ctx's error otherwise.
func (r *Runner) Run(ctx context.Context) error {
	pollCtx, stopPoll := context.WithCancel(ctx)
	defer stopPoll()
	r.mu.Lock()
	r.stopPoll = stopPoll
	stopping := r.stopping
	r.mu.Unlock()
	if stopping {
		stopPoll()
	}
	r.log.Info("runner started", "dialect", r.dialect.name(), "concurrency", r.cfg.Concurrency, "worker", r.cfg.WorkerName)

	var wg sync.WaitGroup
	if d, ok := r.dialect.(*pipelineDialect); ok {
		wg.Go(func() { d.heartbeats(pollCtx) })
	}
	for range r.cfg.Concurrency {
		wg.Go(func() { r.work(ctx, pollCtx) })
	}
	wg.Wait()
	r.log.Info("runner stopped")
	if err := ctx.Err(); err != nil {
		return err
	}
	return nil
}

// Shutdown stops polling and gives the running tasks Config.Drain to
// finish before they are killed and handed back; Run then returns. It
// returns at once; calling it again, or before Run, is safe.
func (r *Runner) Shutdown() { r.shutdown(r.cfg.Drain) }

// terminate is Shutdown without a limit: the service asked the runner to
// stop (Data Pipeline terminate), and the running tasks finish.
func (r *Runner) terminate() { r.shutdown(-1) }

// shutdown stops polling; drain ≥ 0 bounds the running tasks' time.
func (r *Runner) shutdown(drain time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.stopping {
		r.stopping = true
		r.log.Info("runner stopping: no more polls")
		if r.stopPoll != nil {
			r.stopPoll()
		}
	}
	if drain < 0 || r.drainSet {
		return
	}
	r.drainSet = true
	if drain == 0 {
		close(r.drainC)
		return
	}
	time.AfterFunc(drain, func() { close(r.drainC) })
}

// work is one poller: it polls, runs what it gets, and polls again, until
// pollCtx ends.
func (r *Runner) work(ctx, pollCtx context.Context) {
	backoff := 100 * time.Millisecond
	for pollCtx.Err() == nil {
		j, err := r.dialect.poll(pollCtx)
		if err != nil {
			if pollCtx.Err() != nil {
				return
			}
			r.log.Warn("poll failed", "err", err, "retry_in", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-pollCtx.Done():
				t.Stop()
				return
			}
			backoff = min(2*backoff, 10*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		if j != nil {
			r.execute(ctx, j)
		}
	}
}

// nextSeq numbers tasks for log file names.
func (r *Runner) nextSeq() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	return r.seq
}

func (r *Runner) ended(res Result) {
	if r.cfg.OnTaskEnd != nil {
		r.cfg.OnTaskEnd(res)
	}
}
