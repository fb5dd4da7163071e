// Package storetest is the conformance suite for store.Store: every store
// implementation's tests call Run with its constructor.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// Run exercises the whole store.Store contract against stores made by open.
//
// open is called for each subtest (subtests run in parallel); it must return
// a new, empty store and close it when t ends (closing twice is harmless).
// reopen (may be nil) closes s and opens the same data again, also closed
// when t ends; it is used for persistence checks, which are skipped when it
// is nil.
func Run(t *testing.T, open func(t *testing.T) store.Store, reopen func(t *testing.T, s store.Store) store.Store) {
	su := suite{open: open, reopen: reopen}
	tests := []struct {
		name string
		fn   func(*testing.T, suite)
	}{
		{"Objects/InsertGet", testObjectInsertGet},
		{"Objects/NotFound", testObjectNotFound},
		{"Objects/Read", testObjectRead},
		{"Objects/PutInsertReplace", testObjectPut},
		{"Objects/SeqMonotonic", testObjectSeqMonotonic},
		{"Objects/Delete", testObjectDelete},
		{"Objects/List", testObjectList},
		{"Objects/ListPaging", testObjectListPaging},
		{"Objects/NilEmptyBody", testObjectNilEmptyBody},
		{"Objects/Closed", testObjectClosed},
		{"Objects/ClosedPersists", testObjectClosedPersists},
		{"Events/AppendList", testEventsAppendList},
		{"Events/Contiguity", testEventsContiguity},
		{"Events/Delete", testEventsDelete},
		{"Events/Paging", testEventsPaging},
		{"Tasks/RoundTrip", testTaskRoundTrip},
		{"Tasks/IDs", testTaskIDs},
		{"Tasks/NotFound", testTaskNotFound},
		{"Tasks/List", testTaskList},
		{"Tasks/ListPaging", testTaskListPaging},
		{"Timers/RoundTrip", testTimerRoundTrip},
		{"Timers/IDs", testTimerIDs},
		{"Timers/List", testTimerList},
		{"Timers/ListPaging", testTimerListPaging},
		{"Tasks/ListPartitions", testTaskListPartitions},
		{"Timers/ListPartitions", testTimerListPartitions},
		{"Nodes/Join", testNodeJoin},
		{"Nodes/Renew", testNodeRenew},
		{"Nodes/Reap", testNodeReap},
		{"Nodes/Leave", testNodeLeave},
		{"Nodes/Order", testNodesOrder},
		{"Nodes/NotInView", testMembershipNotInView},
		{"Leases/AcquireRelease", testLeaseAcquireRelease},
		{"Fence", testFence},
		{"PartitionOf", testPartitionOf},
		{"Visibility/RoundTrip", testVisibilityRoundTrip},
		{"Visibility/Queries", testVisibilityQueries},
		{"Visibility/Paging", testVisibilityPaging},
		{"Visibility/Persists", testVisibilityPersists},
		{"Meta", testMeta},
		{"Copy/Fresh", testCopyFresh},
		{"Copy/Listing", testCopyListing},
		{"Copy/Import", testCopyImport},
		{"Copy/ImportRollback", testCopyImportRollback},
		{"Update/ErrorRollsBack", testUpdateErrorRollsBack},
		{"Update/SavepointIsolation", testUpdateSavepointIsolation},
		{"Update/NestedSavepoints", testUpdateNestedSavepoints},
		{"Update/Concurrent", testUpdateConcurrent},
		{"Update/ReadsOwnWrites", testUpdateReadsOwnWrites},
		{"Update/CanceledContext", testUpdateCanceledContext},
		{"Lanes/RequestFirst", testLaneRequestFirst},
		{"Lanes/BackgroundProgresses", testLaneBackgroundProgresses},
		{"AfterCommit/Order", testAfterCommitOrder},
		{"AfterCommit/AfterCommit", testAfterCommitSeesCommit},
		{"AfterCommit/DroppedOnError", testAfterCommitDropped},
		{"AfterCommit/NotInView", testAfterCommitNotInView},
		{"View/CannotWrite", testViewCannotWrite},
		{"View/ReturnsError", testViewReturnsError},
		{"Persistence/Reopen", testPersistence},
		{"Persistence/CloseFlushes", testCloseFlushes},
		{"Close", testClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, su)
		})
	}
}

type suite struct {
	open   func(t *testing.T) store.Store
	reopen func(t *testing.T, s store.Store) store.Store
}

// ---- helpers ----

func update(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.View(t.Context(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

func getObject(t *testing.T, s store.Store, kind, id string) (*store.Object, error) {
	t.Helper()
	var o *store.Object
	var getErr error
	view(t, s, func(tx store.Tx) error {
		o, getErr = tx.GetObject(kind, id)
		return nil
	})
	return o, getErr
}

func listObjects(t *testing.T, s store.Store, q store.ObjectQuery) []*store.Object {
	t.Helper()
	var out []*store.Object
	view(t, s, func(tx store.Tx) (err error) {
		out, err = tx.ListObjects(q)
		return err
	})
	return out
}

func listEvents(t *testing.T, s store.Store, q store.EventQuery) []store.Event {
	t.Helper()
	var out []store.Event
	view(t, s, func(tx store.Tx) (err error) {
		out, err = tx.ListEvents(q)
		return err
	})
	return out
}

func listTasks(t *testing.T, s store.Store, q store.TaskQuery) []*store.Task {
	t.Helper()
	var out []*store.Task
	view(t, s, func(tx store.Tx) (err error) {
		out, err = tx.ListTasks(q)
		return err
	})
	return out
}

func listTimers(t *testing.T, s store.Store, q store.TimerQuery) []*store.Timer {
	t.Helper()
	var out []*store.Timer
	view(t, s, func(tx store.Tx) (err error) {
		out, err = tx.ListTimers(q)
		return err
	})
	return out
}

func objectIDs(objs []*store.Object) []string {
	ids := make([]string, 0, len(objs))
	for _, o := range objs {
		ids = append(ids, o.ID)
	}
	return ids
}

func eventIDs(evs []store.Event) []int64 {
	ids := make([]int64, 0, len(evs))
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	return ids
}

func taskIDs(tasks []*store.Task) []int64 {
	ids := make([]int64, 0, len(tasks))
	for _, tk := range tasks {
		ids = append(ids, tk.ID)
	}
	return ids
}

func timerIDs(timers []*store.Timer) []int64 {
	ids := make([]int64, 0, len(timers))
	for _, tm := range timers {
		ids = append(ids, tm.ID)
	}
	return ids
}

// events returns events with ids from..to, each with a body naming it.
func events(from, to int64) []store.Event {
	var evs []store.Event
	for id := from; id <= to; id++ {
		evs = append(evs, store.Event{ID: id, Body: fmt.Appendf(nil, "event %d", id)})
	}
	return evs
}

func seqInt64(from, to int64) []int64 {
	var out []int64
	if from <= to {
		for i := from; i <= to; i++ {
			out = append(out, i)
		}
	} else {
		for i := from; i >= to; i-- {
			out = append(out, i)
		}
	}
	return out
}

// equalBytes reports whether a and b hold the same bytes and are both nil or
// both non-nil.
func equalBytes(a, b []byte) bool {
	return (a == nil) == (b == nil) && string(a) == string(b)
}

// ---- objects ----

func testObjectInsertGet(t *testing.T, su suite) {
	s := su.open(t)
	o := &store.Object{Kind: "test.thing", ID: "arn:thing:1", Parent: "p", Status: "RUNNING", Body: []byte(`{"a":1}`)}
	update(t, s, func(tx store.Tx) error { return tx.InsertObject(o) })
	if o.Seq <= 0 {
		t.Fatalf("InsertObject: Seq = %d, want > 0", o.Seq)
	}
	got, err := getObject(t, s, o.Kind, o.ID)
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	if !reflect.DeepEqual(got, o) {
		t.Fatalf("GetObject = %+v, want %+v", got, o)
	}

	// Same kind and ID: ErrExists, stored object unchanged.
	dup := &store.Object{Kind: o.Kind, ID: o.ID, Status: "OTHER", Body: []byte("x")}
	err = s.Update(t.Context(), func(tx store.Tx) error { return tx.InsertObject(dup) })
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("InsertObject duplicate: err = %v, want ErrExists", err)
	}
	// ErrExists is usable inside the function: the caller may go on.
	update(t, s, func(tx store.Tx) error {
		if err := tx.InsertObject(dup); !errors.Is(err, store.ErrExists) {
			return fmt.Errorf("InsertObject duplicate: err = %v, want ErrExists", err)
		}
		return nil
	})
	if got, _ := getObject(t, s, o.Kind, o.ID); !reflect.DeepEqual(got, o) {
		t.Fatalf("after duplicate insert: GetObject = %+v, want %+v", got, o)
	}

	// Same ID, other kind: a different object.
	other := &store.Object{Kind: "test.other", ID: o.ID}
	update(t, s, func(tx store.Tx) error { return tx.InsertObject(other) })
	if other.Seq <= o.Seq {
		t.Fatalf("second insert: Seq = %d, want > %d", other.Seq, o.Seq)
	}
	if got, err := getObject(t, s, other.Kind, other.ID); err != nil || got.Seq != other.Seq {
		t.Fatalf("GetObject(other) = %+v, %v", got, err)
	}
}

func testObjectNotFound(t *testing.T, su suite) {
	s := su.open(t)
	if _, err := getObject(t, s, "test.thing", "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetObject missing: err = %v, want ErrNotFound", err)
	}
	err := s.Update(t.Context(), func(tx store.Tx) error { return tx.DeleteObject("test.thing", "missing") })
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteObject missing: err = %v, want ErrNotFound", err)
	}
	// Inside Update too.
	update(t, s, func(tx store.Tx) error {
		if _, err := tx.GetObject("test.thing", "missing"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("GetObject missing in Update: err = %v, want ErrNotFound", err)
		}
		return nil
	})
}

