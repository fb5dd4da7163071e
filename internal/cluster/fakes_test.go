package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/testsignal"
)

// memStore is an in-memory store of the membership rows only (the other
// Tx methods panic), with a clock the test moves: it lets a test expire a
// node's row without waiting.
type memStore struct {
	mu    sync.Mutex
	now   time.Time
	seq   int64
	nodes map[string]store.Node
	lease map[int]store.Lease
}

func newMemStore() *memStore {
	return &memStore{now: time.Unix(1_000_000, 0).UTC(), nodes: map[string]store.Node{}, lease: map[int]store.Lease{}}
}

func (s *memStore) advance(d time.Duration) {
	s.mu.Lock()
	s.now = s.now.Add(d)
	s.mu.Unlock()
}

func (s *memStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	nodes, lease, seq := maps.Clone(s.nodes), maps.Clone(s.lease), s.seq
	tx := &memTx{s: s}
	err := fn(tx)
	if err != nil {
		s.nodes, s.lease, s.seq = nodes, lease, seq
	}
	s.mu.Unlock()
	if err == nil {
		for _, f := range tx.after {
			f()
		}
	}
	return err
}

func (s *memStore) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn(&memTx{s: s, view: true})
}

func (s *memStore) Close() error { return nil }

type memTx struct {
	store.Tx // the rest of the contract: not used here
	s        *memStore
	view     bool
	after    []func()
}

var errView = errors.New("memStore: write in a View")

func (tx *memTx) AfterCommit(f func()) { tx.after = append(tx.after, f) }

func (tx *memTx) Savepoint(fn func(store.Tx) error) error {
	nodes, lease, seq := maps.Clone(tx.s.nodes), maps.Clone(tx.s.lease), tx.s.seq
	err := fn(tx)
	if err != nil {
		tx.s.nodes, tx.s.lease, tx.s.seq = nodes, lease, seq
	}
	return err
}

func (tx *memTx) JoinNode(n *store.Node, ttl time.Duration) error {
	if tx.view {
		return errView
	}
	tx.s.seq++
	n.Epoch, n.JoinedAt, n.ExpiresAt = tx.s.seq, tx.s.now, tx.s.now.Add(ttl)
	tx.s.nodes[n.ID] = *n
	return nil
}

func (tx *memTx) RenewNode(id string, epoch int64, ttl time.Duration) (time.Time, error) {
	if tx.view {
		return time.Time{}, errView
	}
	n, ok := tx.s.nodes[id]
	if !ok || n.Epoch != epoch {
		return time.Time{}, store.ErrFenced
	}
	n.ExpiresAt = tx.s.now.Add(ttl)
	tx.s.nodes[id] = n
	return n.ExpiresAt, nil
}

func (tx *memTx) ReapNodes() ([]string, error) {
	if tx.view {
		return nil, errView
	}
	var reaped []string
	for id, n := range tx.s.nodes {
		if !n.ExpiresAt.After(tx.s.now) {
			delete(tx.s.nodes, id)
			reaped = append(reaped, id)
		}
	}
	slices.Sort(reaped)
	return reaped, nil
}

func (tx *memTx) LeaveNode(id string, epoch int64) error {
	if tx.view {
		return errView
	}
	n, ok := tx.s.nodes[id]
	if !ok || n.Epoch != epoch {
		return nil
	}
	delete(tx.s.nodes, id)
	for p, l := range tx.s.lease {
		if l.Node == id {
			l.Node = ""
			l.Epoch++
			tx.s.lease[p] = l
		}
	}
	return nil
}

func (tx *memTx) ListNodes() ([]store.Node, error) {
	var out []store.Node
	for _, id := range slices.Sorted(maps.Keys(tx.s.nodes)) {
		out = append(out, tx.s.nodes[id])
	}
	return out, nil
}

