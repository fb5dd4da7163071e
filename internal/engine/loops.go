package engine

import (
	"context"
	"errors"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// runDeadlines keeps one timer at the earliest deadline and handles each
// deadline as it comes due, each in its own tracked goroutine so that
// simultaneous timeouts share group commits. It returns when ctx ends.
func (e *Engine) runDeadlines(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var buf []deadline
	for {
		var next time.Time
		buf, next = e.deadlines.due(e.now(), buf[:0])
		for _, dl := range buf {
			// Refused once the engine stops: the deadline is in the store
			// and is re-armed by the next start.
			e.life.Go(func(ctx context.Context) { e.fire(ctx, dl) })
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = next.Sub(e.now())
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-e.deadlines.wake:
		case <-timer.C:
		}
	}
}

// fire handles one due deadline. Stale deadlines (the task ended, the
// attempt changed, the heartbeat moved on) are dropped or re-armed. ctx is
// the engine's: a stop abandons a deadline not yet written, which the next
// start re-arms from the store.
func (e *Engine) fire(ctx context.Context, dl deadline) {
	defer func() {
		select {
		case e.fired <- struct{}{}:
		default:
		}
	}()
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
		e.retryLater(ctx, dl, err)
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
		e.retryLater(ctx, dl, err)
	}
}

// retryLater re-arms a deadline whose handling failed (store overloaded,
// owner error) a little later, unless the engine is stopping (ctx ended).
func (e *Engine) retryLater(ctx context.Context, dl deadline, err error) {
	if ctx.Err() != nil {
		return
	}
	e.log.Warn("deadline handling failed; will retry", "kind", int(dl.kind), "id", dl.id, "err", err)
	dl.at = e.now().Add(100 * time.Millisecond)
	e.deadlines.add(dl)
}

// runFlusher persists heartbeats kept in memory every FlushInterval, and
// once more when ctx ends.
func (e *Engine) runFlusher(ctx context.Context) {
	tick := time.NewTicker(e.flush)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			// The last flush must happen although the engine's context has
			// ended: the store outlives the engine (Stop's contract).
			e.flushBeats(context.WithoutCancel(ctx))
			return
		case <-tick.C:
			e.flushBeats(ctx)
		}
	}
}

// flushBeats persists the heartbeats changed since the last flush; on
// failure they are kept for the next.
func (e *Engine) flushBeats(ctx context.Context) {
	beats := e.active.takeDirty()
	if len(beats) == 0 {
		return
	}
	err := e.store.Update(ctx, func(tx store.Tx) error {
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
		if ctx.Err() == nil { // a stop's cut is no failure: the last flush follows
			e.log.Warn("persisting heartbeats failed; will retry", "attempts", len(beats), "err", err)
		}
		for _, b := range beats {
			if at := e.active.get(b.taskID); at != nil && at.attempt == b.attempt {
				at.mu.Lock()
				at.dirty = true
				at.mu.Unlock()
			}
		}
	}
}
