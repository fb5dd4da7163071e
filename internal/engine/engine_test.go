package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/store/sqlite"
)

// closed is one TaskClosed call seen by the test owner.
type closed struct {
	task    store.Task
	outcome Outcome
}

// testOwner records the engine's callbacks on channels.
type testOwner struct {
	started chan store.Task
	closed  chan closed
	fired   chan store.Timer
	// onStarted, if set (before the first task is scheduled), also runs
	// in TaskStarted.
	onStarted func(tx store.Tx, t *store.Task, by StartKind) error
}

func newTestOwner() *testOwner {
	return &testOwner{
		started: make(chan store.Task, 10000),
		closed:  make(chan closed, 10000),
		fired:   make(chan store.Timer, 100),
	}
}

func (o *testOwner) TaskStarted(tx store.Tx, t *store.Task, by StartKind) error {
	tx.AfterCommit(func() { o.started <- *t })
	if o.onStarted != nil {
		return o.onStarted(tx, t, by)
	}
	return nil
}

func (o *testOwner) TaskClosed(tx store.Tx, t *store.Task, out Outcome) error {
	tx.AfterCommit(func() { o.closed <- closed{*t, out} })
	return nil
}

func (o *testOwner) TimerFired(tx store.Tx, tm *store.Timer) error {
	tx.AfterCommit(func() { o.fired <- *tm })
	return nil
}

type bundle struct {
	dir   string
	store store.Store
	eng   *Engine
	owner *testOwner
	// config, if set, adjusts the engine's configuration.
	config func(*Config)
}

// setup starts an engine on a fresh SQLite file.
func setup(t *testing.T) *bundle {
	t.Helper()
	return setupWith(t, nil)
}

// setupWith is setup with config adjusting the engine's configuration.
func setupWith(t *testing.T, config func(*Config)) *bundle {
	t.Helper()
	b := &bundle{dir: t.TempDir(), config: config}
	b.start(t)
	return b
}

func (b *bundle) start(t *testing.T) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(b.dir, "gaffer.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b.store = st
	b.owner = newTestOwner()
	cfg := Config{Store: st, FlushInterval: 50 * time.Millisecond}
	if b.config != nil {
		b.config(&cfg)
	}
	b.eng = New(cfg)
	b.eng.RegisterOwner("test", b.owner)
	if err := b.eng.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.stop)
}

func (b *bundle) stop() {
	b.eng.Stop()
	_ = b.store.Close()
}

func (b *bundle) schedule(t *testing.T, queue string, mod func(*store.Task)) *store.Task {
	t.Helper()
	task := &store.Task{Queue: queue, OwnerKind: "test", OwnerID: "o1", Input: []byte(`{"n":1}`)}
	if mod != nil {
		mod(task)
	}
	if err := b.eng.Update(context.Background(), func(tx store.Tx) error {
		_, err := b.eng.Schedule(tx, task)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return task
}

func (b *bundle) poll(t *testing.T, queue string, wait time.Duration) (*store.Task, string) {
	t.Helper()
	task, tok, err := b.eng.Poll(context.Background(), queue, "worker-1", wait)
	if err != nil {
		t.Fatal(err)
	}
	return task, tok
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t)
	by := make(chan StartKind, 1)
	b.owner.onStarted = func(_ store.Tx, _ *store.Task, k StartKind) error {
		by <- k
		return nil
	}
	sched := b.schedule(t, "q", nil)
	task, tok := b.poll(t, "q", time.Second)
	if task == nil || task.ID != sched.ID || task.Attempt != 1 || task.Worker != "worker-1" {
		t.Fatalf("poll = %+v", task)
	}
	if got := recv(t, b.owner.started, "TaskStarted"); got.ID != sched.ID {
		t.Fatalf("started %d, want %d", got.ID, sched.ID)
	}
	if k := recv(t, by, "TaskStarted's kind"); k != StartedByPoll {
		t.Fatalf("TaskStarted by %d, want StartedByPoll", k)
	}
	if _, err := b.eng.Heartbeat(tok, nil); err != nil {
		t.Fatalf("heartbeat: %v", err)
	}
	if err := b.eng.Complete(context.Background(), tok, []byte(`"done"`)); err != nil {
		t.Fatalf("complete: %v", err)
	}
	c := recv(t, b.owner.closed, "TaskClosed")
	if c.outcome.Kind != Completed || string(c.outcome.Result) != `"done"` || c.outcome.Worker != "worker-1" {
		t.Fatalf("outcome = %+v", c.outcome)
	}
	// The token is dead now, for every verb.
	if _, err := b.eng.Heartbeat(tok, nil); !errors.Is(err, ErrTaskClosed) {
		t.Fatalf("heartbeat after complete: %v, want ErrTaskClosed", err)
	}
	if err := b.eng.Complete(context.Background(), tok, nil); !errors.Is(err, ErrTaskClosed) {
		t.Fatalf("second complete: %v, want ErrTaskClosed", err)
	}
	if err := b.eng.Fail(context.Background(), "garbage", "e", "c"); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("garbage token: %v, want ErrInvalidToken", err)
	}
	// A forged token (right shape, wrong MAC) is refused too.
	forged := (&tokens{secret: []byte("not the server's")}).encode(tokenRef{taskID: sched.ID, attempt: 1})
	if _, err := b.eng.Heartbeat(forged, nil); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("forged token: %v, want ErrInvalidToken", err)
	}
}

