package sfn

import (
	"strings"
	"sync"
)

// QueueOf is the engine queue of an activity, for tests that watch its
// waiting polls.
var QueueOf = queueOf

// InScope is inScope, the heartbeat's region check.
var InScope = inScope

// PanicPrefix names the executions whose reactions to the engine panic, for
// tests of a reaction that fails.
const PanicPrefix = "panic-in-reaction-"

// FirstWritePrefix names the executions whose first write is counted in
// FirstWriteEvents: by name, the history events StartExecution's own write
// recorded.
const FirstWritePrefix = "first-write-"

// FirstWriteEvents: see FirstWritePrefix.
var FirstWriteEvents sync.Map

func init() {
	testHookFirstWrite = func(ex *execution) {
		if strings.HasPrefix(ex.Name, FirstWritePrefix) {
			FirstWriteEvents.Store(ex.Name, ex.LastEventID)
		}
	}
	testHookReaction = func(ex *execution) {
		if strings.HasPrefix(ex.Name, PanicPrefix) {
			panic("test: the reaction of " + ex.Name + " panics")
		}
	}
}
