package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// migrations is the schema history: migrations[i] takes the schema from
// version i to version i+1. Append new migrations; never edit applied ones.
// The version reached is recorded in meta under schemaVersionKey.
//
// The DDL is this package's own (PostgreSQL would say BYTEA and BIGSERIAL);
// the queries in tx.go stick to SQL that PostgreSQL also runs.
var migrations = [][]string{
	// 1: the initial schema.
	{
		`CREATE TABLE meta (
			key   TEXT PRIMARY KEY,
			value BLOB
		)`,
		// sequences holds counters the store keeps in memory and
		// persists once per transaction: "objects" is the last
		// Object.Seq handed out.
		`CREATE TABLE sequences (
			name  TEXT PRIMARY KEY,
			value BIGINT NOT NULL
		)`,
		`INSERT INTO sequences (name, value) VALUES ('objects', 0)`,
		`CREATE TABLE objects (
			kind   TEXT NOT NULL,
			id     TEXT NOT NULL,
			parent TEXT NOT NULL,
			status TEXT NOT NULL,
			seq    BIGINT NOT NULL,
			body   BLOB,
			PRIMARY KEY (kind, id)
		)`,
		`CREATE INDEX objects_kind_seq ON objects (kind, seq)`,
		`CREATE INDEX objects_kind_parent_seq ON objects (kind, parent, seq)`,
		`CREATE INDEX objects_kind_status_seq ON objects (kind, status, seq)`,
		`CREATE TABLE events (
			owner TEXT NOT NULL,
			id    BIGINT NOT NULL,
			body  BLOB,
			PRIMARY KEY (owner, id)
		) WITHOUT ROWID`,
		`CREATE TABLE tasks (
			id                        INTEGER PRIMARY KEY AUTOINCREMENT,
			partition_id              INTEGER NOT NULL,
			queue                     TEXT NOT NULL,
			owner_kind                TEXT NOT NULL,
			owner_id                  TEXT NOT NULL,
			owner_ref                 TEXT NOT NULL,
			state                     INTEGER NOT NULL,
			attempt                   INTEGER NOT NULL,
			priority                  INTEGER NOT NULL,
			input                     BLOB,
			schedule_to_start_timeout BIGINT NOT NULL,
			schedule_to_close_timeout BIGINT NOT NULL,
			start_to_close_timeout    BIGINT NOT NULL,
			heartbeat_timeout         BIGINT NOT NULL,
			scheduled_at              BIGINT NOT NULL,
			started_at                BIGINT NOT NULL,
			worker                    TEXT NOT NULL,
			heartbeat_at              BIGINT NOT NULL,
			details                   BLOB,
			cancel_requested          INTEGER NOT NULL
		)`,
		`CREATE INDEX tasks_queue_state_id ON tasks (queue, state, id)`,
		`CREATE INDEX tasks_owner ON tasks (owner_kind, owner_id)`,
		`CREATE TABLE timers (
			id           INTEGER PRIMARY KEY AUTOINCREMENT,
			partition_id INTEGER NOT NULL,
			owner_kind   TEXT NOT NULL,
			owner_id     TEXT NOT NULL,
			kind         TEXT NOT NULL,
			fire_at      BIGINT NOT NULL,
			payload      BLOB
		)`,
		`CREATE INDEX timers_owner ON timers (owner_kind, owner_id)`,
	},
	// 2: objects' close time (store.Object.ClosedAt), for retention sweeps.
	// The index holds closed objects only: open ones cost it nothing, and
	// saving an open object does not touch it.
	{
		`ALTER TABLE objects ADD COLUMN closed_at BIGINT NOT NULL DEFAULT 0`,
		`CREATE INDEX objects_kind_closed_seq ON objects (kind, closed_at, seq) WHERE closed_at > 0`,
	},
	// 3: membership (store.Tx JoinNode … ReleaseLease): the nodes sharing
	// the store, with epochs from the 'node_epoch' sequence, and the
	// partitions' leases; and the tasks and timers of a partition, for
	// TaskQuery and TimerQuery Partitions. Times are Unix nanoseconds.
	{
		`CREATE TABLE nodes (
			id         TEXT PRIMARY KEY,
			addr       TEXT NOT NULL,
			epoch      BIGINT NOT NULL,
			joined_at  BIGINT NOT NULL,
			expires_at BIGINT NOT NULL
		)`,
		`CREATE TABLE leases (
			partition_id INTEGER PRIMARY KEY,
			node         TEXT NOT NULL DEFAULT '',
			epoch        BIGINT NOT NULL
		)`,
		`INSERT INTO sequences (name, value) VALUES ('node_epoch', 0)`,
		`CREATE INDEX tasks_partition_id ON tasks (partition_id, id)`,
		`CREATE INDEX timers_partition_id ON timers (partition_id, id)`,
	},
	// 4: the visibility index (store.Tx PutVisibility … CountVisibility):
	// one row per execution, its tags in a table of their own with the
	// columns a tag listing filters and orders on. Each index serves one
	// kind of query in its order (time, id); in the close-time ones the
	// columns before closed_at (status, close status) keep open rows
	// apart. Times are Unix nanoseconds, 0 for none.
	{
		`CREATE TABLE visibility (
			kind         TEXT NOT NULL,
			id           TEXT NOT NULL,
			namespace    TEXT NOT NULL,
			status       TEXT NOT NULL,
			close_status TEXT NOT NULL,
			started_at   BIGINT NOT NULL,
			closed_at    BIGINT NOT NULL,
			type_name    TEXT NOT NULL,
			type_version TEXT NOT NULL,
			workflow_id  TEXT NOT NULL,
			tags         TEXT NOT NULL,
			PRIMARY KEY (kind, id)
		)`,
		`CREATE INDEX visibility_start ON visibility (kind, namespace, status, started_at, id)`,
		`CREATE INDEX visibility_close ON visibility (kind, namespace, status, closed_at, id)`,
		`CREATE INDEX visibility_type ON visibility (kind, namespace, type_name, status, started_at, id)`,
		`CREATE INDEX visibility_workflow ON visibility (kind, namespace, workflow_id, status, started_at, id)`,
		`CREATE INDEX visibility_close_status ON visibility (kind, namespace, close_status, closed_at, id)`,
		`CREATE TABLE visibility_tags (
			kind       TEXT NOT NULL,
			id         TEXT NOT NULL,
			tag        TEXT NOT NULL,
			namespace  TEXT NOT NULL,
			status     TEXT NOT NULL,
			started_at BIGINT NOT NULL,
			closed_at  BIGINT NOT NULL,
			PRIMARY KEY (kind, id, tag)
		) WITHOUT ROWID`,
		`CREATE INDEX visibility_tags_start ON visibility_tags (kind, namespace, tag, status, started_at, id)`,
		`CREATE INDEX visibility_tags_close ON visibility_tags (kind, namespace, tag, status, closed_at, id)`,
	},
	// 5: objects of one parent and status in Seq order (ObjectQuery with
	// both, e.g. Step Functions' ListExecutions with a status filter):
	// without it a listing of a rare status reads the parent's objects
	// until its page is full.
	{
		`CREATE INDEX objects_kind_parent_status_seq ON objects (kind, parent, status, seq)`,
	},
}

