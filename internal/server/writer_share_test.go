package server_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// TestDoublingExecutionSpansWrites: the hardening issue's hostile
// execution — 30 Pass states that double {"x":1} — still fails with
// States.DataLimitExceeded at the payload limit, with the history AWS
// would record, but no longer in StartExecution's one write: its first
// write stops at the per-write byte budget and the rest goes on in later
// writes (continue timers, fired in the store's background lane).
func TestDoublingExecutionSpansWrites(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	c := servertest.InProcess(srv).SFN()
	sm := c.Machine(t, `{"StartAt":"G1","States":{`+growingStates(30)+`}}`, "")

	before := srv.Engine().Counters().DeadlinesFired
	exec := c.Start(t, sm, `{"x":1}`)
	out := c.WaitStatus(t, exec, types.ExecutionStatusFailed)
	if got := aws.ToString(out.Error); got != "States.DataLimitExceeded" {
		t.Fatalf("error %q (%s), want States.DataLimitExceeded", got, aws.ToString(out.Cause))
	}
	// Nothing else on this server has deadlines: each one fired is a
	// later write of this execution.
	if fired := srv.Engine().Counters().DeadlinesFired - before; fired < 2 {
		t.Errorf("%d later writes, want at least 2 (the run of states split by the per-write byte budget)", fired)
	}

	events := c.History(t, exec)
	for i, e := range events {
		if e.Id != int64(i+1) {
			t.Fatalf("event %d has id %d", i, e.Id)
		}
	}
	// {"x":1} doubled: 13 states pass; the 14th's output would pass the
	// 262,144-byte limit (as in one write before the budget).
	types := servertest.SFNEventTypes(events)
	if n := strings.Count(strings.Join(types, " "), "PassStateExited"); n != 13 {
		t.Errorf("%d PassStateExited, want 13; history %v", n, types)
	}
	if last := types[len(types)-1]; last != "ExecutionFailed" {
		t.Errorf("last event %s, want ExecutionFailed", last)
	}
}
