// Command pipeline is a small AWS Data Pipeline task runner run against
// gaffer, written with the AWS SDK for Go v2 and nothing else.
//
// It registers itself with ReportTaskRunnerHeartbeat (again every
// heartbeat period, and stops when the answer is terminate), long-polls
// PollForTask on its worker group, runs the command of the task's
// ShellCommandActivity or ShellCommandPrecondition with sh -c while sending
// ReportTaskProgress every few seconds (killing the command if the answer is
// canceled), and ends each task with SetTaskStatus: FINISHED when the
// command exits 0; otherwise FAILED with errorId CommandFailed for an
// activity, FALSE (the condition does not hold) for a precondition.
//
//	go run ./cmd/gaffer serve                                  # one terminal
//	go run ./examples/pipeline -worker-group demo -setup       # another
//
// With -setup it first defines and activates a small on-demand pipeline of
// two ShellCommandActivity objects on the worker group, the second
// depending on the first.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"
)

// Periods of the runner; variables so that tests can shorten them.
var (
	heartbeatPeriod = 30 * time.Second // ReportTaskRunnerHeartbeat
	progressPeriod  = 3 * time.Second  // ReportTaskProgress while a command runs
	retryPause      = time.Second      // after a failed call
)

// stderrTail is how much of a failed command's stderr goes into
// errorMessage.
const stderrTail = 512

func main() {
	host, _ := os.Hostname()
	endpoint := flag.String("endpoint", "http://127.0.0.1:7710", "gaffer (or Data Pipeline) endpoint")
	workerGroup := flag.String("worker-group", "", "worker group to poll for tasks (required)")
	runnerID := flag.String("runner-id", fmt.Sprintf("%s-%d", host, os.Getpid()), "task runner id reported with ReportTaskRunnerHeartbeat")
	setup := flag.Bool("setup", false, "first define and activate a demo pipeline of two shell commands on the worker group")
	flag.Parse()
	if *workerGroup == "" {
		fmt.Fprintln(os.Stderr, "error: -worker-group is required")
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *endpoint, *workerGroup, *runnerID, *setup, os.Stdout); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// runner holds the client and serialises the program's output.
type runner struct {
	client      *datapipeline.Client
	workerGroup string
	id          string
	hostname    string
	mu          sync.Mutex
	out         io.Writer
}

func newClient(endpoint string) *datapipeline.Client {
	return datapipeline.NewFromConfig(aws.Config{
		Region: "us-east-1",
		// gaffer does not check signatures: any credentials do.
		Credentials:  credentials.NewStaticCredentialsProvider("any", "any", ""),
		BaseEndpoint: aws.String(endpoint),
	})
}

func (r *runner) printf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.out, format+"\n", args...)
}

// run optionally sets up the demo pipeline, then runs tasks of workerGroup
// until ctx ends or a heartbeat answers terminate (both return nil).
func run(ctx context.Context, endpoint, workerGroup, runnerID string, setup bool, out io.Writer) error {
	if workerGroup == "" {
		return errors.New("a worker group is required")
	}
	host, _ := os.Hostname()
	r := &runner{client: newClient(endpoint), workerGroup: workerGroup, id: runnerID, hostname: host, out: out}
	if setup {
		id, err := definePipeline(ctx, r.client, "demo-"+workerGroup, demoObjects(workerGroup))
		if err != nil {
			return err
		}
		r.printf("pipeline %s defined and activated: First (echo hello), then Second (depends on First)", id)
	}
	term, err := r.heartbeat(ctx)
	if err != nil {
		return err
	}
	if term {
		return nil
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(heartbeatPeriod)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if term, err := r.heartbeat(ctx); err != nil && ctx.Err() == nil {
				r.printf("heartbeat failed: %v", err)
			} else if term {
				cancel()
				return
			}
		}
	})
	defer wg.Wait()

	r.printf("polling worker group %s; ^C to stop", workerGroup)
	for ctx.Err() == nil {
		res, err := r.client.PollForTask(ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String(workerGroup), Hostname: aws.String(r.hostname)})
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			r.printf("poll failed: %v", err)
			pause(ctx, retryPause)
			continue
		}
		if res.TaskObject != nil {
			r.work(ctx, res.TaskObject)
		}
	}
	r.printf("runner %s stopped", r.id)
	return nil
}

