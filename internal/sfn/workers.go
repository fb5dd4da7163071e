package sfn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/gaffer-dev/gaffer/internal/asl"
	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/sfn/integration"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// workerName is the identity of the in-process integration workers.
const workerName = "gaffer"

// Start starts the in-process workers of service integrations (see
// integrations.go), after the engine has started: first they finish the
// calls a previous run of the node had started and not answered (each
// such call is made again: at-least-once), then they long-poll the
// integration queues. It returns once the workers run.
func (s *Service) Start(ctx context.Context) error {
	ctx, err := s.life.StartInit(ctx)
	if err != nil {
		return err
	}
	var queues []string
	if s.integ.Mocks != nil {
		queues = append(queues, queueMock)
	}
	if s.integ.Lambda != nil {
		queues = append(queues, queueLambda)
	}
	if s.integ.HTTP != nil {
		queues = append(queues, queueHTTP)
	}
	resumed, err := s.startedCalls(ctx)
	if err != nil {
		s.life.Stop()
		return err
	}
	s.resume = resumed
	for _, q := range queues {
		n := s.integ.Workers
		if q == queueMock {
			n = min(n, 4)
		}
		for range n {
			s.life.Go(func(ctx context.Context) { s.work(ctx, q) })
		}
	}
	return nil
}

// Stop stops the integration workers and waits for them: calls in flight
// are abandoned (their context ends) and made again at the next start.
// Safe twice and before Start.
func (s *Service) Stop() { s.life.Stop() }

// resumedCall is a started integration task found at start.
type resumedCall struct {
	task  *store.Task
	token string
}

// startedCalls lists the integration tasks a previous run started and did
// not finish, except .waitForTaskToken calls already made (they wait for
// their callback, not for gaffer).
func (s *Service) startedCalls(ctx context.Context) (map[string][]resumedCall, error) {
	out := map[string][]resumedCall{}
	err := s.view(ctx, func(tx store.Tx) error {
		for _, q := range integrationQueues {
			for after := int64(0); ; {
				page, err := tx.ListTasks(store.TaskQuery{Queue: q, State: store.TaskStarted, AfterID: after, Limit: 500})
				if err != nil {
					return err
				}
				for _, t := range page {
					if s.shared && t.Worker != s.worker {
						continue // another node's worker makes it
					}
					waiting, err := s.waitsForCallback(tx, t)
					if err != nil && !errors.Is(err, store.ErrNotFound) {
						return err
					}
					if !waiting && err == nil {
						out[q] = append(out[q], resumedCall{task: t, token: s.eng.AttemptToken(t)})
					}
				}
				if len(page) < 500 {
					break
				}
				after = page[len(page)-1].ID
			}
		}
		return nil
	})
	return out, err
}

// nextResumed takes a call to finish from the previous run, if any is left.
func (s *Service) nextResumed(queue string) (resumedCall, bool) {
	s.resumeMu.Lock()
	defer s.resumeMu.Unlock()
	calls := s.resume[queue]
	if len(calls) == 0 {
		return resumedCall{}, false
	}
	s.resume[queue] = calls[1:]
	return calls[0], true
}

// work is one worker of a queue: it finishes calls left by the previous
// run, then polls for tasks and runs them one at a time until ctx ends.
func (s *Service) work(ctx context.Context, queue string) {
	for ctx.Err() == nil {
		if rc, ok := s.nextResumed(queue); ok {
			s.log.Info("making again an integration call the previous run had started", "execution", rc.task.OwnerID, "task", rc.task.ID)
			s.call(ctx, rc.task, rc.token)
			continue
		}
		t, token, err := s.eng.Poll(ctx, queue, s.worker, time.Minute)
		if err != nil {
			if errors.Is(err, engine.ErrStopped) {
				return
			}
			s.log.Warn("integration poll failed", "queue", queue, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		if t != nil {
			s.call(ctx, t, token)
		}
	}
}

// call carries out one integration task's attempt and answers it through
// the engine.
func (s *Service) call(ctx context.Context, t *store.Task, token string) {
	var spec callSpec
	if err := json.Unmarshal(t.Input, &spec); err != nil {
		s.finish(ctx, token, nil, &integration.TaskError{Name: asl.ErrorRuntime, Cause: "gaffer cannot read the integration call: " + err.Error()})
		return
	}
	if m := spec.Mock; m != nil {
		if m.Throw {
			s.finish(ctx, token, nil, &integration.TaskError{Name: m.Error, Cause: m.Cause})
		} else {
			s.finish(ctx, token, m.Return, nil)
		}
		return
	}
	input := spec.Input
	if spec.Placeholder != "" {
		input = bytes.ReplaceAll(input, []byte(spec.Placeholder), []byte(token))
	}
	callCtx, cancel := ctx, context.CancelFunc(func() {})
	if t.StartToClose > 0 {
		callCtx, cancel = context.WithTimeout(ctx, t.StartToClose)
	}
	defer cancel()
	var out json.RawMessage
	var err error
	res, _ := asl.ParseResource(spec.Resource)
	switch {
	case res.Kind == asl.ResourceLambdaFunction:
		out, err = s.integ.Lambda.InvokeFunction(callCtx, integration.Invocation{Region: spec.Region, Function: spec.Resource, Input: input})
	case isLambda(res):
		out, err = s.integ.Lambda.Invoke(callCtx, integration.Invocation{Region: spec.Region, Parameters: input})
	case isHTTP(res):
		out, err = s.integ.HTTP.Invoke(callCtx, spec.Region, input)
	default:
		err = &integration.TaskError{Name: asl.ErrorRuntime, Cause: "gaffer cannot call " + spec.Resource}
	}
	if ctx.Err() != nil {
		return // stopping: the call is made again at the next start
	}
	if err == nil && spec.Placeholder != "" {
		// The call was made: the task waits for its callback.
		if serr := s.submitted(ctx, token, out); serr != nil && !errors.Is(serr, engine.ErrTaskClosed) {
			s.log.Error("integration call made but not recorded", "task", t.ID, "err", serr)
		}
		return
	}
	s.finish(ctx, token, out, err)
}

// finish completes the task with out, or fails it with err's name and
// cause. An attempt that ended meanwhile (timed out, its execution
// stopped) takes no answer: that is not an error.
func (s *Service) finish(ctx context.Context, token string, out json.RawMessage, err error) {
	var ferr error
	if err != nil {
		te := &integration.TaskError{Name: "States.TaskFailed", Cause: err.Error()}
		errors.As(err, &te)
		ferr = s.eng.Fail(ctx, token, te.Name, te.Cause)
	} else {
		ferr = s.eng.Complete(ctx, token, out)
	}
	if ferr != nil && !errors.Is(ferr, engine.ErrTaskClosed) && ctx.Err() == nil {
		s.log.Error("integration task could not be answered", "err", ferr)
	}
}

// workersState is the Service's part for its workers.
type workersState struct {
	resumeMu sync.Mutex
	resume   map[string][]resumedCall
}
