package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Report is what Check found in a database file.
type Report struct {
	Path     string
	Size     int64 // bytes of the database file, without its -wal
	PageSize int64
	Pages    int64
	// FreePages are pages of the file that hold nothing (PRAGMA
	// freelist_count): deleted rows leave them, new writes reuse them
	// before the file grows.
	FreePages     int64
	SchemaVersion int
	// Problems are the findings of PRAGMA integrity_check; none when the
	// database is sound.
	Problems []string
	Objects  []KindCount // objects per kind, by kind
	Events   int64
	Tasks    int64
	Timers   int64
}

// KindCount is the number of objects of one kind.
type KindCount struct {
	Kind  string
	Count int64
}

// Check opens the database file at path read-only, runs the full PRAGMA
// integrity_check and reads the schema version and what the database holds.
// It may run while a server serves the file: it reads one snapshot and
// does not block the writer. It returns an error wrapping ErrDamaged when
// the check finds problems (the Report then lists them), ErrNotGaffer or
// ErrNoSchema when the file is not a gaffer database, and ErrSchemaTooNew
// when a newer gaffer wrote it. It never writes to the file.
func Check(ctx context.Context, path string) (*Report, error) {
	r := &Report{Path: path}
	err := readOnly(ctx, path, func(conn *sql.Conn) error {
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		r.Size = fi.Size()
		if r.Size == 0 {
			return fmt.Errorf("%w: the file is empty (0 bytes)", ErrNoSchema)
		}
		if err := checkHeader(path); err != nil {
			return err
		}
		// One read transaction: every figure comes from the same snapshot.
		if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
			return fmt.Errorf("%w: %v", ErrDamaged, err)
		}
		defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK") }()
		if r.Problems, err = integrity(ctx, conn, "integrity_check"); err != nil {
			return err
		}
		if len(r.Problems) > 0 {
			return damaged("integrity_check", r.Problems)
		}
		if err := checkSchema(ctx, conn, false); err != nil {
			return err
		}
		if err := conn.QueryRowContext(ctx, "PRAGMA page_size").Scan(&r.PageSize); err != nil {
			return err
		}
		if err := conn.QueryRowContext(ctx, "PRAGMA page_count").Scan(&r.Pages); err != nil {
			return err
		}
		if err := conn.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&r.FreePages); err != nil {
			return err
		}
		if r.SchemaVersion, err = schemaVersion(ctx, conn); err != nil {
			return err
		}
		if r.SchemaVersion > len(migrations) {
			return fmt.Errorf("%w: schema version %d, supported up to %d", ErrSchemaTooNew, r.SchemaVersion, len(migrations))
		}
		return r.count(ctx, conn)
	})
	if err != nil {
		return r, fmt.Errorf("sqlite: check %s: %w", path, err)
	}
	return r, nil
}

// count fills in the counts of what the database holds.
func (r *Report) count(ctx context.Context, conn *sql.Conn) error {
	rows, err := conn.QueryContext(ctx, `SELECT kind, count(*) FROM objects GROUP BY kind ORDER BY kind`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k KindCount
		if err := rows.Scan(&k.Kind, &k.Count); err != nil {
			return err
		}
		r.Objects = append(r.Objects, k)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range []struct {
		table string
		n     *int64
	}{{"events", &r.Events}, {"tasks", &r.Tasks}, {"timers", &r.Timers}} {
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+c.table).Scan(c.n); err != nil {
			return fmt.Errorf("count %s: %w", c.table, err)
		}
	}
	return nil
}

// readOnly runs fn on a read-only connection to the existing database file
// at path. Nothing is created or written: not the file, not a checkpoint.
func readOnly(ctx context.Context, path string, fn func(conn *sql.Conn) error) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no such file")
		}
		return err
	}
	db, err := sql.Open("sqlite", dsn(abs, fmt.Sprintf("busy_timeout(%d)", busyTimeoutMillis))+"&mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	defer conn.Close()
	return fn(conn)
}

// SchemaVersion returns the schema version this gaffer creates and
// migrates to.
func SchemaVersion() int { return len(migrations) }
