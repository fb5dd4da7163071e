package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Config is what one run of the bench measures and how; the flags of
// 'gaffer bench' fill it. Start from DefaultConfig.
type Config struct {
	// Duration is the measured time of each throughput phase, after a
	// warm-up of a fifth of it (at most a second).
	Duration time.Duration
	// Clients is the number of concurrent clients sending heartbeats (to
	// gaffer and to the bare handler).
	Clients int
	// Workers is the number of concurrent worker loops in the cycle,
	// swf-activity, swf-decision, dp-task, map, parallel and express phases.
	Workers int
	// Samples is the number of wake-latency samples.
	Samples int
	// Polls is the number of idle long polls held open in the memory
	// phase.
	Polls int
	// Growth is the comma-separated list of store sizes (closed
	// executions seeded) the growth phase measures at.
	Growth string
	// Only is the comma-separated list of the phases to run (see Phases).
	Only string
	// JSON prints the results as JSON instead of a table.
	JSON bool
	// Gaffer is the gaffer binary to benchmark; empty means this
	// executable. Besides 'serve', it must have the hidden modes of
	// 'gaffer bench' (ServeBare behind -bare-server ADDR, ServeWrapped
	// behind -serve-cpuprofile FILE and -serve-debug ADDR), which start
	// the bench's subprocesses.
	Gaffer string
	// CPUProfile, if set, is the file the CPU profile of the gaffer server
	// is written to (every phase but memory; the growth phase's servers
	// write CPUProfile.growth-N, one per size N).
	CPUProfile string
	// MemProfile, if set, is the file the heap profile of the memory
	// phase's server is written to, taken while the idle polls are held;
	// the soak phase writes its server's at the end to MemProfile+".soak".
	MemProfile string
	// Credentials starts every gaffer server with a credentials file
	// (--credentials) and signs every request to it with aws-sdk-go-v2's
	// SigV4 signer, so that the figures include signature verification.
	Credentials bool
	// Store is a PostgreSQL database (a postgres:// URL or key=value DSN):
	// the shared phases then run on it too, after SQLite, and the report
	// sets the two side by side with their ratio. Every group of nodes
	// gets a fresh schema of its own (gaffer_bench_<random>), dropped when
	// the bench ends; the role needs CREATE on the database. Nothing else
	// in the database is touched.
	Store string
	// PGLocal starts a throwaway PostgreSQL cluster on this machine
	// (initdb in a temporary directory, durable settings) and uses it as
	// Store.
	PGLocal bool
	// Nodes, above 1, also runs the shared phases on that many gaffer
	// nodes sharing the PostgreSQL database, each request sent to the
	// next node; the takeover phase always runs three.
	Nodes int
	// Lease is --lease of the gaffer nodes on PostgreSQL; 0 keeps
	// serve's default (10 s).
	Lease time.Duration
	// Hostile, if set, is the comma-separated hostile kinds the soak
	// phase's hostile client sends (of sfn, dp, slow, poll and utf8);
	// empty sends them all.
	Hostile string
	// Stderr receives the progress lines and the servers' logs; nil
	// discards them.
	Stderr io.Writer

	// hostile replaces the soak phase's hostile client (tests: a lighter
	// one); nil is defaultHostile.
	hostile *hostileLoad
	// mapItems replaces mapItems, the items of each execution of the map
	// phase (tests: fewer); 0 is mapItems.
	mapItems int
}

// DefaultConfig returns the defaults of 'gaffer bench': every phase but
// the opt-in ones (soak), 5 s per throughput phase, 64 clients, 32
// workers, 500 samples, 10000 polls.
func DefaultConfig() Config {
	return Config{
		Duration: 5 * time.Second,
		Clients:  64,
		Workers:  32,
		Samples:  500,
		Polls:    10000,
		Nodes:    1,
		Growth:   "1000,100000,1000000",
		Only:     strings.Join(phaseNames(func(p Phase) bool { return !p.OptIn }), ","),
	}
}

