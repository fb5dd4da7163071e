package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/testsignal"
)

// Options configure a Store. The zero value is usable.
type Options struct {
	Logger    *slog.Logger // nil: discard
	QueueSize int          // pending Update calls per lane (store.Lane) before ErrOverloaded; default 8192
	MaxBatch  int          // Update functions per transaction; default 512
	// MaxConns is the size of the connection pool that the writer and
	// View share (Listen has a connection of its own); default 8.
	MaxConns int
	// Retries is how many times an Update function runs again after a
	// deadlock, a serialization failure or a lock wait past LockTimeout
	// stopped it; default 10.
	Retries int
	// LockTimeout bounds how long a statement waits for a row another
	// transaction holds (PostgreSQL's lock_timeout); default 50 ms. Past
	// it the batch is rolled back and runs again (see Retries), as after
	// a deadlock: it breaks deadlocks between nodes' batches in
	// milliseconds, where PostgreSQL's own detection waits
	// deadlock_timeout (1 s by default, which only a superuser may lower).
	LockTimeout time.Duration
}

// Defaults for Options.
const (
	DefaultQueueSize = 8192
	DefaultMaxBatch  = 512
	DefaultMaxConns  = 8
	DefaultRetries   = 10
	// DefaultLockTimeout is Options.LockTimeout's default.
	DefaultLockTimeout = 50 * time.Millisecond
)

// defaultConnectTimeout bounds a connection attempt when the DSN does not
// (connect_timeout).
const defaultConnectTimeout = 10 * time.Second

// Store is a store.Store on a PostgreSQL database, which several nodes
// may share (store.Fencer, store.Notifier). Create it with Open.
type Store struct {
	log  *slog.Logger
	pool *pgxpool.Pool

	// mu guards closed and sending on queue: once Close has set closed,
	// nothing more is queued, and the writer can flush what is.
	mu     sync.RWMutex
	closed bool
	lanes  *store.Lanes[*job]

	isClosed  atomic.Bool
	closeOnce sync.Once
	// life ends at Close: Listen stops with it.
	life     context.Context
	stopLife context.CancelFunc

	w *writer
}

var (
	_ store.Store    = (*Store)(nil)
	_ store.Fencer   = (*Store)(nil)
	_ store.Notifier = (*Store)(nil)
)

// Open connects to the database that dsn names (a PostgreSQL URL or
// key=value string, as pgx takes), brings its schema up to date and
// starts the writer. ctx bounds the opening; the store then runs until
// Close, whatever becomes of ctx. It returns an error wrapping
// ErrSchemaTooNew if the database was written by a newer gaffer.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = DefaultMaxConns
	}
	if opts.Retries <= 0 {
		opts.Retries = DefaultRetries
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = DefaultLockTimeout
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	cfg.MaxConns = int32(opts.MaxConns)
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// A dial to an unreachable server would otherwise wait for TCP to
		// give up (minutes), holding up the writer.
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "gaffer"
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["lock_timeout"]; !ok {
		cfg.ConnConfig.RuntimeParams["lock_timeout"] = strconv.FormatInt(opts.LockTimeout.Milliseconds(), 10)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	lanes := store.NewLanes[*job](opts.QueueSize)
	w := &writer{
		pool:     pool,
		log:      opts.Logger,
		maxBatch: opts.MaxBatch,
		retries:  opts.Retries,
		lanes:    lanes,
		session:  session{ctx: context.WithoutCancel(ctx)},
	}
	life, stopLife := context.WithCancel(context.WithoutCancel(ctx))
	s := &Store{log: opts.Logger, pool: pool, lanes: lanes, life: life, stopLife: stopLife, w: w}
	// The writer lives until Close, not until the end of ctx, which may be
	// a start-up context.
	if err := w.Start(context.WithoutCancel(ctx)); err != nil {
		stopLife()
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return s, nil
}

// Close stops accepting Updates (they return store.ErrClosed), commits the
// ones already queued, stops the writer, ends Listen calls and closes the
// pool. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.isClosed.Store(true)
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.w.Stop()
		s.stopLife()
		s.pool.Close()
	})
	return nil
}

// Committed is signalled after each transaction commits, once its
// AfterCommit callbacks have run; tests wait on it instead of sleeping.
func (s *Store) Committed() *testsignal.Signal[struct{}] { return &s.w.committed }

