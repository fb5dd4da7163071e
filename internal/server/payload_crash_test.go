package server_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/store/sqlite"
)

// growingStates returns n Pass states G1…Gn, each doubling its input.
func growingStates(n int) string {
	var states []string
	for i := 1; i <= n; i++ {
		tail := fmt.Sprintf(`"Next":"G%d"`, i+1)
		if i == n {
			tail = `"End":true`
		}
		states = append(states, fmt.Sprintf(`"G%d":{"Type":"Pass","Parameters":{"a.$":"$","b.$":"$"},%s}`, i, tail))
	}
	return strings.Join(states, ",")
}

// TestCrashWithBadExecutions persists executions that cannot go on — one
// whose data outgrows the payload limit, one whose stored definition no
// longer loads — kills the server, and checks that the restarted one starts,
// serves other requests, and ends each bad execution FAILED.
func TestCrashWithBadExecutions(t *testing.T) {
	t.Parallel()
	p := servertest.StartProcess(t, "")
	c := newClient(p.URL, p)
	act := c.activity(t, "bad-runs")

	// grow: after its task, 30 states that double the data.
	smGrow := c.machine(t, "grow", `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"$ACT","Next":"G1"},`+growingStates(30)+`}}`, act)
	// timed: the same growth after a Wait state; its timer may fire before
	// or after the kill.
	smTimed := c.machine(t, "timed", `{"StartAt":"Pause","States":{"Pause":{"Type":"Wait","Seconds":1,"Next":"G1"},`+growingStates(30)+`}}`, "")
	// broken: its definition is spoilt in the store while the server is down.
	smBroken := c.machine(t, "broken", `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"$ACT","Next":"SpoiltMarker"},"SpoiltMarker":{"Type":"Pass","End":true}}}`, act)

	grow := c.start(t, smGrow, "grow")
	broken := c.start(t, smBroken, "broken")
	tokens := map[string]string{}
	for range 2 {
		tok, id := c.mustPoll(t, act)
		tokens[id] = tok
	}
	timed := c.start(t, smTimed, "timed")

	p.Kill(t)
	spoilDefinition(t, p.DataDir, "SpoiltMarker")
	p = p.Restart(t)
	c = newClient(p.URL, p)

	// The node serves: a new execution runs to the end.
	smOK := c.machine(t, "ok", `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"ok":true},"End":true}}}`, "")
	c.waitStatus(t, c.start(t, smOK, "ok-1"), types.ExecutionStatusSucceeded, 10*time.Second)

	// The timed growth ended, with or without the restart's help.
	out := c.waitStatus(t, timed, types.ExecutionStatusFailed, 30*time.Second)
	if got := aws.ToString(out.Error); got != "States.DataLimitExceeded" {
		t.Errorf("timed: error %q (%s), want States.DataLimitExceeded", got, aws.ToString(out.Cause))
	}

	// Completing the held tasks answers at once and ends each execution.
	for _, id := range []string{"grow", "broken"} {
		ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
		_, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tokens[id]), Output: aws.String(`{"x":1}`)})
		cancel()
		if err != nil {
			t.Fatalf("%s: SendTaskSuccess after restart: %v", id, err)
		}
	}
	out = c.waitStatus(t, grow, types.ExecutionStatusFailed, 10*time.Second)
	if got := aws.ToString(out.Error); got != "States.DataLimitExceeded" {
		t.Errorf("grow: error %q (%s), want States.DataLimitExceeded", got, aws.ToString(out.Cause))
	}
	out = c.waitStatus(t, broken, types.ExecutionStatusFailed, 10*time.Second)
	if got := aws.ToString(out.Error); got != "States.Runtime" || !strings.Contains(aws.ToString(out.Cause), "definition") {
		t.Errorf("broken: error %q cause %q, want States.Runtime about its definition", got, aws.ToString(out.Cause))
	}
	for name, exec := range map[string]string{"grow": grow, "timed": timed} {
		checkHistory(t, name, c.history(t, exec))
	}
	// The failed reaction's own events are dropped with it: the execution
	// fails from where its record stood.
	if got, want := strings.Join(servertest.SFNEventTypes(c.history(t, broken)), " "), "ExecutionStarted TaskStateEntered ActivityScheduled ActivityStarted ExecutionFailed"; got != want {
		t.Errorf("broken: history %s, want %s", got, want)
	}

	// And it still serves after them.
	c.waitStatus(t, c.start(t, smOK, "ok-2"), types.ExecutionStatusSucceeded, 10*time.Second)
}

// spoilDefinition replaces, in the store of a stopped server, the stored
// definition text containing marker with text that does not parse.
func spoilDefinition(t *testing.T, dataDir, marker string) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(dataDir, "gaffer.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	defer st.Close()
	err = st.Update(t.Context(), func(tx store.Tx) error {
		defs, err := tx.ListObjects(store.ObjectQuery{Kind: "sfn.definition"}) // the sfn dialect's kind
		if err != nil {
			return err
		}
		for _, o := range defs {
			if strings.Contains(string(o.Body), marker) {
				o.Body = []byte(`{"StartAt":`)
				return tx.PutObject(o)
			}
		}
		return fmt.Errorf("no stored definition contains %q", marker)
	})
	if err != nil {
		t.Fatalf("spoil definition: %v", err)
	}
}
