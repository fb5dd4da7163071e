package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"
)

// idleMemory is what a server holds for idle requests.
type idleMemory struct {
	rssBefore, rssAfter     int64
	statsBefore, statsAfter debugStats
	// hbAlone and hbHeld are heartbeat latencies, sorted, before the idle
	// polls were opened and while they are held (gaffer only).
	hbAlone, hbHeld []time.Duration
}

// memory is the memory phase: memory held by idle long polls, on fresh
// servers of its own, and whether heartbeats slow down while they are
// held.
func (b *bench) memory(ctx context.Context, _ *endpoint) error {
	o := b.cfg
	limit, err := raiseFileLimit(uint64(o.Polls) + 1024)
	if err != nil {
		return err
	}
	dial, sources, err := pollDialer(o.Polls)
	if err != nil {
		return err
	}
	b.progress("memory: open-file limit %d, %d idle polls from %d loopback source address(es)", limit, o.Polls, sources)
	gaffer, err := b.memoryGaffer(ctx, dial)
	if err != nil {
		return err
	}
	bare, err := b.memoryBare(ctx, dial)
	if err != nil {
		return fmt.Errorf("bare handler: %w", err)
	}
	n := float64(o.Polls)
	perPoll := float64(gaffer.rssAfter-gaffer.rssBefore) / n
	barePerPoll := float64(bare.rssAfter-bare.rssBefore) / n
	delta := func(after, before uint64) float64 { return (float64(after) - float64(before)) / n / 1024 }
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	hbAlone, hbHeld := percentile(gaffer.hbAlone, 0.99), percentile(gaffer.hbHeld, 0.99)
	hbRatio := float64(hbHeld) / float64(max(hbAlone, 1))
	r := b.report
	r.add(phaseMemory, "rss_before_mib", "gaffer server RSS before the polls", float64(gaffer.rssBefore)/(1<<20), "MiB")
	r.add(phaseMemory, "rss_after_mib", fmt.Sprintf("gaffer server RSS with %d idle polls", o.Polls), float64(gaffer.rssAfter)/(1<<20), "MiB")
	r.addTarget(phaseMemory, "kib_per_poll", "gaffer RSS growth per idle long poll", perPoll/1024, "KiB",
		fmt.Sprintf("<= bare + %d KiB", targetPollOverBare>>10), perPoll-barePerPoll <= targetPollOverBare)
	r.add(phaseMemory, "kib_over_bare", "gaffer per idle poll minus the bare handler's per request", (perPoll-barePerPoll)/1024, "KiB")
	r.add(phaseMemory, "stack_kib_per_poll", "of which goroutine stacks (Go StackInuse)", delta(gaffer.statsAfter.StackInuse, gaffer.statsBefore.StackInuse), "KiB")
	r.add(phaseMemory, "heap_kib_per_poll", "of which heap in use (Go HeapInuse, garbage included)", delta(gaffer.statsAfter.HeapInuse, gaffer.statsBefore.HeapInuse), "KiB")
	r.add(phaseMemory, "goroutines_per_poll", "gaffer goroutines per idle poll", float64(gaffer.statsAfter.Goroutines-gaffer.statsBefore.Goroutines)/n, "")
	r.add(phaseMemory, "bare_kib_per_request", "bare net/http handler: RSS growth per request held open", barePerPoll/1024, "KiB")
	r.add(phaseMemory, "bare_stack_kib_per_request", "of which goroutine stacks (Go StackInuse)", delta(bare.statsAfter.StackInuse, bare.statsBefore.StackInuse), "KiB")
	r.add(phaseMemory, "bare_heap_kib_per_request", "of which heap in use (Go HeapInuse, garbage included)", delta(bare.statsAfter.HeapInuse, bare.statsBefore.HeapInuse), "KiB")
	r.add(phaseMemory, "bare_goroutines_per_request", "bare net/http handler: goroutines per request held open", float64(bare.statsAfter.Goroutines-bare.statsBefore.Goroutines)/n, "")
	r.add(phaseMemory, "heartbeat_p99_ms_alone", fmt.Sprintf("gaffer SendTaskHeartbeat p99, %d clients, no poll held", memoryHeartbeatClients), ms(hbAlone), "ms")
	r.add(phaseMemory, "heartbeat_p99_ms_held", fmt.Sprintf("gaffer SendTaskHeartbeat p99, %d clients, %d idle polls held", memoryHeartbeatClients, o.Polls), ms(hbHeld), "ms")
	r.addTarget(phaseMemory, "heartbeat_p99_ratio", "heartbeat p99 with the polls held ÷ without", hbRatio, "×",
		fmt.Sprintf("<= %.2f", targetHeldP99Ratio), hbRatio <= targetHeldP99Ratio)
	return nil
}

