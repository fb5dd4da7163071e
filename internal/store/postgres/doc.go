// Package postgres implements store.Store on PostgreSQL, through pgx v5
// (github.com/jackc/pgx/v5) and its pool. Several gaffer nodes may share
// one database: the store is also a store.Fencer and a store.Notifier.
//
// # Schema
//
// Open creates the schema on first start and migrates it on later ones
// (schema.go): versioned migrations embedded in the binary, each in its
// own transaction under pg_advisory_xact_lock, so that nodes starting at
// once migrate once and the others find nothing to do. The version is the
// one row of gaffer_schema_version. A database whose version is newer than
// the binary knows is refused (ErrSchemaTooNew, naming both versions):
// never a silent downgrade.
//
// Every table, index and sequence is named gaffer_…, in the connection's
// search_path schema (usually public), so that gaffer may share a database
// with other applications; to keep it apart, give its role a schema of its
// own (search_path in the DSN: options=-csearch_path=gaffer). The tables:
// gaffer_meta, gaffer_objects, gaffer_events, gaffer_tasks, gaffer_timers,
// gaffer_nodes and gaffer_leases, with the sequences gaffer_object_seq
// (Object.Seq) and gaffer_node_epoch (Node.Epoch); task and timer IDs are
// identity columns. Bodies are BYTEA (NULL for a nil slice, so nil and
// empty round-trip). Task, timer and object times are BIGINT Unix
// nanoseconds (0 for the zero time), because TIMESTAMPTZ keeps
// microseconds only and the contract wants nanoseconds; the membership
// times are TIMESTAMPTZ from the server's clock (clock_timestamp()), so
// that nodes need not agree on the time.
//
// # Writes: group commit through one writer
//
// As in the sqlite package, Update puts a job on a bounded queue (full:
// store.ErrOverloaded) and one writer goroutine runs the queued jobs, up to
// Options.MaxBatch, in one transaction on a pool connection: each job's
// function in SAVEPOINT sp … RELEASE SAVEPOINT sp (ROLLBACK TO first when
// it fails), Tx.Savepoint nested as SAVEPOINT sub, the AfterCommit
// callbacks after COMMIT in order, on the writer. A job whose context ends
// before it starts does not run; once started, Update waits for the
// outcome. Close stops taking jobs (store.ErrClosed), commits the queued
// ones and closes the pool. The queue is two lanes, requests and
// background work, shared with the sqlite package (store.Lanes): when both
// have jobs, background gets at most store.BackgroundShare of the writer's
// time.
//
// Every statement is a network round trip, and the writer's round trips
// are the store's write throughput, so the bookkeeping statements never
// travel alone: BEGIN, SAVEPOINT, RELEASE and ROLLBACK TO are kept
// pending and sent in one pgx.Batch (one round trip) with the next real
// statement, and the last RELEASE with the COMMIT. A job of one statement
// costs one round trip; a function that sends nothing costs none, and a
// batch that sends nothing begins no transaction. Statements are prepared
// once per connection (pgx's statement cache). On one machine with
// synchronous_commit off, small parallel writes run at about the SQLite
// store's rate (tens of µs each, ~30 per commit: BenchmarkUpdate).
//
// A transaction holds at most 64 savepoints that sent statements
// (subtransactions): past that, PostgreSQL's per-backend cache of
// subtransaction ids overflows and every other session's snapshots get
// slower while the transaction runs. The writer commits a batch when it
// reaches the bound and runs the rest in the next transaction; at one
// commit per 64 writes, the commit is never the bottleneck of a writer
// bound by round trips.
//
// PostgreSQL aborts a transaction's later statements once one fails, so a
// function that goes on after a failed statement (rather than returning
// its error) fails too: its savepoint is rolled back and Update returns
// the statement's error. The store's own not-found and already-exists
// answers are not statement failures.
//
// # Reads
//
// View runs on the pool in a REPEATABLE READ READ ONLY transaction: one
// snapshot for the whole function. Its BEGIN goes out with its first
// statement, so a View of one read costs two round trips (the read and the
// ROLLBACK). Writes in a View fail; AfterCommit does nothing.
//
// # Several nodes: locking and re-runs
//
// In an Update, GetObject, GetTask and GetTimer read with SELECT … FOR
// UPDATE: the row stays locked until the commit, so two nodes'
// read-modify-writes of one row take turns, and the second reads the
// first's result. (Writes run at READ COMMITTED: the lock, not the
// isolation level, orders them.) A node's writer waits while another node
// holds a row it wants, holding up that node's other writes: functions
// must stay short.
//
// Writes wait for a row at most Options.LockTimeout (PostgreSQL's
// lock_timeout, 50 ms by default). Two nodes' batches that lock rows in
// opposite orders deadlock; PostgreSQL would find that only after
// deadlock_timeout (1 s, a setting only a superuser may lower), and every
// write of both nodes would stand still meanwhile — measured: a three-node
// cycle ran at 37 executions/s, with a deadlock a second; with the lock
// timeout, 320/s. When PostgreSQL aborts the transaction for a deadlock
// (40P01), a serialization failure (40001) or a lock wait past the
// timeout (55P03), in a statement or at COMMIT, the writer rolls back,
// drops the functions' results and callbacks, waits a short jittered
// back-off and runs the same functions again in a new transaction, up to
// Options.Retries times, as store.Store.Update allows. (Re-running only
// the function that waited, and committing the rest of its batch, was
// tried and dropped: a Map's tasks were handed out with stale tokens on
// three nodes.) Other failures are answered: a failed COMMIT or a lost
// connection is not retried, because the writes may have committed. A
// function whose statement failed otherwise is rolled back to its
// savepoint in a round trip of its own, before any other statement goes
// out: PostgreSQL refuses even to prepare a statement in an aborted
// transaction.
//
// AppendEvents checks the ids' density in the same statement that inserts
// them (INSERT … SELECT … WHERE the history's last id is the one before),
// and the primary key (owner, id) refuses a second node's concurrent
// append of the same ids.
//
// # Membership and fencing
//
// JoinNode, RenewNode and ReapNodes compute and compare expiries with the
// server's clock_timestamp(). AcquireLease is one INSERT … ON CONFLICT DO
// UPDATE … WHERE (free, held by this node, or held by a node whose row is
// gone) statement; LeaveNode deletes the row and frees its leases in one
// statement.
//
// Fence(node, epoch) makes every write transaction begin with
//
//	SELECT 1 FROM gaffer_nodes WHERE id = $1 AND epoch = $2 FOR KEY SHARE
//
// sent with BEGIN. No row: the functions do not run and their Updates
// return an error wrapping store.ErrFenced. FOR KEY SHARE does not block
// RenewNode's UPDATE of the row (not a key change) but does block the
// DELETE of ReapNodes and LeaveNode, which therefore wait for every write
// that passed the check to commit. Without a fence the check is not sent.
//
// # Notices
//
// Notify is SELECT pg_notify($1, $2) on a pool connection, in a
// transaction of its own (never in Update's: a notice is sent after the
// commit that it tells of). Listen holds a connection of its own
// (application_name gaffer-listen), LISTENs on each channel and calls
// fn("", "") before the first notice; when the connection is lost it
// reconnects with a jittered exponential back-off (50 ms to 5 s) and calls
// fn("", "") again, since notices sent meanwhile are lost. It returns when
// its context ends, or store.ErrClosed when the store is closed.
//
// # Other databases
//
// Statements that would need care on CockroachDB or YugabyteDB (not
// tested here; check the version at hand):
//
//   - FOR KEY SHARE (the fence): CockroachDB treats it as FOR SHARE, or
//     ignores shared locks under SERIALIZABLE, depending on version and
//     settings; without a shared lock that the DELETE waits for, a reaped
//     node's in-flight write could commit after the reaping.
//   - LISTEN/NOTIFY: absent in CockroachDB (a changefeed would carry the
//     notices) and missing or recent in YugabyteDB.
//   - Sequences (gaffer_object_seq, gaffer_node_epoch) and identity
//     columns: on CockroachDB they are slow and contended across nodes
//     (unique_rowid() or cached sequences instead; Seq would then only be
//     unique and increasing per node); YugabyteDB caches sequence values
//     per node, so Seq would not increase across nodes either.
//   - pg_advisory_xact_lock (migrations): CockroachDB does not provide
//     real advisory locks; migrations would need another guard.
//   - Both run SERIALIZABLE by default, so retries (40001) would be
//     common rather than rare: the writer handles them, at a cost.
package postgres