func (tx *memTx) ListLeases() ([]store.Lease, error) {
	var out []store.Lease
	for _, p := range slices.Sorted(maps.Keys(tx.s.lease)) {
		out = append(out, tx.s.lease[p])
	}
	return out, nil
}

func (tx *memTx) AcquireLease(partition int, node string) (store.Lease, error) {
	if tx.view {
		return store.Lease{}, errView
	}
	if _, ok := tx.s.nodes[node]; !ok {
		return store.Lease{}, fmt.Errorf("memStore: node %q is not live", node)
	}
	l, ok := tx.s.lease[partition]
	if !ok {
		l = store.Lease{Partition: partition}
	}
	if _, live := tx.s.nodes[l.Node]; l.Node != "" && l.Node != node && live {
		return store.Lease{}, store.ErrLeaseHeld
	}
	l.Node = node
	l.Epoch++
	tx.s.lease[partition] = l
	return l, nil
}

func (tx *memTx) ReleaseLease(partition int, node string) error {
	if tx.view {
		return errView
	}
	l, ok := tx.s.lease[partition]
	if !ok || l.Node != node {
		return nil
	}
	l.Node = ""
	l.Epoch++
	tx.s.lease[partition] = l
	return nil
}

// bus is an in-process store.Notifier shared by the nodes of a test: each
// notice goes to every listener of its channel, the sender's own included.
type bus struct {
	t  *testing.T
	mu sync.Mutex
	// subs are the listeners, by node.
	subs map[string]*sub
	sent []sentNotice
	// failNotify makes the next Notify calls fail.
	failNotify atomic.Int32
}

type sentNotice struct {
	from, channel, payload string
}

type sub struct {
	channels map[string]bool
	ch       chan notice // notice{"", ""} asks for a "reconnect"
}

func newBus(t *testing.T) *bus { return &bus{t: t, subs: map[string]*sub{}} }

func (b *bus) notify(from, channel, payload string) error {
	if b.failNotify.Add(-1) >= 0 {
		return errors.New("bus: notify refused")
	}
	b.failNotify.Store(0)
	if len(payload) > maxPayload {
		b.t.Errorf("notice on %s of %d bytes, over %d", channel, len(payload), maxPayload)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sent = append(b.sent, sentNotice{from, channel, payload})
	for _, s := range b.subs {
		if s.channels[channel] {
			select {
			case s.ch <- notice{channel, payload}:
			default:
				b.t.Errorf("bus: a listener's queue is full")
			}
		}
	}
	return nil
}

func (b *bus) listen(ctx context.Context, node string, channels []string, fn func(channel, payload string)) error {
	s := &sub{channels: map[string]bool{}, ch: make(chan notice, 4096)}
	for _, c := range channels {
		s.channels[c] = true
	}
	b.mu.Lock()
	b.subs[node] = s
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		if b.subs[node] == s {
			delete(b.subs, node)
		}
		b.mu.Unlock()
	}()
	fn("", "")
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case nt := <-s.ch:
			fn(nt.channel, nt.payload)
		}
	}
}

// reconnect makes node's listener start again, as after a lost connection:
// it gets a "" notice.
func (b *bus) reconnect(node string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs[node].ch <- notice{}
}

// notices returns the notices sent so far by from on channel.
func (b *bus) notices(from, channel string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, s := range b.sent {
		if s.from == from && s.channel == channel {
			out = append(out, s.payload)
		}
	}
	return out
}

// nodeStore is one node's handle on the shared store: a store.Fencer whose
// check runs in each Update (as a shared store's does), and a
// store.Notifier on the bus (nil bus: alone). It can refuse Updates.
type nodeStore struct {
	store.Store
	name string
	bus  *bus

	mu         sync.Mutex
	fenceNode  string
	fenceEpoch int64

	// failUpdates makes the next Update calls fail with ErrOverloaded.
	failUpdates atomic.Int32
}

