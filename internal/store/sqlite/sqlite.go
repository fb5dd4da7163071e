// Package sqlite implements store.Store on a single SQLite file, through
// modernc.org/sqlite (pure Go).
//
// # Writes: group commit through one writer
//
// One goroutine, the writer, owns the only read-write connection. Update
// puts a job on a bounded queue (a full queue fails at once with
// store.ErrOverloaded) and waits for its answer. The writer takes a job,
// drains whatever else is queued (up to Options.MaxBatch), and runs them all
// in one BEGIN IMMEDIATE ... COMMIT, so that the whole batch shares one fsync:
//
//   - each job's function runs inside SAVEPOINT sp ... RELEASE sp; when it
//     returns an error or panics, ROLLBACK TO sp undoes its writes only, its
//     AfterCommit callbacks are dropped and its Update returns that error;
//   - Tx.Savepoint nests SAVEPOINT sub ... RELEASE sub inside a job, with
//     the same rules for the part of the job it runs; if those statements
//     themselves fail, the whole transaction is aborted;
//   - after COMMIT the surviving jobs' AfterCommit callbacks run on the
//     writer, in job order, and then every job is answered;
//   - if COMMIT fails, every job in the batch gets the error and no callback
//     runs; if the transaction itself breaks mid-batch (a failed ROLLBACK TO
//     or RELEASE), the jobs that ran get the error and the ones that had not
//     started yet run in a fresh transaction.
//
// The queue is two lanes (store.Lanes): jobs a request waits on, and
// background jobs (an Update whose context comes from store.Background:
// deadline firings, heartbeat flushes, sweeps). A batch is drained from one
// lane; a background job has a transaction of its own. While requests keep
// coming, the background lane gets store.BackgroundShare of the writer's
// time (a token bucket: see store.Lanes), so that it is bounded but never
// shut out.
//
// A job whose context is done before the writer reaches it does not run:
// Update returns the context's error, and nothing was written. Once the
// writer has started a job's function, Update waits for the outcome even if
// the context ends, because the caller must know whether it committed.
//
// # Durability
//
// The database is in WAL mode with synchronous=FULL: an Update that
// returned nil survives kill -9 and power loss.
//
// # Checkpoints
//
// The writer does not checkpoint inside its commits (wal_autocheckpoint is
// off on its connection): a checkpointer goroutine on a connection of its
// own copies the log into the database file in PASSIVE checkpoints, and
// when the log has grown to restartFrames it asks the writer for one
// checkpoint between transactions, which lets the log restart from its
// beginning (checkpoint.go).
//
// # Reads
//
// View runs on a separate pool of query_only connections, in a deferred
// transaction: its snapshot is taken at its first read and held until fn
// returns. Writes in a View fail with an error; AfterCommit in a View does
// nothing.
//
// # Sequences
//
// Object.Seq comes from a counter the writer keeps in memory. It is loaded at
// Open (the larger of the persisted counter and the largest stored Seq) and
// persisted in the sequences table once per transaction, so a Seq is never
// handed out twice, even for an object that was since deleted. Seqs taken by
// a rolled-back function are skipped, leaving gaps. Because one writer
// assigns them and commits in order, Seq order is also commit order. Task and
// timer IDs come from AUTOINCREMENT and are never reused after a delete.
//
// # Membership and fencing
//
// The store.Tx membership methods (member.go) keep the nodes and partition
// leases in tables of their own; a node's epoch comes from the node_epoch
// row of sequences; the store's clock is time.Now(). An SQLite file has one
// node, but the same engine code runs on it. Store.Fence (store.Fencer)
// makes the writer check the node's row at the start of each transaction
// and fail the whole batch with store.ErrFenced, without running its
// functions, when the row is gone; unfenced, the check costs nothing.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/testsignal"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Options configure a Store. The zero value is usable.
type Options struct {
	Logger    *slog.Logger // nil: discard
	QueueSize int          // pending Update calls per lane (store.Lane) before ErrOverloaded; default 8192
	MaxBatch  int          // Update functions per transaction; default 512
	// Init lets Open create the schema in an existing file that is empty
	// or holds no table; without it Open refuses such a file (a missing
	// file is always created).
	Init bool
}

// Defaults for Options.
const (
	DefaultQueueSize = 8192
	DefaultMaxBatch  = 512
)

const busyTimeoutMillis = 5000

