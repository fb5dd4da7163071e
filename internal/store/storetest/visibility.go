package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// visKind is the kind the visibility tests index.
const visKind = "test.execution"

// visBase is the fixtures' epoch: times are visBase plus whole seconds.
var visBase = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return visBase.Add(time.Duration(sec) * time.Second) }

func listVisibility(t *testing.T, s store.Store, q store.VisibilityQuery) []store.Visibility {
	t.Helper()
	var out []store.Visibility
	view(t, s, func(tx store.Tx) (err error) {
		out, err = tx.ListVisibility(q)
		return err
	})
	return out
}

func countVisibility(t *testing.T, s store.Store, q store.VisibilityQuery) int64 {
	t.Helper()
	var n int64
	view(t, s, func(tx store.Tx) (err error) {
		n, err = tx.CountVisibility(q)
		return err
	})
	return n
}

func visIDs(vs []store.Visibility) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.ID
	}
	return out
}

func putVisibility(t *testing.T, s store.Store, vs ...*store.Visibility) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		for _, v := range vs {
			if err := tx.PutVisibility(v); err != nil {
				return err
			}
		}
		return nil
	})
}

// testVisibilityRoundTrip: an entry reads back as put, a put replaces it
// (status, times, tags), a delete removes it, and a View cannot write.
func testVisibilityRoundTrip(t *testing.T, su suite) {
	s := su.open(t)
	v := &store.Visibility{Kind: visKind, ID: "d|w1|r1", Namespace: "d", Status: "OPEN", StartedAt: at(1).Add(7),
		TypeName: "T", TypeVersion: "1", WorkflowID: "w1", Tags: []string{"red", "blue", "red"}}
	putVisibility(t, s, v)
	open := store.VisibilityQuery{Kind: visKind, Namespace: "d", Status: "OPEN"}
	got := listVisibility(t, s, open)
	if len(got) != 1 || !reflect.DeepEqual(got[0], *v) {
		t.Fatalf("ListVisibility = %+v, want [%+v]", got, *v)
	}
	red := "red"
	byTag := open
	byTag.Tag = &red
	if ids := visIDs(listVisibility(t, s, byTag)); !slices.Equal(ids, []string{v.ID}) {
		t.Errorf("tag red lists %q, want the entry once", ids)
	}
	if n := countVisibility(t, s, byTag); n != 1 {
		t.Errorf("tag red counts %d, want 1", n)
	}

	closed := *v
	closed.Status, closed.CloseStatus, closed.ClosedAt, closed.Tags = "CLOSED", "COMPLETED", at(5), []string{"green"}
	putVisibility(t, s, &closed)
	if got := listVisibility(t, s, open); len(got) != 0 {
		t.Errorf("open after close = %+v, want none", got)
	}
	if got := listVisibility(t, s, byTag); len(got) != 0 {
		t.Errorf("tag red after its tags were replaced = %+v, want none", got)
	}
	cq := store.VisibilityQuery{Kind: visKind, Namespace: "d", Status: "CLOSED", ByClose: true}
	if got := listVisibility(t, s, cq); len(got) != 1 || !reflect.DeepEqual(got[0], closed) {
		t.Errorf("closed = %+v, want [%+v]", got, closed)
	}

	if err := s.View(t.Context(), func(tx store.Tx) error { return tx.PutVisibility(v) }); err == nil {
		t.Error("PutVisibility in a View succeeded")
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteVisibility(visKind, v.ID) })
	if got := listVisibility(t, s, cq); len(got) != 0 {
		t.Errorf("closed after delete = %+v, want none", got)
	}
	green := "green"
	cq.Tag = &green
	if n := countVisibility(t, s, cq); n != 0 {
		t.Errorf("tag green after delete counts %d, want 0", n)
	}
	err := s.Update(t.Context(), func(tx store.Tx) error { return tx.DeleteVisibility(visKind, v.ID) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteVisibility = %v, want ErrNotFound", err)
	}
	for _, bad := range []store.VisibilityQuery{
		{Kind: visKind, Namespace: "d", Status: "OPEN", TypeName: "T", WorkflowID: "w1"},
		{Kind: visKind, Namespace: "d", Status: "CLOSED", Tag: &red, CloseStatus: "FAILED"},
		{Kind: visKind, Namespace: "d", Status: "OPEN", TypeVersion: "1"},
		{Kind: visKind, Status: "OPEN"},
	} {
		err := s.View(t.Context(), func(tx store.Tx) error { _, err := tx.ListVisibility(bad); return err })
		if !errors.Is(err, store.ErrVisibilityQuery) {
			t.Errorf("ListVisibility(%+v) = %v, want ErrVisibilityQuery", bad, err)
		}
	}
}

