package postgres

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gaffer-dev/gaffer/internal/pgtest"
	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/store/storetest"
)

// TestMain runs the tests with one throwaway PostgreSQL cluster (pgtest.Main:
// stopped at the end, and no goroutine may outlive the tests).
func TestMain(m *testing.M) { pgtest.Main(m) }

// openDSN opens a store on dsn, closed when t ends.
func openDSN(t testing.TB, dsn string, opts Options) *Store {
	t.Helper()
	s, err := Open(t.Context(), dsn, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// openTest opens a store on a new database; it returns the DSN too.
func openTest(t testing.TB, opts Options) (*Store, string) {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	return openDSN(t, dsn, opts), dsn
}

func TestConformance(t *testing.T) {
	dsns := sync.Map{} // *Store → its DSN
	storetest.Run(t,
		func(t *testing.T) store.Store {
			s, dsn := openTest(t, Options{})
			dsns.Store(s, dsn)
			return s
		},
		func(t *testing.T, s store.Store) store.Store {
			dsn, _ := dsns.Load(s)
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			s2 := openDSN(t, dsn.(string), Options{})
			dsns.Store(s2, dsn)
			return s2
		})
}

// adminExec runs stmt in the database dsn names.
func adminExec(t *testing.T, dsn, stmt string, args ...any) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(t.Context())) }()
	if _, err := conn.Exec(t.Context(), stmt, args...); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// TestSchemaTooNew checks that a database written by a newer gaffer is
// refused, naming both versions, and left as it is.
func TestSchemaTooNew(t *testing.T) {
	s, dsn := openTest(t, Options{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	newer := len(migrations) + 1
	adminExec(t, dsn, `UPDATE gaffer_schema_version SET version = $1`, newer)
	_, err := Open(t.Context(), dsn, Options{})
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of a newer schema: %v, want ErrSchemaTooNew", err)
	}
	for _, v := range []string{fmt.Sprint(newer), fmt.Sprint(len(migrations))} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error %q does not name version %s", err, v)
		}
	}
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(t.Context())) }()
	var v int
	if err := conn.QueryRow(t.Context(), `SELECT version FROM gaffer_schema_version`).Scan(&v); err != nil || v != newer {
		t.Errorf("schema version after the refusal = %d, %v; want %d kept", v, err, newer)
	}
}