// Validate checks the settings. Its errors name the flag of 'gaffer
// bench' that sets the field.
func (c *Config) Validate() error {
	_, err := c.selected()
	return err
}

// selected validates c and returns the set of phases to run.
func (c *Config) selected() (map[string]bool, error) {
	if c.Duration <= 0 {
		return nil, fmt.Errorf("-duration: %v must be positive", c.Duration)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"clients", c.Clients}, {"workers", c.Workers}, {"samples", c.Samples}, {"polls", c.Polls}} {
		if f.v < 1 {
			return nil, fmt.Errorf("-%s: %d must be at least 1", f.name, f.v)
		}
	}
	if c.Nodes < 1 {
		return nil, fmt.Errorf("-nodes: %d must be at least 1", c.Nodes)
	}
	if c.Lease < 0 {
		return nil, fmt.Errorf("-lease: %v must not be negative", c.Lease)
	}
	if c.Store != "" && c.PGLocal {
		return nil, errors.New("-store and -pg-local: give one PostgreSQL database, not both")
	}
	pg := c.Store != "" || c.PGLocal
	if c.Nodes > 1 && !pg {
		return nil, fmt.Errorf("-nodes: %d nodes need a PostgreSQL database (-store or -pg-local)", c.Nodes)
	}
	if _, err := c.growthSizes(); err != nil {
		return nil, err
	}
	all := phaseNames(func(Phase) bool { return true })
	selected := map[string]bool{}
	for p := range strings.SplitSeq(c.Only, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !slices.Contains(all, p) {
			return nil, fmt.Errorf("-only: %q is not one of %s", p, strings.Join(all, ", "))
		}
		if p == phaseTakeover && !pg {
			return nil, fmt.Errorf("-only: %s needs a PostgreSQL database (-store or -pg-local)", p)
		}
		selected[p] = true
	}
	if len(selected) == 0 {
		return nil, fmt.Errorf("-only: %q names no phase; choose from %s", c.Only, strings.Join(all, ", "))
	}
	return selected, nil
}

// Run validates cfg, runs the phases it selects, in the order of Phases,
// and writes the results to stdout: a table, or JSON with cfg.JSON. A
// missed target is reported, not an error; an error is any answer other
// than the one expected, or a server that fails.
func Run(ctx context.Context, cfg Config, stdout io.Writer) error {
	selected, err := cfg.selected()
	if err != nil {
		return err
	}
	if cfg.Gaffer == "" {
		if cfg.Gaffer, err = os.Executable(); err != nil {
			return fmt.Errorf("find the gaffer binary: %w", err)
		}
	}
	stderr := cfg.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	b := &bench{cfg: cfg, selected: selected, stderr: &lockedWriter{w: stderr}}
	report, err := b.run(ctx)
	if err != nil {
		return err
	}
	if cfg.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	return report.writeTable(stdout)
}

// A Phase is one measurement of the bench.
type Phase struct {
	// Name names the phase in Config.Only (-only) and in the report.
	Name string
	// Description says in one line what the phase measures.
	Description string
	// Throughput phases run for Config.Duration after a warm-up.
	Throughput bool
	// OptIn phases run only when Config.Only names them: they are not in
	// DefaultConfig's list.
	OptIn bool

	// alone phases start servers of their own; the others share one
	// gaffer server (or group of nodes) per store, started before the
	// first of them runs and stopped after the last.
	alone bool
	// onPG says an alone phase runs on the PostgreSQL database (takeover),
	// not on SQLite (memory, soak).
	onPG bool
	// run runs the phase and adds its figures to the report; gaffer is the
	// shared server, nil for a phase that runs alone.
	run func(b *bench, ctx context.Context, gaffer *endpoint) error
}

// Bench phases.
const (
	phaseHeartbeat    = "heartbeat"
	phaseCycle        = "cycle"
	phaseWake         = "wake"
	phaseWakeLoad     = "wake-load"
	phaseSWFHeartbeat = "swf-heartbeat"
	phaseSWFActivity  = "swf-activity"
	phaseSWFDecision  = "swf-decision"
	phaseDPHeartbeat  = "dp-heartbeat"
	phaseDPTask       = "dp-task"
	phaseMap          = "map"
	phaseParallel     = "parallel"
	phaseExpress      = "express"
	phaseMemory       = "memory"
	phaseSoak         = "soak"
	phaseTakeover     = "takeover"
	phaseGrowth       = "growth"
)

