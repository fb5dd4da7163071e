package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/store/storetest"
)

// openTest opens a store on a new file in t.TempDir, closed when t ends.
func openTest(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "gaffer.db"), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t,
		func(t *testing.T) store.Store { return openTest(t, Options{}) },
		func(t *testing.T, s store.Store) store.Store {
			path := s.(*Store).path
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			s2, err := Open(t.Context(), path, Options{})
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			t.Cleanup(func() { _ = s2.Close() })
			return s2
		})
}

// blocker holds the writer inside one Update's function until released, so
// that a test can queue jobs behind it deterministically.
type blocker struct {
	started chan struct{}
	release chan struct{}
	done    chan error
}

// block starts an Update whose function waits for b.release, and returns
// once the writer is running it.
func block(t *testing.T, s *Store) *blocker {
	t.Helper()
	b := &blocker{started: make(chan struct{}), release: make(chan struct{}), done: make(chan error, 1)}
	go func() {
		b.done <- s.Update(context.Background(), func(tx store.Tx) error {
			close(b.started)
			<-b.release
			return nil
		})
	}()
	select {
	case <-b.started:
	case err := <-b.done:
		t.Fatalf("blocking Update returned %v", err)
	}
	return b
}

// unblock releases the writer and waits for the blocking Update.
func (b *blocker) unblock(t *testing.T) {
	t.Helper()
	close(b.release)
	if err := <-b.done; err != nil {
		t.Fatalf("blocking Update: %v", err)
	}
}

// enqueued makes s report each queued job on the returned channel. Call it
// before any Update.
func enqueued(s *Store) <-chan struct{} {
	ch := make(chan struct{}, 1024)
	s.onEnqueue = func() { ch <- struct{}{} }
	return ch
}

func insertTask(tx store.Tx) error { return tx.InsertTask(&store.Task{Queue: "q"}) }

func TestBatching(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		maxBatch, queued int
		wantBatches      int64
	}{
		{maxBatch: 512, queued: 64, wantBatches: 1},
		{maxBatch: 8, queued: 20, wantBatches: 3},
		{maxBatch: 1, queued: 3, wantBatches: 3},
	} {
		t.Run(fmt.Sprintf("max%d_queued%d", tt.maxBatch, tt.queued), func(t *testing.T) {
			t.Parallel()
			s := openTest(t, Options{MaxBatch: tt.maxBatch})
			enq := enqueued(s)
			b := block(t, s)
			<-enq // the blocker's own job

			var wg sync.WaitGroup
			errs := make([]error, tt.queued)
			for i := range tt.queued {
				wg.Go(func() { errs[i] = s.Update(t.Context(), insertTask) })
			}
			for range tt.queued {
				<-enq
			}
			b.unblock(t)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("Update %d: %v", i, err)
				}
			}
			// One transaction for the blocker, then the queued jobs in
			// batches of at most maxBatch.
			if got, want := s.w.batches.Load(), 1+tt.wantBatches; got != want {
				t.Errorf("%d transactions, want %d", got, want)
			}
			if got, want := s.w.jobs.Load(), int64(1+tt.queued); got != want {
				t.Errorf("%d functions run, want %d", got, want)
			}
		})
	}
}

func TestBatchingUnderLoad(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{})
	const goroutines, perG = 64, 25
	start := make(chan struct{})
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range goroutines {
		wg.Go(func() {
			<-start
			for range perG {
				if err := s.Update(t.Context(), insertTask); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Fatalf("%d Updates failed", n)
	}
	jobs, batches := s.w.jobs.Load(), s.w.batches.Load()
	if jobs != goroutines*perG {
		t.Fatalf("%d functions run, want %d", jobs, goroutines*perG)
	}
	// With 64 callers and an fsync per commit, commits must be shared.
	if batches >= jobs/2 {
		t.Errorf("%d transactions for %d functions: group commit is not batching", batches, jobs)
	}
	t.Logf("%d functions in %d transactions", jobs, batches)
}

func TestOverloaded(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{QueueSize: 2})
	enq := enqueued(s)
	b := block(t, s)
	<-enq

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() { errs[i] = s.Update(t.Context(), insertTask) })
		<-enq
	}
	ran := false
	err := s.Update(t.Context(), func(tx store.Tx) error { ran = true; return nil })
	if !errors.Is(err, store.ErrOverloaded) {
		t.Fatalf("Update with a full queue = %v, want ErrOverloaded", err)
	}
	b.unblock(t)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("queued Update %d: %v", i, err)
		}
	}
	if ran {
		t.Error("the refused Update's function ran")
	}
	// Room again.
	if err := s.Update(t.Context(), insertTask); err != nil {
		t.Fatalf("Update after the queue drained: %v", err)
	}
}

