package swf

import (
	"fmt"
	"strings"
)

// PanicPrefix names the executions whose reactions to the engine panic, for
// tests of a reaction that fails: the reactions of workflowId
// PanicPrefix+"<n>-..." panic once its history has n events.
const PanicPrefix = "panic-in-reaction-"

func init() {
	testHookReaction = func(ex *execution) {
		rest, ok := strings.CutPrefix(ex.WorkflowID, PanicPrefix)
		if !ok {
			return
		}
		var n int64
		if _, err := fmt.Sscanf(rest, "%d-", &n); err == nil && ex.LastEventID >= n {
			panic("test: the reaction of " + ex.WorkflowID + " panics")
		}
	}
}
