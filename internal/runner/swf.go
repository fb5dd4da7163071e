package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
	"github.com/aws/smithy-go"
)

// SWF's limits: heartbeat details, reason, details and result.
const (
	swfMaxProgress = 2048
	swfMaxReason   = 256
	swfMaxData     = 32768
)

// swfDialect runs the activity tasks of an SWF task list.
type swfDialect struct {
	r *Runner
	c *swf.Client
}

func (d *swfDialect) name() string { return "swf" }

func (d *swfDialect) poll(ctx context.Context) (*job, error) {
	out, err := d.c.PollForActivityTask(ctx, &swf.PollForActivityTaskInput{
		Domain:   aws.String(d.r.cfg.Domain),
		TaskList: &types.TaskList{Name: aws.String(d.r.cfg.TaskList)},
		Identity: aws.String(clip(d.r.cfg.WorkerName, 256)),
	})
	if err != nil {
		return nil, fmt.Errorf("PollForActivityTask: %w", err)
	}
	if aws.ToString(out.TaskToken) == "" {
		return nil, nil
	}
	tok := out.TaskToken
	name := "swf-" + aws.ToString(out.ActivityId)
	if out.WorkflowExecution != nil {
		name = "swf-" + aws.ToString(out.WorkflowExecution.WorkflowId) + "-" + aws.ToString(out.ActivityId)
	}
	return &job{
		name:  name,
		argv:  []string{"sh", "-c", d.r.cfg.Command},
		stdin: []byte(aws.ToString(out.Input)),
		beat: func(ctx context.Context, last string) (verdict, error) {
			in := &swf.RecordActivityTaskHeartbeatInput{TaskToken: tok}
			if last != "" {
				in.Details = aws.String(clipTail(last, swfMaxProgress))
			}
			hb, err := d.c.RecordActivityTaskHeartbeat(ctx, in)
			var ae smithy.APIError
			switch {
			case errors.As(err, &ae) && ae.ErrorCode() == "UnknownResourceFault":
				return taskGone, err
			case err != nil:
				return keepGoing, err
			case hb.CancelRequested:
				return cancelTask, nil
			}
			return keepGoing, nil
		},
		report: func(ctx context.Context, o *outcome) (string, error) {
			switch {
			case o.succeeded() && (o.overflow || len(o.stdout) > swfMaxData):
				return "failed", d.fail(ctx, tok, "Runner.InvalidOutput", fmt.Sprintf("the command's stdout is longer than SWF's %d-character result", swfMaxData))
			case o.succeeded():
				_, err := d.c.RespondActivityTaskCompleted(ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: tok, Result: aws.String(string(o.stdout))})
				if err != nil {
					err = fmt.Errorf("RespondActivityTaskCompleted: %w", err)
				}
				return "succeeded", err
			case o.stopped == stopCancel:
				details := "canceled: the runner stopped the command"
				if t := o.tail.String(); t != "" {
					details += "; stderr:\n" + t
				}
				_, err := d.c.RespondActivityTaskCanceled(ctx, &swf.RespondActivityTaskCanceledInput{TaskToken: tok, Details: aws.String(clipTail(details, swfMaxData))})
				if err != nil {
					err = fmt.Errorf("RespondActivityTaskCanceled: %w", err)
				}
				return "canceled", err
			}
			name, cause := o.failure(d.r.cfg.ExitError)
			return outcomeName(o), d.fail(ctx, tok, name, cause)
		},
	}, nil
}

func (d *swfDialect) fail(ctx context.Context, tok *string, reason, details string) error {
	_, err := d.c.RespondActivityTaskFailed(ctx, &swf.RespondActivityTaskFailedInput{
		TaskToken: tok, Reason: aws.String(clip(reason, swfMaxReason)), Details: aws.String(clipTail(details, swfMaxData)),
	})
	if err != nil {
		return fmt.Errorf("RespondActivityTaskFailed: %w", err)
	}
	return nil
}