// CompleteFunc's callback runs instead of the owner's TaskClosed, in the
// closing transaction; if it fails, the attempt stays open.
func TestCompleteFunc(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sched := b.schedule(t, "q", nil)
	_, tok := b.poll(t, "q", time.Second)
	refuse := func(tx store.Tx, task *store.Task) error {
		if _, err := tx.GetTask(task.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetTask in the callback = %v, want the task deleted", err)
		}
		return ErrTaskClosed
	}
	if err := b.eng.CompleteFunc(context.Background(), tok, refuse); !errors.Is(err, ErrTaskClosed) {
		t.Fatalf("refused CompleteFunc = %v, want ErrTaskClosed", err)
	}
	if _, err := b.eng.Heartbeat(tok, nil); err != nil {
		t.Fatalf("heartbeat after a refused CompleteFunc: %v", err)
	}
	var got *store.Task
	err := b.eng.CompleteFunc(context.Background(), tok, func(tx store.Tx, task *store.Task) error {
		got = task
		return nil
	})
	if err != nil {
		t.Fatalf("CompleteFunc: %v", err)
	}
	if got == nil || got.ID != sched.ID || got.Worker != "worker-1" {
		t.Fatalf("callback got %+v, want task %d held by worker-1", got, sched.ID)
	}
	select {
	case c := <-b.owner.closed:
		t.Fatalf("TaskClosed called too: %+v", c)
	default:
	}
	if _, err := b.eng.Heartbeat(tok, nil); !errors.Is(err, ErrTaskClosed) {
		t.Fatalf("heartbeat after CompleteFunc: %v, want ErrTaskClosed", err)
	}
}

func TestEmptyPollAfterWait(t *testing.T) {
	t.Parallel()
	b := setup(t)
	task, tok := b.poll(t, "nothing-here", 50*time.Millisecond)
	if task != nil || tok != "" {
		t.Fatalf("poll = %+v %q, want nothing", task, tok)
	}
}

func TestWaitingPollerWokenBySchedule(t *testing.T) {
	t.Parallel()
	b := setup(t)
	got := make(chan *store.Task, 1)
	go func() {
		task, _, _ := b.eng.Poll(context.Background(), "q", "w", 10*time.Second)
		got <- task
	}()
	b.waitWaiting(t, "q", 1)
	sched := b.schedule(t, "q", nil)
	if task := recv(t, got, "poll answer"); task == nil || task.ID != sched.ID {
		t.Fatalf("poll = %+v, want task %d", task, sched.ID)
	}
}

func TestDrainReleasesPollers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	got := make(chan *store.Task, 3)
	for range 3 {
		go func() {
			task, _, _ := b.eng.Poll(context.Background(), "q", "w", time.Minute)
			got <- task
		}()
	}
	b.waitWaiting(t, "q", 3)
	b.eng.Drain()
	for range 3 {
		if task := recv(t, got, "released poll"); task != nil {
			t.Fatalf("drained poll got %+v", task)
		}
	}
}

func TestCanceledPollerNeverGetsTask(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		task, _, _ := b.eng.Poll(ctx, "q", "w", time.Minute)
		if task != nil {
			t.Errorf("canceled poll got task %d", task.ID)
		}
	}()
	b.waitWaiting(t, "q", 1)
	cancel()
	<-done
	sched := b.schedule(t, "q", nil)
	if task, _ := b.poll(t, "q", time.Second); task == nil || task.ID != sched.ID {
		t.Fatalf("next poll = %+v, want task %d", task, sched.ID)
	}
}

