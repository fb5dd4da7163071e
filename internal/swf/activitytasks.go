package swf

import (
	"context"
	"strings"

	"github.com/gaffer-dev/gaffer/internal/store"
)

type pollForActivityTaskInput struct {
	Domain   string   `json:"domain"`
	TaskList TaskList `json:"taskList"`
	Identity string   `json:"identity"`
}

// activityTaskOutput is an ActivityTask. An empty poll answers
// {"startedEventId":0}, like AWS.
type activityTaskOutput struct {
	TaskToken         string             `json:"taskToken,omitempty"`
	ActivityID        string             `json:"activityId,omitempty"`
	StartedEventID    int64              `json:"startedEventId"`
	WorkflowExecution *WorkflowExecution `json:"workflowExecution,omitempty"`
	ActivityType      *ActivityType      `json:"activityType,omitempty"`
	Input             string             `json:"input,omitempty"`
}

type recordActivityTaskHeartbeatInput struct {
	TaskToken string  `json:"taskToken"`
	Details   *string `json:"details"`
}

type activityTaskStatus struct {
	CancelRequested bool `json:"cancelRequested"`
}

type respondActivityTaskCompletedInput struct {
	TaskToken string `json:"taskToken"`
	Result    string `json:"result"`
}

type respondActivityTaskFailedInput struct {
	TaskToken string `json:"taskToken"`
	Reason    string `json:"reason"`
	Details   string `json:"details"`
}

type respondActivityTaskCanceledInput struct {
	TaskToken string `json:"taskToken"`
	Details   string `json:"details"`
}

// PollForActivityTask long-polls a task list for an activity task.
func (s *Service) PollForActivityTask(ctx context.Context, in *pollForActivityTaskInput) (*activityTaskOutput, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	if err := checkName("taskList.name", in.TaskList.Name); err != nil {
		return nil, err
	}
	if err := s.checkDomain(ctx, in.Domain); err != nil {
		return nil, err
	}
	deadline := s.eng.Now().Add(s.maxPoll)
	for {
		wait := deadline.Sub(s.eng.Now())
		if wait <= 0 {
			return &activityTaskOutput{}, nil
		}
		t, token, err := s.eng.Poll(ctx, activityQueue(in.Domain, in.TaskList.Name), in.Identity, wait)
		if err != nil {
			return nil, err
		}
		if t == nil {
			return &activityTaskOutput{}, nil
		}
		out, err := s.activityTask(ctx, t, token)
		if err != nil {
			return nil, err
		}
		if out != nil {
			return out, nil
		}
		// The task ended between its start and this read: poll on.
	}
}

// activityTask answers a started activity task, or nil if it has ended.
func (s *Service) activityTask(ctx context.Context, t *store.Task, token string) (*activityTaskOutput, error) {
	activityID, ok := strings.CutPrefix(t.OwnerRef, refActivityPrefix)
	if !ok {
		return nil, nil
	}
	var out *activityTaskOutput
	err := s.view(ctx, func(tx store.Tx) error {
		ex, rt, err := loadTaskRun(tx, t)
		if err != nil || ex == nil {
			return err
		}
		a := rt.Activities[activityID]
		if ex.Status != statusOpen || a == nil || a.TaskID != t.ID || a.StartedEventID == 0 {
			return nil
		}
		out = &activityTaskOutput{
			TaskToken:         token,
			ActivityID:        activityID,
			StartedEventID:    a.StartedEventID,
			WorkflowExecution: &WorkflowExecution{WorkflowID: ex.WorkflowID, RunID: ex.RunID},
			ActivityType:      &ActivityType{Name: a.Type.Name, Version: a.Type.Version},
			Input:             string(t.Input),
		}
		return nil
	})
	return out, err
}

// RecordActivityTaskHeartbeat tells that the worker holding the token is
// alive; the answer says whether the decider asked to cancel the task.
// It touches no history and no disk (the engine keeps the latest
// heartbeat in memory).
func (s *Service) RecordActivityTaskHeartbeat(ctx context.Context, in *recordActivityTaskHeartbeatInput) (*activityTaskStatus, error) {
	if err := s.authorizeToken(ctx, in.TaskToken); err != nil {
		return nil, err
	}
	var details []byte
	if in.Details != nil {
		details = []byte(*in.Details)
	}
	res, err := s.eng.HeartbeatIn(activityQueuePrefix, in.TaskToken, details)
	if err != nil {
		return nil, s.tokenError(ctx, in.TaskToken, err)
	}
	return &activityTaskStatus{CancelRequested: res.CancelRequested}, nil
}

// RespondActivityTaskCompleted completes an activity task with a result.
func (s *Service) RespondActivityTaskCompleted(ctx context.Context, in *respondActivityTaskCompletedInput) (*struct{}, error) {
	if err := s.authorizeToken(ctx, in.TaskToken); err != nil {
		return nil, err
	}
	if err := s.eng.Complete(ctx, in.TaskToken, []byte(in.Result)); err != nil {
		return nil, s.tokenError(ctx, in.TaskToken, err)
	}
	return &struct{}{}, nil
}

// RespondActivityTaskFailed fails an activity task with a reason and
// details.
func (s *Service) RespondActivityTaskFailed(ctx context.Context, in *respondActivityTaskFailedInput) (*struct{}, error) {
	if err := s.authorizeToken(ctx, in.TaskToken); err != nil {
		return nil, err
	}
	if err := s.eng.Fail(ctx, in.TaskToken, in.Reason, in.Details); err != nil {
		return nil, s.tokenError(ctx, in.TaskToken, err)
	}
	return &struct{}{}, nil
}

// RespondActivityTaskCanceled acknowledges that an activity task stopped
// after a cancel request (or gave up on its own), with details.
func (s *Service) RespondActivityTaskCanceled(ctx context.Context, in *respondActivityTaskCanceledInput) (*struct{}, error) {
	if err := s.authorizeToken(ctx, in.TaskToken); err != nil {
		return nil, err
	}
	if err := s.eng.AcknowledgeCancel(ctx, in.TaskToken, []byte(in.Details)); err != nil {
		return nil, s.tokenError(ctx, in.TaskToken, err)
	}
	return &struct{}{}, nil
}
