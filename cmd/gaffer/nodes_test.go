package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// TestNodesCommand: a node alone holds all 64 partitions, and gaffer nodes
// says so, marking the node it asked; the partitions print as ranges.
func TestNodesCommand(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"nodes", "-endpoint", srv.URL()}, &stdout, &stderr); code != 0 {
		t.Fatalf("gaffer nodes exited %d: %s", code, stderr.String())
	}
	out := stdout.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "NODE") || !strings.Contains(lines[1], "(this)") || !strings.HasSuffix(lines[1], "64: 0-63") {
		t.Fatalf("gaffer nodes printed:\n%s", out)
	}
	if strings.Contains(out, "not held") {
		t.Errorf("a node alone left partitions free:\n%s", out)
	}
	if code := run(t.Context(), []string{"nodes", "-endpoint", srv.URL(), "extra"}, &stdout, &stderr); code != 1 {
		t.Errorf("gaffer nodes with an argument exited %d, want 1", code)
	}
}

func TestRanges(t *testing.T) {
	for _, tt := range []struct {
		in   []int
		want string
	}{
		{nil, "-"},
		{[]int{5}, "5"},
		{[]int{0, 1, 2, 3, 7, 9, 10}, "0-3,7,9-10"},
	} {
		if got := ranges(tt.in); got != tt.want {
			t.Errorf("ranges(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
