package engine

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/store/sqlite"
)

// compact keeps what live keeps and every deadline added meanwhile, in
// heap order.
func TestDeadlinesCompact(t *testing.T) {
	d := newDeadlines()
	base := time.Unix(1000, 0)
	const n = 10_000
	for i := range n {
		d.add(deadline{at: base.Add(time.Duration(n-i) * time.Millisecond), kind: dlStartToClose, id: int64(i)})
	}
	var wg sync.WaitGroup
	started := make(chan struct{})
	wg.Go(func() {
		close(started)
		for i := range 1000 {
			d.add(deadline{at: base.Add(time.Duration(i) * time.Microsecond), kind: dlTimer, id: int64(n + i)})
		}
	})
	<-started
	before, after := d.compact(func(dl deadline) bool { return dl.kind == dlTimer || dl.id%10 == 0 })
	wg.Wait()
	if before > n+1000 || before < n {
		t.Errorf("compact saw %d, want %d to %d", before, n, n+1000)
	}
	if after < n/10 {
		t.Errorf("%d left, want at least %d", after, n/10)
	}
	got, _ := d.due(base.Add(time.Hour), nil, 2*n)
	if want := n/10 + 1000; len(got) != want {
		t.Fatalf("%d pending after compact, want %d (the live tenth and every timer)", len(got), want)
	}
	for i := 1; i < len(got); i++ {
		if got[i].at.Before(got[i-1].at) {
			t.Fatalf("deadline %d at %v before %v: not in order", i, got[i].at, got[i-1].at)
		}
	}
	for _, dl := range got {
		if dl.kind != dlTimer && dl.id%10 != 0 {
			t.Fatalf("deadline %d kept, want it dropped", dl.id)
		}
	}
}

// A drained backlog gives its room back: the heap's array once it is
// mostly popped, and a set's maps once most ids left, so that a burst of
// deadlines or scheduled tasks does not keep its peak's memory for good.
// The heap stays a heap through it.
func TestDrainedBacklogShrinks(t *testing.T) {
	d := newDeadlines()
	base := time.Unix(1000, 0)
	const n = 100_000
	for i := range n {
		d.add(deadline{at: base.Add(time.Duration(i*7919%n) * time.Millisecond), kind: dlTimer, id: int64(i)})
	}
	peak := cap(d.h)
	var last time.Time
	for popped := 0; popped < n-10; {
		got, _ := d.due(base.Add(time.Hour), nil, min(1000, n-10-popped))
		for _, dl := range got {
			if dl.at.Before(last) {
				t.Fatalf("deadline %d at %v after one at %v: not in order", dl.id, dl.at, last)
			}
			last = dl.at
		}
		popped += len(got)
	}
	if c := cap(d.h); c > shrinkMin || len(d.h) != 10 {
		t.Fatalf("after draining %d of %d deadlines: %d left in an array of %d (peak %d), want 10 in at most %d", n-10, n, len(d.h), c, peak, shrinkMin)
	}

	s := newIDSet()
	for i := range n {
		s.add(int64(i))
	}
	for i := range n {
		if i%1000 != 0 && !s.take(int64(i)) {
			t.Fatalf("take(%d) = false, want true", i)
		}
	}
	for i := range s.shards {
		sh := &s.shards[i]
		if sh.peak > shardShrinkMin {
			t.Fatalf("shard %d holds %d ids after a peak of %d was not made anew", i, len(sh.m), sh.peak)
		}
	}
	for i := 0; i < n; i += 1000 {
		if !s.has(int64(i)) {
			t.Fatalf("id %d lost when its shard was made anew", i)
		}
	}
}

