package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/pgtest"
)

// binDir holds the gaffer binary the tests build once; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildGaffer builds the gaffer binary once for the package's tests.
var buildGaffer = sync.OnceValues(func() (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("find the go tool: %w", err)
	}
	if binDir, err = os.MkdirTemp("", "gaffer-bench-test-"); err != nil {
		return "", err
	}
	bin := filepath.Join(binDir, "gaffer")
	if out, err := exec.Command(goTool, "build", "-o", bin, "github.com/gaffer-dev/gaffer/cmd/gaffer").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
})

// gafferBinary returns a freshly built gaffer binary, which also serves
// the bench's subprocesses (inside a test, os.Executable is the test
// binary).
func gafferBinary(t *testing.T) string {
	t.Helper()
	bin, err := buildGaffer()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// runJSON runs the bench with cfg and a JSON report, and returns the
// decoded report and what the bench wrote to stdout and stderr.
func runJSON(t *testing.T, cfg Config) (rep report, stdout, stderr *bytes.Buffer) {
	t.Helper()
	stdout, stderr = new(bytes.Buffer), new(bytes.Buffer)
	cfg.JSON, cfg.Stderr = true, stderr
	if err := Run(t.Context(), cfg, stdout); err != nil {
		t.Fatalf("Run: %v\nstderr:\n%s", err, stderr)
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("decode report: %v\n%s", err, stdout)
	}
	return rep, stdout, stderr
}

// TestRun runs the whole bench (every phase DefaultConfig runs) with tiny
// settings against a freshly built gaffer binary: on SQLite, on one node
// on PostgreSQL and on three nodes sharing it.
func TestRun(t *testing.T) {
	t.Parallel()
	bin := gafferBinary(t)

	cfg := DefaultConfig()
	// 1,000 polls: at 200 the heap's growth per poll (garbage included) was
	// once below zero, a GC having freed more than the polls held.
	cfg.Gaffer, cfg.Duration, cfg.Samples, cfg.Polls = bin, 200*time.Millisecond, 20, 1000
	cfg.Workers, cfg.Clients = 8, 16
	cfg.Store, cfg.Nodes = pgtest.NewDatabase(t), 3
	cfg.mapItems = 50
	report, stdout, stderr := runJSON(t, cfg)
	stores := []string{storeSQLite, storePostgres, storePostgres + "×3"}
	got := map[string]result{}
	counts := map[string]int{}
	for _, r := range report.Results {
		got[r.Store+" "+r.Phase+"/"+r.Metric] = r
		counts[r.Store]++
	}
	want := []struct {
		key    string
		target bool
	}{
		{"heartbeat/bare_rps", false},
		{"heartbeat/gaffer_rps", false},
		{"heartbeat/ratio", true},
		{"heartbeat/bare_cpu_us", false},
		{"heartbeat/gaffer_cpu_us", false},
		{"heartbeat/client_cpu_us", false},
		{"cycle/executions", false},
		{"cycle/executions_per_s", false},
		{"cycle/cpu_us", false},
		{"cycle/rate_vs_bare", true},
		{"cycle/cpu_vs_bare", true},
		{"cycle/client_cpu_us", false},
		{"wake/p50_ms", false},
		{"wake/p99_ms", true},
		{"wake/max_ms", false},
		{"wake/start_p50_ms", false},
		{"wake/start_p99_ms", false},
		{"wake/after_p50_ms", false},
		{"wake/after_p99_ms", false},
		{"wake-load/p50_ms", false},
		{"wake-load/p99_ms", true},
		{"wake-load/max_ms", false},
		{"wake-load/start_p50_ms", false},
		{"wake-load/start_p99_ms", false},
		{"wake-load/after_p50_ms", false},
		{"wake-load/after_p99_ms", false},
		{"wake-load/load_executions_per_s", false},
		{"swf-heartbeat/bare_rps", false},
		{"swf-heartbeat/gaffer_rps", false},
		{"swf-heartbeat/ratio", true},
		{"swf-heartbeat/bare_cpu_us", false},
		{"swf-heartbeat/gaffer_cpu_us", false},
		{"swf-heartbeat/client_cpu_us", false},
		{"swf-activity/workflows", false},
		{"swf-activity/workflows_per_s", false},
		{"swf-activity/cpu_us", false},
		{"swf-activity/rate_vs_bare", true},
		{"swf-activity/client_cpu_us", false},
		{"swf-activity/start_ms", false},
		{"swf-activity/poll_decision_ms", false},
		{"swf-activity/schedule_ms", false},
		{"swf-activity/poll_activity_ms", false},
		{"swf-activity/heartbeat_ms", false},
		{"swf-activity/complete_activity_ms", false},
		{"swf-activity/poll_decision2_ms", false},
		{"swf-activity/complete_workflow_ms", false},
		{"swf-decision/decisions", false},
		{"swf-decision/decisions_per_s", false},
		{"swf-decision/rate_vs_bare", true},
		{"swf-decision/round_trip_p50_ms", false},
		{"swf-decision/round_trip_p99_ms", false},
		{"swf-decision/cpu_us", false},
		{"swf-decision/client_cpu_us", false},
		{"dp-heartbeat/bare_rps", false},
		{"dp-heartbeat/gaffer_rps", false},
		{"dp-heartbeat/ratio", true},
		{"dp-heartbeat/bare_cpu_us", false},
		{"dp-heartbeat/gaffer_cpu_us", false},
		{"dp-heartbeat/client_cpu_us", false},
		{"dp-task/tasks", false},
		{"dp-task/tasks_per_s", false},
		{"dp-task/rate_vs_bare", true},
		{"dp-task/tasks_per_s_wall", false},
		{"dp-task/round_trip_p50_ms", false},
		{"dp-task/round_trip_p99_ms", false},
		{"dp-task/poll_ms", false},
		{"dp-task/progress_ms", false},
		{"dp-task/finish_ms", false},
		{"dp-task/activations", false},
		{"dp-task/activate_ms", false},
		{"dp-task/cpu_us", false},
		{"dp-task/client_cpu_us", false},
		{"map/maps", false},
		{"map/items_per_s", false},
		{"map/map_s", false},
		{"map/cpu_us", false},
		{"map/client_cpu_us", false},
		{"parallel/executions", false},
		{"parallel/executions_per_s", false},
		{"parallel/tasks_per_s", false},
		{"parallel/cpu_us", false},
		{"parallel/client_cpu_us", false},
		{"express/executions", false},
		{"express/executions_per_s", false},
		{"express/p50_ms", false},
		{"express/p99_ms", false},
		{"express/cpu_us", false},
		{"memory/rss_before_mib", false},
		{"memory/rss_after_mib", false},
		{"memory/kib_per_poll", true},
		{"memory/kib_over_bare", false},
		{"memory/stack_kib_per_poll", false},
		{"memory/heap_kib_per_poll", false},
		{"memory/goroutines_per_poll", false},
		{"memory/bare_kib_per_request", false},
		{"memory/bare_stack_kib_per_request", false},
		{"memory/bare_heap_kib_per_request", false},
		{"memory/bare_goroutines_per_request", false},
		{"memory/heartbeat_p99_ms_alone", false},
		{"memory/heartbeat_p99_ms_held", false},
		{"memory/heartbeat_p99_ratio", true},
	}
	// Figures that may be zero or negative.
	anyValue := map[string]bool{
		"dp-task/activations":    true, // zero when no runner exhausts its run in the measured round
		"memory/kib_over_bare":   true, // a few polls: noise either way
		"wake/after_p50_ms":      true, // the poll may be answered before the start
		"wake/after_p99_ms":      true,
		"wake-load/after_p50_ms": true,
		"wake-load/after_p99_ms": true,
	}
	// Alone phases run on SQLite only.
	sqliteOnly := func(key string) bool { return strings.HasPrefix(key, phaseMemory+"/") }
	for _, store := range stores {
		for _, w := range want {
			if store != storeSQLite && sqliteOnly(w.key) {
				continue
			}
			r, ok := got[store+" "+w.key]
			if !ok {
				t.Errorf("no %s %s in the report:\n%s", store, w.key, stdout)
				continue
			}
			if !anyValue[w.key] && !(r.Value > 0) {
				t.Errorf("%s %s = %v, want a positive number", store, w.key, r.Value)
			}
			if hasTarget := r.Pass != nil && r.Target != ""; hasTarget != w.target {
				t.Errorf("%s %s: target %q, pass %v; want a target: %v", store, w.key, r.Target, r.Pass, w.target)
			}
		}
	}
	if counts[storeSQLite] != len(want) {
		t.Errorf("%d SQLite results, want %d:\n%s", counts[storeSQLite], len(want), stdout)
	}
	// On PostgreSQL: its CPU and the notices.
	for _, store := range stores[1:] {
		for _, key := range []string{"cycle/db_cpu_us", "cycle/wake_notices_per_s", "cycle/arm_notices_per_s", "cycle/notices_per_execution",
			"heartbeat/db_cpu_pct", "swf-heartbeat/db_cpu_pct", "dp-heartbeat/db_cpu_pct"} {
			r, ok := got[store+" "+key]
			if !ok || r.Value < 0 {
				t.Errorf("%s %s = %+v, want a figure", store, key, r)
			}
		}
		if r := got[store+" cycle/db_cpu_us"]; !(r.Value > 0) {
			t.Errorf("%s cycle/db_cpu_us = %v, want PostgreSQL's CPU per execution", store, r.Value)
		}
	}
	if r := got[storePostgres+"×3 cycle/notices_per_execution"]; !(r.Value > 0) {
		t.Errorf("three nodes sent no notice during the cycle: %+v", r)
	}
	// The ratios, with the targets on one node.
	for _, c := range []struct {
		key    string
		target bool
	}{
		{"postgres÷sqlite cycle/executions_per_s_ratio", true},
		{"postgres÷sqlite heartbeat/gaffer_rps_ratio", true},
		{"postgres×3÷sqlite cycle/executions_per_s_ratio", false},
		{"postgres÷sqlite dp-task/tasks_per_s_ratio", false},
	} {
		r, ok := got[c.key]
		if !ok || !(r.Value > 0) {
			t.Errorf("%s = %+v, want a positive ratio", c.key, r)
			continue
		}
		if hasTarget := r.Pass != nil; hasTarget != c.target {
			t.Errorf("%s: target %q; want a target: %v", c.key, r.Target, c.target)
		}
	}
	if r := got[storePostgres+"×3 wake/p99_ms"]; r.Target != "< 10 ms" {
		t.Errorf("three nodes' wake/p99_ms target %q, want the cross-node target < 10 ms", r.Target)
	}
	for _, phase := range Phases() {
		if phase.OptIn {
			continue
		}
		if !strings.Contains(stderr.String(), "bench: [sqlite] "+phase.Name+":") {
			t.Errorf("no progress line for %s on stderr:\n%s", phase.Name, stderr)
		}
	}
	if !strings.Contains(stderr.String(), "bench: [postgres×3] wake: 20 samples, one poller waiting on node 0, StartExecution through node 1") {
		t.Errorf("no cross-node wake on stderr:\n%s", stderr)
	}
}

// TestTakeover runs the takeover phase with a lease of one second.
func TestTakeover(t *testing.T) {
	t.Parallel()
	bin := gafferBinary(t)
	cfg := DefaultConfig()
	cfg.Gaffer, cfg.Only, cfg.Lease = bin, phaseTakeover, time.Second
	cfg.Store = pgtest.NewDatabase(t)
	report, stdout, _ := runJSON(t, cfg)
	got := map[string]result{}
	for _, r := range report.Results {
		if r.Phase != phaseTakeover {
			t.Errorf("result of phase %s in a takeover-only run", r.Phase)
		}
		got[r.Metric] = r
	}
	for _, m := range []string{"lease_s", "victim_partitions", "partitions_s", "deadline_first_s", "deadline_last_s", "survivor_deadline_last_s", "tasks_completed"} {
		if r, ok := got[m]; !ok || !(r.Value > 0) {
			t.Errorf("takeover/%s = %+v, want a positive figure:\n%s", m, r, stdout)
		}
	}
	if r := got["tasks_completed"]; r.Value != takeoverTasks || r.Pass == nil || !*r.Pass {
		t.Errorf("takeover/tasks_completed = %+v, want all %d", r, takeoverTasks)
	}
	if r := got["partitions_s"]; r.Target != "<= 2.0 s" {
		t.Errorf("takeover/partitions_s target %q, want <= 2.0 s (lease + 1 s)", r.Target)
	}
	// A deadline of the killed node fires after its partitions were taken
	// and not before it was due.
	if first, parts := got["deadline_first_s"].Value, got["partitions_s"].Value; first+0.05 < parts {
		t.Errorf("a deadline of the killed node fired %.3f s after the kill, before its partitions were taken (%.3f s)", first, parts)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"unknown phase", func(c *Config) { c.Only = "heartbeat,nap" }, `-only: "nap" is not one of heartbeat, cycle, wake, wake-load, swf-heartbeat, swf-activity, swf-decision, dp-heartbeat, dp-task, map, parallel, express, memory, soak, takeover`},
		{"bad growth size", func(c *Config) { c.Growth = "1000,lots" }, `-growth: "lots" is not a number of executions`},
		{"no phase", func(c *Config) { c.Only = "," }, `-only: "," names no phase`},
		{"takeover on SQLite", func(c *Config) { c.Only = "takeover" }, "-only: takeover needs a PostgreSQL database (-store or -pg-local)"},
		{"nodes on SQLite", func(c *Config) { c.Nodes = 3 }, "-nodes: 3 nodes need a PostgreSQL database"},
		{"zero nodes", func(c *Config) { c.Nodes = 0 }, "-nodes: 0 must be at least 1"},
		{"two databases", func(c *Config) { c.Store, c.PGLocal = "postgres://x/y", true }, "-store and -pg-local: give one PostgreSQL database, not both"},
		{"zero duration", func(c *Config) { c.Duration = 0 }, "-duration: 0s must be positive"},
		{"zero clients", func(c *Config) { c.Clients = 0 }, "-clients: 0 must be at least 1"},
		{"zero workers", func(c *Config) { c.Workers = 0 }, "-workers: 0 must be at least 1"},
		{"zero samples", func(c *Config) { c.Samples = 0 }, "-samples: 0 must be at least 1"},
		{"zero polls", func(c *Config) { c.Polls = 0 }, "-polls: 0 must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			tt.edit(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
			// Run checks the settings before it starts anything.
			var stdout bytes.Buffer
			if err := Run(t.Context(), cfg, &stdout); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run() = %v, want an error containing %q", err, tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("Run wrote %q to stdout", &stdout)
			}
		})
	}
	cfg := DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Errorf("DefaultConfig().Validate() = %v", err)
	}
	if got, want := cfg.Only, "heartbeat,cycle,wake,wake-load,swf-heartbeat,swf-activity,swf-decision,dp-heartbeat,dp-task,map,parallel,express,memory"; got != want {
		t.Errorf("DefaultConfig().Only = %q, want %q", got, want)
	}
}

