package store

import "context"

// Stats is a store that reports on itself, for metrics: both stores
// implement it.
type Stats interface {
	// WriterStats returns the writer's totals and queue: atomic loads,
	// no lock, no I/O.
	WriterStats() WriterStats
	// CountObjects returns how many objects have each kind and status of
	// keys, in keys' order, read in one read-only transaction. Each count
	// reads the index entries of its (kind, status) only: count statuses
	// with few objects (open executions), not those that grow without
	// bound.
	CountObjects(ctx context.Context, keys []ObjectKey) ([]int64, error)
}

// WriterStats are a store writer's running totals and its queue.
type WriterStats struct {
	// Transactions counts the transactions committed.
	Transactions int64
	// Updates counts the Update functions run (committed or not): divided
	// by Transactions, the mean batch size.
	Updates int64
	// Queued is how many Updates wait for the writer now, in both lanes
	// (see Lane); QueueSize is each lane's capacity.
	Queued    int
	QueueSize int
}

// ObjectKey names objects by kind and status.
type ObjectKey struct{ Kind, Status string }
