package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"
)

// benchCommand measures gaffer's hot paths — heartbeats, the full task
// cycle, waking a waiting poller and the memory an idle long poll holds for
// Step Functions; heartbeats, the workflow cycle and the decision round
// trip for SWF; acknowledged-task heartbeats and the task runner's round
// trip for Data Pipeline — against a bare net/http handler on the same
// machine, over the wire. The gaffer server and the bare handler each run
// as a subprocess of the bench.
//
// Two hidden modes make those subprocesses out of the same binary:
//
//	gaffer bench -bare-server ADDR [-serve-debug ADDR]
//	    serve the bare handler on ADDR
//	gaffer bench [-serve-cpuprofile FILE] [-serve-debug ADDR] -- SERVEARGS
//	    run 'gaffer serve SERVEARGS' under a CPU profile written to FILE,
//	    and with the Go runtime's memory statistics and heap profile on
//	    http://ADDR/memstats and /heap
type benchCommand struct {
	stdout, stderr io.Writer
}

// benchOptions are the bench's flags.
type benchOptions struct {
	duration   time.Duration
	clients    int
	workers    int
	samples    int
	polls      int
	only       string
	json       bool
	gaffer     string
	cpuprofile string
	memprofile string

	// Hidden modes (see benchCommand).
	bareServer      string
	serveCPUProfile string
	serveDebug      string
}

// Bench phases, in the order they run.
const (
	phaseHeartbeat    = "heartbeat"
	phaseCycle        = "cycle"
	phaseWake         = "wake"
	phaseSWFHeartbeat = "swf-heartbeat"
	phaseSWFActivity  = "swf-activity"
	phaseSWFDecision  = "swf-decision"
	phaseDPHeartbeat  = "dp-heartbeat"
	phaseDPTask       = "dp-task"
	phaseMemory       = "memory"
)

var benchPhases = []string{phaseHeartbeat, phaseCycle, phaseWake, phaseSWFHeartbeat, phaseSWFActivity, phaseSWFDecision, phaseDPHeartbeat, phaseDPTask, phaseMemory}

// mainPhases run against one server, in this order; memory uses fresh ones.
var mainPhases = []string{phaseHeartbeat, phaseCycle, phaseWake, phaseSWFHeartbeat, phaseSWFActivity, phaseSWFDecision, phaseDPHeartbeat, phaseDPTask}

