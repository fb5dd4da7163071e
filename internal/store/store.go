// Package store defines the persistence contract that the engine and the
// service dialects (sfn, swf and pipeline) share, and the records it
// holds. Implementations live in sub-packages (sqlite, postgres) and are
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
//   - Visibility: an index of executions (namespace, status, start and
//     close times, type, tags, workflow id) that a dialect keeps beside
//     its objects, so that listing and counting them reads the index
//     range asked for, not every object.
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
	// ctx also names the lane the job waits in (LaneOf): work no caller
	// waits on passes a context from Background, and gets a bounded share
	// of the writer while requests wait (see Lane).
	//
	// On a store several nodes share, the Get methods of an Update lock
	// the rows they read until the commit (SELECT … FOR UPDATE), so two
	// nodes' read-modify-writes of one object, task or timer take turns;
	// and the store may run fn again, in a new transaction, when the
	// database aborted the first for a deadlock or serialization failure
	// (its writes and AfterCommit callbacks are dropped first, as for
	// any failed savepoint).
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

	// GetObject returns the object, or ErrNotFound. In an Update on a
	// shared store it locks the row until the commit (see Store.Update).
	GetObject(kind, id string) (*Object, error)
	// ReadObject is GetObject without the lock: for rows the transaction
	// reads and will not write, that many writes share (a definition, an
	// activity, a domain), so that nodes do not take turns on them. What
	// it returns may be changed by another node's commit at any moment.
	ReadObject(kind, id string) (*Object, error)
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

	// PutVisibility inserts v or replaces the entry with the same Kind and
	// ID (tags included). A tag repeated in v.Tags matches once.
	PutVisibility(v *Visibility) error
	// DeleteVisibility deletes the entry (kind, id), or returns
	// ErrNotFound.
	DeleteVisibility(kind, id string) error
	// ListVisibility lists the entries q selects, newest first by the
	// query's time (StartedAt, or ClosedAt if q.ByClose), then by ID
	// descending; oldest first if q.Reverse. Its cost is that of the
	// index range read, not of the entries the namespace holds.
	ListVisibility(q VisibilityQuery) ([]Visibility, error)
	// CountVisibility counts the entries q selects (q.After, q.Reverse and
	// q.Limit are ignored), over an index range.
	CountVisibility(q VisibilityQuery) (int64, error)

	// GetMeta returns the value stored under key, or ErrNotFound.
	GetMeta(key string) ([]byte, error)
	// PutMeta stores value under key.
	PutMeta(key string, value []byte) error

	// Membership: the nodes that share the store and the partition leases
	// that say which node arms which partition's deadlines (package
	// cluster). Expiry times are the store's clock: a node's
	// ExpiresAt is set by the store from its own now plus ttl, and
	// ReapNodes compares with the same clock, so nodes need not agree on
	// the time (on PostgreSQL it is the server's now()).

	// JoinNode inserts n as a live node until the store's now + ttl,
	// replacing the row of a node with the same ID (a restarted process
	// takes its name back; the old one is fenced). It assigns n.Epoch
	// (greater than any epoch assigned before), n.JoinedAt and
	// n.ExpiresAt.
	JoinNode(n *Node, ttl time.Duration) error
	// RenewNode extends node id, joined with epoch, to the store's now +
	// ttl and returns the new expiry, or ErrFenced if that row is gone
	// (reaped, or replaced by a later JoinNode).
	RenewNode(id string, epoch int64, ttl time.Duration) (time.Time, error)
	// ReapNodes deletes the nodes whose ExpiresAt has passed by the
	// store's clock and returns their IDs. Their leases are free from
	// then on (AcquireLease takes them), though their rows still name
	// the reaped node until then.
	ReapNodes() ([]string, error)
	// LeaveNode deletes node id and frees the leases it holds, if its row
	// is still of epoch (otherwise it does nothing: the name and its
	// leases are a later process's): a clean stop hands its partitions
	// over at once.
	LeaveNode(id string, epoch int64) error
	// ListNodes lists the live rows in ID order.
	ListNodes() ([]Node, error)
	// ListLeases lists every partition's lease in partition order
	// (partitions never leased are absent).
	ListLeases() ([]Lease, error)
	// AcquireLease makes node (which must be a live row) the holder of
	// partition if it has no holder, its holder's row is gone, or node
	// holds it already; the epoch goes up by one each time, and the
	// lease is returned. A partition held by another live node gets
	// ErrLeaseHeld.
	AcquireLease(partition int, node string) (Lease, error)
	// ReleaseLease frees partition if node holds it (the epoch goes up by
	// one); otherwise it does nothing.
	ReleaseLease(partition int, node string) error
}

// ErrFenced is returned by RenewNode when the node's row is gone, and by
// a Fencer's Update when the node it was fenced to is: another node may
// have taken its partitions, so the caller must not write, and should
// rejoin.
var ErrFenced = errors.New("store: this node's membership ended (fenced): another node may own its partitions")

// ErrLeaseHeld is returned by AcquireLease for a partition another live
// node holds.
var ErrLeaseHeld = errors.New("store: partition lease held by another live node")

// Node is one gaffer process that shares the store.
type Node struct {
	ID   string // the node's name, unique among live nodes (--node-name)
	Addr string // where it serves clients, for operators
	// Epoch is assigned by JoinNode, greater than every epoch before
	// it: a node's row with an older epoch is a previous process.
	Epoch     int64
	JoinedAt  time.Time
	ExpiresAt time.Time
}

// Lease is a partition's holder: the node that arms its deadlines.
type Lease struct {
	Partition int
	Node      string // "" when free
	// Epoch goes up by one at every change of holder.
	Epoch int64
}

