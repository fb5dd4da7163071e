package pipeline

// TaskQueue is the engine queue of a worker group, for tests that watch its
// waiting polls.
var TaskQueue = taskQueue
