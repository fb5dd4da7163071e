package storecopy_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/pgtest"
	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/store/postgres"
	"github.com/gaffer-dev/gaffer/internal/store/sqlite"
	"github.com/gaffer-dev/gaffer/internal/store/storecopy"
)

// kinds of store a test copies between; each opens a new, empty store
// closed when t ends.
var kinds = map[string]func(t *testing.T) store.Store{
	"sqlite":   openSQLite,
	"postgres": openPostgres,
}

func openPostgres(t *testing.T) store.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), pgtest.NewDatabase(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func openSQLite(t *testing.T) store.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gaffer.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// fill writes rows of every sort into s, with gaps in Seqs and IDs (deleted
// rows), nil and empty bodies, closed objects, and owners whose histories
// span several batches.
func fill(t *testing.T, s store.Store) {
	t.Helper()
	closed := time.Date(2031, 1, 2, 3, 4, 5, 6, time.UTC)
	err := s.Update(t.Context(), func(tx store.Tx) error {
		for i := range 40 {
			o := &store.Object{Kind: []string{"sfn.execution", "swf.domain", "pipeline.pipeline"}[i%3],
				ID: fmt.Sprintf("id-%02d", i), Parent: "p", Status: fmt.Sprint(i % 4), Body: fmt.Appendf(nil, `{"i":%d}`, i)}
			switch i % 5 {
			case 1:
				o.Body = nil
			case 2:
				o.Body = []byte{}
			case 3:
				o.ClosedAt = closed.Add(time.Duration(i))
			}
			if err := tx.InsertObject(o); err != nil {
				return err
			}
		}
		for i := 0; i < 40; i += 7 {
			if err := tx.DeleteObject([]string{"sfn.execution", "swf.domain", "pipeline.pipeline"}[i%3], fmt.Sprintf("id-%02d", i)); err != nil {
				return err
			}
		}
		for o := range 12 {
			var evs []store.Event
			for id := range int64(o * 2) {
				evs = append(evs, store.Event{ID: id + 1, Body: fmt.Appendf(nil, "e%d", id)})
			}
			if err := tx.AppendEvents(fmt.Sprintf("owner-%02d", o), evs); err != nil {
				return err
			}
		}
		for i := range 30 {
			tk := &store.Task{Partition: i % store.Partitions, Queue: "q", OwnerKind: "sfn", OwnerID: fmt.Sprint(i),
				State: store.TaskStarted, Attempt: i, Input: []byte("in"), ScheduledAt: closed, Heartbeat: time.Second}
			if err := tx.InsertTask(tk); err != nil {
				return err
			}
			if i%4 == 0 {
				if err := tx.DeleteTask(tk.ID); err != nil {
					return err
				}
			}
		}
		for i := range 15 {
			tm := &store.Timer{Partition: i, OwnerKind: "swf", OwnerID: fmt.Sprint(i), Kind: "timer", FireAt: closed, Payload: []byte{byte(i)}}
			if err := tx.InsertTimer(tm); err != nil {
				return err
			}
		}
		return errors.Join(tx.PutMeta("engine.token_secret", []byte("secret")), tx.PutMeta("sfn.x", nil))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// contents is everything a store holds, as the listings return it.
type contents struct {
	Objects []*store.Object
	Events  map[string][]store.Event
	Tasks   []*store.Task
	Timers  []*store.Timer
	Meta    []store.MetaEntry
}

func dump(t *testing.T, s store.Store) contents {
	t.Helper()
	c := contents{Events: make(map[string][]store.Event)}
	err := s.View(t.Context(), func(tx store.Tx) error {
		ct := tx.(store.CopyTx)
		kinds, err := ct.ObjectKinds()
		if err != nil {
			return err
		}
		for _, k := range kinds {
			objs, err := ct.ListObjects(store.ObjectQuery{Kind: k})
			if err != nil {
				return err
			}
			c.Objects = append(c.Objects, objs...)
		}
		owners, err := ct.EventOwners("", 0)
		if err != nil {
			return err
		}
		for _, o := range owners {
			if c.Events[o], err = ct.ListEvents(store.EventQuery{Owner: o}); err != nil {
				return err
			}
		}
		if c.Tasks, err = ct.ListTasks(store.TaskQuery{}); err != nil {
			return err
		}
		if c.Timers, err = ct.ListTimers(store.TimerQuery{}); err != nil {
			return err
		}
		c.Meta, err = ct.ListMeta()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkCopy copies from into to in small batches and checks that to then
// holds what from does, that later inserts on to go above the copied Seqs
// and IDs, and that progress was reported as it went.
func checkCopy(t *testing.T, from, to store.Store) {
	t.Helper()
	var reports []storecopy.Progress
	res, err := storecopy.Copy(t.Context(), from, to, storecopy.Options{
		BatchRows: 7, Progress: func(p storecopy.Progress) { reports = append(reports, p) },
	})
	if err != nil {
		t.Fatalf("Copy: %v", err)
	}
	want := dump(t, from)
	if got := dump(t, to); !reflect.DeepEqual(got, want) {
		t.Fatalf("the copy holds\n%+v\nwant\n%+v", got, want)
	}
	if res.Batches < 2 || len(reports) != res.Batches {
		t.Fatalf("Copy: %d batches, %d progress reports; want several, one each", res.Batches, len(reports))
	}
	last := reports[len(reports)-1]
	if last.Rows() != last.TotalRows() || last.Objects != res.Copied.TotalObjects() || last.Tasks != res.Copied.Tasks {
		t.Fatalf("last progress %+v, copied %+v", last, res.Copied)
	}
	for i := 1; i < len(reports); i++ {
		if reports[i].Rows() <= reports[i-1].Rows() {
			t.Fatalf("progress went from %d to %d rows", reports[i-1].Rows(), reports[i].Rows())
		}
	}
	var maxSeq, maxTask, maxTimer int64
	for _, o := range want.Objects {
		maxSeq = max(maxSeq, o.Seq)
	}
	for _, tk := range want.Tasks {
		maxTask = max(maxTask, tk.ID)
	}
	for _, tm := range want.Timers {
		maxTimer = max(maxTimer, tm.ID)
	}
	o := &store.Object{Kind: "sfn.execution", ID: "after-copy"}
	tk := &store.Task{Queue: "q"}
	tm := &store.Timer{Kind: "t"}
	if err := to.Update(t.Context(), func(tx store.Tx) error {
		return errors.Join(tx.InsertObject(o), tx.InsertTask(tk), tx.InsertTimer(tm))
	}); err != nil {
		t.Fatal(err)
	}
	if o.Seq <= maxSeq || tk.ID <= maxTask || tm.ID <= maxTimer {
		t.Fatalf("after the copy: Seq %d, task %d, timer %d; the copied ones go up to %d, %d, %d",
			o.Seq, tk.ID, tm.ID, maxSeq, maxTask, maxTimer)
	}
}

func TestCopy(t *testing.T) {
	t.Parallel()
	for fromName, openFrom := range kinds {
		for toName, openTo := range kinds {
			t.Run(fromName+"-to-"+toName, func(t *testing.T) {
				t.Parallel()
				from := openFrom(t)
				fill(t, from)
				checkCopy(t, from, openTo(t))
			})
		}
	}
}

// A target that holds rows is refused, and left as it was; one that holds
// only meta (a node started on it) is not, and takes the source's meta.
func TestCopyTarget(t *testing.T) {
	t.Parallel()
	for name, open := range kinds {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			from := open(t)
			fill(t, from)
			for what, put := range map[string]func(tx store.Tx) error{
				"object": func(tx store.Tx) error { return tx.InsertObject(&store.Object{Kind: "k", ID: "x"}) },
				"event":  func(tx store.Tx) error { return tx.AppendEvents("o", []store.Event{{ID: 1}}) },
				"task":   func(tx store.Tx) error { return tx.InsertTask(&store.Task{}) },
				"timer":  func(tx store.Tx) error { return tx.InsertTimer(&store.Timer{}) },
			} {
				to := open(t)
				if err := to.Update(t.Context(), put); err != nil {
					t.Fatal(err)
				}
				before := dump(t, to)
				_, err := storecopy.Copy(t.Context(), from, to, storecopy.Options{})
				if !errors.Is(err, storecopy.ErrTargetNotEmpty) {
					t.Fatalf("Copy to a target with an %s: err = %v, want ErrTargetNotEmpty", what, err)
				}
				if after := dump(t, to); !reflect.DeepEqual(after, before) {
					t.Fatalf("a refused copy changed the target: %+v, was %+v", after, before)
				}
			}

			to := open(t)
			if err := to.Update(t.Context(), func(tx store.Tx) error {
				return errors.Join(tx.PutMeta("engine.token_secret", []byte("the target's own")), tx.PutMeta("target.only", []byte("kept")))
			}); err != nil {
				t.Fatal(err)
			}
			if _, err := storecopy.Copy(t.Context(), from, to, storecopy.Options{}); err != nil {
				t.Fatalf("Copy to a target with meta only: %v", err)
			}
			err := to.View(t.Context(), func(tx store.Tx) error {
				secret, err := tx.GetMeta("engine.token_secret")
				if err != nil || string(secret) != "secret" {
					return fmt.Errorf("token secret on the target = %q, %v; want the source's", secret, err)
				}
				kept, err := tx.GetMeta("target.only")
				if err != nil || string(kept) != "kept" {
					return fmt.Errorf("target.only = %q, %v; want kept", kept, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// An empty source copies as nothing, in no batch.
func TestCopyEmpty(t *testing.T) {
	t.Parallel()
	res, err := storecopy.Copy(t.Context(), openSQLite(t), openSQLite(t), storecopy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Copied.Empty() || res.Batches != 0 {
		t.Fatalf("Copy of an empty store = %+v", res)
	}
}

// lossy is a store whose Updates drop every imported timer: the copy's
// count check must catch it.
type lossy struct{ store.Store }

type lossyTx struct{ store.CopyTx }

func (lossyTx) ImportTimer(*store.Timer) error { return nil }

func (s lossy) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error { return fn(lossyTx{tx.(store.CopyTx)}) })
}

func TestCopyMismatch(t *testing.T) {
	t.Parallel()
	from := openSQLite(t)
	fill(t, from)
	_, err := storecopy.Copy(t.Context(), from, lossy{openSQLite(t)}, storecopy.Options{})
	if !errors.Is(err, storecopy.ErrMismatch) || !strings.Contains(err.Error(), "timers: source 15, target 0") {
		t.Fatalf("Copy to a store that loses timers: err = %v, want ErrMismatch naming the timers", err)
	}
}
