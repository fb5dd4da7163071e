package sfn

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// decode decodes a stored object's body.
func decode(o *store.Object, v any) error {
	if err := json.Unmarshal(o.Body, v); err != nil {
		return fmt.Errorf("decode %s %s: %w", o.Kind, o.ID, err)
	}
	return nil
}

// list pages through objects of kind (optionally of one parent and status)
// in insertion order (newest first if desc), calling each for every object
// of the page and setting *next to the next page's token.
func (s *Service) list(ctx context.Context, kind, parent, status string, maxResults int, token string, desc bool, next *string, each func(*store.Object) error) error {
	key := listingKey(kind, parent)
	after, err := parsePageToken(key, token)
	if err != nil {
		return err
	}
	size := pageSize(maxResults)
	return s.view(ctx, func(tx store.Tx) error {
		objs, err := tx.ListObjects(store.ObjectQuery{Kind: kind, Parent: parent, Status: status, AfterSeq: after, Desc: desc, Limit: size + 1})
		if err != nil {
			return err
		}
		if len(objs) > size {
			objs = objs[:size]
			*next = awsapi.PageToken(key, objs[size-1].Seq)
		}
		for _, o := range objs {
			if err := each(o); err != nil {
				return err
			}
		}
		return nil
	})
}
