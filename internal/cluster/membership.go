package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// loop is the membership goroutine: every third of the lease it renews,
// reaps and balances; a gaffer_nodes notice makes it balance at once.
func (n *Node) loop(ctx context.Context) {
	t := time.NewTicker(n.lease / 3)
	defer t.Stop()
	// Reaping runs more often than renewal, so that a dead node's
	// partitions are taken within a second of its lease's end, not a
	// third of a lease later.
	r := time.NewTicker(reapEvery(n.lease))
	defer r.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.C:
			n.reapNow(ctx)
		case <-t.C:
			n.tick(ctx)
		case <-n.rebalance:
			n.mu.Lock()
			joined := n.joined
			n.mu.Unlock()
			if !joined {
				n.tick(ctx)
				continue
			}
			n.balanceOrRejoin(ctx)
		case p := <-n.pokes:
			n.tick(ctx)
			close(p.done)
		}
	}
}

// reapEvery is how often a node looks for dead nodes to reap: a tenth of
// the lease, at most a second.
func reapEvery(lease time.Duration) time.Duration {
	return min(lease/10, time.Second)
}

// reapNow reaps the rows that expired and, if it reaped any, balances and
// tells the others (a cheap write of a small table when nothing is due).
func (n *Node) reapNow(ctx context.Context) {
	n.mu.Lock()
	joined := n.joined
	n.mu.Unlock()
	if !joined {
		return
	}
	if n.reap(ctx) == 0 {
		return
	}
	n.balanceOrRejoin(ctx)
	if n.notifier != nil {
		n.notify(ctx, NodesChannel, n.name)
	}
}

// reap deletes the rows whose lease expired and returns how many.
func (n *Node) reap(ctx context.Context) int {
	var reaped []string
	err := n.store.Update(ctx, func(tx store.Tx) error {
		var err error
		reaped, err = tx.ReapNodes()
		return err
	})
	if err != nil {
		n.logged.fail(ctx, "reap", err)
		return 0
	}
	n.logged.ok("reap")
	if len(reaped) > 0 {
		n.log.Info("cluster: reaped nodes whose lease expired", "reaped", reaped)
	}
	return len(reaped)
}

// step runs one tick on the membership loop and waits for it (tests).
func (n *Node) step(ctx context.Context) {
	p := poke{done: make(chan struct{})}
	select {
	case n.pokes <- p:
	case <-ctx.Done():
		return
	}
	select {
	case <-p.done:
	case <-ctx.Done():
	}
}

// tick renews the node's row (or joins again if it has none), reaps the
// rows that expired and balances.
func (n *Node) tick(ctx context.Context) {
	n.mu.Lock()
	joined, epoch := n.joined, n.epoch
	n.mu.Unlock()
	if !joined {
		n.rejoin(ctx)
		return
	}
	var expires time.Time
	err := n.store.Update(ctx, func(tx store.Tx) error {
		var err error
		expires, err = tx.RenewNode(n.name, epoch, n.lease)
		return err
	})
	switch {
	case errors.Is(err, store.ErrFenced):
		n.fenced(ctx)
		return
	case err != nil:
		n.logged.fail(ctx, "renew", err)
	default:
		n.logged.ok("renew")
		n.mu.Lock()
		n.expires = expires
		n.mu.Unlock()
	}

	reaped := n.reap(ctx)
	n.balanceOrRejoin(ctx)
	if reaped > 0 && n.notifier != nil {
		n.notify(ctx, NodesChannel, n.name)
	}
	if n.notifier != nil {
		n.retryNotices(ctx)
	}
}

// balanceOrRejoin balances, and rejoins if the node turns out fenced.
func (n *Node) balanceOrRejoin(ctx context.Context) {
	err := n.balance(ctx)
	if errors.Is(err, store.ErrFenced) {
		n.fenced(ctx)
		return
	}
	if err != nil {
		n.logged.fail(ctx, "balance", err)
		return
	}
	n.logged.ok("balance")
}

// fenced handles the loss of the node's row: another node may hold its
// partitions already, so it drops them all, then joins again with a new
// epoch.
func (n *Node) fenced(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	n.mu.Lock()
	epoch := n.epoch
	n.joined = false
	n.mu.Unlock()
	n.log.Warn("cluster: fenced: this node's row is gone; releasing its partitions and joining again", "epoch", epoch)
	n.releaseAll()
	n.rejoin(ctx)
}

