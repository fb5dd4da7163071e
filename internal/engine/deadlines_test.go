package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/store/sqlite"
)

// testClock is an engine clock that tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// countingStore counts the Update calls that reach the store, and can
// refuse some as overloaded.
type countingStore struct {
	store.Store
	updates    atomic.Int64
	overloaded atomic.Int64 // Updates answered ErrOverloaded
	// Set before use: the Updates after the first refuseFrom are refused,
	// refuse of them.
	refuseFrom, refuse int64
}

func (s *countingStore) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	if k := s.updates.Add(1); k > s.refuseFrom && k <= s.refuseFrom+s.refuse {
		s.overloaded.Add(1)
		return store.ErrOverloaded
	}
	err := s.Store.Update(ctx, fn)
	if errors.Is(err, store.ErrOverloaded) {
		s.overloaded.Add(1)
	}
	return err
}

// logRecorder is a slog.Handler that keeps every record's level and message.
type logRecorder struct {
	mu   sync.Mutex
	recs []string // "LEVEL message"
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec.Level.String()+" "+rec.Message)
	return nil
}

// count returns how many records start with prefix ("WARN", "INFO engine
// loading"...).
func (r *logRecorder) count(prefix string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, rec := range r.recs {
		if strings.HasPrefix(rec, prefix) {
			n++
		}
	}
	return n
}

// timerCounter is an owner that counts, per timer, the committed
// TimerFired calls; with write set, each call also writes a record;
// failOnce names timers whose first call fails (after that write).
type timerCounter struct {
	mu       sync.Mutex
	fired    map[int64]int
	total    atomic.Int64
	write    bool
	failOnce map[int64]bool
	// busy, when set, is how long each call keeps the writer (spinning).
	busy time.Duration
}

func newTimerCounter() *timerCounter {
	return &timerCounter{fired: make(map[int64]int), failOnce: make(map[int64]bool)}
}

func (o *timerCounter) TaskStarted(store.Tx, *store.Task, StartKind) error { return nil }
func (o *timerCounter) TaskClosed(store.Tx, *store.Task, Outcome) error    { return nil }

func (o *timerCounter) TimerFired(tx store.Tx, tm *store.Timer) error {
	for began := time.Now(); time.Since(began) < o.busy; {
	}
	if o.write {
		if err := tx.PutObject(&store.Object{Kind: "test.fired", ID: fmt.Sprint(tm.ID)}); err != nil {
			return err
		}
	}
	o.mu.Lock()
	fail := o.failOnce[tm.ID]
	delete(o.failOnce, tm.ID)
	o.mu.Unlock()
	tx.AfterCommit(func() {
		o.mu.Lock()
		o.fired[tm.ID]++
		o.mu.Unlock()
		o.total.Add(1)
	})
	if fail {
		return errors.New("planned failure")
	}
	return nil
}

