package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gaffer-dev/gaffer/internal/cluster"
	"github.com/gaffer-dev/gaffer/internal/pgserver"
	"github.com/jackc/pgx/v5"
)

// A target is one store (and number of nodes) the shared phases run on.
type target struct {
	// name labels the target's figures in the report: "sqlite",
	// "postgres", "postgres×3".
	name string
	// pg says the gaffer nodes run on the PostgreSQL database.
	pg bool
	// nodes is the number of gaffer nodes (1 but on PostgreSQL).
	nodes int
}

// Store names in the report.
const (
	storeSQLite   = "sqlite"
	storePostgres = "postgres"
)

// targets returns what the shared phases run on: SQLite always; with a
// PostgreSQL database, one node on it; and with more nodes, that many.
func (c *Config) targets() []target {
	ts := []target{{name: storeSQLite, nodes: 1}}
	if c.Store == "" && !c.PGLocal {
		return ts
	}
	ts = append(ts, target{name: storePostgres, pg: true, nodes: 1})
	if c.Nodes > 1 {
		ts = append(ts, target{name: fmt.Sprintf("%s×%d", storePostgres, c.Nodes), pg: true, nodes: c.Nodes})
	}
	return ts
}

// pgDatabase is the PostgreSQL database of a run: the user's (-store) or a
// throwaway local cluster's (-pg-local). Every group of gaffer nodes the
// bench starts on it gets a schema of its own, gaffer_bench_<random>,
// created for it and dropped (CASCADE) when the bench ends: the bench
// never reads or writes anything else in the database, which may hold
// other data, gaffer's included.
type pgDatabase struct {
	dsn     string           // the database, as the user gave it
	local   *pgserver.Server // -pg-local's cluster, or nil
	mu      sync.Mutex
	schemas []string
	// postmaster is the PID of the PostgreSQL server's postmaster when it
	// runs on this machine and /proc shows it, else 0.
	postmaster int
}