// rejoin joins again after the node lost its row, tells the others and
// balances.
func (n *Node) rejoin(ctx context.Context) {
	if err := n.join(ctx, n.notifier == nil); err != nil {
		n.logged.fail(ctx, "join", err)
		return
	}
	n.logged.ok("join")
	if n.notifier != nil {
		n.notify(ctx, NodesChannel, n.name)
	}
	// Not balanceOrRejoin: a row gone again at once waits for the next
	// tick rather than looping here.
	err := n.balance(ctx)
	if errors.Is(err, store.ErrFenced) {
		n.mu.Lock()
		n.joined = false
		n.mu.Unlock()
	}
	if err != nil {
		n.logged.fail(ctx, "balance", err)
		return
	}
	n.logged.ok("balance")
}

// join inserts the node's row and fences the store to it. alone, it first
// deletes every other node's row and frees its leases: a SQLite file has
// one process, so they are previous processes that did not leave.
func (n *Node) join(ctx context.Context, alone bool) error {
	if n.fencer != nil {
		// The check would refuse JoinNode's own transaction.
		n.fencer.Fence("", 0)
	}
	var nd store.Node
	var removed []string
	err := n.store.Update(ctx, func(tx store.Tx) error {
		nd, removed = store.Node{ID: n.name, Addr: n.addr}, nil
		if alone {
			others, err := tx.ListNodes()
			if err != nil {
				return err
			}
			for _, o := range others {
				if o.ID == n.name {
					continue // JoinNode replaces it
				}
				if err := tx.LeaveNode(o.ID, o.Epoch); err != nil {
					return err
				}
				removed = append(removed, o.ID)
			}
		}
		return tx.JoinNode(&nd, n.lease)
	})
	if err != nil {
		return err
	}
	if n.fencer != nil {
		n.fencer.Fence(n.name, nd.Epoch)
	}
	n.mu.Lock()
	n.joined, n.epoch, n.expires = true, nd.Epoch, nd.ExpiresAt
	n.mu.Unlock()
	if len(removed) > 0 {
		n.log.Info("cluster: removed the rows of previous processes (the store is not shared)", "removed", removed)
	}
	n.log.Info("cluster: joined", "epoch", nd.Epoch, "addr", n.addr, "expires_in", nd.ExpiresAt.Sub(n.now()))
	return nil
}

// releaseAll drops every partition this node holds from memory and the
// engine (not from the store).
func (n *Node) releaseAll() {
	var held []int
	n.mu.Lock()
	for p := range store.Partitions {
		if n.owned[p].Load() {
			n.owned[p].Store(false)
			held = append(held, p)
		}
		n.loaded[p] = false
	}
	n.mu.Unlock()
	if len(held) > 0 {
		n.engine.Release(held)
	}
}

// share returns the number of partitions the node of rank (its index among
// count live nodes in ID order) should hold: ⌈P/count⌉ for the first
// P mod count nodes, ⌊P/count⌋ for the others, so that the shares add up
// to P exactly.
func share(rank, count int) int {
	s := store.Partitions / count
	if rank < store.Partitions%count {
		s++
	}
	return s
}

// preferredStart is where a node starts in the ring of partitions when it
// chooses which to take (and keeps them from there on), so that nodes
// spread out rather than all contend for partition 0: FNV-1a of its name.
func preferredStart(name string) int {
	return store.PartitionOf(name)
}

