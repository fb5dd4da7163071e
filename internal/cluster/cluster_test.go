package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/store/sqlite"
	"github.com/gaffer-dev/gaffer/internal/testsignal"
)

// within bounds every wait on a signal.
const within = 10 * time.Second

// testLease is long enough that the loops' tickers never fire during a
// test: ticks happen when a test calls step, or on notices.
const testLease = time.Hour

// harness is a few nodes on one store, and a bus between them.
type harness struct {
	t       *testing.T
	shared  store.Store
	bus     *bus // nil: alone
	changed testsignal.Signal[struct{}]
	members []*member
	// direct gives the nodes the shared store itself (its own Fencer),
	// not a nodeStore: for one node alone.
	direct bool
}

type member struct {
	name   string
	node   *Node
	engine *fakeEngine
	store  *nodeStore
	logs   *logCount
}

func newHarness(t *testing.T, shared store.Store, withBus bool) *harness {
	h := &harness{t: t, shared: shared}
	if withBus {
		h.bus = newBus(t)
	}
	h.changed.Init()
	return h
}

// build makes a node that has not started.
func (h *harness) build(name string) *member {
	m := &member{name: name, store: &nodeStore{Store: h.shared, name: name, bus: h.bus}, logs: &logCount{}}
	m.engine = &fakeEngine{t: h.t, changed: &h.changed, held: map[int]bool{}}
	cfg := Config{Store: m.store, Engine: m.engine, Name: name, Addr: name + ":9000", Lease: testLease,
		Logger: slog.New(m.logs)}
	switch {
	case h.direct:
		cfg.Store = h.shared
	case h.bus != nil:
		ns := notifierStore{m.store}
		cfg.Store, cfg.Notifier = ns, ns
	}
	m.node = New(cfg)
	m.engine.node = m.node
	h.members = append(h.members, m)
	return m
}

// start starts m and stops it when the test ends.
func (h *harness) start(m *member) {
	h.t.Helper()
	if err := m.node.Start(h.t.Context()); err != nil {
		h.t.Fatalf("start %s: %v", m.name, err)
	}
	h.t.Cleanup(m.node.Stop)
}

func (h *harness) add(name string) *member {
	h.t.Helper()
	m := h.build(name)
	h.start(m)
	return m
}

// leases reads the live holders of the partitions from the store.
func (h *harness) leases() (byNode map[string][]int, free []int) {
	h.t.Helper()
	var nodes []store.Node
	var leases []store.Lease
	err := h.shared.View(h.t.Context(), func(tx store.Tx) error {
		var err error
		if nodes, err = tx.ListNodes(); err != nil {
			return err
		}
		leases, err = tx.ListLeases()
		return err
	})
	if err != nil {
		h.t.Fatalf("read leases: %v", err)
	}
	live := map[string]bool{}
	for _, n := range nodes {
		live[n.ID] = true
	}
	var holder [store.Partitions]string
	for _, l := range leases {
		if live[l.Node] {
			holder[l.Partition] = l.Node
		}
	}
	byNode = map[string][]int{}
	for p, n := range holder {
		if n == "" {
			free = append(free, p)
		} else {
			byNode[n] = append(byNode[n], p)
		}
	}
	return byNode, free
}

// converged reports whether the running members hold want partitions each
// in the store (none free), and each engine has loaded exactly its
// node's, so that no partition is loaded twice.
func (h *harness) converged(want map[string]int) bool {
	byNode, free := h.leases()
	if len(free) > 0 || len(byNode) != len(want) {
		return false
	}
	for name, n := range want {
		if len(byNode[name]) != n {
			return false
		}
	}
	for _, m := range h.members {
		if _, ok := want[m.name]; !ok {
			continue
		}
		if !slices.Equal(m.engine.loaded(), byNode[m.name]) {
			return false
		}
		for p := range store.Partitions {
			if m.node.Owns(p) != slices.Contains(byNode[m.name], p) {
				return false
			}
		}
	}
	return true
}

