package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gaffer-dev/gaffer/internal/bench"
)

func TestBenchFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-only", "heartbeat,nap"}, `-only: "nap" is not one of heartbeat, cycle, wake, swf-heartbeat, swf-activity, swf-decision, dp-heartbeat, dp-task, map, parallel, express, memory, soak`},
		{[]string{"-only", ","}, `-only: "," names no phase`},
		{[]string{"-duration", "0s"}, "-duration: 0s must be positive"},
		{[]string{"-polls", "0"}, "-polls: 0 must be at least 1"},
		{[]string{"extra"}, "unexpected arguments: [extra]"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := (&benchCommand{stdout: &stdout, stderr: &stderr}).Run(t.Context(), tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}

// TestBenchUsage checks that 'gaffer bench -h' lists every phase with what
// it measures, and the flags with their defaults.
func TestBenchUsage(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"bench", "-h"}, &stdout, &stderr); code != 0 {
		t.Fatalf("gaffer bench -h exited %d\n%s", code, &stderr)
	}
	help := stderr.String()
	for _, p := range bench.Phases() {
		if !strings.Contains(help, "  "+p.Name+" ") || !strings.Contains(help, p.Description+"\n") {
			t.Errorf("no line for phase %s (%s) in the help:\n%s", p.Name, p.Description, help)
		}
	}
	for _, want := range []string{
		"measured time of each throughput phase (heartbeat, cycle, swf-heartbeat, swf-activity, swf-decision, dp-heartbeat, dp-task, map, parallel, express), after a warm-up of a fifth of it (at most 1s) (default 5s)",
		"(default 64)", "(default 32)", "(default 500)", "(default 10000)",
		`(default "heartbeat,cycle,wake,swf-heartbeat,swf-activity,swf-decision,dp-heartbeat,dp-task,map,parallel,express,memory")`,
	} {
		if !strings.Contains(help, want) {
			t.Errorf("the help has no %q:\n%s", want, help)
		}
	}
	for _, hidden := range []string{"-bare-server", "-serve-cpuprofile", "-serve-debug"} {
		if strings.Contains(help, hidden) {
			t.Errorf("the help shows the hidden flag %s", hidden)
		}
	}
}