// Targets from the performance issue.
const (
	targetHeartbeatRatio = 0.50    // gaffer heartbeats/s ÷ bare handler requests/s (SFN and SWF)
	targetCycleRate      = 2000    // executions/s; SWF: workflows/s, decision tasks/s; Data Pipeline: tasks/s
	targetWakeP99        = 2e-3    // seconds
	targetPollBytes      = 8 << 10 // RSS bytes per idle long poll
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
	// pollBatch is how many idle polls the memory phase opens at once,
	// below the kernel's default listen backlog (somaxconn 4096).
	pollBatch = 250
	// rssWindow and rssTolerance define a settled RSS: it changed by less
	// than rssTolerance over rssWindow.
	rssWindow    = time.Second
	rssTolerance = 0.01
	// rssMaxSettle bounds the wait for a settled RSS.
	rssMaxSettle = 15 * time.Second
	// syncSamples is the number of fdatasyncs timed on the data
	// directory's disk.
	syncSamples = 100
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

// Wire constants.
const (
	amzJSON      = "application/x-amz-json-1.0"
	targetPrefix = "AWSStepFunctions."
	benchAuth    = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/states/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
	benchRole    = "arn:aws:iam::000000000000:role/bench"

	swfTargetPrefix = "SimpleWorkflowService."
	swfAuth         = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/swf/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"

	amzJSON11      = "application/x-amz-json-1.1"
	dpTargetPrefix = "DataPipeline."
	dpAuth         = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/datapipeline/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
)

// dialect is what tells a service's requests apart on the wire: the
// X-Amz-Target prefix, the SigV4 credential scope's service and the
// Content-Type.
type dialect struct {
	targetPrefix string
	auth         string
	contentType  string
}

var (
	sfnDialect = dialect{targetPrefix: targetPrefix, auth: benchAuth, contentType: amzJSON}
	swfDialect = dialect{targetPrefix: swfTargetPrefix, auth: swfAuth, contentType: amzJSON}
	dpDialect  = dialect{targetPrefix: dpTargetPrefix, auth: dpAuth, contentType: amzJSON11}
)

func (c *benchCommand) flags(hidden bool) (*flag.FlagSet, *benchOptions) {
	fs := flag.NewFlagSet("gaffer bench", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	o := &benchOptions{}
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured time of each throughput phase (heartbeat, cycle, swf-heartbeat, swf-activity, swf-decision, dp-heartbeat, dp-task), after a warm-up of a fifth of it (at most 1s)")
	fs.IntVar(&o.clients, "clients", 64, "concurrent clients sending heartbeats (to gaffer and to the bare handler)")
	fs.IntVar(&o.workers, "workers", 32, "concurrent worker loops in the cycle, swf-activity, swf-decision and dp-task phases")
	fs.IntVar(&o.samples, "samples", 500, "wake-latency samples")
	fs.IntVar(&o.polls, "polls", 10000, "idle long polls held open in the memory phase")
	fs.StringVar(&o.only, "only", strings.Join(benchPhases, ","), "comma-separated phases to run: "+strings.Join(benchPhases, ", "))
	fs.BoolVar(&o.json, "json", false, "print the results as JSON instead of a table")
	fs.StringVar(&o.gaffer, "gaffer", "", "gaffer `binary` to benchmark (default: this executable)")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the gaffer server (every phase but memory) to `file`")
	fs.StringVar(&o.memprofile, "memprofile", "", "write a heap profile of the memory phase's server, taken while the idle polls are held, to `file`")
	if hidden {
		fs.StringVar(&o.bareServer, "bare-server", "", "")
		fs.StringVar(&o.serveCPUProfile, "serve-cpuprofile", "", "")
		fs.StringVar(&o.serveDebug, "serve-debug", "", "")
		fs.Usage = c.Usage
	}
	return fs, o
}

// Usage prints the flags.
func (c *benchCommand) Usage() {
	fs, _ := c.flags(false)
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

Flags:
`)
	fs.PrintDefaults()
}

// Run parses args and runs the bench (or one of the hidden server modes).
func (c *benchCommand) Run(ctx context.Context, args []string) error {
	fs, o := c.flags(true)
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case o.bareServer != "":
		if fs.NArg() > 0 {
			return fmt.Errorf("unexpected arguments: %v", fs.Args())
		}
		return serveBare(ctx, o.bareServer, o.serveDebug)
	case o.serveCPUProfile != "" || o.serveDebug != "":
		return serveWrapped(ctx, o.serveCPUProfile, o.serveDebug, fs.Args(), c.stderr)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	phases, err := o.validate()
	if err != nil {
		return err
	}
	if o.gaffer == "" {
		if o.gaffer, err = os.Executable(); err != nil {
			return fmt.Errorf("find the gaffer binary: %w", err)
		}
	}
	b := &bench{opts: o, phases: phases, stderr: &lockedWriter{w: c.stderr}}
	report, err := b.run(ctx)
	if err != nil {
		return err
	}
	if o.json {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	return report.writeTable(c.stdout)
}

// validate checks the options and returns the set of phases to run.
func (o *benchOptions) validate() (map[string]bool, error) {
	if o.duration <= 0 {
		return nil, fmt.Errorf("-duration: %v must be positive", o.duration)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"clients", o.clients}, {"workers", o.workers}, {"samples", o.samples}, {"polls", o.polls}} {
		if f.v < 1 {
			return nil, fmt.Errorf("-%s: %d must be at least 1", f.name, f.v)
		}
	}
	phases := map[string]bool{}
	for p := range strings.SplitSeq(o.only, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !slices.Contains(benchPhases, p) {
			return nil, fmt.Errorf("-only: %q is not one of %s", p, strings.Join(benchPhases, ", "))
		}
		phases[p] = true
	}
	if len(phases) == 0 {
		return nil, fmt.Errorf("-only: %q names no phase; choose from %s", o.only, strings.Join(benchPhases, ", "))
	}
	return phases, nil
}

// Report.

// benchReport is the bench's output.
type benchReport struct {
	Machine  benchMachine  `json:"machine"`
	Settings benchSettings `json:"settings"`
	Results  []benchResult `json:"results"`
}

type benchMachine struct {
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	CPUs       int    `json:"cpus"`
	CPUModel   string `json:"cpu_model,omitempty"`
	GoVersion  string `json:"go_version"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	// SyncP50Ms and SyncP99Ms are the latency of appending 4 KiB to a file
	// in the data directory's file system and fdatasync-ing it: the floor
	// of one durable commit.
	SyncP50Ms float64 `json:"sync_p50_ms"`
	SyncP99Ms float64 `json:"sync_p99_ms"`
}

type benchSettings struct {
	Duration    string `json:"duration"`
	Clients     int    `json:"clients"`
	Workers     int    `json:"workers"`
	Samples     int    `json:"samples"`
	Polls       int    `json:"polls"`
	BareHandler string `json:"bare_handler"`
	Server      string `json:"server"`
}

// benchResult is one figure. Pass is nil for figures without a target.
type benchResult struct {
	Phase       string  `json:"phase"`
	Metric      string  `json:"metric"`
	Description string  `json:"description"`
	Value       float64 `json:"value"`
	Unit        string  `json:"unit"`
	Target      string  `json:"target,omitempty"`
	Pass        *bool   `json:"pass,omitempty"`
}

func (r *benchReport) add(phase, metric, desc string, value float64, unit string) {
	r.Results = append(r.Results, benchResult{Phase: phase, Metric: metric, Description: desc, Value: value, Unit: unit})
}

func (r *benchReport) addTarget(phase, metric, desc string, value float64, unit, target string, pass bool) {
	r.Results = append(r.Results, benchResult{Phase: phase, Metric: metric, Description: desc, Value: value, Unit: unit, Target: target, Pass: &pass})
}

func (r *benchReport) writeTable(w io.Writer) error {
	m := r.Machine
	fmt.Fprintf(w, "gaffer bench: %s/%s, %d CPUs (%s), %s, GOMAXPROCS %d\n", m.OS, m.Arch, m.CPUs, m.CPUModel, m.GoVersion, m.GOMAXPROCS)
	fmt.Fprintf(w, "data directory's disk: 4 KiB append + fdatasync p50 %.2f ms, p99 %.2f ms\n", m.SyncP50Ms, m.SyncP99Ms)
	s := r.Settings
	fmt.Fprintf(w, "duration %s, %d clients, %d workers, %d samples, %d polls; server: %s; bare handler: %s\n\n",
		s.Duration, s.Clients, s.Workers, s.Samples, s.Polls, s.Server, s.BareHandler)
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tFIGURE\tVALUE\tTARGET\tRESULT")
	for _, res := range r.Results {
		verdict := ""
		if res.Pass != nil {
			verdict = "MISS"
			if *res.Pass {
				verdict = "PASS"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%s\n", res.Phase, res.Description, formatValue(res.Value), res.Unit, res.Target, verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for line := range strings.Lines(table.String()) {
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}

func formatValue(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// The bench.

type bench struct {
	opts   *benchOptions
	phases map[string]bool
	stderr io.Writer
	tmp    string
	client *http.Client // shared by every phase but memory, for gaffer and bare alike
	report *benchReport
}

func (b *bench) progress(format string, args ...any) {
	fmt.Fprintf(b.stderr, "bench: "+format+"\n", args...)
}

func (b *bench) run(ctx context.Context) (*benchReport, error) {
	o := b.opts
	b.report = &benchReport{
		Machine: benchMachine{
			OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), CPUModel: cpuModel(),
			GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		},
		Settings: benchSettings{
			Duration: o.duration.String(), Clients: o.clients, Workers: o.workers, Samples: o.samples, Polls: o.polls,
			BareHandler: "subprocess (gaffer bench -bare-server)",
			Server:      "subprocess (" + o.gaffer + " serve, SQLite in a temp dir)",
		},
	}
	tmp, err := os.MkdirTemp("", "gaffer-bench-")
	if err != nil {
		return nil, fmt.Errorf("create temp dir: %w", err)
	}
	b.tmp = tmp
	defer os.RemoveAll(tmp)
	b.progress("disk: timing %d fdatasyncs in %s", syncSamples, tmp)
	syncs, err := measureSync(tmp, syncSamples)
	if err != nil {
		return nil, err
	}
	b.report.Machine.SyncP50Ms = float64(percentile(syncs, 0.50)) / float64(time.Millisecond)
	b.report.Machine.SyncP99Ms = float64(percentile(syncs, 0.99)) / float64(time.Millisecond)
	b.client = newBenchClient(max(o.clients, o.workers) + 8)
	defer b.client.CloseIdleConnections()

	if slices.ContainsFunc(mainPhases, func(p string) bool { return b.phases[p] }) {
		if err := b.runMain(ctx); err != nil {
			return nil, err
		}
	}
	if b.phases[phaseMemory] {
		if err := b.runMemory(ctx); err != nil {
			return nil, fmt.Errorf("memory: %w", err)
		}
	}
	return b.report, nil
}

// runMain runs every phase but memory against one server.
func (b *bench) runMain(ctx context.Context) (err error) {
	srv, err := b.startGaffer(ctx, "main", serverPollWait, b.opts.cpuprofile, false)
	if err != nil {
		return err
	}
	defer func() {
		if serr := srv.stop(); serr != nil && err == nil {
			err = serr
		}
		if err == nil && b.opts.cpuprofile != "" {
			b.progress("server CPU profile written to %s", b.opts.cpuprofile)
		}
	}()
	gaffer := &endpoint{url: srv.url, client: b.client, proc: srv}
	if b.phases[phaseHeartbeat] {
		if err := b.heartbeat(ctx, gaffer); err != nil {
			return fmt.Errorf("heartbeat: %w", err)
		}
	}
	if b.phases[phaseCycle] {
		if err := b.cycle(ctx, gaffer); err != nil {
			return fmt.Errorf("cycle: %w", err)
		}
	}
	if b.phases[phaseWake] {
		if err := b.wake(ctx, gaffer); err != nil {
			return fmt.Errorf("wake: %w", err)
		}
	}
	if b.phases[phaseSWFHeartbeat] {
		if err := b.swfHeartbeat(ctx, gaffer); err != nil {
			return fmt.Errorf("%s: %w", phaseSWFHeartbeat, err)
		}
	}
	if b.phases[phaseSWFActivity] {
		if err := b.swfActivity(ctx, gaffer); err != nil {
			return fmt.Errorf("%s: %w", phaseSWFActivity, err)
		}
	}
	if b.phases[phaseSWFDecision] {
		if err := b.swfDecision(ctx, gaffer); err != nil {
			return fmt.Errorf("%s: %w", phaseSWFDecision, err)
		}
	}
	if b.phases[phaseDPHeartbeat] {
		if err := b.dpHeartbeat(ctx, gaffer); err != nil {
			return fmt.Errorf("%s: %w", phaseDPHeartbeat, err)
		}
	}
	if b.phases[phaseDPTask] {
		if err := b.dpTask(ctx, gaffer); err != nil {
			return fmt.Errorf("%s: %w", phaseDPTask, err)
		}
	}
	return nil
}

// setupMachine creates an activity and a state machine whose one Task
// state runs it, and returns their ARNs.
func setupMachine(ctx context.Context, ep *endpoint, name string) (activityArn, machineArn string, err error) {
	cl := ep.caller()
	var act struct{ ActivityArn string }
	if err := cl.callJSON(ctx, "CreateActivity", map[string]any{"name": name}, &act); err != nil {
		return "", "", err
	}
	def, err := json.Marshal(map[string]any{
		"StartAt": "Work",
		"States": map[string]any{
			"Work": map[string]any{"Type": "Task", "Resource": act.ActivityArn, "HeartbeatSeconds": 3600, "End": true},
		},
	})
	if err != nil {
		return "", "", err
	}
	var sm struct{ StateMachineArn string }
	if err := cl.callJSON(ctx, "CreateStateMachine", map[string]any{
		"name": name, "roleArn": benchRole, "definition": string(def),
	}, &sm); err != nil {
		return "", "", err
	}
	if act.ActivityArn == "" || sm.StateMachineArn == "" {
		return "", "", errors.New("CreateActivity or CreateStateMachine answered without an ARN")
	}
	return act.ActivityArn, sm.StateMachineArn, nil
}

// Phase 1: heartbeats against the bare handler.

func (b *bench) heartbeat(ctx context.Context, gaffer *endpoint) (err error) {
	o := b.opts
	bareSrv, err := b.startBare(ctx, false)
	if err != nil {
		return err
	}
	defer func() {
		if serr := bareSrv.stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	bare := &endpoint{url: bareSrv.url, client: b.client, proc: bareSrv}

	activity, machine, err := setupMachine(ctx, gaffer, "bench-heartbeat")
	if err != nil {
		return err
	}
	cl := gaffer.caller()
	if err := cl.callJSON(ctx, "StartExecution", map[string]any{"stateMachineArn": machine, "input": "{}"}, nil); err != nil {
		return err
	}
	var task struct{ TaskToken string }
	if err := cl.callJSON(ctx, "GetActivityTask", map[string]any{"activityArn": activity, "workerName": "bench"}, &task); err != nil {
		return err
	}
	if task.TaskToken == "" {
		return fmt.Errorf("GetActivityTask returned no task within %v", serverPollWait)
	}
	body := mustJSON(map[string]any{"taskToken": task.TaskToken})

	b.progress("heartbeat: bare handler, %d clients, %v", o.clients, o.duration)
	bareRate, bareCPU, bareClientCPU, err := hammer(ctx, bare, sfnDialect, o.clients, o.duration, "SendTaskHeartbeat", body)
	if err != nil {
		return fmt.Errorf("bare handler: %w", err)
	}
	b.progress("heartbeat: gaffer SendTaskHeartbeat, %d clients, %v", o.clients, o.duration)
	gafferRate, gafferCPU, gafferClientCPU, err := hammer(ctx, gaffer, sfnDialect, o.clients, o.duration, "SendTaskHeartbeat", body)
	if err != nil {
		return err
	}
	ratio := gafferRate / bareRate
	r := b.report
	r.add(phaseHeartbeat, "bare_rps", fmt.Sprintf("bare net/http handler, %d clients", o.clients), bareRate, "req/s")
	r.add(phaseHeartbeat, "gaffer_rps", fmt.Sprintf("gaffer SendTaskHeartbeat, %d clients", o.clients), gafferRate, "req/s")
	r.addTarget(phaseHeartbeat, "ratio", "gaffer ÷ bare handler", 100*ratio, "%",
		fmt.Sprintf(">= %.0f %%", 100*targetHeartbeatRatio), ratio >= targetHeartbeatRatio)
	r.add(phaseHeartbeat, "bare_cpu_us", "bare handler server CPU per request", micros(bareCPU), "µs")
	r.add(phaseHeartbeat, "gaffer_cpu_us", "gaffer server CPU per heartbeat", micros(gafferCPU), "µs")
	r.add(phaseHeartbeat, "client_cpu_us", "bench client CPU per request (mean of both runs)", micros((bareClientCPU+gafferClientCPU)/2), "µs")
	return nil
}

// hammer sends the same request (op of dialect) from n concurrent
// clients, first for a warm-up of a fifth of d (at most a second), then
// for d, and returns the measured requests per second and the server's
// CPU time per request.
func hammer(ctx context.Context, ep *endpoint, dl dialect, n int, d time.Duration, op string, body []byte) (rate float64, cpu, clientCPU time.Duration, err error) {
	callers := make([]*caller, n)
	for i := range callers {
		callers[i] = ep.callerFor(dl)
	}
	round := func(d time.Duration) (float64, time.Duration, time.Duration, error) {
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		var count atomic.Int64
		var wg sync.WaitGroup
		cpu0, err := ep.proc.cpuTime()
		if err != nil {
			return 0, 0, 0, err
		}
		own0 := ownCPUTime()
		start := time.Now()
		deadline := start.Add(d)
		for _, cl := range callers {
			wg.Go(func() {
				k := int64(0)
				for time.Now().Before(deadline) {
					if _, err := cl.call(ctx, op, body); err != nil {
						cancel(err)
						break
					}
					k++
				}
				count.Add(k)
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		own1 := ownCPUTime()
		cpu1, err := ep.proc.cpuTime()
		if err != nil {
			return 0, 0, 0, err
		}
		if err := context.Cause(ctx); err != nil {
			return 0, 0, 0, err
		}
		k := time.Duration(max(count.Load(), 1))
		return float64(count.Load()) / elapsed.Seconds(), (cpu1 - cpu0) / k, (own1 - own0) / k, nil
	}
	if _, _, _, err := round(min(d/5, time.Second)); err != nil {
		return 0, 0, 0, err
	}
	return round(d)
}

// ownCPUTime returns the user and system CPU time this process has used.
func ownCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// Phase 2: the full cycle.

func (b *bench) cycle(ctx context.Context, gaffer *endpoint) error {
	o := b.opts
	activity, machine, err := setupMachine(ctx, gaffer, "bench-cycle")
	if err != nil {
		return err
	}
	startBody := mustJSON(map[string]any{"stateMachineArn": machine, "input": `{"bench":true}`})
	pollBody := mustJSON(map[string]any{"activityArn": activity, "workerName": "bench"})

	// Each worker starts an execution, polls the activity (which every
	// worker shares, so it may get another worker's task), heartbeats and
	// completes what it got. Every loop starts one execution and completes
	// one, so when all workers have stopped every execution has been
	// completed.
	round := func(d time.Duration) (completed int64, rate float64, cpu, clientCPU time.Duration, lastArns []string, err error) {
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		var count atomic.Int64
		var wg sync.WaitGroup
		lastArns = make([]string, o.workers)
		cpu0, err := gaffer.proc.cpuTime()
		if err != nil {
			return 0, 0, 0, 0, nil, err
		}
		own0 := ownCPUTime()
		start := time.Now()
		deadline := start.Add(d)
		for w := range o.workers {
			cl := gaffer.caller()
			wg.Go(func() {
				var started struct{ ExecutionArn string }
				var task struct{ TaskToken string }
				for time.Now().Before(deadline) {
					if err := cl.callJSON(ctx, "StartExecution", startBody, &started); err != nil {
						cancel(err)
						return
					}
					lastArns[w] = started.ExecutionArn
					task.TaskToken = ""
					if err := cl.callJSON(ctx, "GetActivityTask", pollBody, &task); err != nil {
						cancel(err)
						return
					}
					if task.TaskToken == "" {
						cancel(fmt.Errorf("GetActivityTask returned no task within %v although executions were started", serverPollWait))
						return
					}
					token := mustJSON(map[string]any{"taskToken": task.TaskToken})
					if _, err := cl.call(ctx, "SendTaskHeartbeat", token); err != nil {
						cancel(err)
						return
					}
					success := mustJSON(map[string]any{"taskToken": task.TaskToken, "output": `{"done":true}`})
					if _, err := cl.call(ctx, "SendTaskSuccess", success); err != nil {
						cancel(err)
						return
					}
					count.Add(1)
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		own1 := ownCPUTime()
		cpu1, err := gaffer.proc.cpuTime()
		if err != nil {
			return 0, 0, 0, 0, nil, err
		}
		if err := context.Cause(ctx); err != nil {
			return 0, 0, 0, 0, nil, err
		}
		k := count.Load()
		per := time.Duration(max(k, 1))
		return k, float64(k) / elapsed.Seconds(), (cpu1 - cpu0) / per, (own1 - own0) / per, lastArns, nil
	}
	b.progress("cycle: %d workers, %v", o.workers, o.duration)
	if _, _, _, _, _, err := round(min(o.duration/5, time.Second)); err != nil {
		return err
	}
	completed, rate, cpu, clientCPU, lastArns, err := round(o.duration)
	if err != nil {
		return err
	}
	// Every worker's last execution must have succeeded.
	cl := gaffer.caller()
	for _, arn := range lastArns {
		if arn == "" {
			continue
		}
		if err := waitSucceeded(ctx, cl, arn); err != nil {
			return err
		}
	}
	r := b.report
	r.add(phaseCycle, "executions", "executions completed (SendTaskSuccess answered 200)", float64(completed), "")
	r.addTarget(phaseCycle, "executions_per_s", fmt.Sprintf("Start→Get→Heartbeat→Success, %d workers", o.workers), rate, "exec/s",
		fmt.Sprintf(">= %d exec/s", targetCycleRate), rate >= targetCycleRate)
	r.add(phaseCycle, "cpu_us", "gaffer server CPU per execution (4 requests)", micros(cpu), "µs")
	r.add(phaseCycle, "client_cpu_us", "bench client CPU per execution", micros(clientCPU), "µs")
	return nil
}

// waitSucceeded waits up to five seconds for an execution to succeed.
func waitSucceeded(ctx context.Context, cl *caller, arn string) error {
	deadline := time.Now().Add(5 * time.Second)
	var out struct{ Status string }
	for {
		if err := cl.callJSON(ctx, "DescribeExecution", map[string]any{"executionArn": arn}, &out); err != nil {
			return err
		}
		if out.Status == "SUCCEEDED" {
			return nil
		}
		if out.Status != "RUNNING" || time.Now().After(deadline) {
			return fmt.Errorf("execution %s is %s after its task succeeded, want SUCCEEDED", arn, out.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Phase 3: waking a waiting poller.

func (b *bench) wake(ctx context.Context, gaffer *endpoint) error {
	o := b.opts
	activity, machine, err := setupMachine(ctx, gaffer, "bench-wake")
	if err != nil {
		return err
	}
	startBody := mustJSON(map[string]any{"stateMachineArn": machine, "input": "{}"})
	pollBody := mustJSON(map[string]any{"activityArn": activity, "workerName": "bench"})
	poller, starter := gaffer.caller(), gaffer.caller()

	type polled struct {
		at    time.Time
		token string
		err   error
	}
	// sample returns the time from sending StartExecution to the poll's
	// answer, and to StartExecution's own answer.
	sample := func() (wake, start time.Duration, err error) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		wrote := make(chan struct{})
		var once sync.Once
		trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(func() { close(wrote) }) }}
		done := make(chan polled, 1)
		go func() {
			var task struct{ TaskToken string }
			err := poller.callJSON(httptrace.WithClientTrace(ctx, trace), "GetActivityTask", pollBody, &task)
			done <- polled{at: time.Now(), token: task.TaskToken, err: err}
		}()
		select {
		case <-wrote:
		case p := <-done:
			if p.err != nil {
				return 0, 0, p.err
			}
			return 0, 0, errors.New("GetActivityTask answered before any execution was started")
		}
		time.Sleep(wakeSettle)
		t0 := time.Now()
		if err := starter.callJSON(ctx, "StartExecution", startBody, nil); err != nil {
			return 0, 0, err
		}
		start = time.Since(t0)
		p := <-done
		if p.err != nil {
			return 0, 0, p.err
		}
		if p.token == "" {
			return 0, 0, fmt.Errorf("GetActivityTask returned no task within %v of StartExecution", serverPollWait)
		}
		wake = p.at.Sub(t0)
		if _, err := starter.call(ctx, "SendTaskSuccess", mustJSON(map[string]any{"taskToken": p.token, "output": "{}"})); err != nil {
			return 0, 0, err
		}
		return wake, start, nil
	}
	b.progress("wake: %d samples, one waiting poller", o.samples)
	lats := make([]time.Duration, 0, o.samples)
	starts := make([]time.Duration, 0, o.samples)
	for i := range wakeWarmup + o.samples {
		wake, start, err := sample()
		if err != nil {
			return err
		}
		if i >= wakeWarmup {
			lats = append(lats, wake)
			starts = append(starts, start)
		}
	}
	slices.Sort(lats)
	slices.Sort(starts)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	p99 := percentile(lats, 0.99)
	r := b.report
	r.add(phaseWake, "p50_ms", "StartExecution sent → waiting poll answered, p50", ms(percentile(lats, 0.50)), "ms")
	r.addTarget(phaseWake, "p99_ms", "StartExecution sent → waiting poll answered, p99", ms(p99), "ms",
		fmt.Sprintf("< %.0f ms", targetWakeP99*1000), p99.Seconds() < targetWakeP99)
	r.add(phaseWake, "max_ms", "StartExecution sent → waiting poll answered, max", ms(lats[len(lats)-1]), "ms")
	r.add(phaseWake, "start_p50_ms", "StartExecution sent → its own answer (durable), p50", ms(percentile(starts, 0.50)), "ms")
	r.add(phaseWake, "start_p99_ms", "StartExecution sent → its own answer (durable), p99", ms(percentile(starts, 0.99)), "ms")
	return nil
}

// SWF phases. Each registers a domain of its own on the main server.

// SWF names the bench registers in each SWF phase's domain.
const (
	swfTypeName    = "bench"
	swfTypeVersion = "1"
)

// setupSWF registers domain, with a workflow type and an activity type
// whose defaults resolve every timeout: an hour for the activity's
// timeouts (its heartbeat timeout included) and for the execution, ten
// minutes for a decision task. Task lists are given per request.
func setupSWF(ctx context.Context, ep *endpoint, domain string) error {
	cl := ep.swfCaller()
	if err := cl.callJSON(ctx, "RegisterDomain", map[string]any{
		"name": domain, "workflowExecutionRetentionPeriodInDays": "1",
	}, nil); err != nil {
		return err
	}
	if err := cl.callJSON(ctx, "RegisterWorkflowType", map[string]any{
		"domain": domain, "name": swfTypeName, "version": swfTypeVersion,
		"defaultTaskList":                     map[string]any{"name": "bench-decisions"},
		"defaultExecutionStartToCloseTimeout": "3600",
		"defaultTaskStartToCloseTimeout":      "600",
		"defaultChildPolicy":                  "TERMINATE",
	}, nil); err != nil {
		return err
	}
	return cl.callJSON(ctx, "RegisterActivityType", map[string]any{
		"domain": domain, "name": swfTypeName, "version": swfTypeVersion,
		"defaultTaskList":                   map[string]any{"name": "bench-activities"},
		"defaultTaskScheduleToStartTimeout": "3600",
		"defaultTaskScheduleToCloseTimeout": "3600",
		"defaultTaskStartToCloseTimeout":    "3600",
		"defaultTaskHeartbeatTimeout":       "3600",
	}, nil)
}

// swfLoop drives workflows of one domain one after the other on a
// decision task list and an activity task list of its own, so that each
// of its polls finds the task its previous request produced. (On shared
// task lists a loop could take another loop's task and leave its own poll
// waiting for work that only it would produce.)
type swfLoop struct {
	cl                       *caller
	domain                   string
	name                     string // names the loop's task lists and workflows
	workflows                int    // started so far
	pollDecision, pollActive []byte
}

// setupSWFLoops registers domain and its types and returns n loops on it.
func setupSWFLoops(ctx context.Context, ep *endpoint, domain string, n int) ([]*swfLoop, error) {
	if err := setupSWF(ctx, ep, domain); err != nil {
		return nil, err
	}
	loops := make([]*swfLoop, n)
	for i := range loops {
		loops[i] = newSWFLoop(ep, domain, i)
	}
	return loops, nil
}

func newSWFLoop(ep *endpoint, domain string, i int) *swfLoop {
	l := &swfLoop{cl: ep.swfCaller(), domain: domain, name: "loop" + strconv.Itoa(i)}
	l.pollDecision = mustJSON(map[string]any{
		"domain": domain, "taskList": map[string]any{"name": l.name + "-decisions"}, "identity": "bench-decider",
	})
	l.pollActive = mustJSON(map[string]any{
		"domain": domain, "taskList": map[string]any{"name": l.name + "-activities"}, "identity": "bench-worker",
	})
	return l
}

// swfExecution is a WorkflowExecution on the wire.
type swfExecution struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
}

// start starts the loop's next workflow on its decision task list.
func (l *swfLoop) start(ctx context.Context) (swfExecution, error) {
	l.workflows++
	ex := swfExecution{WorkflowID: l.name + "-" + strconv.Itoa(l.workflows)}
	var out struct{ RunID string }
	err := l.cl.callJSON(ctx, "StartWorkflowExecution", map[string]any{
		"domain":       l.domain,
		"workflowId":   ex.WorkflowID,
		"workflowType": map[string]any{"name": swfTypeName, "version": swfTypeVersion},
		"taskList":     map[string]any{"name": l.name + "-decisions"},
		"input":        `{"bench":true}`,
	}, &out)
	if err == nil && out.RunID == "" {
		err = errors.New("StartWorkflowExecution answered without a runId")
	}
	ex.RunID = out.RunID
	return ex, err
}

// decisionTask polls the loop's decision task list, which must answer a
// decision task of ex whose history holds an event of type want, and
// returns its token.
func (l *swfLoop) decisionTask(ctx context.Context, ex swfExecution, want string) (string, error) {
	type event struct{ EventType string }
	var task struct {
		TaskToken         string
		WorkflowExecution swfExecution
		NextPageToken     string
		Events            []event
	}
	if err := l.cl.callJSON(ctx, "PollForDecisionTask", l.pollDecision, &task); err != nil {
		return "", err
	}
	switch {
	case task.TaskToken == "":
		return "", fmt.Errorf("PollForDecisionTask returned no task within %v although %s has one", serverPollWait, ex.WorkflowID)
	case task.WorkflowExecution != ex:
		return "", fmt.Errorf("PollForDecisionTask on %s's task list returned a task of %v", ex.WorkflowID, task.WorkflowExecution)
	case task.NextPageToken != "":
		return "", fmt.Errorf("PollForDecisionTask paged a history of %d events", len(task.Events))
	case !slices.Contains(task.Events, event{want}):
		return "", fmt.Errorf("the decision task of %s has no %s event: %+v", ex.WorkflowID, want, task.Events)
	}
	return task.TaskToken, nil
}

// decide answers a decision task with one decision.
func (l *swfLoop) decide(ctx context.Context, token string, decision map[string]any) error {
	_, err := l.cl.call(ctx, "RespondDecisionTaskCompleted", mustJSON(map[string]any{
		"taskToken": token, "decisions": []any{decision},
	}))
	return err
}

// scheduleActivity is the decision that schedules the bench's activity
// on the loop's activity task list.
func (l *swfLoop) scheduleActivity() map[string]any {
	return map[string]any{
		"decisionType": "ScheduleActivityTask",
		"scheduleActivityTaskDecisionAttributes": map[string]any{
			"activityType": map[string]any{"name": swfTypeName, "version": swfTypeVersion},
			"activityId":   "work",
			"taskList":     map[string]any{"name": l.name + "-activities"},
			"input":        `{"bench":true}`,
		},
	}
}

var swfCompleteWorkflow = map[string]any{
	"decisionType": "CompleteWorkflowExecution",
	"completeWorkflowExecutionDecisionAttributes": map[string]any{"result": `{"done":true}`},
}

func swfStartTimer(id string) map[string]any {
	return map[string]any{
		"decisionType":                 "StartTimer",
		"startTimerDecisionAttributes": map[string]any{"timerId": id, "startToFireTimeout": "0"},
	}
}

// activityTask polls the loop's activity task list, which must answer an
// activity task of ex, and returns its token.
func (l *swfLoop) activityTask(ctx context.Context, ex swfExecution) (string, error) {
	var task struct {
		TaskToken         string
		WorkflowExecution swfExecution
	}
	if err := l.cl.callJSON(ctx, "PollForActivityTask", l.pollActive, &task); err != nil {
		return "", err
	}
	switch {
	case task.TaskToken == "":
		return "", fmt.Errorf("PollForActivityTask returned no task within %v although %s scheduled one", serverPollWait, ex.WorkflowID)
	case task.WorkflowExecution != ex:
		return "", fmt.Errorf("PollForActivityTask on %s's task list returned a task of %v", ex.WorkflowID, task.WorkflowExecution)
	}
	return task.TaskToken, nil
}

// heartbeat sends RecordActivityTaskHeartbeat, which must not ask to
// cancel.
func (l *swfLoop) heartbeat(ctx context.Context, token string) error {
	var out struct{ CancelRequested *bool }
	if err := l.cl.callJSON(ctx, "RecordActivityTaskHeartbeat", mustJSON(map[string]any{"taskToken": token}), &out); err != nil {
		return err
	}
	if out.CancelRequested == nil || *out.CancelRequested {
		return fmt.Errorf("RecordActivityTaskHeartbeat answered cancelRequested %v, want false", out.CancelRequested)
	}
	return nil
}

// waitCompleted checks that ex has closed as COMPLETED, waiting up to five
// seconds for it to close.
func waitCompleted(ctx context.Context, cl *caller, domain string, ex swfExecution) error {
	deadline := time.Now().Add(5 * time.Second)
	var out struct {
		ExecutionInfo struct{ ExecutionStatus, CloseStatus string }
	}
	for {
		if err := cl.callJSON(ctx, "DescribeWorkflowExecution", map[string]any{"domain": domain, "execution": ex}, &out); err != nil {
			return err
		}
		info := out.ExecutionInfo
		if info.ExecutionStatus == "CLOSED" && info.CloseStatus == "COMPLETED" {
			return nil
		}
		if info.ExecutionStatus != "OPEN" || time.Now().After(deadline) {
			return fmt.Errorf("workflow %s is %s %s after its completion, want CLOSED COMPLETED", ex.WorkflowID, info.ExecutionStatus, info.CloseStatus)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// runLoops runs loop(ctx, i, deadline) in n goroutines, each until it
// returns (the loops stop starting work at deadline = now + d, and finish
// what they started), and returns the time until the last one returned
// and the CPU time the server and the bench used meanwhile. The first
// error stops every loop.
func runLoops(ctx context.Context, ep *endpoint, n int, d time.Duration, loop func(ctx context.Context, i int, deadline time.Time) error) (elapsed, cpu, clientCPU time.Duration, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	cpu0, err := ep.proc.cpuTime()
	if err != nil {
		return 0, 0, 0, err
	}
	own0 := ownCPUTime()
	start := time.Now()
	deadline := start.Add(d)
	for i := range n {
		wg.Go(func() {
			if err := loop(ctx, i, deadline); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	elapsed = time.Since(start)
	own1 := ownCPUTime()
	cpu1, err := ep.proc.cpuTime()
	if err != nil {
		return 0, 0, 0, err
	}
	if err := context.Cause(ctx); err != nil {
		return 0, 0, 0, err
	}
	return elapsed, cpu1 - cpu0, own1 - own0, nil
}

// Phase swf-heartbeat: RecordActivityTaskHeartbeat against the bare
// handler.

func (b *bench) swfHeartbeat(ctx context.Context, gaffer *endpoint) (err error) {
	o := b.opts
	bareSrv, err := b.startBare(ctx, false)
	if err != nil {
		return err
	}
	defer func() {
		if serr := bareSrv.stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	bare := &endpoint{url: bareSrv.url, client: b.client, proc: bareSrv}

	// A real activity token: a workflow whose decider schedules one
	// activity, polled by a worker.
	const domain = "bench-heartbeat"
	if err := setupSWF(ctx, gaffer, domain); err != nil {
		return err
	}
	l := newSWFLoop(gaffer, domain, 0)
	ex, err := l.start(ctx)
	if err != nil {
		return err
	}
	token, err := l.decisionTask(ctx, ex, "WorkflowExecutionStarted")
	if err != nil {
		return err
	}
	if err := l.decide(ctx, token, l.scheduleActivity()); err != nil {
		return err
	}
	if token, err = l.activityTask(ctx, ex); err != nil {
		return err
	}
	body := mustJSON(map[string]any{"taskToken": token})

	b.progress("%s: bare handler, %d clients, %v", phaseSWFHeartbeat, o.clients, o.duration)
	bareRate, bareCPU, bareClientCPU, err := hammer(ctx, bare, swfDialect, o.clients, o.duration, "RecordActivityTaskHeartbeat", body)
	if err != nil {
		return fmt.Errorf("bare handler: %w", err)
	}
	b.progress("%s: gaffer RecordActivityTaskHeartbeat, %d clients, %v", phaseSWFHeartbeat, o.clients, o.duration)
	gafferRate, gafferCPU, gafferClientCPU, err := hammer(ctx, gaffer, swfDialect, o.clients, o.duration, "RecordActivityTaskHeartbeat", body)
	if err != nil {
		return err
	}
	if err := l.heartbeat(ctx, token); err != nil { // still the task's holder
		return err
	}
	ratio := gafferRate / bareRate
	r := b.report
	r.add(phaseSWFHeartbeat, "bare_rps", fmt.Sprintf("bare net/http handler, %d clients", o.clients), bareRate, "req/s")
	r.add(phaseSWFHeartbeat, "gaffer_rps", fmt.Sprintf("gaffer RecordActivityTaskHeartbeat, %d clients", o.clients), gafferRate, "req/s")
	r.addTarget(phaseSWFHeartbeat, "ratio", "gaffer ÷ bare handler", 100*ratio, "%",
		fmt.Sprintf(">= %.0f %%", 100*targetHeartbeatRatio), ratio >= targetHeartbeatRatio)
	r.add(phaseSWFHeartbeat, "bare_cpu_us", "bare handler server CPU per request", micros(bareCPU), "µs")
	r.add(phaseSWFHeartbeat, "gaffer_cpu_us", "gaffer server CPU per heartbeat", micros(gafferCPU), "µs")
	r.add(phaseSWFHeartbeat, "client_cpu_us", "bench client CPU per request (mean of both runs)", micros((bareClientCPU+gafferClientCPU)/2), "µs")
	return nil
}

// Phase swf-activity: the whole life of a workflow with one activity.

// swfActivitySteps are the requests of one workflow in the swf-activity
// phase, in order, with the metric of their mean answer time.
var swfActivitySteps = []struct{ metric, desc string }{
	{"start_ms", "StartWorkflowExecution"},
	{"poll_decision_ms", "PollForDecisionTask (first decision task)"},
	{"schedule_ms", "RespondDecisionTaskCompleted (ScheduleActivityTask)"},
	{"poll_activity_ms", "PollForActivityTask"},
	{"heartbeat_ms", "RecordActivityTaskHeartbeat"},
	{"complete_activity_ms", "RespondActivityTaskCompleted"},
	{"poll_decision2_ms", "PollForDecisionTask (second decision task)"},
	{"complete_workflow_ms", "RespondDecisionTaskCompleted (CompleteWorkflowExecution)"},
}

func (b *bench) swfActivity(ctx context.Context, gaffer *endpoint) error {
	o := b.opts
	const domain = "bench-activity"
	loops, err := setupSWFLoops(ctx, gaffer, domain, o.workers)
	if err != nil {
		return err
	}
	// What one loop did: workflows completed, the last one, and the sum
	// of the answer times of each step (swfActivitySteps).
	type loopResult struct {
		completed int64
		last      swfExecution
		steps     []time.Duration
	}
	round := func(d time.Duration) (results []loopResult, elapsed, cpu, clientCPU time.Duration, err error) {
		results = make([]loopResult, o.workers)
		for i := range results {
			results[i].steps = make([]time.Duration, len(swfActivitySteps))
		}
		elapsed, cpu, clientCPU, err = runLoops(ctx, gaffer, o.workers, d, func(ctx context.Context, i int, deadline time.Time) error {
			l, res := loops[i], &results[i]
			// The requests of one workflow, in the order of swfActivitySteps.
			var ex swfExecution
			var decision, activity string
			steps := []func() error{
				func() (err error) { ex, err = l.start(ctx); return err },
				func() (err error) { decision, err = l.decisionTask(ctx, ex, "WorkflowExecutionStarted"); return err },
				func() error { return l.decide(ctx, decision, l.scheduleActivity()) },
				func() (err error) { activity, err = l.activityTask(ctx, ex); return err },
				func() error { return l.heartbeat(ctx, activity) },
				func() error {
					_, err := l.cl.call(ctx, "RespondActivityTaskCompleted", mustJSON(map[string]any{"taskToken": activity, "result": `{"done":true}`}))
					return err
				},
				func() (err error) { decision, err = l.decisionTask(ctx, ex, "ActivityTaskCompleted"); return err },
				func() error { return l.decide(ctx, decision, swfCompleteWorkflow) },
			}
			for time.Now().Before(deadline) {
				for k, step := range steps {
					t0 := time.Now()
					err := step()
					res.steps[k] += time.Since(t0)
					if err != nil {
						return err
					}
				}
				res.completed++
				res.last = ex
			}
			return nil
		})
		return results, elapsed, cpu, clientCPU, err
	}
	b.progress("%s: %d loops, %v", phaseSWFActivity, o.workers, o.duration)
	if _, _, _, _, err := round(min(o.duration/5, time.Second)); err != nil {
		return err
	}
	results, elapsed, cpu, clientCPU, err := round(o.duration)
	if err != nil {
		return err
	}
	var completed int64
	steps := make([]time.Duration, len(swfActivitySteps))
	cl := gaffer.swfCaller()
	for _, res := range results {
		completed += res.completed
		for i, d := range res.steps {
			steps[i] += d
		}
		if res.completed > 0 {
			if err := waitCompleted(ctx, cl, domain, res.last); err != nil {
				return err
			}
		}
	}
	rate := float64(completed) / elapsed.Seconds()
	per := time.Duration(max(completed, 1))
	r := b.report
	r.add(phaseSWFActivity, "workflows", "workflows completed (CompleteWorkflowExecution answered 200)", float64(completed), "")
	r.addTarget(phaseSWFActivity, "workflows_per_s", fmt.Sprintf("Start→Decide→Poll→Heartbeat→Complete→Decide, %d loops", o.workers), rate, "wf/s",
		fmt.Sprintf(">= %d wf/s", targetCycleRate), rate >= targetCycleRate)
	r.add(phaseSWFActivity, "cpu_us", "gaffer server CPU per workflow (8 requests)", micros(cpu/per), "µs")
	r.add(phaseSWFActivity, "client_cpu_us", "bench client CPU per workflow", micros(clientCPU/per), "µs")
	for i, s := range swfActivitySteps {
		r.add(phaseSWFActivity, s.metric, "mean answer time: "+s.desc, float64(steps[i]/per)/float64(time.Millisecond), "ms")
	}
	return nil
}

// Phase swf-decision: a decision task answered → the next decision task.

func (b *bench) swfDecision(ctx context.Context, gaffer *endpoint) error {
	o := b.opts
	const domain = "bench-decision"
	loops, err := setupSWFLoops(ctx, gaffer, domain, o.workers)
	if err != nil {
		return err
	}
	type loopResult struct {
		decisions int64
		last      swfExecution
		trips     []time.Duration // StartTimer sent → next decision task received
	}
	// Each loop starts a workflow, answers its first swfDecisionTimers
	// decision tasks with a timer that fires at once (TimerFired schedules
	// the next decision task) and the last one with
	// CompleteWorkflowExecution, then starts the next workflow.
	round := func(d time.Duration) (results []loopResult, elapsed, cpu, clientCPU time.Duration, err error) {
		results = make([]loopResult, o.workers)
		elapsed, cpu, clientCPU, err = runLoops(ctx, gaffer, o.workers, d, func(ctx context.Context, i int, deadline time.Time) error {
			l, res := loops[i], &results[i]
			for time.Now().Before(deadline) {
				ex, err := l.start(ctx)
				if err != nil {
					return err
				}
				token, err := l.decisionTask(ctx, ex, "WorkflowExecutionStarted")
				if err != nil {
					return err
				}
				for k := range swfDecisionTimers {
					t0 := time.Now()
					if err := l.decide(ctx, token, swfStartTimer("t"+strconv.Itoa(k))); err != nil {
						return err
					}
					res.decisions++
					if token, err = l.decisionTask(ctx, ex, "TimerFired"); err != nil {
						return err
					}
					res.trips = append(res.trips, time.Since(t0))
				}
				if err := l.decide(ctx, token, swfCompleteWorkflow); err != nil {
					return err
				}
				res.decisions++
				res.last = ex
			}
			return nil
		})
		return results, elapsed, cpu, clientCPU, err
	}
	b.progress("%s: %d loops, %d timers per workflow, %v", phaseSWFDecision, o.workers, swfDecisionTimers, o.duration)
	if _, _, _, _, err := round(min(o.duration/5, time.Second)); err != nil {
		return err
	}
	results, elapsed, cpu, clientCPU, err := round(o.duration)
	if err != nil {
		return err
	}
	var decisions int64
	var trips []time.Duration
	cl := gaffer.swfCaller()
	for _, res := range results {
		decisions += res.decisions
		trips = append(trips, res.trips...)
		if res.decisions > 0 {
			if err := waitCompleted(ctx, cl, domain, res.last); err != nil {
				return err
			}
		}
	}
	if len(trips) == 0 {
		return errors.New("no decision round trip completed")
	}
	slices.Sort(trips)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	rate := float64(decisions) / elapsed.Seconds()
	per := time.Duration(max(decisions, 1))
	r := b.report
	r.add(phaseSWFDecision, "decisions", "decision tasks answered (RespondDecisionTaskCompleted answered 200)", float64(decisions), "")
	r.addTarget(phaseSWFDecision, "decisions_per_s", fmt.Sprintf("decision tasks answered, %d loops, %d timers + 1 completion per workflow", o.workers, swfDecisionTimers), rate, "dec/s",
		fmt.Sprintf(">= %d dec/s", targetCycleRate), rate >= targetCycleRate)
	r.add(phaseSWFDecision, "round_trip_p50_ms", "StartTimer(0) answer sent → next decision task received, p50", ms(percentile(trips, 0.50)), "ms")
	r.add(phaseSWFDecision, "round_trip_p99_ms", "StartTimer(0) answer sent → next decision task received, p99", ms(percentile(trips, 0.99)), "ms")
	r.add(phaseSWFDecision, "cpu_us", "gaffer server CPU per decision task", micros(cpu/per), "µs")
	r.add(phaseSWFDecision, "client_cpu_us", "bench client CPU per decision task", micros(clientCPU/per), "µs")
	return nil
}

// Data Pipeline phases. Each creates pipelines of its own on the main
// server, in worker groups of its own.

// dpObject is a pipeline object on the wire; a field has a stringValue or
// a refValue.
type dpObject struct {
	ID     string    `json:"id"`
	Name   string    `json:"name"`
	Fields []dpField `json:"fields"`
}

type dpField struct {
	Key         string `json:"key"`
	StringValue string `json:"stringValue,omitempty"`
	RefValue    string `json:"refValue,omitempty"`
}

// dpTaskObject is the part of a PollForTask answer the bench checks.
type dpTaskObject struct {
	TaskID     string `json:"taskId"`
	PipelineID string `json:"pipelineId"`
	AttemptID  string `json:"attemptId"`
}

// setupPipeline creates an on-demand pipeline named name whose Default
// object puts it in workerGroup, defines it with n ShellCommandActivity
// objects without dependencies (every one of them is ready as soon as the
// pipeline is activated), and returns its id. It does not activate it.
//
// The activities' ids start with name: gaffer's instance ids are
// "@<componentId>_<activation second>", unique in the store only across
// pipelines whose component ids differ (see docs/performance.md, Data
// Pipeline).
func setupPipeline(ctx context.Context, cl *caller, name, workerGroup string, n int) (string, error) {
	var created struct {
		PipelineID string `json:"pipelineId"`
	}
	if err := cl.callJSON(ctx, "CreatePipeline", map[string]any{"name": name, "uniqueId": name}, &created); err != nil {
		return "", err
	}
	if created.PipelineID == "" {
		return "", errors.New("CreatePipeline answered without a pipelineId")
	}
	objs := []dpObject{{ID: "Default", Name: "Default", Fields: []dpField{
		{Key: "scheduleType", StringValue: "ondemand"},
		{Key: "workerGroup", StringValue: workerGroup},
	}}}
	for i := range n {
		id := name + "-work" + strconv.Itoa(i)
		objs = append(objs, dpObject{ID: id, Name: id, Fields: []dpField{
			{Key: "type", StringValue: "ShellCommandActivity"},
			{Key: "command", StringValue: "true"},
			{Key: "parent", RefValue: "Default"},
		}})
	}
	var put struct {
		Errored          bool            `json:"errored"`
		ValidationErrors json.RawMessage `json:"validationErrors"`
	}
	if err := cl.callJSON(ctx, "PutPipelineDefinition", map[string]any{"pipelineId": created.PipelineID, "pipelineObjects": objs}, &put); err != nil {
		return "", err
	}
	if put.Errored {
		return "", fmt.Errorf("PutPipelineDefinition rejected the bench's definition: %s", put.ValidationErrors)
	}
	return created.PipelineID, nil
}

// dpLoop is one task runner of the dp-task phase: a worker group and a
// pipeline of its own, so that each of its polls finds a task of its own
// pipeline (on a shared worker group a runner could be left waiting while
// another runner's re-activation is pending).
type dpLoop struct {
	cl         *caller
	pipelineID string
	poll       []byte
	activate   []byte
	left       int           // tasks of the current run not yet handed out
	runs       int           // activations
	activating time.Duration // answer times of every activation, summed
}

func newDPLoop(ctx context.Context, ep *endpoint, i int) (*dpLoop, error) {
	l := &dpLoop{cl: ep.dpCaller()}
	wg := "bench-dp-task-" + strconv.Itoa(i)
	id, err := setupPipeline(ctx, l.cl, wg, wg, dpActivities)
	if err != nil {
		return nil, err
	}
	l.pipelineID = id
	l.poll = mustJSON(map[string]any{"workerGroup": wg, "hostname": "bench-runner-" + strconv.Itoa(i)})
	l.activate = mustJSON(map[string]any{"pipelineId": id})
	return l, nil
}

// activateRun activates the loop's pipeline: a new run of dpActivities
// tasks, once the previous run is over.
func (l *dpLoop) activateRun(ctx context.Context) error {
	t0 := time.Now()
	if _, err := l.cl.call(ctx, "ActivatePipeline", l.activate); err != nil {
		return err
	}
	l.activating += time.Since(t0)
	l.runs++
	l.left = dpActivities
	return nil
}

// pollTask polls the loop's worker group, which must answer a task of
// its pipeline.
func (l *dpLoop) pollTask(ctx context.Context) (string, error) {
	var out struct {
		TaskObject *dpTaskObject `json:"taskObject"`
	}
	if err := l.cl.callJSON(ctx, "PollForTask", l.poll, &out); err != nil {
		return "", err
	}
	switch t := out.TaskObject; {
	case t == nil || t.TaskID == "":
		return "", fmt.Errorf("PollForTask returned no task within %v although pipeline %s has %d waiting (run %d)", serverPollWait, l.pipelineID, l.left, l.runs)
	case t.PipelineID != l.pipelineID:
		return "", fmt.Errorf("PollForTask on %s's worker group returned a task of %s", l.pipelineID, t.PipelineID)
	case t.AttemptID == "":
		return "", errors.New("PollForTask answered a task without an attemptId")
	}
	l.left--
	return out.TaskObject.TaskID, nil
}

// progress sends ReportTaskProgress, which must not ask to cancel.
func dpProgress(ctx context.Context, cl *caller, body []byte) error {
	var out struct {
		Canceled *bool `json:"canceled"`
	}
	if err := cl.callJSON(ctx, "ReportTaskProgress", body, &out); err != nil {
		return err
	}
	if out.Canceled == nil || *out.Canceled {
		return fmt.Errorf("ReportTaskProgress answered canceled %v, want false", out.Canceled)
	}
	return nil
}

// dpFinish sends SetTaskStatus FINISHED.
func dpFinish(ctx context.Context, cl *caller, taskID string) error {
	_, err := cl.call(ctx, "SetTaskStatus", mustJSON(map[string]any{"taskId": taskID, "taskStatus": "FINISHED"}))
	return err
}

// waitPipelineFinished checks that pipeline id's run ended FINISHED with
// every instance FINISHED, waiting up to five seconds.
func waitPipelineFinished(ctx context.Context, cl *caller, id string) error {
	deadline := time.Now().Add(5 * time.Second)
	var out struct {
		PipelineDescriptionList []struct {
			Fields []dpField `json:"fields"`
		} `json:"pipelineDescriptionList"`
	}
	for {
		if err := cl.callJSON(ctx, "DescribePipelines", map[string]any{"pipelineIds": []string{id}}, &out); err != nil {
			return err
		}
		state := ""
		if len(out.PipelineDescriptionList) == 1 {
			for _, f := range out.PipelineDescriptionList[0].Fields {
				if f.Key == "@pipelineState" {
					state = f.StringValue
				}
			}
		}
		if state == "FINISHED" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pipeline %s is %q after all its tasks finished, want FINISHED", id, state)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Phase dp-heartbeat: ReportTaskProgress on an acknowledged task against
// the bare handler.

func (b *bench) dpHeartbeat(ctx context.Context, gaffer *endpoint) (err error) {
	o := b.opts
	bareSrv, err := b.startBare(ctx, false)
	if err != nil {
		return err
	}
	defer func() {
		if serr := bareSrv.stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	bare := &endpoint{url: bareSrv.url, client: b.client, proc: bareSrv}

	// A real, acknowledged task: a one-activity pipeline, activated,
	// polled, and acknowledged by a first ReportTaskProgress (the one that
	// writes).
	cl := gaffer.dpCaller()
	const wg = "bench-dp-heartbeat"
	id, err := setupPipeline(ctx, cl, wg, wg, 1)
	if err != nil {
		return err
	}
	if _, err := cl.call(ctx, "ActivatePipeline", mustJSON(map[string]any{"pipelineId": id})); err != nil {
		return err
	}
	l := &dpLoop{cl: cl, pipelineID: id, poll: mustJSON(map[string]any{"workerGroup": wg, "hostname": "bench-runner"}), left: 1, runs: 1}
	taskID, err := l.pollTask(ctx)
	if err != nil {
		return err
	}
	body := mustJSON(map[string]any{"taskId": taskID})
	if err := dpProgress(ctx, cl, body); err != nil {
		return err
	}

	b.progress("%s: bare handler, %d clients, %v", phaseDPHeartbeat, o.clients, o.duration)
	bareRate, bareCPU, bareClientCPU, err := hammer(ctx, bare, dpDialect, o.clients, o.duration, "ReportTaskProgress", body)
	if err != nil {
		return fmt.Errorf("bare handler: %w", err)
	}
	b.progress("%s: gaffer ReportTaskProgress, %d clients, %v", phaseDPHeartbeat, o.clients, o.duration)
	gafferRate, gafferCPU, gafferClientCPU, err := hammer(ctx, gaffer, dpDialect, o.clients, o.duration, "ReportTaskProgress", body)
	if err != nil {
		return err
	}
	// Still the task's holder, and the task still ends normally.
	if err := dpProgress(ctx, cl, body); err != nil {
		return err
	}
	if err := dpFinish(ctx, cl, taskID); err != nil {
		return err
	}
	if err := waitPipelineFinished(ctx, cl, id); err != nil {
		return err
	}
	ratio := gafferRate / bareRate
	r := b.report
	r.add(phaseDPHeartbeat, "bare_rps", fmt.Sprintf("bare net/http handler, %d clients", o.clients), bareRate, "req/s")
	r.add(phaseDPHeartbeat, "gaffer_rps", fmt.Sprintf("gaffer ReportTaskProgress (acknowledged task), %d clients", o.clients), gafferRate, "req/s")
	r.addTarget(phaseDPHeartbeat, "ratio", "gaffer ÷ bare handler", 100*ratio, "%",
		fmt.Sprintf(">= %.0f %%", 100*targetHeartbeatRatio), ratio >= targetHeartbeatRatio)
	r.add(phaseDPHeartbeat, "bare_cpu_us", "bare handler server CPU per request", micros(bareCPU), "µs")
	r.add(phaseDPHeartbeat, "gaffer_cpu_us", "gaffer server CPU per ReportTaskProgress", micros(gafferCPU), "µs")
	r.add(phaseDPHeartbeat, "client_cpu_us", "bench client CPU per request (mean of both runs)", micros((bareClientCPU+gafferClientCPU)/2), "µs")
	return nil
}

// Phase dp-task: the task runner's round trip, PollForTask →
// ReportTaskProgress → SetTaskStatus FINISHED.

func (b *bench) dpTask(ctx context.Context, gaffer *endpoint) error {
	o := b.opts
	b.progress("%s: creating %d pipelines of %d activities", phaseDPTask, o.workers, dpActivities)
	loops := make([]*dpLoop, o.workers)
	for i := range loops {
		l, err := newDPLoop(ctx, gaffer, i)
		if err != nil {
			return err
		}
		loops[i] = l
	}
	// What one loop did in a round: tasks finished, activations and the
	// time spent in them, the sum of each step's answer times, and each
	// round trip's time.
	type loopResult struct {
		tasks       int64
		activations int64
		activating  time.Duration
		steps       [3]time.Duration // poll, progress, finish
		trips       []time.Duration
	}
	// Each loop runs its tasks one after the other. A loop whose run is
	// exhausted re-activates its pipeline (timed apart, see below); before
	// the measured round every loop has a run with tasks left, activated
	// by the warm-up round or here.
	round := func(d time.Duration) (results []loopResult, elapsed, cpu, clientCPU time.Duration, err error) {
		results = make([]loopResult, o.workers)
		elapsed, cpu, clientCPU, err = runLoops(ctx, gaffer, o.workers, d, func(ctx context.Context, i int, deadline time.Time) error {
			l, res := loops[i], &results[i]
			for time.Now().Before(deadline) {
				if l.left == 0 {
					t0 := time.Now()
					if err := l.activateRun(ctx); err != nil {
						return err
					}
					res.activating += time.Since(t0)
					res.activations++
				}
				t0 := time.Now()
				taskID, err := l.pollTask(ctx)
				if err != nil {
					return err
				}
				t1 := time.Now()
				if err := dpProgress(ctx, l.cl, mustJSON(map[string]any{"taskId": taskID})); err != nil {
					return err
				}
				t2 := time.Now()
				if err := dpFinish(ctx, l.cl, taskID); err != nil {
					return err
				}
				t3 := time.Now()
				res.steps[0] += t1.Sub(t0)
				res.steps[1] += t2.Sub(t1)
				res.steps[2] += t3.Sub(t2)
				res.trips = append(res.trips, t3.Sub(t0))
				res.tasks++
			}
			return nil
		})
		return results, elapsed, cpu, clientCPU, err
	}
	b.progress("%s: activating %d pipelines", phaseDPTask, o.workers)
	for _, l := range loops {
		if err := l.activateRun(ctx); err != nil {
			return err
		}
	}
	b.progress("%s: %d runners, %v", phaseDPTask, o.workers, o.duration)
	if _, _, _, _, err := round(min(o.duration/5, time.Second)); err != nil {
		return err
	}
	// Top up every loop whose run is nearly exhausted, so that the
	// measured round starts with work activated outside it.
	for _, l := range loops {
		if l.left == 0 {
			if err := l.activateRun(ctx); err != nil {
				return err
			}
		}
	}
	results, elapsed, cpu, clientCPU, err := round(o.duration)
	if err != nil {
		return err
	}
	var tasks, activations int64
	var activating time.Duration
	var steps [3]time.Duration
	var trips []time.Duration
	var busy float64 // Σ tasks_i / (elapsed - activating_i)
	for _, res := range results {
		tasks += res.tasks
		activations += res.activations
		activating += res.activating
		for k := range steps {
			steps[k] += res.steps[k]
		}
		trips = append(trips, res.trips...)
		if w := (elapsed - res.activating).Seconds(); w > 0 {
			busy += float64(res.tasks) / w
		}
	}
	if len(trips) == 0 {
		return errors.New("no task round trip completed")
	}
	// Drain: finish what is left of every run, so that every pipeline must
	// end FINISHED (each task was set FINISHED and nothing was lost).
	cl := gaffer.dpCaller()
	for _, l := range loops {
		for l.left > 0 {
			taskID, err := l.pollTask(ctx)
			if err != nil {
				return err
			}
			if err := dpProgress(ctx, l.cl, mustJSON(map[string]any{"taskId": taskID})); err != nil {
				return err
			}
			if err := dpFinish(ctx, l.cl, taskID); err != nil {
				return err
			}
		}
		if err := waitPipelineFinished(ctx, cl, l.pipelineID); err != nil {
			return err
		}
	}
	slices.Sort(trips)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	per := time.Duration(max(tasks, 1))
	wall := float64(tasks) / elapsed.Seconds()
	r := b.report
	r.add(phaseDPTask, "tasks", "tasks finished (SetTaskStatus FINISHED answered 200)", float64(tasks), "")
	r.addTarget(phaseDPTask, "tasks_per_s", fmt.Sprintf("Poll→Progress→SetTaskStatus, %d runners, activation time excluded", o.workers), busy, "tasks/s",
		fmt.Sprintf(">= %d tasks/s", targetCycleRate), busy >= targetCycleRate)
	r.add(phaseDPTask, "tasks_per_s_wall", "the same over the whole round, re-activations included", wall, "tasks/s")
	r.add(phaseDPTask, "round_trip_p50_ms", "PollForTask sent → SetTaskStatus answered, p50", ms(percentile(trips, 0.50)), "ms")
	r.add(phaseDPTask, "round_trip_p99_ms", "PollForTask sent → SetTaskStatus answered, p99", ms(percentile(trips, 0.99)), "ms")
	r.add(phaseDPTask, "poll_ms", "mean answer time: PollForTask", ms(steps[0]/per), "ms")
	r.add(phaseDPTask, "progress_ms", "mean answer time: ReportTaskProgress (first: acknowledges, writes)", ms(steps[1]/per), "ms")
	r.add(phaseDPTask, "finish_ms", "mean answer time: SetTaskStatus FINISHED", ms(steps[2]/per), "ms")
	r.add(phaseDPTask, "activations", fmt.Sprintf("re-activations during the measured round (%d tasks each)", dpActivities), float64(activations), "")
	var runs int
	var allActivating time.Duration
	for _, l := range loops {
		runs += l.runs
		allActivating += l.activating
	}
	r.add(phaseDPTask, "activate_ms", fmt.Sprintf("mean answer time: ActivatePipeline (a new run of %d tasks), all %d of the phase", dpActivities, runs), ms(allActivating/time.Duration(max(runs, 1))), "ms")
	r.add(phaseDPTask, "cpu_us", "gaffer server CPU per task (3 requests; activations included)", micros(cpu/per), "µs")
	r.add(phaseDPTask, "client_cpu_us", "bench client CPU per task", micros(clientCPU/per), "µs")
	return nil
}

// measureSync appends 4 KiB to a file in dir and fdatasyncs it n times,
// as a WAL commit does, and returns the sorted latencies.
func measureSync(dir string, n int) ([]time.Duration, error) {
	f, err := os.Create(filepath.Join(dir, "sync-probe"))
	if err != nil {
		return nil, fmt.Errorf("time disk syncs: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	page := make([]byte, 4096)
	lats := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		if _, err := f.Write(page); err != nil {
			return nil, fmt.Errorf("time disk syncs: %w", err)
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return nil, fmt.Errorf("time disk syncs: %w", err)
		}
		lats = append(lats, time.Since(start))
	}
	slices.Sort(lats)
	return lats, nil
}

// percentile returns the q-quantile of sorted by the nearest-rank method.
func percentile(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// Phase 4: memory held by idle long polls.

// idleMemory is what a server holds for idle requests.
type idleMemory struct {
	rssBefore, rssAfter     int64
	statsBefore, statsAfter debugStats
}

func (b *bench) runMemory(ctx context.Context) error {
	o := b.opts
	if err := raiseFileLimit(uint64(o.polls) + 256); err != nil {
		return err
	}
	gaffer, err := b.memoryGaffer(ctx)
	if err != nil {
		return err
	}
	bare, err := b.memoryBare(ctx)
	if err != nil {
		return fmt.Errorf("bare handler: %w", err)
	}
	n := float64(o.polls)
	perPoll := float64(gaffer.rssAfter-gaffer.rssBefore) / n
	delta := func(after, before uint64) float64 { return (float64(after) - float64(before)) / n / 1024 }
	r := b.report
	r.add(phaseMemory, "rss_before_mib", "gaffer server RSS before the polls", float64(gaffer.rssBefore)/(1<<20), "MiB")
	r.add(phaseMemory, "rss_after_mib", fmt.Sprintf("gaffer server RSS with %d idle polls", o.polls), float64(gaffer.rssAfter)/(1<<20), "MiB")
	r.addTarget(phaseMemory, "kib_per_poll", "gaffer RSS growth per idle long poll", perPoll/1024, "KiB",
		fmt.Sprintf("< %d KiB", targetPollBytes>>10), perPoll < targetPollBytes)
	r.add(phaseMemory, "stack_kib_per_poll", "of which goroutine stacks (Go StackInuse)", delta(gaffer.statsAfter.StackInuse, gaffer.statsBefore.StackInuse), "KiB")
	r.add(phaseMemory, "heap_kib_per_poll", "of which heap in use (Go HeapInuse, garbage included)", delta(gaffer.statsAfter.HeapInuse, gaffer.statsBefore.HeapInuse), "KiB")
	r.add(phaseMemory, "goroutines_per_poll", "gaffer goroutines per idle poll", float64(gaffer.statsAfter.Goroutines-gaffer.statsBefore.Goroutines)/n, "")
	r.add(phaseMemory, "bare_kib_per_request", "bare net/http handler: RSS growth per request held open", float64(bare.rssAfter-bare.rssBefore)/n/1024, "KiB")
	r.add(phaseMemory, "bare_stack_kib_per_request", "of which goroutine stacks (Go StackInuse)", delta(bare.statsAfter.StackInuse, bare.statsBefore.StackInuse), "KiB")
	r.add(phaseMemory, "bare_heap_kib_per_request", "of which heap in use (Go HeapInuse, garbage included)", delta(bare.statsAfter.HeapInuse, bare.statsBefore.HeapInuse), "KiB")
	r.add(phaseMemory, "bare_goroutines_per_request", "bare net/http handler: goroutines per request held open", float64(bare.statsAfter.Goroutines-bare.statsBefore.Goroutines)/n, "")
	return nil
}

// memoryGaffer holds idle GetActivityTask polls open against a fresh
// gaffer server whose polls wait up to a minute.
func (b *bench) memoryGaffer(ctx context.Context) (m idleMemory, err error) {
	srv, err := b.startGaffer(ctx, "memory", memoryPollWait, "", true)
	if err != nil {
		return m, err
	}
	defer func() {
		if serr := srv.stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	// The setup request closes its connection, so that every connection
	// the server holds during the measurement is an idle poll.
	setup := &endpoint{url: srv.url, client: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}}
	var act struct{ ActivityArn string }
	if err := setup.caller().callJSON(ctx, "CreateActivity", map[string]any{"name": "bench-idle"}, &act); err != nil {
		return m, err
	}
	body := mustJSON(map[string]any{"activityArn": act.ActivityArn, "workerName": "bench"})
	return b.holdIdle(ctx, srv, "gaffer", body, b.opts.memprofile)
}

// memoryBare holds the same requests open against a fresh bare handler,
// which answers GetActivityTask only when the client goes away: the floor
// of an idle request in net/http.
func (b *bench) memoryBare(ctx context.Context) (m idleMemory, err error) {
	srv, err := b.startBare(ctx, true)
	if err != nil {
		return m, err
	}
	defer func() {
		if serr := srv.stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	body := mustJSON(map[string]any{"activityArn": "arn:aws:states:us-east-1:000000000000:activity:bench-idle", "workerName": "bench"})
	return b.holdIdle(ctx, srv, "bare handler", body, "")
}

// holdIdle opens -polls GetActivityTask requests, each on its own
// connection, waits until the server holds them all and its RSS has
// settled, and returns the server's memory before and after. With
// heapProfile set it saves the server's heap profile taken then.
func (b *bench) holdIdle(ctx context.Context, srv *proc, label string, body []byte, heapProfile string) (m idleMemory, err error) {
	o := b.opts
	b.progress("memory: %s: waiting for the server's RSS to settle", label)
	if m.rssBefore, err = srv.settledRSS(ctx); err != nil {
		return m, err
	}
	baseFDs, err := srv.openFiles()
	if err != nil {
		return m, err
	}
	if m.statsBefore, err = srv.memStats(ctx); err != nil {
		return m, err
	}

	b.progress("memory: %s: opening %d idle GetActivityTask requests, %d at a time", label, o.polls, pollBatch)
	client := newBenchClient(o.polls + 8)
	defer client.CloseIdleConnections()
	ep := &endpoint{url: srv.url, client: client}
	pollCtx, cancelPolls := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancelPolls()
		wg.Wait()
	}()
	var early atomic.Int64
	var earlyErr atomic.Pointer[error]
	endedEarly := func() error {
		if e := earlyErr.Load(); e != nil {
			return fmt.Errorf("%d idle requests ended before the measurement: %w", early.Load(), *e)
		}
		return nil
	}
	for sent := 0; sent < o.polls; {
		n := min(pollBatch, o.polls-sent)
		var batch sync.WaitGroup
		batch.Add(n)
		for range n {
			var once sync.Once
			written := func() { once.Do(batch.Done) }
			trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { written() }}
			rctx := httptrace.WithClientTrace(pollCtx, trace)
			cl := ep.caller()
			wg.Go(func() {
				_, err := cl.call(rctx, "GetActivityTask", body)
				written()
				if pollCtx.Err() == nil {
					if err == nil {
						err = errors.New("GetActivityTask answered an idle poll")
					}
					early.Add(1)
					earlyErr.CompareAndSwap(nil, &err)
				}
			})
		}
		if err := waitGroupCtx(ctx, &batch, 30*time.Second); err != nil {
			return m, fmt.Errorf("open requests %d–%d: %w", sent, sent+n, err)
		}
		if err := endedEarly(); err != nil {
			return m, err
		}
		sent += n
	}

	b.progress("memory: %s: waiting until the server holds %d connections", label, o.polls)
	deadline := time.Now().Add(30 * time.Second)
	for {
		fds, err := srv.openFiles()
		if err != nil {
			return m, err
		}
		if fds >= baseFDs+o.polls {
			break
		}
		if time.Now().After(deadline) {
			return m, fmt.Errorf("the server holds %d open files, want at least %d", fds, baseFDs+o.polls)
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.progress("memory: %s: waiting for the server's RSS to settle", label)
	if m.rssAfter, err = srv.settledRSS(ctx); err != nil {
		return m, err
	}
	if m.statsAfter, err = srv.memStats(ctx); err != nil {
		return m, err
	}
	if heapProfile != "" {
		heap, err := srv.debugGet(ctx, "/heap")
		if err != nil {
			return m, err
		}
		if err := os.WriteFile(heapProfile, heap, 0o644); err != nil {
			return m, fmt.Errorf("write heap profile: %w", err)
		}
		b.progress("memory: %s: heap profile written to %s", label, heapProfile)
	}
	return m, endedEarly()
}

// waitGroupCtx waits for wg, at most timeout.
func waitGroupCtx(ctx context.Context, wg *sync.WaitGroup, timeout time.Duration) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
		return fmt.Errorf("requests not written after %v", timeout)
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// raiseFileLimit raises the soft RLIMIT_NOFILE to the hard limit (the
// servers started afterwards inherit it) and checks that it allows need
// descriptors.
func raiseFileLimit(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("read RLIMIT_NOFILE: %w", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return fmt.Errorf("raise RLIMIT_NOFILE: %w", err)
		}
	}
	if lim.Cur < need {
		return fmt.Errorf("RLIMIT_NOFILE is %d, the bench needs %d open files for -polls; raise the hard limit (ulimit -Hn) or lower -polls", lim.Cur, need)
	}
	return nil
}

// Clients.

// newBenchClient returns the HTTP client of the bench: keep-alive, no
// proxy, no compression, up to conns idle connections to one host.
func newBenchClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}}
}

// endpoint is a server and the client that talks to it.
type endpoint struct {
	url    string
	client *http.Client
	proc   *proc // the server process
}

// caller returns a Step Functions caller.
func (ep *endpoint) caller() *caller { return ep.callerFor(sfnDialect) }

// swfCaller returns an SWF caller.
func (ep *endpoint) swfCaller() *caller { return ep.callerFor(swfDialect) }

// dpCaller returns a Data Pipeline caller.
func (ep *endpoint) dpCaller() *caller { return ep.callerFor(dpDialect) }

func (ep *endpoint) callerFor(dl dialect) *caller {
	return &caller{ep: ep, dialect: dl, headers: map[string]http.Header{}}
}

// caller makes one request at a time, reusing its headers and buffer.
type caller struct {
	ep      *endpoint
	dialect dialect
	headers map[string]http.Header // by operation
	buf     bytes.Buffer
}

func (cl *caller) header(op string) http.Header {
	h, ok := cl.headers[op]
	if !ok {
		h = http.Header{
			"Content-Type":  {cl.dialect.contentType},
			"X-Amz-Target":  {cl.dialect.targetPrefix + op},
			"X-Amz-Date":    {"20260101T000000Z"},
			"Authorization": {cl.dialect.auth},
			"User-Agent":    {"gaffer-bench aws-sdk-go-v2/1.0"},
		}
		cl.headers[op] = h
	}
	return h
}

// call sends one request and returns the response body, valid until the
// next call. Any status but 200 is an error carrying the body.
func (cl *caller) call(ctx context.Context, op string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cl.ep.url+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = cl.header(op)
	resp, err := cl.ep.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	cl.buf.Reset()
	_, err = cl.buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: read response: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %d: %s", op, resp.StatusCode, bytes.TrimSpace(cl.buf.Bytes()))
	}
	return cl.buf.Bytes(), nil
}

// callJSON sends in (a []byte is sent as is, anything else is marshalled)
// and decodes the answer into out unless out is nil.
func (cl *caller) callJSON(ctx context.Context, op string, in, out any) error {
	body, ok := in.([]byte)
	if !ok {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	resp, err := cl.call(ctx, op, body)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp, out); err != nil {
		return fmt.Errorf("%s: decode %q: %w", op, resp, err)
	}
	return nil
}

// lockedWriter serialises writes: the bench's progress lines and the
// servers' logs share stderr.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// Subprocesses.

// proc is a server subprocess.
type proc struct {
	name   string
	cmd    *exec.Cmd
	url    string
	exited chan struct{}
	// debugURL serves /memstats and /heap (hidden -serve-debug mode), or
	// is empty.
	debugURL string
	err      error // from Wait, once exited is closed
}

// startGaffer starts 'gaffer serve' on a free loopback port with a data
// directory under the bench's temp dir. With a CPU profile path or debug
// set, it runs under the hidden wrapper mode (see benchCommand), with the
// runtime's memory statistics on proc.debugURL.
func (b *bench) startGaffer(ctx context.Context, name string, pollWait time.Duration, cpuprofile string, debug bool) (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"serve"}
	debugAddr := ""
	if cpuprofile != "" || debug {
		args = []string{"bench"}
		if cpuprofile != "" {
			args = append(args, "-serve-cpuprofile", cpuprofile)
		}
		if debug {
			if debugAddr, err = freeAddr(); err != nil {
				return nil, err
			}
			args = append(args, "-serve-debug", debugAddr)
		}
		args = append(args, "--")
	}
	args = append(args, "--listen", addr, "--data", filepath.Join(b.tmp, name),
		"--max-poll-wait", pollWait.String(), "--log-level", "warn")
	p, err := b.start(ctx, "gaffer "+name+" server", addr, args)
	if err != nil {
		return nil, err
	}
	if debugAddr != "" {
		p.debugURL = "http://" + debugAddr
	}
	return p, nil
}

// startBare starts the bare handler, with debug (see startGaffer) if
// asked.
func (b *bench) startBare(ctx context.Context, debug bool) (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"bench", "-bare-server", addr}
	debugAddr := ""
	if debug {
		if debugAddr, err = freeAddr(); err != nil {
			return nil, err
		}
		args = append(args, "-serve-debug", debugAddr)
	}
	p, err := b.start(ctx, "bare handler", addr, args)
	if err != nil {
		return nil, err
	}
	if debugAddr != "" {
		p.debugURL = "http://" + debugAddr
	}
	return p, nil
}

// start runs the gaffer binary with args and waits until addr answers GET
// /healthz with 200.
func (b *bench) start(ctx context.Context, name, addr string, args []string) (*proc, error) {
	cmd := exec.Command(b.opts.gaffer, args...)
	cmd.Stdout = b.stderr
	cmd.Stderr = b.stderr
	// A process group of its own: ^C reaches the bench, which then stops
	// the server with SIGTERM, rather than both at once.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, url: "http://" + addr, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	hc := &http.Client{Timeout: time.Second}
	defer hc.CloseIdleConnections()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := hc.Get(p.url + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("%s exited before it was ready: %v", name, p.err)
		case <-ctx.Done():
			_ = p.stop()
			return nil, context.Cause(ctx)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = p.stop()
			return nil, fmt.Errorf("%s not ready on %s after 30s", name, addr)
		}
	}
}

// stop sends SIGTERM and waits for a clean exit; after stopTimeout it
// kills the process.
func (p *proc) stop() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s exited during the bench: %v", p.name, p.err)
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop %s: %w", p.name, err)
	}
	select {
	case <-p.exited:
		if p.err != nil {
			return fmt.Errorf("%s: %w", p.name, p.err)
		}
		return nil
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not stop within %v of SIGTERM; killed", p.name, stopTimeout)
	}
}

// rss returns the process's resident set size in bytes.
func (p *proc) rss() (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("read RSS of %s: %w", p.name, err)
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v) // "123456 kB"
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return kb << 10, nil
				}
			}
			break
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", p.cmd.Process.Pid)
}

// settledRSS samples the RSS every 100 ms and returns it once it changed
// by less than rssTolerance over rssWindow (at most rssMaxSettle).
func (p *proc) settledRSS(ctx context.Context) (int64, error) {
	const every = 100 * time.Millisecond
	window := int(rssWindow / every)
	var samples []int64
	deadline := time.Now().Add(rssMaxSettle)
	for {
		v, err := p.rss()
		if err != nil {
			return 0, err
		}
		samples = append(samples, v)
		if len(samples) > window {
			last := samples[len(samples)-window-1:]
			lo, hi := slices.Min(last), slices.Max(last)
			if float64(hi-lo) <= rssTolerance*float64(hi) || time.Now().After(deadline) {
				return v, nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		case <-time.After(every):
		}
	}
}

// cpuTime returns the user and system CPU time the process has used,
// from /proc/<pid>/stat (in clock ticks of 10 ms: Linux's USER_HZ is 100).
func (p *proc) cpuTime() (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU time of %s: %w", p.name, err)
	}
	// The command name (field 2) is in parentheses and may hold spaces;
	// utime and stime are fields 14 and 15, the 12th and 13th after it.
	_, rest, ok := strings.Cut(string(data), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, fmt.Errorf("read CPU time of %s: unexpected /proc/%d/stat", p.name, p.cmd.Process.Pid)
	}
	var ticks int64
	for _, s := range f[11:13] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("read CPU time of %s: %w", p.name, err)
		}
		ticks += v
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// openFiles counts the process's open file descriptors.
func (p *proc) openFiles() (int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("count open files of %s: %w", p.name, err)
	}
	return len(ents), nil
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// Hidden modes.

// serveBare serves the bare handler on addr until ctx ends, with the
// debug endpoints on debugAddr if it is set.
func serveBare(ctx context.Context, addr, debugAddr string) error {
	if debugAddr != "" {
		stop, err := serveDebug(debugAddr)
		if err != nil {
			return err
		}
		defer stop()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: bareHandler{}, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 5 * time.Minute}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// bareHandler is the ceiling: it answers every POST with {} and the
// headers gaffer sends (Content-Type, Content-Length, x-amzn-RequestId),
// and GET /healthz with 200. A GetActivityTask is held until the client
// goes away: the cheapest possible idle long poll.
type bareHandler struct{}

var (
	bareContentType = []string{amzJSON}
	bareLength      = []string{"2"}
	bareBody        = []byte("{}")
)

func (bareHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/healthz" {
		_, _ = w.Write([]byte("ok\n"))
		return
	}
	_, _ = io.Copy(io.Discard, r.Body)
	if r.Header.Get("X-Amz-Target") == targetPrefix+"GetActivityTask" {
		<-r.Context().Done()
	}
	h := w.Header()
	h["x-amzn-RequestId"] = []string{bareRequestID()}
	h["Content-Type"] = bareContentType
	h["Content-Length"] = bareLength
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(bareBody)
}

// bareRequestID returns a random UUID-shaped id, as gaffer does per
// request.
func bareRequestID() string {
	const hex = "0123456789abcdef"
	a, b := rand.Uint64(), rand.Uint64()
	var out [36]byte
	j := 0
	for i := range 16 {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		v := a
		if i >= 8 {
			v = b
		}
		c := byte(v >> (8 * (i % 8)))
		out[j], out[j+1] = hex[c>>4], hex[c&0x0f]
		j += 2
	}
	return string(out[:])
}

// serveWrapped runs 'gaffer serve args', under a CPU profile written to
// cpuprofile when the server stops, and with the runtime's memory
// statistics and heap profile served on debugAddr, when those are set.
func serveWrapped(ctx context.Context, cpuprofile, debugAddr string, args []string, stderr io.Writer) (err error) {
	if debugAddr != "" {
		stop, err := serveDebug(debugAddr)
		if err != nil {
			return err
		}
		defer stop()
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return fmt.Errorf("create CPU profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("start CPU profile: %w", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			if cerr := f.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("write CPU profile: %w", cerr)
			}
		}()
	}
	return (&serveCommand{stderr: stderr}).Run(ctx, args)
}

// serveDebug serves the runtime's memory statistics on
// http://addr/memstats and its heap profile on /heap; stop closes it.
func serveDebug(addr string) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for debug: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /memstats", func(w http.ResponseWriter, r *http.Request) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(debugStats{
			HeapInuse: m.HeapInuse, StackInuse: m.StackInuse, Sys: m.Sys,
			HeapObjects: m.HeapObjects, Goroutines: runtime.NumGoroutine(),
		})
	})
	mux.HandleFunc("GET /heap", func(w http.ResponseWriter, r *http.Request) {
		_ = pprof.Lookup("heap").WriteTo(w, 0)
	})
	dbg := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = dbg.Serve(ln) }()
	return func() { _ = dbg.Close() }, nil
}

// debugStats is the hidden debug endpoint's /memstats answer.
type debugStats struct {
	HeapInuse   uint64 `json:"heap_inuse"`
	StackInuse  uint64 `json:"stack_inuse"`
	Sys         uint64 `json:"sys"`
	HeapObjects uint64 `json:"heap_objects"`
	Goroutines  int    `json:"goroutines"`
}

// memStats fetches the runtime's memory statistics from a server started
// with debug.
func (p *proc) memStats(ctx context.Context) (debugStats, error) {
	var st debugStats
	body, err := p.debugGet(ctx, "/memstats")
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return st, fmt.Errorf("decode memory statistics of %s: %w", p.name, err)
	}
	return st, nil
}

func (p *proc) debugGet(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.debugURL+path, nil)
	if err != nil {
		return nil, err
	}
	// A connection of its own, closed after the answer: it must not
	// linger among the connections the memory phase counts.
	req.Close = true
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s debug %s: %w", p.name, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s debug %s: %w", p.name, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s debug %s: HTTP %d: %s", p.name, path, resp.StatusCode, body)
	}
	return body, nil
}
