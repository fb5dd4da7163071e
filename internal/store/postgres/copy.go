package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// This file implements store.CopyTx.
//
// Each import is one statement that inserts the row and moves the
// sequence it would otherwise have come from (gaffer_object_seq, the
// identity sequences of gaffer_tasks and gaffer_timers) up to it, never
// down: setval to the greater of the row's Seq or ID and the sequence's
// last value. setval is not transactional, so an import that is rolled
// back leaves the sequence where it put it: a gap, as with nextval. Two
// writers importing at once could move a sequence below a value the
// other has just drawn: imports are for a target nobody serves meanwhile
// (gaffer copy).
//
// Texts (kinds, owners, keys) list in the database collation's order,
// which the primary key indexes follow, so that EventOwners pages along
// the index.

var _ store.CopyTx = (*tx)(nil)

var errBadImport = errors.New("postgres: an imported row needs its Seq or ID (> 0)")

const (
	qObjectKinds    = `SELECT DISTINCT kind FROM gaffer_objects ORDER BY kind`
	qEventOwners    = `SELECT DISTINCT owner FROM gaffer_events WHERE owner > $1 ORDER BY owner`
	qEventOwnersAll = `SELECT DISTINCT owner FROM gaffer_events ORDER BY owner`
	// The derived entries (store.DerivedMetaPrefix) are rebuilt on a copy.
	qListMeta       = `SELECT key, value FROM gaffer_meta WHERE substr(key, 1, 8) <> '` + store.DerivedMetaPrefix + `' ORDER BY key`
	qCountObjects   = `SELECT kind, count(*) FROM gaffer_objects GROUP BY kind`
	qCountOtherRows = `SELECT (SELECT count(*) FROM gaffer_events), (SELECT count(DISTINCT owner) FROM gaffer_events),
		(SELECT count(*) FROM gaffer_tasks), (SELECT count(*) FROM gaffer_timers), (SELECT count(*) FROM gaffer_meta WHERE substr(key, 1, 8) <> '` + store.DerivedMetaPrefix + `')`
	qImportObject = `WITH ins AS (
			INSERT INTO gaffer_objects (kind, id, parent, status, seq, body, closed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (kind, id) DO NOTHING
			RETURNING seq)
		SELECT setval('gaffer_object_seq',
			GREATEST(ins.seq, COALESCE(pg_sequence_last_value('gaffer_object_seq'), 0))) FROM ins`
	qImportTask = `WITH ins AS (
			INSERT INTO gaffer_tasks (id, partition_id, queue, owner_kind, owner_id, owner_ref, state, attempt,
				priority, input, schedule_to_start_timeout, schedule_to_close_timeout, start_to_close_timeout,
				heartbeat_timeout, scheduled_at, started_at, worker, heartbeat_at, details, cancel_requested)
			VALUES ($20, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
			ON CONFLICT (id) DO NOTHING
			RETURNING id),
		seq AS (SELECT pg_get_serial_sequence('gaffer_tasks', 'id')::regclass AS s)
		SELECT setval(seq.s, GREATEST(ins.id, COALESCE(pg_sequence_last_value(seq.s), 0))) FROM ins, seq`
	qImportTimer = `WITH ins AS (
			INSERT INTO gaffer_timers (id, partition_id, owner_kind, owner_id, kind, fire_at, payload)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (id) DO NOTHING
			RETURNING id),
		seq AS (SELECT pg_get_serial_sequence('gaffer_timers', 'id')::regclass AS s)
		SELECT setval(seq.s, GREATEST(ins.id, COALESCE(pg_sequence_last_value(seq.s), 0))) FROM ins, seq`
)

// ObjectKinds implements store.CopyTx.
func (t *tx) ObjectKinds() ([]string, error) {
	out, err := t.texts(qObjectKinds, nil)
	if err != nil {
		return nil, fmt.Errorf("object kinds: %w", err)
	}
	return out, nil
}

// EventOwners implements store.CopyTx.
func (t *tx) EventOwners(after string, limit int) ([]string, error) {
	query, args := qEventOwnersAll, []any{}
	if after != "" {
		query, args = qEventOwners, []any{after}
	}
	if limit > 0 {
		args = append(args, limit)
		query += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	out, err := t.texts(query, args)
	if err != nil {
		return nil, fmt.Errorf("event owners: %w", err)
	}
	return out, nil
}

// texts runs a query of one text column.
func (t *tx) texts(query string, args []any) ([]string, error) {
	var out []string
	err := t.query(query, args, func(rows pgx.Rows) error {
		var s string
		err := rows.Scan(&s)
		out = append(out, s)
		return err
	})
	return out, err
}

// ListMeta implements store.CopyTx. The schema version is not in
// gaffer_meta: every entry but the derived ones (store.DerivedMetaPrefix)
// is listed.
func (t *tx) ListMeta() ([]store.MetaEntry, error) {
	var out []store.MetaEntry
	err := t.query(qListMeta, nil, func(rows pgx.Rows) error {
		var e store.MetaEntry
		err := rows.Scan(&e.Key, &e.Value)
		out = append(out, e)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list meta: %w", err)
	}
	return out, nil
}

// CountRows implements store.CopyTx.
func (t *tx) CountRows() (store.RowCounts, error) {
	c := store.RowCounts{Objects: make(map[string]int64)}
	err := t.query(qCountObjects, nil, func(rows pgx.Rows) error {
		var (
			kind string
			n    int64
		)
		err := rows.Scan(&kind, &n)
		c.Objects[kind] = n
		return err
	})
	if err == nil {
		err = t.queryRow(qCountOtherRows, nil, &c.Events, &c.EventOwners, &c.Tasks, &c.Timers, &c.Meta)
	}
	if err != nil {
		return store.RowCounts{}, fmt.Errorf("count rows: %w", err)
	}
	return c, nil
}

// ImportObject implements store.CopyTx.
func (t *tx) ImportObject(o *store.Object) error {
	if err := t.writable(); err != nil {
		return err
	}
	if o.Seq <= 0 {
		return errBadImport
	}
	var seq int64
	err := t.queryRow(qImportObject, []any{o.Kind, o.ID, o.Parent, o.Status, o.Seq, o.Body, timeToDB(o.ClosedAt)}, &seq)
	return importErr("import object", err)
}

// ImportTask implements store.CopyTx.
func (t *tx) ImportTask(task *store.Task) error {
	if err := t.writable(); err != nil {
		return err
	}
	if task.ID <= 0 {
		return errBadImport
	}
	var id int64
	err := t.queryRow(qImportTask, append(taskArgs(task, 1), task.ID), &id)
	return importErr("import task", err)
}

// ImportTimer implements store.CopyTx.
func (t *tx) ImportTimer(tm *store.Timer) error {
	if err := t.writable(); err != nil {
		return err
	}
	if tm.ID <= 0 {
		return errBadImport
	}
	var id int64
	err := t.queryRow(qImportTimer, []any{tm.ID, tm.Partition, tm.OwnerKind, tm.OwnerID, tm.Kind, timeToDB(tm.FireAt), tm.Payload}, &id)
	return importErr("import timer", err)
}

// importErr turns an import statement's error into the answer: no row
// means the insert met a conflict.
func importErr(what string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		return store.ErrExists
	default:
		return fmt.Errorf("%s: %w", what, err)
	}
}
