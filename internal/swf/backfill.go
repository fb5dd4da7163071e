package swf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// visibilityBuilt is the meta key that says every execution has its
// visibility entry: BuildVisibility has run on this store. A derived
// entry: a copy of the store (gaffer copy) carries neither it nor the
// entries, and builds them again.
const visibilityBuilt = store.DerivedMetaPrefix + "swf.visibility"

// backfillPage is how many executions BuildVisibility indexes per
// transaction.
const backfillPage = 500

// BuildVisibility writes the visibility entries of the executions stored
// before the index existed (a database of an older gaffer, or a copy),
// once per store: in pages of backfillPage executions, one transaction
// each, logging its progress. Executions that start or close meanwhile
// write their own entries; a page that meets one rewrites the same entry
// from the same record. Call it once the node has joined, before serving.
func (s *Service) BuildVisibility(ctx context.Context) error {
	var built bool
	err := s.view(ctx, func(tx store.Tx) error {
		_, err := tx.GetMeta(visibilityBuilt)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		built = err == nil
		return err
	})
	if err != nil || built {
		return err
	}
	began := time.Now()
	var after, total int64
	for page := 1; ; page++ {
		var (
			last, n int64
			done    bool
		)
		err := s.update(ctx, func(tx store.Tx) error {
			last, n, done = after, 0, false
			objs, err := tx.ListObjects(store.ObjectQuery{Kind: kindExecution, AfterSeq: after, Limit: backfillPage})
			if err != nil {
				return err
			}
			for _, o := range objs {
				last = o.Seq
				var ex execution
				if err := json.Unmarshal(o.Body, &ex); err != nil {
					s.log.Warn("visibility: an execution's record does not decode: it is not listed", "id", o.ID, "err", err)
					continue
				}
				if err := tx.PutVisibility(visibilityOf(&ex)); err != nil {
					return err
				}
				n++
			}
			if len(objs) < backfillPage {
				done = true
				return tx.PutMeta(visibilityBuilt, []byte(time.Now().UTC().Format(time.RFC3339)))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("build the executions' visibility index: %w", err)
		}
		after, total = last, total+n
		if done {
			if total > 0 {
				s.log.Info("visibility index built", "executions", total, "took", time.Since(began))
			}
			return nil
		}
		if page%20 == 0 {
			s.log.Info("building the visibility index", "executions", total)
		}
	}
}
