package swf

// The answer to a task token whose task is closed, worded as AWS words it:
// workers match on it to stop work that no longer counts (sclasen/swfsm
// stops a heartbeating activity on "Unknown activity" or "Unknown
// execution").

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/swferr"
	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// kindTask indexes the tasks of an execution by engine task id, so that a
// closed task's token is answered with its scheduledEventId or its
// execution. ID: task id; Parent: execution id; Body: taskIndex. Written
// when the task is scheduled, removed with the execution.
const kindTask = "swf.task"

// taskIndex is what a task token's answer names once its task is closed.
type taskIndex struct {
	Decision         bool  `json:"decision,omitempty"`
	ScheduledEventID int64 `json:"scheduledEventId"`
}

// indexTask records the task t of run r, scheduled by event scheduledID.
func (r *run) indexTask(t *store.Task, decision bool, scheduledID int64) error {
	return putJSON(r.ss.tx, kindTask, strconv.FormatInt(t.ID, 10), r.ex.ID(), "", taskIndex{Decision: decision, ScheduledEventID: scheduledID})
}

// dropTaskIndex removes the task index of execution id.
func dropTaskIndex(tx store.Tx, id string) error {
	objs, err := tx.ListObjects(store.ObjectQuery{Kind: kindTask, Parent: id})
	if err != nil {
		return err
	}
	for _, o := range objs {
		if err := tx.DeleteObject(kindTask, o.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}

// tokenError words err, the engine's answer to token, as AWS does when the
// token's task is closed: "Unknown execution: WorkflowExecution=[…]" if its
// execution is closed, else "Unknown activity, scheduledEventId = N" or
// "Unknown decision task, scheduledEventId = N". Any other error, or a task
// gaffer no longer knows (its execution removed), is returned as it is
// (swferr.Mapped words it), and so is a token of another region's task:
// it names nothing the caller can see.
func (s *Service) tokenError(ctx context.Context, token string, err error) error {
	if !errors.Is(err, engine.ErrTaskClosed) {
		return err
	}
	taskID, terr := s.eng.TokenTask(token)
	if terr != nil {
		return err
	}
	var out error
	verr := s.view(ctx, func(tx store.Tx) error {
		var ix taskIndex
		o, err := tx.GetObject(kindTask, strconv.FormatInt(taskID, 10))
		if err != nil {
			return err
		}
		if err := json.Unmarshal(o.Body, &ix); err != nil {
			return err
		}
		if d, _, _ := strings.Cut(o.Parent, "|"); keyRegion(d, awsapi.HomeRegion(ctx)) != awsapi.Region(ctx) {
			return nil // another region's task: as one gaffer does not know
		}
		var ex execution
		eo, err := tx.GetObject(kindExecution, o.Parent)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(eo.Body, &ex); err != nil {
			return err
		}
		switch {
		case ex.Status != statusOpen:
			out = swferr.UnknownExecution(ex.WorkflowID, ex.RunID)
		case ix.Decision:
			out = swferr.UnknownDecisionTask(ix.ScheduledEventID)
		default:
			out = swferr.UnknownActivity(ix.ScheduledEventID)
		}
		return nil
	})
	if verr != nil || out == nil {
		return err
	}
	return out
}