// visFixture puts 60 entries in namespace "d" and 5 in "e": open and
// closed, of two types and versions, three workflow ids, tags, close
// statuses; some start (and close) at the same second, so that the ID
// orders them.
func visFixture(t *testing.T, s store.Store) []store.Visibility {
	var vs []*store.Visibility
	statuses := []string{"COMPLETED", "FAILED", "TIMED_OUT"}
	tags := [][]string{nil, {"red"}, {"red", "blue"}, {"blue"}}
	for i := range 60 {
		v := &store.Visibility{Kind: visKind, ID: fmt.Sprintf("d|w%d|r%02d", i%3, i), Namespace: "d", Status: "OPEN",
			StartedAt: at(i / 2), TypeName: []string{"A", "B"}[i%2], TypeVersion: []string{"1", "2"}[i/2%2],
			WorkflowID: fmt.Sprintf("w%d", i%3), Tags: tags[i%4]}
		if i%5 != 0 {
			v.Status, v.CloseStatus, v.ClosedAt = "CLOSED", statuses[i%3], at(100-i/3)
		}
		vs = append(vs, v)
	}
	for i := range 5 {
		vs = append(vs, &store.Visibility{Kind: visKind, ID: fmt.Sprintf("e|w0|r%d", i), Namespace: "e", Status: "OPEN",
			StartedAt: at(i), TypeName: "A", TypeVersion: "1", WorkflowID: "w0", Tags: []string{"red"}})
	}
	// Another kind in the same namespace is not listed.
	vs = append(vs, &store.Visibility{Kind: "other.kind", ID: "d|w0|x", Namespace: "d", Status: "OPEN", StartedAt: at(3), WorkflowID: "w0"})
	putVisibility(t, s, vs...)
	out := make([]store.Visibility, len(vs))
	for i, v := range vs {
		out[i] = *v
	}
	return out
}

// visMatch is the reference model of a query's selection.
func visMatch(v *store.Visibility, q *store.VisibilityQuery) bool {
	t := v.StartedAt
	if q.ByClose {
		if v.ClosedAt.IsZero() {
			return false
		}
		t = v.ClosedAt
	}
	switch {
	case v.Kind != q.Kind, v.Namespace != q.Namespace, v.Status != q.Status,
		!q.From.IsZero() && t.Before(q.From),
		!q.Until.IsZero() && !t.Before(q.Until),
		!q.ClosedAfter.IsZero() && !v.ClosedAt.After(q.ClosedAfter),
		q.TypeName != "" && v.TypeName != q.TypeName,
		q.TypeVersion != "" && v.TypeVersion != q.TypeVersion,
		q.Tag != nil && !slices.Contains(v.Tags, *q.Tag),
		q.WorkflowID != "" && v.WorkflowID != q.WorkflowID,
		q.CloseStatus != "" && v.CloseStatus != q.CloseStatus:
		return false
	}
	return true
}

// visExpect returns the IDs q lists, in its order, by the reference model.
func visExpect(all []store.Visibility, q store.VisibilityQuery) []string {
	var sel []store.Visibility
	for i := range all {
		if visMatch(&all[i], &q) {
			sel = append(sel, all[i])
		}
	}
	key := func(v store.Visibility) time.Time {
		if q.ByClose {
			return v.ClosedAt
		}
		return v.StartedAt
	}
	slices.SortFunc(sel, func(a, b store.Visibility) int {
		c := cmp.Or(key(a).Compare(key(b)), cmp.Compare(a.ID, b.ID))
		if q.Reverse {
			return c
		}
		return -c
	})
	return visIDs(sel)
}

func visQueries() []store.VisibilityQuery {
	red, blue, none := "red", "blue", "nope"
	base := []store.VisibilityQuery{
		{Status: "OPEN"},
		{Status: "CLOSED"},
		{Status: "CLOSED", ByClose: true},
		{Status: "OPEN", From: at(5), Until: at(20)},
		{Status: "CLOSED", From: at(5), Until: at(20)},
		{Status: "CLOSED", ByClose: true, From: at(85), Until: at(95)},
		{Status: "CLOSED", ByClose: true, From: at(90)},
		{Status: "CLOSED", Until: at(10)},
		{Status: "CLOSED", ClosedAfter: at(90)},
		{Status: "CLOSED", ByClose: true, ClosedAfter: at(90), From: at(80)},
		{Status: "OPEN", TypeName: "A"},
		{Status: "CLOSED", TypeName: "B", TypeVersion: "2"},
		{Status: "CLOSED", ByClose: true, TypeName: "A", From: at(85)},
		{Status: "OPEN", Tag: &red},
		{Status: "CLOSED", Tag: &blue, From: at(3), Until: at(25)},
		{Status: "CLOSED", ByClose: true, Tag: &red, ClosedAfter: at(88)},
		{Status: "OPEN", Tag: &none},
		{Status: "OPEN", WorkflowID: "w0"},
		{Status: "CLOSED", ByClose: true, WorkflowID: "w2", From: at(82)},
		{Status: "CLOSED", CloseStatus: "FAILED"},
		{Status: "CLOSED", ByClose: true, CloseStatus: "TIMED_OUT", Until: at(95)},
	}
	var out []store.VisibilityQuery
	for _, q := range base {
		q.Kind, q.Namespace = visKind, "d"
		out = append(out, q)
		q.Reverse = true
		out = append(out, q)
	}
	return out
}

