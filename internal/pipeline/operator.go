package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// Runner is what an operator sees of a registered task runner: one that
// has called ReportTaskRunnerHeartbeat.
type Runner struct {
	ID          string    `json:"taskrunnerId"`
	WorkerGroup string    `json:"workerGroup,omitempty"`
	Hostname    string    `json:"hostname,omitempty"`
	FirstSeen   time.Time `json:"firstSeen"`
	LastSeen    time.Time `json:"lastSeen"`
	Terminate   bool      `json:"terminate"`
}

// ErrUnknownRunner is returned by TerminateRunner for a runner that never
// reported a heartbeat.
var ErrUnknownRunner = errors.New("pipeline: unknown task runner")

// Runners lists the registered task runners, most recently seen first.
func (s *Service) Runners(ctx context.Context) ([]Runner, error) {
	out := []Runner{} // an empty registry is listed as [], not null
	err := s.view(ctx, func(tx store.Tx) error {
		objs, err := tx.ListObjects(store.ObjectQuery{Kind: kindRunner})
		if err != nil {
			return err
		}
		for _, o := range objs {
			var r runnerRecord
			if err := json.Unmarshal(o.Body, &r); err != nil {
				return fmt.Errorf("decode runner %s: %w", o.ID, err)
			}
			out = append(out, r.view())
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].LastSeen.After(out[j].LastSeen) })
	return out, err
}

// TerminateRunner asks a task runner to stop: its next
// ReportTaskRunnerHeartbeat answers terminate: true (as AWS answers a runner
// whose resource is going away). It is the operator's tool; gaffer itself
// never terminates a runner.
func (s *Service) TerminateRunner(ctx context.Context, id string) (Runner, error) {
	var r runnerRecord
	err := s.update(ctx, func(tx store.Tx) error {
		if _, err := store.GetJSON(tx, kindRunner, id, &r); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return ErrUnknownRunner
			}
			return err
		}
		r.Terminate = true
		return store.PutJSON(tx, &store.Object{Kind: kindRunner, ID: r.ID}, &r)
	})
	return r.view(), err
}

func (r *runnerRecord) view() Runner {
	return Runner{ID: r.ID, WorkerGroup: r.WorkerGroup, Hostname: r.Hostname, FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, Terminate: r.Terminate}
}
