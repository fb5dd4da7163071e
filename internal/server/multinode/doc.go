// Package multinode holds the tests of several `gaffer serve` processes
// sharing one PostgreSQL database: cross-node wake, heartbeats and
// completions sent to any node, deadlines that fire once, hand-over at
// SIGTERM, take-over after kill -9, and fencing of a node that was paused
// past its lease. It has no code of its own: the nodes are real processes
// (servertest.StartNode) on a throwaway PostgreSQL cluster (pgtest).
package multinode
