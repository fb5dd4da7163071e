package postgres

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// ---- Visibility ----

const (
	qPutVisibility = `INSERT INTO gaffer_visibility (kind, id, namespace, status, close_status, started_at, closed_at,
			type_name, type_version, workflow_id, tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (kind, id) DO UPDATE SET namespace = excluded.namespace, status = excluded.status,
			close_status = excluded.close_status, started_at = excluded.started_at, closed_at = excluded.closed_at,
			type_name = excluded.type_name, type_version = excluded.type_version,
			workflow_id = excluded.workflow_id, tags = excluded.tags`
	qDeleteVisibility     = `DELETE FROM gaffer_visibility WHERE kind = $1 AND id = $2`
	qDeleteVisibilityTags = `DELETE FROM gaffer_visibility_tags WHERE kind = $1 AND id = $2`
	qInsertVisibilityTags = `INSERT INTO gaffer_visibility_tags (kind, id, tag, namespace, status, started_at, closed_at)
		SELECT $1, $2, t, $4, $5, $6, $7 FROM unnest($3::text[]) AS t`
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
	var distinct []string
	for _, tag := range v.Tags {
		if !slices.Contains(distinct, tag) {
			distinct = append(distinct, tag)
		}
	}
	if len(distinct) > 0 {
		if _, err := t.exec(qInsertVisibilityTags, v.Kind, v.ID, distinct, v.Namespace, v.Status, started, closed); err != nil {
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
// gaffer_visibility_tags index and joins the entries it selects.
func visibilityQuery(q *store.VisibilityQuery, count bool) (string, []any) {
	q = foldClosedAfter(q)
	var w where
	p := "v." // the table the range is read from
	from := "gaffer_visibility v"
	if q.Tag != nil {
		p = "g."
		from = "gaffer_visibility_tags g JOIN gaffer_visibility v ON v.kind = g.kind AND v.id = g.id"
	}
	at := p + "started_at"
	if q.ByClose {
		at = p + "closed_at"
	}
	w.add(p+"kind = ?", q.Kind)
	w.add(p+"namespace = ?", q.Namespace)
	switch {
	case q.Tag != nil:
		w.add("g.tag = ?", *q.Tag)
	case q.TypeName != "":
		w.add("v.type_name = ?", q.TypeName)
		if q.TypeVersion != "" {
			w.add("v.type_version = ?", q.TypeVersion)
		}
	case q.WorkflowID != "":
		w.add("v.workflow_id = ?", q.WorkflowID)
	case q.CloseStatus != "":
		w.add("v.close_status = ?", q.CloseStatus)
	}
	w.add(p+"status = ?", q.Status)
	if q.ByClose && q.From.IsZero() {
		// Only entries that have a close time. (One lower bound on the
		// range's column: with two, the planner may take the looser.)
		w.conds = append(w.conds, p+"closed_at > 0")
	}
	if !q.From.IsZero() {
		w.add(at+" >= ?", timeToDB(q.From))
	}
	if !q.Until.IsZero() {
		w.add(at+" < ?", timeToDB(q.Until))
	}
	if !q.ClosedAfter.IsZero() {
		w.add(p+"closed_at > ?", timeToDB(q.ClosedAfter))
	}
	if count {
		return "SELECT count(*) FROM " + from + " WHERE " + strings.Join(w.conds, " AND "), w.args
	}
	if q.After != nil {
		op := "<"
		if q.Reverse {
			op = ">"
		}
		w.add("("+at+", "+p+"id) "+op+" (?, ", timeToDB(q.After.At))
		w.add("?)", q.After.ID)
		// The two halves are one condition.
		n := len(w.conds)
		w.conds = append(w.conds[:n-2], w.conds[n-2]+w.conds[n-1])
	}
	dir := " DESC"
	if q.Reverse {
		dir = ""
	}
	return w.query(visibilityCols, from, at+dir+", "+p+"id"+dir, q.Limit), w.args
}

// ListVisibility implements store.Tx.
func (t *tx) ListVisibility(q store.VisibilityQuery) ([]store.Visibility, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	query, args := visibilityQuery(&q, false)
	var out []store.Visibility
	err := t.query(query, args, func(rows pgx.Rows) error {
		var (
			v               store.Visibility
			started, closed int64
			tags            string
		)
		if err := rows.Scan(&v.Kind, &v.ID, &v.Namespace, &v.Status, &v.CloseStatus, &started, &closed,
			&v.TypeName, &v.TypeVersion, &v.WorkflowID, &tags); err != nil {
			return err
		}
		v.StartedAt, v.ClosedAt = timeFromDB(started), timeFromDB(closed)
		var err error
		if v.Tags, err = store.DecodeVisibilityTags(tags); err != nil {
			return fmt.Errorf("tags of %s: %w", v.ID, err)
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
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
	var n int64
	if err := t.queryRow(query, args, &n); err != nil {
		return 0, fmt.Errorf("count visibility: %w", err)
	}
	return n, nil
}
