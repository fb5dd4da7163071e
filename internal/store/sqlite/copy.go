package sqlite

import (
	"errors"
	"fmt"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// This file implements store.CopyTx. Imported task and timer IDs move the
// tables' AUTOINCREMENT counters (sqlite_sequence) by themselves: SQLite
// raises a table's counter to the largest id inserted, explicit ones
// included. An imported Seq raises the writer's object counter, which the
// commit persists like any other.

var _ store.CopyTx = (*tx)(nil)

// derivedPrefixLen is len(store.DerivedMetaPrefix), for SQL.
const derivedPrefixLen = "8"

var errBadImport = errors.New("sqlite: an imported row needs its Seq or ID (> 0)")

const (
	qObjectKinds = `SELECT DISTINCT kind FROM objects ORDER BY kind`
	// The meta row schemaVersionKey is the store's own; the derived
	// ones (store.DerivedMetaPrefix) are rebuilt on the copy.
	qCopiedMeta = ` FROM meta WHERE key <> '` + schemaVersionKey + `' AND substr(key, 1, ` + derivedPrefixLen + `) <> '` + store.DerivedMetaPrefix + `'`
	qListMeta   = `SELECT key, value, value IS NULL` + qCopiedMeta + ` ORDER BY key`
	qCountMeta  = `SELECT count(*)` + qCopiedMeta

	qCountObjects = `SELECT kind, count(*) FROM objects GROUP BY kind ORDER BY kind`
	qCountEvents  = `SELECT count(*), count(DISTINCT owner) FROM events`
	qCountTasks   = `SELECT count(*) FROM tasks`
	qCountTimers  = `SELECT count(*) FROM timers`

	qImportTask = `INSERT INTO tasks (id, partition_id, queue, owner_kind, owner_id, owner_ref, state, attempt,
		priority, input, schedule_to_start_timeout, schedule_to_close_timeout, start_to_close_timeout,
		heartbeat_timeout, scheduled_at, started_at, worker, heartbeat_at, details, cancel_requested)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`
	qImportTimer = `INSERT INTO timers (id, partition_id, owner_kind, owner_id, kind, fire_at, payload)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`
)

// EventOwners query variants, indexed by the ownQ* bits.
const (
	ownQAfter = 1 << iota
	ownQLimit
)

var eventOwnerQueries = func() (qs [4]string) {
	for bits := range qs {
		var conds []string
		if bits&ownQAfter != 0 {
			conds = append(conds, "owner > ?")
		}
		qs[bits] = selectQuery("DISTINCT owner", "events", conds, "owner", bits&ownQLimit != 0)
	}
	return qs
}()

// ObjectKinds implements store.CopyTx.
func (t *tx) ObjectKinds() ([]string, error) {
	out, err := t.texts(qObjectKinds)
	if err != nil {
		return nil, fmt.Errorf("object kinds: %w", err)
	}
	return out, nil
}

// EventOwners implements store.CopyTx.
func (t *tx) EventOwners(after string, limit int) ([]string, error) {
	bits := 0
	var args []any
	if after != "" {
		bits |= ownQAfter
		args = append(args, after)
	}
	if limit > 0 {
		bits |= ownQLimit
		args = append(args, limit)
	}
	out, err := t.texts(eventOwnerQueries[bits], args...)
	if err != nil {
		return nil, fmt.Errorf("event owners: %w", err)
	}
	return out, nil
}

// texts runs a query of one text column.
func (t *tx) texts(query string, args ...any) ([]string, error) {
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ListMeta implements store.CopyTx.
func (t *tx) ListMeta() ([]store.MetaEntry, error) {
	rows, err := t.query(qListMeta)
	if err != nil {
		return nil, fmt.Errorf("list meta: %w", err)
	}
	defer rows.Close()
	var out []store.MetaEntry
	for rows.Next() {
		var (
			e      store.MetaEntry
			isNull bool
		)
		if err := rows.Scan(&e.Key, &e.Value, &isNull); err != nil {
			return nil, fmt.Errorf("list meta: %w", err)
		}
		e.Value = blob(e.Value, isNull)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list meta: %w", err)
	}
	return out, nil
}

// CountRows implements store.CopyTx.
func (t *tx) CountRows() (store.RowCounts, error) {
	c := store.RowCounts{Objects: make(map[string]int64)}
	fail := func(err error) (store.RowCounts, error) {
		return store.RowCounts{}, fmt.Errorf("count rows: %w", err)
	}
	rows, err := t.query(qCountObjects)
	if err != nil {
		return fail(err)
	}
	for rows.Next() {
		var (
			kind string
			n    int64
		)
		if err := rows.Scan(&kind, &n); err != nil {
			rows.Close()
			return fail(err)
		}
		c.Objects[kind] = n
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fail(err)
	}
	for _, q := range []struct {
		query string
		dest  []any
	}{
		{qCountEvents, []any{&c.Events, &c.EventOwners}},
		{qCountTasks, []any{&c.Tasks}},
		{qCountTimers, []any{&c.Timers}},
		{qCountMeta, []any{&c.Meta}},
	} {
		row, err := t.queryRow(q.query)
		if err != nil {
			return fail(err)
		}
		if err := row.Scan(q.dest...); err != nil {
			return fail(err)
		}
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
	if err := t.insertOne(qInsertObject, o.Kind, o.ID, o.Parent, o.Status, o.Seq, o.Body, timeToDB(o.ClosedAt)); err != nil {
		return fmt.Errorf("import object: %w", err)
	}
	t.w.seq = max(t.w.seq, o.Seq)
	return nil
}

// ImportTask implements store.CopyTx.
func (t *tx) ImportTask(task *store.Task) error {
	if err := t.writable(); err != nil {
		return err
	}
	if task.ID <= 0 {
		return errBadImport
	}
	args := append([]any{task.ID}, taskArgs(task, 0)...)
	if err := t.insertOne(qImportTask, args...); err != nil {
		return fmt.Errorf("import task: %w", err)
	}
	return nil
}

// ImportTimer implements store.CopyTx.
func (t *tx) ImportTimer(tm *store.Timer) error {
	if err := t.writable(); err != nil {
		return err
	}
	if tm.ID <= 0 {
		return errBadImport
	}
	err := t.insertOne(qImportTimer, tm.ID, tm.Partition, tm.OwnerKind, tm.OwnerID, tm.Kind, timeToDB(tm.FireAt), tm.Payload)
	if err != nil {
		return fmt.Errorf("import timer: %w", err)
	}
	return nil
}

// insertOne runs an INSERT … ON CONFLICT DO NOTHING and returns
// store.ErrExists if it inserted nothing.
func (t *tx) insertOne(query string, args ...any) error {
	res, err := t.exec(query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrExists
	}
	return nil
}
