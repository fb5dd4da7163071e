package postgres

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gaffer-dev/gaffer/internal/store"
)

var (
	errReadOnly = errors.New("postgres: write in a read-only transaction")
	errTxDone   = errors.New("postgres: transaction used after its function returned")
)

// tx implements store.Tx: in an Update (w and job set) on the writer's
// transaction, in a View (r set) on a read-only one.
type tx struct {
	w   *writer
	job *job

	r *session

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

// forUpdate is what a read of a row an Update may change adds: the row
// stays locked until the commit, so that another node's read-modify-write
// waits for this one's.
func (t *tx) forUpdate() string {
	if t.w != nil {
		return " FOR UPDATE"
	}
	return ""
}

func (t *tx) exec(sql string, args ...any) (pgconn.CommandTag, error) {
	if t.done {
		return pgconn.CommandTag{}, errTxDone
	}
	if t.w == nil {
		return t.r.exec(sql, args)
	}
	tag, err := t.w.exec(sql, args)
	if err != nil {
		t.w.failed(t.job, err)
	}
	return tag, err
}

func (t *tx) query(sql string, args []any, each func(pgx.Rows) error) error {
	if t.done {
		return errTxDone
	}
	if t.w == nil {
		return t.r.query(sql, args, each)
	}
	err := t.w.query(sql, args, each)
	if err != nil {
		t.w.failed(t.job, err)
	}
	return err
}

// queryRow scans the one row sql returns into dest, or returns
// pgx.ErrNoRows.
func (t *tx) queryRow(sql string, args []any, dest ...any) error {
	found := false
	err := t.query(sql, args, func(rows pgx.Rows) error {
		found = true
		return rows.Scan(dest...)
	})
	if err == nil && !found {
		err = pgx.ErrNoRows
	}
	return err
}

// execOne runs a statement that must change exactly one row; it returns
// store.ErrNotFound if it changed none.
func (t *tx) execOne(sql string, args ...any) error {
	tag, err := t.exec(sql, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
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
// sub and RELEASE SAVEPOINT sub (PostgreSQL resolves a repeated name to
// the innermost savepoint, so fn may nest another); on fn's error or
// panic, or a statement of fn's that failed, ROLLBACK TO SAVEPOINT sub
// undoes its writes and the callbacks it registered are dropped. Like the
// job's own savepoint, these statements go out with the next statement.
// In a View, fn runs on t.
func (t *tx) Savepoint(fn func(store.Tx) error) error {
	if t.done {
		return errTxDone
	}
	if t.w == nil {
		return fn(t)
	}
	w := t.w
	if w.broken != nil {
		return w.broken
	}
	w.pending = append(w.pending, "SAVEPOINT sub")
	sent, ncb, stmtErr := w.sent, len(t.job.callbacks), t.job.stmtErr
	t.job.stmtErr = nil
	sub := &tx{w: w, job: t.job}
	err := w.call(fn, sub)
	sub.finish()
	if w.broken != nil {
		if err == nil {
			err = w.broken
		}
		return err
	}
	if err == nil && t.job.stmtErr != nil {
		err = fmt.Errorf("postgres: the savepoint's function went on after a failed statement: %w", t.job.stmtErr)
	}
	t.job.stmtErr = stmtErr // the rollback, if any, undoes the failure
	if err != nil {
		clear(t.job.callbacks[ncb:])
		t.job.callbacks = t.job.callbacks[:ncb]
	}
	if w.sent == sent {
		w.pending = w.pending[:len(w.pending)-1]
		return err
	}
	w.subxacts++
	if err != nil {
		w.pending = append(w.pending, "ROLLBACK TO SAVEPOINT sub")
	}
	w.pending = append(w.pending, "RELEASE SAVEPOINT sub")
	return err
}

// Times are stored as Unix nanoseconds, the zero time as 0: TIMESTAMPTZ
// keeps microseconds only.
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

// where builds a query's WHERE clause and its arguments, numbering the
// placeholders.
type where struct {
	conds []string
	args  []any
}

// add appends the condition cond, in which "?" stands for arg.
func (w *where) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, strings.Replace(cond, "?", "$"+strconv.Itoa(len(w.args)), 1))
}

// query returns "SELECT cols FROM table WHERE ... ORDER BY order [LIMIT n]".
func (w *where) query(cols, table, order string, limit int) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(cols)
	b.WriteString(" FROM ")
	b.WriteString(table)
	for i, c := range w.conds {
		if i == 0 {
			b.WriteString(" WHERE ")
		} else {
			b.WriteString(" AND ")
		}
		b.WriteString(c)
	}
	b.WriteString(" ORDER BY ")
	b.WriteString(order)
	if limit > 0 {
		w.args = append(w.args, limit)
		b.WriteString(" LIMIT $" + strconv.Itoa(len(w.args)))
	}
	return b.String()
}

