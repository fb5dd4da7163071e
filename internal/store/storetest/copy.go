package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// The store.CopyTx part of the contract: listing everything, counting it,
// and importing rows with their identity.

// copyTx asserts that tx implements store.CopyTx.
func copyTx(tx store.Tx) (store.CopyTx, error) {
	c, ok := tx.(store.CopyTx)
	if !ok {
		return nil, fmt.Errorf("%T does not implement store.CopyTx", tx)
	}
	return c, nil
}

// viewCopy runs fn in a View on its store.CopyTx.
func viewCopy(t *testing.T, s store.Store, fn func(tx store.CopyTx) error) {
	t.Helper()
	view(t, s, func(tx store.Tx) error {
		c, err := copyTx(tx)
		if err != nil {
			return err
		}
		return fn(c)
	})
}

// updateCopy runs fn in an Update on its store.CopyTx.
func updateCopy(t *testing.T, s store.Store, fn func(tx store.CopyTx) error) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		c, err := copyTx(tx)
		if err != nil {
			return err
		}
		return fn(c)
	})
}

func countRows(t *testing.T, s store.Store) store.RowCounts {
	t.Helper()
	var c store.RowCounts
	viewCopy(t, s, func(tx store.CopyTx) (err error) {
		c, err = tx.CountRows()
		return err
	})
	return c
}

// A fresh store lists and counts nothing; the store's own bookkeeping
// (a schema version) is not meta that ListMeta shows.
func testCopyFresh(t *testing.T, su suite) {
	s := su.open(t)
	viewCopy(t, s, func(tx store.CopyTx) error {
		kinds, err := tx.ObjectKinds()
		if err != nil || len(kinds) != 0 {
			return fmt.Errorf("ObjectKinds = %q, %v; want none", kinds, err)
		}
		owners, err := tx.EventOwners("", 0)
		if err != nil || len(owners) != 0 {
			return fmt.Errorf("EventOwners = %q, %v; want none", owners, err)
		}
		meta, err := tx.ListMeta()
		if err != nil || len(meta) != 0 {
			return fmt.Errorf("ListMeta = %q, %v; want none", meta, err)
		}
		return nil
	})
	if c := countRows(t, s); !c.Empty() || c.Meta != 0 || c.EventOwners != 0 || c.TotalObjects() != 0 {
		t.Fatalf("CountRows of a fresh store = %+v, want all zero", c)
	}
	// In an Update, and in its savepoints, too.
	update(t, s, func(tx store.Tx) error {
		if _, err := copyTx(tx); err != nil {
			return err
		}
		return tx.Savepoint(func(sub store.Tx) error {
			_, err := copyTx(sub)
			return err
		})
	})
}

