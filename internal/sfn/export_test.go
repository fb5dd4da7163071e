package sfn

import "strings"

// QueueOf is the engine queue of an activity, for tests that watch its
// waiting polls.
var QueueOf = queueOf

// InScope is inScope, the heartbeat's region check.
var InScope = inScope

// PanicPrefix names the executions whose reactions to the engine panic, for
// tests of a reaction that fails.
const PanicPrefix = "panic-in-reaction-"

func init() {
	testHookReaction = func(ex *execution) {
		if strings.HasPrefix(ex.Name, PanicPrefix) {
			panic("test: the reaction of " + ex.Name + " panics")
		}
	}
}