// testVisibilityQueries: each kind of query SWF makes selects, orders and
// counts as the reference model says, in both orders.
func testVisibilityQueries(t *testing.T, su suite) {
	s := su.open(t)
	all := visFixture(t, s)
	for _, q := range visQueries() {
		want := visExpect(all, q)
		if got := visIDs(listVisibility(t, s, q)); !slices.Equal(got, want) {
			t.Errorf("ListVisibility(%+v)\n got %q\nwant %q", q, got, want)
		}
		if n := countVisibility(t, s, q); n != int64(len(want)) {
			t.Errorf("CountVisibility(%+v) = %d, want %d", q, n, len(want))
		}
	}
	e := store.VisibilityQuery{Kind: visKind, Namespace: "e", Status: "OPEN"}
	if got, want := visIDs(listVisibility(t, s, e)), visExpect(all, e); !slices.Equal(got, want) || len(want) != 5 {
		t.Errorf("namespace e lists %q, want %q (5)", got, want)
	}
}

// testVisibilityPaging: pages of a few entries, each after the last one's
// position, list every entry once in order; entries that start between
// pages at the listing's head (newer, for newest first) neither repeat
// nor shift the pages that follow.
func testVisibilityPaging(t *testing.T, su suite) {
	s := su.open(t)
	all := visFixture(t, s)
	for _, q := range visQueries() {
		want := visExpect(all, q)
		var got []string
		var after *store.VisibilityPosition
		for range 100 {
			pq := q
			pq.After, pq.Limit = after, 4
			page := listVisibility(t, s, pq)
			if len(page) > 4 {
				t.Fatalf("page of %+v has %d entries, want at most 4", q, len(page))
			}
			if len(page) == 0 {
				break
			}
			got = append(got, visIDs(page)...)
			last := page[len(page)-1]
			after = &store.VisibilityPosition{At: last.StartedAt, ID: last.ID}
			if q.ByClose {
				after.At = last.ClosedAt
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%+v in pages of 4\n got %q\nwant %q", q, got, want)
		}
	}

	// New entries start while a newest-first listing of open ones is
	// paged: they are newer than the position, so later pages are
	// unchanged.
	q := store.VisibilityQuery{Kind: visKind, Namespace: "d", Status: "OPEN", Limit: 3}
	first := listVisibility(t, s, q)
	want := visExpect(all, store.VisibilityQuery{Kind: visKind, Namespace: "d", Status: "OPEN"})
	for i := range 5 {
		putVisibility(t, s, &store.Visibility{Kind: visKind, ID: fmt.Sprintf("d|new|%d", i), Namespace: "d", Status: "OPEN", StartedAt: at(1000 + i)})
	}
	got := visIDs(first)
	after := &store.VisibilityPosition{At: first[2].StartedAt, ID: first[2].ID}
	for {
		pq := q
		pq.After = after
		page := listVisibility(t, s, pq)
		if len(page) == 0 {
			break
		}
		got = append(got, visIDs(page)...)
		after = &store.VisibilityPosition{At: page[len(page)-1].StartedAt, ID: page[len(page)-1].ID}
	}
	if !slices.Equal(got, want) {
		t.Errorf("open listing paged across new starts\n got %q\nwant %q", got, want)
	}
}

// testVisibilityPersists: entries survive a reopen.
func testVisibilityPersists(t *testing.T, su suite) {
	if su.reopen == nil {
		return
	}
	s := su.open(t)
	v := &store.Visibility{Kind: visKind, ID: "d|w|r", Namespace: "d", Status: "CLOSED", CloseStatus: "FAILED",
		StartedAt: at(1), ClosedAt: at(2), TypeName: "T", TypeVersion: "v", WorkflowID: "w", Tags: []string{"x"}}
	putVisibility(t, s, v)
	s = su.reopen(t, s)
	x := "x"
	got := listVisibility(t, s, store.VisibilityQuery{Kind: visKind, Namespace: "d", Status: "CLOSED", Tag: &x})
	if len(got) != 1 || !reflect.DeepEqual(got[0], *v) {
		t.Errorf("after reopen = %+v, want [%+v]", got, *v)
	}
}