func TestHeartbeatTimeoutCarriesDetails(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.schedule(t, "q", func(tk *store.Task) { tk.Heartbeat = 300 * time.Millisecond })
	_, tok := b.poll(t, "q", time.Second)
	if _, err := b.eng.Heartbeat(tok, []byte("progress 50%")); err != nil {
		t.Fatal(err)
	}
	c := recv(t, b.owner.closed, "heartbeat timeout")
	if c.outcome.Kind != TimedOut || c.outcome.Timeout != Heartbeat || string(c.outcome.Details) != "progress 50%" {
		t.Fatalf("outcome = %+v", c.outcome)
	}
	if _, err := b.eng.Heartbeat(tok, nil); !errors.Is(err, ErrTaskClosed) {
		t.Fatalf("heartbeat after timeout: %v", err)
	}
}

func TestHeartbeatsKeepAliveUntilStartToClose(t *testing.T) {
	t.Parallel()
	b := setup(t)
	start := time.Now()
	b.schedule(t, "q", func(tk *store.Task) {
		tk.Heartbeat = 400 * time.Millisecond
		tk.StartToClose = 1500 * time.Millisecond
	})
	_, tok := b.poll(t, "q", time.Second)
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				_, _ = b.eng.Heartbeat(tok, nil)
			}
		}
	}()
	c := recv(t, b.owner.closed, "start-to-close timeout")
	close(stop)
	if c.outcome.Timeout != StartToClose {
		t.Fatalf("timed out by %v after %v, want START_TO_CLOSE", c.outcome.Timeout, time.Since(start))
	}
}

func TestScheduleToStartTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.schedule(t, "q", func(tk *store.Task) { tk.ScheduleToStart = 200 * time.Millisecond })
	c := recv(t, b.owner.closed, "schedule-to-start timeout")
	if c.outcome.Timeout != ScheduleToStart {
		t.Fatalf("outcome = %+v", c.outcome)
	}
	if task, _ := b.poll(t, "q", 50*time.Millisecond); task != nil {
		t.Fatalf("timed-out task was handed out: %+v", task)
	}
}

func TestTimersFireAndCancel(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var keep, drop store.Timer
	err := b.eng.Update(context.Background(), func(tx store.Tx) error {
		keep = store.Timer{OwnerKind: "test", OwnerID: "o", Kind: "keep", FireAt: time.Now().Add(200 * time.Millisecond)}
		drop = store.Timer{OwnerKind: "test", OwnerID: "o", Kind: "drop", FireAt: time.Now().Add(100 * time.Millisecond)}
		if err := b.eng.SetTimer(tx, &keep); err != nil {
			return err
		}
		return b.eng.SetTimer(tx, &drop)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.eng.Update(context.Background(), func(tx store.Tx) error { return b.eng.CancelTimer(tx, drop.ID) }); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, b.owner.fired, "timer"); got.ID != keep.ID || got.Kind != "keep" {
		t.Fatalf("fired %+v, want %+v", got, keep)
	}
	select {
	case got := <-b.owner.fired:
		t.Fatalf("canceled timer fired: %+v", got)
	default:
	}
}

func TestCloseTaskKillsToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.schedule(t, "q", nil)
	task, tok := b.poll(t, "q", time.Second)
	if err := b.eng.Update(context.Background(), func(tx store.Tx) error { return b.eng.CloseTask(tx, task) }); err != nil {
		t.Fatal(err)
	}
	if _, err := b.eng.Heartbeat(tok, nil); !errors.Is(err, ErrTaskClosed) {
		t.Fatalf("heartbeat: %v, want ErrTaskClosed", err)
	}
	if err := b.eng.Complete(context.Background(), tok, nil); !errors.Is(err, ErrTaskClosed) {
		t.Fatalf("complete: %v, want ErrTaskClosed", err)
	}
}

func TestRequestCancelReachesHeartbeat(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.schedule(t, "q", nil)
	task, tok := b.poll(t, "q", time.Second)
	if res, _ := b.eng.Heartbeat(tok, nil); res.CancelRequested {
		t.Fatal("cancel requested before anyone asked")
	}
	if err := b.eng.Update(context.Background(), func(tx store.Tx) error { return b.eng.RequestCancel(tx, task) }); err != nil {
		t.Fatal(err)
	}
	if res, err := b.eng.Heartbeat(tok, nil); err != nil || !res.CancelRequested {
		t.Fatalf("heartbeat = %+v, %v; want CancelRequested", res, err)
	}
	if err := b.eng.AcknowledgeCancel(context.Background(), tok, []byte("stopped")); err != nil {
		t.Fatal(err)
	}
	if c := recv(t, b.owner.closed, "canceled"); c.outcome.Kind != Canceled || string(c.outcome.Details) != "stopped" {
		t.Fatalf("outcome = %+v", c.outcome)
	}
}

