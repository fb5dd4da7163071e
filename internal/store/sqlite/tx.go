package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

var (
	errReadOnly = errors.New("sqlite: write in a read-only transaction")
	errTxDone   = errors.New("sqlite: transaction used after its function returned")
)

// tx implements store.Tx: in an Update (w and job set) on the writer's
// connection, in a View (s and rtx set) on a read-only transaction.
type tx struct {
	w   *writer
	job *job

	ctx context.Context
	s   *Store
	rtx *sql.Tx
	// uncached holds the statements a view prepared on its own connection,
	// by query, for the store to cache after it (Store.cacheReadStmts).
	uncached map[string]*sql.Stmt

	done bool
}

var _ store.Tx = (*tx)(nil)

func (t *tx) finish() { t.done = true }

// writable returns an error unless t may write.
func (t *tx) writable() error {
	if t.done {
		return errTxDone
	}
	if t.w == nil {
		return errReadOnly
	}
	return nil
}

// stmt returns query prepared for t and the context to run it with.
func (t *tx) stmt(query string) (*sql.Stmt, context.Context, error) {
	if t.done {
		return nil, nil, errTxDone
	}
	if t.w != nil {
		// Once a function runs, it runs to the end: the writer's context,
		// which no caller and no stop cancels.
		st, err := t.w.stmt(query)
		return st, t.w.ctx, err
	}
	st, ok, err := t.s.cachedReadStmt(query)
	if err != nil {
		return nil, nil, err
	}
	if ok {
		return t.rtx.StmtContext(t.ctx, st), t.ctx, nil
	}
	// Not cached yet: prepared on this transaction's own connection (the
	// statement ends with the transaction), and cached once the view is
	// over (Store.cacheReadStmts).
	if st, ok := t.uncached[query]; ok {
		return st, t.ctx, nil
	}
	st, err = t.rtx.PrepareContext(t.ctx, query)
	if err != nil {
		return nil, nil, err
	}
	if t.uncached == nil {
		t.uncached = make(map[string]*sql.Stmt)
	}
	t.uncached[query] = st
	return st, t.ctx, nil
}

