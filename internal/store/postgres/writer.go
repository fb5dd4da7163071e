package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gaffer-dev/gaffer/internal/startstop"
	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/testsignal"
)

// Job states: the writer moves a job from queued to running before it runs
// the job's function; Update moves it from queued to abandoned when the
// caller's context ends first. Whoever wins the swap decides.
const (
	jobQueued int32 = iota
	jobRunning
	jobAbandoned
)

// job is one Update call.
type job struct {
	ctx   context.Context
	fn    func(store.Tx) error
	state atomic.Int32
	reply chan error // buffered: the writer never waits for the caller

	// Owned by the writer.
	callbacks []func()
	err       error
	tries     int   // transactions it ran in that a deadlock or serialization failure aborted
	stmtErr   error // a statement of fn failed (the savepoint is aborted)
}

// fence is what Store.Fence set: the node row every write transaction
// checks first.
type fence struct {
	node  string
	epoch int64
}

// writer runs the Update functions, in batches, one transaction at a time.
// It is a startstop component: Start runs it, Stop commits what is queued
// and waits for it to exit.
type writer struct {
	life     startstop.Base
	pool     *pgxpool.Pool
	log      *slog.Logger
	maxBatch int
	retries  int
	lanes    *store.Lanes[*job]

	fence atomic.Pointer[fence]

	// The current transaction: owned by the writer goroutine. Its ctx,
	// the context of every statement the writer sends, is Open's without
	// its cancellation: a statement once begun runs to the end, so that a
	// transaction is never cut in the middle; the writer stops between
	// transactions.
	session
	// subxacts counts the savepoints of the transaction that sent
	// statements (PostgreSQL subtransactions).
	subxacts int
	ran      []*job

	// Counters for tests and benchmarks.
	batches atomic.Int64 // transactions committed (that sent a statement)
	jobs    atomic.Int64 // functions run (a re-run counts again)
	retried atomic.Int64 // transactions re-run after a deadlock or serialization failure

	// committed is signalled after each commit, once its AfterCommit
	// callbacks have run and its callers are answered (for tests).
	committed testsignal.Signal[struct{}]
}

// Start runs the writer goroutine. ctx is the parent of its context; the
// store starts it with one that does not end, so that only Stop (from
// Close) ends it.
func (w *writer) Start(ctx context.Context) error {
	if _, err := w.life.StartInit(ctx); err != nil {
		return err
	}
	w.life.Go(w.run)
	return nil
}

// Stop makes the writer commit the jobs still queued and exit, and waits
// for it.
func (w *writer) Stop() { w.life.Stop() }

// run is the writer goroutine: it commits batches of jobs from the lanes,
// in as few transactions as each takes, until ctx ends, then those still
// queued (the store takes no more jobs by then).
func (w *writer) run(ctx context.Context) {
	w.lanes.Serve(ctx.Done(), w.maxBatch, func(batch []*job) {
		for rest := batch; len(rest) > 0; {
			rest = w.runTx(rest)
		}
	})
}

// claim takes j for running. It returns false if j must not run: the caller
// gave up on it, or its context is done (then j is answered). A job that
// already ran in a transaction that was aborted is the writer's: it runs
// again whatever its context says.
func (w *writer) claim(j *job) bool {
	if j.state.Load() == jobRunning {
		return true
	}
	if !j.state.CompareAndSwap(jobQueued, jobRunning) {
		return false
	}
	if err := j.ctx.Err(); err != nil {
		j.reply <- err
		return false
	}
	return true
}

// answerAll answers every job it can claim with err.
func (w *writer) answerAll(jobs []*job, err error) {
	for _, j := range jobs {
		if w.claim(j) {
			j.reply <- err
		}
	}
}