// phases are the bench's phases, in the order they run. Those that share
// the gaffer server come first.
var phases = []Phase{
	{Name: phaseHeartbeat, Throughput: true, run: (*bench).heartbeat,
		Description: "Step Functions: SendTaskHeartbeat throughput against the bare handler"},
	{Name: phaseCycle, Throughput: true, run: (*bench).cycle,
		Description: "Step Functions: executions/s of Start → GetActivityTask → Heartbeat → Success"},
	{Name: phaseWake, run: (*bench).wake,
		Description: "Step Functions: latency of StartExecution → a waiting GetActivityTask answered"},
	{Name: phaseWakeLoad, run: (*bench).wakeLoad,
		Description: "Step Functions: the wake latency again, beside a background cycle load of a quarter of -workers"},
	{Name: phaseSWFHeartbeat, Throughput: true, run: (*bench).swfHeartbeat,
		Description: "SWF: RecordActivityTaskHeartbeat throughput against the bare handler"},
	{Name: phaseSWFActivity, Throughput: true, run: (*bench).swfActivity,
		Description: "SWF: workflows/s of a one-activity workflow's whole life (8 requests)"},
	{Name: phaseSWFDecision, Throughput: true, run: (*bench).swfDecision,
		Description: "SWF: decisions/s and latency of a timer decision → the next decision task"},
	{Name: phaseDPHeartbeat, Throughput: true, run: (*bench).dpHeartbeat,
		Description: "Data Pipeline: ReportTaskProgress throughput against the bare handler"},
	{Name: phaseDPTask, Throughput: true, run: (*bench).dpTask,
		Description: "Data Pipeline: tasks/s of PollForTask → ReportTaskProgress → SetTaskStatus"},
	{Name: phaseMap, Throughput: true, run: (*bench).mapPhase,
		Description: "Step Functions: items/s of an inline Map of 1,000 activity tasks, MaxConcurrency 0"},
	{Name: phaseParallel, Throughput: true, run: (*bench).parallelPhase,
		Description: "Step Functions: executions/s of a Parallel state of 10 activity-task branches"},
	{Name: phaseExpress, Throughput: true, run: (*bench).express,
		Description: "Step Functions: executions/s and p99 of StartSyncExecution of a 3-state EXPRESS machine"},
	{Name: phaseMemory, alone: true, run: (*bench).memory,
		Description: "Step Functions: memory per idle GetActivityTask long poll against the bare handler"},
	{Name: phaseSoak, alone: true, OptIn: true, run: (*bench).soak,
		Description: "opt-in (-only soak): a mixed load, -duration alone then -duration beside a hostile client; RSS, goroutines, throughput and p99"},
	{Name: phaseTakeover, alone: true, onPG: true, OptIn: true, run: (*bench).takeover,
		Description: "opt-in (-only takeover, PostgreSQL): three nodes with work in flight, one killed -9; time until the others hold its partitions and fire its deadlines, against the lease"},
	{Name: phaseGrowth, alone: true, OptIn: true, run: (*bench).growth,
		Description: "opt-in (-only growth): the cycle's answer times and SWF/SFN listing times on stores seeded with -growth sizes of closed executions"},
}

// Phases returns the bench's phases, in the order they run.
func Phases() []Phase { return slices.Clone(phases) }

// phaseNames returns the names of the phases for which keep is true, in
// order.
func phaseNames(keep func(Phase) bool) []string {
	var names []string
	for _, p := range phases {
		if keep(p) {
			names = append(names, p.Name)
		}
	}
	return names
}