func (s *nodeStore) Fence(node string, epoch int64) {
	s.mu.Lock()
	s.fenceNode, s.fenceEpoch = node, epoch
	s.mu.Unlock()
}

func (s *nodeStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	if s.failUpdates.Add(-1) >= 0 {
		return store.ErrOverloaded
	}
	s.failUpdates.Store(0)
	s.mu.Lock()
	node, epoch := s.fenceNode, s.fenceEpoch
	s.mu.Unlock()
	return s.Store.Update(ctx, func(tx store.Tx) error {
		if node != "" {
			nodes, err := tx.ListNodes()
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(nodes, func(n store.Node) bool { return n.ID == node && n.Epoch == epoch }) {
				return store.ErrFenced
			}
		}
		return fn(tx)
	})
}

// notifierStore is a nodeStore with a Notifier.
type notifierStore struct{ *nodeStore }

func (s notifierStore) Notify(ctx context.Context, channel, payload string) error {
	return s.bus.notify(s.name, channel, payload)
}

func (s notifierStore) Listen(ctx context.Context, channels []string, fn func(channel, payload string)) error {
	return s.bus.listen(ctx, s.name, channels, fn)
}

// fakeEngine records what a node asks of its engine.
type fakeEngine struct {
	t       *testing.T
	node    *Node // checked: Owns at Acquire and Release
	changed *testsignal.Signal[struct{}]

	mu         sync.Mutex
	held       map[int]bool
	acquires   [][]int
	releases   [][]int
	woken      []string
	tasks      []int64
	timers     []int64
	reconciles int
	// failAcquire makes the next Acquire calls fail; failNotices the
	// next WakeQueue, ArmRemote and Reconcile calls.
	failAcquire int
	failNotices int
}

func (e *fakeEngine) Acquire(ctx context.Context, partitions []int) error {
	defer e.changed.Signal(struct{}{})
	e.mu.Lock()
	defer e.mu.Unlock()
	e.acquires = append(e.acquires, slices.Clone(partitions))
	if e.failAcquire > 0 {
		e.failAcquire--
		return errors.New("fake engine: acquire failed")
	}
	for _, p := range partitions {
		if e.held[p] {
			e.t.Errorf("%s: Acquire of partition %d, loaded already", e.node.name, p)
		}
		if !e.node.Owns(p) {
			e.t.Errorf("%s: Acquire of partition %d, which it does not own", e.node.name, p)
		}
		e.held[p] = true
	}
	return nil
}

func (e *fakeEngine) Release(partitions []int) {
	defer e.changed.Signal(struct{}{})
	e.mu.Lock()
	defer e.mu.Unlock()
	e.releases = append(e.releases, slices.Clone(partitions))
	for _, p := range partitions {
		if e.node.Owns(p) {
			e.t.Errorf("%s: Release of partition %d, which it still owns", e.node.name, p)
		}
		delete(e.held, p)
	}
}

func (e *fakeEngine) WakeQueue(ctx context.Context, queue string) error {
	defer e.changed.Signal(struct{}{})
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.failNotices > 0 {
		e.failNotices--
		return errors.New("fake engine: wake failed")
	}
	e.woken = append(e.woken, queue)
	return nil
}

func (e *fakeEngine) ArmRemote(ctx context.Context, tasks, timers []int64) error {
	defer e.changed.Signal(struct{}{})
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.failNotices > 0 {
		e.failNotices--
		return errors.New("fake engine: arm failed")
	}
	e.tasks = append(e.tasks, tasks...)
	e.timers = append(e.timers, timers...)
	return nil
}

func (e *fakeEngine) Reconcile(ctx context.Context) error {
	defer e.changed.Signal(struct{}{})
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.failNotices > 0 {
		e.failNotices--
		return errors.New("fake engine: reconcile failed")
	}
	e.reconciles++
	return nil
}

// loaded returns the partitions the engine holds, in order.
func (e *fakeEngine) loaded() []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Sorted(maps.Keys(e.held))
}