func (h *harness) waitConverged(want map[string]int) {
	h.t.Helper()
	if !h.changed.Until(within, func() bool { return h.converged(want) }) {
		byNode, free := h.leases()
		counts := map[string]int{}
		for n, ps := range byNode {
			counts[n] = len(ps)
		}
		h.t.Fatalf("not converged to %v: the store has %v and %d free", want, counts, len(free))
	}
}

// logCount is a slog handler that counts warnings by op.
type logCount struct {
	mu    sync.Mutex
	warns map[string]int
}

func (l *logCount) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCount) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logCount) WithGroup(string) slog.Handler            { return l }
func (l *logCount) Handle(_ context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return nil
	}
	op := ""
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "op" {
			op = a.Value.String()
		}
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.warns == nil {
		l.warns = map[string]int{}
	}
	l.warns[op]++
	return nil
}

func (l *logCount) count(op string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.warns[op]
}

// stores are the stores every scenario runs on.
var stores = map[string]func(t *testing.T) store.Store{
	"mem": func(*testing.T) store.Store { return newMemStore() },
	"sqlite": func(t *testing.T) store.Store {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gaffer.db"), sqlite.Options{})
		if err != nil {
			t.Fatalf("open sqlite: %v", err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("close sqlite: %v", err)
			}
		})
		return s
	},
}

func eachStore(t *testing.T, f func(t *testing.T, open func(t *testing.T) store.Store)) {
	for _, name := range slices.Sorted(maps.Keys(stores)) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, stores[name])
		})
	}
}

func all() []int {
	var ps []int
	for p := range store.Partitions {
		ps = append(ps, p)
	}
	return ps
}

func TestAloneTakesAll(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := open(t)
		// A previous process that did not leave holds a few partitions.
		err := s.Update(t.Context(), func(tx store.Tx) error {
			old := store.Node{ID: "old", Addr: "old:9000"}
			if err := tx.JoinNode(&old, time.Hour); err != nil {
				return err
			}
			for p := range 5 {
				if _, err := tx.AcquireLease(p, "old"); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		h := newHarness(t, s, false)
		h.direct = true
		a := h.add("a")
		if got := a.engine.acquires; len(got) != 1 || !slices.Equal(got[0], all()) {
			t.Errorf("Acquire calls at start: %v, want one of all %d partitions", got, store.Partitions)
		}
		h.waitConverged(map[string]int{"a": store.Partitions})
		if a.node.Shared() {
			t.Error("Shared without a Notifier")
		}
		st := a.node.Status()
		if !st.Joined || st.Epoch == 0 || len(st.Partitions) != store.Partitions || len(st.Loading) != 0 {
			t.Errorf("Status = %+v", st)
		}
		views, err := a.node.Nodes(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(views) != 1 || views[0].ID != "a" || views[0].Addr != "a:9000" || !views[0].Self ||
			!slices.Equal(views[0].Partitions, all()) || views[0].Epoch != st.Epoch {
			t.Errorf("Nodes = %+v", views)
		}
		a.node.Wake("q") // alone: nothing to do, and no sender to do it
		a.node.Arm(3, []int64{1}, nil)

		a.node.Stop()
		byNode, free := h.leases()
		if len(byNode) != 0 || len(free) != store.Partitions {
			t.Errorf("after Stop the store has holders %v and %d free, want all free", byNode, len(free))
		}
		if loaded := a.engine.loaded(); len(loaded) != 0 {
			t.Errorf("after Stop the engine still holds %v", loaded)
		}
		views, err = a.node.Nodes(t.Context())
		if err != nil || len(views) != 0 {
			t.Errorf("Nodes after Stop = %v, %v; want none", views, err)
		}
		a.node.Stop() // twice is fine
	})
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	h := newHarness(t, newMemStore(), true)
	m := h.build("a")
	m.node.Stop() // before Start
	if err := m.node.Start(t.Context()); err == nil {
		t.Error("Start after Stop succeeded")
	}
	if err := New(Config{Store: newMemStore(), Engine: m.engine}).Start(t.Context()); err == nil {
		t.Error("Start without a name succeeded")
	}
	b := h.build("b")
	b.engine.failAcquire = 1
	if err := b.node.Start(t.Context()); err == nil {
		t.Error("Start whose first Acquire failed succeeded")
	}
	b.node.Stop()
	if views, err := b.node.Nodes(t.Context()); err != nil || len(views) != 0 {
		t.Errorf("Nodes after a failed Start = %v, %v; want none (it left)", views, err)
	}
}

func TestTwoNodesSplit(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		h := newHarness(t, open(t), true)
		a := h.add("a")
		h.waitConverged(map[string]int{"a": 64})
		h.add("b")
		h.waitConverged(map[string]int{"a": 32, "b": 32})
		if !a.node.Shared() {
			t.Error("not Shared with a Notifier")
		}
		views, err := a.node.Nodes(t.Context())
		if err != nil || len(views) != 2 || len(views[0].Partitions) != 32 || len(views[1].Partitions) != 32 ||
			!views[0].Self || views[1].Self {
			t.Errorf("Nodes = %+v, %v", views, err)
		}
	})
}

