package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/gaffer-dev/gaffer/internal/bench"
)

// benchCommand measures gaffer's hot paths against a bare net/http handler
// on the same machine, over the wire (see internal/bench). The gaffer
// server and the bare handler each run as a subprocess of the bench.
//
// Two hidden modes make those subprocesses out of the same binary:
//
//	gaffer bench -bare-server ADDR [-serve-debug ADDR]
//	    serve the bare handler on ADDR (bench.ServeBare)
//	gaffer bench [-serve-cpuprofile FILE] [-serve-debug ADDR] -- SERVEARGS
//	    run 'gaffer serve SERVEARGS' under a CPU profile written to FILE,
//	    and with the Go runtime's memory statistics and heap profile on
//	    http://ADDR/memstats and /heap (bench.ServeWrapped)
type benchCommand struct {
	stdout, stderr io.Writer
}

// benchHidden are the flags of the hidden modes.
type benchHidden struct {
	bareServer      string
	serveCPUProfile string
	serveDebug      string
}

func (c *benchCommand) flags(hidden bool) (*flag.FlagSet, *bench.Config, *benchHidden) {
	fs := flag.NewFlagSet("gaffer bench", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	cfg := bench.DefaultConfig()
	var all, throughput []string
	for _, p := range bench.Phases() {
		all = append(all, p.Name)
		if p.Throughput {
			throughput = append(throughput, p.Name)
		}
	}
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "measured time of each throughput phase ("+strings.Join(throughput, ", ")+"), after a warm-up of a fifth of it (at most 1s)")
	fs.IntVar(&cfg.Clients, "clients", cfg.Clients, "concurrent clients sending heartbeats (to gaffer and to the bare handler)")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "concurrent worker loops in the cycle, swf-activity, swf-decision, dp-task, map, parallel and express phases")
	fs.IntVar(&cfg.Samples, "samples", cfg.Samples, "wake-latency samples")
	fs.IntVar(&cfg.Polls, "polls", cfg.Polls, "idle long polls held open in the memory phase")
	fs.StringVar(&cfg.Growth, "growth", cfg.Growth, "comma-separated store `sizes` (closed SWF executions seeded straight into SQLite) the growth phase measures at")
	fs.StringVar(&cfg.Only, "only", cfg.Only, "comma-separated phases to run: "+strings.Join(all, ", "))
	fs.BoolVar(&cfg.Credentials, "credentials", cfg.Credentials, "start gaffer with a credentials file and sign every request with aws-sdk-go-v2's SigV4 signer, to measure signature verification")
	fs.StringVar(&cfg.Store, "store", cfg.Store, "also run the shared phases on gaffer on this PostgreSQL database (postgres://user@host/db or key=value DSN; the password may come from $PGPASSWORD), beside SQLite; each group of nodes gets a fresh schema gaffer_bench_<random>, dropped at the end (the role needs CREATE on the database); nothing else is touched")
	fs.BoolVar(&cfg.PGLocal, "pg-local", cfg.PGLocal, "like -store, on a throwaway PostgreSQL cluster the bench starts on this machine (initdb found in PATH, pg_config --bindir or /usr/lib/postgresql/*/bin; fsync on)")
	fs.IntVar(&cfg.Nodes, "nodes", cfg.Nodes, "with -store or -pg-local, also run the shared phases on this many gaffer nodes sharing the database, each request sent to the next node (1: one node only)")
	fs.DurationVar(&cfg.Lease, "lease", cfg.Lease, "--lease of the nodes on PostgreSQL (0: serve's default, 10s); the takeover phase compares the take-over with it")
	fs.BoolVar(&cfg.JSON, "json", cfg.JSON, "print the results as JSON instead of a table")
	fs.StringVar(&cfg.Gaffer, "gaffer", cfg.Gaffer, "gaffer `binary` to benchmark (default: this executable)")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", cfg.CPUProfile, "write a CPU profile of the gaffer server (every phase but memory) to `file` (the growth phase: file.growth-N for each size N; the soak phase: file.soak-alone and file.soak-hostile, one for each round)")
	fs.StringVar(&cfg.MemProfile, "memprofile", cfg.MemProfile, "write a heap profile of the memory phase's server, taken while the idle polls are held, to `file` (and the soak phase's, at its end, to file.soak)")
	fs.StringVar(&cfg.Hostile, "hostile", cfg.Hostile, "comma-separated `kinds` the soak phase's hostile client sends, of sfn, dp, slow, poll and utf8 (default all)")
	h := &benchHidden{}
	if hidden {
		fs.StringVar(&h.bareServer, "bare-server", "", "")
		fs.StringVar(&h.serveCPUProfile, "serve-cpuprofile", "", "")
		fs.StringVar(&h.serveDebug, "serve-debug", "", "")
		fs.Usage = c.Usage
	}
	return fs, &cfg, h
}

// Usage prints the flags and the phases.
func (c *benchCommand) Usage() {
	fs, _, _ := c.flags(false)
	fmt.Fprint(c.stderr, `Usage: gaffer bench [flags]

Starts a gaffer server and a bare net/http handler as subprocesses on
loopback and measures, for Step Functions, SendTaskHeartbeat throughput
against the bare handler, the full StartExecution → GetActivityTask →
SendTaskHeartbeat → SendTaskSuccess cycle, the latency of waking a waiting
poller and the memory held per idle long poll; for SWF,
RecordActivityTaskHeartbeat throughput against the bare handler, the
whole life of a one-activity workflow (start, decide, poll, heartbeat,
complete, decide) and the decision round trip (a decision task answered
with a timer → the next decision task); for Data Pipeline,
ReportTaskProgress throughput on an acknowledged task against the bare
handler and the task-runner round trip (PollForTask → ReportTaskProgress
→ SetTaskStatus FINISHED). Missed targets are reported, not errors.

With -store URL (or -pg-local) the same phases run again on gaffer on
PostgreSQL, and with -nodes 3 on three nodes sharing it, each request
sent to the next node; the report sets each figure beside SQLite's, with
the ratio. The opt-in takeover phase (-only takeover) kills one of three
nodes with SIGKILL and times the take-over against the lease.

Phases, in the order they run:
`)
	tw := tabwriter.NewWriter(c.stderr, 0, 0, 2, ' ', 0)
	for _, p := range bench.Phases() {
		fmt.Fprintf(tw, "  %s\t%s\n", p.Name, p.Description)
	}
	_ = tw.Flush()
	fmt.Fprint(c.stderr, "\nFlags:\n")
	fs.PrintDefaults()
}

// Run parses args and runs the bench (or one of the hidden server modes).
func (c *benchCommand) Run(ctx context.Context, args []string) error {
	fs, cfg, h := c.flags(true)
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case h.bareServer != "":
		if fs.NArg() > 0 {
			return fmt.Errorf("unexpected arguments: %v", fs.Args())
		}
		return bench.ServeBare(ctx, h.bareServer, h.serveDebug)
	case h.serveCPUProfile != "" || h.serveDebug != "":
		serve := func(ctx context.Context) error {
			return (&serveCommand{stderr: c.stderr}).Run(ctx, fs.Args())
		}
		return bench.ServeWrapped(ctx, h.serveCPUProfile, h.serveDebug, serve)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	cfg.Stderr = c.stderr
	return bench.Run(ctx, *cfg, c.stdout)
}
