package engine

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/store/sqlite"
)

// bus is the fake membership the nodes of a test share: who holds each
// partition, and notices delivered to every node (the sender's own
// included, like store.Notifier's), each on a goroutine of its own.
type bus struct {
	mu      sync.Mutex
	holder  [store.Partitions]int // node index; -1: nobody
	nodes   []*node
	lose    bool // drop notices, as a listener reconnecting would
	pending sync.WaitGroup
	ctx     context.Context
}

// node is one engine of a test cluster and its fake Cluster.
type node struct {
	bus   *bus
	index int
	eng   *Engine
	owner *testOwner
}

func (n *node) Owns(p int) bool {
	n.bus.mu.Lock()
	defer n.bus.mu.Unlock()
	return n.bus.holder[p] == n.index
}

func (n *node) Shared() bool { return true }

func (n *node) Wake(queue string) {
	n.bus.send(func(to *node) error { return to.eng.WakeQueue(n.bus.ctx, queue) })
}

func (n *node) Arm(_ int, tasks, timers []int64) {
	n.bus.send(func(to *node) error { return to.eng.ArmRemote(n.bus.ctx, tasks, timers) })
}

func (b *bus) send(deliver func(to *node) error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lose {
		return
	}
	for _, to := range b.nodes {
		b.pending.Add(1)
		go func() {
			defer b.pending.Done()
			if err := deliver(to); err != nil && b.ctx.Err() == nil {
				panic(err)
			}
		}()
	}
}

// hold makes node i (-1: nobody) the holder of every partition.
func (b *bus) hold(i int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for p := range b.holder {
		b.holder[p] = i
	}
}

// testCluster is n engines sharing one SQLite store and one clock; node 0
// holds every partition (and has acquired them).
type testCluster struct {
	bus   *bus
	clock *testClock
	nodes []*node
	st    store.Store
}

