// Package storecopy copies a gaffer store's data into another, empty store:
// SQLite to PostgreSQL when a node outgrows one machine, and back (gaffer
// copy).
//
// # What is copied
//
// Every object with its Seq and close time, every owner's history, every
// task and timer with its ID, and the meta entries the store lists (the
// engine's token secret among them; not the store's own bookkeeping, such
// as SQLite's schema version). So task tokens, which name a task's ID and
// attempt and are MAC'd with the token secret, and page tokens, which name
// Seqs, are as valid on the copy as on the original. Membership (nodes and
// partition leases) is not copied: it starts empty on the target, and the
// first node that serves it takes the partitions.
//
// # Consistency
//
// The source is read in one View, which the store contract makes a
// consistent snapshot (a read transaction on SQLite's WAL; a repeatable-read
// transaction on PostgreSQL), however long the copy takes: a source that a
// node serves meanwhile is still copied as it was at one instant. What that
// node acknowledges after the instant is not in the copy, and heartbeats it
// keeps in memory are not on disk yet: stop the node first, so that the
// copy is all of it.
//
// # The target
//
// The target must hold no object, event, task or timer (a fresh schema is
// fine, and so is one a node started on and never used: its meta entries
// are overwritten by the source's where both have one). Rows are written in
// batches of bounded size, each one Update of the target, so that neither
// side holds a large database in memory. A copy that fails half-way leaves
// a partial target, which a second copy refuses: empty it (a new data
// directory, or DROP and CREATE the database) and copy again. At the end
// the rows of both sides are counted and must match.
package storecopy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// ErrTargetNotEmpty is returned by Copy when the target already holds data.
var ErrTargetNotEmpty = errors.New("the target store is not empty")

// ErrMismatch is returned by Copy when the rows counted on the target after
// the copy differ from the source's.
var ErrMismatch = errors.New("the copy does not match the source")

// Defaults for Options.
const (
	DefaultBatchRows  = 500
	DefaultBatchBytes = 4 << 20
)

// Options tune a copy. The zero value is usable.
type Options struct {
	// BatchRows bounds the rows of one target transaction, and of one page
	// read from the source; default DefaultBatchRows.
	BatchRows int
	// BatchBytes bounds the bodies, inputs and payloads of one target
	// transaction (a batch holds at least one row); default
	// DefaultBatchBytes.
	BatchBytes int
	// Progress, if set, is called after each batch has committed on the
	// target, with what has been copied so far.
	Progress func(Progress)
}

// Progress is how far a copy has come.
type Progress struct {
	Objects, Events, Tasks, Timers, Meta int64 // rows committed on the target
	// Total is what the source holds (its snapshot's counts).
	Total store.RowCounts
}

// Rows is the number of rows copied.
func (p Progress) Rows() int64 { return p.Objects + p.Events + p.Tasks + p.Timers + p.Meta }

// TotalRows is the number of rows to copy.
func (p Progress) TotalRows() int64 {
	t := p.Total
	return t.TotalObjects() + t.Events + t.Tasks + t.Timers + t.Meta
}

// Result is what a successful copy did.
type Result struct {
	// Copied is what the target holds now, counted after the copy, equal
	// to the source's counts.
	Copied store.RowCounts
	// Batches is the number of target transactions.
	Batches int
	// LiveNodes are the source's nodes whose membership had not expired
	// at the snapshot, by the copier's clock: if one still served the
	// source, what it acknowledged after the snapshot is not in the copy.
	LiveNodes []store.Node
}

// Copy copies everything from holds into to, which must be empty (else
// ErrTargetNotEmpty), and checks that both count the same rows afterwards
// (else ErrMismatch). Both stores' transactions must implement
// store.CopyTx.
func Copy(ctx context.Context, from, to store.Store, opts Options) (Result, error) {
	if opts.BatchRows <= 0 {
		opts.BatchRows = DefaultBatchRows
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = DefaultBatchBytes
	}
	if err := checkEmpty(ctx, to); err != nil {
		return Result{}, err
	}
	c := &copier{ctx: ctx, to: to, opts: opts}
	var (
		source store.RowCounts
		meta   []store.MetaEntry
		live   []store.Node
	)
	err := from.View(ctx, func(tx store.Tx) error {
		ct, err := asCopyTx(tx, "source")
		if err != nil {
			return err
		}
		if source, err = ct.CountRows(); err != nil {
			return err
		}
		c.progress.Total = source
		if live, err = liveNodes(ct); err != nil {
			return err
		}
		if meta, err = c.copyAll(ct); err != nil {
			return err
		}
		return c.flush()
	})
	if err != nil {
		return Result{}, err
	}
	copied, err := verify(ctx, to, source, meta)
	if err != nil {
		return Result{}, err
	}
	return Result{Copied: copied, Batches: c.batches, LiveNodes: live}, nil
}

