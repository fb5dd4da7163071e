package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// idleMemory is what a server holds for idle requests.
type idleMemory struct {
	rssBefore, rssAfter     int64
	statsBefore, statsAfter debugStats
}

// memory is the memory phase: memory held by idle long polls, on fresh
// servers of its own.
func (b *bench) memory(ctx context.Context, _ *endpoint) error {
	o := b.cfg
	if err := raiseFileLimit(uint64(o.Polls) + 256); err != nil {
		return err
	}
	gaffer, err := b.memoryGaffer(ctx)
	if err != nil {
		return err
	}
	bare, err := b.memoryBare(ctx)
	if err != nil {
		return fmt.Errorf("bare handler: %w", err)
	}
	n := float64(o.Polls)
	perPoll := float64(gaffer.rssAfter-gaffer.rssBefore) / n
	delta := func(after, before uint64) float64 { return (float64(after) - float64(before)) / n / 1024 }
	r := b.report
	r.add(phaseMemory, "rss_before_mib", "gaffer server RSS before the polls", float64(gaffer.rssBefore)/(1<<20), "MiB")
	r.add(phaseMemory, "rss_after_mib", fmt.Sprintf("gaffer server RSS with %d idle polls", o.Polls), float64(gaffer.rssAfter)/(1<<20), "MiB")
	r.addTarget(phaseMemory, "kib_per_poll", "gaffer RSS growth per idle long poll", perPoll/1024, "KiB",
		fmt.Sprintf("< %d KiB", targetPollBytes>>10), perPoll < targetPollBytes)
	r.add(phaseMemory, "stack_kib_per_poll", "of which goroutine stacks (Go StackInuse)", delta(gaffer.statsAfter.StackInuse, gaffer.statsBefore.StackInuse), "KiB")
	r.add(phaseMemory, "heap_kib_per_poll", "of which heap in use (Go HeapInuse, garbage included)", delta(gaffer.statsAfter.HeapInuse, gaffer.statsBefore.HeapInuse), "KiB")
	r.add(phaseMemory, "goroutines_per_poll", "gaffer goroutines per idle poll", float64(gaffer.statsAfter.Goroutines-gaffer.statsBefore.Goroutines)/n, "")
	r.add(phaseMemory, "bare_kib_per_request", "bare net/http handler: RSS growth per request held open", float64(bare.rssAfter-bare.rssBefore)/n/1024, "KiB")
	r.add(phaseMemory, "bare_stack_kib_per_request", "of which goroutine stacks (Go StackInuse)", delta(bare.statsAfter.StackInuse, bare.statsBefore.StackInuse), "KiB")
	r.add(phaseMemory, "bare_heap_kib_per_request", "of which heap in use (Go HeapInuse, garbage included)", delta(bare.statsAfter.HeapInuse, bare.statsBefore.HeapInuse), "KiB")
	r.add(phaseMemory, "bare_goroutines_per_request", "bare net/http handler: goroutines per request held open", float64(bare.statsAfter.Goroutines-bare.statsBefore.Goroutines)/n, "")
	return nil
}

// memoryGaffer holds idle GetActivityTask polls open against a fresh
// gaffer server whose polls wait up to a minute.
func (b *bench) memoryGaffer(ctx context.Context) (m idleMemory, err error) {
	srv, err := b.startGaffer(ctx, "memory", memoryPollWait, "", true)
	if err != nil {
		return m, err
	}
	defer func() {
		if serr := srv.stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	// The setup request closes its connection, so that every connection
	// the server holds during the measurement is an idle poll.
	setup := &endpoint{url: srv.url, client: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}, signer: b.signer}
	var act struct{ ActivityArn string }
	if err := setup.caller().callJSON(ctx, "CreateActivity", map[string]any{"name": "bench-idle"}, &act); err != nil {
		return m, err
	}
	body := mustJSON(map[string]any{"activityArn": act.ActivityArn, "workerName": "bench"})
	return b.holdIdle(ctx, srv, "gaffer", body, b.cfg.MemProfile)
}

