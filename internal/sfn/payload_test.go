package sfn_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
	gsfn "github.com/gaffer-dev/gaffer/internal/sfn"
)

// passChain returns n Pass states prefix1…prefixN, each with fields (a
// list of members ending in a comma, or ""), the last one ending the
// execution.
func passChain(prefix string, n int, fields string) []string {
	var states []string
	for i := 1; i <= n; i++ {
		tail := fmt.Sprintf(`"Next":"%s%d"`, prefix, i+1)
		if i == n {
			tail = `"End":true`
		}
		states = append(states, fmt.Sprintf(`"%s%d":{"Type":"Pass",%s%s}`, prefix, i, fields, tail))
	}
	return states
}

// doublingStates returns n Pass states D1…Dn, each doubling its input, the
// last one ending the execution.
func doublingStates(n int) []string {
	return passChain("D", n, `"Parameters":{"a.$":"$","b.$":"$"},`)
}

// startWithin starts an execution and fails the test if StartExecution does
// not answer within d.
func (b *bundle) startWithin(t *testing.T, d time.Duration, machine, name, input string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, d)
	defer cancel()
	in := &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Input: aws.String(input)}
	if name != "" {
		in.Name = aws.String(name)
	}
	out, err := b.Client.StartExecution(ctx, in)
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	return aws.ToString(out.ExecutionArn)
}

// serveOthers runs small executions one after another until stop is
// closed, failing the test if one does not succeed: the node must keep
// serving while a large execution runs. The returned func waits for them.
func (b *bundle) serveOthers(t *testing.T, stop <-chan struct{}) func() {
	sm := b.Machine(t, `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"ok":true},"End":true}}}`, "")
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			ctx, cancel := context.WithTimeout(b.Ctx, 10*time.Second)
			out, err := b.Client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm)})
			if err == nil {
				var d *sfn.DescribeExecutionOutput
				d, err = b.Client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: out.ExecutionArn})
				if err == nil && d.Status != types.ExecutionStatusSucceeded {
					err = fmt.Errorf("status %s", d.Status)
				}
			}
			cancel()
			if err != nil {
				t.Errorf("another execution while the large one runs: %v", err)
				return
			}
		}
	})
	return wg.Wait
}

// wantDataLimit checks that an execution failed with States.DataLimitExceeded
// in state, its history ending with the state's entry and ExecutionFailed.
func (b *bundle) wantDataLimit(t *testing.T, exec, state string) {
	t.Helper()
	out := b.WaitStatus(t, exec, types.ExecutionStatusFailed)
	if got := aws.ToString(out.Error); got != "States.DataLimitExceeded" {
		t.Errorf("error = %q, want States.DataLimitExceeded (cause %q)", got, aws.ToString(out.Cause))
	}
	if got, want := aws.ToString(out.Cause), "The state/task '"+state+"' returned a result with a size exceeding the maximum number of bytes service limit."; got != want {
		t.Errorf("cause = %q, want %q", got, want)
	}
	events := b.History(t, exec)
	types := servertest.SFNEventTypes(events)
	if n := len(types); n < 2 || types[n-2] != "PassStateEntered" || types[n-1] != "ExecutionFailed" {
		t.Errorf("history ends %v, want [... PassStateEntered ExecutionFailed]", types[max(len(types)-4, 0):])
	}
	if d := events[len(events)-2].StateEnteredEventDetails; d == nil || aws.ToString(d.Name) != state {
		t.Errorf("last state entered is not %s", state)
	}
}

func TestPayloadDoublingFails(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sm := b.Machine(t, `{"StartAt":"D1","States":{`+strings.Join(doublingStates(30), ",")+`}}`, "")
	stop := make(chan struct{})
	others := b.serveOthers(t, stop)
	exec := b.startWithin(t, 10*time.Second, sm, "", `{"x":1}`)
	// {"a":x,"b":x} is 2|x|+13 bytes: from {"x":1}, D14's output is the
	// first past 256 KiB (20×2^14 bytes).
	b.wantDataLimit(t, exec, "D14")
	close(stop)
	others()
}

func TestPayloadDoublingAfterManyPasses(t *testing.T) {
	t.Parallel()
	b := setup(t)
	states := make([]string, 0, 530)
	for i := 1; i <= 500; i++ {
		states = append(states, fmt.Sprintf(`"P%d":{"Type":"Pass","Next":"P%d"}`, i, i+1))
	}
	states[499] = `"P500":{"Type":"Pass","Next":"D1"}`
	states = append(states, doublingStates(30)...)
	sm := b.Machine(t, `{"StartAt":"P1","States":{`+strings.Join(states, ",")+`}}`, "")
	stop := make(chan struct{})
	others := b.serveOthers(t, stop)
	exec := b.startWithin(t, 10*time.Second, sm, "", `{"x":1}`)
	b.wantDataLimit(t, exec, "D14")
	close(stop)
	others()
}

