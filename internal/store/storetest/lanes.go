package storetest

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// queuedUpdates returns how many Updates wait for s's writer.
func queuedUpdates(t *testing.T, s store.Store) int {
	t.Helper()
	st, ok := s.(store.Stats)
	if !ok {
		t.Fatalf("%T does not implement store.Stats", s)
	}
	return st.WriterStats().Queued
}

// waitQueued yields until n Updates wait for s's writer.
func waitQueued(t *testing.T, s store.Store, n int) {
	t.Helper()
	for queuedUpdates(t, s) < n {
		runtime.Gosched()
	}
}

// testLaneRequestFirst: a request queued behind a backlog of background
// Updates runs before any of them (a fresh store's background lane has no
// credit, and the writer was held by a background job, which earns none).
func testLaneRequestFirst(t *testing.T, su suite) {
	s := su.open(t)
	bg := store.Background(t.Context())
	started, release := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- s.Update(bg, func(store.Tx) error {
			close(started)
			<-release
			return nil
		})
	}()
	<-started

	var mu sync.Mutex
	var order []string
	note := func(name string) func(tx store.Tx) error {
		return func(tx store.Tx) error {
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			return tx.PutMeta(name, []byte("v"))
		}
	}
	const backlog = 20
	errs := make(chan error, backlog+1)
	for i := range backlog {
		go func() { errs <- s.Update(bg, note(fmt.Sprint("bg", i))) }()
	}
	waitQueued(t, s, backlog)
	go func() { errs <- s.Update(t.Context(), note("request")) }()
	waitQueued(t, s, backlog+1)
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	for range backlog + 1 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(order) != backlog+1 || order[0] != "request" {
		t.Fatalf("order = %v, want the request first of %d", order, backlog+1)
	}
}

// testLaneBackgroundProgresses: background Updates, one after another,
// all commit while request Updates keep the request lane busy.
func testLaneBackgroundProgresses(t *testing.T, su suite) {
	s := su.open(t)
	stop := make(chan struct{})
	var requests atomic.Int64
	var wg sync.WaitGroup
	reqErrs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				err := s.Update(t.Context(), func(tx store.Tx) error {
					return tx.PutMeta(fmt.Sprintf("r%d-%d", g, i%16), []byte("v"))
				})
				if err != nil {
					reqErrs <- err
					return
				}
				requests.Add(1)
			}
		})
	}
	defer func() {
		close(stop)
		wg.Wait()
		close(reqErrs)
		for err := range reqErrs {
			t.Error(err)
		}
	}()
	for requests.Load() < 100 {
		runtime.Gosched()
	}
	// A starved lane would leave these queued until the deadline.
	ctx, cancel := context.WithTimeout(store.Background(t.Context()), 60*time.Second)
	defer cancel()
	before := requests.Load()
	const n = 30
	for i := range n {
		err := s.Update(ctx, func(tx store.Tx) error {
			return tx.PutMeta(fmt.Sprint("bg", i), []byte("v"))
		})
		if err != nil {
			t.Fatalf("background Update %d of %d: %v", i, n, err)
		}
	}
	if during := requests.Load() - before; during < n {
		t.Errorf("%d requests committed during %d background Updates: the request lane was not kept busy", during, n)
	}
}