// heartbeat reports the runner alive and returns whether it should stop.
func (r *runner) heartbeat(ctx context.Context) (bool, error) {
	res, err := r.client.ReportTaskRunnerHeartbeat(ctx, &datapipeline.ReportTaskRunnerHeartbeatInput{
		TaskrunnerId: aws.String(r.id), WorkerGroup: aws.String(r.workerGroup), Hostname: aws.String(r.hostname),
	})
	if err != nil {
		return false, fmt.Errorf("ReportTaskRunnerHeartbeat: %w", err)
	}
	r.printf("heartbeat: runner %s, terminate %t", r.id, res.Terminate)
	return res.Terminate, nil
}

// work runs one task's command and reports how it ended.
func (r *runner) work(ctx context.Context, task *types.TaskObject) {
	taskID, attempt := aws.ToString(task.TaskId), aws.ToString(task.AttemptId)
	command, typ, ok := shellCommand(task)
	if !ok {
		r.printf("task %s: no ShellCommandActivity or ShellCommandPrecondition command; FAILED", attempt)
		r.setStatus(ctx, taskID, attempt, types.TaskStatusFailed, "NoCommand", "the task has no ShellCommandActivity or ShellCommandPrecondition command")
		return
	}
	precondition := typ == "ShellCommandPrecondition"
	if precondition {
		r.printf("task %s: check %q", attempt, command)
	} else {
		r.printf("task %s: run %q", attempt, command)
	}

	cmdCtx, kill := context.WithCancel(ctx)
	defer kill()
	cmd := exec.CommandContext(cmdCtx, "sh", "-c", command)
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		r.printf("task %s: start failed: %v; FAILED", attempt, err)
		r.setStatus(ctx, taskID, attempt, types.TaskStatusFailed, "CommandFailed", err.Error())
		return
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	canceled := false
	tick := time.NewTicker(progressPeriod)
	defer tick.Stop()
	report := func() {
		res, err := r.client.ReportTaskProgress(ctx, &datapipeline.ReportTaskProgressInput{TaskId: aws.String(taskID)})
		switch {
		case err != nil:
			if ctx.Err() == nil {
				r.printf("task %s: progress failed: %v", attempt, err)
			}
		case res.Canceled:
			r.printf("task %s: progress: canceled; kill the command", attempt)
			canceled = true
			kill()
		default:
			r.printf("task %s: progress: running", attempt)
		}
	}
	report() // the first report acknowledges the task
	var err error
wait:
	for {
		select {
		case err = <-done:
			break wait
		case <-tick.C:
			if !canceled {
				report()
			}
		}
	}
	for _, line := range strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n") {
		if line != "" {
			r.printf("task %s: stdout: %s", attempt, line)
		}
	}
	switch {
	case canceled:
		r.printf("task %s: canceled", attempt)
	case ctx.Err() != nil:
		// Stopping: give the attempt up, so that it can be retried.
		r.printf("task %s: interrupted; FAILED", attempt)
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		r.setStatus(sctx, taskID, attempt, types.TaskStatusFailed, "RunnerStopped", "the task runner stopped while the command ran")
	case err == nil:
		r.printf("task %s: exit 0; FINISHED", attempt)
		r.setStatus(ctx, taskID, attempt, types.TaskStatusFinished, "", "")
	case precondition && errors.As(err, new(*exec.ExitError)):
		// The check ran and says no: the server checks again later.
		r.printf("task %s: %v; condition not met; FALSE", attempt, err)
		r.setStatus(ctx, taskID, attempt, types.TaskStatusFalse, "", err.Error())
	default:
		msg := err.Error()
		if tail := lastBytes(strings.TrimSpace(stderr.String()), stderrTail); tail != "" {
			msg += "; stderr: " + tail
		}
		r.printf("task %s: %s; FAILED", attempt, msg)
		r.setStatus(ctx, taskID, attempt, types.TaskStatusFailed, "CommandFailed", msg)
	}
}

