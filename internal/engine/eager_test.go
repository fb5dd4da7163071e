package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// parkPoller starts a poll on queue and waits until it waits in the
// matcher; the poll's answer arrives on the returned channel.
func (b *bundle) parkPoller(t *testing.T, ctx context.Context, queue, worker string) <-chan *store.Task {
	t.Helper()
	got := make(chan *store.Task, 1)
	before := b.eng.matcher.waiting(queue)
	go func() {
		task, _, err := b.eng.Poll(ctx, queue, worker, 10*time.Second)
		if err != nil {
			t.Errorf("poll: %v", err)
		}
		got <- task
	}()
	b.waitWaiting(t, queue, before+1)
	return got
}

// waitWaiting waits (at most 10 s) until at least n polls wait on queue,
// woken each time a poll starts waiting.
func (b *bundle) waitWaiting(t *testing.T, queue string, n int) {
	t.Helper()
	if !b.eng.PollWaits().Until(10*time.Second, func() bool { return b.eng.matcher.waiting(queue) >= n }) {
		t.Fatalf("%d polls wait on %s after 10s, want %d", b.eng.matcher.waiting(queue), queue, n)
	}
}

// A task scheduled while a poller waits is started in the scheduling
// transaction itself: Schedule says so, when Update returns the store
// already has it started for that poller, and its owner saw TaskStarted
// once, by Schedule.
func TestScheduleStartsTaskForWaitingPoller(t *testing.T) {
	t.Parallel()
	b := setup(t)
	by := make(chan StartKind, 2)
	b.owner.onStarted = func(_ store.Tx, _ *store.Task, k StartKind) error {
		by <- k
		return nil
	}
	got := b.parkPoller(t, context.Background(), "q", "worker-7")
	sched := &store.Task{Queue: "q", OwnerKind: "test", OwnerID: "o1"}
	var res Scheduled
	if err := b.eng.Update(context.Background(), func(tx store.Tx) error {
		var err error
		res, err = b.eng.Schedule(tx, sched)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !res.Started || res.Worker != "worker-7" {
		t.Fatalf("Schedule = %+v, want started for worker-7", res)
	}
	var stored *store.Task
	if err := b.store.View(context.Background(), func(tx store.Tx) error {
		var err error
		stored, err = tx.GetTask(sched.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if stored.State != store.TaskStarted || stored.Attempt != 1 || stored.Worker != "worker-7" {
		t.Fatalf("stored task after the scheduling commit: %+v, want started (attempt 1) by worker-7", stored)
	}
	task := recv(t, got, "poll answer")
	if task == nil || task.ID != sched.ID || task.Attempt != 1 {
		t.Fatalf("poll = %+v, want task %d attempt 1", task, sched.ID)
	}
	if st := recv(t, b.owner.started, "TaskStarted"); st.ID != sched.ID {
		t.Fatalf("TaskStarted for %d, want %d", st.ID, sched.ID)
	}
	if k := recv(t, by, "TaskStarted's kind"); k != StartedBySchedule {
		t.Fatalf("TaskStarted by %d, want StartedBySchedule", k)
	}
	select {
	case st := <-b.owner.started:
		t.Fatalf("a second TaskStarted: %+v", st)
	default:
	}
}

// The owner's TaskStarted runs after the rest of the scheduling
// transaction, so it sees the records written after Schedule.
func TestEagerTaskStartedSeesTheOwnersWrites(t *testing.T) {
	t.Parallel()
	b := setup(t)
	seen := make(chan bool, 1)
	b.owner.onStarted = func(tx store.Tx, task *store.Task, _ StartKind) error {
		_, err := tx.GetObject("rec", task.OwnerRef)
		seen <- err == nil
		return nil
	}
	got := b.parkPoller(t, context.Background(), "q", "w")
	err := b.eng.Update(context.Background(), func(tx store.Tx) error {
		if _, err := b.eng.Schedule(tx, &store.Task{Queue: "q", OwnerKind: "test", OwnerID: "o", OwnerRef: "r1"}); err != nil {
			return err
		}
		return tx.PutObject(&store.Object{Kind: "rec", ID: "r1"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if !recv(t, seen, "TaskStarted") {
		t.Fatal("TaskStarted did not see the record written after Schedule")
	}
	if task := recv(t, got, "poll answer"); task == nil {
		t.Fatal("the waiting poller got nothing")
	}
}

// If the scheduling transaction fails, or ends the task again, the
// reserved poller gets nothing and goes on waiting for the next task.
func TestEagerReservationReleased(t *testing.T) {
	t.Parallel()
	b := setup(t)
	got := b.parkPoller(t, context.Background(), "q", "w")
	boom := errors.New("boom")
	err := b.eng.Update(context.Background(), func(tx store.Tx) error {
		if _, err := b.eng.Schedule(tx, &store.Task{Queue: "q", OwnerKind: "test", OwnerID: "o"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want boom", err)
	}
	err = b.eng.Update(context.Background(), func(tx store.Tx) error {
		task := &store.Task{Queue: "q", OwnerKind: "test", OwnerID: "o"}
		if _, err := b.eng.Schedule(tx, task); err != nil {
			return err
		}
		return b.eng.CloseTask(tx, task)
	})
	if err != nil {
		t.Fatal(err)
	}
	b.waitWaiting(t, "q", 1) // the poller waits again
	select {
	case task := <-got:
		t.Fatalf("the poller was answered with %+v", task)
	default:
	}
	sched := b.schedule(t, "q", nil)
	if task := recv(t, got, "poll answer"); task == nil || task.ID != sched.ID {
		t.Fatalf("poll = %+v, want task %d", task, sched.ID)
	}
}

// A poller whose client is gone is not given a started task.
func TestEagerSkipsCanceledPoller(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	gone := b.parkPoller(t, ctx, "q", "gone")
	alive := b.parkPoller(t, context.Background(), "q", "alive")
	cancel()
	sched := b.schedule(t, "q", nil)
	if task := recv(t, alive, "live poll answer"); task == nil || task.ID != sched.ID || task.Worker != "alive" {
		t.Fatalf("live poll = %+v, want task %d for worker alive", task, sched.ID)
	}
	if task := recv(t, gone, "canceled poll answer"); task != nil {
		t.Fatalf("canceled poll got task %d", task.ID)
	}
}

// A task started for a waiting poller whose client leaves before the
// scheduling transaction commits is not answered to the dead poll: it goes
// back to its queue (its attempt void) and the next poll starts it again.
func TestStartedForLeftPollerGivenBack(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, leave := context.WithCancel(context.Background())
	got := b.parkPoller(t, ctx, "q", "gone")
	sched := &store.Task{Queue: "q", OwnerKind: "test", OwnerID: "o1"}
	if err := b.eng.Update(context.Background(), func(tx store.Tx) error {
		res, err := b.eng.Schedule(tx, sched)
		if err == nil && !res.Started {
			t.Errorf("Schedule = %+v, want the task started for the waiting poller", res)
		}
		leave() // the client goes while the start commits
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if task := recv(t, got, "poll answer"); task != nil {
		t.Fatalf("the poll whose client left was answered task %d", task.ID)
	}
	task, token, err := b.eng.Poll(context.Background(), "q", "next", 10*time.Second)
	if err != nil || task == nil {
		t.Fatalf("next poll: %v, %v; want the task given back", task, err)
	}
	if task.ID != sched.ID || task.Attempt != 2 || task.Worker != "next" {
		t.Fatalf("next poll got %+v, want task %d attempt 2 for worker next", task, sched.ID)
	}
	if err := b.eng.Complete(context.Background(), token, []byte(`{}`)); err != nil {
		t.Fatalf("complete the given-back task: %v", err)
	}
}