func TestRestartKeepsTokensQueuesAndDeadlines(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.schedule(t, "q", func(tk *store.Task) { tk.Heartbeat = time.Hour })
	waiting := b.schedule(t, "q", nil)
	_, tok := b.poll(t, "q", time.Second)
	b.schedule(t, "hb", func(tk *store.Task) { tk.Heartbeat = 300 * time.Millisecond })
	_, hbTok := b.poll(t, "hb", time.Second)
	if _, err := b.eng.Heartbeat(hbTok, []byte("before restart")); err != nil {
		t.Fatal(err)
	}
	b.stop() // flushes the heartbeat
	b.start(t)

	// The started attempt's token still works.
	if _, err := b.eng.Heartbeat(tok, nil); err != nil {
		t.Fatalf("heartbeat after restart: %v", err)
	}
	// The waiting task is handed out.
	if task, _ := b.poll(t, "q", time.Second); task == nil || task.ID != waiting.ID {
		t.Fatalf("poll after restart = %+v, want task %d", task, waiting.ID)
	}
	// The heartbeat deadline was re-armed, and fires with the persisted details.
	c := recv(t, b.owner.closed, "heartbeat timeout after restart")
	if c.outcome.Timeout != Heartbeat || string(c.outcome.Details) != "before restart" {
		t.Fatalf("outcome = %+v", c.outcome)
	}
	if err := b.eng.Complete(context.Background(), tok, nil); err != nil {
		t.Fatalf("complete after restart: %v", err)
	}
}

func TestEachTaskDeliveredOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const tasks, pollers = 500, 16
	var mu sync.Mutex
	seen := make(map[int64]int)
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range pollers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				task, tok, err := b.eng.Poll(ctx, "many", "w", 200*time.Millisecond)
				if err != nil || task == nil {
					continue
				}
				mu.Lock()
				seen[task.ID]++
				mu.Unlock()
				if err := b.eng.Complete(context.Background(), tok, nil); err != nil {
					t.Errorf("complete %d: %v", task.ID, err)
				}
			}
		}()
	}
	var swg sync.WaitGroup
	for i := range tasks {
		swg.Add(1)
		go func() {
			defer swg.Done()
			b.schedule(t, "many", func(tk *store.Task) { tk.OwnerID = fmt.Sprint(i) })
		}()
	}
	swg.Wait()
	for range tasks {
		recv(t, b.owner.closed, "completion")
	}
	cancel()
	wg.Wait()
	if len(seen) != tasks {
		t.Fatalf("%d distinct tasks delivered, want %d", len(seen), tasks)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("task %d delivered %d times", id, n)
		}
	}
}

func TestTokenRoundTrip(t *testing.T) {
	t.Parallel()
	k := &tokens{secret: []byte("0123456789abcdef0123456789abcdef")}
	for _, ref := range []tokenRef{{0, 1, 1}, {3, 1 << 40, 7}, {0, 123456789, 1000}} {
		tok := k.encode(ref)
		if len(tok) > 1024 {
			t.Fatalf("token of %d chars", len(tok))
		}
		got, err := k.decode(tok)
		if err != nil || got != ref {
			t.Fatalf("decode(encode(%+v)) = %+v, %v", ref, got, err)
		}
		// Any single changed character is refused.
		for i := range tok {
			b := []byte(tok)
			b[i] ^= 1
			if _, err := k.decode(string(b)); err == nil {
				if r, _ := k.decode(string(b)); r != ref {
					t.Fatalf("tampered token %q accepted as %+v", b, r)
				}
			}
		}
	}
}

