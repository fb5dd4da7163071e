package sqlite

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// TestVisibilityPlans checks that SQLite answers each kind of visibility
// query from an index range, in the index's order: no scan of the table,
// no sort of what it read. So a page costs its own rows, whatever the
// namespace holds.
func TestVisibilityPlans(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{})
	// Some rows (the store runs no ANALYZE: nor does this test).
	err := s.Update(t.Context(), func(tx store.Tx) error {
		for i := range 200 {
			v := &store.Visibility{Kind: "k", ID: fmt.Sprint(i), Namespace: fmt.Sprint("n", i%4), Status: "OPEN",
				StartedAt: time.Unix(int64(i), 0), TypeName: fmt.Sprint("T", i%7), TypeVersion: "1",
				WorkflowID: fmt.Sprint("w", i%50), Tags: []string{fmt.Sprint("t", i%9)}}
			if i%2 == 0 {
				v.Status, v.CloseStatus, v.ClosedAt = "CLOSED", []string{"COMPLETED", "FAILED"}[i%4/2], time.Unix(int64(1000-i), 0)
			}
			if err := tx.PutVisibility(v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tag := "t3"
	after := &store.VisibilityPosition{At: time.Unix(50, 0), ID: "50"}
	base := store.VisibilityQuery{Kind: "k", Namespace: "n1", From: time.Unix(10, 0), Until: time.Unix(900, 0), After: after, Limit: 100}
	queries := []struct {
		name, index string
		set         func(q *store.VisibilityQuery)
	}{
		{"open by start", "visibility_start", func(q *store.VisibilityQuery) { q.Status = "OPEN" }},
		{"closed by start", "visibility_start", func(q *store.VisibilityQuery) { q.Status = "CLOSED"; q.ClosedAfter = time.Unix(5, 0) }},
		{"closed by close", "visibility_close", func(q *store.VisibilityQuery) { q.Status = "CLOSED"; q.ByClose = true; q.ClosedAfter = time.Unix(5, 0) }},
		{"open by type", "visibility_type", func(q *store.VisibilityQuery) { q.Status = "OPEN"; q.TypeName, q.TypeVersion = "T1", "1" }},
		{"closed by type, close time", "visibility_close", func(q *store.VisibilityQuery) { q.Status = "CLOSED"; q.ByClose = true; q.TypeName = "T1" }},
		{"open by workflow", "visibility_workflow", func(q *store.VisibilityQuery) { q.Status = "OPEN"; q.WorkflowID = "w1" }},
		{"open by tag", "visibility_tags_start", func(q *store.VisibilityQuery) { q.Status = "OPEN"; q.Tag = &tag }},
		{"closed by tag, close time", "visibility_tags_close", func(q *store.VisibilityQuery) { q.Status = "CLOSED"; q.ByClose = true; q.Tag = &tag }},
		{"closed by close status", "visibility_close_status", func(q *store.VisibilityQuery) { q.Status = "CLOSED"; q.ByClose = true; q.CloseStatus = "FAILED" }},
		{"closed by close status, start time", "visibility_start", func(q *store.VisibilityQuery) { q.Status = "CLOSED"; q.CloseStatus = "FAILED" }},
		{"open, oldest first", "visibility_start", func(q *store.VisibilityQuery) { q.Status = "OPEN"; q.Reverse = true }},
	}
	for _, qq := range queries {
		name := qq.name
		q := base
		qq.set(&q)
		for _, count := range []bool{false, true} {
			query, args := visibilityQuery(&q, count)
			rows, err := s.rdb.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, notused int
				var detail string
				if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			_ = rows.Close()
			for _, step := range plan {
				// A full scan reads the table or an index from end to
				// end; a temporary B-tree sorts what was read.
				if strings.HasPrefix(step, "SCAN ") || strings.Contains(step, "TEMP B-TREE") {
					t.Errorf("%s (count %v): plan %q reads or sorts more than the range", name, count, plan)
				}
			}
			if !strings.Contains(plan[0], "INDEX "+qq.index+" (") {
				t.Errorf("%s (count %v): plan %q does not read %s", name, count, plan, qq.index)
			}
		}
	}
}

// TestObjectListPlans checks that the object listings the dialects page
// through (Step Functions' ListExecutions by state machine and status,
// ListStateMachines, ListActivities) read an index range in Seq order.
func TestObjectListPlans(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{})
	for _, q := range []struct {
		q     store.ObjectQuery
		index string
	}{
		{store.ObjectQuery{Kind: "k", Parent: "p", Status: "FAILED", AfterSeq: 9, Desc: true, Limit: 10}, "objects_kind_parent_status_seq"},
		{store.ObjectQuery{Kind: "k", Parent: "p", AfterSeq: 9, Desc: true, Limit: 10}, "objects_kind_parent_seq"},
		{store.ObjectQuery{Kind: "k", AfterSeq: 9, Limit: 10}, "objects_kind_seq"},
	} {
		bits := objQDesc | objQLimit | objQAfter
		args := []any{q.q.Kind}
		if q.q.Parent != "" {
			bits |= objQParent
			args = append(args, q.q.Parent)
		}
		if q.q.Status != "" {
			bits |= objQStatus
			args = append(args, q.q.Status)
		}
		if !q.q.Desc {
			bits &^= objQDesc
		}
		args = append(args, q.q.AfterSeq, q.q.Limit)
		rows, err := s.rdb.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+objectQueries[bits], args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		_ = rows.Close()
		if len(plan) != 1 || !strings.Contains(plan[0], "SEARCH objects USING INDEX "+q.index+" (") {
			t.Errorf("%+v: plan %q, want a search of %s alone (no sort)", q.q, plan, q.index)
		}
	}
}
