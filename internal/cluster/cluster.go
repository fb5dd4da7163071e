package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gaffer-dev/gaffer/internal/startstop"
	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/testsignal"
)

// DefaultLease is Config.Lease's default: how long a node's row lives
// without a renewal. The node renews and balances every third of it.
const DefaultLease = 10 * time.Second

// The notice channels (store.Notifier). See the package doc for their
// payloads.
const (
	// WakeChannel carries queue names that got a scheduled task no poller
	// of the sending node took.
	WakeChannel = "gaffer_wake"
	// ArmChannel carries task and timer ids, by partition, that the
	// partition's holder should read and arm.
	ArmChannel = "gaffer_arm"
	// NodesChannel says that membership changed: balance now.
	NodesChannel = "gaffer_nodes"
)

// Engine is the engine's side of membership: what a node calls when it
// takes or gives up partitions and when a notice arrives. Every method may
// be called concurrently with the others (the membership loop and the
// notice listener are two goroutines). *engine.Engine implements it.
type Engine interface {
	// Acquire loads and arms the open tasks and timers of partitions,
	// which this node has just come to hold (Owns reports them already).
	// An error leaves them held: Acquire is called again for them on the
	// next tick.
	Acquire(ctx context.Context, partitions []int) error
	// Release drops what the engine keeps in memory for partitions,
	// which this node no longer holds (Owns reports them no longer).
	Release(partitions []int)
	// WakeQueue tells the engine that queue got a scheduled task on
	// another node: polls waiting here on it should look in the store.
	// An error is retried on the next tick.
	WakeQueue(ctx context.Context, queue string) error
	// ArmRemote asks the engine to read and arm tasks and timers another
	// node wrote in partitions this node holds. An error is retried on
	// the next tick.
	ArmRemote(ctx context.Context, tasks, timers []int64) error
	// Reconcile asks the engine to reload from the store what notices may
	// have carried while they could be lost (the listener reconnected).
	// An error is retried on the next tick.
	Reconcile(ctx context.Context) error
}

// Config configures a Node.
type Config struct {
	Store store.Store
	// Notifier carries notices between the nodes that share Store; nil
	// means this node is alone (a SQLite file has one process): Start
	// removes every other node's row and takes all partitions, and Wake
	// and Arm do nothing.
	Notifier store.Notifier
	Engine   Engine
	// Name is the node's ID among the nodes (--node-name; the caller
	// passes host:port by default). Required.
	Name string
	// Addr is where the node serves clients, for operators.
	Addr string
	// Lease is how long the node's row lives without renewal; default
	// DefaultLease. The node renews, reaps and balances every Lease/3.
	Lease  time.Duration
	Logger *slog.Logger // nil: discard
	// Now is the clock, for logs only (expiry is the store's clock); nil
	// means time.Now.
	Now func() time.Time
}

// Node is one node's membership: its row in the store, the partitions it
// holds and the notices it sends and receives. It implements the engine's
// view of the cluster (Owns, Shared, Wake, Arm). See the package doc.
type Node struct {
	store    store.Store
	notifier store.Notifier
	fencer   store.Fencer // nil if the store is not one
	engine   Engine
	name     string
	addr     string
	lease    time.Duration
	log      *slog.Logger
	now      func() time.Time
	start    int // the first partition in this node's order of preference

	life startstop.Base
	// parent is Start's context: Stop's hand-over runs under it, without
	// its cancellation.
	parent context.Context

	// owned[p] is true while this node holds partition p's lease: set
	// before Engine.Acquire, cleared before Engine.Release.
	owned [store.Partitions]atomic.Bool

	// mu guards what Status reads; the membership goroutine (or Start and
	// Stop, when it is not running) is the only writer.
	mu      sync.Mutex
	joined  bool  // this node has a row (of epoch)
	epoch   int64 // the row's epoch
	expires time.Time
	loaded  [store.Partitions]bool // Engine.Acquire succeeded for p since it was taken
	left    bool                   // Stop has handed over

	// rebalance asks the membership loop to balance now (a gaffer_nodes
	// notice); one pending request is enough.
	rebalance chan struct{}
	// pokes lets tests run a tick on the membership loop and wait for it.
	pokes chan poke

	out    outbox
	logged errorLog
	// retry holds the notices whose handling by the engine failed, for
	// the next tick.
	retry retries
	// sent counts notices this node sent and has not heard back yet, so
	// that their echo is skipped.
	sent sentNotices

	// listening is closed when the listener's first "" notice arrives in
	// time for Start (it listens before the first balance).
	listenMu    sync.Mutex
	listenState int // listenWaiting, listenReady, listenLate
	listening   chan struct{}

	// Test hooks.
	balanced testsignal.Signal[struct{}] // after every balance

	// seen is the live nodes the last balance read (the membership loop's
	// own): a node gone from it may have died between a commit and the
	// notice that would have told this node to arm a row, so the next
	// balance reconciles.
	seen    map[string]bool
	noticed testsignal.Signal[string]   // after a notice was handled (its channel)
	flushed testsignal.Signal[struct{}] // after the sender sent a batch
}

