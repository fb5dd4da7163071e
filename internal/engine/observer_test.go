package engine

import (
	"context"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// recObserver records what the engine tells its Observer on channels.
type recObserver struct {
	handoffs chan handoffSeen
	flushes  chan flushSeen
	fired    chan firedSeen
}

type handoffSeen struct {
	queue  string
	waited time.Duration
}

type flushSeen struct {
	beats  int
	oldest time.Duration
}

type firedSeen struct {
	kind DeadlineKind
	late time.Duration
}

func newRecObserver() *recObserver {
	return &recObserver{handoffs: make(chan handoffSeen, 100), flushes: make(chan flushSeen, 1000), fired: make(chan firedSeen, 100)}
}

func (o *recObserver) PollHandedOff(queue string, waited time.Duration) {
	o.handoffs <- handoffSeen{queue, waited}
}

func (o *recObserver) BeatsFlushed(beats int, oldest time.Duration) {
	o.flushes <- flushSeen{beats, oldest}
}

func (o *recObserver) DeadlineFired(kind DeadlineKind, late time.Duration) {
	o.fired <- firedSeen{kind, late}
}

// The Observer hears of a poll handed a task after it waited, and only of
// that: not of a poll that found a task at once, nor of one whose wait
// ended empty.
func TestObserverPollHandedOff(t *testing.T) {
	t.Parallel()
	obs := newRecObserver()
	b := setupWith(t, func(c *Config) { c.Observer = obs })

	b.schedule(t, "now", nil)
	if task, _ := b.poll(t, "now", time.Second); task == nil {
		t.Fatal("poll of a queue holding a task: nothing")
	}
	if task, _ := b.poll(t, "empty", 20*time.Millisecond); task != nil {
		t.Fatalf("poll of an empty queue = %+v", task)
	}
	select {
	case h := <-obs.handoffs:
		t.Fatalf("PollHandedOff(%q, %v) for a poll that did not wait for a task", h.queue, h.waited)
	default:
	}

	got := make(chan *store.Task, 1)
	go func() {
		task, _, _ := b.eng.Poll(context.Background(), "later", "w", 10*time.Second)
		got <- task
	}()
	b.waitWaiting(t, "later", 1)
	sched := b.schedule(t, "later", nil)
	if task := recv(t, got, "poll answer"); task == nil || task.ID != sched.ID {
		t.Fatalf("poll = %+v, want task %d", task, sched.ID)
	}
	h := recv(t, obs.handoffs, "PollHandedOff")
	if h.queue != "later" || h.waited <= 0 {
		t.Fatalf("PollHandedOff(%q, %v), want later and a positive wait", h.queue, h.waited)
	}
	select {
	case h := <-obs.handoffs:
		t.Fatalf("a second PollHandedOff(%q, %v)", h.queue, h.waited)
	default:
	}
}

// A flush that persists a beat is reported with the beats it persisted and
// the age of the oldest.
func TestObserverBeatsFlushed(t *testing.T) {
	t.Parallel()
	obs := newRecObserver()
	b := setupWith(t, func(c *Config) { c.Observer = obs })
	b.schedule(t, "q", func(tk *store.Task) { tk.Heartbeat = time.Hour })
	_, tok := b.poll(t, "q", time.Second)
	beat := time.Now()
	if _, err := b.eng.Heartbeat(tok, []byte("half")); err != nil {
		t.Fatal(err)
	}
	f := recv(t, obs.flushes, "BeatsFlushed")
	if f.beats != 1 || f.oldest < 0 || f.oldest > time.Since(beat) {
		t.Fatalf("BeatsFlushed(%d, %v), want 1 beat no older than %v", f.beats, f.oldest, time.Since(beat))
	}
}

// Each deadline handled is reported with its kind and how late it was.
func TestObserverDeadlineFired(t *testing.T) {
	t.Parallel()
	obs := newRecObserver()
	b := setupWith(t, func(c *Config) { c.Observer = obs })
	b.schedule(t, "q", func(tk *store.Task) { tk.ScheduleToStart = 50 * time.Millisecond })
	c := recv(t, b.owner.closed, "schedule-to-start timeout")
	if c.outcome.Timeout != ScheduleToStart {
		t.Fatalf("outcome = %+v", c.outcome)
	}
	f := recv(t, obs.fired, "DeadlineFired of the timeout")
	if f.kind != TaskTimeout || f.late < 0 || f.late > 10*time.Second {
		t.Fatalf("DeadlineFired(%v, %v), want task_timeout and a small lateness", f.kind, f.late)
	}

	err := b.eng.Update(context.Background(), func(tx store.Tx) error {
		return b.eng.SetTimer(tx, &store.Timer{OwnerKind: "test", OwnerID: "o", Kind: "k", FireAt: time.Now().Add(50 * time.Millisecond)})
	})
	if err != nil {
		t.Fatal(err)
	}
	recv(t, b.owner.fired, "timer")
	f = recv(t, obs.fired, "DeadlineFired of the timer")
	if f.kind != OwnerTimer || f.kind.String() != "timer" || f.late < 0 || f.late > 10*time.Second {
		t.Fatalf("DeadlineFired(%v, %v), want timer and a small lateness", f.kind, f.late)
	}
}