// runTx runs jobs in one transaction and answers them. If the transaction
// breaks before every job has run, it answers the ones that ran (or, after
// a deadlock or serialization failure, puts them first in line again) and
// returns the rest, to be run in a new transaction.
func (w *writer) runTx(jobs []*job) (rest []*job) {
	pc, err := w.pool.Acquire(w.ctx)
	if err != nil {
		w.answerAll(jobs, fmt.Errorf("postgres: begin: %w", err))
		return nil
	}
	defer pc.Release()
	w.conn = pc.Conn()
	w.pending = append(w.pending[:0], "BEGIN")
	w.sent, w.broken, w.retry, w.subxacts = 0, nil, false, 0
	w.ran = w.ran[:0]
	defer func() {
		w.conn = nil
		clear(w.ran)
	}()

	if f := w.fence.Load(); f != nil {
		var one int
		err := w.queryRow(`SELECT 1 FROM gaffer_nodes WHERE id = $1 AND epoch = $2 FOR KEY SHARE`,
			[]any{f.node, f.epoch}, &one)
		if errors.Is(err, pgx.ErrNoRows) {
			w.rollback()
			w.answerAll(jobs, fmt.Errorf("postgres: node %s (epoch %d): %w", f.node, f.epoch, store.ErrFenced))
			return nil
		}
		if err != nil {
			w.rollback()
			w.answerAll(jobs, fmt.Errorf("postgres: fence check: %w", err))
			return nil
		}
	}

	for i, j := range jobs {
		if !w.claim(j) {
			continue
		}
		w.ran = append(w.ran, j)
		w.runJob(j)
		if w.broken != nil {
			return w.abort(jobs[i+1:], fmt.Errorf("postgres: transaction aborted: %w", w.broken))
		}
		if w.subxacts >= maxSubxacts {
			rest = jobs[i+1:]
			break
		}
	}

	if err := w.commitTx(); err != nil {
		return w.abort(rest, fmt.Errorf("postgres: commit: %w", err))
	}
	if w.sent > 0 {
		w.batches.Add(1)
	}
	for _, j := range w.ran {
		if j.err == nil {
			for _, f := range j.callbacks {
				w.callback(f)
			}
		}
		j.callbacks = nil
		j.reply <- j.err
	}
	w.committed.Signal(struct{}{})
	return rest
}

// maxSubxacts bounds the subtransactions (savepoints that wrote) of one
// transaction: past 64, PostgreSQL's per-backend cache of subtransaction
// ids overflows, and while the transaction runs every other session's
// snapshot must look its subtransactions up in pg_subtrans, a known
// slowdown. A batch is committed once it reaches the bound, and the jobs
// left run in the next transaction. (One function with more nested
// savepoints than that still runs in one transaction.)
const maxSubxacts = 64

// abort rolls the transaction back. After a deadlock or serialization
// failure, the jobs that ran are returned, before notRun, to run again
// (unless they have been tried too often); otherwise they are answered
// with err, except those whose own function failed, which keep their
// error.
func (w *writer) abort(notRun []*job, err error) (rest []*job) {
	w.rollback()
	retry := w.retry || retryable(err)
	if retry {
		w.retried.Add(1)
	}
	var again []*job
	for _, j := range w.ran {
		j.callbacks = nil
		if retry && j.tries < w.retries {
			j.tries++
			j.err, j.stmtErr = nil, nil
			again = append(again, j)
			continue
		}
		if j.err == nil || retry {
			j.err = err
		}
		j.reply <- j.err
	}
	if len(again) > 0 {
		w.log.Debug("postgres transaction re-run", slog.Any("error", err), slog.Int("jobs", len(again)))
		w.backoff(again[0].tries)
		return append(again, notRun...)
	}
	w.log.Error("postgres transaction failed", slog.Any("error", err), slog.Int("jobs", len(w.ran)))
	return notRun
}

// backoff waits a short, jittered while before a re-run, longer after
// each try, so that two nodes that deadlocked do not meet again at once.
func (w *writer) backoff(tries int) {
	d := time.Duration(tries) * time.Millisecond
	d += rand.N(d + time.Millisecond)
	t := time.NewTimer(d)
	defer t.Stop()
	<-t.C
}

