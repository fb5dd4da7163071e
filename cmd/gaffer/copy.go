package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/store/postgres"
	"github.com/gaffer-dev/gaffer/internal/store/sqlite"
	"github.com/gaffer-dev/gaffer/internal/store/storecopy"
)

// copyCommand copies a node's data from one store into another, empty one.
type copyCommand struct {
	stdout, stderr io.Writer
}

// copyFlags are the flags of gaffer copy.
type copyFlags struct {
	from, to       string
	fromEnv, toEnv string
	batch          int
	progress       time.Duration
}

func (c *copyCommand) flags() (*flag.FlagSet, *copyFlags) {
	fs := flag.NewFlagSet("gaffer copy", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	f := &copyFlags{}
	fs.StringVar(&f.from, "from", "", "the store to copy: sqlite:DIR (a data directory), sqlite:FILE.db, or a postgres:// URL")
	fs.StringVar(&f.to, "to", "", "the empty store to copy into, in the same forms (a SQLite one is created as gaffer serve would)")
	fs.StringVar(&f.fromEnv, "from-env", "", "take -from from this environment variable instead (keeps a password off the command line)")
	fs.StringVar(&f.toEnv, "to-env", "", "take -to from this environment variable instead")
	fs.IntVar(&f.batch, "batch", storecopy.DefaultBatchRows, "rows per transaction on the target")
	fs.DurationVar(&f.progress, "progress", 2*time.Second, "how often to print progress on stderr; 0: after every transaction")
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, `Usage: gaffer copy -from SRC -to DST

Copies all of a node's data — every dialect's objects and histories, the
engine's tasks and timers with their ids, and its token secret — from SRC
into DST, which must hold none yet (a new data directory, or an empty
PostgreSQL database, whose schema is created), so that the task tokens and
page tokens that clients hold stay valid on DST. Node membership is not
copied. SRC and DST are
  sqlite:DIR                     the data directory of gaffer serve -data DIR
  sqlite:FILE.db                 a database file
  postgres://user@host:5432/db   (or postgresql://, or a key=value connection
                                 string) a PostgreSQL database
A password is best kept off the command line: in ~/.pgpass or $PGPASSWORD,
or give the whole URL in an environment variable named by -from-env/-to-env.

The copy reads SRC as one snapshot, so it is consistent even while a node
serves SRC; but what that node acknowledges afterwards is not in it: stop
the node first. It writes DST in transactions of -batch rows, and at the
end checks that both sides hold as many rows of each sort. If it fails,
DST holds part of the copy: empty it before copying again.

Flags:
`)
		fs.PrintDefaults()
	}
	return fs, f
}

// Usage prints the flags.
func (c *copyCommand) Usage() {
	fs, _ := c.flags()
	fs.Usage()
}

// Run copies the store.
func (c *copyCommand) Run(ctx context.Context, args []string) error {
	fs, f := c.flags()
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	fromSpec, err := specFlag("-from", f.from, f.fromEnv)
	if err != nil {
		return err
	}
	toSpec, err := specFlag("-to", f.to, f.toEnv)
	if err != nil {
		return err
	}
	from, err := parseEndpoint(fromSpec)
	if err != nil {
		return fmt.Errorf("-from: %w", err)
	}
	to, err := parseEndpoint(toSpec)
	if err != nil {
		return fmt.Errorf("-to: %w", err)
	}
	if from.same(to) {
		return fmt.Errorf("-from and -to name the same store (%s)", from)
	}

	src, err := from.open(ctx, false)
	if err != nil {
		return fmt.Errorf("open the source %s: %w", from, err)
	}
	defer func() { _ = src.Close() }()
	dst, err := to.open(ctx, true)
	if err != nil {
		return fmt.Errorf("open the target %s: %w", to, err)
	}
	defer func() { _ = dst.Close() }()

	start := time.Now()
	var last time.Time
	res, err := storecopy.Copy(ctx, src, dst, storecopy.Options{
		BatchRows: f.batch,
		Progress: func(p storecopy.Progress) {
			if now := time.Now(); now.Sub(last) >= f.progress {
				last = now
				fmt.Fprintf(c.stderr, "gaffer copy: %d of %d rows (%d objects, %d events, %d tasks, %d timers, %d meta)\n",
					p.Rows(), p.TotalRows(), p.Objects, p.Events, p.Tasks, p.Timers, p.Meta)
			}
		},
	})
	if err != nil {
		if errors.Is(err, storecopy.ErrTargetNotEmpty) {
			return fmt.Errorf("%s: %w", to, err)
		}
		return fmt.Errorf("copy %s to %s: %w (the target may hold part of the copy: empty it before copying again)", from, to, err)
	}
	if err := dst.Close(); err != nil {
		return fmt.Errorf("close the target %s: %w", to, err)
	}
	for _, n := range res.LiveNodes {
		fmt.Fprintf(c.stderr, "gaffer copy: warning: node %s (%s) was live in the source until %s: what it acknowledged after the copy began is not in the copy\n",
			n.ID, n.Addr, n.ExpiresAt.Format(time.RFC3339))
	}

	cnt := res.Copied
	tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "copied\t%s to %s in %v (%d transactions)\n", from, to, time.Since(start).Round(time.Millisecond), res.Batches)
	var kinds []string
	for _, k := range slices.Sorted(maps.Keys(cnt.Objects)) {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, cnt.Objects[k]))
	}
	if len(kinds) == 0 {
		kinds = append(kinds, "none")
	}
	fmt.Fprintf(tw, "objects\t%d: %s\n", cnt.TotalObjects(), strings.Join(kinds, ", "))
	fmt.Fprintf(tw, "events\t%d of %d owners\n", cnt.Events, cnt.EventOwners)
	fmt.Fprintf(tw, "tasks\t%d\n", cnt.Tasks)
	fmt.Fprintf(tw, "timers\t%d\n", cnt.Timers)
	fmt.Fprintf(tw, "meta\t%d entries (the token secret among them)\n", cnt.Meta)
	fmt.Fprintf(tw, "verified\tthe target holds as many rows of each sort as the source\n")
	return tw.Flush()
}

