package sfn

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

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
// of the page and setting *next to the next page's token. A region other
// than "" lists only the objects whose ID, an ARN, is in that region: the
// store does not index regions, so list reads on past other regions'
// objects until the page is full, and the token holds the position of the
// page's last object. The token is bound to kind, parent, status and
// region: a token reused with any of them changed is InvalidToken.
func (s *Service) list(ctx context.Context, kind, parent, status, region string, maxResults int, token string, desc bool, next *string, each func(*store.Object) error) error {
	return s.listWhere(ctx, kind, parent, status, region, "", nil, maxResults, token, desc, next, each)
}

// listWhere is list keeping only the objects keep accepts (nil: all);
// filter names keep in the page token's key.
func (s *Service) listWhere(ctx context.Context, kind, parent, status, region, filter string, keep func(*store.Object) (bool, error), maxResults int, token string, desc bool, next *string, each func(*store.Object) error) error {
	key := awsapi.ListingKey(kind, parent, status)
	prefix := ""
	if region != "" {
		key = awsapi.ListingKey(kind, parent, status, region)
		prefix = "arn:" + awsapi.Partition(region) + ":states:" + region + ":"
	}
	if filter != "" {
		key = awsapi.ListingKey(key, filter)
	}
	after, err := s.parsePageToken(key, token)
	if err != nil {
		return err
	}
	size := pageSize(maxResults)
	return s.view(ctx, func(tx store.Tx) error {
		var page []*store.Object
		for cursor := after; ; {
			objs, err := tx.ListObjects(store.ObjectQuery{Kind: kind, Parent: parent, Status: status, AfterSeq: cursor, Desc: desc, Limit: size + 1})
			if err != nil {
				return err
			}
			for _, o := range objs {
				if !strings.HasPrefix(o.ID, prefix) || len(page) > size {
					continue
				}
				if keep != nil {
					if ok, err := keep(o); err != nil || !ok {
						if err != nil {
							return err
						}
						continue
					}
				}
				page = append(page, o)
			}
			if len(page) > size || len(objs) <= size {
				break
			}
			cursor = objs[len(objs)-1].Seq
		}
		if len(page) > size {
			page = page[:size]
			*next = s.pageToken(key, page[size-1].Seq)
		}
		for _, o := range page {
			if err := each(o); err != nil {
				return err
			}
		}
		return nil
	})
}