// ---- Objects ----

const objectCols = `kind, id, parent, status, seq, body, closed_at`

const (
	qGetObject = `SELECT ` + objectCols + ` FROM gaffer_objects WHERE kind = $1 AND id = $2`
	qPutObject = `INSERT INTO gaffer_objects (kind, id, parent, status, seq, body, closed_at)
		VALUES ($1, $2, $3, $4, nextval('gaffer_object_seq'), $5, $6)
		ON CONFLICT (kind, id) DO UPDATE SET parent = excluded.parent, status = excluded.status,
			body = excluded.body, closed_at = excluded.closed_at
		RETURNING seq`
	qInsertObject = `INSERT INTO gaffer_objects (kind, id, parent, status, seq, body, closed_at)
		VALUES ($1, $2, $3, $4, nextval('gaffer_object_seq'), $5, $6)
		ON CONFLICT (kind, id) DO NOTHING
		RETURNING seq`
	qDeleteObject = `DELETE FROM gaffer_objects WHERE kind = $1 AND id = $2`
)

// errClosedQuery is ListObjects' answer to a ClosedBefore query that also
// sets a filter or an order of Seq.
var errClosedQuery = errors.New("postgres: ObjectQuery.ClosedBefore cannot be combined with Parent, Status, AfterSeq or Desc")

func scanObject(rows pgx.Rows) (*store.Object, error) {
	var (
		o        store.Object
		closedAt int64
	)
	if err := rows.Scan(&o.Kind, &o.ID, &o.Parent, &o.Status, &o.Seq, &o.Body, &closedAt); err != nil {
		return nil, err
	}
	o.ClosedAt = timeFromDB(closedAt)
	return &o, nil
}

// GetObject implements store.Tx. In an Update it locks the row until the
// commit.
func (t *tx) GetObject(kind, id string) (*store.Object, error) {
	return t.getObject(qGetObject+t.forUpdate(), kind, id)
}

// ReadObject implements store.Tx: GetObject without FOR UPDATE.
func (t *tx) ReadObject(kind, id string) (*store.Object, error) {
	return t.getObject(qGetObject, kind, id)
}