// ObjectKinds, EventOwners and ListMeta list each kind, owner or key once,
// in an order of the store's (a PostgreSQL database's collation need not
// be byte order) that EventOwners pages along; CountRows counts what they
// list.
func testCopyListing(t *testing.T, su suite) {
	s := su.open(t)
	owners := []string{"arn:b", "arn:a", "Arn:c", "arn:a/1", "z"}
	update(t, s, func(tx store.Tx) error {
		for i, kind := range []string{"swf.domain", "sfn.execution", "pipeline.pipeline", "sfn.execution", "sfn.activity"} {
			if err := tx.InsertObject(&store.Object{Kind: kind, ID: fmt.Sprintf("id-%d", i)}); err != nil {
				return err
			}
		}
		for i, o := range owners {
			if err := tx.AppendEvents(o, events(1, int64(i+1))); err != nil {
				return err
			}
		}
		for range 3 {
			if err := tx.InsertTask(&store.Task{Queue: "q"}); err != nil {
				return err
			}
		}
		if err := tx.InsertTimer(&store.Timer{OwnerKind: "sfn"}); err != nil {
			return err
		}
		// The derived entry (store.DerivedMetaPrefix) is not listed
		// nor counted: a copy rebuilds it.
		for _, k := range []string{"engine.token_secret", "b", "a.nil", store.DerivedMetaPrefix + "swf.visibility"} {
			var v []byte
			if k != "a.nil" {
				v = []byte("v:" + k)
			}
			if err := tx.PutMeta(k, v); err != nil {
				return err
			}
		}
		return nil
	})
	sorted := slices.Clone(owners)
	slices.Sort(sorted)
	viewCopy(t, s, func(tx store.CopyTx) error {
		kinds, err := tx.ObjectKinds()
		if err != nil {
			return err
		}
		if want := []string{"pipeline.pipeline", "sfn.activity", "sfn.execution", "swf.domain"}; !slices.Equal(slices.Sorted(slices.Values(kinds)), want) {
			return fmt.Errorf("ObjectKinds = %q, want %q", kinds, want)
		}
		all, err := tx.EventOwners("", 0)
		if err != nil {
			return err
		}
		if !slices.Equal(slices.Sorted(slices.Values(all)), sorted) {
			return fmt.Errorf("EventOwners = %q, want %q", all, sorted)
		}
		var paged []string
		for after := ""; ; {
			page, err := tx.EventOwners(after, 2)
			if err != nil {
				return err
			}
			if len(page) > 2 {
				return fmt.Errorf("EventOwners(%q, 2) = %q: more than 2", after, page)
			}
			if len(page) == 0 {
				break
			}
			paged = append(paged, page...)
			after = page[len(page)-1]
		}
		if !slices.Equal(paged, all) {
			return fmt.Errorf("EventOwners in pages of 2 = %q, want %q", paged, all)
		}
		meta, err := tx.ListMeta()
		if err != nil {
			return err
		}
		want := []store.MetaEntry{{Key: "a.nil"}, {Key: "b", Value: []byte("v:b")},
			{Key: "engine.token_secret", Value: []byte("v:engine.token_secret")}}
		slices.SortFunc(meta, func(a, b store.MetaEntry) int { return strings.Compare(a.Key, b.Key) })
		if !reflect.DeepEqual(meta, want) {
			return fmt.Errorf("ListMeta = %q, want %q", meta, want)
		}
		return nil
	})
	want := store.RowCounts{
		Objects:     map[string]int64{"pipeline.pipeline": 1, "sfn.activity": 1, "sfn.execution": 2, "swf.domain": 1},
		EventOwners: 5, Events: 1 + 2 + 3 + 4 + 5, Tasks: 3, Timers: 1, Meta: 3,
	}
	if got := countRows(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("CountRows = %+v, want %+v", got, want)
	}
	if got := countRows(t, s); got.Empty() || got.TotalObjects() != 5 {
		t.Fatalf("CountRows = %+v: Empty %v, TotalObjects %d; want false, 5", got, got.Empty(), got.TotalObjects())
	}
	// An Update counts its own writes.
	updateCopy(t, s, func(tx store.CopyTx) error {
		if err := tx.DeleteObject("swf.domain", "id-0"); err != nil {
			return err
		}
		c, err := tx.CountRows()
		if err != nil {
			return err
		}
		if _, ok := c.Objects["swf.domain"]; ok || c.TotalObjects() != 4 {
			return fmt.Errorf("CountRows after a delete = %+v, want no swf.domain and 4 objects", c)
		}
		return nil
	})
}

