package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// session is a transaction on one connection whose bookkeeping statements
// (BEGIN, SAVEPOINT, RELEASE, ROLLBACK TO) wait in pending and go out in
// one round trip with the next statement that needs an answer.
type session struct {
	conn *pgx.Conn
	ctx  context.Context // of every statement
	// pending are statements to send before the next one, in the same
	// round trip.
	pending []string
	sent    int   // round trips so far: 0 means the transaction was never begun
	broken  error // the transaction cannot go on: roll it back
	retry   bool  // broken by a deadlock or serialization failure: run it again
}

// send sends the pending statements and then sql, in one round trip, and
// returns the results, positioned at sql's.
func (s *session) send(sql string, args []any) (pgx.BatchResults, error) {
	b := &pgx.Batch{}
	for _, p := range s.pending {
		b.Queue(p)
	}
	b.Queue(sql, args...)
	br := s.conn.SendBatch(s.ctx, b)
	s.sent++
	for range s.pending {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			// A bookkeeping statement failed: the transaction is broken.
			s.pending = s.pending[:0]
			if s.broken == nil {
				s.broken = err
			}
			s.retry = s.retry || retryable(err)
			return nil, err
		}
	}
	s.pending = s.pending[:0]
	return br, nil
}

// exec runs a statement that returns no rows.
func (s *session) exec(sql string, args []any) (pgconn.CommandTag, error) {
	if s.broken != nil {
		return pgconn.CommandTag{}, s.broken
	}
	if len(s.pending) == 0 {
		s.sent++
		return s.conn.Exec(s.ctx, sql, args...)
	}
	br, err := s.send(sql, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

// query runs a statement and calls each for every row.
func (s *session) query(sql string, args []any, each func(pgx.Rows) error) error {
	if s.broken != nil {
		return s.broken
	}
	var (
		rows pgx.Rows
		br   pgx.BatchResults
		err  error
	)
	if len(s.pending) == 0 {
		s.sent++
		rows, err = s.conn.Query(s.ctx, sql, args...)
	} else {
		if br, err = s.send(sql, args); err != nil {
			return err
		}
		rows, err = br.Query()
	}
	if err == nil {
		err = eachRow(rows, each)
	}
	if br != nil {
		if cerr := br.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// queryRow runs a statement that returns at most one row into dest; it
// returns pgx.ErrNoRows if there is none.
func (s *session) queryRow(sql string, args []any, dest ...any) error {
	found := false
	err := s.query(sql, args, func(rows pgx.Rows) error {
		found = true
		return rows.Scan(dest...)
	})
	if err == nil && !found {
		err = pgx.ErrNoRows
	}
	return err
}

// eachRow calls each for every row and closes rows.
func eachRow(rows pgx.Rows, each func(pgx.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
