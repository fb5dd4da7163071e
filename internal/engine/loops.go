package engine

import (
	"context"
	"errors"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// runDeadlines keeps one timer at the earliest deadline and handles each
// deadline as it comes due, each in its own tracked goroutine so that
// simultaneous timeouts share group commits.
func (e *Engine) runDeadlines() {
	defer e.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var buf []deadline
	for {
		var next time.Time
		buf, next = e.deadlines.due(e.now(), buf[:0])
		for _, dl := range buf {
			e.wg.Add(1)
			go func(dl deadline) {
				defer e.wg.Done()
				e.fire(dl)
			}(dl)
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = next.Sub(e.now())
		}
		timer.Reset(wait)
		select {
		case <-e.stop:
			return
		case <-e.deadlines.wake:
		case <-timer.C:
		}
	}
}

// fire handles one due deadline. Stale deadlines (the task ended, the
// attempt changed, the heartbeat moved on) are dropped or re-armed.
func (e *Engine) fire(dl deadline) {
	defer func() {
		select {
		case e.fired <- struct{}{}:
		default:
		}
	}()
	ctx := context.Background()
	if dl.kind == dlTimer {
		e.fireTimer(ctx, dl)
		return
	}
	if dl.kind == dlHeartbeat {
		at := e.active.get(dl.id)
		if at == nil || at.attempt != dl.attempt {
			return
		}
		at.mu.Lock()
		due := at.lastBeat.Add(at.heartbeat)
		at.mu.Unlock()
		if due.After(e.now()) {
			e.deadlines.add(deadline{at: due, kind: dlHeartbeat, id: dl.id, attempt: dl.attempt})
			return
		}
	}
	kind := dl.kind.timeout()
	var details []byte
	var haveDetails bool
	if at := e.active.get(dl.id); at != nil && at.attempt == dl.attempt {
		at.mu.Lock()
		details, haveDetails = at.details, true
		at.mu.Unlock()
	}
	err := e.update(ctx, func(tx store.Tx) error {
		t, err := tx.GetTask(dl.id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		switch dl.kind {
		case dlScheduleToStart:
			if t.State != store.TaskScheduled || t.Attempt != dl.attempt {
				return nil
			}
		case dlStartToClose, dlHeartbeat:
			if t.State != store.TaskStarted || t.Attempt != dl.attempt {
				return nil
			}
		}
		o := Outcome{Kind: TimedOut, Timeout: kind, Details: t.Details}
		if haveDetails && t.State == store.TaskStarted {
			o.Details = details
		}
		return e.closeWith(tx, t, o)
	})
	if err != nil {
		e.retryLater(dl, err)
	}
}

func (e *Engine) fireTimer(ctx context.Context, dl deadline) {
	err := e.update(ctx, func(tx store.Tx) error {
		tm, err := tx.GetTimer(dl.id)
		if errors.Is(err, store.ErrNotFound) {
			return nil // canceled
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteTimer(tm.ID); err != nil {
			return err
		}
		o, ok := e.owners[tm.OwnerKind]
		if !ok {
			e.log.Error("timer has no owner; dropped", "timer", tm.ID, "owner_kind", tm.OwnerKind)
			return nil
		}
		return o.TimerFired(tx, tm)
	})
	if err != nil {
		e.retryLater(dl, err)
	}
}

// retryLater re-arms a deadline whose handling failed (store overloaded,
// owner error) a little later, unless the engine is stopping.
func (e *Engine) retryLater(dl deadline, err error) {
	select {
	case <-e.stop:
		return
	default:
	}
	e.log.Warn("deadline handling failed; will retry", "kind", int(dl.kind), "id", dl.id, "err", err)
	dl.at = e.now().Add(100 * time.Millisecond)
	e.deadlines.add(dl)
}

// runFlusher persists heartbeats kept in memory every FlushInterval, and
// once more at stop.
func (e *Engine) runFlusher() {
	defer e.wg.Done()
	tick := time.NewTicker(e.flush)
	defer tick.Stop()
	for {
		select {
		case <-e.stop:
			e.flushBeats()
			return
		case <-tick.C:
			e.flushBeats()
		}
	}
}

func (e *Engine) flushBeats() {
	beats := e.active.takeDirty()
	if len(beats) == 0 {
		return
	}
	err := e.store.Update(context.Background(), func(tx store.Tx) error {
		for _, b := range beats {
			t, err := tx.GetTask(b.taskID)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if t.Attempt != b.attempt || t.State != store.TaskStarted {
				continue
			}
			t.HeartbeatAt = b.at
			t.Details = b.details
			if err := tx.UpdateTask(t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.log.Warn("persisting heartbeats failed; will retry", "attempts", len(beats), "err", err)
		for _, b := range beats {
			if at := e.active.get(b.taskID); at != nil && at.attempt == b.attempt {
				at.mu.Lock()
				at.dirty = true
				at.mu.Unlock()
			}
		}
	}
}
