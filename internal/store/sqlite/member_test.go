package sqlite

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// The conformance suite checks Fence on the stores that are Fencers: this
// one must be.
var _ store.Fencer = (*Store)(nil)

// TestFenceBatch: when a transaction's fence check fails, every job of its
// batch fails with ErrFenced and none of their functions runs.
func TestFenceBatch(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{})
	n := store.Node{ID: "a"}
	if err := s.Update(t.Context(), func(tx store.Tx) error { return tx.JoinNode(&n, time.Hour) }); err != nil {
		t.Fatal(err)
	}
	s.Fence("a", n.Epoch)
	enq := enqueued(s)

	// The first job leaves and holds the writer until the others are
	// queued behind it: they make one batch, after the leaving commits.
	release := make(chan struct{})
	started := make(chan struct{})
	leaveDone := make(chan error, 1)
	go func() {
		leaveDone <- s.Update(t.Context(), func(tx store.Tx) error {
			close(started)
			<-release
			return tx.LeaveNode("a", n.Epoch)
		})
	}()
	<-enq
	<-started
	const queued = 5
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		ran int
	)
	errs := make([]error, queued)
	for i := range queued {
		wg.Go(func() {
			errs[i] = s.Update(t.Context(), func(tx store.Tx) error {
				mu.Lock()
				ran++
				mu.Unlock()
				return insertTask(tx)
			})
		})
	}
	for range queued {
		<-enq
	}
	batches := s.w.batches.Load()
	close(release)
	if err := <-leaveDone; err != nil {
		t.Fatalf("leaving Update: %v", err)
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, store.ErrFenced) {
			t.Errorf("queued Update %d = %v, want ErrFenced", i, err)
		}
	}
	if ran != 0 {
		t.Errorf("%d fenced functions ran", ran)
	}
	if got := s.w.batches.Load(); got != batches+1 {
		t.Errorf("%d transactions committed, want 1 (the leaving)", got-batches)
	}
	var tasks []*store.Task
	err := s.View(t.Context(), func(tx store.Tx) (err error) {
		tasks, err = tx.ListTasks(store.TaskQuery{})
		return err
	})
	if err != nil || len(tasks) != 0 {
		t.Errorf("ListTasks = %d tasks, %v; want none", len(tasks), err)
	}
}

// TestMigrateMembership opens a database of schema version 2: the
// migration adds the nodes, leases and node epochs, and the partition
// indexes the partition listings use.
func TestMigrateMembership(t *testing.T) {
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
	for v := range 2 {
		if err := applyMigration(t.Context(), conn, v+1, migrations[v]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.ExecContext(t.Context(), `INSERT INTO tasks (partition_id, queue, owner_kind, owner_id, owner_ref,
		state, attempt, priority, schedule_to_start_timeout, schedule_to_close_timeout, start_to_close_timeout,
		heartbeat_timeout, scheduled_at, started_at, worker, heartbeat_at, cancel_requested)
		VALUES (0, 'q', 'k', 'o', '', 1, 0, 0, 0, 0, 0, 0, 0, 0, '', 0, 0)`); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	db.Close()

	s, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Update(t.Context(), func(stx store.Tx) error {
		n := store.Node{ID: "a"}
		if err := stx.JoinNode(&n, time.Hour); err != nil {
			return err
		}
		if n.Epoch != 1 {
			t.Errorf("first epoch = %d, want 1", n.Epoch)
		}
		tasks, err := stx.ListTasks(store.TaskQuery{Partitions: []int{0}})
		if err != nil {
			return err
		}
		if len(tasks) != 1 {
			t.Errorf("ListTasks partition 0 = %d tasks, want the old one", len(tasks))
		}
		for _, q := range []struct{ query, index string }{
			{taskQuery(taskQAfter|taskQLimit, 2), "tasks_partition_id"},
			{timerQuery(timerQAfter|timerQLimit, 2), "timers_partition_id"},
		} {
			plan, err := queryPlan(stx.(*tx), q.query, 1, 2, 0, 10)
			if err != nil {
				return err
			}
			if !strings.Contains(plan, q.index) {
				t.Errorf("%s does not use %s:\n%s", q.query, q.index, plan)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// queryPlan returns SQLite's plan for query, in a writer's transaction.
func queryPlan(t *tx, query string, args ...any) (string, error) {
	var plan strings.Builder
	rows, err := t.w.conn.QueryContext(t.w.ctx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			return "", err
		}
		plan.WriteString(detail + "\n")
	}
	return plan.String(), rows.Err()
}