func TestThreeNodesConverge(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		h := newHarness(t, open(t), true)
		h.add("a")
		h.add("b")
		h.waitConverged(map[string]int{"a": 32, "b": 32})
		h.add("c")
		// The first in name order has the extra one.
		h.waitConverged(map[string]int{"a": 22, "b": 21, "c": 21})
		// Ticks change nothing once converged.
		for _, m := range h.members {
			m.node.step(t.Context())
		}
		if !h.converged(map[string]int{"a": 22, "b": 21, "c": 21}) {
			t.Error("ticks after convergence moved partitions")
		}
	})
}

func TestStopHandsOver(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		h := newHarness(t, open(t), true)
		h.add("a")
		h.add("b")
		c := h.add("c")
		h.waitConverged(map[string]int{"a": 22, "b": 21, "c": 21})
		c.node.Stop()
		if got := c.engine.loaded(); len(got) != 0 {
			t.Errorf("c's engine holds %v after Stop", got)
		}
		for p := range store.Partitions {
			if c.node.Owns(p) {
				t.Fatalf("c owns %d after Stop", p)
			}
		}
		// No tick runs (the lease is an hour): the notice alone moves them.
		h.waitConverged(map[string]int{"a": 32, "b": 32})
	})
}

func TestFencedNodeRejoins(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		h := newHarness(t, open(t), true)
		h.add("a")
		b := h.add("b")
		h.waitConverged(map[string]int{"a": 32, "b": 32})
		before := b.node.Status()
		// b's row goes as if it had been reaped (its leases are free).
		err := h.shared.Update(t.Context(), func(tx store.Tx) error { return tx.LeaveNode("b", before.Epoch) })
		if err != nil {
			t.Fatal(err)
		}
		// A write of b's is fenced now.
		if err := b.store.Update(t.Context(), func(store.Tx) error { return nil }); err != store.ErrFenced {
			t.Fatalf("b's write after its row went: %v, want ErrFenced", err)
		}
		b.node.step(t.Context()) // renew: fenced; release all; rejoin
		after := b.node.Status()
		if !after.Joined || after.Epoch <= before.Epoch {
			t.Errorf("after the rejoin: %+v, want joined with an epoch above %d", after, before.Epoch)
		}
		b.engine.mu.Lock()
		releasedAll := slices.ContainsFunc(b.engine.releases, func(ps []int) bool { return slices.Equal(ps, before.Partitions) })
		b.engine.mu.Unlock()
		if !releasedAll {
			t.Errorf("b's engine did not release its partitions %v at once", before.Partitions)
		}
		h.waitConverged(map[string]int{"a": 32, "b": 32})
		if err := b.store.Update(t.Context(), func(store.Tx) error { return nil }); err != nil {
			t.Errorf("b's write after the rejoin: %v", err)
		}
	})
}