// The deadlines of tasks that ended long before their timeouts do not stay
// in memory until then: compacting drops them, and keeps those of the
// tasks still waiting.
func TestEndedTasksDeadlinesCompacted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const n = compactMin // two deadlines each
	long := func(tk *store.Task) { tk.ScheduleToStart, tk.ScheduleToClose = time.Hour, time.Hour }
	var tasks []*store.Task
	err := b.eng.Update(t.Context(), func(tx store.Tx) error {
		tasks = tasks[:0]
		for range n {
			tk := &store.Task{Queue: "q", OwnerKind: "test", OwnerID: "o1"}
			long(tk)
			if _, err := b.eng.Schedule(tx, tk); err != nil {
				return err
			}
			tasks = append(tasks, tk)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	kept := b.schedule(t, "q", long)
	err = b.eng.Update(t.Context(), func(tx store.Tx) error {
		for _, tk := range tasks {
			if err := b.eng.CloseTask(tx, tk); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// What the deadline loop does once the heap has passed compactMin (it
	// may have done it already, before the tasks closed).
	if before, after := b.eng.compactDeadlines(); after != 2 {
		t.Fatalf("%d deadlines pending, then %d, want the 2 of the task still scheduled", before, after)
	}
	if !b.eng.pending(deadline{kind: dlScheduleToStart, id: kept.ID}) {
		t.Errorf("the waiting task's deadline is not pending")
	}
}

// startCompacting starts an engine on a new SQLite store whose deadline
// loop compacts every 20 ms, with owner (if not nil) the owner of kind
// "test".
func startCompacting(t *testing.T, owner Owner) *Engine {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gaffer.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := New(Config{Store: st})
	e.compactEvery = 20 * time.Millisecond
	if owner != nil {
		e.RegisterOwner("test", owner)
	}
	if err := e.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.Stop()
		_ = st.Close()
	})
	return e
}

// An idle node does not keep the deadlines of tasks that ended until they
// fall due: the deadline loop compacts at least every compactEvery, however
// far the heap is from doubling.
func TestIdleHeapCompacted(t *testing.T) {
	t.Parallel()
	e := startCompacting(t, nil)
	// Fewer than compactMin, due in an hour, of attempts this node does not
	// run: what ended tasks leave behind.
	const n = compactMin / 2
	due := time.Now().Add(time.Hour)
	for i := range n {
		e.deadlines.add(deadline{at: due, kind: dlStartToClose, id: int64(1_000_000 + i), attempt: 1})
	}
	if !e.deadlineWork.Until(10*time.Second, func() bool { return e.deadlines.len() == 0 }) {
		t.Fatalf("%d of %d ended tasks' deadlines still held after 10 s of an idle loop compacting every %v", e.deadlines.len(), n, e.compactEvery)
	}
}

// A canceled timer's deadline is dropped from memory at the next
// compaction, not held until it falls due: an SWF workflow's timeout timer,
// canceled when the workflow closes, may be a year away.
func TestCanceledTimersCompacted(t *testing.T) {
	t.Parallel()
	e := startCompacting(t, newTimerCounter())
	const n, kept = 2000, 10
	due := time.Now().Add(365 * 24 * time.Hour)
	ids := make([]int64, 0, n)
	err := e.Update(t.Context(), func(tx store.Tx) error {
		for range n {
			tm := &store.Timer{OwnerKind: "test", OwnerID: "workflow", Kind: "timeout", FireAt: due}
			if err := e.SetTimer(tx, tm); err != nil {
				return err
			}
			ids = append(ids, tm.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Compaction (every 20 ms) keeps them all: each is armed and live. It
	// swaps the heap out while it decides, so the count is waited for.
	if !e.deadlineWork.Until(10*time.Second, func() bool { return e.deadlines.len() == n }) {
		t.Fatalf("%d deadlines armed, want %d", e.deadlines.len(), n)
	}
	err = e.Update(t.Context(), func(tx store.Tx) error {
		for _, id := range ids[kept:] {
			if err := e.CancelTimer(tx, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !e.deadlineWork.Until(10*time.Second, func() bool { return e.deadlines.len() == kept }) {
		t.Fatalf("%d deadlines held after %d of %d timers were canceled, want %d", e.deadlines.len(), n-kept, n, kept)
	}
	for _, id := range ids[:kept] {
		if !e.timers.has(id) {
			t.Errorf("timer %d, not canceled, was forgotten", id)
		}
	}
}