// asCopyTx returns tx as a store.CopyTx, or an error naming side.
func asCopyTx(tx store.Tx, side string) (store.CopyTx, error) {
	c, ok := tx.(store.CopyTx)
	if !ok {
		return nil, fmt.Errorf("the %s store cannot be copied (%T is no store.CopyTx)", side, tx)
	}
	return c, nil
}

// checkEmpty returns ErrTargetNotEmpty, with what it holds, unless to is
// empty.
func checkEmpty(ctx context.Context, to store.Store) error {
	var c store.RowCounts
	err := to.View(ctx, func(tx store.Tx) error {
		ct, err := asCopyTx(tx, "target")
		if err != nil {
			return err
		}
		c, err = ct.CountRows()
		return err
	})
	if err != nil {
		return fmt.Errorf("read the target: %w", err)
	}
	if !c.Empty() {
		return fmt.Errorf("%w: it holds %s; copy into a new data directory or an empty database", ErrTargetNotEmpty, describe(c))
	}
	return nil
}

// liveNodes returns the nodes of tx whose membership has not expired.
func liveNodes(tx store.Tx) ([]store.Node, error) {
	nodes, err := tx.ListNodes()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	return slices.DeleteFunc(nodes, func(n store.Node) bool { return !n.ExpiresAt.After(now) }), nil
}

// describe says what c counts, for messages.
func describe(c store.RowCounts) string {
	return fmt.Sprintf("%d objects, %d events of %d owners, %d tasks, %d timers",
		c.TotalObjects(), c.Events, c.EventOwners, c.Tasks, c.Timers)
}

// copier reads pages from the source and writes them to the target in
// batches.
type copier struct {
	ctx  context.Context
	to   store.Store
	opts Options

	b        batch
	batches  int
	progress Progress
}

// batch is the rows of one target transaction.
type batch struct {
	objects []*store.Object
	events  []ownerEvents
	tasks   []*store.Task
	timers  []*store.Timer
	meta    []store.MetaEntry
	rows    int
	bytes   int
}

// ownerEvents is a run of one owner's events, in id order.
type ownerEvents struct {
	owner  string
	events []store.Event
}

// copyAll reads everything from tx into batches, flushing them as they
// fill, and returns the meta entries it copied. The last batch may still
// be pending.
func (c *copier) copyAll(tx store.CopyTx) ([]store.MetaEntry, error) {
	page := c.opts.BatchRows
	kinds, err := tx.ObjectKinds()
	if err != nil {
		return nil, err
	}
	for _, kind := range kinds {
		for after := int64(0); ; {
			objs, err := tx.ListObjects(store.ObjectQuery{Kind: kind, AfterSeq: after, Limit: page})
			if err != nil {
				return nil, err
			}
			for _, o := range objs {
				c.b.objects = append(c.b.objects, o)
				if err := c.added(len(o.Body) + len(o.ID) + len(o.Parent)); err != nil {
					return nil, err
				}
			}
			if len(objs) < page {
				break
			}
			after = objs[len(objs)-1].Seq
		}
	}
	for after := ""; ; {
		owners, err := tx.EventOwners(after, page)
		if err != nil {
			return nil, err
		}
		for _, owner := range owners {
			if err := c.copyEvents(tx, owner); err != nil {
				return nil, err
			}
		}
		if len(owners) < page {
			break
		}
		after = owners[len(owners)-1]
	}
	for after := int64(0); ; {
		tasks, err := tx.ListTasks(store.TaskQuery{AfterID: after, Limit: page})
		if err != nil {
			return nil, err
		}
		for _, t := range tasks {
			c.b.tasks = append(c.b.tasks, t)
			if err := c.added(len(t.Input) + len(t.Details) + len(t.OwnerID)); err != nil {
				return nil, err
			}
		}
		if len(tasks) < page {
			break
		}
		after = tasks[len(tasks)-1].ID
	}
	for after := int64(0); ; {
		timers, err := tx.ListTimers(store.TimerQuery{AfterID: after, Limit: page})
		if err != nil {
			return nil, err
		}
		for _, tm := range timers {
			c.b.timers = append(c.b.timers, tm)
			if err := c.added(len(tm.Payload) + len(tm.OwnerID)); err != nil {
				return nil, err
			}
		}
		if len(timers) < page {
			break
		}
		after = timers[len(timers)-1].ID
	}
	meta, err := tx.ListMeta()
	if err != nil {
		return nil, err
	}
	for _, m := range meta {
		c.b.meta = append(c.b.meta, m)
		if err := c.added(len(m.Value)); err != nil {
			return nil, err
		}
	}
	return meta, nil
}