func BenchmarkHeartbeat(b *testing.B) {
	bd := &bundle{dir: b.TempDir()}
	st, err := sqlite.Open(context.Background(), filepath.Join(bd.dir, "gaffer.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	eng := New(Config{Store: st})
	eng.RegisterOwner("test", newTestOwner())
	if err := eng.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer eng.Stop()
	task := &store.Task{Queue: "q", OwnerKind: "test", OwnerID: "o", Heartbeat: time.Hour}
	if err := eng.Update(context.Background(), func(tx store.Tx) error {
		_, err := eng.Schedule(tx, task)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	_, tok, err := eng.Poll(context.Background(), "q", "w", time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := eng.Heartbeat(tok, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkScheduleStartComplete(b *testing.B) {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "gaffer.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	eng := New(Config{Store: st})
	eng.RegisterOwner("test", &testOwner{started: make(chan store.Task, b.N+1), closed: make(chan closed, b.N+1)})
	if err := eng.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer eng.Stop()
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			task := &store.Task{Queue: "q", OwnerKind: "test", OwnerID: "o"}
			if err := eng.Update(ctx, func(tx store.Tx) error {
				_, err := eng.Schedule(tx, task)
				return err
			}); err != nil {
				b.Fatal(err)
			}
			_, tok, err := eng.Poll(ctx, "q", "w", time.Second)
			if err != nil || tok == "" {
				b.Fatal("poll", err)
			}
			if err := eng.Complete(ctx, tok, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestOpenTask(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sched := b.schedule(t, "q", func(tk *store.Task) { tk.OwnerRef = "attempt-1" })
	_, tok := b.poll(t, "q", time.Second)
	open := func(token string) (*store.Task, error) {
		var got *store.Task
		err := b.eng.View(context.Background(), func(tx store.Tx) error {
			var err error
			got, err = b.eng.OpenTask(tx, token)
			return err
		})
		return got, err
	}
	if got, err := open(tok); err != nil || got.ID != sched.ID || got.OwnerRef != "attempt-1" {
		t.Fatalf("OpenTask = %+v, %v; want task %d", got, err, sched.ID)
	}
	if _, err := open("garbage"); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("OpenTask(garbage): %v, want ErrInvalidToken", err)
	}
	if err := b.eng.Complete(context.Background(), tok, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := open(tok); !errors.Is(err, ErrTaskClosed) {
		t.Fatalf("OpenTask after complete: %v, want ErrTaskClosed", err)
	}
}

// TestTaskOwner: a started task's token names its owner, from memory and
// after a restart; a closed task's token is ErrTaskClosed, a garbled one
// ErrInvalidToken.
func TestTaskOwner(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.schedule(t, "q", func(tk *store.Task) { tk.OwnerID = "owner-7" })
	_, tok := b.poll(t, "q", time.Second)
	if owner, err := b.eng.TaskOwner(tok); err != nil || owner != "owner-7" {
		t.Fatalf("TaskOwner = %q, %v; want owner-7", owner, err)
	}
	b.stop()
	b.start(t)
	if owner, err := b.eng.TaskOwner(tok); err != nil || owner != "owner-7" {
		t.Fatalf("TaskOwner after a restart = %q, %v; want owner-7", owner, err)
	}
	if err := b.eng.Complete(context.Background(), tok, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.eng.TaskOwner(tok); !errors.Is(err, ErrTaskClosed) {
		t.Errorf("TaskOwner of a closed task: %v, want ErrTaskClosed", err)
	}
	if _, err := b.eng.TaskOwner("garbled"); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("TaskOwner of a garbled token: %v, want ErrInvalidToken", err)
	}
}

// HeartbeatOf records a beat only for a token whose owner the caller may
// use; another's answers ErrTaskClosed, as a closed task's.
func TestHeartbeatOf(t *testing.T) {
	t.Parallel()
	b := setup(t)
	task := &store.Task{Queue: "q", OwnerKind: "test", OwnerID: "owner-a"}
	if err := b.eng.Update(context.Background(), func(tx store.Tx) error {
		_, err := b.eng.Schedule(tx, task)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_, token, err := b.eng.Poll(context.Background(), "q", "w", time.Second)
	if err != nil || token == "" {
		t.Fatalf("poll: %q, %v", token, err)
	}
	var seen string
	if _, err := b.eng.HeartbeatOf(token, nil, func(owner string) bool { seen = owner; return false }); !errors.Is(err, ErrTaskClosed) {
		t.Errorf("refused owner: %v, want ErrTaskClosed", err)
	}
	if seen != "owner-a" {
		t.Errorf("allowed saw owner %q, want owner-a", seen)
	}
	if _, err := b.eng.HeartbeatOf(token, nil, func(owner string) bool { return owner == "owner-a" }); err != nil {
		t.Errorf("allowed owner: %v", err)
	}
	if _, err := b.eng.HeartbeatOf("garbage", nil, func(string) bool { return true }); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("garbled token: %v, want ErrInvalidToken", err)
	}
}
