// Package cluster is one node's membership among the gaffer processes that
// share a store, and the notices they send each other. The design is in
// docs/architecture.md ("Several nodes"); this is the protocol.
//
// # Rows
//
// A node is a row in the store's nodes (store.Tx.JoinNode): its name
// (Config.Name), its address, an epoch the store assigns from a global
// sequence, and an expiry the store sets from its own clock (now + the
// lease, Config.Lease, 10 s by default). Each of the store.Partitions (64)
// partitions has a lease row naming its holder: the node that keeps that
// partition's deadlines in memory and fires them. A partition is free when
// its lease names nobody or a node whose row is gone. The rows are the
// truth; a node's memory follows them.
//
// # The membership loop
//
// Start joins (JoinNode), fences the store to the new row if it is a
// store.Fencer, balances once — so Start returns with the node's partitions
// loaded through Engine.Acquire — and starts one goroutine that, every
// lease/3:
//
//  1. renews the node's row (RenewNode);
//  2. reaps the rows that expired (ReapNodes): a node that died without
//     leaving, whose partitions are free from then on;
//  3. balances.
//
// A gaffer_nodes notice from another node makes it balance at once.
//
// Balancing reads the live nodes and the leases in one snapshot. With n
// live nodes in name order, the node of index i has the fair share
// ⌈64/n⌉ if i < 64 mod n, else ⌊64/n⌋: the shares add up to 64, so the
// nodes converge to exactly them (three nodes: 22, 21, 21) with no
// partition free. A node above its share frees the partitions it likes
// least — first Engine.Release (and Owns turns false), then ReleaseLease,
// then a gaffer_nodes notice so that the others take them at once. A node
// below its share takes free partitions (AcquireLease, each in a
// savepoint: one another node took first, store.ErrLeaseHeld, is skipped)
// up to its share, in its own order of preference: the ring of partitions
// starting at PartitionOf(its name), so that nodes spread out instead of
// contending for the same ones, and a node keeps the ones nearest its
// start. Owns turns true once the lease is committed, before
// Engine.Acquire loads the partition's open tasks and timers; if Acquire
// fails, the partition stays held and Acquire is called again for it on
// the next tick. A node whose join notice others hear (gaffer_nodes)
// makes them give up their extra partitions at once, so it gets its share
// within a tick or two of notices.
//
// Alone (no Notifier: a SQLite file has one process), Start first deletes
// every other node's row, which can only be a previous process that did
// not leave, so that a restarted node takes all 64 partitions at once
// instead of waiting for the old rows to expire.
//
// # Hand-over
//
// Stop hands over at once: it releases every partition in the engine,
// deletes the node's row and frees its leases (LeaveNode), turns the
// store's fencing off (writes the process still makes need no
// membership) and sends a gaffer_nodes notice, on which the others
// balance and take the freed partitions without waiting for a lease to
// expire. A node that dies instead is reaped by the others once its row
// expires, within a lease and a tick.
//
// # Fencing
//
// A node's row is its right to write: once the store is fenced to (name,
// epoch), each of its write transactions checks that row first. If the row
// is gone — the node was paused or cut off longer than its lease and
// another reaped it, and may have taken its partitions — RenewNode or any
// fenced write returns store.ErrFenced. The node then releases every
// partition in the engine, turns the fence off, joins again with a new
// epoch, fences to it, tells the others and balances like a new node.
//
// # Notices
//
// With a Notifier, the node listens on three channels and sends on them:
//
//   - gaffer_wake: queue names separated by "\n" — queues that got a
//     scheduled task no poller of the sender took (Wake). Each queue goes
//     to Engine.WakeQueue.
//   - gaffer_arm: ids written by the sender in partitions it does not hold
//     (Arm), as comma-separated items: "pN" names the partition of the
//     items after it, "tN" is a task id and "mN" a timer id, e.g.
//     "p5,t12,t13,m7,p9,t4". A receiver keeps the ids of the partitions it
//     Owns and passes them to Engine.ArmRemote; the others skip the notice
//     without reading a row.
//   - gaffer_nodes: the sender's name — membership changed (a node joined,
//     left, was reaped, or freed partitions): balance now.
//
// Wake and Arm never block (they are called from after-commit callbacks on
// the store's writer): they add to a pending set, and a sender goroutine
// sends what gathered over about a millisecond (at once when a channel's
// payload reaches ~7,000 bytes) as one notice per channel, more only if a
// payload would pass 7,000 bytes. A notice the store refuses is tried
// again with a back-off; Stop sends what is pending before the node
// leaves. A notice comes back to its sender too: the node remembers what
// it sent and skips the echo.
//
// A notice may be lost (the listener's connection broke). The listener
// then gets a "" notice when it listens again, and calls Engine.Reconcile
// so that the engine reloads its partitions and the queues it has polls
// waiting on from the rows. The first "" (listening has begun) needs no
// reconcile: Start waits for it, up to a third of the lease, before its
// first balance, whose loads see everything a notice could have named
// before.
//
// # Errors
//
// The loops never stop on a store error (ErrOverloaded, a lost
// connection): each operation that fails is logged once, with its
// recovery, and retried on the next tick. So are the engine's failures:
// a partition whose Engine.Acquire failed stays held and is acquired
// again; the queues and ids of a WakeQueue or ArmRemote that failed, and a
// Reconcile that failed, are handed to the engine again (a pending
// reconcile stands for the rest).
//
// # Stopping
//
// Stop must run before the store closes. Wake and Arm calls after it
// begins are dropped, so a process stops its server first; the engine may
// stop before or after (Release only drops memory).
package cluster