func TestPanicInFunction(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{})
	enq := enqueued(s)
	b := block(t, s)
	<-enq

	// Queue ok, panic, ok in that order, so that they share a transaction.
	var callbacks atomic.Int64
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i, id := range []string{"before", "panic", "after"} {
		wg.Go(func() {
			errs[i] = s.Update(t.Context(), func(tx store.Tx) error {
				tx.AfterCommit(func() { callbacks.Add(1) })
				if err := tx.InsertObject(&store.Object{Kind: "k", ID: id}); err != nil {
					return err
				}
				if id == "panic" {
					panic("boom")
				}
				return nil
			})
		})
		<-enq
	}
	b.unblock(t)
	wg.Wait()

	if errs[0] != nil || errs[2] != nil {
		t.Fatalf("Updates around the panic: %v, %v", errs[0], errs[2])
	}
	if !errors.Is(errs[1], errPanic) || !strings.Contains(errs[1].Error(), "boom") {
		t.Fatalf("panicking Update = %v, want a panic error naming boom", errs[1])
	}
	if got := callbacks.Load(); got != 2 {
		t.Errorf("%d AfterCommit callbacks ran, want 2", got)
	}
	if got := s.w.batches.Load(); got != 2 {
		t.Errorf("%d transactions, want 2 (blocker, then the three together)", got)
	}
	err := s.View(t.Context(), func(tx store.Tx) error {
		for id, want := range map[string]error{"before": nil, "panic": store.ErrNotFound, "after": nil} {
			if _, err := tx.GetObject("k", id); !errors.Is(err, want) {
				return fmt.Errorf("GetObject(%s) = %v, want %v", id, err, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The writer is alive.
	if err := s.Update(t.Context(), insertTask); err != nil {
		t.Fatalf("Update after a panic: %v", err)
	}
}

// TestTransactionBrokenMidBatch ends the batch's transaction from inside a
// function (as an I/O error can): the functions that ran in it fail, and
// the ones queued behind run in a new transaction.
func TestTransactionBrokenMidBatch(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{})
	enq := enqueued(s)
	b := block(t, s)
	<-enq

	var callbacks atomic.Int64
	insert := func(id string) func(store.Tx) error {
		return func(stx store.Tx) error {
			stx.AfterCommit(func() { callbacks.Add(1) })
			if err := stx.InsertObject(&store.Object{Kind: "k", ID: id}); err != nil {
				return err
			}
			if id == "breaker" {
				return stx.(*tx).w.exec(qRollback)
			}
			return nil
		}
	}
	ids := []string{"before", "breaker", "after"}
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() { errs[i] = s.Update(t.Context(), insert(id)) })
		<-enq
	}
	b.unblock(t)
	wg.Wait()

	if errs[0] == nil || errs[1] == nil || errs[2] != nil {
		t.Fatalf("Updates = %v, want error, error, nil", errs)
	}
	if got := callbacks.Load(); got != 1 {
		t.Errorf("%d callbacks ran, want 1", got)
	}
	if got := s.w.batches.Load(); got != 2 {
		t.Errorf("%d transactions committed, want 2 (blocker, after)", got)
	}
	err := s.View(t.Context(), func(tx store.Tx) error {
		for id, want := range map[string]error{"before": store.ErrNotFound, "breaker": store.ErrNotFound, "after": nil} {
			if _, err := tx.GetObject("k", id); !errors.Is(err, want) {
				return fmt.Errorf("GetObject(%s) = %v, want %v", id, err, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPanicInCallback(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{})
	ran := false
	err := s.Update(t.Context(), func(tx store.Tx) error {
		tx.AfterCommit(func() { panic("callback boom") })
		tx.AfterCommit(func() { ran = true })
		return tx.InsertObject(&store.Object{Kind: "k", ID: "a"})
	})
	if err != nil {
		t.Fatalf("Update whose callback panicked = %v, want nil (it committed)", err)
	}
	if !ran {
		t.Error("the callback after the panicking one did not run")
	}
	if err := s.Update(t.Context(), insertTask); err != nil {
		t.Fatalf("Update after a callback panic: %v", err)
	}
}

func TestContextCanceledWhileQueued(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{})
	enq := enqueued(s)
	b := block(t, s)
	<-enq

	ctx, cancel := context.WithCancel(t.Context())
	var ran atomic.Bool
	done := make(chan error, 1)
	go func() {
		done <- s.Update(ctx, func(tx store.Tx) error {
			ran.Store(true)
			return tx.InsertObject(&store.Object{Kind: "k", ID: "a"})
		})
	}()
	<-enq
	cancel()
	// The caller does not wait for the writer to reach its job.
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Update canceled while queued = %v, want context.Canceled", err)
	}
	b.unblock(t)
	if err := s.Update(t.Context(), insertTask); err != nil {
		t.Fatal(err)
	}
	if ran.Load() {
		t.Fatal("the canceled Update's function ran")
	}
	err := s.View(t.Context(), func(tx store.Tx) error {
		_, err := tx.GetObject("k", "a")
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetObject = %v, want ErrNotFound", err)
	}
}

func TestContextCanceledWhileRunning(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{})
	ctx, cancel := context.WithCancel(t.Context())
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.Update(ctx, func(tx store.Tx) error {
			close(started)
			<-release
			return tx.InsertObject(&store.Object{Kind: "k", ID: "a"})
		})
	}()
	<-started
	cancel()
	close(release)
	// Once started, the function runs to the end and Update says so.
	if err := <-done; err != nil {
		t.Fatalf("Update canceled while running = %v, want nil (it committed)", err)
	}
	err := s.View(t.Context(), func(tx store.Tx) error {
		_, err := tx.GetObject("k", "a")
		return err
	})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
}

func TestTxAfterReturn(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{})
	var kept store.Tx
	if err := s.Update(t.Context(), func(tx store.Tx) error { kept = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := kept.InsertObject(&store.Object{Kind: "k", ID: "a"}); !errors.Is(err, errTxDone) {
		t.Errorf("InsertObject on a kept Update tx = %v, want errTxDone", err)
	}
	kept.AfterCommit(func() { t.Error("callback registered after return ran") })
	if err := s.View(t.Context(), func(tx store.Tx) error { kept = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := kept.GetObject("k", "a"); !errors.Is(err, errTxDone) {
		t.Errorf("GetObject on a kept View tx = %v, want errTxDone", err)
	}
	if err := s.Update(t.Context(), insertTask); err != nil {
		t.Fatal(err)
	}
}

func TestViewReadOnlyError(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{})
	err := s.View(t.Context(), func(tx store.Tx) error { return tx.PutMeta("k", nil) })
	if !errors.Is(err, errReadOnly) {
		t.Fatalf("PutMeta in a View = %v, want errReadOnly", err)
	}
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{})
	err := s.Update(t.Context(), func(stx store.Tx) error {
		conn := stx.(*tx).w.conn
		var mode string
		var sync, busy int
		if err := conn.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil {
			return err
		}
		if err := conn.QueryRowContext(t.Context(), "PRAGMA synchronous").Scan(&sync); err != nil {
			return err
		}
		if err := conn.QueryRowContext(t.Context(), "PRAGMA busy_timeout").Scan(&busy); err != nil {
			return err
		}
		if mode != "wal" || sync != 2 || busy != busyTimeoutMillis {
			return fmt.Errorf("writer: journal_mode %s, synchronous %d, busy_timeout %d; want wal, 2 (FULL), %d",
				mode, sync, busy, busyTimeoutMillis)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(t.Context(), func(stx store.Tx) error {
		var queryOnly int
		if err := stx.(*tx).rtx.QueryRowContext(t.Context(), "PRAGMA query_only").Scan(&queryOnly); err != nil {
			return err
		}
		if queryOnly != 1 {
			return fmt.Errorf("reader: query_only %d, want 1", queryOnly)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSchemaVersion(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gaffer.db")
	s, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var v []byte
	if err := s.View(t.Context(), func(tx store.Tx) (err error) { v, err = tx.GetMeta(schemaVersionKey); return err }); err != nil {
		t.Fatal(err)
	}
	if got, want := string(v), fmt.Sprint(len(migrations)); got != want {
		t.Fatalf("schema_version = %q, want %q", got, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopening an up-to-date database applies nothing and works.
	s, err = Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	newer := []byte(fmt.Sprint(len(migrations) + 1))
	if err := s.Update(t.Context(), func(tx store.Tx) error { return tx.PutMeta(schemaVersionKey, newer) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(t.Context(), path, Options{})
	if !errors.Is(err, ErrSchemaTooNew) {
		if s != nil {
			_ = s.Close()
		}
		t.Fatalf("Open of a newer schema = %v, want ErrSchemaTooNew", err)
	}
	if !strings.Contains(err.Error(), string(newer)) {
		t.Errorf("error %q does not name the version", err)
	}
}

func TestOpenPathWithURICharacters(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "a?b#c%d.db")
	s, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(t.Context(), insertTask); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := filepath.Glob(path); err != nil {
		t.Fatal(err)
	}
	s, err = Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	if err := s.View(t.Context(), func(tx store.Tx) error {
		tasks, err := tx.ListTasks(store.TaskQuery{})
		n = len(tasks)
		return err
	}); err != nil || n != 1 {
		t.Fatalf("after reopen: %d tasks, %v", n, err)
	}
}

// Benchmarks. Each Update is one task write, committed with
// synchronous=FULL: the serial ones pay an fsync each, the parallel ones
// share them.

func benchTask() *store.Task {
	now := time.Now()
	return &store.Task{
		Queue: "sfn:activity:bench", OwnerKind: "sfn", OwnerID: "arn:aws:states:us-east-1:000000000000:execution:sm:x",
		OwnerRef: "7", State: store.TaskScheduled, Input: []byte(`{"hello":"world"}`),
		Heartbeat: 30 * time.Second, ScheduledAt: now,
	}
}

func BenchmarkUpdateSerial(b *testing.B) {
	b.Run("insert", func(b *testing.B) {
		s := openTest(b, Options{})
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Update(context.Background(), func(tx store.Tx) error { return tx.InsertTask(benchTask()) }); err != nil {
				b.Fatal(err)
			}
		}
		reportBatching(b, s)
	})
	b.Run("update", func(b *testing.B) {
		s := openTest(b, Options{})
		tk := benchTask()
		if err := s.Update(context.Background(), func(tx store.Tx) error { return tx.InsertTask(tk) }); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			tk.HeartbeatAt = time.Now()
			if err := s.Update(context.Background(), func(tx store.Tx) error { return tx.UpdateTask(tk) }); err != nil {
				b.Fatal(err)
			}
		}
		reportBatching(b, s)
	})
}

func BenchmarkUpdateParallel(b *testing.B) {
	b.Run("insert", func(b *testing.B) {
		s := openTest(b, Options{})
		b.ReportAllocs()
		b.SetParallelism(32) // many callers per CPU, as in a server
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := s.Update(context.Background(), func(tx store.Tx) error { return tx.InsertTask(benchTask()) }); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportBatching(b, s)
	})
	b.Run("update", func(b *testing.B) {
		s := openTest(b, Options{})
		b.ReportAllocs()
		b.SetParallelism(32)
		b.RunParallel(func(pb *testing.PB) {
			tk := benchTask()
			if err := s.Update(context.Background(), func(tx store.Tx) error { return tx.InsertTask(tk) }); err != nil {
				b.Error(err)
				return
			}
			for pb.Next() {
				tk.HeartbeatAt = time.Now()
				if err := s.Update(context.Background(), func(tx store.Tx) error { return tx.UpdateTask(tk) }); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportBatching(b, s)
	})
}

func reportBatching(b *testing.B, s *Store) {
	if n := s.w.batches.Load(); n > 0 {
		b.ReportMetric(float64(s.w.jobs.Load())/float64(n), "fns/commit")
	}
}

// TestMigrateClosedAt opens a database of schema version 1: the migration
// adds the objects' close time (zero for what was stored before) and its
// index, which the ClosedBefore listing uses.
func TestMigrateClosedAt(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gaffer.db")
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := applyMigration(t.Context(), conn, 1, migrations[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(),
		`INSERT INTO objects (kind, id, parent, status, seq, body) VALUES ('k', 'old', '', 'DONE', 1, x'7b7d')`); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	db.Close()

	s, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	closedAt := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	err = s.Update(t.Context(), func(stx store.Tx) error {
		o, err := stx.GetObject("k", "old")
		if err != nil {
			return err
		}
		if !o.ClosedAt.IsZero() || string(o.Body) != "{}" {
			return fmt.Errorf("migrated object = %+v, want a zero ClosedAt", o)
		}
		if err := stx.PutObject(&store.Object{Kind: "k", ID: "new", ClosedAt: closedAt}); err != nil {
			return err
		}
		objs, err := stx.ListObjects(store.ObjectQuery{Kind: "k", ClosedBefore: closedAt.Add(time.Second)})
		if err != nil {
			return err
		}
		if len(objs) != 1 || objs[0].ID != "new" {
			return fmt.Errorf("ListObjects closed = %+v, want only new", objs)
		}
		var plan strings.Builder
		rows, err := stx.(*tx).w.conn.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+qListClosedLimit, "k", int64(1), 10)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				return err
			}
			plan.WriteString(detail + "\n")
		}
		if !strings.Contains(plan.String(), "objects_kind_closed_seq") || strings.Contains(plan.String(), "TEMP B-TREE") {
			return fmt.Errorf("the closed listing does not use its index:\n%s", plan.String())
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Views as many as the read pool's connections, each inside its
// transaction (holding a connection) before any runs its first query, all
// finish: a query not yet prepared is prepared on the view's own
// connection, not on the pool, where it waited for a connection only
// another waiting view could give back (polls right after a start hung
// until their clients gave up). The statement is cached after the view.
func TestViewsAtOnceWithNewStatements(t *testing.T) {
	s := openTest(t, Options{})
	ctx := t.Context()
	if err := s.Update(ctx, func(tx store.Tx) error {
		return tx.PutObject(&store.Object{Kind: "k", ID: "a", Body: []byte("v")})
	}); err != nil {
		t.Fatal(err)
	}
	n := s.rdb.Stats().MaxOpenConnections
	inside := make(chan struct{}, n)
	all := make(chan struct{})
	errs := make(chan error, n)
	for range n {
		go func() {
			errs <- s.View(ctx, func(tx store.Tx) error {
				inside <- struct{}{}
				<-all // every view holds its connection now
				// The second query reuses the view's statement.
				for range 2 {
					if _, err := tx.GetObject("k", "a"); err != nil {
						return err
					}
				}
				return nil
			})
		}()
	}
	for range n {
		<-inside
	}
	close(all)
	timeout := time.After(30 * time.Second)
	for range n {
		select {
		case err := <-errs:
			if err != nil {
				t.Fatal(err)
			}
		case <-timeout:
			t.Fatalf("%d views that all held a connection did not finish their first query", n)
		}
	}
	s.rstmtsMu.Lock()
	cached := len(s.rstmts)
	s.rstmtsMu.Unlock()
	if cached == 0 {
		t.Error("the views' statement was not cached after them")
	}
}
