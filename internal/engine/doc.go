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
// earliest (the clock is Config.Now). Deadlines are never removed when what
// they guard ends. The deadline loop pops due ones, a batch at a time, and
// drops the stale ones in memory: a schedule deadline whose task is no
// longer in the scheduled set (it started or ended), a start-to-close or
// heartbeat deadline whose attempt is no longer the started one, a
// heartbeat deadline whose worker beat since (re-armed at the new due
// time). Memory only lags the store (it changes after commits), so what is
// stale there is stale here. The rest go, in batches of up to 256, to a
// fixed pool of 4 firers; the loop waits while all are busy, so however
// many deadlines fall due at once, at most 4 batches are in the store's
// queue. A firer applies its batch in one store.Update, each deadline in a
// savepoint of its own (store.Tx.Savepoint): it is checked against the
// store (the task's state and attempt, the timer's existence) and, if
// still due, the task is closed as timed out or the timer deleted, with
// the owner's reaction. A deadline whose own handling fails undoes only
// itself and is re-armed 100 ms later (one warning per batch); a batch
// the store refuses (ErrOverloaded, a failed commit) is retried whole by
// its firer after a back-off doubling from 50 ms to 2 s, and overloads
// are summed up in one log line per 10 s. A stop abandons batches not yet
// committed: the store holds them, and the next start re-arms them.
//
// At start the engine reads the open tasks and timers in pages of 1000
// within one read transaction, re-arms them (offering scheduled tasks to
// the matcher, recording started attempts) and logs progress every 25,000
// and a final count. It does not serve meanwhile: Start returns once all
// are armed, since a loaded attempt's token would be refused before. A
// deadline that passed while the node was down fires once the loops start,
// in batches like any other.
//
// # Reactions
//
// Owners run their reaction to a callback (TaskStarted, TaskClosed,
// TimerFired, an SWF decision list) through Engine.React, inside the
// transaction that records what happened. React runs the reaction in a
// savepoint of its own: if it fails for its record's own reason (a
// *BrokenError: a stored record that no longer decodes, a state the owner
// does not know) or panics, its writes and the tasks it started for
// waiting pollers are undone, and the owner's end function runs instead in
// the same transaction, ending that execution or instance (Step Functions
// States.Runtime, SWF terminated, Data Pipeline FAILED). A store error is
// returned as it is and undoes the transaction's work. So no stored record
// can make a write fail again and again, nor take the writer down. The
// savepoint costs nothing measurable on the cycle (an alternative that
// re-ran the transaction only on failure was measured equal, and dropped).
//
// # Several nodes
//
// Tasks and timers carry the partition of their owner
// (store.PartitionOf(OwnerID), set by Schedule and SetTimer; tokens carry
// it too). With Config.Cluster nil the engine is alone: it owns every
// partition, its memory is the whole truth, and all of the above holds as
// written. With a Cluster (package cluster, the membership of the nodes
// sharing the store), the same code runs with these differences:
//
//   - Deadlines are armed only for partitions the node holds (Owns). Start
//     loads the token secret only; the cluster calls Acquire for the
//     partitions it takes (a paged load like the start-up one, which arms
//     what memory does not hold already, so loading twice is harmless) and
//     Release for those it gives up: their deadlines are dropped as they
//     come due (Owns is checked at pop time; the heap is not walked), and
//     their attempts stay in memory without deadlines.
//   - After a commit, what the node wrote in a partition another node holds
//     is told to the cluster (Cluster.Arm: task and timer ids), whose
//     notice makes the holder read and arm it (ArmRemote). An attempt
//     started here is kept in memory here all the same: its worker will
//     often beat here.
//   - On a shared store (Cluster.Shared, read once), memory is a cache in
//     front of the rows. A task scheduled here that no poll here took is
//     not kept in the matcher; the cluster is told (Cluster.Wake), and its
//     notice makes the nodes with polls waiting on the queue read that
//     queue's scheduled tasks into their matchers (WakeQueue), where their
//     polls race to start them (the row decides). A poll that finds nothing
//     in memory looks in the store itself, once it is on the waiting list
//     (so a task committed after the look reaches it by a notice), and
//     again after a look whose tasks others took. Complete, Fail,
//     AcknowledgeCancel and CompleteFunc always go to the row. A heartbeat,
//     TaskQueue or TaskOwner that misses memory reads the task's row and,
//     if the attempt is open, keeps it in memory like one started here
//     (with its deadlines if its partition is held here). Every beat is
//     flushed, and the flusher's read of each row forgets an attempt
//     closed or superseded elsewhere (so a stale entry answers heartbeats
//     for at most one flush interval) and learns a cancel request; a row
//     holding a later beat (another node's) keeps it. A heartbeat deadline
//     that comes due also reads the row's last persisted beat and, if that
//     plus the heartbeat timeout plus one flush interval is still ahead,
//     waits until then: on several nodes a heartbeat timeout may fire up to
//     one flush interval late. A deadline that finds its task's row moved
//     on sets memory right (forgets the attempt, arms what the row holds
//     if the partition is held here). Attempts that need no memory here
//     (of partitions held elsewhere, or without deadlines) and have not
//     beaten here for a minute are forgotten by the flusher.
//   - Notices may be lost: Reconcile (called by the cluster when its notice
//     connection is made or re-made) re-acquires every partition held here
//     and wakes every queue polls wait on here.
//
// docs/architecture.md ("Several nodes") has the whole design: leases,
// fencing, notices.
package engine
