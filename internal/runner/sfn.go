package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"
)

// Step Functions' limits on SendTaskFailure.
const (
	sfnMaxError = 256
	sfnMaxCause = 32768
)

// sfnDialect runs the tasks of a Step Functions activity.
type sfnDialect struct {
	r *Runner
	c *sfn.Client
}

func (d *sfnDialect) name() string { return "stepfunctions" }

func (d *sfnDialect) poll(ctx context.Context) (*job, error) {
	out, err := d.c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{
		ActivityArn: aws.String(d.r.cfg.ActivityARN),
		WorkerName:  aws.String(clip(d.r.cfg.WorkerName, 80)),
	})
	if err != nil {
		return nil, fmt.Errorf("GetActivityTask: %w", err)
	}
	token := aws.ToString(out.TaskToken)
	if token == "" {
		return nil, nil
	}
	sum := sha256.Sum256([]byte(token))
	tok := aws.String(token)
	return &job{
		name:  "sfn-" + hex.EncodeToString(sum[:6]),
		argv:  []string{"sh", "-c", d.r.cfg.Command},
		stdin: []byte(aws.ToString(out.Input)),
		beat: func(ctx context.Context, _ string) (verdict, error) {
			_, err := d.c.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: tok})
			return sfnVerdict(err), err
		},
		report: func(ctx context.Context, o *outcome) (string, error) {
			if o.succeeded() {
				switch {
				case o.overflow:
					return "failed", d.fail(ctx, tok, "Runner.InvalidOutput", fmt.Sprintf("the command's stdout is longer than Step Functions' %d bytes", maxStdout))
				case !json.Valid(o.stdout):
					return "failed", d.fail(ctx, tok, "Runner.InvalidOutput", "the command's stdout is not JSON: "+clip(string(o.stdout), 1024))
				}
				_, err := d.c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: tok, Output: aws.String(string(o.stdout))})
				if err != nil {
					err = fmt.Errorf("SendTaskSuccess: %w", err)
				}
				return "succeeded", err
			}
			name, cause := o.failure(d.r.cfg.ExitError)
			return outcomeName(o), d.fail(ctx, tok, name, cause)
		},
	}, nil
}

func (d *sfnDialect) fail(ctx context.Context, tok *string, name, cause string) error {
	_, err := d.c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{
		TaskToken: tok, Error: aws.String(clip(name, sfnMaxError)), Cause: aws.String(clipTail(cause, sfnMaxCause)),
	})
	if err != nil {
		return fmt.Errorf("SendTaskFailure: %w", err)
	}
	return nil
}

// sfnVerdict reads a SendTaskHeartbeat answer: TaskTimedOut (the task
// timed out, or its execution stopped) and TaskDoesNotExist end the task.
func sfnVerdict(err error) verdict {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "TaskTimedOut", "TaskDoesNotExist", "InvalidToken":
			return taskGone
		}
	}
	return keepGoing
}

// outcomeName names a failed outcome for Result.Outcome.
func outcomeName(o *outcome) string {
	switch o.stopped {
	case stopTimeout:
		return "timed out"
	case stopDrain, stopAbandon:
		return "interrupted"
	case stopCancel:
		return "canceled"
	}
	return "failed"
}