// memoryGaffer holds idle GetActivityTask polls open against a fresh
// gaffer server whose polls wait up to a minute, and times heartbeats
// before and while they are held.
func (b *bench) memoryGaffer(ctx context.Context, dial func(addr string, i int) (net.Conn, error)) (m idleMemory, err error) {
	srv, err := b.startGaffer(ctx, "memory", memoryPollWait, "", true)
	if err != nil {
		return m, err
	}
	defer func() {
		if serr := srv.stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	// The setup requests close their connections, so that every
	// connection the server holds during the measurement is an idle poll.
	setup := &endpoint{url: srv.url, client: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}, signer: b.signer}
	var act struct{ ActivityArn string }
	if err := setup.caller().callJSON(ctx, "CreateActivity", map[string]any{"name": "bench-idle"}, &act); err != nil {
		return m, err
	}
	hbActivity, hbMachine, err := setupMachine(ctx, setup, "bench-memory-heartbeat")
	if err != nil {
		return m, err
	}
	cl := setup.caller()
	if err := cl.callJSON(ctx, "StartExecution", map[string]any{"stateMachineArn": hbMachine, "input": "{}"}, nil); err != nil {
		return m, err
	}
	var task struct{ TaskToken string }
	if err := cl.callJSON(ctx, "GetActivityTask", map[string]any{"activityArn": hbActivity, "workerName": "bench"}, &task); err != nil {
		return m, err
	}
	if task.TaskToken == "" {
		return m, fmt.Errorf("GetActivityTask returned no task within %v", memoryPollWait)
	}
	hbBody := mustJSON(map[string]any{"taskToken": task.TaskToken})
	heartbeats := func(ctx context.Context, label string) ([]time.Duration, error) {
		b.progress("memory: gaffer: SendTaskHeartbeat latency, %d clients, %v, %s", memoryHeartbeatClients, b.cfg.Duration, label)
		client := newClient(memoryHeartbeatClients + 2)
		defer client.CloseIdleConnections()
		return latencies(ctx, &endpoint{url: srv.url, client: client, proc: srv, signer: b.signer}, memoryHeartbeatClients, b.cfg.Duration, "SendTaskHeartbeat", hbBody)
	}
	hbAlone, err := heartbeats(ctx, "no poll held")
	if err != nil {
		return m, err
	}
	body := mustJSON(map[string]any{"activityArn": act.ActivityArn, "workerName": "bench"})
	m, err = b.holdIdle(ctx, srv, "gaffer", body, b.cfg.MemProfile, dial, func(ctx context.Context, m *idleMemory) (err error) {
		m.hbHeld, err = heartbeats(ctx, "the polls held")
		return err
	})
	m.hbAlone = hbAlone
	return m, err
}

// latencies sends op with body from n clients back to back for d, after a
// warm-up of a fifth of d (at most a second), and returns the measured
// answer times, sorted.
func latencies(ctx context.Context, ep *endpoint, n int, d time.Duration, op string, body []byte) ([]time.Duration, error) {
	callers := make([]*caller, n)
	for i := range callers {
		callers[i] = ep.caller()
	}
	per := make([][]time.Duration, n)
	round := func(d time.Duration) error {
		_, _, _, err := runLoops(ctx, ep, n, d, func(ctx context.Context, i int, deadline time.Time) error {
			per[i] = per[i][:0]
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if _, err := callers[i].call(ctx, op, body); err != nil {
					return err
				}
				per[i] = append(per[i], time.Since(t0))
			}
			return nil
		})
		return err
	}
	if err := round(min(d/5, time.Second)); err != nil {
		return nil, err
	}
	if err := round(d); err != nil {
		return nil, err
	}
	all := slices.Concat(per...)
	if len(all) == 0 {
		return nil, fmt.Errorf("%s: no request answered in %v", op, d)
	}
	slices.Sort(all)
	return all, nil
}

// memoryBare holds the same requests open against a fresh bare handler,
// which answers GetActivityTask only when the client goes away: the floor
// of an idle request in net/http.
func (b *bench) memoryBare(ctx context.Context, dial func(addr string, i int) (net.Conn, error)) (m idleMemory, err error) {
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
	return b.holdIdle(ctx, srv, "bare handler", body, "", dial, nil)
}

