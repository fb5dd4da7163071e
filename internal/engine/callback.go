package engine

import "github.com/gaffer-dev/gaffer/internal/store"

// AttemptToken returns the token of task t's current attempt (t as read
// from the store, started: Attempt ≥ 1), as Poll returned it when the
// attempt started. It is for an owner that is also the worker of its own
// queues (Step Functions' in-process integration workers): after a
// restart it finds the attempts it had started (tx.ListTasks of its
// queues, State store.TaskStarted) and finishes them with their own
// tokens, which stay valid, instead of waiting for their timeouts. It
// mints the token only; whether the attempt is still open is for the
// verbs that take the token to say.
func (e *Engine) AttemptToken(t *store.Task) string {
	return e.tokens.encode(tokenRef{partition: t.Partition, taskID: t.ID, attempt: t.Attempt})
}