// testObjectRead: ReadObject answers as GetObject, in an Update and in a
// View, the transaction's own writes included.
func testObjectRead(t *testing.T, su suite) {
	s := su.open(t)
	update(t, s, func(tx store.Tx) error {
		return tx.InsertObject(&store.Object{Kind: "test.thing", ID: "r", Parent: "p", Status: "s", Body: []byte("v1")})
	})
	check := func(tx store.Tx, want string) error {
		o, err := tx.ReadObject("test.thing", "r")
		if err != nil {
			return fmt.Errorf("ReadObject: %v", err)
		}
		if o.Parent != "p" || o.Status != "s" || string(o.Body) != want || o.Seq <= 0 {
			return fmt.Errorf("ReadObject = %+v, want body %s", o, want)
		}
		if _, err := tx.ReadObject("test.thing", "missing"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("ReadObject missing: err = %v, want ErrNotFound", err)
		}
		return nil
	}
	if err := s.View(t.Context(), func(tx store.Tx) error { return check(tx, "v1") }); err != nil {
		t.Fatal(err)
	}
	update(t, s, func(tx store.Tx) error {
		o, err := tx.GetObject("test.thing", "r")
		if err != nil {
			return err
		}
		o.Body = []byte("v2")
		if err := tx.PutObject(o); err != nil {
			return err
		}
		return check(tx, "v2")
	})
}

func testObjectPut(t *testing.T, su suite) {
	s := su.open(t)
	o := &store.Object{Kind: "test.thing", ID: "a", Parent: "p1", Status: "s1", Body: []byte("v1")}
	update(t, s, func(tx store.Tx) error { return tx.PutObject(o) })
	if o.Seq <= 0 {
		t.Fatalf("PutObject insert: Seq = %d, want > 0", o.Seq)
	}
	firstSeq := o.Seq

	// Another object in between, so the replace is not the latest.
	b := &store.Object{Kind: "test.thing", ID: "b"}
	update(t, s, func(tx store.Tx) error { return tx.PutObject(b) })

	repl := &store.Object{Kind: "test.thing", ID: "a", Parent: "p2", Status: "s2", Body: []byte("v2"), Seq: 12345}
	update(t, s, func(tx store.Tx) error { return tx.PutObject(repl) })
	if repl.Seq != firstSeq {
		t.Fatalf("PutObject replace: Seq = %d, want the stored %d", repl.Seq, firstSeq)
	}
	got, err := getObject(t, s, "test.thing", "a")
	if err != nil {
		t.Fatal(err)
	}
	want := &store.Object{Kind: "test.thing", ID: "a", Parent: "p2", Status: "s2", Body: []byte("v2"), Seq: firstSeq}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after replace: GetObject = %+v, want %+v", got, want)
	}
	// The listing order is unchanged by the replace.
	if got, want := objectIDs(listObjects(t, s, store.ObjectQuery{Kind: "test.thing"})), []string{"a", "b"}; !slices.Equal(got, want) {
		t.Fatalf("ListObjects after replace = %v, want %v", got, want)
	}

	// A new object still gets a Seq above everything before.
	c := &store.Object{Kind: "test.thing", ID: "c"}
	update(t, s, func(tx store.Tx) error { return tx.PutObject(c) })
	if c.Seq <= b.Seq {
		t.Fatalf("PutObject after replace: Seq = %d, want > %d", c.Seq, b.Seq)
	}
}

func testObjectSeqMonotonic(t *testing.T, su suite) {
	s := su.open(t)
	var seqs []int64
	kinds := []string{"k.a", "k.b", "k.c"}
	for i := range 5 {
		update(t, s, func(tx store.Tx) error {
			for j, kind := range kinds {
				o := &store.Object{Kind: kind, ID: fmt.Sprintf("o%d-%d", i, j)}
				var err error
				if j%2 == 0 {
					err = tx.InsertObject(o)
				} else {
					err = tx.PutObject(o)
				}
				if err != nil {
					return err
				}
				seqs = append(seqs, o.Seq)
			}
			return nil
		})
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("Seqs not strictly increasing across kinds: %v", seqs)
		}
	}

	// Deleting the latest object does not make its Seq available again.
	last := seqs[len(seqs)-1]
	update(t, s, func(tx store.Tx) error { return tx.DeleteObject("k.c", "o4-2") })
	o := &store.Object{Kind: "k.c", ID: "o4-2"}
	update(t, s, func(tx store.Tx) error { return tx.InsertObject(o) })
	if o.Seq <= last {
		t.Fatalf("Seq after deleting the latest = %d, want > %d", o.Seq, last)
	}

	// Stored Seqs are the ones handed out.
	for i, kind := range kinds {
		got, err := getObject(t, s, kind, fmt.Sprintf("o0-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if got.Seq != seqs[i] {
			t.Fatalf("stored Seq of %s/o0-%d = %d, want %d", kind, i, got.Seq, seqs[i])
		}
	}
}

