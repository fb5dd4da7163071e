package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// BenchmarkMatcherOfferTake is the matcher's side of a poll that finds a
// task waiting: the queue fills and empties on each cycle.
func BenchmarkMatcherOfferTake(b *testing.B) {
	m := newMatcher(pollLimits{}, nil)
	ctx := context.Background()
	deadline := time.Now().Add(time.Hour)
	b.ReportAllocs()
	for i := int64(1); b.Loop(); i++ {
		m.offer("q", i)
		if h, ok, err := m.take(ctx, "q", "w", deadline); !ok || err != nil || h.id != i {
			b.Fatalf("take = %+v, %v, %v; want task %d", h, ok, err, i)
		}
	}
}

// heapAlloc returns the live heap after a collection.
func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// Queue names polled once and never again leave nothing in memory: after
// 100,000 polls on distinct names — most waiting in vain, from several
// goroutines at once, some waiting together until their clients leave,
// some finding a task — the engine holds no queue and the heap is back
// where it was. Not parallel: it measures the heap.
func TestIdleQueuesFreed(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	const (
		names   = 100_000
		workers = 4
		held    = 2_000 // polls waiting at once
		tasks   = 200   // polls finding a task
	)
	want := func(what string, want Stats) {
		t.Helper()
		if got := b.eng.Stats(); got != want {
			t.Fatalf("%s: Stats = %+v, want %+v", what, got, want)
		}
	}
	before := heapAlloc()

	// Polls that wait in vain, several at a time.
	var wg sync.WaitGroup
	per := (names - held - tasks) / workers
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				task, _, err := b.eng.Poll(ctx, fmt.Sprintf("idle-%d-%d", w, i), "w", 0)
				if task != nil || err != nil {
					t.Errorf("poll of an empty queue = %v, %v", task, err)
					return
				}
			}
		})
	}
	wg.Wait()
	want("after polls in vain", Stats{})

	// Polls waiting together until their clients leave.
	pctx, cancel := context.WithCancel(ctx)
	for i := range held {
		wg.Go(func() {
			if task, _, err := b.eng.Poll(pctx, fmt.Sprintf("held-%d", i), "w", time.Hour); task != nil || err != nil {
				t.Errorf("held poll = %v, %v", task, err)
			}
		})
	}
	if !b.eng.PollWaits().Until(10*time.Second, func() bool { return b.eng.Stats().WaitingPolls == held }) {
		t.Fatalf("Stats = %+v after 10s, want %d polls waiting", b.eng.Stats(), held)
	}
	want("while polls wait", Stats{Queues: held, WaitingPolls: held})
	cancel()
	wg.Wait()
	want("after waiting polls left", Stats{})

	// Polls finding a task.
	if err := b.eng.Update(ctx, func(tx store.Tx) error {
		for i := range tasks {
			if _, err := b.eng.Schedule(tx, &store.Task{Queue: fmt.Sprintf("task-%d", i), OwnerKind: "test", OwnerID: "o"}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want("with tasks scheduled", Stats{Queues: tasks, QueuedTasks: tasks})
	for i := range tasks {
		if task, _ := b.poll(t, fmt.Sprintf("task-%d", i), 0); task == nil {
			t.Fatalf("poll of task-%d found no task", i)
		}
	}
	want("after the tasks were taken", Stats{})

	// 100,000 queues kept would hold well over 10 MiB.
	const slack = 4 << 20
	if after := heapAlloc(); after > before+slack {
		t.Fatalf("heap grew from %d to %d bytes, more than %d", before, after, slack)
	}
}

// Queues freed and made again while tasks are offered and polls come and go
// lose no task and hand none out twice.
func TestQueuesChurnLosesNoTask(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const (
		queues = 4
		tasks  = 400
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu   sync.Mutex
		seen = map[int64]bool{}
		wg   sync.WaitGroup
	)
	for p := range 2 * queues {
		wg.Go(func() {
			queue := fmt.Sprintf("q%d", p%queues)
			for ctx.Err() == nil {
				// A short wait: queues empty and fill again all the time.
				task, _, err := b.eng.Poll(ctx, queue, "w", time.Millisecond)
				if err != nil {
					t.Errorf("poll: %v", err)
					return
				}
				if task == nil {
					continue
				}
				mu.Lock()
				if seen[task.ID] {
					t.Errorf("task %d handed out twice", task.ID)
				}
				seen[task.ID] = true
				if len(seen) == tasks {
					cancel()
				}
				mu.Unlock()
			}
		})
	}
	for i := range tasks / 10 {
		if err := b.eng.Update(context.Background(), func(tx store.Tx) error {
			for j := range 10 {
				if _, err := b.eng.Schedule(tx, &store.Task{Queue: fmt.Sprintf("q%d", (i+j)%queues), OwnerKind: "test", OwnerID: "o"}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-ctx.Done():
	case <-time.After(30 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("%d of %d tasks handed out after 30s", len(seen), tasks)
	}
	wg.Wait()
	if got := b.eng.Stats(); got != (Stats{}) {
		t.Fatalf("Stats = %+v after every task was taken, want none", got)
	}
}

// A reservation frees a queue whose only poller it took; the poller, sent
// back to waiting when the reservation is released, is not refused by the
// cap the others reached meanwhile.
func TestMatcherReservationAndCap(t *testing.T) {
	t.Parallel()
	m := newMatcher(pollLimits{perQueue: 1}, nil)
	ctx := context.Background()
	deadline := time.Now().Add(time.Minute)
	type answer struct {
		h   handoff
		ok  bool
		err error
	}
	poll := func() <-chan answer {
		ch := make(chan answer, 1)
		before := m.waiting("q")
		go func() {
			h, ok, err := m.take(ctx, "q", "w", deadline)
			ch <- answer{h, ok, err}
		}()
		if !m.waits.Until(10*time.Second, func() bool { return m.waiting("q") > before }) {
			t.Fatal("the poll does not wait")
		}
		return ch
	}
	first := poll()
	if _, _, err := m.take(ctx, "q", "w", deadline); !errors.Is(err, ErrTooManyPollers) {
		t.Fatalf("second poll: %v, want ErrTooManyPollers", err)
	}
	w := m.reserve("q")
	if w == nil {
		t.Fatal("no poller reserved")
	}
	if got := m.stats(); got != (Stats{}) {
		t.Fatalf("Stats = %+v with the only poller reserved, want none", got)
	}
	second := poll()
	m.release(w)
	if !m.waits.Until(10*time.Second, func() bool { return m.waiting("q") == 2 }) {
		t.Fatalf("%d polls wait after the release, want 2", m.waiting("q"))
	}
	m.offer("q", 1)
	m.offer("q", 2)
	got := map[int64]bool{}
	for _, ch := range []<-chan answer{first, second} {
		a := <-ch
		if !a.ok || a.err != nil {
			t.Fatalf("poll = %+v", a)
		}
		got[a.h.id] = true
	}
	if !got[1] || !got[2] {
		t.Fatalf("polls got tasks %v, want 1 and 2", got)
	}
	if got := m.stats(); got != (Stats{}) {
		t.Fatalf("Stats = %+v at the end, want none", got)
	}
}

// Waiting polls are capped per queue and in all; a poll past a cap is
// refused at once, one that finds a task is not, and once a poll leaves
// another may wait.
func TestPollLimits(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(c *Config) { c.MaxPollersPerQueue, c.MaxWaitingPolls = 2, 3 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a1ctx, a1cancel := context.WithCancel(ctx)
	a1 := b.parkPoller(t, a1ctx, "a", "w")
	a2 := b.parkPoller(t, ctx, "a", "w")
	refused := func(queue string, want error) {
		t.Helper()
		task, tok, err := b.eng.Poll(ctx, queue, "w", time.Minute)
		if !errors.Is(err, want) || task != nil || tok != "" {
			t.Fatalf("poll on %s = %v, %q, %v; want %v", queue, task, tok, err, want)
		}
	}
	refused("a", ErrTooManyPollers)
	bb := b.parkPoller(t, ctx, "b", "w")
	refused("c", ErrTooManyPolls)
	refused("a", ErrTooManyPolls)

	b.schedule(t, "c", nil)
	if task, _ := b.poll(t, "c", time.Minute); task == nil {
		t.Fatal("a poll that finds a task was refused")
	}

	a1cancel()
	if task := recv(t, a1, "the canceled poll"); task != nil {
		t.Fatalf("canceled poll got %+v", task)
	}
	a3 := b.parkPoller(t, ctx, "a", "w")
	if got, want := b.eng.Stats(), (Stats{Queues: 2, WaitingPolls: 3}); got != want {
		t.Fatalf("Stats = %+v, want %+v", got, want)
	}
	cancel()
	for _, ch := range []<-chan *store.Task{a2, bb, a3} {
		recv(t, ch, "a poll")
	}
	if got := b.eng.Stats(); got != (Stats{}) {
		t.Fatalf("Stats = %+v after every poll left, want none", got)
	}
}