func TestExpiredNodeReaped(t *testing.T) {
	t.Parallel()
	mem := newMemStore()
	h := newHarness(t, mem, true)
	a := h.add("a")
	b := h.add("b")
	h.waitConverged(map[string]int{"a": 32, "b": 32})
	byNode, _ := h.leases()
	// b stops renewing (it ticks only when told): once the store's clock
	// passes its expiry, a's tick reaps it and takes its partitions.
	mem.advance(testLease / 2)
	a.node.step(t.Context())
	mem.advance(testLease/2 + time.Second)
	a.node.step(t.Context())
	a.engine.mu.Lock()
	tookB := slices.ContainsFunc(a.engine.acquires, func(ps []int) bool { return slices.Equal(ps, byNode["b"]) })
	a.engine.mu.Unlock()
	if !tookB {
		t.Errorf("a did not take b's partitions %v after reaping it", byNode["b"])
	}
	// b may have committed rows of a's partitions and died before its
	// notice: a reconciled once it saw b gone.
	a.engine.mu.Lock()
	reconciled := a.engine.reconciles
	a.engine.mu.Unlock()
	if reconciled == 0 {
		t.Error("a did not reconcile after b was reaped (b's last notices may be lost)")
	}
	// b finds out (on a's notice, or its next tick): fenced, it drops
	// everything and rejoins; the two split again.
	b.node.step(t.Context())
	h.waitConverged(map[string]int{"a": 32, "b": 32})
	if st := b.node.Status(); !st.Joined {
		t.Errorf("b did not rejoin: %+v", st)
	}
}

func TestNoticesCoalesce(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		h := newHarness(t, open(t), true)
		b := h.add("b")
		a := h.build("a")
		hold := make(chan struct{})
		a.node.out.hold = hold
		h.start(a)
		h.waitConverged(map[string]int{"a": 32, "b": 32})
		byNode, _ := h.leases()
		pa, pb := byNode["a"][0], byNode["b"][0]

		for i := range 1000 {
			a.node.Wake(fmt.Sprintf("q%d", i%10))
			a.node.Arm(pb, []int64{int64(i)}, nil)
		}
		a.node.Arm(pb, nil, []int64{7, 8})
		a.node.Arm(pa, []int64{99999}, nil) // a's own: b skips it
		if got := len(h.bus.notices("a", WakeChannel)); got != 0 {
			t.Fatalf("%d wake notices sent while the sender was held", got)
		}
		close(hold)
		ok := h.changed.Until(within, func() bool {
			b.engine.mu.Lock()
			defer b.engine.mu.Unlock()
			return len(b.engine.woken) == 10 && len(b.engine.tasks) == 1000 && len(b.engine.timers) == 2
		})
		if !ok {
			t.Fatalf("b's engine got %d wakes, %d tasks, %d timers", len(b.engine.woken), len(b.engine.tasks), len(b.engine.timers))
		}
		wakes := h.bus.notices("a", WakeChannel)
		if len(wakes) != 1 || wakes[0] != "q0\nq1\nq2\nq3\nq4\nq5\nq6\nq7\nq8\nq9" {
			t.Errorf("wake notices: %q, want one naming q0..q9", wakes)
		}
		arms := h.bus.notices("a", ArmChannel)
		if len(arms) != 1 { // 1002 ids of up to 3 digits fit in one
			t.Errorf("%d arm notices, want 1", len(arms))
		}
		b.engine.mu.Lock()
		if slices.Contains(b.engine.tasks, 99999) {
			t.Error("b armed a task of a's partition")
		}
		tasks := slices.Sorted(slices.Values(b.engine.tasks))
		b.engine.mu.Unlock()
		for i, id := range tasks {
			if id != int64(i) {
				t.Fatalf("b armed tasks %v…, want 0..999", tasks[:i+1])
			}
		}
		// a's echoes are skipped: its engine neither woke nor armed.
		a.engine.mu.Lock()
		if len(a.engine.woken) != 0 || len(a.engine.tasks) != 0 {
			t.Errorf("a's engine handled its own notices: woken %v, tasks %d", a.engine.woken, len(a.engine.tasks))
		}
		a.engine.mu.Unlock()
	})
}