const (
	listenWaiting = iota
	listenReady
	listenLate
)

type poke struct {
	done chan struct{}
}

// New returns a node for cfg; Start joins it.
func New(cfg Config) *Node {
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	n := &Node{
		store:     cfg.Store,
		notifier:  cfg.Notifier,
		engine:    cfg.Engine,
		name:      cfg.Name,
		addr:      cfg.Addr,
		lease:     cfg.Lease,
		log:       cfg.Logger.With("node", cfg.Name),
		now:       cfg.Now,
		start:     preferredStart(cfg.Name),
		rebalance: make(chan struct{}, 1),
		pokes:     make(chan poke),
		listening: make(chan struct{}),
	}
	n.fencer, _ = cfg.Store.(store.Fencer)
	n.out.init()
	n.logged.log = n.log
	return n
}

// Attach sets the engine the node drives, for a caller that builds the
// engine after the node (the engine's Config.Cluster is the node). Call
// it before Start.
func (n *Node) Attach(e Engine) { n.engine = e }

// Name returns the node's name.
func (n *Node) Name() string { return n.name }

// Shared reports whether other nodes may share the store (a Notifier was
// given).
func (n *Node) Shared() bool { return n.notifier != nil }

// Owns reports whether this node holds partition's lease: it arms that
// partition's deadlines. It is a lock-free read.
func (n *Node) Owns(partition int) bool {
	if partition < 0 || partition >= store.Partitions {
		return false
	}
	return n.owned[partition].Load()
}

// Start joins the node: it inserts its row (JoinNode, lease Config.Lease),
// fences the store to it if the store is a store.Fencer, takes its fair
// share of partitions (calling Engine.Acquire for them) and starts the
// membership loop and, on a shared store, the notice listener and sender.
// Alone, it first removes every other node's row, so that it takes all
// partitions at once. Start fails if joining or the first balance fails;
// then the node has left again.
func (n *Node) Start(ctx context.Context) error {
	if n.name == "" {
		return errors.New("cluster: node name is empty")
	}
	if n.store == nil || n.engine == nil {
		return errors.New("cluster: Store and Engine are required")
	}
	ctx, err := n.life.StartInit(ctx)
	if err != nil {
		return err
	}
	n.mu.Lock()
	n.parent = ctx
	n.mu.Unlock()
	if err := n.join(ctx, n.notifier == nil); err != nil {
		n.life.Stop()
		return fmt.Errorf("cluster: join: %w", err)
	}
	if n.notifier != nil {
		n.life.Go(n.listen)
		n.life.Go(n.send)
		n.awaitListening(ctx)
	}
	if err := n.balance(ctx); err != nil {
		n.Stop()
		return fmt.Errorf("cluster: first balance: %w", err)
	}
	if n.notifier != nil {
		// Joining changes the others' shares: let them give up theirs now.
		n.notify(ctx, NodesChannel, n.name)
	}
	n.life.Go(n.loop)
	return nil
}

// awaitListening waits, up to a third of the lease, until the listener
// has started (its first "" notice), so that the first balance's loads
// see everything a notice sent from then on would name, and the listener
// need not reconcile for that first notice. If it waits in vain, the
// listener reconciles when it does start.
func (n *Node) awaitListening(ctx context.Context) {
	t := time.NewTimer(n.lease / 3)
	defer t.Stop()
	select {
	case <-n.listening:
		return
	case <-t.C:
	case <-ctx.Done():
	}
	n.listenMu.Lock()
	if n.listenState == listenWaiting {
		n.listenState = listenLate
	}
	n.listenMu.Unlock()
}