func TestPayloadLargeDataCrossesTransactions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// 40 states passing 200 KB along: several yields of the byte budget.
	var states []string
	for i := 1; i <= 40; i++ {
		next := fmt.Sprintf(`"Next":"P%d"`, i+1)
		if i == 40 {
			next = `"End":true`
		}
		states = append(states, fmt.Sprintf(`"P%d":{"Type":"Pass","Parameters":{"v.$":"$.v","n":%d},%s}`, i, i, next))
	}
	sm := b.Machine(t, `{"StartAt":"P1","States":{`+strings.Join(states, ",")+`}}`, "")
	big := strings.Repeat("x", 200_000)
	exec := b.startWithin(t, 10*time.Second, sm, "", `{"v":"`+big+`"}`)
	out := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(out.Output), `{"v":"`+big+`","n":40}`) {
		t.Errorf("output is %d bytes, not the input's data", len(aws.ToString(out.Output)))
	}
	if n := len(b.History(t, exec)); n != 2+2*40 {
		t.Errorf("history has %d events, want %d", n, 2+2*40)
	}
}

func TestPayloadTaskResultCaught(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	def := func(errorEquals string) string {
		return `{"StartAt":"T","States":{
			"T":{"Type":"Task","Resource":"$ACT","ResultSelector":{"a.$":"$","b.$":"$"},"End":true,
				"Catch":[{"ErrorEquals":["` + errorEquals + `"],"ResultPath":"$.error","Next":"Caught"}]},
			"Caught":{"Type":"Pass","End":true}}}`
	}
	// The worker's result is under the limit; ResultSelector doubles it.
	result := `{"v":"` + strings.Repeat("r", 150_000) + `"}`
	for _, tt := range []struct {
		errorEquals string
		caught      bool
	}{
		{"States.DataLimitExceeded", true},
		{"States.ALL", false}, // as on AWS: States.ALL does not match it
	} {
		exec := b.Start(t, b.Machine(t, def(tt.errorEquals), act), `{"in":1}`)
		tok, _ := b.MustPoll(t, act)
		if _, err := b.Client.SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(result)}); err != nil {
			t.Fatalf("SendTaskSuccess: %v", err)
		}
		if !tt.caught {
			out := b.WaitStatus(t, exec, types.ExecutionStatusFailed)
			if got := aws.ToString(out.Error); got != "States.DataLimitExceeded" {
				t.Errorf("%s: error = %q, want States.DataLimitExceeded", tt.errorEquals, got)
			}
			continue
		}
		out := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
		var got struct {
			In    int
			Error struct{ Error, Cause string }
		}
		if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &got); err != nil {
			t.Fatalf("output %s: %v", aws.ToString(out.Output), err)
		}
		if got.In != 1 || got.Error.Error != "States.DataLimitExceeded" || !strings.Contains(got.Error.Cause, "'T' returned a result with a size exceeding") {
			t.Errorf("output = %+v, want the input with the error under $.error", got)
		}
	}
}

func TestReactionPanicFailsExecution(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sm := b.Machine(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":0,"Next":"P"},"P":{"Type":"Pass","End":true}}}`, "")
	bad := b.startWithin(t, 10*time.Second, sm, gsfn.PanicPrefix+servertest.Uniq("w"), `{}`)
	out := b.WaitStatus(t, bad, types.ExecutionStatusFailed)
	if got := aws.ToString(out.Error); got != "States.Runtime" || !strings.Contains(aws.ToString(out.Cause), "gaffer could not run the execution on") {
		t.Errorf("error %q cause %q, want States.Runtime from the failed reaction", got, aws.ToString(out.Cause))
	}
	if got := servertest.SFNEventTypes(b.History(t, bad)); strings.Join(got, " ") != "ExecutionStarted WaitStateEntered ExecutionFailed" {
		t.Errorf("history %v", got)
	}
	// The node goes on: the same machine runs for another execution.
	good := b.startWithin(t, 10*time.Second, sm, servertest.Uniq("w"), `{}`)
	b.WaitStatus(t, good, types.ExecutionStatusSucceeded)
}

// StartExecution's own write, which every other request waits behind in
// the writer's request lane, takes in at most 4 KiB of state input (and
// the first state whatever its size): an execution with large data goes
// on in background writes. One with small data runs to its end in it.
func TestFirstWriteBoundedByBytes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sm := b.Machine(t, `{"StartAt":"P1","States":{`+strings.Join(passChain("P", 10, ""), ",")+`}}`, "")
	for _, tt := range []struct {
		name   string
		input  string
		events int64 // in the first write
	}{
		// ExecutionStarted, ten states entered and exited, ExecutionSucceeded.
		{"small", `{"s":"` + strings.Repeat("x", 100) + `"}`, 22},
		// 3 KiB a state: two states (6 KiB taken in) before the budget.
		{"3k", `{"s":"` + strings.Repeat("x", 3<<10) + `"}`, 5},
		// The first state runs whatever its size.
		{"64k", `{"s":"` + strings.Repeat("x", 64<<10) + `"}`, 3},
	} {
		name := gsfn.FirstWritePrefix + tt.name
		exec := b.startWithin(t, 30*time.Second, sm, name, tt.input)
		got, ok := gsfn.FirstWriteEvents.Load(name)
		if !ok {
			t.Fatalf("%s: the first write was not seen", tt.name)
		}
		if got.(int64) != tt.events {
			t.Errorf("%s: %d events in StartExecution's write, want %d", tt.name, got, tt.events)
		}
		if out := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded); aws.ToString(out.Output) != tt.input {
			t.Errorf("%s: output of %d bytes, want its input", tt.name, len(aws.ToString(out.Output)))
		}
	}
}