// TestSoak runs the soak phase for a second per round with a light
// hostile client: every figure is reported, with its target where it has
// one. The figures themselves may MISS (that is what the phase is for).
func TestSoak(t *testing.T) {
	t.Parallel()
	bin := gafferBinary(t)
	cfg := DefaultConfig()
	cfg.Gaffer, cfg.Only, cfg.Duration, cfg.Workers = bin, phaseSoak, time.Second, 4
	cfg.hostile = &hostileLoad{
		passStates: 30, sfnEvery: 100 * time.Millisecond, sfnMax: 5,
		dpWidth: 3, dpDepth: 3, dpRuns: 1,
		slowConns: 2, slowBytes: 1_000_000, slowEvery: 50 * time.Millisecond, slowFor: 300 * time.Millisecond,
		swfPolls:  4,
		utf8Every: 20 * time.Millisecond, utf8Max: 20,
	}
	report, stdout, stderr := runJSON(t, cfg)
	got := map[string]result{}
	for _, r := range report.Results {
		if r.Phase != phaseSoak {
			t.Errorf("result of phase %s in a soak-only run", r.Phase)
		}
		got[r.Metric] = r
	}
	targets := []string{"kept_hostile_growth", "goroutines_end", "p99_ratio", "honest_errors", "clean_stop"}
	positive := []string{
		"rss_start_mib", "rss_alone_mib", "rss_max_mib", "rss_end_mib", "rss_end_ratio",
		"kept_alone_mib", "kept_end_mib", "live_heap_alone_mib", "live_heap_end_mib",
		"kept_anon_alone_mib", "kept_anon_end_mib", "kept_file_alone_mib", "kept_file_end_mib", "kept_end_ratio",
		"kept_alone_early_mib", "kept_alone_late_mib", "kept_alone_growth", "kept_hostile_early_mib", "kept_hostile_late_mib",
		"goroutines_start", "goroutines_alone", "goroutines_max", "goroutines_end",
		"go_heap_alone_mib", "go_heap_end_mib", "go_held_alone_mib", "go_held_end_mib",
		"honest_rps_alone", "honest_rps_hostile", "rps_ratio", "honest_p99_ms_alone", "honest_p99_ms_hostile", "p99_ratio",
		"hostile_sfn_sent", "hostile_dp_sent", "hostile_slow_sent", "hostile_poll_sent", "hostile_utf8_sent",
	}
	for _, k := range soakKindNames {
		positive = append(positive, k+"_rps_alone")
		targets = append(targets, k+"_rps_ratio")
	}
	for _, m := range positive {
		if r, ok := got[m]; !ok || !(r.Value > 0) {
			t.Errorf("soak/%s = %+v, want a positive figure:\n%s", m, r, stdout)
		}
	}
	for _, m := range targets {
		if r, ok := got[m]; !ok || r.Pass == nil || r.Target == "" {
			t.Errorf("soak/%s = %+v, want a figure with a target", m, r)
		}
	}
	if r := got["hostile_sfn_sent"]; r.Value > 5 {
		t.Errorf("the hostile client started %v doubling executions, more than its cap of 5", r.Value)
	}
	if !strings.Contains(stderr.String(), "bench: soak:") {
		t.Errorf("no progress line for soak on stderr:\n%s", stderr)
	}
}