// Targets from the performance issue.
const (
	targetHeartbeatRatio = 0.50  // gaffer heartbeats/s ÷ bare handler requests/s (SFN and SWF)
	targetWakeP99        = 1e-3  // seconds, idle and under background load
	targetCrossWakeP99   = 10e-3 // seconds, a poller on one node, the start through another
	targetPGCycleRatio   = 0.60  // PostgreSQL's cycle executions/s ÷ SQLite's, one node
	targetPGHeartbeat    = 0.90  // PostgreSQL's heartbeats/s ÷ SQLite's ("unchanged", within the run-to-run spread)
	targetTakeoverSlack  = time.Second
	targetPollOverBare   = 2 << 10 // RSS bytes per idle long poll over the bare handler's per request
	targetHeldP99Ratio   = 1.2     // heartbeat p99 with the idle polls held ÷ without
)

// Targets of the durable rounds, as ratios to the bare handler measured
// by the same dialect's heartbeat phase in the same run: absolute rates
// move by 2× between runs and machines, ratios much less.
const (
	targetCycleCPUVsBare    = 12   // server CPU per cycle execution ÷ the bare handler's per request (four requests alone are 4)
	targetCycleRateVsBare   = 0.08 // cycle executions/s ÷ the bare handler's req/s (the four-request ceiling is 0.25)
	targetSWFWorkflowVsBare = 0.03 // one-activity workflows/s (8 requests) ÷ the bare handler's req/s
	targetSWFDecisionVsBare = 0.08 // decision tasks/s ÷ the bare handler's req/s
	targetDPTaskVsBare      = 0.06 // Poll→Progress→SetTaskStatus tasks/s ÷ the bare handler's req/s
)

// Fixed settings of the bench.
const (
	// serverPollWait is --max-poll-wait of the server for the heartbeat,
	// cycle and wake phases: every poll there should be answered at once,
	// so a poll that waits this long is a failure.
	serverPollWait = 10 * time.Second
	// memoryPollWait is --max-poll-wait of the memory phase's server, so
	// its polls stay idle for the whole measurement.
	memoryPollWait = 60 * time.Second
	// wakeSettle is how long the wake phase waits, after the poll request
	// has been written to the socket, before it starts the execution: time
	// for the server to read the request and register the poller. It is a
	// fixed delay, not a synchronisation; see docs/performance.md.
	wakeSettle = 2 * time.Millisecond
	// wakeWarmup is the number of wake samples discarded first.
	wakeWarmup = 10
	// pollBatch is how many idle polls the memory phase opens before it
	// waits for the server to accept them, below the kernel's default
	// listen backlog (somaxconn 4096).
	pollBatch = 1000
	// memoryHeartbeatClients is the number of clients timing heartbeats
	// in the memory phase, before and while the idle polls are held.
	memoryHeartbeatClients = 4
	// rssWindow and rssTolerance define a settled RSS: it changed by less
	// than rssTolerance over rssWindow.
	rssWindow    = time.Second
	rssTolerance = 0.01
	// rssMaxSettle bounds the wait for a settled RSS.
	rssMaxSettle = 15 * time.Second
	// syncSamples is the number of fdatasyncs timed on the data
	// directory's disk.
	syncSamples = 100
	// readyTimeout bounds a subprocess's start until /healthz answers;
	// slowReadyTimeout that of a server on a seeded store (the growth
	// phase), whose opening check reads the whole file (about 4 ms per
	// MB warm, the disk's read rate cold: minutes for a million
	// executions).
	readyTimeout     = 30 * time.Second
	slowReadyTimeout = 30 * time.Minute
	// stopTimeout bounds a subprocess's clean exit after SIGTERM.
	stopTimeout = 30 * time.Second
	// swfDecisionTimers is the number of StartTimer rounds of each
	// workflow in the swf-decision phase: each workflow has this many
	// decision tasks answered with a timer and one answered with
	// CompleteWorkflowExecution.
	swfDecisionTimers = 10
	// dpActivities is the number of ShellCommandActivity objects of each
	// dp-task pipeline: with its Default object, the definition limit of
	// 100 objects. One activation yields this many tasks.
	dpActivities = 99
)

