package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"

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
	broken    error // a nested savepoint (Tx.Savepoint) failed: abort the transaction
}

// writer owns the read-write connection and everything only it touches.
// It is a startstop component: Start runs it, Stop commits what is queued
// and waits for it to exit.
type writer struct {
	life     startstop.Base
	conn     *sql.Conn
	log      *slog.Logger
	maxBatch int
	lanes    *store.Lanes[*job] // sent to by Update while the store is open
	// ctx is the context of every statement on conn: Open's, without its
	// cancellation. A statement once begun runs to the end, so that a
	// transaction is never cut in the middle; the writer stops between
	// transactions.
	ctx context.Context

	stmts map[string]*sql.Stmt // prepared on conn

	seq      int64 // last Object.Seq handed out
	savedSeq int64 // last Object.Seq persisted in sequences

	ran []*job // scratch: the jobs whose functions ran in the current transaction

	// fence, when set (Store.Fence), is the node whose row every
	// transaction checks first.
	fence atomic.Pointer[fence]

	// ckpt is told of every commit; when it sets restartDue, the writer
	// checkpoints between transactions (checkpoint.go).
	ckpt       *checkpointer
	restartDue atomic.Bool

	// Counters for tests.
	checkpoints atomic.Int64 // checkpoints the writer ran (checkpoint)
	batches     atomic.Int64 // transactions committed
	jobs        atomic.Int64 // functions run

	// committed is signalled after each commit, once its AfterCommit
	// callbacks have run and its callers are answered (for tests).
	committed testsignal.Signal[struct{}]
}