// copyEvents adds owner's events to the batches.
func (c *copier) copyEvents(tx store.CopyTx, owner string) error {
	page := c.opts.BatchRows
	for after := int64(0); ; {
		evs, err := tx.ListEvents(store.EventQuery{Owner: owner, AfterID: after, Limit: page})
		if err != nil {
			return err
		}
		for _, e := range evs {
			n := len(c.b.events)
			if n == 0 || c.b.events[n-1].owner != owner {
				c.b.events = append(c.b.events, ownerEvents{owner: owner})
				n++
			}
			c.b.events[n-1].events = append(c.b.events[n-1].events, e)
			if err := c.added(len(e.Body)); err != nil {
				return err
			}
		}
		if len(evs) < page {
			return nil
		}
		after = evs[len(evs)-1].ID
	}
}

// added counts a row of size bytes just added to the batch, and flushes
// the batch when it is full.
func (c *copier) added(size int) error {
	c.b.rows++
	c.b.bytes += size
	if c.b.rows >= c.opts.BatchRows || c.b.bytes >= c.opts.BatchBytes {
		return c.flush()
	}
	return nil
}

// flush writes the pending batch to the target in one Update.
func (c *copier) flush() error {
	b := &c.b
	if b.rows == 0 {
		return nil
	}
	err := c.to.Update(c.ctx, func(tx store.Tx) error {
		ct, err := asCopyTx(tx, "target")
		if err != nil {
			return err
		}
		for _, o := range b.objects {
			if err := ct.ImportObject(o); err != nil {
				return fmt.Errorf("object %s %s: %w", o.Kind, o.ID, err)
			}
		}
		for _, r := range b.events {
			if err := ct.AppendEvents(r.owner, r.events); err != nil {
				return fmt.Errorf("events of %s: %w", r.owner, err)
			}
		}
		for _, t := range b.tasks {
			if err := ct.ImportTask(t); err != nil {
				return fmt.Errorf("task %d: %w", t.ID, err)
			}
		}
		for _, tm := range b.timers {
			if err := ct.ImportTimer(tm); err != nil {
				return fmt.Errorf("timer %d: %w", tm.ID, err)
			}
		}
		for _, m := range b.meta {
			if err := ct.PutMeta(m.Key, m.Value); err != nil {
				return fmt.Errorf("meta %s: %w", m.Key, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write to the target: %w", err)
	}
	c.batches++
	p := &c.progress
	p.Objects += int64(len(b.objects))
	for _, r := range b.events {
		p.Events += int64(len(r.events))
	}
	p.Tasks += int64(len(b.tasks))
	p.Timers += int64(len(b.timers))
	p.Meta += int64(len(b.meta))
	*b = batch{}
	if c.opts.Progress != nil {
		c.opts.Progress(c.progress)
	}
	return nil
}

// verify counts the target's rows and compares them with the source's,
// and checks that it holds each copied meta entry's value; it returns the
// target's counts.
func verify(ctx context.Context, to store.Store, source store.RowCounts, meta []store.MetaEntry) (store.RowCounts, error) {
	var (
		got      store.RowCounts
		problems []string
	)
	err := to.View(ctx, func(tx store.Tx) error {
		ct, err := asCopyTx(tx, "target")
		if err != nil {
			return err
		}
		if got, err = ct.CountRows(); err != nil {
			return err
		}
		for _, m := range meta {
			v, err := ct.GetMeta(m.Key)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if err != nil || string(v) != string(m.Value) || (v == nil) != (m.Value == nil) {
				problems = append(problems, fmt.Sprintf("meta %s differs", m.Key))
			}
		}
		return nil
	})
	if err != nil {
		return store.RowCounts{}, fmt.Errorf("verify the target: %w", err)
	}
	kinds := slices.Sorted(maps.Keys(source.Objects))
	for k := range got.Objects {
		if _, ok := source.Objects[k]; !ok {
			kinds = append(kinds, k)
		}
	}
	for _, k := range kinds {
		if s, g := source.Objects[k], got.Objects[k]; s != g {
			problems = append(problems, fmt.Sprintf("%s objects: source %d, target %d", k, s, g))
		}
	}
	for _, n := range []struct {
		what string
		s, g int64
	}{
		{"event owners", source.EventOwners, got.EventOwners},
		{"events", source.Events, got.Events},
		{"tasks", source.Tasks, got.Tasks},
		{"timers", source.Timers, got.Timers},
	} {
		if n.s != n.g {
			problems = append(problems, fmt.Sprintf("%s: source %d, target %d", n.what, n.s, n.g))
		}
	}
	if len(problems) > 0 {
		return got, fmt.Errorf("%w: %s", ErrMismatch, strings.Join(problems, "; "))
	}
	return got, nil
}
