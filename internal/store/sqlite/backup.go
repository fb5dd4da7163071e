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

// Backup writes a consistent copy of the database file at src to the new
// file dest (mode 0600), with VACUUM INTO on a read-only connection of its
// own. It may run while a server serves src: the copy is one read snapshot
// (WAL mode), so the server's writer is never blocked; while it runs,
// checkpoints cannot move past that snapshot and the -wal file grows.
//
// The copy is written to a temporary file beside dest, synced, and renamed
// to dest, so dest either does not exist or is complete. Backup refuses a
// dest that exists.
func Backup(ctx context.Context, src, dest string) error {
	if err := backup(ctx, src, dest); err != nil {
		return fmt.Errorf("sqlite: backup %s to %s: %w", src, dest, err)
	}
	return nil
}

func backup(ctx context.Context, src, dest string) error {
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("%s already exists", dest)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	if err := tmp.Close(); err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			_ = os.Remove(name)
		}
	}()
	// CreateTemp made it 0600; VACUUM INTO fills an empty file.
	err = readOnly(ctx, src, func(conn *sql.Conn) error {
		if err := checkSchema(ctx, conn, false); err != nil {
			return err
		}
		_, err := conn.ExecContext(ctx, "VACUUM INTO ?", name)
		return err
	})
	if err != nil {
		return err
	}
	// VACUUM INTO does not sync what it wrote.
	if err := syncFile(name); err != nil {
		return err
	}
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("%s already exists", dest)
	}
	if err := os.Rename(name, dest); err != nil {
		return err
	}
	done = true
	return syncFile(filepath.Dir(dest))
}

// syncFile fsyncs the file or directory at p.
func syncFile(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