// memoryBare holds the same requests open against a fresh bare handler,
// which answers GetActivityTask only when the client goes away: the floor
// of an idle request in net/http.
func (b *bench) memoryBare(ctx context.Context) (m idleMemory, err error) {
	srv, err := b.startBare(ctx, true)
	if err != nil {
		return m, err
	}
	defer func() {
		if serr := srv.stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	body := mustJSON(map[string]any{"activityArn": "arn:aws:states:us-east-1:000000000000:activity:bench-idle", "workerName": "bench"})
	return b.holdIdle(ctx, srv, "bare handler", body, "")
}

// holdIdle opens -polls GetActivityTask requests, each on its own
// connection, waits until the server holds them all and its RSS has
// settled, and returns the server's memory before and after. With
// heapProfile set it saves the server's heap profile taken then.
func (b *bench) holdIdle(ctx context.Context, srv *proc, label string, body []byte, heapProfile string) (m idleMemory, err error) {
	o := b.cfg
	b.progress("memory: %s: waiting for the server's RSS to settle", label)
	if m.rssBefore, err = srv.settledRSS(ctx); err != nil {
		return m, err
	}
	baseFDs, err := srv.openFiles()
	if err != nil {
		return m, err
	}
	if m.statsBefore, err = srv.memStats(ctx); err != nil {
		return m, err
	}

	b.progress("memory: %s: opening %d idle GetActivityTask requests, %d at a time", label, o.Polls, pollBatch)
	client := newClient(o.Polls + 8)
	defer client.CloseIdleConnections()
	ep := &endpoint{url: srv.url, client: client, signer: b.signer}
	pollCtx, cancelPolls := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancelPolls()
		wg.Wait()
	}()
	var early atomic.Int64
	var earlyErr atomic.Pointer[error]
	endedEarly := func() error {
		if e := earlyErr.Load(); e != nil {
			return fmt.Errorf("%d idle requests ended before the measurement: %w", early.Load(), *e)
		}
		return nil
	}
	for sent := 0; sent < o.Polls; {
		n := min(pollBatch, o.Polls-sent)
		var batch sync.WaitGroup
		batch.Add(n)
		for range n {
			var once sync.Once
			written := func() { once.Do(batch.Done) }
			trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { written() }}
			rctx := httptrace.WithClientTrace(pollCtx, trace)
			cl := ep.caller()
			wg.Go(func() {
				_, err := cl.call(rctx, "GetActivityTask", body)
				written()
				if pollCtx.Err() == nil {
					if err == nil {
						err = errors.New("GetActivityTask answered an idle poll")
					}
					early.Add(1)
					earlyErr.CompareAndSwap(nil, &err)
				}
			})
		}
		if err := waitGroupCtx(ctx, &batch, 30*time.Second); err != nil {
			return m, fmt.Errorf("open requests %d–%d: %w", sent, sent+n, err)
		}
		if err := endedEarly(); err != nil {
			return m, err
		}
		sent += n
	}

	b.progress("memory: %s: waiting until the server holds %d connections", label, o.Polls)
	deadline := time.Now().Add(30 * time.Second)
	for {
		fds, err := srv.openFiles()
		if err != nil {
			return m, err
		}
		if fds >= baseFDs+o.Polls {
			break
		}
		if time.Now().After(deadline) {
			return m, fmt.Errorf("the server holds %d open files, want at least %d", fds, baseFDs+o.Polls)
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.progress("memory: %s: waiting for the server's RSS to settle", label)
	if m.rssAfter, err = srv.settledRSS(ctx); err != nil {
		return m, err
	}
	if m.statsAfter, err = srv.memStats(ctx); err != nil {
		return m, err
	}
	if heapProfile != "" {
		heap, err := srv.debugGet(ctx, "/heap")
		if err != nil {
			return m, err
		}
		if err := os.WriteFile(heapProfile, heap, 0o644); err != nil {
			return m, fmt.Errorf("write heap profile: %w", err)
		}
		b.progress("memory: %s: heap profile written to %s", label, heapProfile)
	}
	return m, endedEarly()
}

// waitGroupCtx waits for wg, at most timeout.
func waitGroupCtx(ctx context.Context, wg *sync.WaitGroup, timeout time.Duration) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
		return fmt.Errorf("requests not written after %v", timeout)
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// raiseFileLimit raises the soft RLIMIT_NOFILE to the hard limit (the
// servers started afterwards inherit it) and checks that it allows need
// descriptors.
func raiseFileLimit(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("read RLIMIT_NOFILE: %w", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return fmt.Errorf("raise RLIMIT_NOFILE: %w", err)
		}
	}
	if lim.Cur < need {
		return fmt.Errorf("RLIMIT_NOFILE is %d, the bench needs %d open files for -polls; raise the hard limit (ulimit -Hn) or lower -polls", lim.Cur, need)
	}
	return nil
}
