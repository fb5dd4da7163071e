package engine

import (
	"context"
	"errors"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// Deadline firing: the deadline loop pops due deadlines, drops the stale
// ones in memory, and hands the rest in batches to a fixed pool of firers;
// each firer applies one batch in one store.Update, each deadline in a
// savepoint of its own.
const (
	fireBatchSize = 256 // deadlines per store.Update
	fireWorkers   = 4   // batches in flight at once
	// A batch the store refused (ErrOverloaded, a failed commit) is retried
	// by its firer after a back-off from fireBackoffMin, doubling up to
	// fireBackoffMax; the firer's slot stays taken meanwhile, so a loaded
	// store sees fewer deadline writes, not more.
	fireBackoffMin = 50 * time.Millisecond
	fireBackoffMax = 2 * time.Second
	// fireRetry is how much later a deadline whose own handling failed
	// (its savepoint rolled back) is tried again.
	fireRetry = 100 * time.Millisecond
	// throttleLogEvery spaces the aggregated "store overloaded" lines.
	throttleLogEvery = 10 * time.Second
	// fireTxBudget bounds the writer time of one batch: once the
	// deadlines applied so far have taken this long (a run of Step
	// Functions states going on, a large history), the rest of the batch
	// is handed back, still due, for a later write; a short batch is what
	// keeps a request from waiting long behind one. Batches of background
	// timers (BackgroundTimers) go in the store's background lane
	// (store.Background), which gets a bounded share of the writer while
	// requests wait; the others in the request lane.
	fireTxBudget = 10 * time.Millisecond
)

// compactMin is the fewest pending deadlines at which the deadline loop
// drops those over (Engine.pending). Entries are not removed when their
// task ends, only when they come due; timeouts of hours would otherwise
// keep one per task for hours. The loop compacts again when the heap has
// doubled since.
const compactMin = 4096

// compactEvery is the longest the deadline loop sleeps, and goes without
// compacting a heap that is not empty (Engine.compactEvery).
const compactEvery = 30 * time.Second

// errDeferred marks a deadline left for a later batch (fireTxBudget): its
// savepoint wrote nothing.
var errDeferred = errors.New("engine: deadline deferred to a later batch")

// runDeadlines keeps one timer at the earliest deadline and, as deadlines
// come due, hands them in batches of up to fireBatchSize to fireWorkers
// firers, waiting for a free one when all are busy: however many deadlines
// fall due at once (a restart after downtime), at most fireWorkers writes
// for them are in the store's queue. It returns when ctx ends; a batch not
// yet applied is in the store and is re-armed by the next start.
func (e *Engine) runDeadlines(ctx context.Context) {
	batches := make(chan []deadline)
	for range e.firers {
		e.life.Go(func(ctx context.Context) { e.runFirer(ctx, batches) })
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var buf []deadline // a batch handed to a firer is the firer's
	compactAt := compactMin
	compacted := time.Now()
	for {
		if buf == nil {
			buf = make([]deadline, 0, e.batchSize)
		}
		now := e.now()
		batch, next := e.deadlines.due(now, buf[:0], e.batchSize)
		// The live deadlines, request lane first, then background (a
		// batch is in one lane: see fireBatch).
		live := batch[:0]
		var bg []deadline
		for _, dl := range batch {
			if e.stale(dl, now) {
				e.dropped.Add(1)
				continue
			}
			if dl.background {
				bg = append(bg, dl)
				continue
			}
			live = append(live, dl)
		}
		for _, b := range [2][]deadline{live, bg} {
			if len(b) == 0 {
				continue
			}
			select {
			case batches <- b:
				buf = nil
			case <-ctx.Done():
				return
			}
		}
		// Compact when the heap has doubled from its lowest since the last
		// time (not from a backlog's peak long drained), and at least every
		// compactEvery, so that an idle node does not keep the deadlines of
		// tasks that ended until they fall due.
		if n := e.deadlines.len(); n > compactAt || (n > 0 && time.Since(compacted) >= e.compactEvery) {
			_, after := e.compactDeadlines()
			compactAt = max(2*after, compactMin)
			compacted = time.Now()
		} else {
			compactAt = max(min(compactAt, 2*n), compactMin)
		}
		e.deadlineWork.Signal(struct{}{})
		if !next.IsZero() && !next.After(e.now()) {
			continue // more are due
		}
		// At least every compactEvery, so that a heap that grows behind a
		// far earliest deadline is compacted.
		wait := e.compactEvery
		if !next.IsZero() {
			wait = min(next.Sub(e.now()), e.compactEvery)
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

// compactDeadlines drops the pending deadlines that memory says are over
// (see pending) and returns how many there were and are.
func (e *Engine) compactDeadlines() (before, after int) {
	return e.deadlines.compact(e.pending)
}

// pending reports whether dl may still have to fire, by what memory says,
// without changing anything: false for a task deadline whose task is
// neither scheduled nor started here, or whose attempt has ended (stale
// builds on it; see there why memory may be trusted); true for the
// rest, timers included (a canceled timer is only known to the store). A
// deadline is armed after its task enters memory, so one in the heap whose
// task is not there is over.
func (e *Engine) pending(dl deadline) bool {
	switch dl.kind {
	case dlScheduleToStart:
		return e.scheduled.has(dl.id)
	case dlScheduleToClose:
		return e.scheduled.has(dl.id) || e.active.get(dl.id) != nil
	case dlStartToClose, dlHeartbeat:
		at := e.active.get(dl.id)
		return at != nil && at.attempt == dl.attempt
	}
	// A timer: canceled here (or its partition released) is over; one
	// canceled on another node is known only to the store.
	return e.timers.has(dl.id)
}

// stale reports whether dl is over by what memory says, so that it need not
// reach the store: its task is neither scheduled nor started here any more,
// or its attempt has ended, or (heartbeat) the worker has beaten since, in
// which case the deadline is re-armed at the new due time. Memory can only
// lag the store (it changes after commits), so a deadline stale here is
// stale there; one that is not is checked again against the store when it
// fires. The order of the lookups matters: a start adds the attempt to
// active before it leaves the scheduled set.
func (e *Engine) stale(dl deadline, now time.Time) bool {
	if e.cluster != nil && !e.cluster.Owns(int(dl.partition)) {
		if dl.kind == dlTimer {
			e.timers.remove(dl.id) // so that taking the partition back arms it
		}
		return true // released: its new holder arms it
	}
	if !e.pending(dl) {
		return true
	}
	if dl.kind == dlHeartbeat {
		at := e.active.get(dl.id)
		if at == nil || at.attempt != dl.attempt {
			return true // ended since pending looked
		}
		at.mu.Lock()
		due := at.lastBeat.Add(at.heartbeat)
		// One deadline at due is enough: a copy of this one (armed
		// twice) that re-arms at the same time is dropped.
		rearm := due.After(now) && !due.Equal(at.hbDue)
		if rearm {
			at.hbDue = due
		}
		at.mu.Unlock()
		if due.After(now) {
			if rearm {
				e.deadlines.add(deadline{at: due, kind: dlHeartbeat, partition: dl.partition, id: dl.id, attempt: dl.attempt})
			}
			return true
		}
	}
	return false // timers: those canceled on another node are only known to the store
}

// runFirer applies the batches runDeadlines hands it until ctx ends.
func (e *Engine) runFirer(ctx context.Context, batches <-chan []deadline) {
	var errs []error
	for {
		select {
		case <-ctx.Done():
			return
		case batch := <-batches:
			if cap(errs) < len(batch) {
				errs = make([]error, len(batch))
			}
			errs = errs[:len(batch)]
			clear(errs)
			e.fireBatch(ctx, batch, errs)
		}
	}
}

// fireBatch applies batch in one store.Update, each deadline in a savepoint
// of its own, in the background lane if its deadlines are background
// timers (runDeadlines makes each batch of one lane), retrying the whole batch with a
// back-off while the store refuses it. Once fireTxBudget of writer time has
// gone, the deadlines not yet applied are re-armed as they were (still
// due). A deadline whose own handling failed is re-armed fireRetry later;
// the others are done. A stop (ctx ended) abandons the batch: the
// store still holds every deadline in it, and the next start re-arms them.
// errs (as long as batch) receives each deadline's error.
func (e *Engine) fireBatch(ctx context.Context, batch []deadline, errs []error) {
	backoff := fireBackoffMin
	uctx := ctx
	if batch[0].background {
		uctx = store.Background(ctx)
	}
	var began time.Time // of this run of the transaction's function
	apply := func(tx store.Tx, i int) error {
		if i == 0 {
			began = time.Now()
		} else if time.Since(began) > fireTxBudget {
			return errDeferred
		}
		return e.apply(tx, batch[i])
	}
	for {
		err := e.updateEach(uctx, len(batch), apply, errs)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, store.ErrOverloaded) {
			e.throttled(len(batch))
		} else {
			e.log.Warn("firing deadlines failed; will retry", "deadlines", len(batch), "err", err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, fireBackoffMax)
	}
	var failed, deferred int
	var firstErr error
	for i, err := range errs {
		if err == nil {
			if batch[i].kind == dlTimer {
				e.timers.remove(batch[i].id) // fired (or found canceled): over
			}
			continue
		}
		if errors.Is(err, errDeferred) {
			deferred++
			e.deadlines.add(batch[i])
			continue
		}
		if failed == 0 {
			firstErr = err
		}
		failed++
		dl := batch[i]
		dl.at = e.now().Add(fireRetry)
		e.deadlines.add(dl)
	}
	if failed > 0 {
		e.log.Warn("deadline handling failed; will retry", "deadlines", failed, "first_err", firstErr)
	}
	if e.obs != nil {
		now := e.now()
		for i, dl := range batch {
			if errs[i] != nil {
				continue
			}
			kind := TaskTimeout
			if dl.kind == dlTimer {
				kind = OwnerTimer
			}
			e.obs.DeadlineFired(kind, now.Sub(dl.at))
		}
	}
	// The batch is counted before its deadlines: whoever sees them in
	// fired sees the batch in fireBatches too.
	e.fireBatches.Add(1)
	e.fired.Add(int64(len(batch) - failed - deferred))
	e.deadlineWork.Signal(struct{}{})
}

// throttled notes that the store refused a batch of n deadlines as
// overloaded; one line every throttleLogEvery sums them up, instead of a
// warning per deadline.
func (e *Engine) throttled(n int) {
	e.throttle.mu.Lock()
	defer e.throttle.mu.Unlock()
	e.throttle.retries++
	e.throttle.deadlines += n
	now := e.now()
	if !e.throttle.logged.IsZero() && now.Sub(e.throttle.logged) < throttleLogEvery {
		return
	}
	e.log.Warn("store overloaded; deadline batches back off", "retries", e.throttle.retries, "deadlines", e.throttle.deadlines)
	e.throttle.logged = now
	e.throttle.retries, e.throttle.deadlines = 0, 0
}

// apply handles one due deadline within tx: the store's state is the truth,
// so a deadline whose task has ended or moved to another attempt does
// nothing (with a cluster, memory is set right: see settle). For a
// heartbeat, the in-memory last beat is checked once more (the worker may
// have beaten since the deadline was popped): if it moved on, the deadline
// is re-armed once tx commits. On a shared store the worker may beat on
// another node, which flushes its beats to the row: a heartbeat deadline
// also waits for the row's last beat plus one flush interval.
func (e *Engine) apply(tx store.Tx, dl deadline) error {
	if dl.kind == dlTimer {
		return e.applyTimer(tx, dl)
	}
	var details []byte
	var haveDetails bool
	at := e.active.get(dl.id)
	if at != nil && at.attempt == dl.attempt {
		at.mu.Lock()
		details, haveDetails = at.details, true
		due := at.lastBeat.Add(at.heartbeat)
		at.mu.Unlock()
		if dl.kind == dlHeartbeat && due.After(e.now()) {
			tx.AfterCommit(func() { e.rearmHeartbeat(dl, due) })
			return nil
		}
	}
	t, err := tx.GetTask(dl.id)
	if errors.Is(err, store.ErrNotFound) {
		e.settle(tx, dl, nil)
		return nil
	}
	if err != nil {
		return err
	}
	switch dl.kind {
	case dlScheduleToStart:
		if t.State != store.TaskScheduled || t.Attempt != dl.attempt {
			e.settle(tx, dl, t)
			return nil
		}
	case dlStartToClose, dlHeartbeat:
		if t.State != store.TaskStarted || t.Attempt != dl.attempt {
			e.settle(tx, dl, t)
			return nil
		}
		if dl.kind == dlHeartbeat && e.shared {
			if due := t.HeartbeatAt.Add(t.Heartbeat + e.flush); due.After(e.now()) {
				tx.AfterCommit(func() { e.rearmHeartbeat(dl, due) })
				return nil
			}
		}
	}
	o := Outcome{Kind: TimedOut, Timeout: dl.kind.timeout(), Details: t.Details}
	if haveDetails && t.State == store.TaskStarted && (details != nil || !e.shared) {
		o.Details = details
	}
	return e.closeWith(tx, t, o)
}

// rearmHeartbeat sets heartbeat deadline dl again at due, unless one is set
// for that time already.
func (e *Engine) rearmHeartbeat(dl deadline, due time.Time) {
	if at := e.active.get(dl.id); at != nil && at.attempt == dl.attempt {
		at.mu.Lock()
		set := due.Equal(at.hbDue)
		at.hbDue = due
		at.mu.Unlock()
		if set {
			return
		}
	}
	dl.at = due
	e.deadlines.add(dl)
}

func (e *Engine) applyTimer(tx store.Tx, dl deadline) error {
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
}

// On a shared store, every sweepEvery flushes the flusher forgets the
// attempts idle for sweepIdleFlushes flush intervals that this node need
// not keep (sweepIdle).
const (
	sweepEvery       = 30
	sweepIdleFlushes = 60
)

// runFlusher persists heartbeats kept in memory every FlushInterval, and
// once more when ctx ends.
func (e *Engine) runFlusher(ctx context.Context) {
	tick := time.NewTicker(e.flush)
	defer tick.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			// The last flush must happen although the engine's context has
			// ended: the store outlives the engine (Stop's contract).
			e.flushBeats(context.WithoutCancel(ctx))
			return
		case <-tick.C:
			e.flushBeats(ctx)
			e.flushed.Signal(struct{}{})
			if e.shared && n%sweepEvery == 0 {
				e.sweepIdle(e.now(), sweepIdleFlushes*e.flush)
			}
		}
	}
}

// flushBeats persists the heartbeats changed since the last flush; on
// failure they are kept for the next. An attempt the row says is over
// (closed or superseded, on another node) is forgotten, and a cancel
// request in the row is learnt, once the flush commits; a row that holds
// a later beat (flushed by another node) keeps it.
func (e *Engine) flushBeats(ctx context.Context) {
	beats := e.active.takeDirty()
	if len(beats) == 0 {
		return
	}
	began := e.now()
	// Nobody waits on a flush: the background lane (store.Background).
	err := e.store.Update(store.Background(ctx), func(tx store.Tx) error {
		for _, b := range beats {
			t, err := tx.GetTask(b.taskID)
			if errors.Is(err, store.ErrNotFound) {
				tx.AfterCommit(func() { e.active.remove(b.taskID, b.attempt) })
				continue
			}
			if err != nil {
				return err
			}
			if t.Attempt != b.attempt || t.State != store.TaskStarted {
				tx.AfterCommit(func() { e.active.remove(b.taskID, b.attempt) })
				continue
			}
			if t.CancelRequested {
				tx.AfterCommit(func() { e.cancelRequested(b.taskID, b.attempt) })
			}
			if b.at.Before(t.HeartbeatAt) {
				continue // another node flushed a later beat
			}
			t.HeartbeatAt = b.at
			t.Details = b.details
			if err := tx.UpdateTask(t); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && e.obs != nil {
		oldest := beats[0].at
		for _, b := range beats[1:] {
			if b.at.Before(oldest) {
				oldest = b.at
			}
		}
		e.obs.BeatsFlushed(len(beats), began.Sub(oldest))
	}
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