func testObjectDelete(t *testing.T, su suite) {
	s := su.open(t)
	update(t, s, func(tx store.Tx) error {
		for _, id := range []string{"a", "b"} {
			if err := tx.InsertObject(&store.Object{Kind: "test.thing", ID: id}); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error { return tx.DeleteObject("test.thing", "a") })
	if _, err := getObject(t, s, "test.thing", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetObject after delete: err = %v, want ErrNotFound", err)
	}
	if _, err := getObject(t, s, "test.thing", "b"); err != nil {
		t.Fatalf("GetObject(b) after deleting a: %v", err)
	}
	err := s.Update(t.Context(), func(tx store.Tx) error { return tx.DeleteObject("test.thing", "a") })
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second DeleteObject: err = %v, want ErrNotFound", err)
	}
	// The ID can be used again.
	update(t, s, func(tx store.Tx) error { return tx.InsertObject(&store.Object{Kind: "test.thing", ID: "a"}) })
}

// listFixture stores 12 objects of kind "k.a" (o00..o11; parent p0/p1 by
// parity, status s0/s1/s2 by i%3) interleaved with 4 of kind "k.b", and
// returns the k.a ones in insertion order.
func listFixture(t *testing.T, s store.Store) []*store.Object {
	t.Helper()
	var as []*store.Object
	update(t, s, func(tx store.Tx) error {
		for i := range 12 {
			o := &store.Object{
				Kind: "k.a", ID: fmt.Sprintf("o%02d", i),
				Parent: fmt.Sprintf("p%d", i%2), Status: fmt.Sprintf("s%d", i%3),
				Body: fmt.Appendf(nil, "body %d", i),
			}
			if err := tx.InsertObject(o); err != nil {
				return err
			}
			as = append(as, o)
			if i%3 == 0 {
				b := &store.Object{Kind: "k.b", ID: fmt.Sprintf("b%02d", i), Parent: "p0", Status: "s0"}
				if err := tx.InsertObject(b); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return as
}

func filterObjects(objs []*store.Object, keep func(*store.Object) bool) []*store.Object {
	var out []*store.Object
	for _, o := range objs {
		if keep(o) {
			out = append(out, o)
		}
	}
	return out
}

func reversed[T any](s []T) []T {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

func testObjectList(t *testing.T, su suite) {
	s := su.open(t)
	as := listFixture(t, s)
	mid := as[5].Seq

	ids := func(objs []*store.Object) []string { return objectIDs(objs) }
	tests := []struct {
		name string
		q    store.ObjectQuery
		want []string
	}{
		{"kind", store.ObjectQuery{Kind: "k.a"}, ids(as)},
		{"kind desc", store.ObjectQuery{Kind: "k.a", Desc: true}, ids(reversed(as))},
		{"parent", store.ObjectQuery{Kind: "k.a", Parent: "p1"},
			ids(filterObjects(as, func(o *store.Object) bool { return o.Parent == "p1" }))},
		{"status", store.ObjectQuery{Kind: "k.a", Status: "s2"},
			ids(filterObjects(as, func(o *store.Object) bool { return o.Status == "s2" }))},
		{"parent and status", store.ObjectQuery{Kind: "k.a", Parent: "p0", Status: "s0"},
			ids(filterObjects(as, func(o *store.Object) bool { return o.Parent == "p0" && o.Status == "s0" }))},
		{"after", store.ObjectQuery{Kind: "k.a", AfterSeq: mid}, ids(as[6:])},
		{"after desc", store.ObjectQuery{Kind: "k.a", AfterSeq: mid, Desc: true}, ids(reversed(as[:5]))},
		{"limit", store.ObjectQuery{Kind: "k.a", Limit: 4}, ids(as[:4])},
		{"limit desc", store.ObjectQuery{Kind: "k.a", Limit: 4, Desc: true}, ids(reversed(as)[:4])},
		{"after limit", store.ObjectQuery{Kind: "k.a", AfterSeq: mid, Limit: 2}, ids(as[6:8])},
		{"after limit desc", store.ObjectQuery{Kind: "k.a", AfterSeq: mid, Limit: 2, Desc: true}, []string{"o04", "o03"}},
		{"limit above count", store.ObjectQuery{Kind: "k.a", Limit: 100}, ids(as)},
		{"all filters", store.ObjectQuery{Kind: "k.a", Parent: "p1", Status: "s1", AfterSeq: as[1].Seq, Limit: 1}, []string{"o07"}},
		{"other kind", store.ObjectQuery{Kind: "k.b", Parent: "p0"}, []string{"b00", "b03", "b06", "b09"}},
		{"no match", store.ObjectQuery{Kind: "k.a", Parent: "nope"}, nil},
		{"unknown kind", store.ObjectQuery{Kind: "k.none"}, nil},
		{"after last", store.ObjectQuery{Kind: "k.a", AfterSeq: as[11].Seq}, nil},
		{"before first desc", store.ObjectQuery{Kind: "k.a", AfterSeq: as[0].Seq, Desc: true}, nil},
	}
	for _, tt := range tests {
		if got := objectIDs(listObjects(t, s, tt.q)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: ListObjects(%+v) = %v, want %v", tt.name, tt.q, got, tt.want)
		}
	}
	// Listed objects are whole.
	if got := listObjects(t, s, store.ObjectQuery{Kind: "k.a", Status: "s1"}); !reflect.DeepEqual(got,
		filterObjects(as, func(o *store.Object) bool { return o.Status == "s1" })) {
		t.Errorf("ListObjects returned %+v", got)
	}
}

func testObjectListPaging(t *testing.T, su suite) {
	s := su.open(t)
	as := listFixture(t, s)
	for _, desc := range []bool{false, true} {
		for _, size := range []int{1, 5, 12, 13} {
			var got []*store.Object
			q := store.ObjectQuery{Kind: "k.a", Desc: desc, Limit: size}
			for pages := 0; ; pages++ {
				if pages > len(as)+1 {
					t.Fatalf("paging desc=%v size=%d does not end", desc, size)
				}
				page := listObjects(t, s, q)
				if len(page) > size {
					t.Fatalf("page of %d with Limit %d", len(page), size)
				}
				if len(page) == 0 {
					break
				}
				got = append(got, page...)
				q.AfterSeq = page[len(page)-1].Seq
			}
			want := as
			if desc {
				want = reversed(as)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("paging desc=%v size=%d: %v, want %v", desc, size, objectIDs(got), objectIDs(want))
			}
		}
	}
}

// testObjectClosed checks ClosedAt: it round-trips through Insert, Put and
// the listings, and ClosedBefore lists the closed objects of one kind due
// before a time, oldest close first.
func testObjectClosed(t *testing.T, su suite) {
	s := su.open(t)
	base := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	at := func(sec int) time.Time { return base.Add(time.Duration(sec) * time.Second) }
	objs := []*store.Object{
		{Kind: "k.x", ID: "open", Status: "RUNNING"},
		{Kind: "k.x", ID: "c2", Status: "DONE", ClosedAt: at(2)},
		{Kind: "k.x", ID: "c1", Status: "DONE", ClosedAt: at(1)},
		{Kind: "k.x", ID: "c3", Status: "DONE", ClosedAt: at(3)},
		{Kind: "k.x", ID: "c1b", Status: "DONE", ClosedAt: at(1)}, // same time as c1, later Seq
		{Kind: "k.y", ID: "other", Status: "DONE", ClosedAt: at(0)},
	}
	update(t, s, func(tx store.Tx) error {
		for i, o := range objs {
			var err error
			if i%2 == 0 {
				err = tx.InsertObject(o)
			} else {
				err = tx.PutObject(o)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	for _, o := range objs {
		if got, err := getObject(t, s, o.Kind, o.ID); err != nil || !reflect.DeepEqual(got, o) {
			t.Fatalf("GetObject(%s) = %+v, %v; want %+v", o.ID, got, err, o)
		}
	}
	// A time in another zone is the same instant.
	if got, _ := getObject(t, s, "k.x", "c1"); !got.ClosedAt.Equal(at(1)) || got.ClosedAt.Location() != time.UTC {
		t.Fatalf("ClosedAt = %v, want %v in UTC", got.ClosedAt, at(1))
	}

	tests := []struct {
		name string
		q    store.ObjectQuery
		want []string
	}{
		{"before the first", store.ObjectQuery{Kind: "k.x", ClosedBefore: at(1)}, nil},
		{"strictly before", store.ObjectQuery{Kind: "k.x", ClosedBefore: at(2)}, []string{"c1", "c1b"}},
		{"by close time", store.ObjectQuery{Kind: "k.x", ClosedBefore: at(10).In(time.FixedZone("x", 3600))}, []string{"c1", "c1b", "c2", "c3"}},
		{"limit", store.ObjectQuery{Kind: "k.x", ClosedBefore: at(10), Limit: 3}, []string{"c1", "c1b", "c2"}},
		{"other kind", store.ObjectQuery{Kind: "k.y", ClosedBefore: at(10)}, []string{"other"}},
		{"unknown kind", store.ObjectQuery{Kind: "k.none", ClosedBefore: at(10)}, nil},
	}
	for _, tt := range tests {
		if got := objectIDs(listObjects(t, s, tt.q)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: ListObjects(%+v) = %v, want %v", tt.name, tt.q, got, tt.want)
		}
	}
	if got := listObjects(t, s, store.ObjectQuery{Kind: "k.x", ClosedBefore: at(2)}); !reflect.DeepEqual(got, []*store.Object{objs[2], objs[4]}) {
		t.Errorf("listed closed objects are not whole: %+v", got)
	}

	// Replacing sets ClosedAt as given: reopened, it is no longer listed;
	// closed later, it moves.
	update(t, s, func(tx store.Tx) error {
		if err := tx.PutObject(&store.Object{Kind: "k.x", ID: "c1", Status: "RUNNING"}); err != nil {
			return err
		}
		return tx.PutObject(&store.Object{Kind: "k.x", ID: "c2", Status: "DONE", ClosedAt: at(5)})
	})
	if got, want := objectIDs(listObjects(t, s, store.ObjectQuery{Kind: "k.x", ClosedBefore: at(10)})), []string{"c1b", "c3", "c2"}; !slices.Equal(got, want) {
		t.Errorf("after replace: %v, want %v", got, want)
	}
	// Deleted objects are gone from it.
	update(t, s, func(tx store.Tx) error { return tx.DeleteObject("k.x", "c1b") })
	if got, want := objectIDs(listObjects(t, s, store.ObjectQuery{Kind: "k.x", ClosedBefore: at(10)})), []string{"c3", "c2"}; !slices.Equal(got, want) {
		t.Errorf("after delete: %v, want %v", got, want)
	}
	// The Seq listing is unchanged by ClosedAt.
	if got, want := objectIDs(listObjects(t, s, store.ObjectQuery{Kind: "k.x"})), []string{"open", "c2", "c1", "c3"}; !slices.Equal(got, want) {
		t.Errorf("ListObjects by Seq = %v, want %v", got, want)
	}
	// ClosedBefore does not combine with the Seq listing's filters.
	for _, q := range []store.ObjectQuery{
		{Kind: "k.x", ClosedBefore: at(10), Parent: "p"},
		{Kind: "k.x", ClosedBefore: at(10), Status: "DONE"},
		{Kind: "k.x", ClosedBefore: at(10), AfterSeq: 1},
		{Kind: "k.x", ClosedBefore: at(10), Desc: true},
	} {
		err := s.View(t.Context(), func(tx store.Tx) error {
			_, err := tx.ListObjects(q)
			return err
		})
		if err == nil {
			t.Errorf("ListObjects(%+v): no error", q)
		}
	}
}

// testObjectClosedPersists checks that ClosedAt and what ClosedBefore lists
// survive a reopen.
func testObjectClosedPersists(t *testing.T, su suite) {
	if su.reopen == nil {
		t.Skip("no reopen function")
	}
	s := su.open(t)
	closed := &store.Object{Kind: "k", ID: "a", Status: "DONE", ClosedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}
	update(t, s, func(tx store.Tx) error {
		if err := tx.InsertObject(&store.Object{Kind: "k", ID: "open"}); err != nil {
			return err
		}
		return tx.InsertObject(closed)
	})
	s = su.reopen(t, s)
	if got := listObjects(t, s, store.ObjectQuery{Kind: "k", ClosedBefore: closed.ClosedAt.Add(time.Nanosecond)}); !reflect.DeepEqual(got, []*store.Object{closed}) {
		t.Errorf("after reopen: ListObjects closed = %+v, want %+v", got, closed)
	}
}

func testObjectNilEmptyBody(t *testing.T, su suite) {
	s := su.open(t)
	update(t, s, func(tx store.Tx) error {
		if err := tx.InsertObject(&store.Object{Kind: "k", ID: "nil"}); err != nil {
			return err
		}
		return tx.PutObject(&store.Object{Kind: "k", ID: "empty", Body: []byte{}})
	})
	for id, want := range map[string][]byte{"nil": nil, "empty": {}} {
		got, err := getObject(t, s, "k", id)
		if err != nil {
			t.Fatal(err)
		}
		if !equalBytes(got.Body, want) {
			t.Errorf("GetObject(%s).Body = %#v, want %#v", id, got.Body, want)
		}
	}
	for _, o := range listObjects(t, s, store.ObjectQuery{Kind: "k"}) {
		if (o.ID == "nil") != (o.Body == nil) {
			t.Errorf("ListObjects: %s has Body %#v", o.ID, o.Body)
		}
	}
}

// ---- events ----

func testEventsAppendList(t *testing.T, su suite) {
	s := su.open(t)
	update(t, s, func(tx store.Tx) error { return tx.AppendEvents("exec-1", events(1, 3)) })
	update(t, s, func(tx store.Tx) error {
		if err := tx.AppendEvents("exec-2", events(1, 2)); err != nil {
			return err
		}
		if err := tx.AppendEvents("exec-1", events(4, 4)); err != nil {
			return err
		}
		// Appending twice in one function continues from the first.
		return tx.AppendEvents("exec-1", events(5, 5))
	})
	// Nothing to append is fine.
	update(t, s, func(tx store.Tx) error { return tx.AppendEvents("exec-1", nil) })

	got := listEvents(t, s, store.EventQuery{Owner: "exec-1"})
	if want := events(1, 5); !reflect.DeepEqual(got, want) {
		t.Fatalf("ListEvents(exec-1) = %v, want %v", got, want)
	}
	if got, want := eventIDs(listEvents(t, s, store.EventQuery{Owner: "exec-2"})), seqInt64(1, 2); !slices.Equal(got, want) {
		t.Fatalf("ListEvents(exec-2) = %v, want %v", got, want)
	}
	if got := listEvents(t, s, store.EventQuery{Owner: "exec-3"}); len(got) != 0 {
		t.Fatalf("ListEvents(unknown owner) = %v, want none", got)
	}

	tests := []struct {
		q    store.EventQuery
		want []int64
	}{
		{store.EventQuery{Desc: true}, seqInt64(5, 1)},
		{store.EventQuery{AfterID: 2}, seqInt64(3, 5)},
		{store.EventQuery{AfterID: 4, Desc: true}, seqInt64(3, 1)},
		{store.EventQuery{Limit: 2}, seqInt64(1, 2)},
		{store.EventQuery{Limit: 2, Desc: true}, seqInt64(5, 4)},
		{store.EventQuery{AfterID: 1, Limit: 3}, seqInt64(2, 4)},
		{store.EventQuery{AfterID: 5, Limit: 3, Desc: true}, seqInt64(4, 2)},
		{store.EventQuery{AfterID: 5}, nil},
		{store.EventQuery{AfterID: 1, Desc: true}, nil},
		{store.EventQuery{Limit: 10}, seqInt64(1, 5)},
	}
	for _, tt := range tests {
		tt.q.Owner = "exec-1"
		evs := listEvents(t, s, tt.q)
		if got := eventIDs(evs); !slices.Equal(got, tt.want) {
			t.Errorf("ListEvents(%+v) = %v, want %v", tt.q, got, tt.want)
		}
		for _, e := range evs {
			if want := fmt.Sprintf("event %d", e.ID); string(e.Body) != want {
				t.Errorf("event %d body = %q, want %q", e.ID, e.Body, want)
			}
		}
	}
}

func testEventsContiguity(t *testing.T, su suite) {
	s := su.open(t)
	tests := []struct {
		name string
		evs  []store.Event
	}{
		{"first not 1", events(2, 3)},
		{"zero", events(0, 1)},
		{"gap in batch", []store.Event{{ID: 1}, {ID: 3}}},
		{"repeat in batch", []store.Event{{ID: 1}, {ID: 2}, {ID: 2}}},
	}
	for _, tt := range tests {
		err := s.Update(t.Context(), func(tx store.Tx) error { return tx.AppendEvents("o", tt.evs) })
		if err == nil {
			t.Errorf("%s: AppendEvents(%v) on empty history succeeded", tt.name, eventIDs(tt.evs))
		}
	}

	update(t, s, func(tx store.Tx) error { return tx.AppendEvents("o", events(1, 3)) })
	for _, evs := range [][]store.Event{events(3, 4), events(5, 6), events(1, 1), {{ID: 4}, {ID: 6}}} {
		err := s.Update(t.Context(), func(tx store.Tx) error { return tx.AppendEvents("o", evs) })
		if err == nil {
			t.Errorf("AppendEvents(%v) after 1..3 succeeded", eventIDs(evs))
		}
	}

	// A rejected append writes nothing, even if the function goes on.
	update(t, s, func(tx store.Tx) error {
		if err := tx.AppendEvents("o", []store.Event{{ID: 4}, {ID: 5}, {ID: 7}}); err == nil {
			return errors.New("AppendEvents with a gap succeeded")
		}
		if err := tx.AppendEvents("p", events(2, 2)); err == nil {
			return errors.New("AppendEvents starting at 2 succeeded")
		}
		return nil
	})
	if got, want := eventIDs(listEvents(t, s, store.EventQuery{Owner: "o"})), seqInt64(1, 3); !slices.Equal(got, want) {
		t.Fatalf("after rejected appends: ListEvents = %v, want %v", got, want)
	}
	if got := listEvents(t, s, store.EventQuery{Owner: "p"}); len(got) != 0 {
		t.Fatalf("after rejected appends: ListEvents(p) = %v, want none", got)
	}
	update(t, s, func(tx store.Tx) error { return tx.AppendEvents("o", events(4, 4)) })
}

func testEventsDelete(t *testing.T, su suite) {
	s := su.open(t)
	update(t, s, func(tx store.Tx) error {
		if err := tx.AppendEvents("a", events(1, 3)); err != nil {
			return err
		}
		return tx.AppendEvents("b", events(1, 2))
	})
	update(t, s, func(tx store.Tx) error { return tx.DeleteEvents("a") })
	if got := listEvents(t, s, store.EventQuery{Owner: "a"}); len(got) != 0 {
		t.Fatalf("ListEvents after DeleteEvents = %v, want none", got)
	}
	if got, want := eventIDs(listEvents(t, s, store.EventQuery{Owner: "b"})), seqInt64(1, 2); !slices.Equal(got, want) {
		t.Fatalf("ListEvents(b) after DeleteEvents(a) = %v, want %v", got, want)
	}
	// Deleting an empty history is not an error; a deleted history starts
	// again from 1.
	update(t, s, func(tx store.Tx) error { return tx.DeleteEvents("none") })
	update(t, s, func(tx store.Tx) error { return tx.AppendEvents("a", events(1, 1)) })
}

func testEventsPaging(t *testing.T, su suite) {
	s := su.open(t)
	update(t, s, func(tx store.Tx) error {
		evs := events(1, 20)
		evs[3].Body = nil
		evs[4].Body = []byte{}
		return tx.AppendEvents("o", evs)
	})
	all := listEvents(t, s, store.EventQuery{Owner: "o"})
	if !equalBytes(all[3].Body, nil) || !equalBytes(all[4].Body, []byte{}) {
		t.Errorf("event bodies nil/empty = %#v/%#v, want nil/[]byte{}", all[3].Body, all[4].Body)
	}
	for _, desc := range []bool{false, true} {
		for _, size := range []int{1, 3, 20, 21} {
			q := store.EventQuery{Owner: "o", Desc: desc, Limit: size}
			var got []int64
			for pages := 0; ; pages++ {
				if pages > 22 {
					t.Fatalf("paging desc=%v size=%d does not end", desc, size)
				}
				page := listEvents(t, s, q)
				if len(page) == 0 {
					break
				}
				got = append(got, eventIDs(page)...)
				q.AfterID = page[len(page)-1].ID
			}
			want := seqInt64(1, 20)
			if desc {
				want = seqInt64(20, 1)
			}
			if !slices.Equal(got, want) {
				t.Errorf("paging desc=%v size=%d = %v, want %v", desc, size, got, want)
			}
		}
	}
}

// ---- tasks ----

// fullTask returns a task with every field set, its times in a non-UTC
// location and with nanoseconds.
func fullTask(n int) *store.Task {
	loc := time.FixedZone("UTC+5:30", 5*3600+1800)
	base := time.Date(2031, 7, 14, 9, 26, 53, 123456789+n, loc)
	return &store.Task{
		Partition:       3 + n,
		Queue:           fmt.Sprintf("sfn:activity:q%d", n),
		OwnerKind:       "sfn",
		OwnerID:         fmt.Sprintf("arn:aws:states:us-east-1:000000000000:execution:sm:run-%d", n),
		OwnerRef:        fmt.Sprintf("event-%d", 7+n),
		State:           store.TaskStarted,
		Attempt:         2 + n,
		Priority:        -5 + n,
		Input:           fmt.Appendf(nil, `{"n":%d}`, n),
		ScheduleToStart: 1500 * time.Millisecond,
		ScheduleToClose: time.Hour + time.Nanosecond,
		StartToClose:    5 * time.Minute,
		Heartbeat:       17 * time.Second,
		ScheduledAt:     base,
		StartedAt:       base.Add(1234567 * time.Nanosecond),
		Worker:          "worker-α",
		HeartbeatAt:     base.Add(time.Minute + 1),
		Details:         []byte("details"),
		CancelRequested: true,
	}
}

// inUTC returns a copy of tk as a store returns it: times in UTC.
func inUTC(tk *store.Task) *store.Task {
	c := *tk
	utc := func(t time.Time) time.Time {
		if t.IsZero() {
			return time.Time{}
		}
		return t.UTC()
	}
	c.ScheduledAt, c.StartedAt, c.HeartbeatAt = utc(c.ScheduledAt), utc(c.StartedAt), utc(c.HeartbeatAt)
	return &c
}

func getTask(t *testing.T, s store.Store, id int64) (*store.Task, error) {
	t.Helper()
	var tk *store.Task
	var getErr error
	view(t, s, func(tx store.Tx) error {
		tk, getErr = tx.GetTask(id)
		return nil
	})
	return tk, getErr
}

func checkTask(t *testing.T, s store.Store, want *store.Task) {
	t.Helper()
	got, err := getTask(t, s, want.ID)
	if err != nil {
		t.Fatalf("GetTask(%d): %v", want.ID, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("GetTask(%d) =\n%#v\nwant\n%#v", want.ID, got, want)
	}
	for _, tm := range []time.Time{got.ScheduledAt, got.StartedAt, got.HeartbeatAt} {
		if !tm.IsZero() && tm.Location() != time.UTC {
			t.Fatalf("GetTask(%d): time %v not in UTC", want.ID, tm)
		}
	}
	if !equalBytes(got.Input, want.Input) || !equalBytes(got.Details, want.Details) {
		t.Fatalf("GetTask(%d): Input/Details %#v/%#v, want %#v/%#v", want.ID, got.Input, got.Details, want.Input, want.Details)
	}
}

func testTaskRoundTrip(t *testing.T, su suite) {
	s := su.open(t)
	full := fullTask(0)
	zero := &store.Task{}
	empty := &store.Task{Queue: "q", State: store.TaskScheduled, Input: []byte{}, Details: []byte{}}
	update(t, s, func(tx store.Tx) error {
		for _, tk := range []*store.Task{full, zero, empty} {
			if err := tx.InsertTask(tk); err != nil {
				return err
			}
		}
		return nil
	})
	for _, tk := range []*store.Task{full, zero, empty} {
		if tk.ID <= 0 {
			t.Fatalf("InsertTask: ID = %d, want > 0", tk.ID)
		}
		checkTask(t, s, inUTC(tk))
	}
	// In the same transaction, too.
	update(t, s, func(tx store.Tx) error {
		got, err := tx.GetTask(full.ID)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, inUTC(full)) {
			return fmt.Errorf("GetTask in Update = %#v, want %#v", got, inUTC(full))
		}
		return nil
	})

	// Update every field, both ways: full -> zero, zero -> full, and nil <-> empty.
	toZero := &store.Task{ID: full.ID}
	toFull := fullTask(1)
	toFull.ID = zero.ID
	toNil := fullTask(2)
	toNil.ID = empty.ID
	toNil.Input, toNil.Details = nil, nil
	toNil.StartedAt, toNil.HeartbeatAt = time.Time{}, time.Time{}
	toNil.CancelRequested = false
	update(t, s, func(tx store.Tx) error {
		for _, tk := range []*store.Task{toZero, toFull, toNil} {
			if err := tx.UpdateTask(tk); err != nil {
				return err
			}
		}
		return nil
	})
	for _, tk := range []*store.Task{toZero, toFull, toNil} {
		checkTask(t, s, inUTC(tk))
	}
	// And back to empty slices.
	toEmpty := *toNil
	toEmpty.Input, toEmpty.Details = []byte{}, []byte{}
	update(t, s, func(tx store.Tx) error { return tx.UpdateTask(&toEmpty) })
	checkTask(t, s, inUTC(&toEmpty))
}

func testTaskIDs(t *testing.T, su suite) {
	s := su.open(t)
	var ids []int64
	for range 3 {
		update(t, s, func(tx store.Tx) error {
			for range 2 {
				tk := &store.Task{Queue: "q", ID: 999999} // the given ID is ignored
				if err := tx.InsertTask(tk); err != nil {
					return err
				}
				ids = append(ids, tk.ID)
			}
			return nil
		})
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatalf("task IDs not increasing: %v", ids)
		}
	}
	last := ids[len(ids)-1]
	update(t, s, func(tx store.Tx) error { return tx.DeleteTask(last) })
	if _, err := getTask(t, s, last); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetTask after delete: err = %v, want ErrNotFound", err)
	}
	tk := &store.Task{Queue: "q"}
	update(t, s, func(tx store.Tx) error { return tx.InsertTask(tk) })
	if tk.ID <= last {
		t.Fatalf("task ID after deleting the latest = %d, want > %d", tk.ID, last)
	}
	if got, want := taskIDs(listTasks(t, s, store.TaskQuery{})), append(slices.Clone(ids[:len(ids)-1]), tk.ID); !slices.Equal(got, want) {
		t.Fatalf("ListTasks = %v, want %v", got, want)
	}
}

func testTaskNotFound(t *testing.T, su suite) {
	s := su.open(t)
	if _, err := getTask(t, s, 42); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetTask missing: err = %v, want ErrNotFound", err)
	}
	for name, fn := range map[string]func(tx store.Tx) error{
		"UpdateTask": func(tx store.Tx) error { return tx.UpdateTask(&store.Task{ID: 42, Queue: "q"}) },
		"DeleteTask": func(tx store.Tx) error { return tx.DeleteTask(42) },
	} {
		if err := s.Update(t.Context(), fn); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s missing: err = %v, want ErrNotFound", name, err)
		}
	}
	if got := listTasks(t, s, store.TaskQuery{}); len(got) != 0 {
		t.Fatalf("UpdateTask of a missing task inserted %v", taskIDs(got))
	}
}

func testTaskList(t *testing.T, su suite) {
	s := su.open(t)
	var all []*store.Task
	update(t, s, func(tx store.Tx) error {
		for i := range 12 {
			tk := &store.Task{
				Queue:     fmt.Sprintf("q%d", i%2),
				OwnerKind: []string{"sfn", "swf", "pipeline"}[i%3],
				OwnerID:   fmt.Sprintf("owner%d", i%4),
				State:     store.TaskState(1 + (i/2)%2), // 1, 1, 2, 2, 1, 1, ...
			}
			if err := tx.InsertTask(tk); err != nil {
				return err
			}
			all = append(all, tk)
		}
		return nil
	})
	filter := func(keep func(*store.Task) bool) []int64 {
		var ids []int64
		for _, tk := range all {
			if keep(tk) {
				ids = append(ids, tk.ID)
			}
		}
		return ids
	}
	tests := []struct {
		q    store.TaskQuery
		want []int64
	}{
		{store.TaskQuery{}, taskIDs(all)},
		{store.TaskQuery{Queue: "q1"}, filter(func(tk *store.Task) bool { return tk.Queue == "q1" })},
		{store.TaskQuery{State: store.TaskStarted}, filter(func(tk *store.Task) bool { return tk.State == store.TaskStarted })},
		{store.TaskQuery{Queue: "q0", State: store.TaskScheduled},
			filter(func(tk *store.Task) bool { return tk.Queue == "q0" && tk.State == store.TaskScheduled })},
		{store.TaskQuery{OwnerKind: "swf"}, filter(func(tk *store.Task) bool { return tk.OwnerKind == "swf" })},
		{store.TaskQuery{OwnerID: "owner3"}, filter(func(tk *store.Task) bool { return tk.OwnerID == "owner3" })},
		{store.TaskQuery{OwnerKind: "sfn", OwnerID: "owner0"},
			filter(func(tk *store.Task) bool { return tk.OwnerKind == "sfn" && tk.OwnerID == "owner0" })},
		{store.TaskQuery{Queue: "q1", OwnerKind: "pipeline", OwnerID: "owner1", State: store.TaskScheduled},
			filter(func(tk *store.Task) bool {
				return tk.Queue == "q1" && tk.OwnerKind == "pipeline" && tk.OwnerID == "owner1" && tk.State == store.TaskScheduled
			})},
		{store.TaskQuery{Queue: "none"}, nil},
	}
	for _, tt := range tests {
		got := listTasks(t, s, tt.q)
		if ids := taskIDs(got); !slices.Equal(ids, tt.want) {
			t.Errorf("ListTasks(%+v) = %v, want %v", tt.q, ids, tt.want)
		}
	}
	// Listed tasks are whole.
	for i, tk := range listTasks(t, s, store.TaskQuery{}) {
		if !reflect.DeepEqual(tk, all[i]) {
			t.Errorf("ListTasks[%d] = %+v, want %+v", i, tk, all[i])
		}
	}
	// Deleted tasks are not listed.
	update(t, s, func(tx store.Tx) error { return tx.DeleteTask(all[1].ID) })
	if got, want := taskIDs(listTasks(t, s, store.TaskQuery{Queue: "q1"}))[0], all[3].ID; got != want {
		t.Errorf("ListTasks(q1) after deleting its first starts at %d, want %d", got, want)
	}
}

// ---- timers ----

func testTaskListPaging(t *testing.T, su suite) {
	s := su.open(t)
	var ids []int64
	update(t, s, func(tx store.Tx) error {
		for i := range 7 {
			tk := &store.Task{Queue: "q", OwnerID: fmt.Sprint(i % 2), State: store.TaskScheduled}
			if err := tx.InsertTask(tk); err != nil {
				return err
			}
			ids = append(ids, tk.ID)
		}
		return nil
	})
	var got []int64
	for after := int64(0); ; {
		page := listTasks(t, s, store.TaskQuery{AfterID: after, Limit: 3})
		if len(page) > 3 {
			t.Fatalf("page of %d tasks, limit 3", len(page))
		}
		if len(page) == 0 {
			break
		}
		got = append(got, taskIDs(page)...)
		after = page[len(page)-1].ID
	}
	if fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Errorf("paged tasks = %v, want %v", got, ids)
	}
	if got, want := taskIDs(listTasks(t, s, store.TaskQuery{OwnerID: "1", AfterID: ids[1], Limit: 1})), ids[3:4]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("filtered page = %v, want %v", got, want)
	}
}

func testTimerListPaging(t *testing.T, su suite) {
	s := su.open(t)
	var ids []int64
	update(t, s, func(tx store.Tx) error {
		for i := range 7 {
			tm := &store.Timer{OwnerKind: "sfn", OwnerID: fmt.Sprint(i % 2)}
			if err := tx.InsertTimer(tm); err != nil {
				return err
			}
			ids = append(ids, tm.ID)
		}
		return nil
	})
	var got []int64
	for after := int64(0); ; {
		page := listTimers(t, s, store.TimerQuery{AfterID: after, Limit: 3})
		if len(page) > 3 {
			t.Fatalf("page of %d timers, limit 3", len(page))
		}
		if len(page) == 0 {
			break
		}
		got = append(got, timerIDs(page)...)
		after = page[len(page)-1].ID
	}
	if fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Errorf("paged timers = %v, want %v", got, ids)
	}
	if got, want := timerIDs(listTimers(t, s, store.TimerQuery{OwnerID: "1", AfterID: ids[1], Limit: 1})), ids[3:4]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("filtered page = %v, want %v", got, want)
	}
}

func testTimerRoundTrip(t *testing.T, su suite) {
	s := su.open(t)
	loc := time.FixedZone("UTC-7", -7*3600)
	full := &store.Timer{Partition: 7, OwnerKind: "sfn", OwnerID: "arn:x", Kind: "wait",
		FireAt: time.Date(2030, 1, 2, 3, 4, 5, 999999999, loc), Payload: []byte(`{"state":"Wait"}`)}
	zero := &store.Timer{}
	empty := &store.Timer{OwnerKind: "swf", Payload: []byte{}}
	update(t, s, func(tx store.Tx) error {
		for _, tm := range []*store.Timer{full, zero, empty} {
			if err := tx.InsertTimer(tm); err != nil {
				return err
			}
		}
		return nil
	})
	for _, tm := range []*store.Timer{full, zero, empty} {
		if tm.ID <= 0 {
			t.Fatalf("InsertTimer: ID = %d, want > 0", tm.ID)
		}
		want := *tm
		if !want.FireAt.IsZero() {
			want.FireAt = want.FireAt.UTC()
		}
		var got *store.Timer
		view(t, s, func(tx store.Tx) (err error) {
			got, err = tx.GetTimer(tm.ID)
			return err
		})
		if !reflect.DeepEqual(got, &want) || !equalBytes(got.Payload, want.Payload) {
			t.Errorf("GetTimer(%d) = %#v, want %#v", tm.ID, got, &want)
		}
		if !got.FireAt.IsZero() && got.FireAt.Location() != time.UTC {
			t.Errorf("GetTimer(%d).FireAt = %v, not in UTC", tm.ID, got.FireAt)
		}
	}
}

func testTimerIDs(t *testing.T, su suite) {
	s := su.open(t)
	var ids []int64
	update(t, s, func(tx store.Tx) error {
		for range 3 {
			tm := &store.Timer{OwnerKind: "sfn", ID: 777}
			if err := tx.InsertTimer(tm); err != nil {
				return err
			}
			ids = append(ids, tm.ID)
		}
		return nil
	})
	if !slices.IsSorted(ids) || ids[0] == ids[1] || ids[1] == ids[2] {
		t.Fatalf("timer IDs not increasing: %v", ids)
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteTimer(ids[2]) })
	view(t, s, func(tx store.Tx) error {
		if _, err := tx.GetTimer(ids[2]); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("GetTimer after delete: err = %v, want ErrNotFound", err)
		}
		return nil
	})
	if err := s.Update(t.Context(), func(tx store.Tx) error { return tx.DeleteTimer(ids[2]) }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteTimer twice: err = %v, want ErrNotFound", err)
	}
	tm := &store.Timer{}
	update(t, s, func(tx store.Tx) error { return tx.InsertTimer(tm) })
	if tm.ID <= ids[2] {
		t.Fatalf("timer ID after deleting the latest = %d, want > %d", tm.ID, ids[2])
	}
}

