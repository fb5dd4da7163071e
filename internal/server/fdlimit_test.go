//go:build unix

package server_test

import (
	"encoding/json"
	"log/slog"
	"strings"
	"syscall"
	"testing"

	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// TestFDLimitRaised: a node raises the open-file limit at start, logs it,
// and derives its connection and waiting-poll caps from the raised limit.
func TestFDLimitRaised(t *testing.T) {
	t.Parallel()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	// One below the limit the process has: harmless to the other tests,
	// and the node must raise it again.
	lowered := lim
	lowered.Cur--
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lowered); err != nil {
		t.Fatal(err)
	}
	logs := &servertest.Buffer{}
	servertest.Start(t, servertest.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	var now syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &now); err != nil {
		t.Fatal(err)
	}
	if now.Cur <= lowered.Cur {
		t.Fatalf("RLIMIT_NOFILE is %d after the start, want it raised above %d", now.Cur, lowered.Cur)
	}

	lines := map[string]map[string]any{}
	for l := range strings.Lines(logs.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines[rec["msg"].(string)] = rec
	}
	raised := lines["open-file limit raised"]
	if raised == nil {
		t.Fatalf("no log of the raise in:\n%s", logs)
	}
	// Another test's node may have raised it further meanwhile: the log
	// says at least the lowered limit and at most the one now.
	if from, to := raised["from"].(float64), raised["to"].(float64); from < float64(lowered.Cur) || to <= from || to > float64(now.Cur) {
		t.Errorf("logged a raise from %v to %v, want from %d (or above) up to %d", from, to, lowered.Cur, now.Cur)
	}
	serving := lines["gaffer serving"]
	if serving == nil {
		t.Fatalf("no serving log in:\n%s", logs)
	}
	fd := serving["fd_limit"].(float64)
	if fd < raised["to"].(float64) {
		t.Errorf("serving with fd_limit %v, want at least the raised %v", fd, raised["to"])
	}
	limit := int(fd)
	if got, want := int(serving["max_connections"].(float64)), max(limit-256, limit/2); got != want {
		t.Errorf("max_connections %d, want %d from the fd limit %d", got, want, limit)
	}
	if got, want := int(serving["max_waiting_polls"].(float64)), min(limit/2, 100_000); got != want {
		t.Errorf("max_waiting_polls %d, want %d from the fd limit %d", got, want, limit)
	}
	if got := server.DefaultMaxWaitingPolls(); got != min(int(now.Cur)/2, 100_000) {
		t.Errorf("DefaultMaxWaitingPolls() = %d with the limit at %d", got, now.Cur)
	}
}
