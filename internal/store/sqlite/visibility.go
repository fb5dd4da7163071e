package sqlite

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// ---- Visibility ----

const (
	qPutVisibility = `INSERT INTO visibility (kind, id, namespace, status, close_status, started_at, closed_at,
			type_name, type_version, workflow_id, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, id) DO UPDATE SET namespace = excluded.namespace, status = excluded.status,
			close_status = excluded.close_status, started_at = excluded.started_at, closed_at = excluded.closed_at,
			type_name = excluded.type_name, type_version = excluded.type_version,
			workflow_id = excluded.workflow_id, tags = excluded.tags`
	qDeleteVisibility     = `DELETE FROM visibility WHERE kind = ? AND id = ?`
	qDeleteVisibilityTags = `DELETE FROM visibility_tags WHERE kind = ? AND id = ?`
	qInsertVisibilityTag  = `INSERT INTO visibility_tags (kind, id, tag, namespace, status, started_at, closed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
	visibilityCols = `v.kind, v.id, v.namespace, v.status, v.close_status, v.started_at, v.closed_at,
		v.type_name, v.type_version, v.workflow_id, v.tags`
)

// PutVisibility implements store.Tx.
func (t *tx) PutVisibility(v *store.Visibility) error {
	if err := t.writable(); err != nil {
		return err
	}
	if len(v.Tags) > store.MaxVisibilityTags {
		return fmt.Errorf("put visibility: %d tags, at most %d", len(v.Tags), store.MaxVisibilityTags)
	}
	tags, err := store.EncodeVisibilityTags(v.Tags)
	if err != nil {
		return fmt.Errorf("put visibility: %w", err)
	}
	started, closed := timeToDB(v.StartedAt), timeToDB(v.ClosedAt)
	if _, err := t.exec(qPutVisibility, v.Kind, v.ID, v.Namespace, v.Status, v.CloseStatus, started, closed,
		v.TypeName, v.TypeVersion, v.WorkflowID, tags); err != nil {
		return fmt.Errorf("put visibility: %w", err)
	}
	if _, err := t.exec(qDeleteVisibilityTags, v.Kind, v.ID); err != nil {
		return fmt.Errorf("put visibility: %w", err)
	}
	for i, tag := range v.Tags {
		if slices.Contains(v.Tags[:i], tag) {
			continue
		}
		if _, err := t.exec(qInsertVisibilityTag, v.Kind, v.ID, tag, v.Namespace, v.Status, started, closed); err != nil {
			return fmt.Errorf("put visibility: %w", err)
		}
	}
	return nil
}

// DeleteVisibility implements store.Tx.
func (t *tx) DeleteVisibility(kind, id string) error {
	if err := t.writable(); err != nil {
		return err
	}
	if _, err := t.exec(qDeleteVisibilityTags, kind, id); err != nil {
		return fmt.Errorf("delete visibility: %w", err)
	}
	err := t.execOne(qDeleteVisibility, kind, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("delete visibility: %w", err)
	}
	return err
}

// visibilityIndex names the index that serves q: its range holds q's
// entries in q's order, or (a type or workflow id by close time, a close
// status by start time) the time range that q filters. SQLite is told
// which (INDEXED BY): without statistics it may pick an index that
// orders the rows but does not narrow them.
func visibilityIndex(q *store.VisibilityQuery) string {
	switch {
	case q.Tag != nil && q.ByClose:
		return "visibility_tags_close"
	case q.Tag != nil:
		return "visibility_tags_start"
	case q.ByClose && q.CloseStatus != "":
		return "visibility_close_status"
	case q.ByClose:
		return "visibility_close"
	case q.TypeName != "":
		return "visibility_type"
	case q.WorkflowID != "":
		return "visibility_workflow"
	}
	return "visibility_start"
}

// foldClosedAfter returns q with a close-time query's ClosedAfter made
// part of its range's lower bound (and a From before 1970 dropped): two lower bounds on the column the
// index range is on would leave the planner to pick one, and the looser
// (a retention cut-off months ago) reads the whole range.
func foldClosedAfter(q *store.VisibilityQuery) *store.VisibilityQuery {
	if !q.ByClose || (q.ClosedAfter.IsZero() && !q.From.IsZero() && q.From.After(time.Unix(0, 0))) {
		return q
	}
	c := *q
	if !c.From.After(time.Unix(0, 0)) {
		c.From = time.Time{} // every close time is after 1970
	}
	if c.ClosedAfter.IsZero() {
		return &c
	}
	if from := q.ClosedAfter.Add(time.Nanosecond); c.From.IsZero() || from.After(c.From) {
		c.From = from
	}
	c.ClosedAfter = time.Time{}
	return &c
}

// visibilityQuery returns the SQL and arguments of q: the entries' columns
// in the listing's order, or their count. A tag query reads the
// visibility_tags index and joins the entries it selects.
func visibilityQuery(q *store.VisibilityQuery, count bool) (string, []any) {
	q = foldClosedAfter(q)
	var (
		b     strings.Builder
		conds []string
		args  []any
	)
	add := func(cond string, a ...any) {
		conds = append(conds, cond)
		args = append(args, a...)
	}
	p := "v." // the table the range is read from
	from := "visibility v INDEXED BY " + visibilityIndex(q)
	if q.Tag != nil {
		p = "g."
		from = "visibility_tags g INDEXED BY " + visibilityIndex(q) + " JOIN visibility v ON v.kind = g.kind AND v.id = g.id"
	}
	at := p + "started_at"
	if q.ByClose {
		at = p + "closed_at"
	}
	add(p+"kind = ?", q.Kind)
	add(p+"namespace = ?", q.Namespace)
	switch {
	case q.Tag != nil:
		add("g.tag = ?", *q.Tag)
	case q.TypeName != "":
		add("v.type_name = ?", q.TypeName)
		if q.TypeVersion != "" {
			add("v.type_version = ?", q.TypeVersion)
		}
	case q.WorkflowID != "":
		add("v.workflow_id = ?", q.WorkflowID)
	case q.CloseStatus != "":
		add("v.close_status = ?", q.CloseStatus)
	}
	add(p+"status = ?", q.Status)
	if q.ByClose && q.From.IsZero() {
		// Only entries that have a close time. (One lower bound on the
		// range's column: with two, the planner may take the looser.)
		conds = append(conds, p+"closed_at > 0")
	}
	if !q.From.IsZero() {
		add(at+" >= ?", timeToDB(q.From))
	}
	if !q.Until.IsZero() {
		add(at+" < ?", timeToDB(q.Until))
	}
	if !q.ClosedAfter.IsZero() {
		add(p+"closed_at > ?", timeToDB(q.ClosedAfter))
	}
	if count {
		b.WriteString("SELECT count(*) FROM ")
	} else {
		b.WriteString("SELECT " + visibilityCols + " FROM ")
		if q.After != nil {
			op := "<"
			if q.Reverse {
				op = ">"
			}
			add("("+at+", "+p+"id) "+op+" (?, ?)", timeToDB(q.After.At), q.After.ID)
		}
	}
	b.WriteString(from)
	b.WriteString(" WHERE ")
	b.WriteString(strings.Join(conds, " AND "))
	if !count {
		dir := " DESC"
		if q.Reverse {
			dir = ""
		}
		b.WriteString(" ORDER BY " + at + dir + ", " + p + "id" + dir)
		if q.Limit > 0 {
			b.WriteString(" LIMIT ?")
			args = append(args, q.Limit)
		}
	}
	return b.String(), args
}

// ListVisibility implements store.Tx.
func (t *tx) ListVisibility(q store.VisibilityQuery) ([]store.Visibility, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	query, args := visibilityQuery(&q, false)
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("list visibility: %w", err)
	}
	defer rows.Close()
	var out []store.Visibility
	for rows.Next() {
		var (
			v               store.Visibility
			started, closed int64
			tags            string
		)
		if err := rows.Scan(&v.Kind, &v.ID, &v.Namespace, &v.Status, &v.CloseStatus, &started, &closed,
			&v.TypeName, &v.TypeVersion, &v.WorkflowID, &tags); err != nil {
			return nil, fmt.Errorf("list visibility: %w", err)
		}
		v.StartedAt, v.ClosedAt = timeFromDB(started), timeFromDB(closed)
		if v.Tags, err = store.DecodeVisibilityTags(tags); err != nil {
			return nil, fmt.Errorf("list visibility: tags of %s: %w", v.ID, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list visibility: %w", err)
	}
	return out, nil
}

// CountVisibility implements store.Tx.
func (t *tx) CountVisibility(q store.VisibilityQuery) (int64, error) {
	if err := q.Check(); err != nil {
		return 0, err
	}
	query, args := visibilityQuery(&q, true)
	row, err := t.queryRow(query, args...)
	if err != nil {
		return 0, fmt.Errorf("count visibility: %w", err)
	}
	var n int64
	if err := row.Scan(&n); err != nil {
		return 0, fmt.Errorf("count visibility: %w", err)
	}
	return n, nil
}