func testTimerList(t *testing.T, su suite) {
	s := su.open(t)
	var all []*store.Timer
	update(t, s, func(tx store.Tx) error {
		for i := range 9 {
			tm := &store.Timer{
				OwnerKind: []string{"sfn", "swf", "pipeline"}[i%3],
				OwnerID:   fmt.Sprintf("owner%d", i%2),
				Kind:      "k",
				FireAt:    time.Date(2030, 1, 1, 0, 0, 9-i, 0, time.UTC), // not in ID order
			}
			if err := tx.InsertTimer(tm); err != nil {
				return err
			}
			all = append(all, tm)
		}
		return nil
	})
	filter := func(keep func(*store.Timer) bool) []int64 {
		var ids []int64
		for _, tm := range all {
			if keep(tm) {
				ids = append(ids, tm.ID)
			}
		}
		return ids
	}
	tests := []struct {
		q    store.TimerQuery
		want []int64
	}{
		{store.TimerQuery{}, timerIDs(all)},
		{store.TimerQuery{OwnerKind: "swf"}, filter(func(tm *store.Timer) bool { return tm.OwnerKind == "swf" })},
		{store.TimerQuery{OwnerID: "owner1"}, filter(func(tm *store.Timer) bool { return tm.OwnerID == "owner1" })},
		{store.TimerQuery{OwnerKind: "sfn", OwnerID: "owner0"},
			filter(func(tm *store.Timer) bool { return tm.OwnerKind == "sfn" && tm.OwnerID == "owner0" })},
		{store.TimerQuery{OwnerKind: "none"}, nil},
	}
	for _, tt := range tests {
		if got := timerIDs(listTimers(t, s, tt.q)); !slices.Equal(got, tt.want) {
			t.Errorf("ListTimers(%+v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	for i, tm := range listTimers(t, s, store.TimerQuery{}) {
		if !reflect.DeepEqual(tm, all[i]) {
			t.Errorf("ListTimers[%d] = %+v, want %+v", i, tm, all[i])
		}
	}
}

// ---- meta ----

func testMeta(t *testing.T, su suite) {
	s := su.open(t)
	view(t, s, func(tx store.Tx) error {
		if _, err := tx.GetMeta("token_secret"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("GetMeta missing: err = %v, want ErrNotFound", err)
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error {
		if err := tx.PutMeta("token_secret", []byte{0, 1, 2, 255}); err != nil {
			return err
		}
		if err := tx.PutMeta("empty", []byte{}); err != nil {
			return err
		}
		return tx.PutMeta("nil", nil)
	})
	update(t, s, func(tx store.Tx) error { return tx.PutMeta("other", []byte("x")) })
	update(t, s, func(tx store.Tx) error { return tx.PutMeta("other", []byte("y")) })
	for key, want := range map[string][]byte{
		"token_secret": {0, 1, 2, 255},
		"empty":        {},
		"nil":          nil,
		"other":        []byte("y"),
	} {
		var got []byte
		view(t, s, func(tx store.Tx) (err error) {
			got, err = tx.GetMeta(key)
			return err
		})
		if !equalBytes(got, want) {
			t.Errorf("GetMeta(%q) = %#v, want %#v", key, got, want)
		}
	}
}

// ---- Update ----

func testUpdateErrorRollsBack(t *testing.T, su suite) {
	s := su.open(t)
	update(t, s, func(tx store.Tx) error {
		return tx.InsertObject(&store.Object{Kind: "k", ID: "kept", Body: []byte("v1")})
	})
	boom := errors.New("boom")
	var taskID int64
	err := s.Update(t.Context(), func(tx store.Tx) error {
		if err := tx.PutObject(&store.Object{Kind: "k", ID: "kept", Body: []byte("v2")}); err != nil {
			return err
		}
		if err := tx.InsertObject(&store.Object{Kind: "k", ID: "gone"}); err != nil {
			return err
		}
		if err := tx.AppendEvents("o", events(1, 2)); err != nil {
			return err
		}
		tk := &store.Task{Queue: "q"}
		if err := tx.InsertTask(tk); err != nil {
			return err
		}
		taskID = tk.ID
		if err := tx.InsertTimer(&store.Timer{OwnerKind: "sfn"}); err != nil {
			return err
		}
		if err := tx.PutMeta("m", []byte("v")); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", boom)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want the function's error", err)
	}
	view(t, s, func(tx store.Tx) error {
		if o, err := tx.GetObject("k", "kept"); err != nil || string(o.Body) != "v1" {
			return fmt.Errorf("GetObject(kept) = %v, %v; want body v1", o, err)
		}
		if _, err := tx.GetObject("k", "gone"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("GetObject(gone): err = %v, want ErrNotFound", err)
		}
		if evs, err := tx.ListEvents(store.EventQuery{Owner: "o"}); err != nil || len(evs) != 0 {
			return fmt.Errorf("ListEvents = %v, %v; want none", evs, err)
		}
		if _, err := tx.GetTask(taskID); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("GetTask: err = %v, want ErrNotFound", err)
		}
		if tms, err := tx.ListTimers(store.TimerQuery{}); err != nil || len(tms) != 0 {
			return fmt.Errorf("ListTimers = %v, %v; want none", tms, err)
		}
		if _, err := tx.GetMeta("m"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("GetMeta: err = %v, want ErrNotFound", err)
		}
		return nil
	})
	// The history can still start at 1.
	update(t, s, func(tx store.Tx) error { return tx.AppendEvents("o", events(1, 1)) })
}

func testUpdateSavepointIsolation(t *testing.T, su suite) {
	s := su.open(t)
	const n = 64
	errFail := errors.New("planned failure")
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.Update(t.Context(), func(tx store.Tx) error {
				id := fmt.Sprintf("o%02d", i)
				if err := tx.InsertObject(&store.Object{Kind: "k", ID: id}); err != nil {
					return err
				}
				if err := tx.AppendEvents(id, events(1, 2)); err != nil {
					return err
				}
				if err := tx.InsertTask(&store.Task{Queue: "q", OwnerID: id}); err != nil {
					return err
				}
				if i%4 == 1 {
					return errFail
				}
				return nil
			})
		})
	}
	close(start)
	wg.Wait()

	for i, err := range errs {
		id := fmt.Sprintf("o%02d", i)
		fail := i%4 == 1
		if fail && !errors.Is(err, errFail) || !fail && err != nil {
			t.Errorf("Update %d = %v, want fail=%v", i, err, fail)
		}
		_, getErr := getObject(t, s, "k", id)
		evs := listEvents(t, s, store.EventQuery{Owner: id})
		tasks := listTasks(t, s, store.TaskQuery{OwnerID: id})
		if fail {
			if !errors.Is(getErr, store.ErrNotFound) || len(evs) != 0 || len(tasks) != 0 {
				t.Errorf("failed Update %d left writes: object err %v, %d events, %d tasks", i, getErr, len(evs), len(tasks))
			}
		} else if getErr != nil || len(evs) != 2 || len(tasks) != 1 {
			t.Errorf("Update %d lost writes: object err %v, %d events, %d tasks", i, getErr, len(evs), len(tasks))
		}
	}
}