// TestGrowth runs the growth phase at two tiny sizes: the seeding, the
// cycle and every listing are measured at each, and the answer times'
// growth is reported against its target.
func TestGrowth(t *testing.T) {
	t.Parallel()
	bin := gafferBinary(t)
	cfg := DefaultConfig()
	cfg.Gaffer, cfg.Only, cfg.Growth, cfg.Duration, cfg.Workers = bin, phaseGrowth, "30,300", 300*time.Millisecond, 2
	report, stdout, stderr := runJSON(t, cfg)
	got := map[string]result{}
	for _, r := range report.Results {
		if r.Phase != phaseGrowth {
			t.Errorf("result of phase %s in a growth-only run", r.Phase)
		}
		got[r.Metric] = r
	}
	for _, size := range []string{"30", "300"} {
		for _, m := range []string{"seed_per_s", "ready_ms", "executions_per_s", "cpu_us", "poll_us", "heartbeat_us", "complete_us",
			"list_closed_ms", "list_closed_10_pages_ms", "list_closed_tag_ms", "count_closed_hour_ms", "count_closed_all_ms",
			"sfn_list_succeeded_ms", "sfn_list_failed_ms"} {
			if r, ok := got[m+"@"+size]; !ok || !(r.Value > 0) {
				t.Errorf("growth/%s@%s = %+v, want a positive figure:\n%s", m, size, r, stdout)
			}
		}
	}
	for _, m := range []string{"poll_growth", "heartbeat_growth", "complete_growth"} {
		if r, ok := got[m]; !ok || r.Pass == nil || !(r.Value > 0) {
			t.Errorf("growth/%s = %+v, want a ratio with a target", m, r)
		}
	}
	if !strings.Contains(stderr.String(), "bench: growth:") {
		t.Errorf("no progress line for growth on stderr:\n%s", stderr)
	}
}
