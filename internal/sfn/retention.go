package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/startstop"
	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/testsignal"
)

// DefaultRetention is how long a closed execution is kept: AWS keeps a
// closed Standard execution's history for 90 days.
const DefaultRetention = 90 * 24 * time.Hour

// Retention defaults.
const (
	defaultRetentionBatch = 64
	defaultSweepGap       = time.Second
	// sweepPace is how many times as long as its last write's deletes
	// took the sweeper waits before the next write while it has a
	// backlog: it holds the writer at most half the time.
	sweepPace = 1
	// maxSweepWait bounds the wait for the next due execution, so that a
	// clock that jumps forward is noticed within it.
	maxSweepWait = time.Minute
)

// backfillKey is the meta key of the close-time backfill: the Seq of the
// last execution looked at, or "done".
const backfillKey = "sfn.retention.backfill"

// RetentionConfig configures a Retention.
type RetentionConfig struct {
	Engine *engine.Engine
	Logger *slog.Logger
	// Keep is how long a closed execution is kept after its stop date;
	// it must be positive (a node that keeps executions for good runs no
	// Retention).
	Keep time.Duration
	// Batch is how many executions one write deletes; default 64.
	Batch int
	// Gap is the least time between two sweeps, so that executions that
	// fall due one by one are deleted in batches; default 1 s.
	Gap time.Duration
	// Sweeper, if set, says whether this node sweeps now: of several
	// nodes sharing a store, one sweeps (the holder of partition 0), so
	// that they do not delete the same executions at once. Nil: always.
	Sweeper func() bool
}

// Retention deletes closed executions — the record and its history — once
// they have been closed for Keep. State machines, activities, definitions
// and running executions are never touched.
//
// It sweeps by close time: the store lists the executions closed before
// now−Keep, oldest first (store.ObjectQuery.ClosedBefore, an index), and
// each write deletes at most Batch of them, so that a sweep shares the
// writer's group commit with the requests instead of holding it; between
// two writes it waits as long as the last one's deletes took, so that a
// backlog (a node that was down, a shorter retention) takes at most half
// of the writer's time. After a
// sweep it sleeps until the oldest remaining closed execution falls due
// (at least Gap, at most a minute). Nothing is kept in memory: a restart
// continues where the store says.
type Retention struct {
	life  startstop.Base
	eng   *engine.Engine
	log   *slog.Logger
	keep  time.Duration
	batch int
	gap   time.Duration

	sweeper func() bool

	wake    chan struct{}
	deleted atomic.Int64
	swept   testsignal.Signal[struct{}]
}

// NewRetention returns a Retention; Start runs it.
func NewRetention(cfg RetentionConfig) (*Retention, error) {
	if cfg.Keep <= 0 {
		return nil, fmt.Errorf("sfn: retention %v must be positive", cfg.Keep)
	}
	r := &Retention{eng: cfg.Engine, log: cfg.Logger, keep: cfg.Keep, batch: cfg.Batch, gap: cfg.Gap, sweeper: cfg.Sweeper, wake: make(chan struct{}, 1)}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.batch <= 0 {
		r.batch = defaultRetentionBatch
	}
	if r.gap <= 0 {
		r.gap = defaultSweepGap
	}
	return r, nil
}

// Start starts sweeping in the background; the first sweep runs at once.
func (r *Retention) Start(ctx context.Context) error {
	if _, err := r.life.StartInit(ctx); err != nil {
		return err
	}
	r.life.Go(r.run)
	return nil
}

// Stop stops sweeping and returns once the sweeper has exited; a write in
// progress commits or is undone whole. It is safe twice and before Start.
func (r *Retention) Stop() { r.life.Stop() }

// Wake asks for a sweep now, without waiting for the one in progress or
// due (tests move the engine's clock and wake it).
func (r *Retention) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Deleted returns how many executions the sweeps deleted so far.
func (r *Retention) Deleted() int64 { return r.deleted.Load() }

// Swept is signalled at the end of each sweep; tests wait on it (with
// Deleted or the store as the condition).
func (r *Retention) Swept() *testsignal.Signal[struct{}] { return &r.swept }