// Fencer is a store that several nodes may share. Once Fence names this
// node (its ID and the epoch JoinNode gave it), every Update transaction
// first checks, under a lock that ReapNodes and LeaveNode of that row
// wait for, that the row still exists with that epoch; if it does not,
// the transaction's functions do not run and Update returns ErrFenced. So
// a node that another has declared dead (its lease expired while it was
// paused or cut off) cannot write, while a write that passed the check
// commits before the reaping does. Fence("", 0) turns the check off.
type Fencer interface {
	Fence(node string, epoch int64)
}

// Notifier is a store that carries notices between the nodes sharing it
// (PostgreSQL LISTEN/NOTIFY). The store's rows stay the truth: a notice
// only says where to look, and a lost one delays, never loses, work.
type Notifier interface {
	// Notify sends payload (at most 7,000 bytes) on channel to every
	// listener, this node's own included, in a transaction of its own,
	// never inside Update's.
	Notify(ctx context.Context, channel, payload string) error
	// Listen calls fn for each notice on channels, one at a time, until
	// ctx ends (it returns ctx's error). When notices may have been
	// missed — at the start, and after a lost connection is re-made —
	// it calls fn with channel "" first, so that the caller reconciles
	// from the rows.
	Listen(ctx context.Context, channels []string, fn func(channel, payload string)) error
}

// Partitions is how many partitions tasks and timers are spread over: a
// task's or timer's Partition is PartitionOf(its OwnerID). A partition's
// lease holder arms its deadlines (package cluster). The number is part of
// the stored data: changing it needs a migration.
const Partitions = 64

// PartitionOf returns the partition of an owner's tasks and timers: FNV-1a
// of ownerID, modulo Partitions.
func PartitionOf(ownerID string) int {
	h := uint32(2166136261)
	for i := 0; i < len(ownerID); i++ {
		h ^= uint32(ownerID[i])
		h *= 16777619
	}
	return int(h % Partitions)
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

// Visibility is the index entry of one execution (or any object that
// starts and may close), which a dialect writes in the transaction that
// changes the object: when it starts and when it closes. The fields are
// what listings filter on; the object itself holds the rest.
type Visibility struct {
	Kind      string // the indexed object's kind, e.g. "swf.execution"
	ID        string // the indexed object's ID
	Namespace string // what a listing is within, e.g. the SWF domain
	// Status is dialect-defined (e.g. OPEN, CLOSED), CloseStatus how it
	// closed (e.g. COMPLETED), "" while open.
	Status      string
	CloseStatus string
	StartedAt   time.Time
	ClosedAt    time.Time // zero while open
	TypeName    string
	TypeVersion string
	WorkflowID  string
	// Tags are matched by VisibilityQuery.Tag (any of them); at most
	// MaxVisibilityTags.
	Tags []string
}

// MaxVisibilityTags is how many tags a Visibility entry may hold (SWF's
// limit on an execution's tagList).
const MaxVisibilityTags = 5

// VisibilityQuery selects visibility entries of one kind, namespace and
// status, in a window of time, with at most one more filter (TypeName,
// with TypeVersion or not; Tag; WorkflowID; or CloseStatus), as SWF's
// List and Count operations allow. The store answers more than one with
// ErrVisibilityQuery.
type VisibilityQuery struct {
	Kind      string
	Namespace string
	Status    string
	// ByClose selects and orders by ClosedAt (only entries that have
	// one) rather than StartedAt.
	ByClose bool
	// From and Until bound the query's time: From <= t < Until. Zero
	// leaves that side open.
	From, Until time.Time
	// ClosedAfter, when not zero, keeps only entries with a ClosedAt after
	// it: what a retention period still shows.
	ClosedAfter time.Time

	TypeName    string
	TypeVersion string // only with TypeName; "" matches any version
	Tag         *string
	WorkflowID  string
	CloseStatus string

	// After continues a listing after the entry at this position (in the
	// listing's order); nil starts at its beginning.
	After   *VisibilityPosition
	Reverse bool // oldest first
	Limit   int  // 0: no limit
}

// VisibilityPosition is a place in a visibility listing: the entry's
// query time (StartedAt, or ClosedAt when ByClose) and ID.
type VisibilityPosition struct {
	At time.Time
	ID string
}

// ErrVisibilityQuery is returned by ListVisibility and CountVisibility for
// a query that sets more than one of TypeName, Tag, WorkflowID and
// CloseStatus, TypeVersion without TypeName, or no Kind, Namespace or
// Status.
var ErrVisibilityQuery = errors.New("store: a visibility query needs Kind, Namespace and Status and allows at most one of TypeName, Tag, WorkflowID and CloseStatus")

// Check returns ErrVisibilityQuery unless q is a query the stores answer.
func (q *VisibilityQuery) Check() error {
	n := 0
	for _, set := range []bool{q.TypeName != "", q.Tag != nil, q.WorkflowID != "", q.CloseStatus != ""} {
		if set {
			n++
		}
	}
	if n > 1 || (q.TypeVersion != "" && q.TypeName == "") || q.Kind == "" || q.Namespace == "" || q.Status == "" {
		return ErrVisibilityQuery
	}
	return nil
}

// DerivedMetaPrefix begins the meta keys that mark derived data: rows a
// dialect rebuilds from its objects (the visibility index) and the marker
// that says it has. CopyTx.ListMeta and CountRows leave them out: a copy
// carries the objects, not the derived rows, so its dialects rebuild them.
const DerivedMetaPrefix = "derived/"

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
	// Partitions, if not nil, selects the tasks of these partitions only.
	Partitions []int
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
	// Partitions, if not nil, selects the timers of these partitions only.
	Partitions []int
	// AfterID continues a listing: only timers with ID > AfterID.
	AfterID int64
	Limit   int // 0: no limit
}