// bench is one run.
type bench struct {
	cfg      Config
	selected map[string]bool // phase names
	stderr   io.Writer
	tmp      string
	client   *http.Client // shared by every phase but memory, for gaffer and bare alike
	report   *report
	// credentials is the credentials file the gaffer servers are started
	// with, and signer signs the requests to them (Config.Credentials);
	// "" and nil otherwise.
	credentials string
	signer      *signer
	// db is the PostgreSQL database (Config.Store, Config.PGLocal), or nil.
	db *pgDatabase
	// target is the store the running phase measures; its name labels
	// the figures when the run has more than one.
	target target
	// label is target.name when the run measures several stores, else "".
	label string
	// slowStart gives servers slowReadyTimeout to start (growth phase).
	slowStart bool
	// bare holds what each heartbeat phase measured of the bare handler,
	// by target and dialect (bareKey): the yardstick of the ratio targets.
	bare map[string]bareFigures
}

// bareFigures is what a heartbeat phase measured of the bare handler.
type bareFigures struct {
	rate float64       // requests/s
	cpu  time.Duration // server CPU per request
}

func bareKey(t target, dl dialect) string { return t.name + "/" + dl.service }

// bareOf returns what the heartbeat phase of dl measured of the bare
// handler on the current target in this run, if it ran.
func (b *bench) bareOf(dl dialect) (bareFigures, bool) {
	f, ok := b.bare[bareKey(b.target, dl)]
	return f, ok && f.rate > 0 && f.cpu > 0
}

// addVsBare adds, when the heartbeat phase of dl ran before on the same
// target, the figure rate (per second) ÷ the bare handler's requests/s
// against the target want, and, if cpuWant > 0, the server CPU per unit
// ÷ the bare handler's CPU per request against cpuWant.
func (b *bench) addVsBare(phase string, dl dialect, what string, rate float64, want float64, cpu time.Duration, cpuWant float64) {
	bare, ok := b.bareOf(dl)
	if !ok {
		return
	}
	heartbeat := map[dialect]string{sfnDialect: phaseHeartbeat, swfDialect: phaseSWFHeartbeat, dpDialect: phaseDPHeartbeat}[dl]
	r := b.report
	ratio := rate / bare.rate
	r.addTarget(phase, "rate_vs_bare", fmt.Sprintf("%ss/s ÷ bare handler's req/s (%s phase)", what, heartbeat), ratio, "",
		fmt.Sprintf(">= %.2f", want), ratio >= want)
	if cpuWant > 0 {
		c := float64(cpu) / float64(bare.cpu)
		r.addTarget(phase, "cpu_vs_bare", fmt.Sprintf("server CPU per %s ÷ bare handler's per request", what), c, "×",
			fmt.Sprintf("<= %.0f ×", cpuWant), c <= cpuWant)
	}
}

func (b *bench) progress(format string, args ...any) {
	if b.label != "" {
		format = "[" + b.label + "] " + format
	}
	fmt.Fprintf(b.stderr, "bench: "+format+"\n", args...)
}

