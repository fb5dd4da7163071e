package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"
	"github.com/aws/smithy-go"
)

// pipelineMaxMessage bounds SetTaskStatus's errorMessage (the model sets
// no limit; a field value is at most 10,240 characters, and a message is
// read by people).
const pipelineMaxMessage = 1024

// Object types the runner runs.
const (
	typeShellActivity     = "ShellCommandActivity"
	typeShellPrecondition = "ShellCommandPrecondition"
)

// pipelineDialect runs the tasks of a Data Pipeline worker group.
type pipelineDialect struct {
	r *Runner
	c *datapipeline.Client
}

func (d *pipelineDialect) name() string { return "datapipeline" }

// heartbeats reports the runner alive at once and every
// Config.RunnerHeartbeat until ctx ends; an answer terminate: true stops
// the runner (its running tasks finish).
func (d *pipelineDialect) heartbeats(ctx context.Context) {
	t := time.NewTicker(d.r.cfg.RunnerHeartbeat)
	defer t.Stop()
	for {
		out, err := d.c.ReportTaskRunnerHeartbeat(ctx, &datapipeline.ReportTaskRunnerHeartbeatInput{
			TaskrunnerId: aws.String(d.r.cfg.TaskRunnerID),
			WorkerGroup:  aws.String(d.r.cfg.WorkerGroup),
			Hostname:     aws.String(d.r.cfg.WorkerName),
		})
		switch {
		case err != nil && ctx.Err() == nil:
			d.r.log.Warn("ReportTaskRunnerHeartbeat failed", "err", err)
		case err == nil && out.Terminate:
			d.r.log.Info("the service asked this runner to terminate", "taskrunner_id", d.r.cfg.TaskRunnerID)
			d.r.terminate()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// fields are a pipeline object's fields: key → values (refs as ids).
type fields map[string][]string

func fieldsOf(o types.PipelineObject) fields {
	fs := fields{}
	for _, f := range o.Fields {
		v := aws.ToString(f.StringValue)
		if f.RefValue != nil {
			v = aws.ToString(f.RefValue)
		}
		fs[aws.ToString(f.Key)] = append(fs[aws.ToString(f.Key)], v)
	}
	return fs
}

func (fs fields) get(k string) string {
	if v := fs[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (d *pipelineDialect) poll(ctx context.Context) (*job, error) {
	out, err := d.c.PollForTask(ctx, &datapipeline.PollForTaskInput{
		WorkerGroup: aws.String(d.r.cfg.WorkerGroup),
		Hostname:    aws.String(d.r.cfg.WorkerName),
	})
	if err != nil {
		return nil, fmt.Errorf("PollForTask: %w", err)
	}
	task := out.TaskObject
	if task == nil || aws.ToString(task.TaskId) == "" {
		return nil, nil
	}
	// The task is taken: what follows must not end with a poll's context.
	ctx = context.WithoutCancel(ctx)
	tid := task.TaskId
	name := "dp-" + aws.ToString(task.AttemptId)
	att := fieldsOf(task.Objects[aws.ToString(task.AttemptId)])
	typ := att.get("type")
	if typ != typeShellActivity && typ != typeShellPrecondition {
		msg := fmt.Sprintf("gaffer runner does not run objects of type %q; it runs %s and %s", typ, typeShellActivity, typeShellPrecondition)
		err := d.setStatus(ctx, tid, types.TaskStatusFailed, "Runner.UnsupportedType", msg)
		d.r.log.Warn("task refused", "task", name, "type", typ, "err", err)
		d.r.ended(Result{Task: name, Outcome: "unsupported", ExitCode: -1, Err: err})
		return nil, nil
	}
	// Acknowledge at once (the service hands an unacknowledged task out
	// again).
	ack, err := d.c.ReportTaskProgress(ctx, &datapipeline.ReportTaskProgressInput{TaskId: tid})
	if err != nil {
		d.r.log.Warn("task dropped: acknowledgement failed", "task", name, "err", err)
		return nil, nil
	}
	if ack.Canceled {
		d.r.log.Info("task canceled before it started", "task", name)
		d.r.ended(Result{Task: name, Outcome: "canceled", ExitCode: -1})
		return nil, nil
	}
	j := &job{name: name}
	if err := d.prepare(j, att, task.Objects); err != nil {
		err2 := d.setStatus(ctx, tid, types.TaskStatusFailed, "Runner.InvalidTask", err.Error())
		d.r.log.Warn("task refused", "task", name, "err", err, "report_err", err2)
		d.r.ended(Result{Task: name, Outcome: "failed", ExitCode: -1, Err: err2})
		return nil, nil
	}
	precondition := typ == typeShellPrecondition
	j.beat = func(ctx context.Context, _ string) (verdict, error) {
		out, err := d.c.ReportTaskProgress(ctx, &datapipeline.ReportTaskProgressInput{TaskId: tid})
		var ae smithy.APIError
		switch {
		case errors.As(err, &ae) && ae.ErrorCode() == "TaskNotFoundException":
			return taskGone, err
		case err != nil:
			return keepGoing, err
		case out.Canceled:
			return cancelTask, nil
		}
		return keepGoing, nil
	}
	j.report = func(ctx context.Context, o *outcome) (string, error) {
		switch {
		case o.succeeded():
			if j.unstage == nil {
				return "succeeded", d.setStatus(ctx, tid, types.TaskStatusFinished, "", "")
			}
			if err := j.unstage(); err != nil {
				return "failed", d.setStatus(ctx, tid, types.TaskStatusFailed, "Runner.StagingFailed", err.Error())
			}
			return "succeeded", d.setStatus(ctx, tid, types.TaskStatusFinished, "", "")
		case o.stopped == stopCancel:
			// Canceled: the runner need not call SetTaskStatus.
			return "canceled", nil
		case precondition && o.stopped == notStopped && o.startErr == nil && o.signal == 0:
			return "false", d.setStatus(ctx, tid, types.TaskStatusFalse, "", "")
		}
		name, cause := o.failure(d.r.cfg.ExitError)
		return outcomeName(o), d.setStatus(ctx, tid, types.TaskStatusFailed, name, cause)
	}
	return j, nil
}

func (d *pipelineDialect) setStatus(ctx context.Context, tid *string, st types.TaskStatus, errID, msg string) error {
	in := &datapipeline.SetTaskStatusInput{TaskId: tid, TaskStatus: st}
	if errID != "" {
		in.ErrorId = aws.String(clip(errID, 1024))
		in.ErrorMessage = aws.String(clipTail(msg, pipelineMaxMessage))
	}
	if _, err := d.c.SetTaskStatus(ctx, in); err != nil {
		return fmt.Errorf("SetTaskStatus %s: %w", st, err)
	}
	return nil
}

// prepare sets the job's command, environment and output files from the
// attempt's fields: command (with scriptArgument as $1…) or a local
// scriptUri; stage; stdout and stderr when they are local paths.
func (d *pipelineDialect) prepare(j *job, att fields, objects map[string]types.PipelineObject) error {
	var closers []io.Closer
	var dirs []string
	j.cleanup = func() {
		for _, c := range closers {
			_ = c.Close()
		}
		for _, dir := range dirs {
			_ = os.RemoveAll(dir)
		}
	}
	args := att["scriptArgument"]
	switch cmd, script := att.get("command"), att.get("scriptUri"); {
	case cmd != "":
		j.argv = append([]string{"sh", "-c", cmd, "sh"}, args...)
	case script != "":
		path, ok := localPath(script)
		if !ok {
			return fmt.Errorf("scriptUri %q is not a local file (a path or file:// URI): gaffer runner does not download scripts", script)
		}
		j.argv = append([]string{"sh", path}, args...)
	default:
		return errors.New("the object has neither command nor scriptUri")
	}
	for _, f := range []struct {
		key string
		dst **os.File
	}{{"stdout", &j.stdout}, {"stderr", &j.stderr}} {
		v := att.get(f.key)
		if v == "" {
			continue
		}
		path, ok := localPath(v)
		if !ok {
			d.r.log.Warn("not a local path: ignored", "field", f.key, "value", v)
			continue
		}
		file, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
		if err != nil {
			return fmt.Errorf("%s: %w", f.key, err)
		}
		closers = append(closers, file)
		*f.dst = file
	}
	if att.get("stage") != "true" {
		return nil
	}
	var outputs []string // local directories to copy the outputs to, by index
	for _, side := range []string{"input", "output"} {
		for i, ref := range att[side] {
			dir, err := os.MkdirTemp("", fmt.Sprintf("gaffer-%s%d-", side, i+1))
			if err != nil {
				return fmt.Errorf("staging directory: %w", err)
			}
			dirs = append(dirs, dir)
			j.env = append(j.env, fmt.Sprintf("%s%d_STAGING_DIR=%s", strings.ToUpper(side), i+1, dir))
			local, _ := localPath(fieldsOf(objects[ref]).get("directoryPath"))
			if side == "input" && local != "" {
				if err := copyFiles(local, dir); err != nil {
					return fmt.Errorf("stage input %s: %w", ref, err)
				}
			}
			if side == "output" {
				outputs = append(outputs, local, dir)
			}
		}
	}
	j.unstage = func() error {
		for i := 0; i < len(outputs); i += 2 {
			if outputs[i] == "" {
				continue
			}
			if err := os.MkdirAll(outputs[i], 0o750); err != nil {
				return fmt.Errorf("stage output: %w", err)
			}
			if err := copyFiles(outputs[i+1], outputs[i]); err != nil {
				return fmt.Errorf("stage output: %w", err)
			}
		}
		return nil
	}
	return nil
}

// localPath returns the file path of v if it is an absolute path or a
// file:// URI ("" and false for s3:// and the like).
func localPath(v string) (string, bool) {
	if strings.HasPrefix(v, "file://") {
		u, err := url.Parse(v)
		if err != nil || u.Path == "" {
			return "", false
		}
		return u.Path, true
	}
	if filepath.IsAbs(v) {
		return v, true
	}
	return "", false
}

// copyFiles copies the regular files directly in src to dst.
func copyFiles(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
