// Package store defines the persistence contract that the engine and the
// service dialects (sfn, and later swf and pipeline) share, and the records it
// holds. Implementations live in sub-packages (sqlite; postgres later) and are
// checked by the conformance suite in storetest.
//
// The contract is deliberately small and dialect-neutral:
//
//   - Objects: documents addressed by (Kind, ID) with a Parent, a Status and a
//     Body that the owning dialect encodes (JSON), and the time it closed.
//     Kind, Parent and Status are what a store filters on; insertion order
//     (Seq) is the sort order, and the close time (ClosedAt) the order of
//     the retention sweeps that delete closed objects. Dialects keep their
//     own typed records in Body.
//   - Events: an append-only, per-owner history with dense ids from 1.
//   - Tasks and Timers: the engine's durable work items and deadlines.
//   - Meta: small key/value settings (the token secret).
//
// All writes go through Store.Update, which may batch many callers' functions
// into one transaction (group commit); each function runs in its own savepoint
// so one caller's error does not undo another's work. The SQL an
// implementation uses must run on PostgreSQL as well as SQLite: nothing here
// relies on SQLite-only behaviour.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by the Get and Delete methods when no row matches.
var ErrNotFound = errors.New("store: not found")

// ErrClosed is returned by Update and View after Close.
var ErrClosed = errors.New("store: closed")

// ErrOverloaded is returned by Update when the write queue is full; callers
// answer with a throttling error rather than queueing without bound.
var ErrOverloaded = errors.New("store: write queue full")

// Store is a transactional store. Times it returns are UTC and round-trip
// to the nanosecond; the zero time.Time round-trips as zero. Nil and empty
// byte slices round-trip as stored.
type Store interface {
	// Update runs fn in a read-write transaction. The store may run several
	// callers' functions in one transaction; fn runs inside a savepoint, so an
	// error from fn undoes fn's writes only, and Update returns that error.
	// Update returns nil only once the transaction holding fn's writes is
	// durably committed. fn must not keep tx after it returns, and must not
	// call Update or View itself (fn may run on the store's only writer).
	// If ctx ends before fn starts, Update returns ctx.Err() and fn never
	// runs; once fn has started, Update waits for the commit's outcome.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only transaction with a consistent snapshot.
	View(ctx context.Context, fn func(tx Tx) error) error
	// Close flushes pending writes and releases the store. It is safe to
	// call more than once.
	Close() error
}

// Tx is one transaction. Methods that write return an error when called in a
// View.
type Tx interface {
	// AfterCommit registers f to run once the transaction that holds this
	// caller's writes has committed, before Update returns. Callbacks run in
	// registration order, on the store's writer goroutine: they must be
	// quick and must not block or call the store. If this caller's function
	// fails (its savepoint is rolled back) or the commit fails, its callbacks
	// are dropped.
	AfterCommit(f func())
	// Savepoint runs fn inside a nested savepoint of this transaction: an
	// error from fn (or a panic, returned as an error) undoes fn's writes
	// and drops the AfterCommit callbacks fn registered, and Savepoint
	// returns it, while the rest of the transaction goes on. A caller that
	// applies many independent changes in one Update (the engine's due
	// deadlines) runs each in its own savepoint. fn must not keep its tx
	// after it returns. In a View, fn just runs.
	Savepoint(fn func(tx Tx) error) error

	// GetObject returns the object, or ErrNotFound.
	GetObject(kind, id string) (*Object, error)
	// PutObject inserts the object or replaces the one with the same Kind
	// and ID. On insert it assigns o.Seq (greater than any Seq assigned
	// before, across all kinds); on replace it keeps the stored Seq and sets
	// o.Seq to it.
	PutObject(o *Object) error
	// InsertObject inserts the object and returns ErrExists if an object
	// with the same Kind and ID exists. It assigns o.Seq.
	InsertObject(o *Object) error
	// DeleteObject deletes the object, or returns ErrNotFound.
	DeleteObject(kind, id string) error
	// ListObjects lists objects of q.Kind in Seq order, or in ClosedAt
	// order when q.ClosedBefore is set.
	ListObjects(q ObjectQuery) ([]*Object, error)

	// AppendEvents appends events to owner's history. Each event's ID must
	// be one more than the previous one's (the first is 1); the store
	// returns an error otherwise.
	AppendEvents(owner string, events []Event) error
	// ListEvents lists owner's events in id order (descending if Desc),
	// starting after AfterID (0: from the start, or from the end if Desc),
	// at most Limit of them (0: all).
	ListEvents(q EventQuery) ([]Event, error)
	// DeleteEvents deletes all of owner's events; a later AppendEvents
	// starts again at 1.
	DeleteEvents(owner string) error

	// InsertTask inserts t and assigns t.ID (never reused).
	InsertTask(t *Task) error
	// GetTask returns the task, or ErrNotFound.
	GetTask(id int64) (*Task, error)
	// UpdateTask replaces the stored task with the same ID, or returns
	// ErrNotFound.
	UpdateTask(t *Task) error
	// DeleteTask deletes the task, or returns ErrNotFound.
	DeleteTask(id int64) error
	// ListTasks lists tasks matching q in ID order (a page of them if q
	// says so).
	ListTasks(q TaskQuery) ([]*Task, error)

	// InsertTimer inserts tm and assigns tm.ID (never reused).
	InsertTimer(tm *Timer) error
	// GetTimer returns the timer, or ErrNotFound.
	GetTimer(id int64) (*Timer, error)
	// DeleteTimer deletes the timer, or returns ErrNotFound.
	DeleteTimer(id int64) error
	// ListTimers lists timers matching q in ID order (a page of them if q
	// says so).
	ListTimers(q TimerQuery) ([]*Timer, error)

	// GetMeta returns the value stored under key, or ErrNotFound.
	GetMeta(key string) ([]byte, error)
	// PutMeta stores value under key.
	PutMeta(key string, value []byte) error
}