func TestNoticesSplitAtMaxPayload(t *testing.T) {
	t.Parallel()
	h := newHarness(t, newMemStore(), true)
	b := h.add("b")
	a := h.build("a")
	hold := make(chan struct{})
	a.node.out.hold = hold
	h.start(a)
	name := strings.Repeat("x", 60)
	for i := range 300 { // 300 × 64 bytes: three payloads
		a.node.Wake(fmt.Sprintf("%s%03d", name, i))
	}
	// Over 7,000 bytes pending: the sender goes without waiting for hold.
	if !h.changed.Until(within, func() bool {
		b.engine.mu.Lock()
		defer b.engine.mu.Unlock()
		return len(b.engine.woken) > 0
	}) {
		t.Fatal("a full batch was not sent at once")
	}
	close(hold)
	if !h.changed.Until(within, func() bool {
		b.engine.mu.Lock()
		defer b.engine.mu.Unlock()
		return len(b.engine.woken) == 300
	}) {
		t.Fatalf("b woke %d queues, want 300", len(b.engine.woken))
	}
	if got := len(h.bus.notices("a", WakeChannel)); got < 3 || got > 6 {
		t.Errorf("%d wake notices for 19,200 bytes, want 3 to 6", got)
	}
}

func TestNotifyFailureRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t, newMemStore(), true)
	b := h.add("b")
	a := h.add("a")
	h.bus.failNotify.Store(2)
	a.node.Wake("q")
	if !h.changed.Until(within, func() bool {
		b.engine.mu.Lock()
		defer b.engine.mu.Unlock()
		return slices.Equal(b.engine.woken, []string{"q"})
	}) {
		t.Fatal("a wake whose notice failed twice never arrived")
	}
	if got := a.logs.count("notify"); got != 1 {
		t.Errorf("%d warnings for notify, want 1", got)
	}
}

func TestReconnectReconciles(t *testing.T) {
	t.Parallel()
	h := newHarness(t, newMemStore(), true)
	a := h.add("a")
	a.engine.mu.Lock()
	n := a.engine.reconciles
	a.engine.mu.Unlock()
	if n != 0 {
		t.Errorf("%d reconciles after start, want 0 (the first balance came after listening began)", n)
	}
	h.bus.reconnect("a")
	if !h.changed.Until(within, func() bool {
		a.engine.mu.Lock()
		defer a.engine.mu.Unlock()
		return a.engine.reconciles == 1
	}) {
		t.Fatal("a reconnect did not reconcile")
	}
}

func TestNoticeFailuresRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t, newMemStore(), true)
	a := h.add("a")
	b := h.add("b")
	h.waitConverged(map[string]int{"a": 32, "b": 32})
	byNode, _ := h.leases()
	b.engine.mu.Lock()
	b.engine.failNotices = 2
	b.engine.mu.Unlock()
	a.node.Wake("q")
	a.node.Arm(byNode["b"][0], []int64{5}, []int64{6})
	if !h.changed.Until(within, func() bool {
		b.engine.mu.Lock()
		defer b.engine.mu.Unlock()
		return b.engine.failNotices == 0
	}) {
		t.Fatal("b's engine was not asked to wake and arm")
	}
	b.node.step(t.Context()) // the tick hands them over again
	b.engine.mu.Lock()
	woken, tasks, timers := b.engine.woken, b.engine.tasks, b.engine.timers
	b.engine.mu.Unlock()
	if !slices.Equal(woken, []string{"q"}) || !slices.Equal(tasks, []int64{5}) || !slices.Equal(timers, []int64{6}) {
		t.Errorf("after the retry b's engine has woken %v, armed %v and %v", woken, tasks, timers)
	}

	// A failed reconcile is retried too.
	b.engine.mu.Lock()
	b.engine.failNotices = 1
	b.engine.mu.Unlock()
	h.bus.reconnect("b")
	if !h.changed.Until(within, func() bool {
		b.engine.mu.Lock()
		defer b.engine.mu.Unlock()
		return b.engine.failNotices == 0
	}) {
		t.Fatal("b's engine was not asked to reconcile")
	}
	b.node.step(t.Context())
	b.engine.mu.Lock()
	n := b.engine.reconciles
	b.engine.mu.Unlock()
	if n != 1 {
		t.Errorf("%d reconciles after the retry, want 1", n)
	}
}

func TestAcquireFailureRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t, newMemStore(), true)
	a := h.add("a")
	b := h.add("b")
	h.waitConverged(map[string]int{"a": 32, "b": 32})
	a.engine.mu.Lock()
	a.engine.failAcquire = 1
	a.engine.mu.Unlock()
	b.node.Stop()
	// a takes b's partitions on the notice, but its engine fails to
	// load them: a holds them, loading.
	if !h.changed.Until(within, func() bool {
		st := a.node.Status()
		return len(st.Partitions) == 64 && len(st.Loading) == 32
	}) {
		t.Fatalf("a's status after a failed Acquire: %+v", a.node.Status())
	}
	a.node.step(t.Context())
	if st := a.node.Status(); len(st.Loading) != 0 {
		t.Errorf("still loading %v after a tick", st.Loading)
	}
	h.waitConverged(map[string]int{"a": 64})
	if got := a.logs.count("balance"); got != 1 {
		t.Errorf("%d warnings for the failed balance, want 1", got)
	}
}

func TestStoreErrorsRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t, newMemStore(), true)
	a := h.add("a")
	h.waitConverged(map[string]int{"a": 64})
	a.store.failUpdates.Store(4) // renew, reap, then again
	a.node.step(t.Context())
	a.node.step(t.Context())
	if got := a.logs.count("renew"); got != 1 {
		t.Errorf("%d warnings for renew, want 1 (logged once)", got)
	}
	if got := a.logs.count("reap"); got != 1 {
		t.Errorf("%d warnings for reap, want 1", got)
	}
	a.node.step(t.Context()) // succeeds
	h.waitConverged(map[string]int{"a": 64})
	if st := a.node.Status(); !st.Joined {
		t.Errorf("not joined after store errors: %+v", st)
	}
}

func TestArmEncoding(t *testing.T) {
	t.Parallel()
	arms := map[int]*armed{
		9: {tasks: []int64{4}},
		5: {tasks: []int64{12, 13}, timers: []int64{7}},
	}
	got := encodeArms(arms)
	if want := []string{"p5,t12,t13,m7,p9,t4"}; !slices.Equal(got, want) {
		t.Errorf("encodeArms = %q, want %q", got, want)
	}
	tasks, timers := decodeArms(got[0], func(p int) bool { return p == 5 })
	if !slices.Equal(tasks, []int64{12, 13}) || !slices.Equal(timers, []int64{7}) {
		t.Errorf("decodeArms for partition 5 = %v, %v", tasks, timers)
	}
	tasks, _ = decodeArms("t1,px,p70,t2,p9,t3,junk,t", func(int) bool { return true })
	if !slices.Equal(tasks, []int64{3}) {
		t.Errorf("decodeArms of a malformed payload = %v, want [3]", tasks)
	}

	// A large set splits, each payload starting with its partition.
	big := map[int]*armed{1: {}, 2: {}}
	for i := range 3000 {
		big[1+i%2].tasks = append(big[1+i%2].tasks, int64(1_000_000+i))
	}
	payloads := encodeArms(big)
	var n int
	for _, p := range payloads {
		if len(p) > maxPayload || !strings.HasPrefix(p, "p") {
			t.Errorf("payload of %d bytes starting %q", len(p), p[:4])
		}
		ts, _ := decodeArms(p, func(int) bool { return true })
		n += len(ts)
	}
	if n != 3000 {
		t.Errorf("%d ids decoded from %d payloads, want 3000", n, len(payloads))
	}
}

func TestShare(t *testing.T) {
	t.Parallel()
	for count := 1; count <= 70; count++ {
		sum := 0
		for rank := range count {
			sum += share(rank, count)
		}
		if sum != store.Partitions {
			t.Errorf("shares of %d nodes add up to %d", count, sum)
		}
	}
	if share(0, 3) != 22 || share(1, 3) != 21 || share(2, 3) != 21 {
		t.Error("shares of three nodes are not 22, 21, 21")
	}
}
