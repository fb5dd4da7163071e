package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/store/sqlite"
)

// backupCommand writes a consistent copy of a node's database, also while
// the node serves it.
type backupCommand struct {
	stdout, stderr io.Writer
}

func (c *backupCommand) flags() (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("gaffer backup", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	data := fs.String("data", "gaffer-data", "the node's data directory (its gaffer.db is copied)")
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, `Usage: gaffer backup [-data DIR] DEST

Writes a consistent copy of DIR/gaffer.db to the new file DEST (mode 0600),
also while a node serves it: the copy is one snapshot (SQLite VACUUM INTO on
a read-only connection), the node keeps writing meanwhile. DEST must not
exist. Check a copy with 'gaffer check DEST'; the README says how to restore.

Flags:
`)
		fs.PrintDefaults()
	}
	return fs, data
}

// Usage prints the flags.
func (c *backupCommand) Usage() {
	fs, _ := c.flags()
	fs.Usage()
}

// Run copies the database.
func (c *backupCommand) Run(ctx context.Context, args []string) error {
	fs, data := c.flags()
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("want one DEST, got %d arguments", fs.NArg())
	}
	src, dest := filepath.Join(*data, server.DBFile), fs.Arg(0)
	start := time.Now()
	if err := sqlite.Backup(ctx, src, dest); err != nil {
		return err
	}
	fi, err := os.Stat(dest)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "backed up %s to %s: %d bytes in %v\n", src, dest, fi.Size(), time.Since(start).Round(time.Millisecond))
	return nil
}
