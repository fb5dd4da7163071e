package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gaffer-dev/gaffer/internal/startstop"
	"github.com/gaffer-dev/gaffer/internal/testsignal"
)

// checkpointEvery is the least time between two of the checkpointer's
// passes. Each pass that copies anything syncs the log and the database
// file; at this pace that is at most 40 syncs a second beside the writer's
// one per transaction.
const checkpointEvery = 50 * time.Millisecond

// restartFrames is the length of the write-ahead log, in frames (pages),
// from which the checkpointer asks the writer to finish a checkpoint so
// that the log starts again from its beginning: SQLite's default
// wal_autocheckpoint, about 4 MiB.
const restartFrames = 1000

// checkpointer copies the write-ahead log's frames into the database file
// from a connection of its own, off the writer goroutine.
//
// Left to SQLite, the writer checkpoints inside every COMMIT that leaves the
// log at wal_autocheckpoint pages or more: it copies the frames into the
// database file and syncs both files, and the callers of that batch wait
// for it. A checkpoint cannot copy frames that a reader's snapshot still
// needs, and only a writer restarts the log, once everything in it has been
// copied; while readers keep snapshots open the log stays long, and every
// commit checkpointed again, two syncs each time. In a trace of the soak
// benchmark the writer spent 7 to 11 % of its time so, five times as many
// checkpoint syncs as the log's growth needed.
//
// Here the writer does not checkpoint on its own (wal_autocheckpoint is
// off on its connection). The checkpointer runs a PASSIVE checkpoint at
// most every checkpointEvery, once the writer has committed since its last
// pass: it copies what it can without waiting for the writer or for
// readers. When a pass finds the log at restartFrames or longer, it asks
// the writer (writer.restartDue) to run one PASSIVE checkpoint of its own
// between transactions, after answering its callers: that one copies only
// what was committed since the pass, and the writer's next transaction
// then restarts the log unless a reader still holds an old snapshot, in
// which case the next pass asks again. The writer checkpoints at most once
// a pass, never inside a commit.
type checkpointer struct {
	life  startstop.Base
	db    *sql.DB // one connection, for checkpoints only
	log   *slog.Logger
	every time.Duration
	// restartDue is set when the log has grown to restartFrames; the
	// writer clears it and checkpoints.
	restartDue *atomic.Bool
	// nudge has a value when the writer has committed since the last pass.
	nudge chan struct{}
	// passed is signalled after each pass (for tests).
	passed testsignal.Signal[struct{}]
}

// newCheckpointer opens the checkpointer's connection to the database at
// the absolute path abs.
func newCheckpointer(ctx context.Context, abs string, every time.Duration, restartDue *atomic.Bool, log *slog.Logger) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn(abs, fmt.Sprintf("busy_timeout(%d)", busyTimeoutMillis)))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return &checkpointer{db: db, log: log, every: every, restartDue: restartDue, nudge: make(chan struct{}, 1)}, nil
}

// committed tells the checkpointer that the writer has committed; it never
// blocks.
func (c *checkpointer) committed() {
	select {
	case c.nudge <- struct{}{}:
	default:
	}
}

// Start runs the checkpointer's goroutine until Stop.
func (c *checkpointer) Start(ctx context.Context) error {
	if _, err := c.life.StartInit(ctx); err != nil {
		return err
	}
	c.life.Go(c.run)
	return nil
}

// Stop ends the checkpointer's goroutine, waits for it and closes its
// connection.
func (c *checkpointer) Stop() error {
	c.life.Stop()
	return c.db.Close()
}

func (c *checkpointer) run(ctx context.Context) {
	pace := time.NewTimer(0)
	defer pace.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.nudge:
		}
		c.pass(ctx)
		pace.Reset(c.every)
		select {
		case <-ctx.Done():
			return
		case <-pace.C:
		}
	}
}

// pass runs one PASSIVE checkpoint and, when the log is long, asks the
// writer for the checkpoint that lets it restart the log. A failed pass is
// logged and asks the writer too, whose checkpoint then copies the log.
func (c *checkpointer) pass(ctx context.Context) {
	var busy, frames, copied int
	err := c.db.QueryRowContext(ctx, qCheckpoint).Scan(&busy, &frames, &copied)
	if err != nil && ctx.Err() == nil {
		c.log.Warn("sqlite: background checkpoint failed; the writer checkpoints instead", slog.Any("error", err))
	}
	if err != nil || frames >= restartFrames {
		c.restartDue.Store(true)
	}
	c.passed.Signal(struct{}{})
}

// qCheckpoint copies what it can of the log into the database file without
// waiting for the writer or readers; its row is (1 if it could not run,
// frames in the log, frames copied so far).
const qCheckpoint = `PRAGMA wal_checkpoint(PASSIVE)`