// Store is a store.Store on one SQLite file. Create it with Open.
type Store struct {
	path string
	log  *slog.Logger

	wdb   *sql.DB   // the writer's database handle, one connection
	wconn *sql.Conn // the writer's connection: only the writer goroutine uses it
	rdb   *sql.DB   // read-only pool for View

	rstmtsMu sync.Mutex
	rstmts   map[string]*sql.Stmt // statements prepared on rdb

	// mu guards closed and sending on queue: once Close has set closed,
	// nothing more is queued, and the writer can flush what is.
	mu     sync.RWMutex
	closed bool
	lanes  *store.Lanes[*job]

	isClosed  atomic.Bool
	closeOnce sync.Once
	closeErr  error

	w    *writer
	ckpt *checkpointer

	// onEnqueue, when set (by tests, before any Update), is called after a
	// job has been queued.
	onEnqueue func()
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path, applies the
// schema migrations, and starts the writer. ctx bounds the opening; the
// store then runs until Close, whatever becomes of ctx. It returns an error
// wrapping ErrSchemaTooNew if the file was written by a newer gaffer.
//
// Before it serves a file, Open checks it (integrity.go): a missing file is
// created with mode 0600; an existing one must start with the SQLite header,
// pass PRAGMA quick_check (else ErrDamaged) and hold gaffer's schema (else
// ErrNotGaffer, or ErrNoSchema for an empty file, which Options.Init
// accepts). Existing files readable by others are set to 0600.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	fresh, err := prepareFile(abs, opts.Init, opts.Logger)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	wdb, err := sql.Open("sqlite", dsn(abs,
		"journal_mode(WAL)", "synchronous(FULL)", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMillis),
		// Savepoint sub-journals stay in memory rather than in a temp file:
		// every Update runs in a savepoint, so this is on the hot path.
		"temp_store(MEMORY)",
		// The checkpointer copies the log, and asks the writer for the
		// checkpoints that restart it (checkpoint.go).
		"wal_autocheckpoint(0)"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	wconn, err := wdb.Conn(ctx)
	if err != nil {
		_ = wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	fail := func(err error) (*Store, error) {
		_ = wconn.Close()
		_ = wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if !fresh {
		if err := verifyOpened(ctx, wconn, abs, opts.Init, opts.Logger); err != nil {
			return fail(err)
		}
	}
	if err := migrate(ctx, wconn); err != nil {
		return fail(err)
	}
	lanes := store.NewLanes[*job](opts.QueueSize)
	w, err := newWriter(ctx, wconn, lanes, opts.MaxBatch, opts.Logger)
	if err != nil {
		return fail(err)
	}

	readers := max(4, runtime.GOMAXPROCS(0))
	rdb, err := sql.Open("sqlite", dsn(abs,
		fmt.Sprintf("busy_timeout(%d)", busyTimeoutMillis), "query_only(1)"))
	if err != nil {
		w.closeStmts()
		return fail(err)
	}
	rdb.SetMaxOpenConns(readers)
	rdb.SetMaxIdleConns(readers)
	rdb.SetConnMaxLifetime(0)
	rdb.SetConnMaxIdleTime(0)
	if err := rdb.PingContext(ctx); err != nil {
		_ = rdb.Close()
		w.closeStmts()
		return fail(err)
	}

	ckpt, err := newCheckpointer(ctx, abs, checkpointEvery, &w.restartDue, opts.Logger)
	if err != nil {
		_ = rdb.Close()
		w.closeStmts()
		return fail(err)
	}
	w.ckpt = ckpt

	s := &Store{
		ckpt:   ckpt,
		path:   path,
		log:    opts.Logger,
		wdb:    wdb,
		wconn:  wconn,
		rdb:    rdb,
		rstmts: make(map[string]*sql.Stmt),
		lanes:  lanes,
		w:      w,
	}
	// The writer and the checkpointer live until Close, not until the end
	// of ctx, which may be a start-up context.
	if err := ckpt.Start(context.WithoutCancel(ctx)); err != nil {
		_ = ckpt.Stop()
		_ = rdb.Close()
		w.closeStmts()
		return fail(err)
	}
	if err := w.Start(context.WithoutCancel(ctx)); err != nil {
		_ = ckpt.Stop()
		_ = rdb.Close()
		w.closeStmts()
		return fail(err)
	}
	return s, nil
}

// dsn returns the modernc.org/sqlite data source name for the file at the
// absolute path abs with the given per-connection pragmas.
func dsn(abs string, pragmas ...string) string {
	var b strings.Builder
	b.WriteString("file:")
	b.WriteString(uriEscaper.Replace(abs))
	for i, p := range pragmas {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString("_pragma=")
		b.WriteString(p)
	}
	return b.String()
}

// uriEscaper escapes the characters that mean something in an SQLite URI
// filename.
var uriEscaper = strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23")

// Close stops accepting Updates (they return store.ErrClosed), commits the
// ones already queued, stops the writer and closes the database. It is safe
// to call more than once; later calls return the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.isClosed.Store(true)
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.w.Stop()

		var errs []error
		errs = append(errs, s.ckpt.Stop())
		s.w.closeStmts()
		s.rstmtsMu.Lock()
		for _, st := range s.rstmts {
			errs = append(errs, st.Close())
		}
		s.rstmts = nil
		s.rstmtsMu.Unlock()
		errs = append(errs, s.rdb.Close(), s.wconn.Close(), s.wdb.Close())
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("sqlite: close: %w", err)
		}
	})
	return s.closeErr
}

