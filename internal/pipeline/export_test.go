package pipeline

import (
	"strings"
	"sync"
)

// TaskQueue is the engine queue of a worker group of the default region,
// for tests that watch its waiting polls.
func TaskQueue(workerGroup string) string { return "pipeline|" + workerGroup }

// PanicPrefix names the components whose reactions to the engine panic, for
// tests of a reaction that fails: those of component PanicPrefix+"closed-…"
// panic when its task closes.
const PanicPrefix = "panic-in-reaction-"

// InstanceListings counts, per pipeline ID, the listings of a pipeline's
// instances (every run's).
var InstanceListings struct {
	sync.Mutex
	ByPipeline map[string]int
}

func init() {
	InstanceListings.ByPipeline = map[string]int{}
	testHookListInstances = func(pipelineID string) {
		InstanceListings.Lock()
		InstanceListings.ByPipeline[pipelineID]++
		InstanceListings.Unlock()
	}
	testHookReaction = func(callback, attemptID, instanceID string) {
		if strings.Contains(attemptID+instanceID, PanicPrefix+callback) {
			panic("test: the reaction to " + attemptID + instanceID + " panics")
		}
	}
}