// retryable reports whether err is a deadlock, a serialization failure or
// a lock wait past lock_timeout, after which the work may run again.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001" || pgErr.Code == "55P03")
}

// rollback ends the transaction, if one was begun.
func (w *writer) rollback() {
	w.pending = w.pending[:0]
	if w.sent == 0 {
		return
	}
	if _, err := w.conn.Exec(w.ctx, "ROLLBACK"); err != nil {
		w.log.Debug("rollback after failed transaction", slog.Any("error", err))
	}
}

// commitTx commits, sending the last RELEASE with the COMMIT. A
// transaction that sent nothing was never begun.
func (w *writer) commitTx() error {
	if w.sent == 0 {
		w.pending = w.pending[:0]
		return nil
	}
	w.pending = append(w.pending, "COMMIT")
	tag, err := w.conn.Exec(w.ctx, strings.Join(w.pending, "; "))
	w.pending = w.pending[:0]
	if err != nil {
		return err
	}
	if tag.String() != "COMMIT" {
		// COMMIT of a transaction that had failed answers ROLLBACK.
		return fmt.Errorf("the transaction was rolled back (%s)", tag)
	}
	return nil
}

// runJob runs j's function in a savepoint and records its outcome in j.err.
// The savepoint statements go out with the function's first statement and
// with the next job's (or the COMMIT): a function that sends no statement
// costs no round trip.
func (w *writer) runJob(j *job) {
	w.jobs.Add(1)
	w.pending = append(w.pending, "SAVEPOINT sp")
	sent := w.sent
	t := &tx{w: w, job: j}
	j.err = w.call(j.fn, t)
	t.finish()
	if w.broken != nil {
		return
	}
	if j.err == nil && j.stmtErr != nil {
		// fn went on after a failed statement: PostgreSQL has aborted its
		// savepoint, so its writes cannot commit.
		j.err = fmt.Errorf("postgres: the update function went on after a failed statement: %w", j.stmtErr)
	}
	if j.err != nil {
		j.callbacks = nil
	}
	if w.sent == sent {
		// Nothing was sent: the savepoint was never taken.
		w.pending = w.pending[:len(w.pending)-1]
		return
	}
	w.subxacts++
	if j.err != nil {
		// Rolled back at once, in a round trip of its own: the savepoint
		// may be aborted (a failed statement), and until it is rolled
		// back PostgreSQL refuses even the preparation of the next
		// statement, which would go out before it in a batch.
		w.pending = append(w.pending, "ROLLBACK TO SAVEPOINT sp", "RELEASE SAVEPOINT sp")
		_, err := w.conn.Exec(w.ctx, strings.Join(w.pending, "; "))
		w.pending = w.pending[:0]
		w.sent++
		if err != nil && w.broken == nil {
			w.broken = err
			w.retry = w.retry || retryable(err)
		}
		return
	}
	w.pending = append(w.pending, "RELEASE SAVEPOINT sp")
}

// failed records a statement's error: the transaction is broken if the
// error is a deadlock or serialization failure, or the connection is
// gone.
func (w *writer) failed(j *job, err error) {
	if retryable(err) {
		w.retry = true
		if w.broken == nil {
			w.broken = err
		}
		return
	}
	if w.conn.IsClosed() {
		if w.broken == nil {
			w.broken = err
		}
		return
	}
	if j != nil && j.stmtErr == nil {
		j.stmtErr = err
	}
}

// call runs fn, turning a panic into an error.
func (w *writer) call(fn func(store.Tx) error, t *tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("store update function panicked", slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
			err = fmt.Errorf("%w: %v", errPanic, r)
		}
	}()
	return fn(t)
}

// errPanic is wrapped by the error Update returns when its function panicked.
var errPanic = errors.New("postgres: update function panicked")

// callback runs an AfterCommit callback; a panic is logged, not propagated:
// the transaction has committed and the writer must go on.
func (w *writer) callback(f func()) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("store AfterCommit callback panicked", slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
		}
	}()
	f()
}