// openDatabase returns the run's database: a fresh local cluster with
// local, else the one of dsn.
func openDatabase(ctx context.Context, dsn string, local bool) (*pgDatabase, error) {
	db := &pgDatabase{dsn: dsn}
	if local {
		srv, err := pgserver.Start(pgserver.Options{Durable: true, SharedBuffers: "128MB"})
		if err != nil {
			return nil, fmt.Errorf("-pg-local: %w", err)
		}
		db.local = srv
		db.dsn = srv.DSN("postgres")
		if pid, err := srv.PID(); err == nil {
			db.postmaster = pid
		}
	}
	conn, err := pgx.Connect(ctx, db.dsn)
	if err != nil {
		db.close(ctx)
		return nil, fmt.Errorf("-store: connect: %w", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	if db.postmaster == 0 {
		// A backend's parent is the postmaster, when the server runs here.
		var backend int
		if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err == nil {
			db.postmaster = postmasterOf(backend)
		}
	}
	return db, nil
}

// postmasterOf returns the parent of backend if /proc shows it is a
// postgres process, else 0.
func postmasterOf(backend int) int {
	st, err := readStat(backend)
	if err != nil {
		return 0
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", st.ppid))
	if err != nil || !strings.HasPrefix(strings.TrimSpace(string(comm)), "postgres") {
		return 0
	}
	return st.ppid
}

// newSchema creates a fresh schema and returns a DSN whose connections
// use it (search_path), for 'gaffer serve --store'.
func (db *pgDatabase) newSchema(ctx context.Context) (string, error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "gaffer_bench_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, db.dsn)
	if err != nil {
		return "", fmt.Errorf("connect: %w", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return "", fmt.Errorf("create schema %s (the role needs CREATE on the database): %w", schema, err)
	}
	db.mu.Lock()
	db.schemas = append(db.schemas, schema)
	db.mu.Unlock()
	return withSearchPath(db.dsn, schema)
}

// withSearchPath returns dsn (a URL or key=value DSN) with search_path
// set to schema; pgx sends it as a run-time parameter.
func withSearchPath(dsn, schema string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("-store: %w", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return dsn + " search_path=" + schema, nil
}

// close drops the schemas the bench made and stops the local cluster.
func (db *pgDatabase) close(ctx context.Context) error {
	var firstErr error
	if len(db.schemas) > 0 {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, db.dsn)
		if err == nil {
			for _, s := range db.schemas {
				if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{s}.Sanitize()+" CASCADE"); err != nil && firstErr == nil {
					firstErr = fmt.Errorf("drop schema %s: %w", s, err)
				}
			}
			_ = conn.Close(ctx)
		} else {
			firstErr = fmt.Errorf("drop the bench's schemas (%s): %w", strings.Join(db.schemas, ", "), err)
		}
	}
	if db.local != nil {
		db.local.Stop()
	}
	return firstErr
}

// dbServer measures the CPU time of a PostgreSQL server running on this
// machine: its postmaster's (with the children it has reaped) and every
// live child's.
type dbServer struct{ postmaster int }

// cpuTime returns the server's CPU time so far.
func (d *dbServer) cpuTime() (time.Duration, error) {
	st, err := readStat(d.postmaster)
	if err != nil {
		return 0, fmt.Errorf("read CPU time of PostgreSQL: %w", err)
	}
	total := st.utime + st.stime + st.cutime + st.cstime
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		c, err := readStat(pid)
		if err != nil || c.ppid != d.postmaster {
			continue
		}
		total += c.utime + c.stime
	}
	return time.Duration(total) * 10 * time.Millisecond, nil
}

// procStat is what the bench reads of /proc/<pid>/stat: the parent and the
// CPU times in clock ticks (10 ms).
type procStat struct {
	ppid                         int
	utime, stime, cutime, cstime int64
}

func readStat(pid int) (procStat, error) {
	var st procStat
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return st, err
	}
	// The command name (field 2) is in parentheses and may hold spaces;
	// ppid is field 4, utime to cstime fields 14 to 17.
	i := strings.LastIndex(string(data), ") ")
	if i < 0 {
		return st, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	f := strings.Fields(string(data)[i+2:])
	if len(f) < 15 {
		return st, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	st.ppid, _ = strconv.Atoi(f[1])
	for j, p := range []*int64{&st.utime, &st.stime, &st.cutime, &st.cstime} {
		if *p, err = strconv.ParseInt(f[11+j], 10, 64); err != nil {
			return st, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
	}
	return st, nil
}

// noticeCounter counts the notices gaffer's nodes send on the database
// (LISTEN on cluster's channels, from a connection of the bench's own).
// Notices are database-wide: other gaffer nodes on the same database count
// too.
type noticeCounter struct {
	wake, arm, nodes atomic.Int64
	stop             func()
	done             chan error
}

// listen starts counting.
func (db *pgDatabase) listen(ctx context.Context) (*noticeCounter, error) {
	conn, err := pgx.Connect(ctx, db.dsn)
	if err != nil {
		return nil, fmt.Errorf("listen for notices: %w", err)
	}
	for _, ch := range []string{cluster.WakeChannel, cluster.ArmChannel, cluster.NodesChannel} {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			_ = conn.Close(ctx)
			return nil, fmt.Errorf("listen for notices: %w", err)
		}
	}
	lctx, cancel := context.WithCancel(ctx)
	nc := &noticeCounter{stop: cancel, done: make(chan error, 1)}
	go func() {
		defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
		for {
			n, err := conn.WaitForNotification(lctx)
			if err != nil {
				if lctx.Err() != nil {
					err = nil
				}
				nc.done <- err
				return
			}
			switch n.Channel {
			case cluster.WakeChannel:
				nc.wake.Add(1)
			case cluster.ArmChannel:
				nc.arm.Add(1)
			case cluster.NodesChannel:
				nc.nodes.Add(1)
			}
		}
	}()
	return nc, nil
}

// close stops counting.
func (nc *noticeCounter) close() error {
	nc.stop()
	return <-nc.done
}
