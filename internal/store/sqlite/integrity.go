package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"
)

// Errors Open and Check return for a file they will not serve. Each is
// wrapped with the file's path and what was found.
var (
	// ErrDamaged: the file is not a readable SQLite database, or SQLite's
	// integrity check found errors in it.
	ErrDamaged = errors.New("database is damaged")
	// ErrNoSchema: the file is empty (0 bytes) or an SQLite database
	// without any table. Options.Init lets Open create the schema in it.
	ErrNoSchema = errors.New("database file holds no gaffer schema")
	// ErrNotGaffer: the file is an SQLite database with tables, but not
	// gaffer's (it has no meta table). Open never writes to it.
	ErrNotGaffer = errors.New("not a gaffer database")
	// ErrOrphanWAL: the database file is missing or empty but its -wal
	// file is not; creating a new database beside it could replay
	// another database's log into it.
	ErrOrphanWAL = errors.New("write-ahead log without its database")
)

// Permissions of the database files: they hold the token HMAC secret.
const filePerm fs.FileMode = 0o600

// sqliteHeader starts every SQLite database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// prepareFile looks at the database file before SQLite opens it. A missing
// file is created empty with filePerm (SQLite then gives its -wal and -shm
// files the same mode); existing files readable by group or others are
// tightened to filePerm. fresh reports that the file is empty and Open may
// create the schema: it was missing, or it is empty and init is set.
func prepareFile(abs string, init bool, log *slog.Logger) (fresh bool, err error) {
	fi, err := os.Stat(abs)
	if errors.Is(err, fs.ErrNotExist) {
		if err := checkNoWAL(abs); err != nil {
			return false, err
		}
		f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, filePerm)
		if err != nil {
			return false, err
		}
		return true, f.Close()
	}
	if err != nil {
		return false, err
	}
	if !fi.Mode().IsRegular() {
		return false, fmt.Errorf("%w: not a regular file (%v)", ErrNotGaffer, fi.Mode().Type())
	}
	for _, p := range []string{abs, abs + "-wal", abs + "-shm"} {
		if err := tighten(p, log); err != nil {
			return false, err
		}
	}
	if fi.Size() == 0 {
		if !init {
			return false, fmt.Errorf("%w: the file is empty (0 bytes); start with --init to create a new database in it, or restore a backup", ErrNoSchema)
		}
		return true, checkNoWAL(abs)
	}
	if err := checkHeader(abs); err != nil {
		return false, err
	}
	return false, nil
}

// checkNoWAL refuses a non-empty -wal file beside a missing or empty
// database.
func checkNoWAL(abs string) error {
	fi, err := os.Stat(abs + "-wal")
	if errors.Is(err, fs.ErrNotExist) || err == nil && fi.Size() == 0 {
		return nil
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: %s-wal holds %d bytes; move it (and %s-shm) away, or restore a backup", ErrOrphanWAL, abs, fi.Size(), abs)
}

// tighten sets the mode of the file at p, if it exists and group or others
// may use it, to filePerm: earlier gaffers left their files 0644.
func tighten(p string, log *slog.Logger) error {
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(p, filePerm); err != nil {
		return fmt.Errorf("tighten permissions: %w", err)
	}
	log.Warn("tightened database file permissions", "file", p, "was", fmt.Sprintf("%#o", fi.Mode().Perm()), "now", fmt.Sprintf("%#o", filePerm))
	return nil
}

// checkHeader refuses a file that does not start with SQLite's header.
func checkHeader(abs string) error {
	f, err := os.Open(abs)
	if err != nil {
		return err
	}
	defer f.Close()
	b := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, b); err != nil || !bytes.Equal(b, sqliteHeader) {
		return fmt.Errorf("%w: the file does not start with the SQLite header; restore a backup", ErrDamaged)
	}
	return nil
}

// querier is what the checks need of a connection.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// verifyOpened checks the database at abs that was not fresh, on the
// writer's connection before migrations: PRAGMA quick_check, then gaffer's
// schema. The check reads the whole file (docs/performance.md has its
// cost), so it logs when it is done.
func verifyOpened(ctx context.Context, conn querier, abs string, init bool, log *slog.Logger) error {
	start := time.Now()
	problems, err := integrity(ctx, conn, "quick_check")
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return damaged("quick_check", problems)
	}
	log.Info("database checked", "file", abs, "check", "quick_check", "took", time.Since(start))
	return checkSchema(ctx, conn, init)
}

// checkSchema refuses a database without gaffer's meta table: with init, a
// database without any table is accepted (migrate creates the schema).
func checkSchema(ctx context.Context, conn querier, init bool) error {
	var tables, meta int
	err := conn.QueryRowContext(ctx,
		`SELECT count(*), count(CASE WHEN name = 'meta' THEN 1 END) FROM sqlite_master WHERE type = 'table'`).Scan(&tables, &meta)
	if err != nil {
		return fmt.Errorf("%w: read the schema: %v", ErrDamaged, err)
	}
	switch {
	case meta > 0:
		return nil
	case tables == 0 && init:
		return nil
	case tables == 0:
		return fmt.Errorf("%w: the database has no tables; start with --init to create gaffer's schema in it, or restore a backup", ErrNoSchema)
	default:
		return fmt.Errorf("%w: it has %d tables but no meta table; point --data at gaffer's own directory", ErrNotGaffer, tables)
	}
}

// maxProblems caps the errors an integrity check reports.
const maxProblems = 20

// integrity runs PRAGMA check (quick_check or integrity_check) and returns
// its findings; none when the database is sound. An error that stops the
// check itself (SQLITE_CORRUPT, SQLITE_NOTADB) is a finding too.
func integrity(ctx context.Context, conn querier, check string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, fmt.Sprintf("PRAGMA %s(%d)", check, maxProblems))
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return []string{err.Error()}, nil
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		// One row may hold several lines, the first naming the schema.
		for _, line := range strings.Split(s, "\n") {
			if line != "ok" && line != "" && !strings.HasPrefix(line, "*** in database") {
				problems = append(problems, line)
			}
		}
	}
	if err := rows.Err(); err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		problems = append(problems, err.Error())
	}
	return problems, nil
}

// damaged is the error for the findings of PRAGMA check: the first few.
func damaged(check string, problems []string) error {
	shown, more := problems, ""
	if len(shown) > 3 {
		shown, more = shown[:3], " and more ('gaffer check' lists them)"
	}
	return fmt.Errorf("%w: PRAGMA %s failed: %s%s; restore a backup (see the README: Backup, check and restore)",
		ErrDamaged, check, strings.Join(shown, "; "), more)
}
