package sqlite

import (
	"context"
	"fmt"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// WriterStats implements store.Stats.
func (s *Store) WriterStats() store.WriterStats {
	return store.WriterStats{
		Transactions: s.w.batches.Load(),
		Updates:      s.w.jobs.Load(),
		Queued:       s.lanes.Len(),
		QueueSize:    s.lanes.Cap(),
	}
}

// qCountStatus counts one (kind, status): a range of the index
// objects_kind_status_seq, so its cost is the number of matching rows, not
// the table's.
const qCountStatus = `SELECT COUNT(*) FROM objects WHERE kind = ? AND status = ?`

// CountObjects implements store.Stats.
func (s *Store) CountObjects(ctx context.Context, keys []store.ObjectKey) ([]int64, error) {
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