func (t *tx) getObject(query, kind, id string) (*store.Object, error) {
	var o *store.Object
	err := t.query(query, []any{kind, id}, func(rows pgx.Rows) (err error) {
		o, err = scanObject(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get object: %w", err)
	}
	if o == nil {
		return nil, store.ErrNotFound
	}
	return o, nil
}

// PutObject implements store.Tx.
func (t *tx) PutObject(o *store.Object) error {
	if err := t.writable(); err != nil {
		return err
	}
	var seq int64
	err := t.queryRow(qPutObject, []any{o.Kind, o.ID, o.Parent, o.Status, o.Body, timeToDB(o.ClosedAt)}, &seq)
	if err != nil {
		return fmt.Errorf("put object: %w", err)
	}
	o.Seq = seq
	return nil
}

// InsertObject implements store.Tx.
func (t *tx) InsertObject(o *store.Object) error {
	if err := t.writable(); err != nil {
		return err
	}
	var seq int64
	err := t.queryRow(qInsertObject, []any{o.Kind, o.ID, o.Parent, o.Status, o.Body, timeToDB(o.ClosedAt)}, &seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrExists
	}
	if err != nil {
		return fmt.Errorf("insert object: %w", err)
	}
	o.Seq = seq
	return nil
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
	var w where
	w.add("kind = ?", q.Kind)
	order := "seq"
	if !q.ClosedBefore.IsZero() {
		if q.Parent != "" || q.Status != "" || q.AfterSeq != 0 || q.Desc {
			return nil, errClosedQuery
		}
		// closed_at > 0 is the partial index's own condition.
		w.conds = append(w.conds, "closed_at > 0")
		w.add("closed_at < ?", timeToDB(q.ClosedBefore))
		order = "closed_at, seq"
	} else {
		if q.Parent != "" {
			w.add("parent = ?", q.Parent)
		}
		if q.Status != "" {
			w.add("status = ?", q.Status)
		}
		if q.Desc {
			order = "seq DESC"
		}
		if q.AfterSeq != 0 {
			if q.Desc {
				w.add("seq < ?", q.AfterSeq)
			} else {
				w.add("seq > ?", q.AfterSeq)
			}
		}
	}
	var out []*store.Object
	err := t.query(w.query(objectCols, "gaffer_objects", order, q.Limit), w.args, func(rows pgx.Rows) error {
		o, err := scanObject(rows)
		out = append(out, o)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list objects: %w", err)
	}
	return out, nil
}

// ---- Events ----

const (
	qLastEvent = `SELECT COALESCE(MAX(id), 0) FROM gaffer_events WHERE owner = $1`
	// qAppendEvents inserts the events only if the history ends just
	// before the first: one round trip for the check and the insert.
	qAppendEvents = `INSERT INTO gaffer_events (owner, id, body)
		SELECT $1, e.id, e.body FROM unnest($2::bigint[], $3::bytea[]) AS e (id, body)
		WHERE (SELECT COALESCE(MAX(id), 0) FROM gaffer_events WHERE owner = $1) = $4`
	qDeleteEvents = `DELETE FROM gaffer_events WHERE owner = $1`
)

// AppendEvents implements store.Tx.
func (t *tx) AppendEvents(owner string, events []store.Event) error {
	if err := t.writable(); err != nil {
		return err
	}
	if len(events) == 0 {
		return nil
	}
	first := events[0].ID
	ids := make([]int64, len(events))
	bodies := make([][]byte, len(events))
	for i, e := range events {
		if want := first + int64(i); e.ID != want {
			return fmt.Errorf("append events to %q: event id %d, want %d", owner, e.ID, want)
		}
		ids[i], bodies[i] = e.ID, e.Body
	}
	if first < 1 {
		return fmt.Errorf("append events to %q: event id %d, want at least 1", owner, first)
	}
	tag, err := t.exec(qAppendEvents, owner, ids, bodies, first-1)
	if err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	if tag.RowsAffected() == int64(len(events)) {
		return nil
	}
	var last int64
	if err := t.queryRow(qLastEvent, []any{owner}, &last); err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	return fmt.Errorf("append events to %q: event id %d, want %d", owner, first, last+1)
}

// ListEvents implements store.Tx. A Limit of 0 or less means no limit.
func (t *tx) ListEvents(q store.EventQuery) ([]store.Event, error) {
	var w where
	w.add("owner = ?", q.Owner)
	order := "id"
	if q.Desc {
		order = "id DESC"
	}
	if q.AfterID != 0 {
		if q.Desc {
			w.add("id < ?", q.AfterID)
		} else {
			w.add("id > ?", q.AfterID)
		}
	}
	var out []store.Event
	err := t.query(w.query("id, body", "gaffer_events", order, q.Limit), w.args, func(rows pgx.Rows) error {
		var e store.Event
		err := rows.Scan(&e.ID, &e.Body)
		out = append(out, e)
		return err
	})
	if err != nil {
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
	input, schedule_to_start_timeout, schedule_to_close_timeout, start_to_close_timeout,
	heartbeat_timeout, scheduled_at, started_at, worker, heartbeat_at, details, cancel_requested`

const (
	qInsertTask = `INSERT INTO gaffer_tasks (partition_id, queue, owner_kind, owner_id, owner_ref, state, attempt,
		priority, input, schedule_to_start_timeout, schedule_to_close_timeout, start_to_close_timeout,
		heartbeat_timeout, scheduled_at, started_at, worker, heartbeat_at, details, cancel_requested)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
		RETURNING id`
	qUpdateTask = `UPDATE gaffer_tasks SET partition_id = $1, queue = $2, owner_kind = $3, owner_id = $4,
		owner_ref = $5, state = $6, attempt = $7, priority = $8, input = $9, schedule_to_start_timeout = $10,
		schedule_to_close_timeout = $11, start_to_close_timeout = $12, heartbeat_timeout = $13,
		scheduled_at = $14, started_at = $15, worker = $16, heartbeat_at = $17, details = $18,
		cancel_requested = $19
		WHERE id = $20`
	qGetTask    = `SELECT ` + taskCols + ` FROM gaffer_tasks WHERE id = $1`
	qDeleteTask = `DELETE FROM gaffer_tasks WHERE id = $1`
)

// taskArgs returns t's columns in qInsertTask order (and qUpdateTask's,
// without the trailing id).
func taskArgs(t *store.Task, extra int) []any {
	return append(make([]any, 0, 19+extra),
		t.Partition, t.Queue, t.OwnerKind, t.OwnerID, t.OwnerRef, int64(t.State), t.Attempt,
		t.Priority, t.Input, int64(t.ScheduleToStart), int64(t.ScheduleToClose), int64(t.StartToClose),
		int64(t.Heartbeat), timeToDB(t.ScheduledAt), timeToDB(t.StartedAt), t.Worker,
		timeToDB(t.HeartbeatAt), t.Details, t.CancelRequested)
}

func scanTask(rows pgx.Rows) (*store.Task, error) {
	var (
		t                                   store.Task
		state                               int64
		s2s, s2c, st2c, hb                  int64
		scheduledAt, startedAt, heartbeatAt int64
	)
	err := rows.Scan(&t.ID, &t.Partition, &t.Queue, &t.OwnerKind, &t.OwnerID, &t.OwnerRef, &state,
		&t.Attempt, &t.Priority, &t.Input, &s2s, &s2c, &st2c, &hb, &scheduledAt,
		&startedAt, &t.Worker, &heartbeatAt, &t.Details, &t.CancelRequested)
	if err != nil {
		return nil, err
	}
	t.State = store.TaskState(state)
	t.ScheduleToStart = time.Duration(s2s)
	t.ScheduleToClose = time.Duration(s2c)
	t.StartToClose = time.Duration(st2c)
	t.Heartbeat = time.Duration(hb)
	t.ScheduledAt = timeFromDB(scheduledAt)
	t.StartedAt = timeFromDB(startedAt)
	t.HeartbeatAt = timeFromDB(heartbeatAt)
	return &t, nil
}

// InsertTask implements store.Tx.
func (t *tx) InsertTask(task *store.Task) error {
	if err := t.writable(); err != nil {
		return err
	}
	var id int64
	if err := t.queryRow(qInsertTask, taskArgs(task, 0), &id); err != nil {
		return fmt.Errorf("insert task: %w", err)
	}
	task.ID = id
	return nil
}

// GetTask implements store.Tx. In an Update it locks the row until the
// commit.
func (t *tx) GetTask(id int64) (*store.Task, error) {
	var task *store.Task
	err := t.query(qGetTask+t.forUpdate(), []any{id}, func(rows pgx.Rows) (err error) {
		task, err = scanTask(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get task: %w", err)
	}
	if task == nil {
		return nil, store.ErrNotFound
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
	var w where
	if q.Queue != "" {
		w.add("queue = ?", q.Queue)
	}
	if q.OwnerKind != "" {
		w.add("owner_kind = ?", q.OwnerKind)
	}
	if q.OwnerID != "" {
		w.add("owner_id = ?", q.OwnerID)
	}
	if q.State != 0 {
		w.add("state = ?", int64(q.State))
	}
	if q.Partitions != nil {
		w.add("partition_id = ANY(?::integer[])", partitions(q.Partitions))
	}
	if q.AfterID != 0 {
		w.add("id > ?", q.AfterID)
	}
	var out []*store.Task
	err := t.query(w.query(taskCols, "gaffer_tasks", "id", q.Limit), w.args, func(rows pgx.Rows) error {
		task, err := scanTask(rows)
		out = append(out, task)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	return out, nil
}

// partitions returns ps as the int32s of an integer[] parameter (never
// nil: an empty list selects nothing).
func partitions(ps []int) []int32 {
	out := make([]int32, len(ps))
	for i, p := range ps {
		out[i] = int32(p)
	}
	return out
}

// ---- Timers ----

const timerCols = `id, partition_id, owner_kind, owner_id, kind, fire_at, payload`

const (
	qInsertTimer = `INSERT INTO gaffer_timers (partition_id, owner_kind, owner_id, kind, fire_at, payload)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
	qGetTimer    = `SELECT ` + timerCols + ` FROM gaffer_timers WHERE id = $1`
	qDeleteTimer = `DELETE FROM gaffer_timers WHERE id = $1`
)

func scanTimer(rows pgx.Rows) (*store.Timer, error) {
	var (
		tm     store.Timer
		fireAt int64
	)
	if err := rows.Scan(&tm.ID, &tm.Partition, &tm.OwnerKind, &tm.OwnerID, &tm.Kind, &fireAt, &tm.Payload); err != nil {
		return nil, err
	}
	tm.FireAt = timeFromDB(fireAt)
	return &tm, nil
}

// InsertTimer implements store.Tx.
func (t *tx) InsertTimer(tm *store.Timer) error {
	if err := t.writable(); err != nil {
		return err
	}
	var id int64
	err := t.queryRow(qInsertTimer, []any{tm.Partition, tm.OwnerKind, tm.OwnerID, tm.Kind, timeToDB(tm.FireAt), tm.Payload}, &id)
	if err != nil {
		return fmt.Errorf("insert timer: %w", err)
	}
	tm.ID = id
	return nil
}

// GetTimer implements store.Tx. In an Update it locks the row until the
// commit.
func (t *tx) GetTimer(id int64) (*store.Timer, error) {
	var tm *store.Timer
	err := t.query(qGetTimer+t.forUpdate(), []any{id}, func(rows pgx.Rows) (err error) {
		tm, err = scanTimer(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get timer: %w", err)
	}
	if tm == nil {
		return nil, store.ErrNotFound
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
	var w where
	if q.OwnerKind != "" {
		w.add("owner_kind = ?", q.OwnerKind)
	}
	if q.OwnerID != "" {
		w.add("owner_id = ?", q.OwnerID)
	}
	if q.Partitions != nil {
		w.add("partition_id = ANY(?::integer[])", partitions(q.Partitions))
	}
	if q.AfterID != 0 {
		w.add("id > ?", q.AfterID)
	}
	var out []*store.Timer
	err := t.query(w.query(timerCols, "gaffer_timers", "id", q.Limit), w.args, func(rows pgx.Rows) error {
		tm, err := scanTimer(rows)
		out = append(out, tm)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list timers: %w", err)
	}
	return out, nil
}

// ---- Meta ----

const (
	qGetMeta = `SELECT value FROM gaffer_meta WHERE key = $1`
	qPutMeta = `INSERT INTO gaffer_meta (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`
)

// GetMeta implements store.Tx.
func (t *tx) GetMeta(key string) ([]byte, error) {
	var v []byte
	err := t.queryRow(qGetMeta, []any{key}, &v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get meta: %w", err)
	}
	return v, nil
}

// PutMeta implements store.Tx.
func (t *tx) PutMeta(key string, value []byte) error {
	if err := t.writable(); err != nil {
		return err
	}
	if _, err := t.exec(qPutMeta, key, value); err != nil {
		return fmt.Errorf("put meta: %w", err)
	}
	return nil
}

// ---- Membership ----

// The membership times are the server's: clock_timestamp(), the time at
// the statement (now() would be the start of a batch's transaction).
const (
	qJoinNode = `INSERT INTO gaffer_nodes (id, addr, epoch, joined_at, expires_at)
		VALUES ($1, $2, nextval('gaffer_node_epoch'), clock_timestamp(), clock_timestamp() + $3 * interval '1 microsecond')
		ON CONFLICT (id) DO UPDATE SET addr = excluded.addr, epoch = excluded.epoch,
			joined_at = excluded.joined_at, expires_at = excluded.expires_at
		RETURNING epoch, joined_at, expires_at`
	qRenewNode = `UPDATE gaffer_nodes SET expires_at = clock_timestamp() + $3 * interval '1 microsecond'
		WHERE id = $1 AND epoch = $2 RETURNING expires_at`
	qReapNodes = `DELETE FROM gaffer_nodes WHERE expires_at < clock_timestamp() RETURNING id`
	// qLeaveNode deletes the row and, if it was there, frees its leases.
	qLeaveNode = `WITH gone AS (DELETE FROM gaffer_nodes WHERE id = $1 AND epoch = $2 RETURNING id)
		UPDATE gaffer_leases SET node = '', epoch = epoch + 1 WHERE node IN (SELECT id FROM gone)`
	qListNodes  = `SELECT id, addr, epoch, joined_at, expires_at FROM gaffer_nodes ORDER BY id`
	qListLeases = `SELECT partition_id, node, epoch FROM gaffer_leases ORDER BY partition_id`
	// qAcquireLease takes the lease if node is a row and the lease is
	// free, its holder's row gone, or node's already.
	qAcquireLease = `INSERT INTO gaffer_leases AS l (partition_id, node, epoch)
		SELECT $1, $2, 1 WHERE EXISTS (SELECT 1 FROM gaffer_nodes WHERE id = $2)
		ON CONFLICT (partition_id) DO UPDATE SET node = excluded.node, epoch = l.epoch + 1
			WHERE l.node = '' OR l.node = excluded.node
				OR NOT EXISTS (SELECT 1 FROM gaffer_nodes WHERE id = l.node)
		RETURNING epoch`
	qNodeExists   = `SELECT EXISTS (SELECT 1 FROM gaffer_nodes WHERE id = $1)`
	qReleaseLease = `UPDATE gaffer_leases SET node = '', epoch = epoch + 1 WHERE partition_id = $1 AND node = $2 AND node <> ''`
)

// errNotMember is AcquireLease's answer for a node without a row.
var errNotMember = errors.New("postgres: acquire lease: the node is not a member (no row)")

// JoinNode implements store.Tx.
func (t *tx) JoinNode(n *store.Node, ttl time.Duration) error {
	if err := t.writable(); err != nil {
		return err
	}
	var joined, expires time.Time
	if err := t.queryRow(qJoinNode, []any{n.ID, n.Addr, ttl.Microseconds()}, &n.Epoch, &joined, &expires); err != nil {
		return fmt.Errorf("join node: %w", err)
	}
	n.JoinedAt, n.ExpiresAt = joined.UTC(), expires.UTC()
	return nil
}

// RenewNode implements store.Tx.
func (t *tx) RenewNode(id string, epoch int64, ttl time.Duration) (time.Time, error) {
	if err := t.writable(); err != nil {
		return time.Time{}, err
	}
	var expires time.Time
	err := t.queryRow(qRenewNode, []any{id, epoch, ttl.Microseconds()}, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, fmt.Errorf("renew node %s (epoch %d): %w", id, epoch, store.ErrFenced)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("renew node: %w", err)
	}
	return expires.UTC(), nil
}

// ReapNodes implements store.Tx.
func (t *tx) ReapNodes() ([]string, error) {
	if err := t.writable(); err != nil {
		return nil, err
	}
	var ids []string
	err := t.query(qReapNodes, nil, func(rows pgx.Rows) error {
		var id string
		err := rows.Scan(&id)
		ids = append(ids, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reap nodes: %w", err)
	}
	slices.Sort(ids)
	return ids, nil
}

// LeaveNode implements store.Tx.
func (t *tx) LeaveNode(id string, epoch int64) error {
	if err := t.writable(); err != nil {
		return err
	}
	if _, err := t.exec(qLeaveNode, id, epoch); err != nil {
		return fmt.Errorf("leave node: %w", err)
	}
	return nil
}

// ListNodes implements store.Tx.
func (t *tx) ListNodes() ([]store.Node, error) {
	var out []store.Node
	err := t.query(qListNodes, nil, func(rows pgx.Rows) error {
		var n store.Node
		err := rows.Scan(&n.ID, &n.Addr, &n.Epoch, &n.JoinedAt, &n.ExpiresAt)
		n.JoinedAt, n.ExpiresAt = n.JoinedAt.UTC(), n.ExpiresAt.UTC()
		out = append(out, n)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	return out, nil
}

// ListLeases implements store.Tx.
func (t *tx) ListLeases() ([]store.Lease, error) {
	var out []store.Lease
	err := t.query(qListLeases, nil, func(rows pgx.Rows) error {
		var l store.Lease
		err := rows.Scan(&l.Partition, &l.Node, &l.Epoch)
		out = append(out, l)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list leases: %w", err)
	}
	return out, nil
}

// AcquireLease implements store.Tx.
func (t *tx) AcquireLease(partition int, node string) (store.Lease, error) {
	if err := t.writable(); err != nil {
		return store.Lease{}, err
	}
	l := store.Lease{Partition: partition, Node: node}
	err := t.queryRow(qAcquireLease, []any{partition, node}, &l.Epoch)
	if err == nil {
		return l, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return store.Lease{}, fmt.Errorf("acquire lease: %w", err)
	}
	var member bool
	if err := t.queryRow(qNodeExists, []any{node}, &member); err != nil {
		return store.Lease{}, fmt.Errorf("acquire lease: %w", err)
	}
	if !member {
		return store.Lease{}, fmt.Errorf("%w: %s", errNotMember, node)
	}
	return store.Lease{}, store.ErrLeaseHeld
}

// ReleaseLease implements store.Tx.
func (t *tx) ReleaseLease(partition int, node string) error {
	if err := t.writable(); err != nil {
		return err
	}
	if _, err := t.exec(qReleaseLease, partition, node); err != nil {
		return fmt.Errorf("release lease: %w", err)
	}
	return nil
}
