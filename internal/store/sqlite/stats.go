package sqlite

import (
	"context"
	"fmt"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// WriterStats are the writer's running totals and its queue, for metrics.
type WriterStats struct {
	// Transactions counts the transactions committed.
	Transactions int64
	// Updates counts the Update functions run (committed or not): divided
	// by Transactions, the mean batch size.
	Updates int64
	// Queued is how many Updates wait for the writer now, of QueueSize.
	Queued    int
	QueueSize int
}

// WriterStats returns the writer's totals and queue length: atomic loads,
// no lock.
func (s *Store) WriterStats() WriterStats {
	return WriterStats{
		Transactions: s.w.batches.Load(),
		Updates:      s.w.jobs.Load(),
		Queued:       len(s.queue),
		QueueSize:    cap(s.queue),
	}
}

// qCountStatus counts one (kind, status): a range of the index
// objects_kind_status_seq, so its cost is the number of matching rows, not
// the table's.
const qCountStatus = `SELECT COUNT(*) FROM objects WHERE kind = ? AND status = ?`

// ObjectKey names objects by kind and status.
type ObjectKey struct{ Kind, Status string }

// CountObjects returns how many objects have each kind and status of keys,
// in keys' order, read in one read-only transaction. Each count reads the
// index entries of its (kind, status) only: count statuses with few
// objects (open executions), not those that grow without bound.
func (s *Store) CountObjects(ctx context.Context, keys []ObjectKey) ([]int64, error) {
	counts := make([]int64, len(keys))
	err := s.View(ctx, func(stx store.Tx) error {
		t := stx.(*tx)
		for i, k := range keys {
			row, err := t.queryRow(qCountStatus, k.Kind, k.Status)
			if err == nil {
				err = row.Scan(&counts[i])
			}
			if err != nil {
				return fmt.Errorf("count %s %s: %w", k.Kind, k.Status, err)
			}
		}
		return nil
	})
	return counts, err
}