// Update implements store.Store. It returns store.ErrOverloaded at once when
// Options.QueueSize Updates are already waiting in its lane (store.LaneOf
// ctx), and store.ErrClosed after Close. If ctx ends while the job is still queued, Update returns ctx.Err()
// and the function never runs. Once Fence has named this node, a
// transaction whose node row is gone runs no function, and their Updates
// return an error wrapping store.ErrFenced.
//
// fn runs on the writer goroutine, holding up every other write of this
// store while it runs (and while it waits for a row another node has
// locked): it must be quick, must not block, and must not call Update. A
// panic in fn is recovered and returned as an error. fn may run more than
// once (see store.Store.Update).
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

	done := ctx.Done()
	if done == nil {
		return <-j.reply
	}
	select {
	case err := <-j.reply:
		return err
	case <-done:
		if j.state.CompareAndSwap(jobQueued, jobAbandoned) {
			return ctx.Err()
		}
		return <-j.reply
	}
}

// View implements store.Store: fn runs in a REPEATABLE READ READ ONLY
// transaction, a snapshot taken at its first statement (BEGIN goes out
// with that statement, in one round trip). It returns store.ErrClosed after
// Close.
func (s *Store) View(ctx context.Context, fn func(tx store.Tx) error) error {
	if s.isClosed.Load() {
		return store.ErrClosed
	}
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		if s.isClosed.Load() {
			return store.ErrClosed
		}
		return fmt.Errorf("postgres: begin view: %w", err)
	}
	defer pc.Release()
	r := &session{conn: pc.Conn(), ctx: ctx, pending: []string{qBeginView}}
	defer func() {
		if r.sent == 0 {
			return // never begun
		}
		// Even when ctx is done: a connection left in a transaction is
		// not reused (the pool closes it), but one that can be is better.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = r.conn.Exec(rctx, "ROLLBACK")
	}()
	t := &tx{r: r}
	defer t.finish()
	return fn(t)
}

const qBeginView = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

// Fence implements store.Fencer: from now on, each write transaction first
// checks, under FOR KEY SHARE, that node's row is there with epoch.
// Fence("", 0) turns the check off.
func (s *Store) Fence(node string, epoch int64) {
	if node == "" {
		s.w.fence.Store(nil)
		return
	}
	s.w.fence.Store(&fence{node: node, epoch: epoch})
}

// maxPayload is the largest notice payload the contract allows
// (PostgreSQL's limit is 8000 bytes).
const maxPayload = 7000

// Notify implements store.Notifier with pg_notify, on a pool connection in
// a transaction of its own.
func (s *Store) Notify(ctx context.Context, channel, payload string) error {
	if s.isClosed.Load() {
		return store.ErrClosed
	}
	if len(payload) > maxPayload {
		return fmt.Errorf("postgres: notify %s: payload of %d bytes, at most %d", channel, len(payload), maxPayload)
	}
	if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, channel, payload); err != nil {
		if s.isClosed.Load() {
			return store.ErrClosed
		}
		return fmt.Errorf("postgres: notify %s: %w", channel, err)
	}
	return nil
}

// ListenApplicationName is the application_name of Listen's connections
// (tests find them in pg_stat_activity by it).
const ListenApplicationName = "gaffer-listen"

// Listen implements store.Notifier on a connection of its own: it LISTENs
// on each channel, calls fn("", "") and then fn for each notice. When the
// connection is lost it connects again, with a jittered back-off of up to
// a few seconds, and calls fn("", "") again once it listens. It returns
// ctx's error when ctx ends, and store.ErrClosed when the store closes.
func (s *Store) Listen(ctx context.Context, channels []string, fn func(channel, payload string)) error {
	if s.isClosed.Load() {
		return store.ErrClosed
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.life, cancel)
	defer stop()

	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = ListenApplicationName
	const minBackoff, maxBackoff = 50 * time.Millisecond, 5 * time.Second
	backoff := minBackoff
	for {
		listened, err := s.listenOnce(lctx, cfg, channels, fn)
		if lctx.Err() != nil {
			if err := ctx.Err(); err != nil {
				return err
			}
			return store.ErrClosed
		}
		if listened {
			backoff = minBackoff
		}
		s.log.Warn("postgres listener lost its connection; reconnecting", slog.Any("error", err), slog.Duration("backoff", backoff))
		t := time.NewTimer(backoff/2 + rand.N(backoff/2+1))
		select {
		case <-t.C:
		case <-lctx.Done():
			t.Stop()
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// listenOnce connects, listens and delivers notices until the connection
// fails or ctx ends. listened reports whether it got as far as listening.
func (s *Store) listenOnce(ctx context.Context, cfg *pgx.ConnConfig, channels []string, fn func(channel, payload string)) (listened bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	for _, ch := range channels {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return false, err
		}
	}
	// Notices may have been missed before this connection listened.
	fn("", "")
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, err
		}
		fn(n.Channel, n.Payload)
	}
}
