// Package engine is gaffer's task coordination core. It knows nothing of
// AWS: the dialects (sfn, swf and pipeline) translate their services'
// models into its nouns and verbs.
//
// # Nouns
//
//   - A queue is a name tasks wait in (an SFN activity, an SWF task list, a
//     Data Pipeline worker group), namespaced by dialect.
//   - A task is one unit of work in a queue (store.Task). It belongs to an
//     owner (an SFN execution...) of an owner kind (a dialect registered with
//     RegisterOwner).
//   - An attempt is one hand-out of a task to a poller. Task.Attempt counts
//     them; a token names exactly one (partition, task id, attempt).
//   - A timer is an owner's durable deadline (store.Timer).
//
// # Protocol
//
// Schedule inserts a task inside the owner's transaction. If a poller waits
// on the queue, Schedule reserves it, inserts the task already started for
// it (state Started, attempt 1) and returns Scheduled{Started: true} with
// the poller's identity, so the owner can record the start in the writes
// it is about to make; the owner's TaskStarted runs at the end of that
// transaction, after the owner's own writes (Update wraps the transaction
// for this), with StartedBySchedule, and after the commit the reserved
// poller answers with the token — one commit for schedule and start. If
// the transaction fails or ends the task again, the poller is released
// and waits on. Otherwise, after the commit the task id is offered to the
// queue's matcher, which keeps it for the next poller; that poller starts
// the attempt durably (state Started, Attempt+1, the owner's TaskStarted
// with StartedByPoll in the same transaction) and only then answers. A task canceled between the
// offer and the start is skipped. A poll whose client has gone is not
// reserved and never starts a task: an offered id is put back.
//
// The matcher holds a queue only while a task id or a poller waits on it,
// and frees it when it empties, so queue names clients poll once cost
// nothing for good (Stats counts what it holds). A poll that finds no task
// waits only if fewer than Config.MaxPollersPerQueue polls wait on its
// queue and Config.MaxWaitingPolls on all queues; otherwise it is refused
// at once (ErrTooManyPollers, ErrTooManyPolls). A poller back from a
// released reservation was already admitted and is not refused.
//
// A token is base64url(version, partition, task id, attempt, HMAC-SHA256
// truncated to 16 bytes) under a secret kept in the store, so tokens survive
// restarts and cannot be forged. Complete, Fail and AcknowledgeCancel check
// the token, then, in one transaction, check that the task is still in that
// attempt, delete it and call the owner's TaskClosed: the outcome and the
// owner's reaction commit together or not at all. CompleteFunc does the
// same with a callback of the dialect's in place of TaskClosed, for an
// answer the engine need not see (an SWF decider's decisions, kept in the
// dialect's own type). A token of any other attempt, or of a task that
// ended, gets ErrTaskClosed.
//
// Heartbeat touches memory only: the started attempt's last-beat time and
// details live in a sharded map, and a flusher persists changed ones every
// FlushInterval in one batched write. After a restart each started attempt
// gets its last persisted beat plus one FlushInterval as its last-beat time,
// so a live worker is not timed out for the beats the crash lost, and a dead
// one is timed out at most one interval late.
//
// Every deadline (schedule-to-start, schedule-to-close, start-to-close,
// heartbeat, owner timers) sits in one min-heap behind one timer set for the
// earliest. Deadlines are never removed when what they guard ends; when one
// fires it is checked against the store (and, for heartbeats, against the
// in-memory last beat, re-arming itself if the worker beat since), so stale
// ones cost one lookup. At start the engine reloads every open task and
// timer from the store and re-arms them; a deadline that passed while the
// node was down fires at once.
//
// # Several nodes
//
// Tasks, timers and tokens carry a partition, always 0 today: one node owns
// every partition. The in-memory state above (matcher, attempts, deadlines)
// belongs to the partition's owner; the plan for several nodes sharing
// PostgreSQL (leases with epochs, forwarding tokens to the owner, LISTEN/
// NOTIFY for cross-node wakeups) is in docs/architecture.md.
package engine