func newWriter(ctx context.Context, conn *sql.Conn, lanes *store.Lanes[*job], maxBatch int, log *slog.Logger) (*writer, error) {
	w := &writer{
		conn:     conn,
		log:      log,
		maxBatch: maxBatch,
		lanes:    lanes,
		ctx:      context.WithoutCancel(ctx),
		stmts:    make(map[string]*sql.Stmt),
	}
	var saved, stored int64
	err := conn.QueryRowContext(ctx, `SELECT value FROM sequences WHERE name = 'objects'`).Scan(&saved)
	if err != nil {
		return nil, fmt.Errorf("load object sequence: %w", err)
	}
	err = conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM objects`).Scan(&stored)
	if err != nil {
		return nil, fmt.Errorf("load object sequence: %w", err)
	}
	w.seq = max(saved, stored)
	w.savedSeq = saved
	for _, q := range []string{qBegin, qCommit, qRollback, qSavepoint, qRelease, qRollbackTo,
		qSubSavepoint, qSubRelease, qSubRollbackTo, qSaveSeq, qCheckpoint} {
		if _, err := w.stmt(q); err != nil {
			w.closeStmts()
			return nil, fmt.Errorf("prepare %q: %w", q, err)
		}
	}
	return w, nil
}

const (
	qBegin      = `BEGIN IMMEDIATE`
	qCommit     = `COMMIT`
	qRollback   = `ROLLBACK`
	qSavepoint  = `SAVEPOINT sp`
	qRelease    = `RELEASE sp`
	qRollbackTo = `ROLLBACK TO sp`
	// Tx.Savepoint's, nested in a job's.
	qSubSavepoint  = `SAVEPOINT sub`
	qSubRelease    = `RELEASE sub`
	qSubRollbackTo = `ROLLBACK TO sub`
	qSaveSeq       = `UPDATE sequences SET value = ? WHERE name = 'objects'`
)

// stmt returns query prepared on the writer's connection.
func (w *writer) stmt(query string) (*sql.Stmt, error) {
	if st, ok := w.stmts[query]; ok {
		return st, nil
	}
	st, err := w.conn.PrepareContext(w.ctx, query)
	if err != nil {
		return nil, err
	}
	w.stmts[query] = st
	return st, nil
}

func (w *writer) exec(query string, args ...any) error {
	st, err := w.stmt(query)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(w.ctx, args...)
	return err
}

func (w *writer) closeStmts() {
	for q, st := range w.stmts {
		_ = st.Close()
		delete(w.stmts, q)
	}
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
// for it. The store stops taking jobs first (Close), so none is left
// behind.
func (w *writer) Stop() { w.life.Stop() }

// run is the writer goroutine: it commits batches of jobs from the lanes,
// in as few transactions as each takes, until ctx ends, then those still
// queued (the store takes no more jobs by then).
func (w *writer) run(ctx context.Context) {
	w.lanes.Serve(ctx.Done(), w.maxBatch, func(batch []*job) {
		for rest := batch; len(rest) > 0; {
			rest = w.runTx(rest)
		}
		if w.restartDue.CompareAndSwap(true, false) {
			w.checkpoint()
		}
	})
}

// checkpoint copies the rest of the write-ahead log into the database file,
// after the checkpointer found the log long: once all of it is copied, the
// writer's next transaction starts the log again from its beginning. When
// the checkpointer's own pass holds the checkpoint lock at that moment, the
// writer tries again after its next transaction.
func (w *writer) checkpoint() {
	w.checkpoints.Add(1)
	st, err := w.stmt(qCheckpoint)
	var busy, frames, copied int
	if err == nil {
		err = st.QueryRowContext(w.ctx).Scan(&busy, &frames, &copied)
	}
	if err != nil {
		w.log.Warn("sqlite: checkpoint failed", slog.Any("error", err))
		return
	}
	if busy != 0 {
		w.restartDue.Store(true)
	}
}

// claim takes j for running. It returns false if j must not run: the caller
// gave up on it, or its context is done (then j is answered).
func (w *writer) claim(j *job) bool {
	if !j.state.CompareAndSwap(jobQueued, jobRunning) {
		return false
	}
	if err := j.ctx.Err(); err != nil {
		j.reply <- err
		return false
	}
	return true
}

// runTx runs jobs in one transaction and answers them. If the transaction
// breaks before every job has run, it answers the ones that ran and returns
// the rest, to be run in a new transaction. When the store is fenced and
// the fence check fails, no job runs: each gets the check's error.
func (w *writer) runTx(jobs []*job) (rest []*job) {
	if err := w.exec(qBegin); err != nil {
		err = fmt.Errorf("sqlite: begin: %w", err)
		for _, j := range jobs {
			if w.claim(j) {
				j.reply <- err
			}
		}
		return nil
	}
	if f := w.fence.Load(); f != nil {
		if err := w.checkFence(f); err != nil {
			if rbErr := w.exec(qRollback); rbErr != nil {
				w.log.Debug("rollback after fence check", slog.Any("error", rbErr))
			}
			if !errors.Is(err, store.ErrFenced) {
				err = fmt.Errorf("sqlite: fence check: %w", err)
			}
			for _, j := range jobs {
				if w.claim(j) {
					j.reply <- err
				}
			}
			return nil
		}
	}
	w.ran = w.ran[:0]
	defer func() { clear(w.ran) }()
	for i, j := range jobs {
		if !w.claim(j) {
			continue
		}
		w.ran = append(w.ran, j)
		if err := w.runJob(j); err != nil {
			// The transaction is gone: nothing that ran is committed.
			w.abort(fmt.Errorf("sqlite: transaction aborted: %w", err))
			return jobs[i+1:]
		}
	}

	var err error
	if w.seq != w.savedSeq {
		if err = w.exec(qSaveSeq, w.seq); err != nil {
			err = fmt.Errorf("save object sequence: %w", err)
		}
	}
	if err == nil {
		err = w.exec(qCommit)
	}
	if err != nil {
		w.abort(fmt.Errorf("sqlite: commit: %w", err))
		return nil
	}
	w.savedSeq = w.seq
	w.batches.Add(1)
	w.ckpt.committed()
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
	return nil
}

// abort rolls the transaction back and answers every job that ran with err,
// except those whose own function failed, which keep their error.
func (w *writer) abort(err error) {
	if rbErr := w.exec(qRollback); rbErr != nil {
		w.log.Debug("rollback after failed transaction", slog.Any("error", rbErr))
	}
	w.log.Error("sqlite transaction failed", slog.Any("error", err), slog.Int("jobs", len(w.ran)))
	for _, j := range w.ran {
		if j.err == nil {
			j.err = err
		}
		j.callbacks = nil
		j.reply <- j.err
	}
}

// runJob runs j's function in a savepoint and records its outcome in j.err.
// It returns an error only when the transaction itself is broken.
func (w *writer) runJob(j *job) error {
	w.jobs.Add(1)
	if err := w.exec(qSavepoint); err != nil {
		return err
	}
	t := &tx{w: w, job: j}
	j.err = w.call(j.fn, t)
	t.finish()
	if j.broken != nil {
		j.err = j.broken
		return j.broken
	}
	if j.err != nil {
		j.callbacks = nil
		if err := w.exec(qRollbackTo); err != nil {
			return err
		}
	}
	return w.exec(qRelease)
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
var errPanic = errors.New("sqlite: update function panicked")

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
