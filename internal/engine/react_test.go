package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// React undoes a reaction that fails for its record's own reason (a
// BrokenError, a panic) — its writes and the tasks it started for waiting
// pollers — and runs end instead in the same transaction; any other error
// is returned as it is.
func TestReact(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	put := func(tx store.Tx, id string) error {
		return tx.PutObject(&store.Object{Kind: "k", ID: id, Body: []byte(`{}`)})
	}
	exists := func(id string) bool {
		var found bool
		if err := b.store.View(ctx, func(tx store.Tx) error {
			_, err := tx.GetObject("k", id)
			found = err == nil
			if errors.Is(err, store.ErrNotFound) {
				err = nil
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return found
	}
	got := b.parkPoller(t, ctx, "rq", "worker-1")
	cases := []struct {
		name      string
		fail      func() error // after the reaction's writes and Schedule
		wantCause string       // "" : end must not run
		wantErr   bool
	}{
		{"broken", func() error { return Brokenf("record %s is spoilt", "r1") }, "record r1 is spoilt", false},
		{"panic", func() error { panic("reaction panics") }, "reaction panics", false},
		{"store error", func() error { return errors.New("disk full") }, "", true},
	}
	for _, c := range cases {
		var cause, stack string
		err := b.eng.Update(ctx, func(tx store.Tx) error {
			return b.eng.React(tx, func(tx store.Tx) error {
				if err := put(tx, c.name+"-reaction"); err != nil {
					return err
				}
				if _, err := b.eng.Schedule(tx, &store.Task{Queue: "rq", OwnerKind: "test", OwnerID: c.name}); err != nil {
					return err
				}
				return c.fail()
			}, func(tx store.Tx, cs, st string) error {
				cause, stack = cs, st
				return put(tx, c.name+"-end")
			})
		})
		if (err != nil) != c.wantErr {
			t.Fatalf("%s: Update = %v, want error %v", c.name, err, c.wantErr)
		}
		if cause != c.wantCause || (c.name == "panic") != strings.Contains(stack, "goroutine") {
			t.Errorf("%s: end got cause %q stack %d bytes, want cause %q", c.name, cause, len(stack), c.wantCause)
		}
		if exists(c.name + "-reaction") {
			t.Errorf("%s: the reaction's write was kept", c.name)
		}
		if want := c.wantCause != ""; exists(c.name+"-end") != want {
			t.Errorf("%s: end's write kept = %v, want %v", c.name, !want, want)
		}
		// The poller the failed reaction's task was started for waits on.
		b.waitWaiting(t, "rq", 1)
	}
	// A reaction that succeeds keeps its writes and hands its task over.
	sched := &store.Task{Queue: "rq", OwnerKind: "test", OwnerID: "ok"}
	if err := b.eng.Update(ctx, func(tx store.Tx) error {
		return b.eng.React(tx, func(tx store.Tx) error {
			if err := put(tx, "ok-reaction"); err != nil {
				return err
			}
			_, err := b.eng.Schedule(tx, sched)
			return err
		}, func(store.Tx, string, string) error { t.Error("end ran for a reaction that succeeded"); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	if task := recv(t, got, "poll answer"); task == nil || task.ID != sched.ID {
		t.Fatalf("poll = %+v, want task %d", task, sched.ID)
	}
	if !exists("ok-reaction") {
		t.Error("the write of a reaction that succeeded was lost")
	}
}