// Imported rows keep their Seq, IDs and every field; a second import of
// the same identity is ErrExists; the store's counters continue above the
// largest imported Seq and ID, also after a reopen.
func testCopyImport(t *testing.T, su suite) {
	s := su.open(t)
	// Rows the store assigned itself first: the import goes below and
	// above them.
	var low store.Object
	var lowTask store.Task
	var lowTimer store.Timer
	update(t, s, func(tx store.Tx) error {
		low = store.Object{Kind: "k", ID: "own"}
		lowTask = store.Task{Queue: "q"}
		lowTimer = store.Timer{OwnerKind: "sfn"}
		return errors.Join(tx.InsertObject(&low), tx.InsertTask(&lowTask), tx.InsertTimer(&lowTimer))
	})
	closed := time.Date(2030, 5, 6, 7, 8, 9, 123456789, time.FixedZone("x", 3600))
	objs := []*store.Object{
		{Kind: "sfn.execution", ID: "arn:e1", Parent: "arn:sm", Status: "SUCCEEDED", Seq: 1000, Body: []byte(`{"a":1}`), ClosedAt: closed},
		{Kind: "sfn.execution", ID: "arn:e0", Seq: 900, Body: []byte{}},
		{Kind: "swf.domain", ID: "d", Seq: low.Seq + 1},
	}
	task := fullTask(4)
	task.ID = 5000
	oldTask := &store.Task{ID: lowTask.ID + 1, Queue: "old", Input: []byte{}}
	timer := &store.Timer{ID: 7000, Partition: 9, OwnerKind: "swf", OwnerID: "wf", Kind: "timer",
		FireAt: closed, Payload: []byte("p")}
	updateCopy(t, s, func(tx store.CopyTx) error {
		for _, o := range objs {
			if err := tx.ImportObject(o); err != nil {
				return err
			}
		}
		return errors.Join(tx.ImportTask(task), tx.ImportTask(oldTask), tx.ImportTimer(timer))
	})
	for _, o := range objs {
		got, err := getObject(t, s, o.Kind, o.ID)
		if err != nil {
			t.Fatalf("GetObject(%s, %s) after import: %v", o.Kind, o.ID, err)
		}
		want := *o
		if !want.ClosedAt.IsZero() {
			want.ClosedAt = want.ClosedAt.UTC()
		}
		if !reflect.DeepEqual(got, &want) || !equalBytes(got.Body, want.Body) {
			t.Fatalf("GetObject after import = %#v, want %#v", got, &want)
		}
	}
	checkTask(t, s, inUTC(task))
	checkTask(t, s, oldTask)
	var gotTimer *store.Timer
	view(t, s, func(tx store.Tx) (err error) {
		gotTimer, err = tx.GetTimer(timer.ID)
		return err
	})
	wantTimer := *timer
	wantTimer.FireAt = wantTimer.FireAt.UTC()
	if !reflect.DeepEqual(gotTimer, &wantTimer) {
		t.Fatalf("GetTimer after import = %#v, want %#v", gotTimer, &wantTimer)
	}
	// Listing by kind follows the imported Seqs.
	if got, want := objectIDs(listObjects(t, s, store.ObjectQuery{Kind: "sfn.execution"})), []string{"arn:e0", "arn:e1"}; !slices.Equal(got, want) {
		t.Fatalf("ListObjects after import = %q, want %q", got, want)
	}

	// The same identity again is ErrExists, and changes nothing.
	for name, imp := range map[string]func(store.CopyTx) error{
		"object": func(tx store.CopyTx) error {
			return tx.ImportObject(&store.Object{Kind: "sfn.execution", ID: "arn:e1", Seq: 5})
		},
		"task":  func(tx store.CopyTx) error { return tx.ImportTask(&store.Task{ID: task.ID, Queue: "other"}) },
		"timer": func(tx store.CopyTx) error { return tx.ImportTimer(&store.Timer{ID: timer.ID, Kind: "other"}) },
	} {
		err := s.Update(t.Context(), func(tx store.Tx) error {
			c, err := copyTx(tx)
			if err != nil {
				return err
			}
			return imp(c)
		})
		if !errors.Is(err, store.ErrExists) {
			t.Fatalf("importing the %s again: err = %v, want ErrExists", name, err)
		}
	}
	checkTask(t, s, inUTC(task))
	if o, err := getObject(t, s, "sfn.execution", "arn:e1"); err != nil || o.Seq != 1000 {
		t.Fatalf("object after a refused import: %+v, %v; want Seq 1000", o, err)
	}
	// Without an identity, an import is refused.
	for name, imp := range map[string]func(store.CopyTx) error{
		"object": func(tx store.CopyTx) error { return tx.ImportObject(&store.Object{Kind: "k", ID: "no-seq"}) },
		"task":   func(tx store.CopyTx) error { return tx.ImportTask(&store.Task{Queue: "no-id"}) },
		"timer":  func(tx store.CopyTx) error { return tx.ImportTimer(&store.Timer{Kind: "no-id"}) },
	} {
		err := s.Update(t.Context(), func(tx store.Tx) error {
			c, err := copyTx(tx)
			if err != nil {
				return err
			}
			return imp(c)
		})
		if err == nil {
			t.Fatalf("importing a %s without Seq or ID succeeded", name)
		}
	}
	// Nor in a View.
	view(t, s, func(tx store.Tx) error {
		c, err := copyTx(tx)
		if err != nil {
			return err
		}
		if err := c.ImportObject(&store.Object{Kind: "k", ID: "view", Seq: 5000}); err == nil {
			return errors.New("ImportObject in a View succeeded")
		}
		if err := c.ImportTask(&store.Task{ID: 9000}); err == nil {
			return errors.New("ImportTask in a View succeeded")
		}
		if err := c.ImportTimer(&store.Timer{ID: 9000}); err == nil {
			return errors.New("ImportTimer in a View succeeded")
		}
		return nil
	})

	checkAbove := func(s store.Store) {
		t.Helper()
		o := &store.Object{Kind: "k", ID: fmt.Sprintf("new-%d", time.Now().UnixNano())}
		p := &store.Object{Kind: "k", ID: o.ID + "-put"}
		tk := &store.Task{Queue: "q"}
		tm := &store.Timer{OwnerKind: "sfn"}
		update(t, s, func(tx store.Tx) error {
			return errors.Join(tx.InsertObject(o), tx.PutObject(p), tx.InsertTask(tk), tx.InsertTimer(tm))
		})
		if o.Seq <= 1000 || p.Seq <= 1000 {
			t.Fatalf("Seqs after importing Seq 1000: %d, %d; want > 1000", o.Seq, p.Seq)
		}
		if tk.ID <= task.ID {
			t.Fatalf("InsertTask after importing ID %d: ID %d", task.ID, tk.ID)
		}
		if tm.ID <= timer.ID {
			t.Fatalf("InsertTimer after importing ID %d: ID %d", timer.ID, tm.ID)
		}
	}
	checkAbove(s)
	if su.reopen != nil {
		checkAbove(su.reopen(t, s))
	}
}