func (t *tx) exec(query string, args ...any) (sql.Result, error) {
	st, ctx, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (t *tx) queryRow(query string, args ...any) (*sql.Row, error) {
	st, ctx, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryRowContext(ctx, args...), nil
}

func (t *tx) query(query string, args ...any) (*sql.Rows, error) {
	st, ctx, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// execOne runs a statement that must change exactly one row; it returns
// store.ErrNotFound if it changed none.
func (t *tx) execOne(query string, args ...any) error {
	res, err := t.exec(query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// AfterCommit implements store.Tx. In a View, and after fn has returned, it
// does nothing: a View commits nothing.
func (t *tx) AfterCommit(f func()) {
	if t.w == nil || t.done || f == nil {
		return
	}
	t.job.callbacks = append(t.job.callbacks, f)
}

// Savepoint implements store.Tx. In an Update, fn runs between SAVEPOINT
// sub and RELEASE sub (SQLite resolves a repeated name to the innermost
// savepoint, so fn may nest another); on fn's error or panic, ROLLBACK TO
// sub undoes its writes and the callbacks it registered are dropped. If
// the savepoint statements themselves fail the transaction is broken: the
// job is marked so, and the writer aborts the whole transaction once the
// job's function returns. In a View, fn runs on t.
func (t *tx) Savepoint(fn func(store.Tx) error) error {
	if t.done {
		return errTxDone
	}
	if t.w == nil {
		return fn(t)
	}
	if err := t.w.exec(qSubSavepoint); err != nil {
		return t.broken(err)
	}
	ncb := len(t.job.callbacks)
	sub := &tx{w: t.w, job: t.job}
	err := t.w.call(fn, sub)
	sub.finish()
	if err != nil {
		clear(t.job.callbacks[ncb:])
		t.job.callbacks = t.job.callbacks[:ncb]
		if rbErr := t.w.exec(qSubRollbackTo); rbErr != nil {
			return t.broken(rbErr)
		}
	}
	if relErr := t.w.exec(qSubRelease); relErr != nil {
		return t.broken(relErr)
	}
	return err
}

// broken records that t's transaction can no longer be trusted and returns
// the error for the caller at hand.
func (t *tx) broken(err error) error {
	err = fmt.Errorf("sqlite: savepoint: %w", err)
	if t.job.broken == nil {
		t.job.broken = err
	}
	return err
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// blob restores the difference between nil and empty that the driver loses:
// it reads a zero-length BLOB as nil, so queries select "x IS NULL" too.
func blob(b []byte, isNull bool) []byte {
	if b == nil && !isNull {
		return []byte{}
	}
	return b
}

// Times are stored as Unix nanoseconds, the zero time as 0.
func timeToDB(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func timeFromDB(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func boolToDB(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// selectQuery builds "SELECT cols FROM table [WHERE conds...] ORDER BY order
// [LIMIT ?]".
func selectQuery(cols, table string, conds []string, order string, limit bool) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(cols)
	b.WriteString(" FROM ")
	b.WriteString(table)
	for i, c := range conds {
		if i == 0 {
			b.WriteString(" WHERE ")
		} else {
			b.WriteString(" AND ")
		}
		b.WriteString(c)
	}
	b.WriteString(" ORDER BY ")
	b.WriteString(order)
	if limit {
		b.WriteString(" LIMIT ?")
	}
	return b.String()
}

// ---- Objects ----

const objectCols = `kind, id, parent, status, seq, body, body IS NULL, closed_at`

const (
	qGetObject = `SELECT ` + objectCols + ` FROM objects WHERE kind = ? AND id = ?`
	qPutObject = `INSERT INTO objects (kind, id, parent, status, seq, body, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, id) DO UPDATE SET parent = excluded.parent, status = excluded.status, body = excluded.body,
			closed_at = excluded.closed_at
		RETURNING seq`
	qInsertObject = `INSERT INTO objects (kind, id, parent, status, seq, body, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, id) DO NOTHING`
	qDeleteObject = `DELETE FROM objects WHERE kind = ? AND id = ?`
	// The closed_at > 0 term is the partial index's own condition: the
	// query names it so that the index (objects_kind_closed_seq) is used.
	qListClosed      = `SELECT ` + objectCols + ` FROM objects WHERE kind = ? AND closed_at > 0 AND closed_at < ? ORDER BY closed_at, seq`
	qListClosedLimit = qListClosed + ` LIMIT ?`
)

// errClosedQuery is ListObjects' answer to a ClosedBefore query that also
// sets a filter or an order of Seq.
var errClosedQuery = errors.New("sqlite: ObjectQuery.ClosedBefore cannot be combined with Parent, Status, AfterSeq or Desc")

// ListObjects query variants, indexed by the objQ* bits.
const (
	objQParent = 1 << iota
	objQStatus
	objQAfter
	objQDesc
	objQLimit
)

var objectQueries = func() (qs [32]string) {
	for bits := range qs {
		conds := []string{"kind = ?"}
		if bits&objQParent != 0 {
			conds = append(conds, "parent = ?")
		}
		if bits&objQStatus != 0 {
			conds = append(conds, "status = ?")
		}
		order := "seq"
		if bits&objQDesc != 0 {
			order = "seq DESC"
		}
		if bits&objQAfter != 0 {
			if bits&objQDesc != 0 {
				conds = append(conds, "seq < ?")
			} else {
				conds = append(conds, "seq > ?")
			}
		}
		qs[bits] = selectQuery(objectCols, "objects", conds, order, bits&objQLimit != 0)
	}
	return qs
}()

func scanObject(sc scanner) (*store.Object, error) {
	var (
		o      store.Object
		isNull bool
	)
	var closedAt int64
	if err := sc.Scan(&o.Kind, &o.ID, &o.Parent, &o.Status, &o.Seq, &o.Body, &isNull, &closedAt); err != nil {
		return nil, err
	}
	o.Body = blob(o.Body, isNull)
	o.ClosedAt = timeFromDB(closedAt)
	return &o, nil
}

// ReadObject implements store.Tx: SQLite has one writer, so GetObject
// takes no lock to do without.
func (t *tx) ReadObject(kind, id string) (*store.Object, error) { return t.GetObject(kind, id) }

// GetObject implements store.Tx.
func (t *tx) GetObject(kind, id string) (*store.Object, error) {
	row, err := t.queryRow(qGetObject, kind, id)
	if err != nil {
		return nil, fmt.Errorf("get object: %w", err)
	}
	o, err := scanObject(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get object: %w", err)
	}
	return o, nil
}

// PutObject implements store.Tx.
func (t *tx) PutObject(o *store.Object) error {
	if err := t.writable(); err != nil {
		return err
	}
	seq := t.w.nextSeq()
	row, err := t.queryRow(qPutObject, o.Kind, o.ID, o.Parent, o.Status, seq, o.Body, timeToDB(o.ClosedAt))
	if err != nil {
		t.w.unuseSeq(seq)
		return fmt.Errorf("put object: %w", err)
	}
	var stored int64
	if err := row.Scan(&stored); err != nil {
		t.w.unuseSeq(seq)
		return fmt.Errorf("put object: %w", err)
	}
	if stored != seq {
		t.w.unuseSeq(seq) // replaced: the object keeps its Seq
	}
	o.Seq = stored
	return nil
}

// InsertObject implements store.Tx.
func (t *tx) InsertObject(o *store.Object) error {
	if err := t.writable(); err != nil {
		return err
	}
	seq := t.w.nextSeq()
	res, err := t.exec(qInsertObject, o.Kind, o.ID, o.Parent, o.Status, seq, o.Body, timeToDB(o.ClosedAt))
	if err != nil {
		t.w.unuseSeq(seq)
		return fmt.Errorf("insert object: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		t.w.unuseSeq(seq)
		return fmt.Errorf("insert object: %w", err)
	}
	if n == 0 {
		t.w.unuseSeq(seq)
		return store.ErrExists
	}
	o.Seq = seq
	return nil
}

// nextSeq hands out the next Object.Seq.
func (w *writer) nextSeq() int64 {
	w.seq++
	return w.seq
}

// unuseSeq gives seq back if it is the last one handed out.
func (w *writer) unuseSeq(seq int64) {
	if w.seq == seq {
		w.seq--
	}
}

// DeleteObject implements store.Tx.
func (t *tx) DeleteObject(kind, id string) error {
	if err := t.writable(); err != nil {
		return err
	}
	err := t.execOne(qDeleteObject, kind, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("delete object: %w", err)
	}
	return err
}

// ListObjects implements store.Tx. A Limit of 0 or less means no limit.
func (t *tx) ListObjects(q store.ObjectQuery) ([]*store.Object, error) {
	if !q.ClosedBefore.IsZero() {
		return t.listClosed(q)
	}
	bits := 0
	args := make([]any, 1, 5)
	args[0] = q.Kind
	if q.Parent != "" {
		bits |= objQParent
		args = append(args, q.Parent)
	}
	if q.Status != "" {
		bits |= objQStatus
		args = append(args, q.Status)
	}
	if q.AfterSeq != 0 {
		bits |= objQAfter
		args = append(args, q.AfterSeq)
	}
	if q.Desc {
		bits |= objQDesc
	}
	if q.Limit > 0 {
		bits |= objQLimit
		args = append(args, q.Limit)
	}
	return t.listObjects(objectQueries[bits], args...)
}

// listClosed lists the objects of q.Kind closed before q.ClosedBefore.
func (t *tx) listClosed(q store.ObjectQuery) ([]*store.Object, error) {
	if q.Parent != "" || q.Status != "" || q.AfterSeq != 0 || q.Desc {
		return nil, errClosedQuery
	}
	if q.Limit > 0 {
		return t.listObjects(qListClosedLimit, q.Kind, timeToDB(q.ClosedBefore), q.Limit)
	}
	return t.listObjects(qListClosed, q.Kind, timeToDB(q.ClosedBefore))
}

// listObjects runs an objects query.
func (t *tx) listObjects(query string, args ...any) ([]*store.Object, error) {
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("list objects: %w", err)
	}
	defer rows.Close()
	var out []*store.Object
	for rows.Next() {
		o, err := scanObject(rows)
		if err != nil {
			return nil, fmt.Errorf("list objects: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list objects: %w", err)
	}
	return out, nil
}

// ---- Events ----

const (
	qLastEvent    = `SELECT COALESCE(MAX(id), 0) FROM events WHERE owner = ?`
	qInsertEvent  = `INSERT INTO events (owner, id, body) VALUES (?, ?, ?)`
	qDeleteEvents = `DELETE FROM events WHERE owner = ?`
)

// ListEvents query variants, indexed by the evQ* bits.
const (
	evQAfter = 1 << iota
	evQDesc
	evQLimit
)

var eventQueries = func() (qs [8]string) {
	for bits := range qs {
		conds := []string{"owner = ?"}
		order := "id"
		if bits&evQDesc != 0 {
			order = "id DESC"
		}
		if bits&evQAfter != 0 {
			if bits&evQDesc != 0 {
				conds = append(conds, "id < ?")
			} else {
				conds = append(conds, "id > ?")
			}
		}
		qs[bits] = selectQuery("id, body, body IS NULL", "events", conds, order, bits&evQLimit != 0)
	}
	return qs
}()

// AppendEvents implements store.Tx.
func (t *tx) AppendEvents(owner string, events []store.Event) error {
	if err := t.writable(); err != nil {
		return err
	}
	if len(events) == 0 {
		return nil
	}
	row, err := t.queryRow(qLastEvent, owner)
	if err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	var last int64
	if err := row.Scan(&last); err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	for i, e := range events {
		if want := last + 1 + int64(i); e.ID != want {
			return fmt.Errorf("append events to %q: event id %d, want %d", owner, e.ID, want)
		}
	}
	for _, e := range events {
		if _, err := t.exec(qInsertEvent, owner, e.ID, e.Body); err != nil {
			return fmt.Errorf("append events: %w", err)
		}
	}
	return nil
}

// ListEvents implements store.Tx. A Limit of 0 or less means no limit.
func (t *tx) ListEvents(q store.EventQuery) ([]store.Event, error) {
	bits := 0
	args := make([]any, 1, 3)
	args[0] = q.Owner
	if q.AfterID != 0 {
		bits |= evQAfter
		args = append(args, q.AfterID)
	}
	if q.Desc {
		bits |= evQDesc
	}
	if q.Limit > 0 {
		bits |= evQLimit
		args = append(args, q.Limit)
	}
	rows, err := t.query(eventQueries[bits], args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		var (
			e      store.Event
			isNull bool
		)
		if err := rows.Scan(&e.ID, &e.Body, &isNull); err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
		e.Body = blob(e.Body, isNull)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return out, nil
}

// DeleteEvents implements store.Tx.
func (t *tx) DeleteEvents(owner string) error {
	if err := t.writable(); err != nil {
		return err
	}
	if _, err := t.exec(qDeleteEvents, owner); err != nil {
		return fmt.Errorf("delete events: %w", err)
	}
	return nil
}

// ---- Tasks ----

const taskCols = `id, partition_id, queue, owner_kind, owner_id, owner_ref, state, attempt, priority,
	input, input IS NULL, schedule_to_start_timeout, schedule_to_close_timeout, start_to_close_timeout,
	heartbeat_timeout, scheduled_at, started_at, worker, heartbeat_at, details, details IS NULL,
	cancel_requested`

const (
	qInsertTask = `INSERT INTO tasks (partition_id, queue, owner_kind, owner_id, owner_ref, state, attempt,
		priority, input, schedule_to_start_timeout, schedule_to_close_timeout, start_to_close_timeout,
		heartbeat_timeout, scheduled_at, started_at, worker, heartbeat_at, details, cancel_requested)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`
	qUpdateTask = `UPDATE tasks SET partition_id = ?, queue = ?, owner_kind = ?, owner_id = ?,
		owner_ref = ?, state = ?, attempt = ?, priority = ?, input = ?, schedule_to_start_timeout = ?,
		schedule_to_close_timeout = ?, start_to_close_timeout = ?, heartbeat_timeout = ?,
		scheduled_at = ?, started_at = ?, worker = ?, heartbeat_at = ?, details = ?,
		cancel_requested = ?
		WHERE id = ?`
	qGetTask    = `SELECT ` + taskCols + ` FROM tasks WHERE id = ?`
	qDeleteTask = `DELETE FROM tasks WHERE id = ?`
)

// ListTasks query variants, indexed by the taskQ* bits.
const (
	taskQQueue = 1 << iota
	taskQOwnerKind
	taskQOwnerID
	taskQState
	taskQAfter
	taskQLimit
)

var taskQueries = func() (qs [64]string) {
	for bits := range qs {
		qs[bits] = taskQuery(bits, -1)
	}
	return qs
}()

// taskQuery builds the ListTasks query for bits, with a partition_id IN
// list of nparts terms if nparts >= 0.
func taskQuery(bits, nparts int) string {
	var conds []string
	if bits&taskQQueue != 0 {
		conds = append(conds, "queue = ?")
	}
	if bits&taskQOwnerKind != 0 {
		conds = append(conds, "owner_kind = ?")
	}
	if bits&taskQOwnerID != 0 {
		conds = append(conds, "owner_id = ?")
	}
	if bits&taskQState != 0 {
		conds = append(conds, "state = ?")
	}
	if nparts >= 0 {
		conds = append(conds, inList("partition_id", nparts))
	}
	if bits&taskQAfter != 0 {
		conds = append(conds, "id > ?")
	}
	return selectQuery(taskCols, "tasks", conds, "id", bits&taskQLimit != 0)
}

// inList returns "col IN (?, ?, ...)" with n placeholders (n > 0).
func inList(col string, n int) string {
	var b strings.Builder
	b.WriteString(col)
	b.WriteString(" IN (")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('?')
	}
	b.WriteByte(')')
	return b.String()
}

// partitionArgs returns the distinct partitions of ps, sorted, as query
// arguments: a query has one IN list length per number of partitions
// named, and so at most store.Partitions prepared variants.
func partitionArgs(ps []int) []any {
	ps = slices.Clone(ps)
	slices.Sort(ps)
	ps = slices.Compact(ps)
	args := make([]any, len(ps))
	for i, p := range ps {
		args[i] = int64(p)
	}
	return args
}

// taskArgs returns t's columns in qInsertTask order (and qUpdateTask's,
// without the trailing id).
func taskArgs(t *store.Task, extra int) []any {
	return append(make([]any, 0, 19+extra),
		t.Partition, t.Queue, t.OwnerKind, t.OwnerID, t.OwnerRef, int64(t.State), t.Attempt,
		t.Priority, t.Input, int64(t.ScheduleToStart), int64(t.ScheduleToClose), int64(t.StartToClose),
		int64(t.Heartbeat), timeToDB(t.ScheduledAt), timeToDB(t.StartedAt), t.Worker,
		timeToDB(t.HeartbeatAt), t.Details, boolToDB(t.CancelRequested))
}

func scanTask(sc scanner) (*store.Task, error) {
	var (
		t                                   store.Task
		state                               int64
		inputNull, detailsNull              bool
		s2s, s2c, st2c, hb                  int64
		scheduledAt, startedAt, heartbeatAt int64
		cancelRequested                     int64
	)
	err := sc.Scan(&t.ID, &t.Partition, &t.Queue, &t.OwnerKind, &t.OwnerID, &t.OwnerRef, &state,
		&t.Attempt, &t.Priority, &t.Input, &inputNull, &s2s, &s2c, &st2c, &hb, &scheduledAt,
		&startedAt, &t.Worker, &heartbeatAt, &t.Details, &detailsNull, &cancelRequested)
	if err != nil {
		return nil, err
	}
	t.State = store.TaskState(state)
	t.Input = blob(t.Input, inputNull)
	t.ScheduleToStart = time.Duration(s2s)
	t.ScheduleToClose = time.Duration(s2c)
	t.StartToClose = time.Duration(st2c)
	t.Heartbeat = time.Duration(hb)
	t.ScheduledAt = timeFromDB(scheduledAt)
	t.StartedAt = timeFromDB(startedAt)
	t.HeartbeatAt = timeFromDB(heartbeatAt)
	t.Details = blob(t.Details, detailsNull)
	t.CancelRequested = cancelRequested != 0
	return &t, nil
}

// InsertTask implements store.Tx.
func (t *tx) InsertTask(task *store.Task) error {
	if err := t.writable(); err != nil {
		return err
	}
	row, err := t.queryRow(qInsertTask, taskArgs(task, 0)...)
	if err != nil {
		return fmt.Errorf("insert task: %w", err)
	}
	var id int64
	if err := row.Scan(&id); err != nil {
		return fmt.Errorf("insert task: %w", err)
	}
	task.ID = id
	return nil
}

// GetTask implements store.Tx.
func (t *tx) GetTask(id int64) (*store.Task, error) {
	row, err := t.queryRow(qGetTask, id)
	if err != nil {
		return nil, fmt.Errorf("get task: %w", err)
	}
	task, err := scanTask(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get task: %w", err)
	}
	return task, nil
}

// UpdateTask implements store.Tx.
func (t *tx) UpdateTask(task *store.Task) error {
	if err := t.writable(); err != nil {
		return err
	}
	err := t.execOne(qUpdateTask, append(taskArgs(task, 1), task.ID)...)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("update task: %w", err)
	}
	return err
}

// DeleteTask implements store.Tx.
func (t *tx) DeleteTask(id int64) error {
	if err := t.writable(); err != nil {
		return err
	}
	err := t.execOne(qDeleteTask, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("delete task: %w", err)
	}
	return err
}

// ListTasks implements store.Tx.
func (t *tx) ListTasks(q store.TaskQuery) ([]*store.Task, error) {
	bits := 0
	var args []any
	if q.Queue != "" {
		bits |= taskQQueue
		args = append(args, q.Queue)
	}
	if q.OwnerKind != "" {
		bits |= taskQOwnerKind
		args = append(args, q.OwnerKind)
	}
	if q.OwnerID != "" {
		bits |= taskQOwnerID
		args = append(args, q.OwnerID)
	}
	if q.State != 0 {
		bits |= taskQState
		args = append(args, int64(q.State))
	}
	nparts := -1
	if q.Partitions != nil {
		if len(q.Partitions) == 0 {
			return nil, nil
		}
		parts := partitionArgs(q.Partitions)
		args = append(args, parts...)
		nparts = len(parts)
	}
	if q.AfterID != 0 {
		bits |= taskQAfter
		args = append(args, q.AfterID)
	}
	if q.Limit > 0 {
		bits |= taskQLimit
		args = append(args, q.Limit)
	}
	query := taskQueries[bits]
	if nparts >= 0 {
		query = taskQuery(bits, nparts)
	}
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	defer rows.Close()
	var out []*store.Task
	for rows.Next() {
		task, err := scanTask(rows)
		if err != nil {
			return nil, fmt.Errorf("list tasks: %w", err)
		}
		out = append(out, task)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	return out, nil
}

// ---- Timers ----

const timerCols = `id, partition_id, owner_kind, owner_id, kind, fire_at, payload, payload IS NULL`

const (
	qInsertTimer = `INSERT INTO timers (partition_id, owner_kind, owner_id, kind, fire_at, payload)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`
	qGetTimer    = `SELECT ` + timerCols + ` FROM timers WHERE id = ?`
	qDeleteTimer = `DELETE FROM timers WHERE id = ?`
)

// ListTimers query variants, indexed by the timerQ* bits.
const (
	timerQOwnerKind = 1 << iota
	timerQOwnerID
	timerQAfter
	timerQLimit
)

var timerQueries = func() (qs [16]string) {
	for bits := range qs {
		qs[bits] = timerQuery(bits, -1)
	}
	return qs
}()

// timerQuery builds the ListTimers query for bits, with a partition_id IN
// list of nparts terms if nparts >= 0.
func timerQuery(bits, nparts int) string {
	var conds []string
	if bits&timerQOwnerKind != 0 {
		conds = append(conds, "owner_kind = ?")
	}
	if bits&timerQOwnerID != 0 {
		conds = append(conds, "owner_id = ?")
	}
	if nparts >= 0 {
		conds = append(conds, inList("partition_id", nparts))
	}
	if bits&timerQAfter != 0 {
		conds = append(conds, "id > ?")
	}
	return selectQuery(timerCols, "timers", conds, "id", bits&timerQLimit != 0)
}

func scanTimer(sc scanner) (*store.Timer, error) {
	var (
		tm     store.Timer
		fireAt int64
		isNull bool
	)
	if err := sc.Scan(&tm.ID, &tm.Partition, &tm.OwnerKind, &tm.OwnerID, &tm.Kind, &fireAt, &tm.Payload, &isNull); err != nil {
		return nil, err
	}
	tm.FireAt = timeFromDB(fireAt)
	tm.Payload = blob(tm.Payload, isNull)
	return &tm, nil
}

// InsertTimer implements store.Tx.
func (t *tx) InsertTimer(tm *store.Timer) error {
	if err := t.writable(); err != nil {
		return err
	}
	row, err := t.queryRow(qInsertTimer, tm.Partition, tm.OwnerKind, tm.OwnerID, tm.Kind, timeToDB(tm.FireAt), tm.Payload)
	if err != nil {
		return fmt.Errorf("insert timer: %w", err)
	}
	var id int64
	if err := row.Scan(&id); err != nil {
		return fmt.Errorf("insert timer: %w", err)
	}
	tm.ID = id
	return nil
}

// GetTimer implements store.Tx.
func (t *tx) GetTimer(id int64) (*store.Timer, error) {
	row, err := t.queryRow(qGetTimer, id)
	if err != nil {
		return nil, fmt.Errorf("get timer: %w", err)
	}
	tm, err := scanTimer(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get timer: %w", err)
	}
	return tm, nil
}

// DeleteTimer implements store.Tx.
func (t *tx) DeleteTimer(id int64) error {
	if err := t.writable(); err != nil {
		return err
	}
	err := t.execOne(qDeleteTimer, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("delete timer: %w", err)
	}
	return err
}

// ListTimers implements store.Tx.
func (t *tx) ListTimers(q store.TimerQuery) ([]*store.Timer, error) {
	bits := 0
	var args []any
	if q.OwnerKind != "" {
		bits |= timerQOwnerKind
		args = append(args, q.OwnerKind)
	}
	if q.OwnerID != "" {
		bits |= timerQOwnerID
		args = append(args, q.OwnerID)
	}
	nparts := -1
	if q.Partitions != nil {
		if len(q.Partitions) == 0 {
			return nil, nil
		}
		parts := partitionArgs(q.Partitions)
		args = append(args, parts...)
		nparts = len(parts)
	}
	if q.AfterID != 0 {
		bits |= timerQAfter
		args = append(args, q.AfterID)
	}
	if q.Limit > 0 {
		bits |= timerQLimit
		args = append(args, q.Limit)
	}
	query := timerQueries[bits]
	if nparts >= 0 {
		query = timerQuery(bits, nparts)
	}
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("list timers: %w", err)
	}
	defer rows.Close()
	var out []*store.Timer
	for rows.Next() {
		tm, err := scanTimer(rows)
		if err != nil {
			return nil, fmt.Errorf("list timers: %w", err)
		}
		out = append(out, tm)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list timers: %w", err)
	}
	return out, nil
}

// ---- Meta ----

const (
	qGetMeta = `SELECT value, value IS NULL FROM meta WHERE key = ?`
	qPutMeta = `INSERT INTO meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`
)

// GetMeta implements store.Tx.
func (t *tx) GetMeta(key string) ([]byte, error) {
	row, err := t.queryRow(qGetMeta, key)
	if err != nil {
		return nil, fmt.Errorf("get meta: %w", err)
	}
	var (
		v      []byte
		isNull bool
	)
	err = row.Scan(&v, &isNull)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get meta: %w", err)
	}
	return blob(v, isNull), nil
}

// PutMeta implements store.Tx. The key "schema_version" is the store's own.
func (t *tx) PutMeta(key string, value []byte) error {
	if err := t.writable(); err != nil {
		return err
	}
	if _, err := t.exec(qPutMeta, key, value); err != nil {
		return fmt.Errorf("put meta: %w", err)
	}
	return nil
}