func (r *Retention) run(ctx context.Context) {
	if err := r.backfill(ctx); err != nil {
		if ctx.Err() != nil {
			return
		}
		// Executions closed before the close time was recorded stay
		// until the next start; the sweep itself goes on.
		r.log.Error("retention: backfill of close times", "err", err)
	}
	for {
		next, err := r.eng.Now(), error(nil)
		if r.sweeper == nil || r.sweeper() {
			next, err = r.sweep(ctx)
		}
		if ctx.Err() != nil {
			return
		}
		now := r.eng.Now()
		if err != nil {
			// ErrOverloaded included: try again after the gap.
			r.log.Warn("retention: sweep", "err", err)
			next = now
		}
		wait := min(max(next.Sub(now), r.gap), maxSweepWait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-r.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// sweep deletes every execution closed before now−keep, a batch per
// write, and returns when the oldest one left falls due.
func (r *Retention) sweep(ctx context.Context) (time.Time, error) {
	defer r.swept.Signal(struct{}{})
	start := time.Now()
	var total int
	for {
		cutoff := r.eng.Now().Add(-r.keep)
		n := 0
		var took time.Duration
		err := r.eng.Update(store.Background(ctx), func(tx store.Tx) error {
			start := time.Now()
			defer func() { took = time.Since(start) }()
			n = 0
			objs, err := tx.ListObjects(store.ObjectQuery{Kind: kindExecution, ClosedBefore: cutoff, Limit: r.batch})
			if err != nil {
				return err
			}
			for _, o := range objs {
				if err := deleteExecution(tx, o.ID); err != nil {
					return err
				}
			}
			n = len(objs)
			return nil
		})
		if err != nil {
			return time.Time{}, fmt.Errorf("delete closed executions: %w", err)
		}
		total += n
		r.deleted.Add(int64(n))
		if n < r.batch {
			break
		}
		t := time.NewTimer(sweepPace * took)
		select {
		case <-ctx.Done():
			t.Stop()
			return time.Time{}, context.Cause(ctx)
		case <-t.C:
		}
	}
	if total > 0 {
		r.log.Debug("retention: deleted closed executions", "count", total, "took", time.Since(start))
	}
	var oldest []*store.Object
	err := r.eng.View(ctx, func(tx store.Tx) error {
		var err error
		oldest, err = tx.ListObjects(store.ObjectQuery{Kind: kindExecution, ClosedBefore: time.Unix(0, math.MaxInt64), Limit: 1})
		return err
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("read the oldest closed execution: %w", err)
	}
	if len(oldest) == 0 {
		// Whatever closes next is due Keep after now at the earliest.
		return r.eng.Now().Add(r.keep), nil
	}
	return oldest[0].ClosedAt.Add(r.keep), nil
}

// deleteExecution deletes a closed execution's record, history and Map
// Runs (which closed with it, or before). A closed execution has no task
// or timer left (close ended them); its definition is shared, by hash,
// and stays. The child executions of its Map Runs are closed executions
// of their own, deleted by their own close time.
func deleteExecution(tx store.Tx, arn string) error {
	if err := tx.DeleteEvents(arn); err != nil {
		return err
	}
	runs, err := tx.ListObjects(store.ObjectQuery{Kind: kindMapRun, Parent: arn})
	if err != nil {
		return err
	}
	for _, o := range runs {
		if err := tx.DeleteObject(kindMapRun, o.ID); err != nil {
			return err
		}
	}
	return tx.DeleteObject(kindExecution, arn)
}

// backfill records the close time of executions closed by a gaffer that
// did not record it (store schema version 1), so that the sweeps see them:
// once per database, a batch per write, resuming after a restart from the
// Seq recorded in meta.
func (r *Retention) backfill(ctx context.Context) error {
	for {
		done := false
		err := r.eng.Update(store.Background(ctx), func(tx store.Tx) error {
			done = false
			after := int64(0)
			v, err := tx.GetMeta(backfillKey)
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return err
			case string(v) == "done":
				done = true
				return nil
			default:
				if after, err = strconv.ParseInt(string(v), 10, 64); err != nil {
					return fmt.Errorf("meta %s: %q is not a Seq", backfillKey, v)
				}
			}
			objs, err := tx.ListObjects(store.ObjectQuery{Kind: kindExecution, AfterSeq: after, Limit: r.batch})
			if err != nil {
				return err
			}
			for _, o := range objs {
				if err := backfillOne(tx, o); err != nil {
					return err
				}
			}
			if len(objs) < r.batch {
				done = true
				return tx.PutMeta(backfillKey, []byte("done"))
			}
			return tx.PutMeta(backfillKey, []byte(strconv.FormatInt(objs[len(objs)-1].Seq, 10)))
		})
		if err != nil || done {
			return err
		}
	}
}

// backfillOne sets the close time of a closed execution that has none.
func backfillOne(tx store.Tx, o *store.Object) error {
	if o.Status == statusRunning || !o.ClosedAt.IsZero() {
		return nil
	}
	var ex struct {
		StopDate time.Time `json:"stopDate"`
	}
	if err := json.Unmarshal(o.Body, &ex); err != nil {
		return fmt.Errorf("decode execution %s: %w", o.ID, err)
	}
	if ex.StopDate.IsZero() {
		return nil
	}
	o.ClosedAt = ex.StopDate
	return tx.PutObject(o)
}