func testUpdateNestedSavepoints(t *testing.T, su suite) {
	s := su.open(t)
	errFail := errors.New("planned failure")
	var ran []string
	var taskIDs []int64
	err := s.Update(t.Context(), func(tx store.Tx) error {
		for i := range 6 {
			id := fmt.Sprintf("n%d", i)
			err := tx.Savepoint(func(tx store.Tx) error {
				if err := tx.InsertObject(&store.Object{Kind: "k", ID: id}); err != nil {
					return err
				}
				tk := &store.Task{Queue: "q", OwnerID: id}
				if err := tx.InsertTask(tk); err != nil {
					return err
				}
				taskIDs = append(taskIDs, tk.ID)
				tx.AfterCommit(func() { ran = append(ran, id) })
				switch i {
				case 1:
					return errFail
				case 3:
					panic("planned panic")
				case 4: // a savepoint in a savepoint: only the inner one fails
					inner := tx.Savepoint(func(tx store.Tx) error {
						if err := tx.PutMeta("inner", []byte("x")); err != nil {
							return err
						}
						tx.AfterCommit(func() { ran = append(ran, "inner") })
						return errFail
					})
					if !errors.Is(inner, errFail) {
						return fmt.Errorf("inner Savepoint = %v, want the planned failure", inner)
					}
				}
				return nil
			})
			if fail := i == 1 || i == 3; fail != (err != nil) || i == 1 && !errors.Is(err, errFail) {
				return fmt.Errorf("savepoint %d: Savepoint = %v", i, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update = %v", err)
	}
	if got, want := fmt.Sprint(ran), "[n0 n2 n4 n5]"; got != want {
		t.Errorf("AfterCommit callbacks ran for %s, want %s", got, want)
	}
	for i := range 6 {
		id := fmt.Sprintf("n%d", i)
		_, getErr := getObject(t, s, "k", id)
		tasks := listTasks(t, s, store.TaskQuery{OwnerID: id})
		if i == 1 || i == 3 {
			if !errors.Is(getErr, store.ErrNotFound) || len(tasks) != 0 {
				t.Errorf("failed savepoint %d left writes: object err %v, %d tasks", i, getErr, len(tasks))
			}
		} else if getErr != nil || len(tasks) != 1 {
			t.Errorf("savepoint %d lost writes: object err %v, %d tasks", i, getErr, len(tasks))
		}
	}
	view(t, s, func(tx store.Tx) error {
		if _, err := tx.GetMeta("inner"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("GetMeta(inner): err = %v, want ErrNotFound", err)
		}
		// In a View, fn just runs.
		return tx.Savepoint(func(tx store.Tx) error {
			_, err := tx.GetObject("k", "n0")
			return err
		})
	})
	// The whole Update still fails as one.
	err = s.Update(t.Context(), func(tx store.Tx) error {
		if err := tx.Savepoint(func(tx store.Tx) error {
			return tx.InsertObject(&store.Object{Kind: "k", ID: "undone"})
		}); err != nil {
			return err
		}
		return errFail
	})
	if !errors.Is(err, errFail) {
		t.Fatalf("Update = %v, want the planned failure", err)
	}
	if _, err := getObject(t, s, "k", "undone"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a released savepoint of a failed Update survived: %v", err)
	}
}

func testUpdateConcurrent(t *testing.T, su suite) {
	s := su.open(t)
	const goroutines, perG = 64, 20
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*perG)
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for i := range perG {
				err := s.Update(t.Context(), func(tx store.Tx) error {
					id := fmt.Sprintf("g%02d-%02d", g, i)
					if err := tx.InsertObject(&store.Object{Kind: "k", ID: id, Parent: fmt.Sprintf("g%02d", g)}); err != nil {
						return err
					}
					// Each goroutine appends to its own history.
					if err := tx.AppendEvents(fmt.Sprintf("g%02d", g), events(int64(i+1), int64(i+1))); err != nil {
						return err
					}
					return tx.InsertTask(&store.Task{Queue: "q", OwnerID: id})
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Update: %v", err)
	}
	objs := listObjects(t, s, store.ObjectQuery{Kind: "k"})
	if len(objs) != goroutines*perG {
		t.Fatalf("%d objects, want %d", len(objs), goroutines*perG)
	}
	for i := 1; i < len(objs); i++ {
		if objs[i].Seq <= objs[i-1].Seq {
			t.Fatalf("ListObjects not in Seq order at %d", i)
		}
	}
	// Each goroutine's objects were inserted in its own order.
	for g := range goroutines {
		got := objectIDs(listObjects(t, s, store.ObjectQuery{Kind: "k", Parent: fmt.Sprintf("g%02d", g)}))
		var want []string
		for i := range perG {
			want = append(want, fmt.Sprintf("g%02d-%02d", g, i))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("objects of g%02d = %v, want %v", g, got, want)
		}
		if evs := listEvents(t, s, store.EventQuery{Owner: fmt.Sprintf("g%02d", g)}); len(evs) != perG {
			t.Fatalf("g%02d has %d events, want %d", g, len(evs), perG)
		}
	}
	if tasks := listTasks(t, s, store.TaskQuery{Queue: "q"}); len(tasks) != goroutines*perG {
		t.Fatalf("%d tasks, want %d", len(tasks), goroutines*perG)
	}
}

func testUpdateReadsOwnWrites(t *testing.T, su suite) {
	s := su.open(t)
	update(t, s, func(tx store.Tx) error {
		o := &store.Object{Kind: "k", ID: "a", Status: "s"}
		if err := tx.InsertObject(o); err != nil {
			return err
		}
		got, err := tx.GetObject("k", "a")
		if err != nil {
			return err
		}
		if got.Seq != o.Seq {
			return fmt.Errorf("GetObject in the same Update: Seq %d, want %d", got.Seq, o.Seq)
		}
		if objs, err := tx.ListObjects(store.ObjectQuery{Kind: "k", Status: "s"}); err != nil || len(objs) != 1 {
			return fmt.Errorf("ListObjects in the same Update = %v, %v", objs, err)
		}
		if err := tx.AppendEvents("o", events(1, 1)); err != nil {
			return err
		}
		if evs, err := tx.ListEvents(store.EventQuery{Owner: "o"}); err != nil || len(evs) != 1 {
			return fmt.Errorf("ListEvents in the same Update = %v, %v", evs, err)
		}
		tm := &store.Timer{OwnerKind: "sfn"}
		if err := tx.InsertTimer(tm); err != nil {
			return err
		}
		if _, err := tx.GetTimer(tm.ID); err != nil {
			return fmt.Errorf("GetTimer in the same Update: %v", err)
		}
		if err := tx.PutMeta("m", []byte("v")); err != nil {
			return err
		}
		if v, err := tx.GetMeta("m"); err != nil || string(v) != "v" {
			return fmt.Errorf("GetMeta in the same Update = %q, %v", v, err)
		}
		return nil
	})
}

func testUpdateCanceledContext(t *testing.T, su suite) {
	s := su.open(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ran := false
	err := s.Update(ctx, func(tx store.Tx) error {
		ran = true
		return tx.InsertObject(&store.Object{Kind: "k", ID: "a"})
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Update with canceled context = %v, want context.Canceled", err)
	}
	if ran {
		t.Fatal("Update with canceled context ran its function")
	}
	if _, err := getObject(t, s, "k", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Update with canceled context wrote: GetObject err = %v", err)
	}

	dctx, dcancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer dcancel()
	if err := s.Update(dctx, func(tx store.Tx) error { ran = true; return nil }); !errors.Is(err, context.DeadlineExceeded) || ran {
		t.Fatalf("Update with expired deadline = %v (ran %v), want context.DeadlineExceeded", err, ran)
	}
	// The store is still fine.
	update(t, s, func(tx store.Tx) error { return tx.InsertObject(&store.Object{Kind: "k", ID: "a"}) })
}

// ---- AfterCommit ----

func testAfterCommitOrder(t *testing.T, su suite) {
	s := su.open(t)
	var got []int
	update(t, s, func(tx store.Tx) error {
		for i := range 3 {
			tx.AfterCommit(func() { got = append(got, i) })
		}
		if len(got) != 0 {
			return errors.New("AfterCommit callback ran before the function returned")
		}
		return tx.InsertObject(&store.Object{Kind: "k", ID: "a"})
	})
	// Update returns only after the callbacks ran.
	if want := []int{0, 1, 2}; !slices.Equal(got, want) {
		t.Fatalf("callbacks ran %v, want %v", got, want)
	}
}

// testAfterCommitSeesCommit checks that when a callback runs, the writes are
// committed: a View from another goroutine sees them while the callback has
// not returned yet. (The callback blocks, which callbacks must not do; the
// test keeps it short.)
func testAfterCommitSeesCommit(t *testing.T, su suite) {
	s := su.open(t)
	running := make(chan struct{})
	checked := make(chan error, 1)
	done := make(chan error, 1)
	go func() {
		done <- s.Update(t.Context(), func(tx store.Tx) error {
			tx.AfterCommit(func() {
				close(running)
				<-checked
			})
			return tx.InsertObject(&store.Object{Kind: "k", ID: "a"})
		})
	}()
	select {
	case <-running:
	case err := <-done:
		t.Fatalf("Update returned %v before its AfterCommit callback ran", err)
	}
	_, err := getObject(t, s, "k", "a")
	checked <- nil
	if err != nil {
		t.Errorf("while the AfterCommit callback runs, GetObject from a View: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func testAfterCommitDropped(t *testing.T, su suite) {
	s := su.open(t)
	ran := false
	boom := errors.New("boom")
	err := s.Update(t.Context(), func(tx store.Tx) error {
		tx.AfterCommit(func() { ran = true })
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want boom", err)
	}
	// Later Updates do not run it either.
	update(t, s, func(tx store.Tx) error { return nil })
	if ran {
		t.Fatal("AfterCommit callback of a failed function ran")
	}

	// Concurrent failing and succeeding functions: only the successful
	// ones' callbacks run.
	const n = 32
	var mu sync.Mutex
	called := make(map[int]int)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			_ = s.Update(t.Context(), func(tx store.Tx) error {
				tx.AfterCommit(func() {
					mu.Lock()
					called[i]++
					mu.Unlock()
				})
				if i%2 == 1 {
					return boom
				}
				return nil
			})
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if want := 1 - i%2; called[i] != want {
			t.Errorf("callback of Update %d ran %d times, want %d", i, called[i], want)
		}
	}
}

func testAfterCommitNotInView(t *testing.T, su suite) {
	s := su.open(t)
	ran := false
	view(t, s, func(tx store.Tx) error {
		tx.AfterCommit(func() { ran = true })
		return nil
	})
	update(t, s, func(tx store.Tx) error { return nil })
	if ran {
		t.Fatal("AfterCommit callback registered in a View ran")
	}
}

// ---- View ----

func testViewCannotWrite(t *testing.T, su suite) {
	s := su.open(t)
	task := &store.Task{Queue: "q"}
	timer := &store.Timer{OwnerKind: "sfn"}
	update(t, s, func(tx store.Tx) error {
		if err := tx.InsertObject(&store.Object{Kind: "k", ID: "a", Body: []byte("v1")}); err != nil {
			return err
		}
		if err := tx.AppendEvents("o", events(1, 1)); err != nil {
			return err
		}
		if err := tx.InsertTask(task); err != nil {
			return err
		}
		if err := tx.InsertTimer(timer); err != nil {
			return err
		}
		return tx.PutMeta("m", []byte("v1"))
	})
	writes := map[string]func(tx store.Tx) error{
		"PutObject":    func(tx store.Tx) error { return tx.PutObject(&store.Object{Kind: "k", ID: "a", Body: []byte("v2")}) },
		"InsertObject": func(tx store.Tx) error { return tx.InsertObject(&store.Object{Kind: "k", ID: "b"}) },
		"DeleteObject": func(tx store.Tx) error { return tx.DeleteObject("k", "a") },
		"AppendEvents": func(tx store.Tx) error { return tx.AppendEvents("o", events(2, 2)) },
		"DeleteEvents": func(tx store.Tx) error { return tx.DeleteEvents("o") },
		"InsertTask":   func(tx store.Tx) error { return tx.InsertTask(&store.Task{Queue: "q"}) },
		"UpdateTask":   func(tx store.Tx) error { return tx.UpdateTask(&store.Task{ID: task.ID, Queue: "other"}) },
		"DeleteTask":   func(tx store.Tx) error { return tx.DeleteTask(task.ID) },
		"InsertTimer":  func(tx store.Tx) error { return tx.InsertTimer(&store.Timer{}) },
		"DeleteTimer":  func(tx store.Tx) error { return tx.DeleteTimer(timer.ID) },
		"PutMeta":      func(tx store.Tx) error { return tx.PutMeta("m", []byte("v2")) },
	}
	for name, w := range writes {
		view(t, s, func(tx store.Tx) error {
			if err := w(tx); err == nil {
				t.Errorf("%s in a View succeeded", name)
			}
			return nil
		})
	}
	view(t, s, func(tx store.Tx) error {
		if o, err := tx.GetObject("k", "a"); err != nil || string(o.Body) != "v1" {
			return fmt.Errorf("object after View writes = %v, %v", o, err)
		}
		if _, err := tx.GetObject("k", "b"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("object b after View writes: err = %v", err)
		}
		if evs, err := tx.ListEvents(store.EventQuery{Owner: "o"}); err != nil || len(evs) != 1 {
			return fmt.Errorf("events after View writes = %v, %v", evs, err)
		}
		if tasks, err := tx.ListTasks(store.TaskQuery{}); err != nil || len(tasks) != 1 || tasks[0].Queue != "q" {
			return fmt.Errorf("tasks after View writes = %v, %v", tasks, err)
		}
		if tms, err := tx.ListTimers(store.TimerQuery{}); err != nil || len(tms) != 1 {
			return fmt.Errorf("timers after View writes = %v, %v", tms, err)
		}
		if v, err := tx.GetMeta("m"); err != nil || string(v) != "v1" {
			return fmt.Errorf("meta after View writes = %q, %v", v, err)
		}
		return nil
	})
}

func testViewReturnsError(t *testing.T, su suite) {
	s := su.open(t)
	boom := errors.New("boom")
	if err := s.View(t.Context(), func(tx store.Tx) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("View = %v, want the function's error", err)
	}
}

// ---- persistence and Close ----

func testPersistence(t *testing.T, su suite) {
	if su.reopen == nil {
		t.Skip("no reopen function")
	}
	s := su.open(t)
	obj := &store.Object{Kind: "k", ID: "a", Parent: "p", Status: "s", Body: []byte("body")}
	latest := &store.Object{Kind: "k", ID: "latest"}
	task := fullTask(0)
	lastTask := &store.Task{Queue: "q"}
	timer := &store.Timer{OwnerKind: "sfn", OwnerID: "x", Kind: "k", FireAt: time.Date(2030, 1, 1, 0, 0, 0, 1, time.UTC), Payload: []byte("p")}
	lastTimer := &store.Timer{}
	update(t, s, func(tx store.Tx) error {
		for _, o := range []*store.Object{obj, latest} {
			if err := tx.InsertObject(o); err != nil {
				return err
			}
		}
		if err := tx.AppendEvents("o", events(1, 3)); err != nil {
			return err
		}
		for _, tk := range []*store.Task{task, lastTask} {
			if err := tx.InsertTask(tk); err != nil {
				return err
			}
		}
		for _, tm := range []*store.Timer{timer, lastTimer} {
			if err := tx.InsertTimer(tm); err != nil {
				return err
			}
		}
		return tx.PutMeta("token_secret", []byte("secret"))
	})
	// Delete the latest of each, so that only the store's own counters can
	// keep their IDs from being handed out again.
	update(t, s, func(tx store.Tx) error {
		if err := tx.DeleteObject(latest.Kind, latest.ID); err != nil {
			return err
		}
		if err := tx.DeleteTask(lastTask.ID); err != nil {
			return err
		}
		return tx.DeleteTimer(lastTimer.ID)
	})

	s = su.reopen(t, s)
	if got, err := getObject(t, s, obj.Kind, obj.ID); err != nil || !reflect.DeepEqual(got, obj) {
		t.Errorf("after reopen: GetObject = %+v, %v; want %+v", got, err, obj)
	}
	if got := listEvents(t, s, store.EventQuery{Owner: "o"}); !reflect.DeepEqual(got, events(1, 3)) {
		t.Errorf("after reopen: ListEvents = %v", got)
	}
	checkTask(t, s, inUTC(task))
	view(t, s, func(tx store.Tx) error {
		got, err := tx.GetTimer(timer.ID)
		if err != nil || !reflect.DeepEqual(got, timer) {
			t.Errorf("after reopen: GetTimer = %+v, %v; want %+v", got, err, timer)
		}
		if v, err := tx.GetMeta("token_secret"); err != nil || string(v) != "secret" {
			t.Errorf("after reopen: GetMeta = %q, %v", v, err)
		}
		return nil
	})

	o2 := &store.Object{Kind: "other", ID: "b"}
	t2 := &store.Task{}
	tm2 := &store.Timer{}
	update(t, s, func(tx store.Tx) error {
		if err := tx.InsertObject(o2); err != nil {
			return err
		}
		if err := tx.InsertTask(t2); err != nil {
			return err
		}
		if err := tx.InsertTimer(tm2); err != nil {
			return err
		}
		return tx.AppendEvents("o", events(4, 4))
	})
	if o2.Seq <= latest.Seq {
		t.Errorf("after reopen: Seq = %d, want > %d", o2.Seq, latest.Seq)
	}
	if t2.ID <= lastTask.ID {
		t.Errorf("after reopen: task ID = %d, want > %d", t2.ID, lastTask.ID)
	}
	if tm2.ID <= lastTimer.ID {
		t.Errorf("after reopen: timer ID = %d, want > %d", tm2.ID, lastTimer.ID)
	}
}

// testCloseFlushes closes the store while Updates are in flight: each one
// either committed (returned nil, and its write survives a reopen) or was
// refused with ErrClosed (and wrote nothing).
func testCloseFlushes(t *testing.T, su suite) {
	if su.reopen == nil {
		t.Skip("no reopen function")
	}
	s := su.open(t)
	const goroutines = 16
	committed := make([][]string, goroutines)
	refused := make([]string, goroutines)
	errs := make([]error, goroutines)
	started := make(chan struct{}, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("g%02d-%05d", g, i)
				err := s.Update(t.Context(), func(tx store.Tx) error {
					return tx.InsertObject(&store.Object{Kind: "k", ID: id})
				})
				if i == 0 {
					started <- struct{}{}
				}
				switch {
				case err == nil:
					committed[g] = append(committed[g], id)
				case errors.Is(err, store.ErrOverloaded):
				default:
					refused[g], errs[g] = id, err
					return
				}
			}
		})
	}
	// Let every goroutine get going, then close under load.
	for range goroutines {
		<-started
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	for g, err := range errs {
		if !errors.Is(err, store.ErrClosed) {
			t.Errorf("goroutine %d stopped with %v, want ErrClosed", g, err)
		}
	}

	s = su.reopen(t, s)
	n := 0
	for _, ids := range committed {
		for _, id := range ids {
			n++
			if _, err := getObject(t, s, "k", id); err != nil {
				t.Errorf("committed %s lost after Close: %v", id, err)
			}
		}
	}
	if got := len(listObjects(t, s, store.ObjectQuery{Kind: "k"})); got != n {
		t.Errorf("after Close and reopen: %d objects, want the %d committed", got, n)
	}
	for _, id := range refused {
		if _, err := getObject(t, s, "k", id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("refused %s: GetObject err = %v, want ErrNotFound", id, err)
		}
	}
}

func testClose(t *testing.T, su suite) {
	s := su.open(t)
	update(t, s, func(tx store.Tx) error { return tx.InsertObject(&store.Object{Kind: "k", ID: "a"}) })
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ran := false
	if err := s.Update(t.Context(), func(tx store.Tx) error { ran = true; return nil }); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Update after Close = %v, want ErrClosed", err)
	}
	if err := s.View(t.Context(), func(tx store.Tx) error { ran = true; return nil }); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("View after Close = %v, want ErrClosed", err)
	}
	if ran {
		t.Fatal("a function ran after Close")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