// specFlag returns the store named by flag name's value, or by the
// environment variable env.
func specFlag(name, value, env string) (string, error) {
	switch {
	case value != "" && env != "":
		return "", fmt.Errorf("give %s or %s-env, not both", name, name)
	case env != "":
		v := os.Getenv(env)
		if v == "" {
			return "", fmt.Errorf("%s-env: $%s is empty or unset", name, env)
		}
		return v, nil
	case value == "":
		return "", fmt.Errorf("%s is required (sqlite:DIR or a postgres:// URL)", name)
	}
	return value, nil
}

// endpoint is one side of a copy: a SQLite file or a PostgreSQL database.
type endpoint struct {
	file string // SQLite: the database file
	dir  string // SQLite: the directory that holds it
	dsn  string // PostgreSQL: the URL
}

// parseEndpoint parses sqlite:DIR, sqlite:FILE.db, postgres://… or
// postgresql://….
func parseEndpoint(spec string) (endpoint, error) {
	switch {
	case strings.HasPrefix(spec, "sqlite:"):
		p := strings.TrimPrefix(spec, "sqlite:")
		if p == "" {
			return endpoint{}, errors.New("sqlite: needs a directory or a file: sqlite:DIR or sqlite:FILE.db")
		}
		if fi, err := os.Stat(p); (err == nil && fi.Mode().IsRegular()) || (err != nil && filepath.Ext(p) == ".db") {
			return endpoint{file: p, dir: filepath.Dir(p)}, nil
		}
		return endpoint{file: filepath.Join(p, server.DBFile), dir: p}, nil
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		if _, err := url.Parse(spec); err != nil {
			return endpoint{}, fmt.Errorf("not a PostgreSQL URL: %s", redactURL(spec))
		}
		return endpoint{dsn: spec}, nil
	case strings.Contains(spec, "=") && !strings.Contains(spec, "://"):
		return endpoint{dsn: spec}, nil // a key=value connection string, as libpq and pgx take
	}
	return endpoint{}, fmt.Errorf("want sqlite:DIR, sqlite:FILE.db or a postgres:// URL, got %q", redactURL(spec))
}

// redactURL hides the password of a URL or a key=value connection
// string, for messages.
func redactURL(s string) string {
	if !strings.Contains(s, "://") {
		return passwordKV.ReplaceAllString(s, "${1}xxxxx")
	}
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if i := strings.Index(s, "@"); i >= 0 {
			return "…" + s[i:]
		}
		return s
	}
	return u.Redacted()
}

// passwordKV is the password of a key=value connection string.
var passwordKV = regexp.MustCompile(`(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// String names the endpoint for messages, without a password.
func (e endpoint) String() string {
	if e.dsn != "" {
		return redactURL(e.dsn)
	}
	return "sqlite:" + e.file
}

// same reports whether e and o are one store.
func (e endpoint) same(o endpoint) bool {
	if e.dsn != "" || o.dsn != "" {
		return e.dsn == o.dsn
	}
	a, aerr := filepath.Abs(e.file)
	b, berr := filepath.Abs(o.file)
	if aerr == nil && berr == nil && a == b {
		return true
	}
	fa, aerr := os.Stat(e.file)
	fb, berr := os.Stat(o.file)
	return aerr == nil && berr == nil && os.SameFile(fa, fb)
}

// open opens the store. A source must exist; a SQLite target is created
// as gaffer serve creates one (its directory 0700, the file 0600), a
// PostgreSQL one gets gaffer's schema if it has none.
func (e endpoint) open(ctx context.Context, target bool) (store.Store, error) {
	if e.dsn != "" {
		return postgres.Open(ctx, e.dsn, postgres.Options{})
	}
	if target {
		if err := server.PrepareDataDir(e.dir); err != nil {
			return nil, err
		}
	} else if _, err := os.Stat(e.file); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no database at %s (sqlite:DIR names a data directory that holds %s)", e.file, server.DBFile)
		}
		return nil, err
	}
	return sqlite.Open(ctx, e.file, sqlite.Options{})
}
