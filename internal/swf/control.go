package swf

import (
	"slices"
	"strings"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/swferr"
)

// controlOps returns the control-plane operations: domains, activity and
// workflow types, tags.
func (s *Service) controlOps() map[string]awsapi.Operation {
	return map[string]awsapi.Operation{
		"RegisterDomain":    awsapi.Op(s.RegisterDomain),
		"DescribeDomain":    awsapi.Op(s.DescribeDomain),
		"ListDomains":       awsapi.Op(s.ListDomains),
		"DeprecateDomain":   awsapi.Op(s.DeprecateDomain),
		"UndeprecateDomain": awsapi.Op(s.UndeprecateDomain),

		"RegisterActivityType":    awsapi.Op(s.RegisterActivityType),
		"DescribeActivityType":    awsapi.Op(s.DescribeActivityType),
		"ListActivityTypes":       awsapi.Op(s.ListActivityTypes),
		"DeprecateActivityType":   awsapi.Op(s.DeprecateActivityType),
		"UndeprecateActivityType": awsapi.Op(s.UndeprecateActivityType),
		"DeleteActivityType":      awsapi.Op(s.DeleteActivityType),

		"RegisterWorkflowType":    awsapi.Op(s.RegisterWorkflowType),
		"DescribeWorkflowType":    awsapi.Op(s.DescribeWorkflowType),
		"ListWorkflowTypes":       awsapi.Op(s.ListWorkflowTypes),
		"DeprecateWorkflowType":   awsapi.Op(s.DeprecateWorkflowType),
		"UndeprecateWorkflowType": awsapi.Op(s.UndeprecateWorkflowType),
		"DeleteWorkflowType":      awsapi.Op(s.DeleteWorkflowType),

		"TagResource":         awsapi.Op(s.TagResource),
		"UntagResource":       awsapi.Op(s.UntagResource),
		"ListTagsForResource": awsapi.Op(s.ListTagsForResource),
	}
}

// sortedPage returns one page of items in the order of their sort key
// (ascending, or descending if reverse) and the token of the next page (""
// on the last). The token holds the last key returned, so a listing that
// changes between pages neither repeats nor skips the items that stayed;
// listing names the listing (see listingKey) so that a token of another
// listing, or of the same one in the other order, is refused. Tokens are
// signed by pg.
func sortedPage[T any](pg awsapi.Pager, items []T, sortKey func(T) string, listing, token string, maximumPageSize int, reverse bool) ([]T, string, error) {
	after, err := parseKeyToken(pg, listing, token)
	if err != nil {
		return nil, "", err
	}
	slices.SortFunc(items, func(a, b T) int { return strings.Compare(sortKey(a), sortKey(b)) })
	if reverse {
		slices.Reverse(items)
	}
	if token != "" {
		i := slices.IndexFunc(items, func(it T) bool {
			c := strings.Compare(sortKey(it), after)
			return c > 0 && !reverse || c < 0 && reverse
		})
		if i < 0 {
			i = len(items)
		}
		items = items[i:]
	}
	size := pageSize(maximumPageSize)
	if len(items) <= size {
		return items, "", nil
	}
	items = items[:size]
	return items, keyToken(pg, listing, sortKey(items[size-1])), nil
}

// keyToken encodes a sorted listing's position: the last key returned.
func keyToken(pg awsapi.Pager, listing, last string) string {
	return pg.Sign(listing, last)
}

// parseKeyToken decodes a token made by keyToken for the same listing; ""
// starts at the beginning.
func parseKeyToken(pg awsapi.Pager, listing, tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	last, err := pg.Open(listing, tok)
	if err != nil {
		return "", tokenError(err, swferr.ValidationException("Invalid nextPageToken: it is not a page token of this listing (give the same arguments as for the first page)"))
	}
	return last, nil
}
