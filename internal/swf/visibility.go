package swf

import (
	"encoding/json"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// visibilityOps returns the read-only execution operations: describe,
// history, list and count.
func (s *Service) visibilityOps() map[string]awsapi.Operation {
	return map[string]awsapi.Operation{}
}

// historyPage returns one page of an execution's history (pageSize events
// at most; 0 means SWF's default of 1000), oldest first unless reverse, and
// the token of the next page ("" on the last). GetWorkflowExecutionHistory
// and PollForDecisionTask both page with it; a token of another execution
// is refused.
func historyPage(tx store.Tx, ex *execution, token string, size int, reverse bool) ([]json.RawMessage, string, error) {
	key := listingKey("history", ex.ID())
	after, err := parsePageToken(key, token)
	if err != nil {
		return nil, "", err
	}
	size = pageSize(size)
	evs, err := tx.ListEvents(store.EventQuery{Owner: ex.ID(), AfterID: after, Desc: reverse, Limit: size + 1})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(evs) > size {
		evs = evs[:size]
		next = pageToken(key, evs[size-1].ID)
	}
	out := make([]json.RawMessage, len(evs))
	for i, e := range evs {
		out[i] = e.Body
	}
	return out, next, nil
}