// schemaVersionKey is the meta key that records the schema version.
const schemaVersionKey = "schema_version"

// ErrSchemaTooNew is returned by Open when the database was written by a
// newer gaffer whose schema this one does not know.
var ErrSchemaTooNew = errors.New("sqlite: database schema is newer than this gaffer supports")

// migrate brings the database on conn up to the latest schema version, one
// transaction per migration.
func migrate(ctx context.Context, conn *sql.Conn) error {
	version, err := schemaVersion(ctx, conn)
	if err != nil {
		return err
	}
	if version > len(migrations) {
		return fmt.Errorf("%w: schema version %d, supported up to %d", ErrSchemaTooNew, version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		if err := applyMigration(ctx, conn, v+1, migrations[v]); err != nil {
			return fmt.Errorf("migrate to schema version %d: %w", v+1, err)
		}
	}
	return nil
}

// schemaVersion returns the recorded schema version, 0 for a new database.
func schemaVersion(ctx context.Context, conn *sql.Conn) (int, error) {
	var n int
	err := conn.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	var b []byte
	err = conn.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, schemaVersionKey).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	v, err := strconv.Atoi(string(b))
	if err != nil || v < 0 {
		return 0, fmt.Errorf("read schema version: bad value %q", b)
	}
	return v, nil
}

func applyMigration(ctx context.Context, conn *sql.Conn, version int, stmts []string) (err error) {
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			// Roll back even when ctx is what ended the migration.
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	_, err = conn.ExecContext(ctx,
		`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		schemaVersionKey, []byte(strconv.Itoa(version)))
	if err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}