// insertTimers writes n timers due at at straight into st, as a node that
// went down would have left them.
func insertTimers(t *testing.T, st store.Store, n int, at time.Time) []int64 {
	t.Helper()
	ids := make([]int64, 0, n)
	const perTx = 10000
	for done := 0; done < n; done += perTx {
		err := st.Update(t.Context(), func(tx store.Tx) error {
			for i := done; i < min(done+perTx, n); i++ {
				tm := &store.Timer{OwnerKind: "test", OwnerID: fmt.Sprintf("o%d", i), Kind: "wait", FireAt: at}
				if err := tx.InsertTimer(tm); err != nil {
					return err
				}
				ids = append(ids, tm.ID)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// backlog is an engine on a store holding timers that fell due while the
// node was down.
type backlog struct {
	sqlite *sqlite.Store
	st     *countingStore
	eng    *Engine
	owner  *timerCounter
	log    *logRecorder
	clock  *testClock
	ids    []int64
}

// setupBacklog writes n timers due an hour before the engine's clock, then
// opens the store again (the restart) and builds an engine on it; start it
// with b.eng.Start.
func setupBacklog(t *testing.T, n int) *backlog {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gaffer.db")
	down := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	st, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ids := insertTimers(t, st, n, down.Add(time.Minute))
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	b := &backlog{owner: newTimerCounter(), log: &logRecorder{}, ids: ids}
	if b.sqlite, err = sqlite.Open(t.Context(), path, sqlite.Options{}); err != nil {
		t.Fatal(err)
	}
	b.st = &countingStore{Store: b.sqlite}
	b.clock = &testClock{t: down.Add(time.Hour)} // the node comes back an hour later
	b.eng = New(Config{Store: b.st, Logger: slog.New(b.log), Now: b.clock.Now})
	b.eng.RegisterOwner("test", b.owner)
	t.Cleanup(func() {
		b.eng.Stop()
		_ = b.sqlite.Close()
	})
	return b
}

// awaitFired waits until n timers have fired, the engine has counted them
// (after the batch's transaction, so after the owner saw them), and it has
// counted batches batches.
func (b *backlog) awaitFired(t *testing.T, n int, batches int64, within time.Duration) {
	t.Helper()
	if !b.eng.deadlineWork.Until(within, func() bool {
		return b.owner.total.Load() >= int64(n) && b.eng.fired.Load() >= int64(n) && b.eng.fireBatches.Load() >= batches
	}) {
		t.Fatalf("%d of %d timers fired (%d counted by the engine), in %d of %d batches, within %v",
			b.owner.total.Load(), n, b.eng.fired.Load(), b.eng.fireBatches.Load(), batches, within)
	}
}

// checkEachFiredOnce checks that every timer fired exactly once and none is
// left in the store.
func (b *backlog) checkEachFiredOnce(t *testing.T) {
	t.Helper()
	b.owner.mu.Lock()
	for _, id := range b.ids {
		if n := b.owner.fired[id]; n != 1 {
			t.Errorf("timer %d fired %d times, want 1", id, n)
		}
	}
	if len(b.owner.fired) != len(b.ids) {
		t.Errorf("%d timers fired, want %d", len(b.owner.fired), len(b.ids))
	}
	b.owner.mu.Unlock()
	err := b.sqlite.View(t.Context(), func(tx store.Tx) error {
		left, err := tx.ListTimers(store.TimerQuery{Limit: 1})
		if err == nil && len(left) > 0 {
			err = fmt.Errorf("timer %d left in the store", left[0].ID)
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
}

// A node that was down while 100,000 timers fell due fires each of them
// exactly once after the restart, in batches (a few hundred store writes,
// not 100,000), without overloading the store and without a warning; the
// start-up load logs its progress.
func TestDowntimeBacklogFiresOnceInBatches(t *testing.T) {
	t.Parallel()
	const n = 100_000
	b := setupBacklog(t, n)
	began := time.Now()
	if err := b.eng.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	batches := (n + fireBatchSize - 1) / fireBatchSize
	b.awaitFired(t, n, int64(batches), time.Minute)
	t.Logf("%d timers fired %v after the start, in %d batches (%d store writes)",
		n, time.Since(began), b.eng.fireBatches.Load(), b.st.updates.Load())

	b.checkEachFiredOnce(t)
	if got := b.eng.fired.Load(); got != n {
		t.Errorf("engine counted %d deadlines handled, want %d", got, n)
	}
	// Batches of up to fireBatchSize, each cut after fireTxBudget of
	// writer time (a loaded machine cuts some): in the hundreds, not
	// 100,000.
	fired := b.eng.fireBatches.Load()
	if fired < int64(batches) || fired > n/32 {
		t.Errorf("%d batches, want %d (full batches of %d) to %d", fired, batches, fireBatchSize, n/32)
	}
	// One write for the token secret, one per batch.
	if got, want := b.st.updates.Load(), 1+fired; got != want {
		t.Errorf("%d store writes, want %d", got, want)
	}
	if got := b.st.overloaded.Load(); got != 0 {
		t.Errorf("the store refused %d writes as overloaded", got)
	}
	if got := b.log.count("WARN"); got != 0 {
		t.Errorf("%d warnings logged, want none", got)
	}
	if got, want := b.log.count("INFO engine loading"), n/loadLogEvery; got != want {
		t.Errorf("%d load progress lines, want %d", got, want)
	}
	if got := b.log.count("INFO engine loaded"); got != 1 {
		t.Errorf("%d final load lines, want 1", got)
	}
}

// An overloaded store delays deadline batches, which back off and retry
// with one aggregated log line, not a warning per deadline.
func TestOverloadedStoreBacksOffQuietly(t *testing.T) {
	t.Parallel()
	const n, refused = 2000, 12
	b := setupBacklog(t, n)
	// The token secret's write passes, the first deadline writes are
	// refused.
	b.st.refuseFrom, b.st.refuse = 1, refused
	if err := b.eng.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	b.awaitFired(t, n, (n+fireBatchSize-1)/fireBatchSize, 30*time.Second)
	b.checkEachFiredOnce(t)
	if got := b.st.overloaded.Load(); got != refused {
		t.Errorf("%d writes refused, want %d", got, refused)
	}
	// The clock stands still, so all the refusals fall in one log
	// interval: one line.
	if got := b.log.count("WARN store overloaded"); got != 1 {
		t.Errorf("%d overload lines, want 1", got)
	}
	if got, want := b.log.count("WARN"), 1; got != want {
		t.Errorf("%d warnings, want %d: %v", got, want, b.log.recs)
	}
}

// A batch stops applying deadlines once it has held the writer for
// fireTxBudget: the rest stay due and fire in later batches, each once.
func TestSlowBatchIsCut(t *testing.T) {
	t.Parallel()
	const n = 8
	b := setupBacklog(t, n)
	b.owner.write = true
	b.owner.busy = fireTxBudget / 2
	b.eng.batchSize = n // all in one batch, were it not cut
	if err := b.eng.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	// At most three deadlines fit in a batch (the budget is checked before
	// each one after the first).
	b.awaitFired(t, n, (n+2)/3, 30*time.Second)
	b.checkEachFiredOnce(t)
	if got := b.eng.fired.Load(); got != n {
		t.Errorf("engine counted %d deadlines handled, want %d", got, n)
	}
	if got := b.log.count("WARN"); got != 0 {
		t.Errorf("%d warnings, want none: %v", got, b.log.recs)
	}
}

// A deadline whose handling fails is undone alone: the others in its batch
// commit, and it is retried.
func TestFailingDeadlineDoesNotUndoItsBatch(t *testing.T) {
	t.Parallel()
	const n = 10
	b := setupBacklog(t, n)
	failing := b.ids[3]
	b.owner.write = true
	b.owner.failOnce[failing] = true
	b.eng.batchSize = n // all in one batch
	if err := b.eng.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	b.awaitFired(t, n-1, 1, 10*time.Second)
	// The failed one is due again a little later.
	b.clock.Advance(time.Second)
	b.awaitFired(t, n, 2, 10*time.Second)
	b.checkEachFiredOnce(t)
	if got := b.eng.fireBatches.Load(); got != 2 {
		t.Errorf("%d batches, want 2 (all, then the failed one again)", got)
	}
	if got := b.log.count("WARN deadline handling failed"); got != 1 {
		t.Errorf("%d failure lines, want 1", got)
	}
	// The failed attempt's write was undone with it; the retry's stands.
	err := b.sqlite.View(t.Context(), func(tx store.Tx) error {
		objs, err := tx.ListObjects(store.ObjectQuery{Kind: "test.fired"})
		if err == nil && len(objs) != n {
			err = fmt.Errorf("%d fired records, want %d", len(objs), n)
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
}

// Stale deadlines are dropped in memory: their task is neither scheduled
// nor started here any more, or the attempt or the heartbeat has moved on,
// or their timer was canceled.
func TestStaleDeadlinesDroppedInMemory(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)
	e := New(Config{Now: func() time.Time { return now }})
	e.scheduled.add(1) // task 1: scheduled, with schedule timeouts
	e.armStarted(&store.Task{ID: 2, Attempt: 2, StartedAt: now.Add(-time.Minute)})
	beating := e.armStarted(&store.Task{ID: 3, Attempt: 1, Heartbeat: 10 * time.Second, StartedAt: now.Add(-time.Minute)})
	beating.lastBeat = now.Add(-time.Second)
	silent := e.armStarted(&store.Task{ID: 4, Attempt: 1, Heartbeat: 10 * time.Second, StartedAt: now.Add(-time.Minute)})
	silent.lastBeat = now.Add(-20 * time.Second)
	e.timers.add(1) // timer 1: armed; timer 2: canceled, fired or never armed here
	armed := e.deadlines.len()

	tests := []struct {
		name  string
		dl    deadline
		stale bool
	}{
		{"schedule-to-start, scheduled", deadline{kind: dlScheduleToStart, id: 1}, false},
		{"schedule-to-start, started", deadline{kind: dlScheduleToStart, id: 2}, true},
		{"schedule-to-start, ended", deadline{kind: dlScheduleToStart, id: 9}, true},
		{"schedule-to-close, scheduled", deadline{kind: dlScheduleToClose, id: 1, attempt: -1}, false},
		{"schedule-to-close, started", deadline{kind: dlScheduleToClose, id: 2, attempt: -1}, false},
		{"schedule-to-close, ended", deadline{kind: dlScheduleToClose, id: 9, attempt: -1}, true},
		{"start-to-close, this attempt", deadline{kind: dlStartToClose, id: 2, attempt: 2}, false},
		{"start-to-close, an earlier attempt", deadline{kind: dlStartToClose, id: 2, attempt: 1}, true},
		{"start-to-close, ended", deadline{kind: dlStartToClose, id: 9, attempt: 1}, true},
		{"heartbeat, silent worker", deadline{kind: dlHeartbeat, id: 4, attempt: 1}, false},
		{"heartbeat, an earlier attempt", deadline{kind: dlHeartbeat, id: 4, attempt: 0}, true},
		{"heartbeat, ended", deadline{kind: dlHeartbeat, id: 9, attempt: 1}, true},
		{"timer", deadline{kind: dlTimer, id: 1}, false},
		{"timer, canceled", deadline{kind: dlTimer, id: 2}, true},
	}
	for _, tt := range tests {
		if got := e.stale(tt.dl, now); got != tt.stale {
			t.Errorf("%s: stale = %v, want %v", tt.name, got, tt.stale)
		}
	}
	if got := e.deadlines.len(); got != armed {
		t.Fatalf("%d deadlines re-armed, want none yet", got-armed)
	}

	// A worker that beat since: dropped, and re-armed at its new due time.
	if !e.stale(deadline{kind: dlHeartbeat, id: 3, attempt: 1}, now) {
		t.Error("heartbeat of a worker that beat since: not stale")
	}
	due, _ := e.deadlines.due(now.Add(time.Hour), nil, 1000)
	var rearmed []time.Time
	for _, dl := range due {
		if dl.kind == dlHeartbeat && dl.id == 3 && dl.attempt == 1 {
			rearmed = append(rearmed, dl.at)
		}
	}
	// armStarted's first heartbeat deadline, then the re-armed one.
	if want := now.Add(9 * time.Second); len(rearmed) != 2 || !rearmed[1].Equal(want) {
		t.Errorf("heartbeat deadlines of task 3 = %v, want the re-armed one at %v", rearmed, want)
	}
}

// The start-to-close deadline of a task that completed is dropped in memory
// when it comes due: it costs the store nothing.
func TestStaleDeadlineNeverReachesTheStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "gaffer.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: st}
	clock := &testClock{t: time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)}
	b := &bundle{dir: dir, store: cs, owner: newTestOwner()}
	b.eng = New(Config{Store: cs, Now: clock.Now})
	b.eng.RegisterOwner("test", b.owner)
	if err := b.eng.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b.eng.Stop()
		_ = st.Close()
	})

	b.schedule(t, "q", func(tk *store.Task) {
		tk.StartToClose = time.Minute
		tk.ScheduleToClose = time.Hour
	})
	_, tok := b.poll(t, "q", time.Second)
	if err := b.eng.Complete(t.Context(), tok, nil); err != nil {
		t.Fatal(err)
	}
	recv(t, b.owner.closed, "completion")
	writes := cs.updates.Load()

	clock.Advance(2 * time.Hour)
	select {
	case b.eng.deadlines.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
	if !b.eng.deadlineWork.Until(10*time.Second, func() bool { return b.eng.dropped.Load() == 2 }) {
		t.Fatalf("%d deadlines dropped, want 2 (start-to-close, schedule-to-close)", b.eng.dropped.Load())
	}
	if got := cs.updates.Load(); got != writes {
		t.Errorf("%d store writes for stale deadlines, want none", got-writes)
	}
	if got := b.eng.fireBatches.Load(); got != 0 {
		t.Errorf("%d deadline batches, want none", got)
	}
}

// laneStore notes the lane of the Update whose function is running, for an
// owner to read while it reacts (the writer runs one function at a time).
type laneStore struct {
	store.Store
	cur atomic.Uint32 // store.Lane
}

func (s *laneStore) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	lane := store.LaneOf(ctx)
	return s.Store.Update(ctx, func(tx store.Tx) error {
		s.cur.Store(uint32(lane))
		return fn(tx)
	})
}

// laneOwner is an owner whose "bg" timers are background work
// (BackgroundTimers); it records the lane each timer fired in.
type laneOwner struct {
	st    *laneStore
	mu    sync.Mutex
	lanes map[string][]store.Lane // by timer kind
	total atomic.Int64
}

func (o *laneOwner) BackgroundTimer(kind string) bool                   { return kind == "bg" }
func (o *laneOwner) TaskStarted(store.Tx, *store.Task, StartKind) error { return nil }
func (o *laneOwner) TaskClosed(store.Tx, *store.Task, Outcome) error    { return nil }
func (o *laneOwner) TimerFired(tx store.Tx, tm *store.Timer) error {
	lane := store.Lane(o.st.cur.Load())
	tx.AfterCommit(func() {
		o.mu.Lock()
		o.lanes[tm.Kind] = append(o.lanes[tm.Kind], lane)
		o.mu.Unlock()
		o.total.Add(1)
	})
	return nil
}

// Timers an owner calls background (a Step Functions run going on in a
// later write) fire in the store's background lane; the others (a Wait
// state's end, an SWF timer a decider waits for) in the request lane, so
// that a writer busy with requests does not hold them to the background
// share. Both kinds fall due together: the batch is split by lane. The
// owner is wrapped (WrapOwners), as the server's metrics wrap every owner.
func TestTimersFireInTheirOwnersLane(t *testing.T) {
	t.Parallel()
	sq, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gaffer.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := &laneStore{Store: sq}
	owner := &laneOwner{st: st, lanes: make(map[string][]store.Lane)}
	eng := New(Config{Store: st, Logger: slog.New(&logRecorder{})})
	eng.RegisterOwner("test", owner)
	// As the server's metrics do: a wrapper that has only Owner's methods.
	eng.WrapOwners(func(_ string, o Owner) Owner { return struct{ Owner }{o} })
	t.Cleanup(func() {
		eng.Stop()
		_ = sq.Close()
	})
	if err := eng.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	const n = 5
	due := eng.Now().Add(20 * time.Millisecond) // all due together
	err = eng.Update(t.Context(), func(tx store.Tx) error {
		for i := range n {
			for _, kind := range []string{"wait", "bg"} {
				tm := &store.Timer{OwnerKind: "test", OwnerID: fmt.Sprintf("o%d", i), Kind: kind, FireAt: due}
				if err := eng.SetTimer(tx, tm); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !eng.deadlineWork.Until(30*time.Second, func() bool { return owner.total.Load() >= 2*n }) {
		t.Fatalf("%d of %d timers fired", owner.total.Load(), 2*n)
	}
	owner.mu.Lock()
	defer owner.mu.Unlock()
	for kind, want := range map[string]store.Lane{"wait": store.LaneRequest, "bg": store.LaneBackground} {
		got := owner.lanes[kind]
		if len(got) != n {
			t.Errorf("%d %q timers fired, want %d", len(got), kind, n)
		}
		for _, lane := range got {
			if lane != want {
				t.Errorf("a %q timer fired in lane %d, want %d: %v", kind, lane, want, got)
				break
			}
		}
	}
}