// ErrExists is returned by InsertObject when the object already exists.
var ErrExists = errors.New("store: already exists")

// Object is a dialect's document: an activity, a state machine, an
// execution, a domain, a pipeline... Body is opaque to the store.
type Object struct {
	Kind   string // namespaced by dialect, e.g. "sfn.execution"
	ID     string // unique within Kind, e.g. an ARN
	Parent string // the ID of the object this one belongs to, or ""
	Status string // a dialect-defined status to filter on, or ""
	Seq    int64  // insertion order, assigned by the store
	Body   []byte
	// ClosedAt is when the object closed (an execution ended), as the
	// dialect decides; zero while it is open, and for kinds that never
	// close. ObjectQuery.ClosedBefore selects by it, so that a retention
	// sweep finds what is due without reading what is not.
	ClosedAt time.Time
}

// ObjectQuery selects objects of one kind. Empty Parent and Status match any.
type ObjectQuery struct {
	Kind   string
	Parent string
	Status string
	// AfterSeq continues a listing: only objects with Seq > AfterSeq (or
	// Seq < AfterSeq if Desc) are returned. 0 starts from the beginning (or
	// the end if Desc).
	AfterSeq int64
	Desc     bool
	Limit    int // 0: no limit
	// ClosedBefore, when not zero, selects only the objects of Kind with a
	// ClosedAt that is not zero and is before it, oldest ClosedAt first
	// (then by Seq). Parent, Status, AfterSeq and Desc must then be zero;
	// a sweep deletes what it listed and lists again.
	ClosedBefore time.Time
}

// Event is one entry of an owner's history. Body is opaque to the store.
type Event struct {
	ID   int64
	Body []byte
}

// EventQuery selects a range of one owner's events.
type EventQuery struct {
	Owner   string
	AfterID int64
	Desc    bool
	Limit   int
}

// TaskState is where a task is in its life.
type TaskState int

// Task states. A task that ends (completed, failed, timed out, canceled) is
// deleted: its outcome lives in the owner's history.
const (
	TaskScheduled TaskState = 1 // waiting in its queue for a poller
	TaskStarted   TaskState = 2 // handed to a poller: Attempt names the holder
)

// Task is the engine's durable unit of work: one activity task, decision
// task or pipeline attempt, waiting in a queue or held by a worker.
type Task struct {
	ID        int64
	Partition int
	Queue     string // engine queue key, namespaced by dialect
	OwnerKind string // the dialect that owns it, e.g. "sfn"
	OwnerID   string // the owner object's ID, e.g. an execution ARN
	OwnerRef  string // owner-defined, e.g. the history event that scheduled it
	State     TaskState
	// Attempt counts hand-outs: 0 while first scheduled, 1 once started,
	// and so on. A token names one attempt.
	Attempt  int
	Priority int
	Input    []byte

	// Timeouts; 0 means none.
	ScheduleToStart time.Duration
	ScheduleToClose time.Duration
	StartToClose    time.Duration
	Heartbeat       time.Duration

	ScheduledAt time.Time
	StartedAt   time.Time // zero while scheduled
	Worker      string    // identity of the current attempt's holder
	// HeartbeatAt and Details are the last heartbeat that was persisted;
	// the engine keeps newer ones in memory and flushes them lazily.
	HeartbeatAt     time.Time
	Details         []byte
	CancelRequested bool
}

// TaskQuery selects tasks. Zero fields match any.
type TaskQuery struct {
	Queue     string
	OwnerKind string
	OwnerID   string
	State     TaskState
	// AfterID continues a listing: only tasks with ID > AfterID.
	AfterID int64
	Limit   int // 0: no limit
}

// Timer is a durable owner deadline: a Wait state, a retry back-off, an
// execution timeout, an SWF timer.
type Timer struct {
	ID        int64
	Partition int
	OwnerKind string
	OwnerID   string
	Kind      string // owner-defined
	FireAt    time.Time
	Payload   []byte
}

// TimerQuery selects timers. Zero fields match any.
type TimerQuery struct {
	OwnerKind string
	OwnerID   string
	// AfterID continues a listing: only timers with ID > AfterID.
	AfterID int64
	Limit   int // 0: no limit
}
