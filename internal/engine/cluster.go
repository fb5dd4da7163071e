package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// Cluster is what the engine asks of the membership of the nodes sharing
// its store (package cluster implements it; Config.Cluster). A nil Cluster
// is one node alone: it owns every partition and its memory is the whole
// truth. Owns is called on every deadline that comes due and after every
// commit that arms something; Wake and Arm after commits. All four must be
// cheap and must not block: Wake and Arm only note what to send (the
// cluster coalesces its notices and sends them later, on a goroutine of
// its own).
type Cluster interface {
	// Owns reports whether this node holds partition's lease now: it arms
	// and fires the deadlines of that partition's tasks and timers.
	Owns(partition int) bool
	// Shared reports whether other nodes may write the store, so that
	// the engine's memory is not the whole truth: a heartbeat, completion
	// or poll that misses memory looks in the store. The engine reads it
	// once, in New: it must not change.
	Shared() bool
	// Wake says, after a commit, that a task was scheduled in queue here
	// and no poll here took it: the nodes with polls waiting on queue
	// should look in the store (their WakeQueue).
	Wake(queue string)
	// Arm says, after a commit, that the tasks and timers of these ids,
	// written here, belong to partition, which another node holds: that
	// node should arm them (its ArmRemote).
	Arm(partition int, tasks, timers []int64)
}

// owns reports whether this node arms partition p's deadlines.
func (e *Engine) owns(p int) bool { return e.cluster == nil || e.cluster.Owns(p) }

// scheduledHere arms task t, scheduled (or given back) here and not taken
// by a reserved poller, once its transaction committed: its schedule
// deadlines if its partition is owned here (else the owner is told), and
// it is offered to the polls waiting here (on a shared store, if none
// took it, the other nodes are woken).
func (e *Engine) scheduledHere(t *store.Task) {
	if e.cluster == nil {
		e.armScheduled(t)
		e.matcher.offer(t.Queue, t.ID)
		return
	}
	if e.cluster.Owns(t.Partition) {
		e.armScheduled(t)
	} else if t.ScheduleToStart > 0 || t.ScheduleToClose > 0 {
		e.cluster.Arm(t.Partition, []int64{t.ID}, nil)
	}
	e.offer(t.Queue, t.ID, true)
}

// startedHere records attempt t, started here, once its transaction
// committed: in memory always (its worker will often beat here), with its
// deadlines if its partition is owned here (else the owner is told).
func (e *Engine) startedHere(t *store.Task) {
	owned := e.owns(t.Partition)
	e.armAttempt(t, false, owned)
	if !owned && (t.StartToClose > 0 || t.Heartbeat > 0 || t.ScheduleToClose > 0) {
		e.cluster.Arm(t.Partition, []int64{t.ID}, nil)
	}
}

// offer hands scheduled task id to the polls of queue. Alone, or on a
// store no one else writes, the matcher keeps it for the next poll if none
// waits. On a shared store it is only handed to a waiting poll: a poll
// that comes later looks in the store, where another node may have
// started it meanwhile, and the other nodes are woken if wake is set.
func (e *Engine) offer(queue string, id int64, wake bool) {
	if !e.shared {
		e.matcher.offer(queue, id)
		return
	}
	if !e.matcher.offerWaiting(queue, id) && wake {
		e.cluster.Wake(queue)
	}
}