// TestMigrateOnce checks that stores opening one new database at once
// migrate it once, and that opening it again changes nothing.
func TestMigrateOnce(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	const nodes = 3
	stores := make([]*Store, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() { stores[i], errs[i] = Open(t.Context(), dsn, Options{}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	o := &store.Object{Kind: "k", ID: "a", Body: []byte("v")}
	if err := stores[0].Update(t.Context(), func(tx store.Tx) error { return tx.InsertObject(o) }); err != nil {
		t.Fatal(err)
	}
	for _, s := range stores {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	s := openDSN(t, dsn, Options{})
	err := s.View(t.Context(), func(tx store.Tx) error {
		got, err := tx.GetObject("k", "a")
		if err != nil || string(got.Body) != "v" || got.Seq != o.Seq {
			return fmt.Errorf("after reopening, GetObject = %+v, %v", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var v int
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(t.Context())) }()
	if err := conn.QueryRow(t.Context(), `SELECT version FROM gaffer_schema_version`).Scan(&v); err != nil || v != len(migrations) {
		t.Errorf("schema version = %d, %v; want %d", v, err, len(migrations))
	}
	var rows int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM gaffer_schema_version`).Scan(&rows); err != nil || rows != 1 {
		t.Errorf("gaffer_schema_version has %d rows, %v; want 1", rows, err)
	}
}

// TestFenceAfterLeave checks that a fenced store's writes are refused once
// another store (another node) has deleted its row, and that they wait
// for an in-flight fenced write.
func TestFenceAfterLeave(t *testing.T) {
	a, dsn := openTest(t, Options{})
	b := openDSN(t, dsn, Options{})
	n := store.Node{ID: "a", Addr: "a:1"}
	if err := a.Update(t.Context(), func(tx store.Tx) error { return tx.JoinNode(&n, time.Hour) }); err != nil {
		t.Fatal(err)
	}
	a.Fence("a", n.Epoch)
	put := func(key string) error {
		return a.Update(t.Context(), func(tx store.Tx) error { return tx.PutMeta(key, []byte("x")) })
	}
	if err := put("before"); err != nil {
		t.Fatalf("fenced write while a member: %v", err)
	}

	// A write of a's that passed the check holds the row: b's LeaveNode
	// waits for it to commit.
	inside, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- a.Update(t.Context(), func(tx store.Tx) error {
			close(inside)
			<-release
			return tx.PutMeta("during", []byte("x"))
		})
	}()
	<-inside
	left := make(chan error, 1)
	go func() {
		left <- b.Update(t.Context(), func(tx store.Tx) error { return tx.LeaveNode("a", n.Epoch) })
	}()
	// LeaveNode waits for a's transaction (its row lock), which waits
	// for release: wait until PostgreSQL shows b's statement waiting.
	waitForLockWait(t, dsn)
	select {
	case err := <-left:
		t.Fatalf("LeaveNode returned %v while a fenced write was in flight", err)
	default:
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("the in-flight fenced write: %v", err)
	}
	if err := <-left; err != nil {
		t.Fatalf("LeaveNode: %v", err)
	}
	if err := put("after"); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("fenced write after LeaveNode: %v, want ErrFenced", err)
	}
	err := b.View(t.Context(), func(tx store.Tx) error {
		if _, err := tx.GetMeta("during"); err != nil {
			return fmt.Errorf("the in-flight write is lost: %w", err)
		}
		if _, err := tx.GetMeta("after"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("the fenced write was written: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// waitForLockWait waits until a session of the database dsn names waits
// for a lock.
func waitForLockWait(t *testing.T, dsn string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(t.Context())) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		// Ask the server to wait a little: a poll without a sleep here.
		if _, err := conn.Exec(t.Context(), `SELECT pg_sleep(0.005)`); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("no session waited for a lock within 30 s")
}

// TestNotifyListen checks a notice's round trip, the "" notice at the
// start and after the listener's connection is killed, and that Listen
// ends with its context.
func TestNotifyListen(t *testing.T) {
	s, dsn := openTest(t, Options{})
	type notice struct{ channel, payload string }
	got := make(chan notice, 16)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- s.Listen(ctx, []string{"gaffer_wake", "Other Channel"}, func(channel, payload string) {
			got <- notice{channel, payload}
		})
	}()
	next := func(what string) notice {
		t.Helper()
		select {
		case n := <-got:
			return n
		case <-time.After(30 * time.Second):
			t.Fatalf("no notice within 30 s: %s", what)
			return notice{}
		}
	}
	if n := next("the start"); n != (notice{}) {
		t.Fatalf("first notice = %+v, want the empty one", n)
	}
	if err := s.Notify(t.Context(), "gaffer_wake", "q1 q2"); err != nil {
		t.Fatal(err)
	}
	if n := next("the first notify"); n != (notice{"gaffer_wake", "q1 q2"}) {
		t.Fatalf("notice = %+v, want gaffer_wake q1 q2", n)
	}
	// Another store (node) on the database notifies this one.
	other := openDSN(t, dsn, Options{})
	if err := other.Notify(t.Context(), "Other Channel", ""); err != nil {
		t.Fatal(err)
	}
	if n := next("the other store's notify"); n != (notice{"Other Channel", ""}) {
		t.Fatalf("notice = %+v, want Other Channel with no payload", n)
	}
	if err := s.Notify(t.Context(), "gaffer_wake", strings.Repeat("x", maxPayload+1)); err == nil {
		t.Errorf("Notify with a payload over %d bytes succeeded", maxPayload)
	}

	// Kill the listener's connection: it reconnects and says so.
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(t.Context())) }()
	var killed int
	err = conn.QueryRow(t.Context(), `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = $1) AS k`, ListenApplicationName).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminated %d listener connections, %v; want 1", killed, err)
	}
	if n := next("the reconnect"); n != (notice{}) {
		t.Fatalf("notice after the reconnect = %+v, want the empty one", n)
	}
	if err := s.Notify(t.Context(), "gaffer_wake", "after"); err != nil {
		t.Fatal(err)
	}
	if n := next("the notify after the reconnect"); n != (notice{"gaffer_wake", "after"}) {
		t.Fatalf("notice = %+v, want gaffer_wake after", n)
	}

	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Listen = %v, want context.Canceled", err)
	}

	// Close ends a Listen too.
	done2 := make(chan error, 1)
	started := make(chan struct{}, 1)
	go func() {
		done2 <- s.Listen(t.Context(), []string{"x"}, func(string, string) {
			select {
			case started <- struct{}{}:
			default:
			}
		})
	}()
	<-started
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done2; !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Listen after Close = %v, want ErrClosed", err)
	}
}

// TestTwoNodesNoLostUpdate checks that two stores on one database (two
// nodes) incrementing one counter object concurrently lose no increment:
// GetObject in an Update locks the row.
func TestTwoNodesNoLostUpdate(t *testing.T) {
	a, dsn := openTest(t, Options{})
	b := openDSN(t, dsn, Options{})
	if err := a.Update(t.Context(), func(tx store.Tx) error {
		return tx.InsertObject(&store.Object{Kind: "k", ID: "counter", Body: []byte("0")})
	}); err != nil {
		t.Fatal(err)
	}
	incr := func(tx store.Tx) error {
		o, err := tx.GetObject("k", "counter")
		if err != nil {
			return err
		}
		var n int
		if _, err := fmt.Sscan(string(o.Body), &n); err != nil {
			return err
		}
		o.Body = fmt.Append(nil, n+1)
		return tx.PutObject(o)
	}
	const perStore, goroutines = 50, 4
	var wg sync.WaitGroup
	errs := make(chan error, 2*perStore*goroutines)
	for _, s := range []*Store{a, b} {
		for range goroutines {
			wg.Go(func() {
				for range perStore {
					if err := s.Update(t.Context(), incr); err != nil {
						errs <- err
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("increment: %v", err)
	}
	err := a.View(t.Context(), func(tx store.Tx) error {
		o, err := tx.GetObject("k", "counter")
		if err != nil {
			return err
		}
		if want := fmt.Sprint(2 * perStore * goroutines); string(o.Body) != want {
			return fmt.Errorf("counter = %s, want %s: an update was lost", o.Body, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDeadlockRetried forces a deadlock between two stores: each locks one
// object and then wants the other's. PostgreSQL aborts one transaction;
// its store runs the function again, and both Updates succeed.
func TestDeadlockRetried(t *testing.T) {
	a, dsn := openTest(t, Options{})
	b := openDSN(t, dsn, Options{})
	if err := a.Update(t.Context(), func(tx store.Tx) error {
		for _, id := range []string{"x", "y"} {
			if err := tx.InsertObject(&store.Object{Kind: "k", ID: id}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Each function locks its first object, waits until the other has
	// locked its own (the first time it runs), then reads the other's.
	var bothLocked sync.WaitGroup
	bothLocked.Add(2)
	var runs [2]int
	var mu sync.Mutex
	cross := func(i int, first, second string) func(tx store.Tx) error {
		return func(tx store.Tx) error {
			mu.Lock()
			runs[i]++
			firstRun := runs[i] == 1
			mu.Unlock()
			o, err := tx.GetObject("k", first)
			if err != nil {
				return err
			}
			if firstRun {
				bothLocked.Done()
				bothLocked.Wait()
			}
			if _, err := tx.GetObject("k", second); err != nil {
				return err
			}
			o.Status = fmt.Sprintf("by %d", i)
			return tx.PutObject(o)
		}
	}
	errs := make(chan error, 2)
	go func() { errs <- a.Update(t.Context(), cross(0, "x", "y")) }()
	go func() { errs <- b.Update(t.Context(), cross(1, "y", "x")) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
	if runs[0]+runs[1] < 3 {
		t.Errorf("functions ran %v times: the deadlock was not retried", runs)
	}
	if got := a.w.retried.Load() + b.w.retried.Load(); got == 0 {
		t.Errorf("no transaction was re-run")
	}
	err := a.View(t.Context(), func(tx store.Tx) error {
		for id, want := range map[string]string{"x": "by 0", "y": "by 1"} {
			o, err := tx.GetObject("k", id)
			if err != nil {
				return err
			}
			if o.Status != want {
				return fmt.Errorf("%s.Status = %q, want %q", id, o.Status, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBatchBoundsSubtransactions queues more writing Updates than one
// transaction may hold savepoints for (maxSubxacts), behind one that holds
// the writer: they commit in more than one transaction, all of them, and
// each transaction holds as many as the bound allows.
func TestBatchBoundsSubtransactions(t *testing.T) {
	s, _ := openTest(t, Options{})
	inside, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- s.Update(t.Context(), func(tx store.Tx) error {
			close(inside)
			<-release
			return nil
		})
	}()
	<-inside
	const n = 2*maxSubxacts + 10
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- s.Update(t.Context(), func(tx store.Tx) error {
				return tx.PutMeta(fmt.Sprint("k", i), []byte("v"))
			})
		})
	}
	// Every job is queued before the writer drains the queue.
	for s.lanes.Len() < n {
		runtime.Gosched()
	}
	batches := s.w.batches.Load()
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
	// The holder's batch commits nothing (it sent no statement); then
	// three transactions: 64, 64 and 10 jobs.
	if got := s.w.batches.Load() - batches; got != 3 {
		t.Errorf("%d jobs committed in %d transactions, want 3", n, got)
	}
	err := s.View(t.Context(), func(tx store.Tx) error {
		for i := range n {
			if _, err := tx.GetMeta(fmt.Sprint("k", i)); err != nil {
				return fmt.Errorf("k%d: %w", i, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFailedStatementThenNew: a function whose statement fails (its
// savepoint aborted) is rolled back before the next function's statements
// go out, also when those are not yet prepared on the connection (a fresh
// pool): PostgreSQL refuses to prepare a statement in an aborted
// transaction, which once failed the rest of the batch.
func TestFailedStatementThenNew(t *testing.T) {
	s, _ := openTest(t, Options{})
	const n = 64
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.Update(t.Context(), func(tx store.Tx) error {
				if i%2 == 0 {
					// A NUL byte is no valid text: the statement fails.
					return tx.PutMeta("bad\x00key", nil)
				}
				owner := fmt.Sprintf("owner-%d", i)
				if _, err := tx.ListEvents(store.EventQuery{Owner: owner}); err != nil {
					return err
				}
				return tx.AppendEvents(owner, []store.Event{{ID: 1, Body: []byte("{}")}})
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if i%2 == 0 && err == nil {
			t.Errorf("update %d (a failing statement) succeeded", i)
		}
		if i%2 == 1 && err != nil {
			t.Errorf("update %d (after a failed one): %v", i, err)
		}
	}
}