// Stop hands the node's partitions over at once: it stops the loops
// (sending the notices still pending), releases every partition in the
// engine, deletes the node's row and frees its leases (LeaveNode), turns
// the store's fencing off and tells the other nodes to balance. Call it
// before the store closes. It is safe to call twice and before Start.
// Wake and Arm do nothing once Stop has begun.
func (n *Node) Stop() {
	n.out.close()
	n.life.Stop()
	n.mu.Lock()
	if n.left || n.parent == nil {
		n.left = true
		n.mu.Unlock()
		return
	}
	n.left = true
	parent := n.parent
	n.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), n.lease)
	defer cancel()
	n.releaseAll()
	n.mu.Lock()
	joined, epoch := n.joined, n.epoch
	n.joined = false
	n.mu.Unlock()
	if !joined {
		return
	}
	if n.fencer != nil {
		// A clean leave is not a stale node: writes the process still
		// makes (its engine stopping: the last heartbeat flush) need no
		// membership. Turned off before the row goes, so that none of
		// them meets the fence in between.
		n.fencer.Fence("", 0)
	}
	err := n.store.Update(ctx, func(tx store.Tx) error {
		return tx.LeaveNode(n.name, epoch)
	})
	if err != nil && !errors.Is(err, store.ErrFenced) {
		n.log.Warn("cluster: leave failed; the node's row expires after its lease", "error", err)
	}
	if n.notifier != nil {
		if err := n.notifier.Notify(ctx, NodesChannel, n.name); err != nil {
			n.log.Warn("cluster: notify after leaving failed", "error", err)
		}
	}
	n.log.Info("cluster: left", "epoch", epoch)
}

// Status is what a node knows of itself, from memory.
type Status struct {
	Name   string
	Addr   string
	Epoch  int64 // 0 while the node has no row
	Joined bool
	Shared bool
	// ExpiresAt is the row's expiry by the store's clock, as of the last
	// renewal.
	ExpiresAt time.Time
	// Partitions are the partitions this node holds, in order; Loading
	// those among them whose Engine.Acquire has not succeeded yet.
	Partitions []int
	Loading    []int
}

// Status returns what this node knows of itself.
func (n *Node) Status() Status {
	s := Status{Name: n.name, Addr: n.addr, Shared: n.Shared()}
	n.mu.Lock()
	defer n.mu.Unlock()
	s.Joined, s.Epoch, s.ExpiresAt = n.joined, n.epoch, n.expires
	for p := range store.Partitions {
		if n.owned[p].Load() {
			s.Partitions = append(s.Partitions, p)
			if !n.loaded[p] {
				s.Loading = append(s.Loading, p)
			}
		}
	}
	return s
}

// NodeView is one live node as the store has it, for operators.
type NodeView struct {
	ID        string
	Addr      string
	Epoch     int64
	JoinedAt  time.Time
	ExpiresAt time.Time // by the store's clock
	// Partitions are the partitions whose lease names this node, in order.
	Partitions []int
	// Self is true for the node that answered.
	Self bool
}

// Nodes reads the live nodes and the partitions each holds from the store,
// in ID order. Partitions no live node holds are in none.
func (n *Node) Nodes(ctx context.Context) ([]NodeView, error) {
	var nodes []store.Node
	var leases []store.Lease
	err := n.store.View(ctx, func(tx store.Tx) error {
		var err error
		if nodes, err = tx.ListNodes(); err != nil {
			return err
		}
		leases, err = tx.ListLeases()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: list nodes: %w", err)
	}
	views := make([]NodeView, len(nodes))
	index := make(map[string]int, len(nodes))
	for i, nd := range nodes {
		views[i] = NodeView{ID: nd.ID, Addr: nd.Addr, Epoch: nd.Epoch, JoinedAt: nd.JoinedAt,
			ExpiresAt: nd.ExpiresAt, Self: nd.ID == n.name}
		index[nd.ID] = i
	}
	for _, l := range leases {
		if i, ok := index[l.Node]; ok && l.Node != "" {
			views[i].Partitions = append(views[i].Partitions, l.Partition)
		}
	}
	for i := range views {
		slices.Sort(views[i].Partitions)
	}
	return views, nil
}