// missed is what a verb does when memory has no entry for ref's attempt
// (cur is the entry of another attempt of the task, or nil). Alone, the
// attempt is over. On a shared store it may have been started on another
// node: the task's row says, and an open attempt is then kept in memory
// like one started here (with its deadlines if its partition is owned
// here). A later attempt in memory already proves ref's over.
func (e *Engine) missed(ref tokenRef, cur *attempt) (*attempt, error) {
	if !e.shared || cur != nil && cur.attempt > ref.attempt {
		return nil, ErrTaskClosed
	}
	ctx := e.ctx.Load()
	if ctx == nil {
		return nil, ErrTaskClosed // not started
	}
	var t *store.Task
	err := e.store.View(*ctx, func(tx store.Tx) error {
		var err error
		t, err = tx.GetTask(ref.taskID)
		if errors.Is(err, store.ErrNotFound) {
			t, err = nil, nil
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read task %d: %w", ref.taskID, err)
	}
	if t == nil || t.State != store.TaskStarted || t.Attempt != ref.attempt {
		return nil, ErrTaskClosed
	}
	return e.armAttempt(t, true, e.owns(t.Partition)), nil
}

// scheduledIn reads the ids of up to n scheduled tasks of queue, oldest
// first.
func (e *Engine) scheduledIn(ctx context.Context, queue string, n int) ([]int64, error) {
	var ids []int64
	err := e.store.View(ctx, func(tx store.Tx) error {
		ts, err := tx.ListTasks(store.TaskQuery{Queue: queue, State: store.TaskScheduled, Limit: n})
		for _, t := range ts {
			ids = append(ids, t.ID)
		}
		return err
	})
	return ids, err
}

// lookIn is a poll's look in a shared store, once it waits on queue: it
// offers up to one scheduled task per poll waiting on queue to the waiting
// polls, and returns how many it found.
func (e *Engine) lookIn(ctx context.Context, queue string) int {
	ids, err := e.scheduledIn(ctx, queue, max(e.matcher.waiting(queue), 1))
	if err != nil {
		if ctx.Err() == nil {
			e.log.Warn("a poll could not look for tasks in the store; it waits", "queue", queue, "err", err)
		}
		return 0
	}
	for _, id := range ids {
		e.matcher.offerWaiting(queue, id)
	}
	return len(ids)
}

// Acquire loads the open tasks and timers of partitions, whose lease this
// node has just taken, and arms them as Start does alone: scheduled tasks
// get their schedule deadlines and are offered to the polls waiting here;
// started attempts are kept in memory with their last persisted beat plus
// one flush interval, and get their start-to-close, heartbeat and
// schedule-to-close deadlines; timers get theirs. A deadline that passed
// while no node held the partition fires at once. What is armed here
// already is not armed twice, so Acquire of a partition held already
// (Reconcile) only adds what memory missed. It reads a page of 1000 at a
// time in one read transaction, logging progress like Start.
func (e *Engine) Acquire(ctx context.Context, partitions []int) error {
	if len(partitions) == 0 {
		return nil
	}
	if err := e.loadTasksAndTimers(ctx, partitions); err != nil {
		return fmt.Errorf("acquire partitions: %w", err)
	}
	return nil
}

// Release stops arming the deadlines of partitions, whose lease this node
// gave up or lost: their deadlines in memory are dropped as they come due
// (Cluster.Owns is false then), and what was armed of them is forgotten,
// so that a later Acquire arms it again. Attempts started or beaten here
// stay in memory (their workers may go on beating here) without
// deadlines.
func (e *Engine) Release(partitions []int) {
	if len(partitions) == 0 {
		return
	}
	ps := make(map[int]bool, len(partitions))
	for _, p := range partitions {
		ps[p] = true
	}
	e.scheduled.removeIn(ps)
	e.timers.removeIn(ps)
	e.active.sweep(func(at *attempt) bool {
		if ps[at.partition] {
			at.mu.Lock()
			at.armed = false
			at.mu.Unlock()
		}
		return false
	})
}

// WakeQueue is a notice that tasks were scheduled in queue on another node
// and no poll there took them: if polls wait here on queue, it reads up to
// as many scheduled tasks of queue from the store and offers them to those
// polls, which race the other nodes' to start them (the task's row lock
// picks one; the losers wait on).
func (e *Engine) WakeQueue(ctx context.Context, queue string) error {
	n := e.matcher.waiting(queue)
	if n == 0 {
		return nil
	}
	ids, err := e.scheduledIn(ctx, queue, n)
	if err != nil {
		return fmt.Errorf("wake queue %s: %w", queue, err)
	}
	for _, id := range ids {
		e.matcher.offerWaiting(queue, id)
	}
	return nil
}

// ArmRemote is a notice that another node wrote these tasks and timers in
// partitions it believes this node holds: it reads them and arms those of
// partitions owned here, as Acquire does (a scheduled task is also offered
// to the polls waiting here). Rows that are gone (closed, fired) are
// skipped, and what is armed already is not armed twice.
func (e *Engine) ArmRemote(ctx context.Context, tasks, timers []int64) error {
	var ts []*store.Task
	var tms []*store.Timer
	err := e.store.View(ctx, func(tx store.Tx) error {
		for _, id := range tasks {
			t, err := tx.GetTask(id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			ts = append(ts, t)
		}
		for _, id := range timers {
			tm, err := tx.GetTimer(id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			tms = append(tms, tm)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("arm remote tasks and timers: %w", err)
	}
	for _, t := range ts {
		switch {
		case e.owns(t.Partition):
			e.loadTask(t)
		case t.State == store.TaskScheduled:
			e.offer(t.Queue, t.ID, false)
		}
	}
	for _, tm := range tms {
		e.armTimer(tm)
	}
	return nil
}

// Reconcile makes up for notices that may have been lost (the cluster calls
// it when its notice connection is made or re-made): it reloads every
// partition owned here (Acquire: only what memory missed is armed) and
// looks in the store for every queue polls wait on here (WakeQueue). On a
// store no one else writes, nothing can have been missed, and it does
// nothing.
func (e *Engine) Reconcile(ctx context.Context) error {
	if !e.shared {
		return nil
	}
	var owned []int
	for p := range store.Partitions {
		if e.cluster.Owns(p) {
			owned = append(owned, p)
		}
	}
	if err := e.Acquire(ctx, owned); err != nil {
		return err
	}
	for _, q := range e.matcher.waitingQueues() {
		if err := e.WakeQueue(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// settle makes memory agree with task t's row (nil: gone), which deadline
// dl found moved on: with several nodes, another node may have started,
// given back or closed the task. Once tx commits, an attempt the row no
// longer has is forgotten, and what the row holds is armed if its
// partition is owned here and memory missed it (a lost notice).
func (e *Engine) settle(tx store.Tx, dl deadline, t *store.Task) {
	if e.cluster == nil {
		return // memory only lags the store: it is settling already
	}
	tx.AfterCommit(func() {
		if dl.attempt > 0 && (t == nil || t.State != store.TaskStarted || t.Attempt != dl.attempt) {
			e.active.remove(dl.id, dl.attempt)
		}
		if t == nil {
			e.scheduled.remove(dl.id)
			return
		}
		if e.cluster.Owns(t.Partition) {
			e.loadTask(t)
		}
	})
}

// sweepIdle forgets, on a shared store, the attempts whose last beat here
// is older than idle and that need no memory here: those whose deadlines
// this node does not hold. A worker that beats again after that costs one
// store read. So the attempts of other nodes' partitions that ended
// elsewhere do not stay in memory for good.
func (e *Engine) sweepIdle(now time.Time, idle time.Duration) {
	e.active.sweep(func(at *attempt) bool {
		at.mu.Lock()
		defer at.mu.Unlock()
		return !at.dirty && (!at.armed || !at.deadlines) && now.Sub(at.lastBeat) > idle
	})
}