func (r *runner) setStatus(ctx context.Context, taskID, attempt string, st types.TaskStatus, errID, msg string) {
	in := &datapipeline.SetTaskStatusInput{TaskId: aws.String(taskID), TaskStatus: st}
	if errID != "" {
		in.ErrorId = aws.String(errID)
	}
	if msg != "" {
		in.ErrorMessage = aws.String(msg)
	}
	if _, err := r.client.SetTaskStatus(ctx, in); err != nil {
		r.printf("task %s: SetTaskStatus %s failed: %v", attempt, st, err)
		return
	}
	r.printf("task %s: SetTaskStatus %s", attempt, st)
}

// shellCommand returns the command of the task's ShellCommandActivity or
// ShellCommandPrecondition, and which of the two it is: the attempt object
// carries its component's fields.
func shellCommand(task *types.TaskObject) (command, typ string, ok bool) {
	a, found := task.Objects[aws.ToString(task.AttemptId)]
	if !found {
		return "", "", false
	}
	typ, _ = field(a.Fields, "type")
	if typ != "ShellCommandActivity" && typ != "ShellCommandPrecondition" {
		return "", typ, false
	}
	command, ok = field(a.Fields, "command")
	return command, typ, ok
}

func field(fs []types.Field, key string) (string, bool) {
	for _, f := range fs {
		if aws.ToString(f.Key) == key && f.StringValue != nil {
			return *f.StringValue, true
		}
	}
	return "", false
}

func lastBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func str(key, value string) types.Field {
	return types.Field{Key: aws.String(key), StringValue: aws.String(value)}
}

func ref(key, id string) types.Field {
	return types.Field{Key: aws.String(key), RefValue: aws.String(id)}
}

func object(id string, fields ...types.Field) types.PipelineObject {
	return types.PipelineObject{Id: aws.String(id), Name: aws.String(id), Fields: fields}
}

// demoObjects is the -setup pipeline: on demand, First then Second.
func demoObjects(workerGroup string) []types.PipelineObject {
	return []types.PipelineObject{
		object("Default", str("scheduleType", "ondemand")),
		object("First", str("type", "ShellCommandActivity"), ref("parent", "Default"),
			str("workerGroup", workerGroup), str("command", "echo hello")),
		object("Second", str("type", "ShellCommandActivity"), ref("parent", "Default"),
			str("workerGroup", workerGroup), str("command", "echo second; uname -s"), ref("dependsOn", "First")),
	}
}

// definePipeline creates a pipeline, puts objs as its definition and
// activates it.
func definePipeline(ctx context.Context, client *datapipeline.Client, name string, objs []types.PipelineObject) (string, error) {
	created, err := client.CreatePipeline(ctx, &datapipeline.CreatePipelineInput{
		Name: aws.String(name), UniqueId: aws.String(fmt.Sprintf("%s-%d", name, time.Now().UnixNano())),
	})
	if err != nil {
		return "", fmt.Errorf("CreatePipeline: %w", err)
	}
	id := aws.ToString(created.PipelineId)
	put, err := client.PutPipelineDefinition(ctx, &datapipeline.PutPipelineDefinitionInput{PipelineId: aws.String(id), PipelineObjects: objs})
	if err != nil {
		return "", fmt.Errorf("PutPipelineDefinition: %w", err)
	}
	if put.Errored {
		var msgs []string
		for _, e := range put.ValidationErrors {
			msgs = append(msgs, aws.ToString(e.Id)+": "+strings.Join(e.Errors, "; "))
		}
		return "", fmt.Errorf("PutPipelineDefinition: %s", strings.Join(msgs, "; "))
	}
	if _, err := client.ActivatePipeline(ctx, &datapipeline.ActivatePipelineInput{PipelineId: aws.String(id)}); err != nil {
		return "", fmt.Errorf("ActivatePipeline: %w", err)
	}
	return id, nil
}
