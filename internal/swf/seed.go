package swf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// SeedConfig says what Seed writes.
type SeedConfig struct {
	// Domain is the domain the executions are in, registered by Seed
	// (retention 90 days) unless it exists.
	Domain string
	// Account is the account in the domain's ARN; default 000000000000.
	Account string
	// N is how many closed executions to write.
	N int
	// Batch is how many executions each Update writes; default 100.
	Batch int
	// Now is the time the executions closed up to: they started over the
	// 30 days before it, evenly, and each closed two seconds after it
	// started.
	Now time.Time
	// Progress, if set, is called after each batch with the number of
	// executions written so far (from several goroutines: it must be
	// safe for that).
	Progress func(done int)
}

// seedType is the workflow type of the seeded executions.
var seedType = WorkflowType{Name: "seeded", Version: "1"}

// Seed writes cfg.N closed executions of a one-activity workflow straight
// into st, as SWF would have left them: each execution's record, its
// history of 11 events, its visibility entry and its retention timer. It
// is the cost-growth bench's way to a store of a million executions in
// minutes (gaffer bench -seed); the server is started on st afterwards.
func Seed(ctx context.Context, st store.Store, cfg SeedConfig) error {
	if cfg.Batch <= 0 {
		cfg.Batch = 100
	}
	if cfg.Account == "" {
		cfg.Account = "000000000000"
	}
	now := cfg.Now.UTC()
	err := st.Update(ctx, func(tx store.Tx) error {
		d := domain{Name: cfg.Domain, Status: statusRegistered, RetentionDays: "90",
			ARN: "arn:aws:swf:us-east-1:" + cfg.Account + ":/domain/" + cfg.Domain, Created: now.Add(-31 * 24 * time.Hour)}
		body, err := json.Marshal(&d)
		if err != nil {
			return err
		}
		err = tx.InsertObject(&store.Object{Kind: kindDomain, ID: cfg.Domain, Status: d.Status, Body: body})
		if err != nil && !errors.Is(err, store.ErrExists) {
			return err
		}
		wt := workflowType{Domain: cfg.Domain, Name: seedType.Name, Version: seedType.Version, Status: statusRegistered, Created: d.Created}
		if body, err = json.Marshal(&wt); err != nil {
			return err
		}
		err = tx.InsertObject(&store.Object{Kind: kindWorkflowType, ID: typeID(cfg.Domain, wt.Name, wt.Version), Parent: cfg.Domain, Status: statusRegistered, Body: body})
		if err != nil && !errors.Is(err, store.ErrExists) {
			return err
		}
		// Seed writes the visibility entries itself: nothing to build.
		return tx.PutMeta(visibilityBuilt, []byte(now.Format(time.RFC3339)))
	})
	if err != nil {
		return fmt.Errorf("seed: register domain: %w", err)
	}
	span := 30 * 24 * time.Hour
	step := span / time.Duration(max(cfg.N, 1))
	// Batches go to the store from several goroutines at once, so that
	// its writer commits many in one transaction, each in a small
	// savepoint of its own (a big savepoint makes every insert's
	// statement journal dearer).
	type batch struct{ from, to int }
	batches := make(chan batch)
	errs := make(chan error, seedWriters)
	var written atomic.Int64
	var wg sync.WaitGroup
	for range seedWriters {
		wg.Go(func() {
			for b := range batches {
				err := st.Update(ctx, func(tx store.Tx) error {
					for i := b.from; i < b.to; i++ {
						started := now.Add(-span + time.Duration(i)*step - 2*time.Second)
						if err := seedExecution(tx, cfg.Domain, i, started); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
				done := written.Add(int64(b.to - b.from))
				if cfg.Progress != nil {
					cfg.Progress(int(done))
				}
			}
		})
	}
feed:
	for from := 0; from < cfg.N; from += cfg.Batch {
		select {
		case batches <- batch{from, min(from+cfg.Batch, cfg.N)}:
		case err = <-errs:
			break feed
		}
	}
	close(batches)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	return nil
}

// seedWriters is how many goroutines send Seed's batches to the store.
const seedWriters = 8

// seedExecution writes execution i of a seeded domain, started at started.
func seedExecution(tx store.Tx, domainName string, i int, started time.Time) error {
	closed := started.Add(2 * time.Second)
	ex := &execution{
		Domain: domainName, WorkflowID: "seeded-" + strconv.Itoa(i), RunID: fmt.Sprintf("%032x", i),
		Type: seedType, Status: statusClosed, CloseStatus: closeCompleted, Started: started, Closed: closed,
		TagList: []string{"seeded", "batch-" + strconv.Itoa(i%100)}, Input: `{"order":` + strconv.Itoa(i) + `}`,
		TaskList: "seeded", ExecutionStartToCloseTimeout: "3600", TaskStartToCloseTimeout: "600", ChildPolicy: "TERMINATE",
		LatestActivityTaskTimestamp: started.Add(time.Second),
	}
	rec := &recorder{ex: ex, now: started}
	tl := map[string]any{"name": "seeded"}
	rec.add("WorkflowExecutionStarted", map[string]any{"input": ex.Input, "workflowType": seedType, "taskList": tl,
		"executionStartToCloseTimeout": "3600", "taskStartToCloseTimeout": "600", "childPolicy": "TERMINATE", "tagList": ex.TagList})
	decision := func(base int64) {
		rec.add("DecisionTaskScheduled", map[string]any{"taskList": tl, "startToCloseTimeout": "600"})
		rec.add("DecisionTaskStarted", map[string]any{"identity": "seeder", "scheduledEventId": base})
		rec.add("DecisionTaskCompleted", map[string]any{"scheduledEventId": base, "startedEventId": base + 1})
	}
	decision(2)
	rec.now = started.Add(500 * time.Millisecond)
	rec.add("ActivityTaskScheduled", map[string]any{"activityType": map[string]string{"name": "work", "version": "1"},
		"activityId": "a1", "taskList": map[string]any{"name": "seeded-activities"}, "decisionTaskCompletedEventId": 4,
		"scheduleToStartTimeout": "3600", "scheduleToCloseTimeout": "3600", "startToCloseTimeout": "3600", "heartbeatTimeout": "3600"})
	rec.add("ActivityTaskStarted", map[string]any{"identity": "seeder", "scheduledEventId": 5})
	rec.now = started.Add(time.Second)
	rec.add("ActivityTaskCompleted", map[string]any{"result": `{"ok":true}`, "scheduledEventId": 5, "startedEventId": 6})
	decision(8)
	rec.now = closed
	rec.add("WorkflowExecutionCompleted", map[string]any{"result": `{"ok":true}`, "decisionTaskCompletedEventId": 10})
	if err := rec.flush(tx); err != nil {
		return err
	}
	ex.Runtime = json.RawMessage(`{}`)
	body, err := json.Marshal(ex)
	if err != nil {
		return err
	}
	if err := tx.InsertObject(&store.Object{Kind: kindExecution, ID: ex.ID(), Parent: domainName, Status: statusClosed, Body: body}); err != nil {
		return err
	}
	if err := tx.PutVisibility(visibilityOf(ex)); err != nil {
		return err
	}
	return tx.InsertTimer(&store.Timer{Partition: store.PartitionOf(ex.ID()), OwnerKind: ownerKind, OwnerID: ex.ID(),
		Kind: timerRetention, FireAt: closed.Add(90 * 24 * time.Hour)})
}
