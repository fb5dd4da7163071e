package postgres

import (
	"context"
	"fmt"

	"github.com/gaffer-dev/gaffer/internal/store"
)

var _ store.Stats = (*Store)(nil)

// WriterStats implements store.Stats.
func (s *Store) WriterStats() store.WriterStats {
	return store.WriterStats{
		Transactions: s.w.batches.Load(),
		Updates:      s.w.jobs.Load(),
		Queued:       s.lanes.Len(),
		QueueSize:    s.lanes.Cap(),
	}
}

// qCountStatus counts one (kind, status): a range of the (kind, status,
// seq) index, so its cost is the number of matching rows.
const qCountStatus = `SELECT count(*) FROM gaffer_objects WHERE kind = $1 AND status = $2`

// CountObjects implements store.Stats.
func (s *Store) CountObjects(ctx context.Context, keys []store.ObjectKey) ([]int64, error) {
	counts := make([]int64, len(keys))
	err := s.View(ctx, func(stx store.Tx) error {
		t := stx.(*tx)
		for i, k := range keys {
			if err := t.queryRow(qCountStatus, []any{k.Kind, k.Status}, &counts[i]); err != nil {
				return fmt.Errorf("count %s %s: %w", k.Kind, k.Status, err)
			}
		}
		return nil
	})
	return counts, err
}
