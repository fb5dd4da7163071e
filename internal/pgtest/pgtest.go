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
// The cluster is made with initdb (trust authentication, fsync off: the
// data is thrown away), listens on a free TCP port of 127.0.0.1 and on a
// unix socket in its directory, and is started with pg_ctl. The binaries
// are found in PATH, then through pg_config --bindir, then in
// /usr/lib/postgresql/*/bin. PostgreSQL refuses to run as root: as root,
// the directory is given to the postgres user and the binaries run as it
// (runuser). If PostgreSQL is not installed, NewDatabase fails the test
// saying how to install it; it never skips.
//
// Main stops the server when the tests end. In case the test binary dies
// without returning from Main (a panic, a timeout, a kill), a watchdog
// process started with the cluster stops the server and removes its
// directory within a second of the binary's exit.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"
)

// InstallHint is what a test that needs PostgreSQL says when it is missing.
const InstallHint = "PostgreSQL is not installed: the tests need its server binaries (initdb, pg_ctl, postgres); " +
	"install them (Debian: apt-get install postgresql) or run scripts/test-deps as root"

var (
	mu      sync.Mutex
	running *cluster
	failed  error // why the cluster could not start (sticky)
	dbSeq   atomic.Int64
)

// cluster is one running PostgreSQL server.
type cluster struct {
	dir      string // temporary directory: data/, the socket, the log
	bindir   string
	asUser   string // "postgres" when running as root, else ""
	port     int
	watchdog *exec.Cmd
}

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
	running.stop()
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
	if err := c.admin(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		// t.Context is done by now: the drop gets a context of its own.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), time.Minute)
		defer cancel()
		if err := c.admin(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return c.dsn(name)
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
	return c.dsn("postgres")
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

func (c *cluster) dsn(db string) string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=%s sslmode=disable", c.port, db)
}

// admin runs one statement on the cluster's postgres database.
func (c *cluster) admin(ctx context.Context, stmt string) error {
	conn, err := pgx.Connect(ctx, c.dsn("postgres"))
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	_, err = conn.Exec(ctx, stmt)
	return err
}

// start returns the running cluster, starting it if needed.
func start() (*cluster, error) {
	mu.Lock()
	defer mu.Unlock()
	if running != nil {
		return running, nil
	}
	if failed != nil {
		return nil, failed
	}
	c, err := startCluster()
	if err != nil {
		failed = err
		return nil, err
	}
	running = c
	return c, nil
}

// binDir finds the directory of initdb and pg_ctl.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir, nil
		}
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	// The newest major version first.
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	return "", errors.New(InstallHint)
}

func versionOf(bindir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(bindir)))
	return v
}

func startCluster() (*cluster, error) {
	bindir, err := binDir()
	if err != nil {
		return nil, err
	}
	c := &cluster{bindir: bindir}
	dir, err := os.MkdirTemp("", "gaffer-pgtest-")
	if err != nil {
		return nil, err
	}
	c.dir = dir
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root, PostgreSQL must run as the postgres user, which does not exist: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
		c.asUser = "postgres"
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync",
		"--encoding=UTF8", "--locale=C").CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	c.startWatchdog()
	// A free port may be taken between the check and the start: try a few.
	var startErr error
	for range 5 {
		c.port, err = freePort()
		if err != nil {
			c.stop()
			return nil, err
		}
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "+
			"-c full_page_writes=off -c max_connections=300 -c shared_buffers=32MB", c.port, dir)
		var out []byte
		out, startErr = c.run("pg_ctl", "start", "-w", "-t", "60", "-D", data, "-l", filepath.Join(dir, "log"),
			"-o", opts).CombinedOutput()
		if startErr == nil {
			return c, nil
		}
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		startErr = fmt.Errorf("pg_ctl start: %v\n%s\n%s", startErr, out, log)
	}
	c.stop()
	return nil, startErr
}

// run returns the command for PostgreSQL's binary name, run as c.asUser.
func (c *cluster) run(name string, args ...string) *exec.Cmd {
	bin := filepath.Join(c.bindir, name)
	if c.asUser != "" {
		return exec.Command("runuser", append([]string{"-u", c.asUser, "--", bin}, args...)...)
	}
	return exec.Command(bin, args...)
}

// stopCommand is the shell command that stops the server at once.
func (c *cluster) stopCommand() string {
	cmd := c.run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", filepath.Join(c.dir, "data"))
	quoted := make([]string, len(cmd.Args))
	for i, a := range cmd.Args {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	quoted[0] = "'" + cmd.Path + "'"
	return strings.Join(quoted, " ")
}

// startWatchdog starts a shell, in a process group of its own, that stops
// the server and removes the directory once this process is gone.
func (c *cluster) startWatchdog() {
	script := fmt.Sprintf("while kill -0 %d 2>/dev/null; do sleep 1; done; %s >/dev/null 2>&1; rm -rf '%s'",
		os.Getpid(), c.stopCommand(), c.dir)
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err == nil {
		c.watchdog = cmd
	}
}

// stop stops the server, removes the directory and ends the watchdog.
func (c *cluster) stop() {
	if c.port != 0 {
		_ = c.run("pg_ctl", "stop", "-m", "fast", "-w", "-t", "60", "-D", filepath.Join(c.dir, "data")).Run()
	}
	_ = os.RemoveAll(c.dir)
	if c.watchdog != nil {
		_ = c.watchdog.Process.Kill()
		_ = c.watchdog.Wait()
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}
