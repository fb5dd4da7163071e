package server_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	swftypes "github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// pollers polls one service's queues over the wire, the SDK not retrying
// a refusal (ThrottlingException would be).
type pollers struct {
	srv    *server.Server
	sfn    *sfn.Client
	swf    *swf.Client
	dp     *datapipeline.Client
	domain string
}

func newPollers(t *testing.T, srv *server.Server) *pollers {
	t.Helper()
	p := &pollers{srv: srv, sfn: servertest.SFN(srv.URL()), swf: servertest.SWF(srv.URL()), dp: servertest.DataPipeline(srv.URL()), domain: servertest.Uniq("polls")}
	_, err := p.swf.RegisterDomain(context.Background(), &swf.RegisterDomainInput{Name: aws.String(p.domain), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
	servertest.OK(t, "RegisterDomain", err)
	return p
}

// kind is one service's poll: a new queue of it, and a poll of it.
type kind struct {
	name     string
	newQueue func(t *testing.T, p *pollers) string
	poll     func(ctx context.Context, p *pollers, queue string) error
	// refused is the error the service answers past the per-queue cap.
	refused string
}

var kinds = []kind{
	{
		name: "GetActivityTask",
		newQueue: func(t *testing.T, p *pollers) string {
			out, err := p.sfn.CreateActivity(context.Background(), &sfn.CreateActivityInput{Name: aws.String(servertest.Uniq("act"))})
			servertest.OK(t, "CreateActivity", err)
			return aws.ToString(out.ActivityArn)
		},
		poll: func(ctx context.Context, p *pollers, queue string) error {
			_, err := p.sfn.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(queue), WorkerName: aws.String("w")},
				func(o *sfn.Options) { o.RetryMaxAttempts = 1 })
			return err
		},
		refused: "ActivityWorkerLimitExceeded",
	},
	{
		name:     "PollForActivityTask",
		newQueue: func(*testing.T, *pollers) string { return servertest.Uniq("list") },
		poll: func(ctx context.Context, p *pollers, queue string) error {
			_, err := p.swf.PollForActivityTask(ctx, &swf.PollForActivityTaskInput{Domain: aws.String(p.domain), TaskList: &swftypes.TaskList{Name: aws.String(queue)}},
				func(o *swf.Options) { o.RetryMaxAttempts = 1 })
			return err
		},
		refused: "LimitExceededFault",
	},
	{
		name:     "PollForDecisionTask",
		newQueue: func(*testing.T, *pollers) string { return servertest.Uniq("list") },
		poll: func(ctx context.Context, p *pollers, queue string) error {
			_, err := p.swf.PollForDecisionTask(ctx, &swf.PollForDecisionTaskInput{Domain: aws.String(p.domain), TaskList: &swftypes.TaskList{Name: aws.String(queue)}},
				func(o *swf.Options) { o.RetryMaxAttempts = 1 })
			return err
		},
		refused: "LimitExceededFault",
	},
	{
		name:     "PollForTask",
		newQueue: func(*testing.T, *pollers) string { return servertest.Uniq("group") },
		poll: func(ctx context.Context, p *pollers, queue string) error {
			_, err := p.dp.PollForTask(ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String(queue)},
				func(o *datapipeline.Options) { o.RetryMaxAttempts = 1 })
			return err
		},
		refused: "ThrottlingException",
	},
}

// park starts a poll of queue that waits, and waits until the node holds
// want waiting polls; the poll's error arrives on the returned channel once
// ctx ends.
func (p *pollers) park(t *testing.T, ctx context.Context, k kind, queue string, want int) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- k.poll(ctx, p, queue) }()
	p.waitPolls(t, want)
	return done
}

// waitPolls waits until the node holds n waiting polls.
func (p *pollers) waitPolls(t *testing.T, n int) {
	t.Helper()
	eng := p.srv.Engine()
	if !eng.PollWaits().Until(10*time.Second, func() bool { return eng.Stats().WaitingPolls == n }) {
		t.Fatalf("%d polls wait after 10s, want %d", eng.Stats().WaitingPolls, n)
	}
}

// The (N+1)th poll of one activity, task list or worker group is refused
// at once with the service's own error while N wait; polls of other queues
// are not; once one of the N leaves, a new poll waits again.
func TestPollersPerQueueCapped(t *testing.T) {
	t.Parallel()
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			srv := servertest.Start(t, servertest.Options{MaxPollWait: time.Minute, MaxPollersPerQueue: 2})
			p := newPollers(t, srv)
			q, other := k.newQueue(t, p), k.newQueue(t, p)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			firstCtx, leave := context.WithCancel(ctx)
			first := p.park(t, firstCtx, k, q, 1)
			second := p.park(t, ctx, k, q, 2)

			servertest.WantClientError(t, "third poll", k.poll(ctx, p, q), k.refused)
			third := p.park(t, ctx, k, other, 3) // another queue: not refused

			leave()
			if err := <-first; ctx.Err() != nil || err == nil {
				t.Fatalf("the poll that left: %v", err)
			}
			p.waitPolls(t, 2)
			fourth := p.park(t, ctx, k, q, 3)

			cancel()
			for _, ch := range []<-chan error{second, third, fourth} {
				<-ch
			}
			p.waitPolls(t, 0)
			if got := srv.Engine().Stats(); got != (engine.Stats{}) {
				t.Fatalf("Stats = %+v once every poll left, want none", got)
			}
		})
	}
}

// Past the node's cap on waiting polls every service answers
// ThrottlingException, whatever the queue.
func TestWaitingPollsCapped(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{MaxPollWait: time.Minute, MaxWaitingPolls: 2})
	p := newPollers(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	held := []<-chan error{
		p.park(t, ctx, kinds[0], kinds[0].newQueue(t, p), 1),
		p.park(t, ctx, kinds[3], kinds[3].newQueue(t, p), 2),
	}
	for _, k := range kinds {
		servertest.WantClientError(t, k.name, k.poll(ctx, p, k.newQueue(t, p)), "ThrottlingException")
	}
	cancel()
	for _, ch := range held {
		<-ch
	}
}

// Task lists polled once and never again leave no queue in memory: polls
// of many random task lists, a few at a time, each ending empty.
func TestRandomTaskListsFreed(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{MaxPollWait: time.Millisecond})
	p := newPollers(t, srv)
	const workers, each = 4, 100
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				// A poll that waits 1 ms answers at once; one that does not
				// within 30 s fails the test with its task list named (it
				// once hung a run until the package's timeout).
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				err := kinds[1].poll(ctx, p, fmt.Sprintf("random-%d-%d", w, i))
				cancel()
				if err != nil {
					t.Errorf("PollForActivityTask on random-%d-%d: %v", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := srv.Engine().Stats(); got != (engine.Stats{}) {
		t.Fatalf("Stats = %+v after %d polls of distinct task lists, want none", got, workers*each)
	}
}
