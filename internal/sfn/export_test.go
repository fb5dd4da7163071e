package sfn

// QueueOf is the engine queue of an activity, for tests that watch its
// waiting polls.
var QueueOf = queueOf