// An import undone with its savepoint leaves no row, and the counters
// still never go back below what was handed out.
func testCopyImportRollback(t *testing.T, su suite) {
	s := su.open(t)
	errUndo := errors.New("undo")
	err := s.Update(t.Context(), func(tx store.Tx) error {
		c, err := copyTx(tx)
		if err != nil {
			return err
		}
		if err := errors.Join(c.ImportObject(&store.Object{Kind: "k", ID: "a", Seq: 50}),
			c.ImportTask(&store.Task{ID: 60}), c.ImportTimer(&store.Timer{ID: 70})); err != nil {
			return err
		}
		return errUndo
	})
	if !errors.Is(err, errUndo) {
		t.Fatalf("Update = %v, want %v", err, errUndo)
	}
	if c := countRows(t, s); !c.Empty() {
		t.Fatalf("CountRows after a rolled-back import = %+v, want empty", c)
	}
	// The same identities import fine afterwards.
	updateCopy(t, s, func(tx store.CopyTx) error {
		return errors.Join(tx.ImportObject(&store.Object{Kind: "k", ID: "a", Seq: 50}),
			tx.ImportTask(&store.Task{ID: 60}), tx.ImportTimer(&store.Timer{ID: 70}))
	})
	o := &store.Object{Kind: "k", ID: "b"}
	tk := &store.Task{}
	update(t, s, func(tx store.Tx) error { return errors.Join(tx.InsertObject(o), tx.InsertTask(tk)) })
	if o.Seq <= 50 || tk.ID <= 60 {
		t.Fatalf("after imports of Seq 50 and task 60: Seq %d, task ID %d", o.Seq, tk.ID)
	}
}
