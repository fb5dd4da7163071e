// Package pgtest runs a throwaway PostgreSQL server for tests: one cluster
// per test binary, started on first use in a temporary directory and
// stopped and removed when the binary ends, and one fresh database per
// test.
//
// A test package calls Main from its TestMain and NewDatabase from its
// tests:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		dsn := pgtest.NewDatabase(t) // dropped when t ends
//		...
//	}
//
// The cluster is a pgserver.Server (initdb, trust authentication, fsync
// off: the data is thrown away; see package pgserver for where the
// binaries are found and how root is handled). If PostgreSQL is not
// installed, NewDatabase fails the test saying how to install it; it never
// skips.
//
// Main stops the server when the tests end. In case the test binary dies
// without returning from Main (a panic, a timeout, a kill), pgserver's
// watchdog stops the server and removes its directory within a second of
// the binary's exit.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/pgserver"
	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"
)

// InstallHint is what a test that needs PostgreSQL says when it is missing.
const InstallHint = pgserver.InstallHint

var (
	mu      sync.Mutex
	running *pgserver.Server
	failed  error // why the cluster could not start (sticky)
	dbSeq   atomic.Int64
)

// Main runs the tests of m, stops the cluster if a test started one, fails
// the tests if a goroutine outlives them (goleak, as every package's
// TestMain checks), and exits with the tests' status. Call it from
// TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// Stop stops the cluster and removes its directory, if one is running.
// Main calls it; a TestMain that does more than Main may call it instead.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if running == nil {
		return
	}
	running.Stop()
	running = nil
}

// NewDatabase creates an empty database in the test binary's cluster
// (starting the cluster on first use) and returns a DSN for it, for
// pgx.ParseConfig or pgxpool.ParseConfig. The database is dropped when t
// ends, after the cleanups t registers later (so close the stores that use
// it with t.Cleanup). It fails t if PostgreSQL cannot be started.
func NewDatabase(t testing.TB) string {
	t.Helper()
	c, err := start()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	name := fmt.Sprintf("t%d_%s", dbSeq.Add(1), unsafeChars.ReplaceAllString(strings.ToLower(t.Name()), "_"))
	if len(name) > 63 {
		name = name[:63]
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		// t.Context is done by now: the drop gets a context of its own.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), time.Minute)
		defer cancel()
		if err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return c.DSN(name)
}

// AdminDSN returns a DSN for the cluster's "postgres" database as its
// superuser, starting the cluster on first use (tests use it to look at
// or terminate other sessions).
func AdminDSN(t testing.TB) string {
	t.Helper()
	c, err := start()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return c.DSN("postgres")
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

// start returns the running cluster, starting it if needed.
func start() (*pgserver.Server, error) {
	mu.Lock()
	defer mu.Unlock()
	if running != nil {
		return running, nil
	}
	if failed != nil {
		return nil, failed
	}
	c, err := pgserver.Start(pgserver.Options{})
	if err != nil {
		failed = err
		return nil, err
	}
	running = c
	return c, nil
}