// pollRequest returns the bytes of one GetActivityTask request with body
// to srv, as the bench's client sends it (signed with Config.Credentials).
func (b *bench) pollRequest(ctx context.Context, srv *proc, body []byte) ([]byte, error) {
	ep := &endpoint{url: srv.url, signer: b.signer}
	cl := ep.caller()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.url+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = cl.header("GetActivityTask").Clone()
	if b.signer != nil {
		if err := b.signer.sign(ctx, req, body, sfnDialect.service); err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
	}
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// holdIdle opens -polls GetActivityTask requests, each on its own
// connection, waits until the server holds them all and its RSS has
// settled, and returns the server's memory before and after. With
// heapProfile set it saves the server's heap profile taken then; held,
// if not nil, runs next, while the polls are still held.
//
// The client side is raw TCP: each connection is dialled, the request
// written, and nothing else held (no goroutine, no buffer), so that the
// bench's own memory does not bound how many polls it can hold. A poll
// answered before the end is found by a read that does not wait.
func (b *bench) holdIdle(ctx context.Context, srv *proc, label string, body []byte, heapProfile string,
	dial func(addr string, i int) (net.Conn, error), held func(context.Context, *idleMemory) error) (m idleMemory, err error) {
	o := b.cfg
	request, err := b.pollRequest(ctx, srv, body)
	if err != nil {
		return m, err
	}
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
	conns := make([]net.Conn, 0, o.Polls)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for len(conns) < o.Polls {
		n := min(pollBatch, o.Polls-len(conns))
		for range n {
			c, err := dial(strings.TrimPrefix(srv.url, "http://"), len(conns))
			if err != nil {
				return m, fmt.Errorf("open idle request %d: %w", len(conns), err)
			}
			conns = append(conns, c)
			if _, err := c.Write(request); err != nil {
				return m, fmt.Errorf("write idle request %d: %w", len(conns)-1, err)
			}
		}
		// Accepted before the next batch, so that the listen backlog
		// never overflows (a dropped SYN costs the client a second).
		if err := waitOpenFiles(ctx, srv, baseFDs+len(conns)); err != nil {
			return m, err
		}
		if ctx.Err() != nil {
			return m, context.Cause(ctx)
		}
	}
	b.progress("memory: %s: %d connections held; waiting for the server's RSS to settle", label, o.Polls)
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
	if held != nil {
		if err := held(ctx, &m); err != nil {
			return m, err
		}
	}
	return m, unanswered(conns)
}

// waitOpenFiles waits, at most 30 s, until srv holds at least n open
// files.
func waitOpenFiles(ctx context.Context, srv *proc, n int) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		fds, err := srv.openFiles()
		if err != nil {
			return err
		}
		if fds >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server holds %d open files, want at least %d", fds, n)
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// unanswered checks that no connection has an answer (or an end) to
// read: every poll is still waiting.
func unanswered(conns []net.Conn) error {
	var early int
	var first error
	buf := make([]byte, 512)
	past := time.Now().Add(-time.Second)
	for i, c := range conns {
		if err := c.SetReadDeadline(past); err != nil {
			return err
		}
		n, err := c.Read(buf)
		var ne net.Error
		if n == 0 && errors.As(err, &ne) && ne.Timeout() {
			continue // nothing to read: still waiting
		}
		early++
		if first == nil {
			if n > 0 {
				first = fmt.Errorf("request %d answered: %q", i, buf[:n])
			} else {
				first = fmt.Errorf("request %d: %w", i, err)
			}
		}
	}
	if early > 0 {
		return fmt.Errorf("%d idle requests ended before the measurement did: %w", early, first)
	}
	return nil
}

// pollDialer returns a dial function for polls idle connections to one
// loopback server, and how many source addresses it uses: connection i
// comes from 127.0.0.(1 + i mod sources), with as many sources as the
// ephemeral ports require (about 28,000 a source on Linux by default).
func pollDialer(polls int) (dial func(addr string, i int) (net.Conn, error), sources int, err error) {
	perSource := ephemeralPorts() * 3 / 4 // some are in use or in TIME_WAIT
	sources = (polls + perSource - 1) / perSource
	if sources > 1 && !manyLoopbackSources {
		return nil, 0, fmt.Errorf("-polls %d needs %d loopback source addresses (%d ephemeral ports each), which only Linux has without configuration", polls, sources, perSource)
	}
	if sources > 250 {
		return nil, 0, fmt.Errorf("-polls %d needs more than 250 loopback source addresses", polls)
	}
	dialers := make([]*net.Dialer, sources)
	for i := range dialers {
		dialers[i] = &net.Dialer{Timeout: 10 * time.Second, KeepAlive: -1}
		if sources > 1 {
			dialers[i].LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+i))}
			dialers[i].Control = bindNoPort
		}
	}
	return func(addr string, i int) (net.Conn, error) { return dialers[i%sources].Dial("tcp", addr) }, sources, nil
}

// raiseFileLimit raises RLIMIT_NOFILE (the servers started afterwards
// inherit it) to need if the process may raise its hard limit, else the
// soft limit to the hard one, and checks that it allows need descriptors.
// It returns the limit now.
func raiseFileLimit(need uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("read RLIMIT_NOFILE: %w", err)
	}
	if lim.Max < need {
		// Allowed for root (CAP_SYS_RESOURCE) up to fs.nr_open.
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: need, Max: need}) == nil {
			return need, nil
		}
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, fmt.Errorf("raise RLIMIT_NOFILE: %w", err)
		}
	}
	if lim.Cur < need {
		return 0, fmt.Errorf("RLIMIT_NOFILE is %d, the bench needs %d open files for -polls; raise the hard limit (ulimit -Hn, or run as root) or lower -polls", lim.Cur, need)
	}
	return lim.Cur, nil
}
