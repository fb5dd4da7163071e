package store

// CopyTx is a Tx that can list everything it holds and insert rows with
// the identity they had in another store: what package storecopy needs to
// move a node's data from one store to another (gaffer copy). The
// transactions of both stores (sqlite, postgres) implement it; a caller
// asserts it on the Tx that Update or View passes (tx.(store.CopyTx)).
//
// The listing methods, with the paged Tx ones (ListObjects of each kind by
// AfterSeq, ListEvents of each owner by AfterID, ListTasks and ListTimers
// by AfterID), read every row in a stable order. Membership (nodes and
// leases) is not part of it: it belongs to the processes that serve a
// store, and starts empty on a copy.
//
// The import methods write only in an Update. They keep what the other
// store assigned (an object's Seq, a task's or timer's ID), so that task
// tokens, which name task IDs, and listings' page tokens, which name Seqs,
// stay valid on the copy; and they move the store's own counters past
// what they import, so that later inserts never hand out an imported Seq
// or ID again. Events need no import method: AppendEvents from ID 1 keeps
// them as they are.
type CopyTx interface {
	Tx

	// ObjectKinds lists the kinds that have at least one object, in the
	// store's order of text (byte order on SQLite, the database's
	// collation on PostgreSQL: the order its indexes keep).
	ObjectKinds() ([]string, error)
	// EventOwners lists the owners that have at least one event, in the
	// store's order of text, starting after after ("": from the first),
	// at most limit of them (0: all): pages that follow one another
	// list each owner once.
	EventOwners(after string, limit int) ([]string, error)
	// ListMeta lists the meta entries in key order (the store's order of
	// text), except the store's
	// own bookkeeping (SQLite's schema_version): the entries a copy
	// carries over, such as the engine's token secret.
	ListMeta() ([]MetaEntry, error)
	// CountRows counts what the store holds, as ListMeta and the
	// listings see it.
	CountRows() (RowCounts, error)

	// ImportObject inserts o as it is: its Seq (which must be > 0) and
	// ClosedAt are kept. It returns ErrExists if an object with the same
	// Kind and ID exists. Seqs that PutObject and InsertObject assign
	// afterwards are greater than o.Seq. Two objects imported with one
	// Seq are the caller's mistake; the store does not check.
	ImportObject(o *Object) error
	// ImportTask inserts t keeping its ID (which must be > 0); it
	// returns ErrExists if a task with that ID exists. IDs that
	// InsertTask assigns afterwards are greater than t.ID.
	ImportTask(t *Task) error
	// ImportTimer inserts tm keeping its ID (which must be > 0); it
	// returns ErrExists if a timer with that ID exists. IDs that
	// InsertTimer assigns afterwards are greater than tm.ID.
	ImportTimer(tm *Timer) error
}

// MetaEntry is one meta key and its value.
type MetaEntry struct {
	Key   string
	Value []byte
}

// RowCounts is how many rows of each sort a store holds.
type RowCounts struct {
	Objects     map[string]int64 // per kind; kinds without objects are absent
	EventOwners int64            // owners with at least one event
	Events      int64
	Tasks       int64
	Timers      int64
	Meta        int64 // entries ListMeta lists
}

// Empty reports whether c counts no object, event, task or timer (meta
// entries and membership do not count: a store with nothing else is a
// fresh one, perhaps one a node has started on).
func (c RowCounts) Empty() bool {
	return len(c.Objects) == 0 && c.Events == 0 && c.Tasks == 0 && c.Timers == 0
}

// TotalObjects is the number of objects of all kinds.
func (c RowCounts) TotalObjects() int64 {
	var n int64
	for _, k := range c.Objects {
		n += k
	}
	return n
}
