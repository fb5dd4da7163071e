package engine

import (
	"fmt"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// ScheduleStarted adds task t to its queue within tx already started, its
// first attempt held by worker, and returns that attempt's token. It is for
// an owner that holds its own task while something it runs in the same
// store does the work (Step Functions: a parent execution's task waits for
// the child execution it started in the same transaction), so no poller
// ever takes it: the owner ends it with CloseWith, or a holder of the token
// with Complete, Fail or Heartbeat. Its start-to-close, heartbeat and
// schedule-to-close deadlines are armed once tx commits (by the partition's
// holder on a shared store), as for a polled attempt. The owner's
// TaskStarted is not called: the owner records the start itself.
func (e *Engine) ScheduleStarted(tx store.Tx, t *store.Task, worker string) (string, error) {
	if _, ok := e.owners[t.OwnerKind]; !ok {
		return "", fmt.Errorf("schedule task: no owner %q", t.OwnerKind)
	}
	now := e.now()
	t.Partition = store.PartitionOf(t.OwnerID)
	if t.ScheduledAt.IsZero() {
		t.ScheduledAt = now
	}
	t.State = store.TaskStarted
	t.Attempt = 1
	t.StartedAt = now
	t.Worker = worker
	if err := tx.InsertTask(t); err != nil {
		return "", fmt.Errorf("schedule task: %w", err)
	}
	task := *t
	tx.AfterCommit(func() { e.startedHere(&task) })
	return e.AttemptToken(t), nil
}

// CloseWith ends the open task t (as read in tx) with outcome o within tx
// and tells its owner (TaskClosed), as a worker's Complete or Fail, or a
// deadline, would. It is for an owner that learns a task's outcome in a
// transaction of its own rather than from a worker (a child execution's end
// completes its parent's task). t must be started; the caller checks that
// the attempt it means is t's.
func (e *Engine) CloseWith(tx store.Tx, t *store.Task, o Outcome) error {
	if t.State != store.TaskStarted {
		return ErrTaskClosed
	}
	return e.closeWith(tx, t, o)
}
