// Package pgserver starts a throwaway PostgreSQL server: initdb into a
// temporary directory, pg_ctl start on a free TCP port of 127.0.0.1 (and a
// unix socket in the directory), trust authentication, and on Stop the
// server stopped and the directory removed. The tests use it through
// pgtest; 'gaffer bench -pg-local' uses it to benchmark gaffer on
// PostgreSQL without a database of the user's.
//
// The binaries are found in PATH, then through pg_config --bindir, then in
// /usr/lib/postgresql/*/bin (the newest major version first). PostgreSQL
// refuses to run as root: as root, the directory is given to the postgres
// user and the binaries run as it (runuser).
//
// In case the starting process dies without calling Stop (a panic, a
// timeout, a kill), a watchdog process started with the server stops it
// and removes its directory within a second of that process's exit.
package pgserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
)

// InstallHint is what a caller that needs PostgreSQL says when it is
// missing.
const InstallHint = "PostgreSQL is not installed: the tests need its server binaries (initdb, pg_ctl, postgres); " +
	"install them (Debian: apt-get install postgresql) or run scripts/test-deps as root"

// ErrNotInstalled is returned by Start when PostgreSQL's server binaries
// are not found; its message is InstallHint.
var ErrNotInstalled = errors.New(InstallHint)

// Options configures Start.
type Options struct {
	// Durable keeps PostgreSQL's defaults for durability (fsync,
	// synchronous_commit and full_page_writes on), for benchmarks that
	// compare it with a store that fsyncs its commits. Without it the
	// server runs with fsync, synchronous_commit and full_page_writes off:
	// the data is thrown away, and tests run faster.
	Durable bool
	// MaxConnections is PostgreSQL's max_connections; 0 is 300.
	MaxConnections int
	// SharedBuffers is PostgreSQL's shared_buffers; "" is 32MB.
	SharedBuffers string
}

// Server is one running PostgreSQL server.
type Server struct {
	dir      string // temporary directory: data/, the socket, the log
	bindir   string
	asUser   string // "postgres" when running as root, else ""
	port     int
	watchdog *exec.Cmd
}

// BinDir finds the directory of initdb and pg_ctl, or returns
// ErrNotInstalled.
func BinDir() (string, error) {
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
	return "", ErrNotInstalled
}

func versionOf(bindir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(bindir)))
	return v
}

// Start makes a cluster in a new temporary directory and starts its
// server. Stop it with Stop.
func Start(opts Options) (*Server, error) {
	bindir, err := BinDir()
	if err != nil {
		return nil, err
	}
	s := &Server{bindir: bindir}
	dir, err := os.MkdirTemp("", "gaffer-pg-")
	if err != nil {
		return nil, err
	}
	s.dir = dir
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
		s.asUser = "postgres"
	}
	data := filepath.Join(dir, "data")
	initArgs := []string{"-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C"}
	if !opts.Durable {
		initArgs = append(initArgs, "--no-sync")
	}
	if out, err := s.run("initdb", initArgs...).CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	s.startWatchdog()
	maxConns := opts.MaxConnections
	if maxConns <= 0 {
		maxConns = 300
	}
	buffers := opts.SharedBuffers
	if buffers == "" {
		buffers = "32MB"
	}
	// A free port may be taken between the check and the start: try a few.
	var startErr error
	for range 5 {
		s.port, err = freePort()
		if err != nil {
			s.Stop()
			return nil, err
		}
		o := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=%d -c shared_buffers=%s",
			s.port, dir, maxConns, buffers)
		if !opts.Durable {
			o += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
		}
		var out []byte
		out, startErr = s.run("pg_ctl", "start", "-w", "-t", "60", "-D", data, "-l", filepath.Join(dir, "log"),
			"-o", o).CombinedOutput()
		if startErr == nil {
			return s, nil
		}
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		startErr = fmt.Errorf("pg_ctl start: %v\n%s\n%s", startErr, out, log)
	}
	s.Stop()
	return nil, startErr
}

// DSN returns a key=value DSN for database db as the superuser postgres,
// for pgx.ParseConfig, pgxpool.ParseConfig or 'gaffer serve --store'.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=%s sslmode=disable", s.port, db)
}

// Dir returns the server's temporary directory (data/ and log are in it).
func (s *Server) Dir() string { return s.dir }

// Exec runs one statement on the server's postgres database.
func (s *Server) Exec(ctx context.Context, stmt string) error {
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	_, err = conn.Exec(ctx, stmt)
	return err
}

// PID returns the process id of the server's postmaster (the parent of
// every backend), from its postmaster.pid file.
func (s *Server) PID() (int, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, "data", "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return strconv.Atoi(strings.TrimSpace(line))
}

// run returns the command for PostgreSQL's binary name, run as s.asUser.
func (s *Server) run(name string, args ...string) *exec.Cmd {
	bin := filepath.Join(s.bindir, name)
	if s.asUser != "" {
		return exec.Command("runuser", append([]string{"-u", s.asUser, "--", bin}, args...)...)
	}
	return exec.Command(bin, args...)
}

// stopCommand is the shell command that stops the server at once.
func (s *Server) stopCommand() string {
	cmd := s.run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", filepath.Join(s.dir, "data"))
	quoted := make([]string, len(cmd.Args))
	for i, a := range cmd.Args {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	quoted[0] = "'" + cmd.Path + "'"
	return strings.Join(quoted, " ")
}

// startWatchdog starts a shell, in a process group of its own, that stops
// the server and removes the directory once this process is gone.
func (s *Server) startWatchdog() {
	script := fmt.Sprintf("while kill -0 %d 2>/dev/null; do sleep 1; done; %s >/dev/null 2>&1; rm -rf '%s'",
		os.Getpid(), s.stopCommand(), s.dir)
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err == nil {
		s.watchdog = cmd
	}
}

// Stop stops the server, removes its directory and ends the watchdog. It
// is safe to call twice.
func (s *Server) Stop() {
	if s.port != 0 {
		_ = s.run("pg_ctl", "stop", "-m", "fast", "-w", "-t", "60", "-D", filepath.Join(s.dir, "data")).Run()
		s.port = 0
	}
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
	if s.watchdog != nil {
		_ = s.watchdog.Process.Kill()
		_ = s.watchdog.Wait()
		s.watchdog = nil
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
