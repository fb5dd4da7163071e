package engine

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/startstop"
	"github.com/gaffer-dev/gaffer/internal/store/sqlite"
)

func TestStartOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if err := b.eng.Start(context.Background()); !errors.Is(err, startstop.ErrStarted) {
		t.Errorf("second Start: %v, want startstop.ErrStarted", err)
	}
	b.eng.Stop()
	if err := b.eng.Start(context.Background()); !errors.Is(err, startstop.ErrStop) {
		t.Errorf("Start after Stop: %v, want startstop.ErrStop", err)
	}
	b.eng.Stop() // again: a no-op (the cleanup stops it a third time)
}

func TestStopBeforeStart(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "gaffer.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng := New(Config{Store: st})
	eng.Stop()
	eng.Stop()
	if err := eng.Start(context.Background()); !errors.Is(err, startstop.ErrStop) {
		t.Errorf("Start after Stop: %v, want startstop.ErrStop", err)
	}
	// A poll on a stopped engine answers empty at once.
	if task, _, err := eng.Poll(context.Background(), "q", "w", time.Hour); task != nil || err != nil {
		t.Errorf("Poll on a stopped engine = %v, %v; want nothing", task, err)
	}
}

func TestFailedStartStops(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "gaffer.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	eng := New(Config{Store: st})
	if err := eng.Start(context.Background()); err == nil {
		t.Fatal("Start on a closed store succeeded")
	}
	eng.Stop()
	if err := eng.Start(context.Background()); !errors.Is(err, startstop.ErrStop) {
		t.Errorf("Start after a failed Start: %v, want startstop.ErrStop", err)
	}
}
