package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// Membership: the nodes and partition leases of store.Tx. An SQLite file
// has one node, so the store's clock is this process's time.Now(). The
// statements are ones PostgreSQL also runs.

const (
	qNextNodeEpoch = `UPDATE sequences SET value = value + 1 WHERE name = 'node_epoch' RETURNING value`
	qJoinNode      = `INSERT INTO nodes (id, addr, epoch, joined_at, expires_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET addr = excluded.addr, epoch = excluded.epoch,
			joined_at = excluded.joined_at, expires_at = excluded.expires_at`
	qRenewNode    = `UPDATE nodes SET expires_at = ? WHERE id = ? AND epoch = ?`
	qReapNodes    = `DELETE FROM nodes WHERE expires_at < ? RETURNING id`
	qLeaveNode    = `DELETE FROM nodes WHERE id = ? AND epoch = ?`
	qFreeLeases   = `UPDATE leases SET node = '', epoch = epoch + 1 WHERE node = ?`
	qListNodes    = `SELECT id, addr, epoch, joined_at, expires_at FROM nodes ORDER BY id`
	qListLeases   = `SELECT partition_id, node, epoch FROM leases ORDER BY partition_id`
	qCheckFence   = `SELECT count(*) FROM nodes WHERE id = ? AND epoch = ?`
	qReleaseLease = `UPDATE leases SET node = '', epoch = epoch + 1
		WHERE partition_id = ? AND node = ? AND node <> ''`
	// The lease is taken when it is free, already node's, or its holder's
	// row is gone; otherwise the upsert changes nothing and returns no row.
	qAcquireLease = `INSERT INTO leases (partition_id, node, epoch) VALUES (?, ?, 1)
		ON CONFLICT (partition_id) DO UPDATE SET node = excluded.node, epoch = leases.epoch + 1
			WHERE leases.node = '' OR leases.node = excluded.node
				OR NOT EXISTS (SELECT 1 FROM nodes WHERE nodes.id = leases.node)
		RETURNING epoch`
)

// JoinNode implements store.Tx.
func (t *tx) JoinNode(n *store.Node, ttl time.Duration) error {
	if err := t.writable(); err != nil {
		return err
	}
	row, err := t.queryRow(qNextNodeEpoch)
	if err != nil {
		return fmt.Errorf("join node: %w", err)
	}
	var epoch int64
	if err := row.Scan(&epoch); err != nil {
		return fmt.Errorf("join node: %w", err)
	}
	now := timeToDB(time.Now())
	expires := now + int64(ttl)
	if _, err := t.exec(qJoinNode, n.ID, n.Addr, epoch, now, expires); err != nil {
		return fmt.Errorf("join node: %w", err)
	}
	n.Epoch = epoch
	n.JoinedAt = timeFromDB(now)
	n.ExpiresAt = timeFromDB(expires)
	return nil
}

// RenewNode implements store.Tx.
func (t *tx) RenewNode(id string, epoch int64, ttl time.Duration) (time.Time, error) {
	if err := t.writable(); err != nil {
		return time.Time{}, err
	}
	expires := timeToDB(time.Now()) + int64(ttl)
	err := t.execOne(qRenewNode, expires, id, epoch)
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, store.ErrFenced
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("renew node: %w", err)
	}
	return timeFromDB(expires), nil
}

// ReapNodes implements store.Tx. The IDs are returned in order.
func (t *tx) ReapNodes() ([]string, error) {
	if err := t.writable(); err != nil {
		return nil, err
	}
	rows, err := t.query(qReapNodes, timeToDB(time.Now()))
	if err != nil {
		return nil, fmt.Errorf("reap nodes: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("reap nodes: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
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
	err := t.execOne(qLeaveNode, id, epoch)
	if errors.Is(err, store.ErrNotFound) {
		return nil // not that node any more: its leases are another's
	}
	if err != nil {
		return fmt.Errorf("leave node: %w", err)
	}
	if _, err := t.exec(qFreeLeases, id); err != nil {
		return fmt.Errorf("leave node: %w", err)
	}
	return nil
}

// ListNodes implements store.Tx.
func (t *tx) ListNodes() ([]store.Node, error) {
	rows, err := t.query(qListNodes)
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	defer rows.Close()
	var out []store.Node
	for rows.Next() {
		var (
			n                 store.Node
			joined, expiresAt int64
		)
		if err := rows.Scan(&n.ID, &n.Addr, &n.Epoch, &joined, &expiresAt); err != nil {
			return nil, fmt.Errorf("list nodes: %w", err)
		}
		n.JoinedAt = timeFromDB(joined)
		n.ExpiresAt = timeFromDB(expiresAt)
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	return out, nil
}

// ListLeases implements store.Tx.
func (t *tx) ListLeases() ([]store.Lease, error) {
	rows, err := t.query(qListLeases)
	if err != nil {
		return nil, fmt.Errorf("list leases: %w", err)
	}
	defer rows.Close()
	var out []store.Lease
	for rows.Next() {
		var l store.Lease
		if err := rows.Scan(&l.Partition, &l.Node, &l.Epoch); err != nil {
			return nil, fmt.Errorf("list leases: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list leases: %w", err)
	}
	return out, nil
}

// AcquireLease implements store.Tx.
func (t *tx) AcquireLease(partition int, node string) (store.Lease, error) {
	if err := t.writable(); err != nil {
		return store.Lease{}, err
	}
	row, err := t.queryRow(qAcquireLease, partition, node)
	if err != nil {
		return store.Lease{}, fmt.Errorf("acquire lease: %w", err)
	}
	l := store.Lease{Partition: partition, Node: node}
	err = row.Scan(&l.Epoch)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Lease{}, store.ErrLeaseHeld
	}
	if err != nil {
		return store.Lease{}, fmt.Errorf("acquire lease: %w", err)
	}
	return l, nil
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

// fence is the node a Fencer's writes are checked against.
type fence struct {
	node  string
	epoch int64
}

var _ store.Fencer = (*Store)(nil)

// Fence implements store.Fencer: from the next transaction on, the writer
// first checks that node's row is there with epoch, and fails every job of
// a transaction whose check fails, without running their functions, with
// an error wrapping store.ErrFenced. Fence("", 0) turns the check off; when
// it is off, it costs nothing.
func (s *Store) Fence(node string, epoch int64) {
	if node == "" {
		s.w.fence.Store(nil)
		return
	}
	s.w.fence.Store(&fence{node: node, epoch: epoch})
}

// checkFence reports whether the fenced node's row is there, in the open
// transaction.
func (w *writer) checkFence(f *fence) error {
	st, err := w.stmt(qCheckFence)
	if err != nil {
		return err
	}
	var n int64
	if err := st.QueryRowContext(w.ctx, f.node, f.epoch).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("sqlite: node %q epoch %d: %w", f.node, f.epoch, store.ErrFenced)
	}
	return nil
}
