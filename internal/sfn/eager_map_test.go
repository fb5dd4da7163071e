package sfn_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// TestMapAfterPollersLeft: pollers that gave up (their requests canceled)
// before a Map schedules its iterations' tasks in one transaction, and
// live ones waiting as it does, started eagerly: every task reaches a live
// worker and the Map completes, round after round.
func TestMapAfterPollersLeft(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	b := &bundle{servertest.InProcess(srv).SFN()}
	act := b.Activity(t)
	sm := b.Machine(t, `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","End":true}}},"End":true}}}`, act)
	const workers, items = 32, 50
	eng := srv.Engine()
	waiting := func(n int) {
		t.Helper()
		if !eng.PollWaits().Until(10*time.Second, func() bool { return eng.Stats().WaitingPolls == n }) {
			t.Fatalf("%d polls waiting, want %d", eng.Stats().WaitingPolls, n)
		}
	}
	poll := func(ctx context.Context, wg *sync.WaitGroup, complete bool) {
		for range workers {
			wg.Go(func() {
				for ctx.Err() == nil {
					out, err := b.Client.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(act)})
					if err != nil || out.TaskToken == nil || !complete {
						continue
					}
					b.Client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: out.TaskToken, Output: aws.String(`{}`)}) //nolint:errcheck // checked by the Map's outcome
				}
			})
		}
	}
	in := "[" + strings.TrimSuffix(strings.Repeat("1,", items), ",") + "]"
	for range 3 {
		// Pollers that leave: their requests are canceled while they wait.
		gone, leave := context.WithCancel(b.Ctx)
		var wgGone sync.WaitGroup
		poll(gone, &wgGone, false)
		waiting(workers)
		leave()
		wgGone.Wait()
		// The server sees them go (the engine test covers a poller that
		// leaves while its task's start commits).
		waiting(0)
		// Live workers, and a Map scheduling more tasks than there are.
		live, stop := context.WithCancel(b.Ctx)
		var wg sync.WaitGroup
		poll(live, &wg, true)
		exec := b.Start(t, sm, in)
		b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
		stop()
		wg.Wait()
	}
}