func setupCluster(t *testing.T, n int) *testCluster {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gaffer.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &testCluster{
		bus:   &bus{ctx: ctx},
		clock: &testClock{t: time.Now().Truncate(time.Second)}, // polls wait in real time
		st:    st,
	}
	c.bus.hold(0)
	t.Cleanup(func() {
		cancel()
		c.bus.pending.Wait()
		for _, nd := range c.nodes {
			nd.eng.Stop()
		}
		_ = st.Close()
	})
	for i := range n {
		nd := &node{bus: c.bus, index: i, owner: newTestOwner()}
		nd.eng = New(Config{Store: st, Now: c.clock.Now, FlushInterval: 20 * time.Millisecond, Cluster: nd})
		nd.eng.RegisterOwner("test", nd.owner)
		c.nodes = append(c.nodes, nd)
		if err := nd.eng.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	c.bus.mu.Lock()
	c.bus.nodes = c.nodes
	c.bus.mu.Unlock()
	if err := c.nodes[0].eng.Acquire(t.Context(), allPartitions()); err != nil {
		t.Fatal(err)
	}
	return c
}

func allPartitions() []int {
	ps := make([]int, store.Partitions)
	for p := range ps {
		ps[p] = p
	}
	return ps
}

func (n *node) schedule(t *testing.T, queue string, mod func(*store.Task)) *store.Task {
	t.Helper()
	return (&bundle{eng: n.eng}).schedule(t, queue, mod)
}

// park starts a poll on queue and waits until it waits; its task arrives
// on the returned channel.
func (n *node) park(t *testing.T, queue string) <-chan *store.Task {
	t.Helper()
	return (&bundle{eng: n.eng}).parkPoller(t, t.Context(), queue, "w")
}

func (n *node) poll(t *testing.T, queue string) (*store.Task, string) {
	t.Helper()
	task, tok, err := n.eng.Poll(t.Context(), queue, "w", 10*time.Second)
	if err != nil || task == nil {
		t.Fatalf("poll on node %d = %v, %v", n.index, task, err)
	}
	return task, tok
}

// nudge wakes n's deadline loop, to look at the clock again.
func (n *node) nudge() {
	select {
	case n.eng.deadlines.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// settled waits until n holds no deadline any more and has handled fired
// deadlines, or fails.
func (n *node) settled(t *testing.T, fired int64) {
	t.Helper()
	n.nudge()
	if !n.eng.deadlineWork.Until(10*time.Second, func() bool {
		return n.eng.deadlines.len() == 0 && n.eng.fired.Load() >= fired
	}) {
		t.Fatalf("node %d: %d deadlines pending, %d fired (want %d)", n.index, n.eng.deadlines.len(), n.eng.fired.Load(), fired)
	}
}

// row reads task id from the store (nil if it is gone).
func (c *testCluster) row(t *testing.T, id int64) *store.Task {
	t.Helper()
	var task *store.Task
	err := c.st.View(t.Context(), func(tx store.Tx) error {
		var err error
		task, err = tx.GetTask(id)
		if errors.Is(err, store.ErrNotFound) {
			task, err = nil, nil
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// flushedBeat waits until task id's row holds the beat at at, flushed by
// node n.
func (c *testCluster) flushedBeat(t *testing.T, n *node, id int64, at time.Time) {
	t.Helper()
	if !n.eng.flushed.Until(10*time.Second, func() bool {
		r := c.row(t, id)
		return r != nil && r.HeartbeatAt.Equal(at)
	}) {
		t.Fatalf("node %d did not flush the beat at %v of task %d", n.index, at, id)
	}
}

// A poll waiting on one node gets a task scheduled through another (a wake
// notice), and a poll that finds nothing in memory finds in the store a
// task scheduled elsewhere before it came. Tasks carry their owner's
// partition.
func TestClusterPollGetsTaskScheduledElsewhere(t *testing.T) {
	t.Parallel()
	c := setupCluster(t, 2)
	a, b := c.nodes[0], c.nodes[1]

	got := a.park(t, "q")
	sched := b.schedule(t, "q", nil)
	if task := recv(t, got, "the task scheduled on B"); task == nil || task.ID != sched.ID {
		t.Fatalf("poll on A = %+v, want task %d", task, sched.ID)
	}
	if want := store.PartitionOf("o1"); sched.Partition != want || c.row(t, sched.ID).Partition != want {
		t.Errorf("partition = %d, want %d", sched.Partition, want)
	}

	// Nobody waits: B keeps no id, and A's poll looks in the store.
	later := b.schedule(t, "q2", func(tk *store.Task) { tk.OwnerID = "o2" })
	if got := b.eng.Stats().QueuedTasks; got != 0 {
		t.Errorf("B holds %d task ids, want none on a shared store", got)
	}
	if task, _ := a.poll(t, "q2"); task.ID != later.ID {
		t.Fatalf("poll on A = %d, want %d", task.ID, later.ID)
	}
}

// A heartbeat sent to B for an attempt started on A is accepted (B reads
// the row), B flushes it, and A, which holds the deadline, does not time
// the attempt out for it; a cancel request reaches B's memory from the row;
// once nobody beats, A times the attempt out, once.
func TestClusterHeartbeatElsewhere(t *testing.T) {
	t.Parallel()
	c := setupCluster(t, 2)
	a, b := c.nodes[0], c.nodes[1]
	start := c.clock.Now()
	sched := a.schedule(t, "q", func(tk *store.Task) { tk.Heartbeat = 10 * time.Second })
	task, tok := a.poll(t, "q")

	c.clock.Advance(8 * time.Second)
	if _, err := b.eng.Heartbeat(tok, []byte("on B")); err != nil {
		t.Fatalf("heartbeat on B: %v", err)
	}
	c.flushedBeat(t, b, sched.ID, start.Add(8*time.Second))

	// A's deadline (at 10 s) finds the row's beat and waits.
	c.clock.Advance(4 * time.Second)
	a.nudge()
	if !a.eng.deadlineWork.Until(10*time.Second, func() bool { return a.eng.fireBatches.Load() >= 1 }) {
		t.Fatal("A did not handle the heartbeat deadline")
	}
	select {
	case cl := <-a.owner.closed:
		t.Fatalf("timed out although B had a beat: %+v", cl.outcome)
	default:
	}

	// A cancel request written through A reaches B's memory at B's next
	// flush.
	if err := a.eng.Update(t.Context(), func(tx store.Tx) error {
		cur, err := tx.GetTask(task.ID)
		if err != nil {
			return err
		}
		return a.eng.RequestCancel(tx, cur)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.eng.Heartbeat(tok, nil); err != nil {
		t.Fatal(err)
	}
	if !b.eng.flushed.Until(10*time.Second, func() bool {
		res, err := b.eng.Heartbeat(tok, nil)
		return err == nil && res.CancelRequested
	}) {
		t.Fatal("B never learnt the cancel request")
	}

	// Nobody beats any more: A times it out once the row's beat plus the
	// heartbeat timeout and one flush interval have passed.
	c.flushedBeat(t, b, sched.ID, c.clock.Now())
	c.clock.Advance(11 * time.Second)
	a.nudge()
	cl := recv(t, a.owner.closed, "heartbeat timeout on A")
	if cl.outcome.Timeout != Heartbeat || string(cl.outcome.Details) != "on B" {
		t.Fatalf("outcome = %+v", cl.outcome)
	}
	a.settled(t, 2)
	if n := len(a.owner.closed) + len(b.owner.closed); n != 0 {
		t.Errorf("%d more closes, want none", n)
	}
	if b.eng.fired.Load() != 0 {
		t.Errorf("B fired %d deadlines of A's partition", b.eng.fired.Load())
	}
}

// Completion through B of an attempt started on A; A's memory, which still
// answers the token, forgets it at its next flush.
func TestClusterCompleteElsewhere(t *testing.T) {
	t.Parallel()
	c := setupCluster(t, 2)
	a, b := c.nodes[0], c.nodes[1]
	sched := a.schedule(t, "q", func(tk *store.Task) { tk.StartToClose = time.Hour })
	_, tok := a.poll(t, "q")
	if q, err := b.eng.TaskQueue(tok); err != nil || q != "q" {
		t.Fatalf("TaskQueue on B = %q, %v", q, err)
	}
	if o, err := b.eng.TaskOwner(tok); err != nil || o != "o1" {
		t.Fatalf("TaskOwner on B = %q, %v", o, err)
	}
	if err := b.eng.Complete(t.Context(), tok, []byte(`"done"`)); err != nil {
		t.Fatalf("complete on B: %v", err)
	}
	if cl := recv(t, b.owner.closed, "completion"); cl.task.ID != sched.ID || cl.outcome.Kind != Completed {
		t.Fatalf("closed %+v", cl)
	}
	if err := a.eng.Complete(t.Context(), tok, nil); !errors.Is(err, ErrTaskClosed) {
		t.Fatalf("second complete on A: %v, want ErrTaskClosed", err)
	}
	// A's stale entry answers until A's flush reads the row.
	if !a.eng.flushed.Until(10*time.Second, func() bool {
		_, err := a.eng.Heartbeat(tok, nil)
		return errors.Is(err, ErrTaskClosed)
	}) {
		t.Fatal("A still answers the closed attempt's heartbeats")
	}
	// Its start-to-close deadline is dropped in memory.
	c.clock.Advance(2 * time.Hour)
	a.settled(t, 0)
	if a.eng.dropped.Load() == 0 || a.eng.fired.Load() != 0 {
		t.Errorf("A dropped %d and fired %d deadlines, want the start-to-close dropped", a.eng.dropped.Load(), a.eng.fired.Load())
	}
}

// A task scheduled and started on B in a partition A holds: A arms its
// heartbeat deadline (an arm notice) and times it out, once.
func TestClusterHeartbeatTimeoutOnHolder(t *testing.T) {
	t.Parallel()
	c := setupCluster(t, 3)
	a, b := c.nodes[0], c.nodes[1]
	sched := b.schedule(t, "q", func(tk *store.Task) { tk.Heartbeat = 10 * time.Second })
	b.poll(t, "q")
	if b.eng.deadlines.len() != 0 {
		t.Errorf("B holds %d deadlines of A's partition", b.eng.deadlines.len())
	}
	c.clock.Advance(11 * time.Second)
	a.nudge()
	cl := recv(t, a.owner.closed, "heartbeat timeout on A")
	if cl.task.ID != sched.ID || cl.outcome.Timeout != Heartbeat {
		t.Fatalf("closed %+v", cl)
	}
	a.settled(t, 1)
	c.bus.pending.Wait()
	for _, n := range c.nodes {
		if n.index != 0 && n.eng.fired.Load() != 0 {
			t.Errorf("node %d fired %d deadlines", n.index, n.eng.fired.Load())
		}
		if k := len(n.owner.closed); k != 0 {
			t.Errorf("node %d: %d more closes", n.index, k)
		}
	}
	if got := a.eng.fired.Load(); got != 1 {
		t.Errorf("A fired %d deadlines, want 1", got)
	}
}

// A timer set through B in a partition A holds fires once, on A.
func TestClusterTimerSetElsewhere(t *testing.T) {
	t.Parallel()
	c := setupCluster(t, 2)
	a, b := c.nodes[0], c.nodes[1]
	tm := &store.Timer{OwnerKind: "test", OwnerID: "o1", Kind: "wait", FireAt: c.clock.Now().Add(time.Minute)}
	if err := b.eng.Update(t.Context(), func(tx store.Tx) error { return b.eng.SetTimer(tx, tm) }); err != nil {
		t.Fatal(err)
	}
	if tm.Partition != store.PartitionOf("o1") {
		t.Errorf("timer partition = %d", tm.Partition)
	}
	c.bus.pending.Wait() // A has armed it
	c.clock.Advance(2 * time.Minute)
	a.nudge()
	if got := recv(t, a.owner.fired, "timer on A"); got.ID != tm.ID {
		t.Fatalf("fired %+v", got)
	}
	a.settled(t, 1)
	b.settled(t, 0)
	if len(a.owner.fired)+len(b.owner.fired) != 0 || b.eng.fired.Load() != 0 {
		t.Error("the timer fired more than once")
	}
}

// Release on A and Acquire on B move the deadlines: those that came due
// while nobody held the partition are dropped by A and fire on B at
// Acquire, once.
func TestClusterPartitionsMove(t *testing.T) {
	t.Parallel()
	c := setupCluster(t, 2)
	a, b := c.nodes[0], c.nodes[1]
	sched := a.schedule(t, "q", func(tk *store.Task) { tk.ScheduleToStart = time.Minute })
	tm := &store.Timer{OwnerKind: "test", OwnerID: "o1", Kind: "wait", FireAt: c.clock.Now().Add(2 * time.Minute)}
	if err := a.eng.Update(t.Context(), func(tx store.Tx) error { return a.eng.SetTimer(tx, tm) }); err != nil {
		t.Fatal(err)
	}
	started := a.schedule(t, "s", func(tk *store.Task) { tk.OwnerID = "o3"; tk.StartToClose = time.Hour })
	a.poll(t, "s")

	c.bus.hold(-1)
	a.eng.Release(allPartitions())
	c.clock.Advance(3 * time.Minute)
	a.nudge() // drops what came due; the start-to-close is not due yet
	if !a.eng.deadlineWork.Until(10*time.Second, func() bool { return a.eng.dropped.Load() >= 2 }) {
		t.Fatalf("A dropped %d deadlines, want 2", a.eng.dropped.Load())
	}
	if a.eng.fired.Load() != 0 || a.eng.dropped.Load() != 2 {
		t.Fatalf("A fired %d, dropped %d deadlines; want 2 dropped", a.eng.fired.Load(), a.eng.dropped.Load())
	}

	c.bus.hold(1)
	if err := b.eng.Acquire(t.Context(), allPartitions()); err != nil {
		t.Fatal(err)
	}
	cl := recv(t, b.owner.closed, "schedule-to-start on B")
	if cl.task.ID != sched.ID || cl.outcome.Timeout != ScheduleToStart {
		t.Fatalf("closed %+v", cl)
	}
	if got := recv(t, b.owner.fired, "timer on B"); got.ID != tm.ID {
		t.Fatalf("fired %+v", got)
	}
	// The started attempt's start-to-close is B's now.
	c.clock.Advance(time.Hour)
	b.settled(t, 3)
	if cl := recv(t, b.owner.closed, "start-to-close on B"); cl.task.ID != started.ID || cl.outcome.Timeout != StartToClose {
		t.Fatalf("closed %+v", cl)
	}
	a.settled(t, 0)
	if a.eng.fired.Load() != 0 || len(a.owner.closed)+len(a.owner.fired)+len(b.owner.closed)+len(b.owner.fired) != 0 {
		t.Error("a deadline fired twice")
	}
	if got := b.eng.fired.Load(); got != 3 {
		t.Errorf("B fired %d deadlines, want 3", got)
	}
}

// Reconcile arms what lost notices missed: a timer set and a task
// scheduled elsewhere reach A, and a poll waiting on A gets the task.
// Reconciling again arms nothing twice.
func TestClusterReconcile(t *testing.T) {
	t.Parallel()
	c := setupCluster(t, 2)
	a, b := c.nodes[0], c.nodes[1]
	got := a.park(t, "q")
	c.bus.mu.Lock()
	c.bus.lose = true
	c.bus.mu.Unlock()
	tm := &store.Timer{OwnerKind: "test", OwnerID: "o1", Kind: "wait", FireAt: c.clock.Now().Add(time.Minute)}
	if err := b.eng.Update(t.Context(), func(tx store.Tx) error { return b.eng.SetTimer(tx, tm) }); err != nil {
		t.Fatal(err)
	}
	sched := b.schedule(t, "q", func(tk *store.Task) { tk.StartToClose = time.Hour })
	hb := b.schedule(t, "hb", func(tk *store.Task) { tk.OwnerID = "o2"; tk.Heartbeat = time.Minute })
	b.poll(t, "hb")
	if n := a.eng.deadlines.len(); n != 0 {
		t.Fatalf("A holds %d deadlines before reconciling", n)
	}

	for range 2 {
		if err := a.eng.Reconcile(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if task := recv(t, got, "task after reconcile"); task == nil || task.ID != sched.ID {
		t.Fatalf("poll on A = %+v", task)
	}
	// The timer and the heartbeat deadline, once each; and the
	// start-to-close of the attempt A started.
	if n := a.eng.deadlines.len(); n != 3 {
		t.Errorf("A holds %d deadlines, want 3", n)
	}
	c.clock.Advance(2 * time.Hour)
	a.settled(t, 3)
	if got := recv(t, a.owner.fired, "timer"); got.ID != tm.ID {
		t.Fatalf("fired %+v", got)
	}
	for range 2 {
		recv(t, a.owner.closed, "timeouts")
	}
	if got := a.eng.fired.Load(); got != 3 {
		t.Errorf("A fired %d deadlines, want 3", got)
	}
	if hbRow := c.row(t, hb.ID); hbRow != nil {
		t.Errorf("heartbeat task still open: %+v", hbRow)
	}
}
