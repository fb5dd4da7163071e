package sfn

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/sfnerr"
	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// GetActivityTask long-polls an activity for a task. It answers the moment
// a task is scheduled, or with no taskToken after the poll wait (60 s,
// capped by the server's --max-poll-wait).
func (s *Service) GetActivityTask(ctx context.Context, in *getActivityTaskInput) (*getActivityTaskOutput, error) {
	if _, err := s.parseARN(ctx, in.ActivityArn, "activity"); err != nil {
		return nil, err
	}
	if err := awsapi.Authorize(ctx, in.ActivityArn); err != nil {
		return nil, err
	}
	if _, known := s.activities.Load(in.ActivityArn); !known {
		if err := s.view(ctx, func(tx store.Tx) error {
			ok, err := s.activityExists(tx, in.ActivityArn)
			if err == nil && !ok {
				return activityNotFound(in.ActivityArn)
			}
			return err
		}); err != nil {
			return nil, err
		}
	}
	t, token, err := s.eng.Poll(ctx, queueOf(in.ActivityArn), in.WorkerName, s.maxPoll)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return &getActivityTaskOutput{}, nil
	}
	return &getActivityTaskOutput{TaskToken: token, Input: string(t.Input)}, nil
}

// SendTaskHeartbeat reports that the worker holding the token is alive.
func (s *Service) SendTaskHeartbeat(ctx context.Context, in *sendTaskHeartbeatInput) (*empty, error) {
	// AWS authorizes the SendTask actions on no resource: the token is
	// the capability.
	if err := awsapi.Authorize(ctx, "*"); err != nil {
		return nil, err
	}
	region := awsapi.Region(ctx)
	partition := awsapi.Partition(region)
	if _, err := s.eng.HeartbeatOf(in.TaskToken, nil, func(owner string) bool {
		return inScope(owner, partition, region, s.account)
	}); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

// SendTaskSuccess completes the task with output.
func (s *Service) SendTaskSuccess(ctx context.Context, in *sendTaskSuccessInput) (*empty, error) {
	// AWS authorizes the SendTask actions on no resource: the token is
	// the capability.
	if err := awsapi.Authorize(ctx, "*"); err != nil {
		return nil, err
	}
	if !json.Valid([]byte(in.Output)) {
		return nil, sfnerr.InvalidOutput("Invalid Output: the output is not valid JSON")
	}
	if err := s.checkToken(ctx, in.TaskToken); err != nil {
		return nil, err
	}
	if err := s.eng.Complete(ctx, in.TaskToken, []byte(in.Output)); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

// SendTaskFailure fails the task with an error and a cause.
func (s *Service) SendTaskFailure(ctx context.Context, in *sendTaskFailureInput) (*empty, error) {
	// AWS authorizes the SendTask actions on no resource: the token is
	// the capability.
	if err := awsapi.Authorize(ctx, "*"); err != nil {
		return nil, err
	}
	if err := s.checkToken(ctx, in.TaskToken); err != nil {
		return nil, err
	}
	if err := s.eng.Fail(ctx, in.TaskToken, in.Error, in.Cause); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

// checkToken answers a task token the caller may not use as one whose task
// does not exist: a token is an id too, and the task belongs to its
// execution, which only its own region and account see. A token of
// another region's (or account's) execution answers as a closed task's
// does (engine.ErrTaskClosed: TaskTimedOut, "Provided task does not exist
// anymore"), so that a caller learns nothing of tasks it cannot see; a
// malformed or closed token answers as the engine's verbs answer it. The
// check reads memory only (Engine.TaskOwner).
func (s *Service) checkToken(ctx context.Context, token string) error {
	owner, err := s.eng.TaskOwner(token)
	if err != nil {
		return err
	}
	region := awsapi.Region(ctx)
	if !inScope(owner, awsapi.Partition(region), region, s.account) {
		return engine.ErrTaskClosed
	}
	return nil
}

// inScope reports whether arn is arn:partition:states:region:account:…,
// without allocating: it runs on every task heartbeat.
func inScope(arn, partition, region, account string) bool {
	want := [5]string{"arn", partition, "states", region, account}
	for i := range want {
		j := strings.IndexByte(arn, ':')
		if j < 0 || arn[:j] != want[i] {
			return false
		}
		arn = arn[j+1:]
	}
	return true
}
