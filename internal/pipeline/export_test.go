package pipeline

import "strings"

// TaskQueue is the engine queue of a worker group of the default region,
// for tests that watch its waiting polls.
func TaskQueue(workerGroup string) string { return "pipeline|" + workerGroup }

// PanicPrefix names the components whose reactions to the engine panic, for
// tests of a reaction that fails: those of component PanicPrefix+"closed-…"
// panic when its task closes.
const PanicPrefix = "panic-in-reaction-"

func init() {
	testHookReaction = func(callback, attemptID, instanceID string) {
		if strings.Contains(attemptID+instanceID, PanicPrefix+callback) {
			panic("test: the reaction to " + attemptID + instanceID + " panics")
		}
	}
}