// balance brings the node's partitions to its share: it reads the live
// nodes and the leases, drops from memory partitions the store says are no
// longer its own, frees those above its share (Engine.Release, then the
// store, then a gaffer_nodes notice), takes free ones up to its share, and
// calls Engine.Acquire for every partition it holds that the engine has not
// loaded yet. It returns store.ErrFenced if the node's row is gone.
func (n *Node) balance(ctx context.Context) error {
	defer n.balanced.Signal(struct{}{})
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
		return fmt.Errorf("read membership: %w", err)
	}
	self := slices.IndexFunc(nodes, func(nd store.Node) bool { return nd.ID == n.name })
	if self < 0 {
		return store.ErrFenced
	}
	n.mu.Lock()
	epoch := n.epoch
	n.mu.Unlock()
	if nodes[self].Epoch != epoch {
		return store.ErrFenced // a later process of the same name took the row
	}
	live := make(map[string]bool, len(nodes))
	for _, nd := range nodes {
		live[nd.ID] = true
	}
	// A node gone since the last balance (reaped, or left) may have
	// committed rows of this node's partitions and died before telling:
	// reconcile once this balance is done.
	gone := false
	for name := range n.seen {
		if !live[name] {
			gone = true
		}
	}
	n.seen = live
	if gone && n.notifier != nil {
		defer n.reconcile(ctx)
	}
	var holder [store.Partitions]string
	for _, l := range leases {
		if l.Partition >= 0 && l.Partition < store.Partitions && live[l.Node] {
			holder[l.Partition] = l.Node
		}
	}
	quota := share(self, len(nodes))

	// The partitions the store says are this node's, and the free ones,
	// in this node's order of preference.
	var mine, free []int
	for i := range store.Partitions {
		p := (n.start + i) % store.Partitions
		switch holder[p] {
		case n.name:
			mine = append(mine, p)
		case "":
			free = append(free, p)
		}
	}

	// Held in memory but not in the store: lost (only after fencing).
	var lost []int
	for p := range store.Partitions {
		if n.owned[p].Load() && holder[p] != n.name {
			lost = append(lost, p)
		}
	}
	if len(lost) > 0 {
		n.drop(lost)
		n.log.Warn("cluster: partitions held in memory are no longer this node's", "partitions", lost)
	}

	if len(mine) > quota {
		extra := slices.Clone(mine[quota:])
		mine = mine[:quota]
		var held []int
		for _, p := range extra {
			if n.owned[p].Load() {
				held = append(held, p)
			}
		}
		n.drop(held)
		err := n.store.Update(ctx, func(tx store.Tx) error {
			for _, p := range extra {
				if err := tx.ReleaseLease(p, n.name); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			// They stay this node's in the store, out of its memory:
			// the next balance frees them again.
			return fmt.Errorf("release leases: %w", err)
		}
		slices.Sort(extra)
		n.log.Info("cluster: released partitions above the share", "partitions", extra, "share", quota, "nodes", len(nodes))
		if n.notifier != nil {
			n.notify(ctx, NodesChannel, n.name)
		}
	}

	if want := quota - len(mine); want > 0 && len(free) > 0 {
		var taken []int
		err := n.store.Update(ctx, func(tx store.Tx) error {
			taken = taken[:0]
			for _, p := range free {
				if len(taken) == want {
					break
				}
				err := tx.Savepoint(func(tx store.Tx) error {
					_, err := tx.AcquireLease(p, n.name)
					return err
				})
				if errors.Is(err, store.ErrLeaseHeld) {
					continue // another node was quicker
				}
				if err != nil {
					return err
				}
				taken = append(taken, p)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("acquire leases: %w", err)
		}
		mine = append(mine, taken...)
	}

	// Own what the store says is this node's, and load what the engine
	// has not loaded yet.
	var load []int
	n.mu.Lock()
	for _, p := range mine {
		n.owned[p].Store(true)
		if !n.loaded[p] {
			load = append(load, p)
		}
	}
	n.mu.Unlock()
	if len(load) == 0 {
		return nil
	}
	slices.Sort(load)
	if err := n.engine.Acquire(ctx, load); err != nil {
		return fmt.Errorf("engine acquire of partitions %v: %w", load, err)
	}
	n.mu.Lock()
	for _, p := range load {
		// Still held: only this goroutine drops partitions.
		n.loaded[p] = true
	}
	n.mu.Unlock()
	n.log.Info("cluster: took partitions", "partitions", load, "share", quota, "nodes", len(nodes))
	return nil
}

// drop stops owning partitions and releases them in the engine.
func (n *Node) drop(partitions []int) {
	if len(partitions) == 0 {
		return
	}
	n.mu.Lock()
	for _, p := range partitions {
		n.owned[p].Store(false)
		n.loaded[p] = false
	}
	n.mu.Unlock()
	n.engine.Release(partitions)
}

// errorLog logs a failing operation once, and its recovery once, so that
// a store that stays overloaded or unreachable does not flood the log
// while the loops retry every tick.
type errorLog struct {
	log    *slog.Logger
	mu     sync.Mutex
	failed map[string]bool
}

func (l *errorLog) fail(ctx context.Context, op string, err error) {
	if ctx.Err() != nil {
		return // stopping
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failed[op] {
		return
	}
	if l.failed == nil {
		l.failed = make(map[string]bool)
	}
	l.failed[op] = true
	l.log.Warn("cluster: operation failed; retrying (logged once until it succeeds)", "op", op, "error", err)
}

func (l *errorLog) ok(op string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failed[op] {
		delete(l.failed, op)
		l.log.Info("cluster: operation succeeds again", "op", op)
	}
}
