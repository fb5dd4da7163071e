package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// writeObjects inserts n objects of size bytes each, ten to a transaction.
func writeObjects(t *testing.T, s *Store, prefix string, n, size int) {
	t.Helper()
	body := bytes.Repeat([]byte{'x'}, size)
	for i := 0; i < n; i += 10 {
		err := s.Update(t.Context(), func(tx store.Tx) error {
			for j := i; j < min(i+10, n); j++ {
				if err := tx.InsertObject(&store.Object{Kind: "k", ID: fmt.Sprintf("%s-%d", prefix, j), Body: body}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestCheckpointerCopiesLog: what the writer commits reaches the database
// file from the checkpointer, long before the log is restartFrames long,
// and the writer itself does not checkpoint for it.
func TestCheckpointerCopiesLog(t *testing.T) {
	s := openTest(t, Options{})
	before := fileSize(t, s.path)
	// About 800 KiB: some 200 pages, a fifth of restartFrames.
	const n, size = 50, 16 << 10
	writeObjects(t, s, "a", n, size)
	if !s.ckpt.passed.Until(10*time.Second, func() bool { return fileSize(t, s.path) >= before+n*size }) {
		t.Fatalf("database file is %d bytes after %d bytes were committed to a %d-byte file: the log was not copied", fileSize(t, s.path), n*size, before)
	}
	if got := s.w.checkpoints.Load(); got != 0 {
		t.Errorf("the writer checkpointed %d times for a log shorter than %d frames", got, restartFrames)
	}
}

// TestWriterRestartsLog: once the log is restartFrames long, the writer
// checkpoints between transactions, so that the log starts again from its
// beginning instead of growing: after five times restartFrames pages, the
// log file is at most three times restartFrames long.
func TestWriterRestartsLog(t *testing.T) {
	s := openTest(t, Options{})
	const size = 16 << 10 // four pages and a bit
	for round := range 4 {
		writeObjects(t, s, fmt.Sprint(round), restartFrames/4, size)
		// Let a pass see the long log and hand the writer its checkpoint,
		// which runs after the next transaction.
		if !s.ckpt.passed.Until(10*time.Second, func() bool { return s.w.restartDue.Load() || s.w.checkpoints.Load() > int64(round) }) {
			t.Fatalf("round %d: no checkpointer pass asked the writer to checkpoint a log of over %d frames", round, restartFrames)
		}
		writeObjects(t, s, fmt.Sprint("b", round), 1, 1)
	}
	if got := s.w.checkpoints.Load(); got == 0 {
		t.Fatal("the writer never checkpointed")
	}
	const frame = 24 + 4096
	if got, limit := fileSize(t, s.path+"-wal"), int64(3*restartFrames*frame); got > limit {
		t.Errorf("log file is %d bytes after about %d frames were written: want at most %d (it does not restart)", got, 5*restartFrames, limit)
	}
	// Everything is there.
	err := s.View(context.Background(), func(tx store.Tx) error {
		_, err := tx.GetObject("k", "3-0")
		return err
	})
	if err != nil {
		t.Errorf("reading back: %v", err)
	}
}