func (b *bench) run(ctx context.Context) (rep *report, err error) {
	o := b.cfg
	targets := o.targets()
	b.report = &report{
		Machine: machineInfo{
			OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), CPUModel: cpuModel(),
			GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0), LoadAvg: loadAverage(),
		},
		Settings: settings{
			Duration: o.Duration.String(), Clients: o.Clients, Workers: o.Workers, Samples: o.Samples, Polls: o.Polls,
			BareHandler: "subprocess (gaffer bench -bare-server)",
			Server:      "subprocess (" + o.Gaffer + " serve, SQLite in a temp dir)",
		},
	}
	tmp, err := os.MkdirTemp("", "gaffer-bench-")
	if err != nil {
		return nil, fmt.Errorf("create temp dir: %w", err)
	}
	b.tmp = tmp
	defer os.RemoveAll(tmp)
	if o.Store != "" || o.PGLocal {
		if o.PGLocal {
			b.progress("starting a local PostgreSQL cluster (-pg-local)")
		}
		if b.db, err = openDatabase(ctx, o.Store, o.PGLocal); err != nil {
			return nil, err
		}
		defer func() {
			if cerr := b.db.close(ctx); cerr != nil && err == nil {
				err = cerr
			}
		}()
		where := "the database of -store"
		if o.PGLocal {
			where = "a local cluster started by the bench (-pg-local: initdb, fsync on)"
		}
		b.report.Settings.Server += "; PostgreSQL: " + where + ", a fresh schema per group of nodes"
		if o.Nodes > 1 {
			b.report.Settings.Server += fmt.Sprintf("; %d nodes, each request to the next", o.Nodes)
		}
	}
	if o.Credentials {
		if b.credentials, err = writeCredentials(tmp); err != nil {
			return nil, err
		}
		b.signer = newSigner()
		b.report.Settings.Server += ", every request signed and verified (--credentials)"
	}
	b.progress("disk: timing %d fdatasyncs in %s", syncSamples, tmp)
	syncs, err := measureSync(tmp, syncSamples)
	if err != nil {
		return nil, err
	}
	b.report.Machine.SyncP50Ms = float64(percentile(syncs, 0.50)) / float64(time.Millisecond)
	b.report.Machine.SyncP99Ms = float64(percentile(syncs, 0.99)) / float64(time.Millisecond)
	b.client = newClient(max(o.Clients, o.Workers) + 8)
	defer b.client.CloseIdleConnections()

	var shared, alone []Phase
	for _, p := range phases {
		switch {
		case !b.selected[p.Name]:
		case p.alone:
			alone = append(alone, p)
		default:
			shared = append(shared, p)
		}
	}
	for _, t := range targets {
		if len(shared) == 0 {
			break
		}
		b.target = t
		if len(targets) > 1 {
			b.label = t.name
		}
		b.report.store = b.label
		if err := b.runShared(ctx, shared); err != nil {
			return nil, err
		}
	}
	for _, p := range alone {
		b.target = targets[0]
		if p.onPG {
			b.target = target{name: storePostgres + "×3", pg: true, nodes: 3}
		}
		b.label = ""
		if len(targets) > 1 {
			b.label = b.target.name
		}
		b.report.store = b.label
		if err := p.run(b, ctx, nil); err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
	}
	if len(targets) > 1 {
		b.report.compare(targets)
	}
	return b.report, nil
}

// runShared runs phases, in order, against one gaffer server, or one
// group of nodes, on b.target.
func (b *bench) runShared(ctx context.Context, phases []Phase) (err error) {
	profile := b.cfg.CPUProfile
	if profile != "" && b.target.name != storeSQLite {
		profile += "." + strings.ReplaceAll(b.target.name, "×", "x")
	}
	procs, err := b.startNodes(ctx, "main-"+strings.ReplaceAll(b.target.name, "×", "x"), b.target.nodes, serverPollWait, profile, false)
	if err != nil {
		return err
	}
	defer func() {
		for _, p := range procs {
			if serr := p.stop(); serr != nil && err == nil {
				err = serr
			}
		}
		if err == nil && profile != "" {
			b.progress("server CPU profile written to %s", profile)
		}
	}()
	gaffer := b.endpointOf(procs, b.client)
	for _, p := range phases {
		if err := p.run(b, ctx, gaffer); err != nil {
			if b.label != "" {
				return fmt.Errorf("%s on %s: %w", p.Name, b.label, err)
			}
			return fmt.Errorf("%s: %w", p.Name, err)
		}
	}
	return nil
}

// endpointOf returns the endpoint of the nodes procs, talked to through
// client.
func (b *bench) endpointOf(procs []*proc, client *http.Client) *endpoint {
	ep := &endpoint{url: procs[0].url, client: client, proc: procs[0], signer: b.signer}
	if len(procs) > 1 {
		ep.nodes = procs
	}
	if b.target.pg && b.db != nil && b.db.postmaster != 0 {
		ep.db = &dbServer{postmaster: b.db.postmaster}
	}
	return ep
}