// Committed is signalled after each transaction commits, once its
// AfterCommit callbacks have run; tests wait on it (re-reading what they
// expect) instead of sleeping.
func (s *Store) Committed() *testsignal.Signal[struct{}] { return &s.w.committed }

// Update implements store.Store. It returns store.ErrOverloaded at once when
// Options.QueueSize Updates are already waiting in its lane (store.LaneOf
// ctx), and store.ErrClosed after Close. If ctx ends while the job is still queued, Update returns ctx.Err()
// and the function never runs.
//
// fn runs on the writer goroutine, holding up every other write while it
// runs: it must be quick, must not block, and must not call Update (that
// would wait for the writer that is running it). A panic in fn is recovered
// and returned as an error.
func (s *Store) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j := &job{ctx: ctx, fn: fn, reply: make(chan error, 1)}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return store.ErrClosed
	}
	select {
	case s.lanes.Queue(store.LaneOf(ctx)) <- j:
	default:
		s.mu.RUnlock()
		return store.ErrOverloaded
	}
	s.mu.RUnlock()
	if s.onEnqueue != nil {
		s.onEnqueue()
	}

	done := ctx.Done()
	if done == nil {
		return <-j.reply
	}
	select {
	case err := <-j.reply:
		return err
	case <-done:
		if j.state.CompareAndSwap(jobQueued, jobAbandoned) {
			// The writer will skip it: nothing was written.
			return ctx.Err()
		}
		// The writer has started it: wait for the outcome.
		return <-j.reply
	}
}

// View implements store.Store. It returns store.ErrClosed after Close.
func (s *Store) View(ctx context.Context, fn func(tx store.Tx) error) error {
	if s.isClosed.Load() {
		return store.ErrClosed
	}
	sqlTx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		if s.isClosed.Load() {
			return store.ErrClosed
		}
		return fmt.Errorf("sqlite: begin view: %w", err)
	}
	t := &tx{ctx: ctx, s: s, rtx: sqlTx}
	err = func() error {
		defer func() {
			t.finish()
			_ = sqlTx.Rollback()
		}()
		return fn(t)
	}()
	// The statements this view prepared on its own connection go in the
	// cache now that the connection is back in the pool (see tx.stmt).
	s.cacheReadStmts(ctx, t.uncached)
	return err
}

// cachedReadStmt returns query prepared on the read pool, if it is.
func (s *Store) cachedReadStmt(query string) (*sql.Stmt, bool, error) {
	s.rstmtsMu.Lock()
	defer s.rstmtsMu.Unlock()
	if s.rstmts == nil {
		return nil, false, store.ErrClosed
	}
	st, ok := s.rstmts[query]
	return st, ok, nil
}

// cacheReadStmts prepares queries on the read pool for later views. It
// must not run inside a view: preparing on the pool takes a connection of
// its own, and views that each held one while waiting for another (all of
// the pool's, at the first queries after a start) waited for each other
// until their callers gave up. A query that fails to prepare is left for a
// later view.
func (s *Store) cacheReadStmts(ctx context.Context, queries map[string]*sql.Stmt) {
	for q := range queries {
		if _, ok, err := s.cachedReadStmt(q); ok || err != nil {
			continue
		}
		st, err := s.rdb.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		s.rstmtsMu.Lock()
		if _, ok := s.rstmts[q]; ok || s.rstmts == nil {
			_ = st.Close() // another view's came first, or the store closed
		} else {
			s.rstmts[q] = st
		}
		s.rstmtsMu.Unlock()
	}
}
