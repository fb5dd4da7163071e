package bench

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The soak phase: a mixed honest load (the Step Functions cycle, SWF
// workflows, Data Pipeline tasks, Step Functions heartbeats) for
// Config.Duration alone, then for Config.Duration again while a hostile
// client sends the payloads of the hardening issue, on a server of its
// own whose RSS and goroutines are sampled throughout.

// Kinds of honest loop; each gets Config.Workers/4 loops (at least one).
const (
	soakCycle     = iota // Step Functions: Start → Get → Heartbeat → Success
	soakSWF              // SWF: a one-activity workflow's 8 requests
	soakDP               // Data Pipeline: PollForTask → Progress → SetTaskStatus
	soakHeartbeat        // Step Functions: SendTaskHeartbeat on one task
	soakKinds
)

var soakKindNames = [soakKinds]string{"cycle", "swf", "dp", "heartbeat"}

// hostileLoad is what the hostile client sends during the second round.
// Every action is bounded in count (the caps) and in time (the round, and
// hostileTimeout per request), and targets only the bench's own server.
type hostileLoad struct {
	// passStates is the number of doubling Pass states of the Step
	// Functions machine (a); one execution is started every sfnEvery, at
	// most sfnMax.
	passStates int
	sfnEvery   time.Duration
	sfnMax     int
	// dpWidth and dpDepth shape the Data Pipeline definition (b): dpDepth
	// objects of dpWidth fields, each referring to every field of the
	// next object. It is defined, activated and polled dpRuns times,
	// spread over the round.
	dpWidth, dpDepth, dpRuns int
	// slowConns connections at once (c) each declare slowBytes and send a
	// byte every slowEvery, for at most slowFor before closing.
	slowConns int
	slowBytes int
	slowEvery time.Duration
	slowFor   time.Duration
	// swfPolls long polls at once (d) on random task list names.
	swfPolls int
	// utf8Every paces the requests with invalid UTF-8 bodies (e), at most
	// utf8Max.
	utf8Every time.Duration
	utf8Max   int
}

// only returns l with the kinds not named in the comma-separated list
// turned off.
func (l hostileLoad) only(list string) (hostileLoad, error) {
	named := map[string]bool{}
	for _, k := range strings.Split(list, ",") {
		k = strings.TrimSpace(k)
		if !slices.ContainsFunc(hostileKinds, func(h hostileKind) bool { return h.name == k }) {
			return l, fmt.Errorf("unknown hostile kind %q: give some of sfn, dp, slow, poll, utf8", k)
		}
		named[k] = true
	}
	if !named["sfn"] {
		l.sfnMax = 0
	}
	if !named["dp"] {
		l.dpRuns = 0
	}
	if !named["slow"] {
		l.slowConns = 0
	}
	if !named["poll"] {
		l.swfPolls = 0
	}
	if !named["utf8"] {
		l.utf8Max = 0
	}
	return l, nil
}

// defaultHostile is the hardening issue's hostile client.
var defaultHostile = hostileLoad{
	passStates: 30, sfnEvery: 100 * time.Millisecond, sfnMax: 100000,
	dpWidth: 40, dpDepth: 7, dpRuns: 3,
	slowConns: 32, slowBytes: 1_000_000, slowEvery: 100 * time.Millisecond, slowFor: 10 * time.Second,
	swfPolls:  64,
	utf8Every: 20 * time.Millisecond, utf8Max: 100000,
}

// Soak settings and targets.
const (
	// hostileTimeout bounds each request of the hostile client.
	hostileTimeout = 30 * time.Second
	// soakSampleEvery is the RSS and goroutine sampling interval (shorter
	// for rounds under 20 s).
	soakSampleEvery = 2 * time.Second
	// soakSettle bounds the wait for the server's goroutines to come back
	// after the hostile client has gone: a poll the client gave up is
	// answered within the server's poll wait.
	soakSettle = serverPollWait + 5*time.Second
	// soakErrorPause is how long an honest loop waits after an error in
	// the hostile round before it starts over.
	soakErrorPause = 10 * time.Millisecond

	targetSoakRPS = 0.80 // honest throughput with the hostile client ÷ alone
	targetSoakP99 = 1.20 // honest p99 latency with the hostile client ÷ alone
	// targetSoakRSS bounds what the server keeps late in the hostile round
	// ÷ early in it (keptEarly, keptLate).
	targetSoakRSS = 1.20
	// A goroutine count back within 10 % (and 10) of the one after the
	// alone round is bounded.
	targetSoakGoroutineSlack = 0.10
)

// soakSample is one sample of the server.
type soakSample struct {
	rss        int64
	goroutines int
	// goHeap is the Go heap in use; goHeld what the Go runtime holds from
	// the OS (Sys less what it released). RSS less goHeld is memory Go
	// does not manage: SQLite's (the C code's) allocations among them.
	goHeap, goHeld int64
	// anon, file and shmem are the RSS's parts (proc.rssParts), in the
	// samples retained takes.
	anon, file, shmem int64
}

// soakRound is what the honest loops did in one round.
type soakRound struct {
	elapsed time.Duration
	reqs    [soakKinds]int64
	errs    int64
	lats    []time.Duration // every honest request's answer time, sorted
}

func (r *soakRound) rate() float64 {
	var n int64
	for _, k := range r.reqs {
		n += k
	}
	return float64(n) / r.elapsed.Seconds()
}

// soakRecorder is one honest loop's record.
type soakRecorder struct {
	kind int
	reqs int64
	errs int64
	lats []time.Duration
}

// do times one honest request.
func (r *soakRecorder) do(f func() error) error {
	t0 := time.Now()
	err := f()
	r.lats = append(r.lats, time.Since(t0))
	r.reqs++
	return err
}

// soak is the soak phase.
func (b *bench) soak(ctx context.Context, _ *endpoint) (err error) {
	o := b.cfg
	hostile := defaultHostile
	if o.hostile != nil {
		hostile = *o.hostile
	}
	if o.Hostile != "" {
		if hostile, err = hostile.only(o.Hostile); err != nil {
			return err
		}
	}
	srv, err := b.startGaffer(ctx, "soak", serverPollWait, "", true)
	if err != nil {
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = srv.stop()
		}
	}()
	ep := &endpoint{url: srv.url, client: b.client, proc: srv, signer: b.signer}
	b.progress("%s: setting up %d loops of each of %s", phaseSoak, soakPerKind(o.Workers), strings.Join(soakKindNames[:], ", "))
	honest, err := newSoakHonest(ctx, ep, o.Workers)
	if err != nil {
		return err
	}
	hc := &hostileClient{load: hostile, ep: &endpoint{url: srv.url, client: newClient(hostile.swfPolls + 16), proc: srv, signer: b.signer}}
	defer hc.ep.client.CloseIdleConnections()
	if err := hc.setup(ctx); err != nil {
		return fmt.Errorf("hostile client setup: %w", err)
	}

	// Sample the server throughout.
	sampler := &soakSampler{p: srv}
	every := soakSampleEvery
	if o.Duration < 10*soakSampleEvery {
		every = max(o.Duration/10, 100*time.Millisecond)
	}
	sctx, stopSampling := context.WithCancel(ctx)
	var sampling sync.WaitGroup
	sampling.Go(func() { sampler.run(sctx, every) })
	defer func() { stopSampling(); sampling.Wait() }()

	b.progress("%s: warm-up, %v", phaseSoak, min(o.Duration/5, time.Second))
	if _, err := honest.round(ctx, min(o.Duration/5, time.Second), false); err != nil {
		return err
	}
	start, err := sampler.sample(ctx)
	if err != nil {
		return err
	}
	b.progress("%s: honest load alone, %v", phaseSoak, o.Duration)
	profiled := b.profileRound(ctx, srv, o.Duration, "alone")
	keptDuringAlone := keptDuring(ctx, srv, o.Duration)
	alone, err := honest.round(ctx, o.Duration, false)
	if err := errors.Join(err, profiled(err != nil)); err != nil {
		return err
	}
	inAlone, err := keptDuringAlone()
	if err != nil {
		return err
	}
	afterAlone, err := sampler.sample(ctx)
	if err != nil {
		return err
	}
	keptAlone, err := retained(ctx, srv)
	if err != nil {
		return err
	}
	b.progress("%s: honest load with the hostile client, %v", phaseSoak, o.Duration)
	hctx, stopHostile := context.WithCancel(ctx)
	var hostileDone sync.WaitGroup
	hostileDone.Go(func() { hc.run(hctx, o.Duration) })
	profiled = b.profileRound(ctx, srv, o.Duration, "hostile")
	keptDuringHostile := keptDuring(ctx, srv, o.Duration)
	withHostile, err := honest.round(ctx, o.Duration, true)
	stopHostile()
	hostileDone.Wait()
	hc.ep.client.CloseIdleConnections()
	if err := errors.Join(err, profiled(err != nil)); err != nil {
		return err
	}
	inHostile, err := keptDuringHostile()
	if err != nil {
		return err
	}
	b.progress("%s: waiting up to %v for the server to settle", phaseSoak, soakSettle)
	goroutineBound := afterAlone.goroutines + max(10, int(targetSoakGoroutineSlack*float64(afterAlone.goroutines)))
	end, err := sampler.settle(ctx, goroutineBound, soakSettle)
	if err != nil {
		return err
	}
	keptEnd, err := retained(ctx, srv)
	if err != nil {
		return err
	}
	if b.cfg.MemProfile != "" {
		heap, err := srv.debugGet(ctx, "/heap")
		if err != nil {
			return err
		}
		file := b.cfg.MemProfile + ".soak"
		if err := os.WriteFile(file, heap, 0o644); err != nil {
			return fmt.Errorf("write heap profile: %w", err)
		}
		b.progress("%s: heap profile at the end written to %s", phaseSoak, file)
	}
	stopSampling()
	sampling.Wait()
	peak := sampler.max()
	stopped = true
	stopErr := srv.stop()

	r := b.report
	mib := func(v int64) float64 { return float64(v) / (1 << 20) }
	r.add(phaseSoak, "rss_start_mib", "server RSS after setup and warm-up", mib(start.rss), "MiB")
	r.add(phaseSoak, "rss_alone_mib", "server RSS after the honest load alone", mib(afterAlone.rss), "MiB")
	r.add(phaseSoak, "rss_max_mib", fmt.Sprintf("server RSS, largest sample (every %v)", every), mib(peak.rss), "MiB")
	r.add(phaseSoak, "rss_end_mib", "server RSS after the hostile round, settled (the garbage collector's headroom included)", mib(end.rss), "MiB")
	r.add(phaseSoak, "rss_end_ratio", "server RSS, after the hostile round ÷ after the honest load alone", 100*float64(end.rss)/float64(afterAlone.rss), "%")
	r.add(phaseSoak, "kept_alone_mib", "server RSS after the honest load alone, after a collection that returns free memory to the OS: what the server keeps", mib(keptAlone.rss), "MiB")
	r.add(phaseSoak, "kept_end_mib", "server RSS after the hostile round, after the same collection", mib(keptEnd.rss), "MiB")
	r.add(phaseSoak, "kept_end_ratio", "what the server keeps, after the hostile round ÷ after the honest load alone", 100*float64(keptEnd.rss)/float64(keptAlone.rss), "%")
	pct := func(f float64) string { return strconv.FormatFloat(100*f, 'f', -1, 64) }
	r.add(phaseSoak, "kept_alone_early_mib", "what the server keeps (RSS after the same collection), "+pct(keptEarly)+" % into the honest round alone", mib(inAlone[0].rss), "MiB")
	r.add(phaseSoak, "kept_alone_late_mib", "the same, "+pct(keptLate)+" % into it", mib(inAlone[1].rss), "MiB")
	r.add(phaseSoak, "kept_alone_growth", "what the server keeps under the honest load alone, late ÷ early", 100*float64(inAlone[1].rss)/float64(inAlone[0].rss), "%")
	r.add(phaseSoak, "kept_hostile_early_mib", "what the server keeps, "+pct(keptEarly)+" % into the round with the hostile client", mib(inHostile[0].rss), "MiB")
	r.add(phaseSoak, "kept_hostile_late_mib", "the same, "+pct(keptLate)+" % into it", mib(inHostile[1].rss), "MiB")
	growth := float64(inHostile[1].rss) / float64(inHostile[0].rss)
	r.addTarget(phaseSoak, "kept_hostile_growth", "what the server keeps beside the hostile client, late ÷ early (flat: it does not grow under a steady load)", 100*growth, "%",
		fmt.Sprintf("<= %.0f %%", 100*targetSoakRSS), growth <= targetSoakRSS)
	r.add(phaseSoak, "live_heap_alone_mib", "server Go heap live after the honest load alone (in use after the collection)", mib(keptAlone.goHeap), "MiB")
	r.add(phaseSoak, "live_heap_end_mib", "server Go heap live at the end", mib(keptEnd.goHeap), "MiB")
	r.add(phaseSoak, "kept_outside_go_alone_mib", "of what the server keeps after the honest load alone, memory the Go runtime does not hold (RSS - (Sys - HeapReleased): SQLite's among it)", mib(keptAlone.rss-keptAlone.goHeld), "MiB")
	r.add(phaseSoak, "kept_outside_go_end_mib", "the same at the end", mib(keptEnd.rss-keptEnd.goHeld), "MiB")
	for _, part := range []struct {
		name, desc string
		alone, end int64
	}{
		{"anon", "anonymous memory (RssAnon: the Go heap and stacks, SQLite's memory)", keptAlone.anon, keptEnd.anon},
		{"file", "file pages (RssFile: the binary's code and data touched so far)", keptAlone.file, keptEnd.file},
		{"shmem", "shared memory (RssShmem: SQLite's WAL index)", keptAlone.shmem, keptEnd.shmem},
	} {
		r.add(phaseSoak, "kept_"+part.name+"_alone_mib", "of what the server keeps after the honest load alone, "+part.desc, mib(part.alone), "MiB")
		r.add(phaseSoak, "kept_"+part.name+"_end_mib", "the same at the end", mib(part.end), "MiB")
	}
	r.add(phaseSoak, "go_heap_alone_mib", "server Go heap in use after the honest load alone", mib(afterAlone.goHeap), "MiB")
	r.add(phaseSoak, "go_heap_end_mib", "server Go heap in use at the end", mib(end.goHeap), "MiB")
	r.add(phaseSoak, "go_held_alone_mib", "memory the server's Go runtime holds (Sys - HeapReleased) after the honest load alone", mib(afterAlone.goHeld), "MiB")
	r.add(phaseSoak, "go_held_end_mib", "memory the server's Go runtime holds at the end", mib(end.goHeld), "MiB")
	r.add(phaseSoak, "goroutines_start", "server goroutines after setup and warm-up", float64(start.goroutines), "")
	r.add(phaseSoak, "goroutines_alone", "server goroutines after the honest load alone", float64(afterAlone.goroutines), "")
	r.add(phaseSoak, "goroutines_max", "server goroutines, largest sample", float64(peak.goroutines), "")
	r.addTarget(phaseSoak, "goroutines_end", "server goroutines after the hostile client left", float64(end.goroutines), "",
		fmt.Sprintf("<= %d", goroutineBound), end.goroutines <= goroutineBound)

	ratio := withHostile.rate() / alone.rate()
	p99Alone, p99Hostile := percentile(alone.lats, 0.99), percentile(withHostile.lats, 0.99)
	p99Ratio := float64(p99Hostile) / float64(max(p99Alone, 1))
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	r.add(phaseSoak, "honest_rps_alone", fmt.Sprintf("honest requests/s alone, %d loops", soakKinds*soakPerKind(o.Workers)), alone.rate(), "req/s")
	r.add(phaseSoak, "honest_rps_hostile", "honest requests/s with the hostile client", withHostile.rate(), "req/s")
	// The heartbeat loops' requests are the most and the cheapest: the
	// total alone would hide a writer-bound kind slowed down, so the target
	// is met only by each kind.
	r.add(phaseSoak, "rps_ratio", "honest throughput, all kinds, hostile ÷ alone", 100*ratio, "%")
	r.add(phaseSoak, "honest_p99_ms_alone", "honest answer time p99 alone", ms(p99Alone), "ms")
	r.add(phaseSoak, "honest_p99_ms_hostile", "honest answer time p99 with the hostile client", ms(p99Hostile), "ms")
	r.addTarget(phaseSoak, "p99_ratio", "honest p99, hostile ÷ alone", 100*p99Ratio, "%",
		fmt.Sprintf("<= %.0f %%", 100*targetSoakP99), p99Ratio <= targetSoakP99)
	for k, name := range soakKindNames {
		a := float64(alone.reqs[k]) / alone.elapsed.Seconds()
		h := float64(withHostile.reqs[k]) / withHostile.elapsed.Seconds()
		r.add(phaseSoak, name+"_rps_alone", "honest "+name+" requests/s alone", a, "req/s")
		r.add(phaseSoak, name+"_rps_hostile", "honest "+name+" requests/s with the hostile client", h, "req/s")
		kr := h / max(a, 1e-9)
		r.addTarget(phaseSoak, name+"_rps_ratio", "honest "+name+" throughput, hostile ÷ alone", 100*kr, "%",
			fmt.Sprintf(">= %.0f %%", 100*targetSoakRPS), kr >= targetSoakRPS)
	}
	r.addTarget(phaseSoak, "honest_errors", "honest requests that failed with the hostile client", float64(withHostile.errs), "", "0", withHostile.errs == 0)
	for _, k := range hostileKinds {
		st := &hc.stats[k.kind]
		r.add(phaseSoak, "hostile_"+k.name+"_sent", "hostile "+k.desc+": sent", float64(st.sent.Load()), "")
		r.add(phaseSoak, "hostile_"+k.name+"_errors", "hostile "+k.desc+": errors (or cut off)", float64(st.errs.Load()), "")
	}
	clean := 0.0
	if stopErr == nil {
		clean = 1
	} else {
		b.progress("%s: %v", phaseSoak, stopErr)
	}
	r.addTarget(phaseSoak, "clean_stop", "server stopped cleanly on SIGTERM (1) or not (0)", clean, "", "1", stopErr == nil)
	return nil
}

// profileRound, with -cpuprofile, takes a CPU profile of srv for the d of
// the round that starts now and writes it to the file's name with
// .soak-round appended; the returned wait waits for it, or, with abort
// set (the round failed), gives it up at once and writes nothing. Without
// -cpuprofile it does nothing.
func (b *bench) profileRound(ctx context.Context, srv *proc, d time.Duration, round string) (wait func(abort bool) error) {
	if b.cfg.CPUProfile == "" {
		return func(bool) error { return nil }
	}
	file := b.cfg.CPUProfile + ".soak-" + round
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		secs := max(1, int((d+time.Second/2)/time.Second))
		prof, err := srv.debugGet(ctx, "/profile?seconds="+strconv.Itoa(secs))
		if err == nil {
			err = os.WriteFile(file, prof, 0o644)
		}
		if err == nil {
			b.progress("%s: CPU profile of the %s round written to %s", phaseSoak, round, file)
		}
		done <- err
	}()
	return func(abort bool) error {
		if abort {
			cancel()
		}
		err := <-done
		cancel()
		if abort {
			return nil // the round's error is the one to report
		}
		return err
	}
}

// Within a round, what the server keeps is sampled twice under load, a
// quarter of the way in and near the end: memory that keeps growing under
// a steady load shows between the two, whatever the load's first minutes
// raised once (SQLite's caches filling, the C allocator's pool of freed
// regions reaching its bound).
const (
	keptEarly = 0.25
	keptLate  = 0.90
)

// keptDuring samples what srv keeps (retained, without waiting for the RSS
// to settle: the load is running) at keptEarly and keptLate of a round of
// d that starts now; wait returns the two samples once taken.
func keptDuring(ctx context.Context, srv *proc, d time.Duration) (wait func() ([2]soakSample, error)) {
	began := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	type result struct {
		samples [2]soakSample
		err     error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		for i, at := range []float64{keptEarly, keptLate} {
			t := time.NewTimer(time.Until(began.Add(time.Duration(at * float64(d)))))
			select {
			case <-ctx.Done():
				t.Stop()
				r.err = context.Cause(ctx)
				done <- r
				return
			case <-t.C:
			}
			if r.samples[i], r.err = retainedNow(ctx, srv); r.err != nil {
				break
			}
		}
		done <- r
	}()
	return func() ([2]soakSample, error) {
		r := <-done
		cancel()
		return r.samples, r.err
	}
}

// retained runs a garbage collection in srv that returns its free memory
// to the OS, then samples it: RSS (settled) is then what the server keeps,
// without the headroom the collector lets the heap grow into (twice the
// live heap at GOGC=100) before the next collection; the Go heap in use is
// the live heap.
func retained(ctx context.Context, srv *proc) (soakSample, error) {
	return keptSample(ctx, srv, true)
}

// retainedNow is retained without waiting for the RSS to settle.
func retainedNow(ctx context.Context, srv *proc) (soakSample, error) {
	return keptSample(ctx, srv, false)
}

// keptSample is retained, waiting for the RSS to settle if settle.
func keptSample(ctx context.Context, srv *proc, settle bool) (soakSample, error) {
	if _, err := srv.debugGet(ctx, "/freeosmemory"); err != nil {
		return soakSample{}, err
	}
	st, err := srv.memStats(ctx)
	if err != nil {
		return soakSample{}, err
	}
	var rss int64
	if settle {
		rss, err = srv.settledRSS(ctx)
	} else {
		rss, err = srv.rss()
	}
	if err != nil {
		return soakSample{}, err
	}
	return sampleKept(srv, st, rss)
}

// sampleKept completes a sample of what srv keeps from its memory
// statistics and RSS.
func sampleKept(srv *proc, st debugStats, rss int64) (soakSample, error) {
	anon, file, shmem, err := srv.rssParts()
	if err != nil {
		return soakSample{}, err
	}
	return soakSample{rss: rss, goroutines: st.Goroutines, goHeap: int64(st.HeapInuse), goHeld: int64(st.Sys) - int64(st.HeapReleased),
		anon: anon, file: file, shmem: shmem}, nil
}

// soakPerKind is the number of honest loops of each kind.
func soakPerKind(workers int) int { return max(1, workers/soakKinds) }

// soakHonest is the honest load: loops of each kind, re-created after an
// error in the hostile round.
type soakHonest struct {
	ep      *endpoint
	perKind int
	// Step Functions: the cycle's machine and activity, and the heartbeat
	// loops' task token.
	startBody, pollBody, heartbeatBody []byte
	swf                                []*swfLoop
	dp                                 []*dpLoop
	fresh                              atomic.Int64 // names loops re-created after an error
}

const soakDomain = "bench-soak"

func newSoakHonest(ctx context.Context, ep *endpoint, workers int) (*soakHonest, error) {
	h := &soakHonest{ep: ep, perKind: soakPerKind(workers)}
	h.fresh.Store(int64(h.perKind))
	activity, machine, err := setupMachine(ctx, ep, "bench-soak")
	if err != nil {
		return nil, err
	}
	h.startBody = mustJSON(map[string]any{"stateMachineArn": machine, "input": `{"bench":true}`})
	h.pollBody = mustJSON(map[string]any{"activityArn": activity, "workerName": "bench"})
	// The heartbeat loops' task is of a machine of its own, so that the
	// cycle's polls never take it.
	hbActivity, hbMachine, err := setupMachine(ctx, ep, "bench-soak-heartbeat")
	if err != nil {
		return nil, err
	}
	cl := ep.caller()
	if err := cl.callJSON(ctx, "StartExecution", map[string]any{"stateMachineArn": hbMachine, "input": "{}"}, nil); err != nil {
		return nil, err
	}
	var task struct{ TaskToken string }
	if err := cl.callJSON(ctx, "GetActivityTask", map[string]any{"activityArn": hbActivity, "workerName": "bench"}, &task); err != nil {
		return nil, err
	}
	if task.TaskToken == "" {
		return nil, fmt.Errorf("GetActivityTask returned no task within %v", serverPollWait)
	}
	h.heartbeatBody = mustJSON(map[string]any{"taskToken": task.TaskToken})
	if h.swf, err = setupSWFLoops(ctx, ep, soakDomain, h.perKind); err != nil {
		return nil, err
	}
	for i := range h.perKind {
		l, err := newDPLoop(ctx, ep, 1000+i)
		if err != nil {
			return nil, err
		}
		h.dp = append(h.dp, l)
	}
	return h, nil
}

// round runs every honest loop for d. Alone (tolerate false), any error
// ends the phase, as in the other phases; with the hostile client it is
// counted and the loop starts over with fresh state.
func (h *soakHonest) round(ctx context.Context, d time.Duration, tolerate bool) (*soakRound, error) {
	recs := make([]*soakRecorder, soakKinds*h.perKind)
	for i := range recs {
		recs[i] = &soakRecorder{kind: i / h.perKind}
	}
	elapsed, _, _, err := runLoops(ctx, h.ep, len(recs), d, func(ctx context.Context, i int, deadline time.Time) error {
		rec, j := recs[i], i%h.perKind
		for time.Now().Before(deadline) {
			err := h.once(ctx, rec, j)
			if err == nil {
				continue
			}
			if !tolerate || ctx.Err() != nil {
				return fmt.Errorf("honest %s loop: %w", soakKindNames[rec.kind], err)
			}
			rec.errs++
			if h.reset(ctx, rec.kind, j) != nil {
				rec.errs++ // the loop goes on with its old state
			}
			select {
			case <-ctx.Done():
				return context.Cause(ctx)
			case <-time.After(soakErrorPause):
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &soakRound{elapsed: elapsed}
	for _, rec := range recs {
		out.reqs[rec.kind] += rec.reqs
		out.errs += rec.errs
		out.lats = append(out.lats, rec.lats...)
	}
	if len(out.lats) == 0 {
		return nil, errors.New("no honest request was answered")
	}
	slices.Sort(out.lats)
	return out, nil
}

// once runs one iteration of loop j of rec's kind.
func (h *soakHonest) once(ctx context.Context, rec *soakRecorder, j int) error {
	switch rec.kind {
	case soakCycle:
		cl := h.ep.caller()
		var task struct{ TaskToken string }
		steps := []func() error{
			func() error { _, err := cl.call(ctx, "StartExecution", h.startBody); return err },
			func() error {
				if err := cl.callJSON(ctx, "GetActivityTask", h.pollBody, &task); err != nil {
					return err
				}
				if task.TaskToken == "" {
					return fmt.Errorf("GetActivityTask returned no task within %v although executions were started", serverPollWait)
				}
				return nil
			},
			func() error {
				_, err := cl.call(ctx, "SendTaskHeartbeat", mustJSON(map[string]any{"taskToken": task.TaskToken}))
				return err
			},
			func() error {
				_, err := cl.call(ctx, "SendTaskSuccess", mustJSON(map[string]any{"taskToken": task.TaskToken, "output": `{"done":true}`}))
				return err
			},
		}
		for _, step := range steps {
			if err := rec.do(step); err != nil {
				return err
			}
		}
	case soakSWF:
		var ex swfExecution
		for _, step := range h.swf[j].activityWorkflow(ctx, &ex) {
			if err := rec.do(step); err != nil {
				return err
			}
		}
	case soakDP:
		l := h.dp[j]
		if l.left == 0 {
			if err := rec.do(func() error { return l.activateRun(ctx) }); err != nil {
				return err
			}
		}
		var taskID string
		steps := []func() error{
			func() (err error) { taskID, err = l.pollTask(ctx); return err },
			func() error { return dpProgress(ctx, l.cl, mustJSON(map[string]any{"taskId": taskID})) },
			func() error { return dpFinish(ctx, l.cl, taskID) },
		}
		for _, step := range steps {
			if err := rec.do(step); err != nil {
				return err
			}
		}
	case soakHeartbeat:
		cl := h.ep.caller()
		return rec.do(func() error { _, err := cl.call(ctx, "SendTaskHeartbeat", h.heartbeatBody); return err })
	}
	return nil
}

// reset gives loop j of kind fresh state after an error: an SWF loop new
// task lists, a Data Pipeline loop a new pipeline (a task left half done
// must not be taken for the next one's). The Step Functions loops share
// their activity and keep going.
func (h *soakHonest) reset(ctx context.Context, kind, j int) error {
	n := int(h.fresh.Add(1))
	switch kind {
	case soakSWF:
		h.swf[j] = newSWFLoop(h.ep, soakDomain, n)
	case soakDP:
		l, err := newDPLoop(ctx, h.ep, 1000+n)
		if err != nil {
			return err
		}
		h.dp[j] = l
	}
	return nil
}

// soakSampler samples a server's RSS and goroutines.
type soakSampler struct {
	p       *proc
	mu      sync.Mutex
	samples []soakSample
}

func (s *soakSampler) sample(ctx context.Context) (soakSample, error) {
	rss, err := s.p.rss()
	if err != nil {
		return soakSample{}, err
	}
	st, err := s.p.memStats(ctx)
	if err != nil {
		return soakSample{}, err
	}
	v := soakSample{rss: rss, goroutines: st.Goroutines,
		goHeap: int64(st.HeapInuse), goHeld: int64(st.Sys) - int64(st.HeapReleased)}
	s.mu.Lock()
	s.samples = append(s.samples, v)
	s.mu.Unlock()
	return v, nil
}

// run samples every interval until ctx ends. A failed sample (a server
// that no longer answers) is skipped; the phase notices the server.
func (s *soakSampler) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_, _ = s.sample(ctx)
		}
	}
}

// settle samples until the goroutines are at most bound, for at most
// limit, and returns the last sample with a settled RSS.
func (s *soakSampler) settle(ctx context.Context, bound int, limit time.Duration) (soakSample, error) {
	deadline := time.Now().Add(limit)
	for {
		v, err := s.sample(ctx)
		if err != nil {
			return v, err
		}
		if v.goroutines <= bound || time.Now().After(deadline) {
			if v.rss, err = s.p.settledRSS(ctx); err != nil {
				return v, err
			}
			return v, nil
		}
		select {
		case <-ctx.Done():
			return v, context.Cause(ctx)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// max returns the largest RSS and goroutine count sampled.
func (s *soakSampler) max() soakSample {
	s.mu.Lock()
	defer s.mu.Unlock()
	var m soakSample
	for _, v := range s.samples {
		m.rss = max(m.rss, v.rss)
		m.goroutines = max(m.goroutines, v.goroutines)
	}
	return m
}

// Kinds of hostile action.
const (
	hostileSFN = iota
	hostileDP
	hostileSlow
	hostilePoll
	hostileUTF8
	hostileCount
)

// hostileKind names a kind of hostile action.
type hostileKind struct {
	kind       int
	name, desc string
}

var hostileKinds = []hostileKind{
	{hostileSFN, "sfn", "(a) doubling Pass executions"},
	{hostileDP, "dp", "(b) wide, deep pipeline requests"},
	{hostileSlow, "slow", "(c) ~1 MB slow bodies"},
	{hostilePoll, "poll", "(d) SWF polls, random task lists"},
	{hostileUTF8, "utf8", "(e) invalid UTF-8 bodies"},
}

type hostileStats struct{ sent, errs atomic.Int64 }

// hostileClient sends the hardening issue's payloads to the bench's
// server. Its answers are counted, never fatal.
type hostileClient struct {
	load    hostileLoad
	ep      *endpoint
	machine string // the doubling Pass machine
	stats   [hostileCount]hostileStats
}

const hostileDomain = "bench-soak-hostile"

func (hc *hostileClient) setup(ctx context.Context) error {
	var sm struct{ StateMachineArn string }
	if err := hc.ep.caller().callJSON(ctx, "CreateStateMachine", map[string]any{
		"name": "bench-soak-doubling", "roleArn": benchRole, "definition": doublingDefinition(hc.load.passStates),
	}, &sm); err != nil {
		return err
	}
	hc.machine = sm.StateMachineArn
	return setupSWF(ctx, hc.ep, hostileDomain)
}

// doublingDefinition is n Pass states, each of which doubles its input.
func doublingDefinition(n int) string {
	states := map[string]any{}
	for i := range n {
		st := map[string]any{"Type": "Pass", "Parameters": map[string]any{"a.$": "$", "b.$": "$"}}
		if i == n-1 {
			st["End"] = true
		} else {
			st["Next"] = "S" + strconv.Itoa(i+1)
		}
		states["S"+strconv.Itoa(i)] = st
	}
	return string(mustJSON(map[string]any{"StartAt": "S0", "States": states}))
}

// call sends one hostile request, bounded by hostileTimeout, and counts
// it: an answer other than 200, or no answer within hostileTimeout, is an
// error; a request the end of the round cut short is not.
func (hc *hostileClient) call(ctx context.Context, kind int, cl *caller, op string, body []byte) ([]byte, error) {
	rctx, cancel := context.WithTimeout(ctx, hostileTimeout)
	defer cancel()
	hc.stats[kind].sent.Add(1)
	out, err := cl.call(rctx, op, body)
	if err != nil && ctx.Err() == nil {
		hc.stats[kind].errs.Add(1)
	}
	return out, err
}

// run sends the hostile load until ctx ends (at most d).
func (hc *hostileClient) run(ctx context.Context, d time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { hc.doubling(ctx) })
	wg.Go(func() { hc.widePipelines(ctx, d) })
	for range hc.load.slowConns {
		wg.Go(func() { hc.slowBodies(ctx) })
	}
	for range hc.load.swfPolls {
		wg.Go(func() { hc.randomPolls(ctx) })
	}
	wg.Go(func() { hc.invalidUTF8(ctx) })
	wg.Wait()
}

// pace waits every, or until ctx ends (false).
func pace(ctx context.Context, every time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(every):
		return true
	}
}

// doubling is (a): executions of the doubling machine with {"x":1}.
func (hc *hostileClient) doubling(ctx context.Context) {
	cl := hc.ep.caller()
	body := mustJSON(map[string]any{"stateMachineArn": hc.machine, "input": `{"x":1}`})
	for range hc.load.sfnMax {
		_, _ = hc.call(ctx, hostileSFN, cl, "StartExecution", body)
		if !pace(ctx, hc.load.sfnEvery) {
			return
		}
	}
}

// widePipelines is (b): dpRuns times, spread over d, a pipeline whose
// fields refer to fields dpWidth wide and dpDepth deep is defined,
// activated and polled.
func (hc *hostileClient) widePipelines(ctx context.Context, d time.Duration) {
	cl := hc.ep.dpCaller()
	for run := range hc.load.dpRuns {
		name := "bench-soak-hostile-" + strconv.Itoa(run) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		out, err := hc.call(ctx, hostileDP, cl, "CreatePipeline", mustJSON(map[string]any{"name": name, "uniqueId": name}))
		var created struct {
			PipelineID string `json:"pipelineId"`
		}
		if err == nil && json.Unmarshal(out, &created) == nil && created.PipelineID != "" {
			id := created.PipelineID
			if _, err := hc.call(ctx, hostileDP, cl, "PutPipelineDefinition", mustJSON(map[string]any{
				"pipelineId": id, "pipelineObjects": wideDeepObjects(name, hc.load.dpWidth, hc.load.dpDepth),
			})); err == nil {
				if _, err := hc.call(ctx, hostileDP, cl, "ActivatePipeline", mustJSON(map[string]any{"pipelineId": id})); err == nil {
					_, _ = hc.call(ctx, hostileDP, cl, "PollForTask", mustJSON(map[string]any{"workerGroup": name, "hostname": "bench-hostile"}))
				}
			}
		}
		if !pace(ctx, d/time.Duration(max(hc.load.dpRuns, 1))) {
			return
		}
	}
}

// wideDeepObjects is a definition of depth objects, the first a
// ShellCommandActivity in worker group wg, each with width fields that
// refer to every field of the next object (the last one's are text).
func wideDeepObjects(wg string, width, depth int) []dpObject {
	objs := []dpObject{{ID: "Default", Name: "Default", Fields: []dpField{
		{Key: "scheduleType", StringValue: "ondemand"},
		{Key: "workerGroup", StringValue: wg},
	}}}
	var refs strings.Builder
	for k := range width {
		fmt.Fprintf(&refs, "#{next.f%d}", k)
	}
	for l := range depth {
		o := dpObject{ID: "L" + strconv.Itoa(l), Name: "L" + strconv.Itoa(l)}
		if l == 0 {
			o.Fields = append(o.Fields,
				dpField{Key: "type", StringValue: "ShellCommandActivity"},
				dpField{Key: "command", StringValue: "true"},
				dpField{Key: "parent", RefValue: "Default"})
		}
		v := "x"
		if l+1 < depth {
			o.Fields = append(o.Fields, dpField{Key: "next", RefValue: "L" + strconv.Itoa(l+1)})
			v = refs.String()
		}
		for w := range width {
			o.Fields = append(o.Fields, dpField{Key: "f" + strconv.Itoa(w), StringValue: v})
		}
		objs = append(objs, o)
	}
	return objs
}

// slowBodies is (c): a connection declares slowBytes of body and sends a
// byte every slowEvery for at most slowFor, then closes; again until ctx
// ends. A connection the server cuts off counts as an error.
func (hc *hostileClient) slowBodies(ctx context.Context) {
	u, err := url.Parse(hc.ep.url)
	if err != nil {
		return
	}
	head := "POST / HTTP/1.1\r\nHost: " + u.Host + "\r\n" +
		"X-Amz-Target: " + targetPrefix + "StartExecution\r\nContent-Type: " + amzJSON + "\r\n" +
		"Authorization: " + benchAuth + "\r\nContent-Length: " + strconv.Itoa(hc.load.slowBytes) + "\r\n\r\n{"
	for ctx.Err() == nil {
		hc.stats[hostileSlow].sent.Add(1)
		if !hc.slowBody(ctx, u.Host, head) {
			hc.stats[hostileSlow].errs.Add(1)
		}
	}
}

// slowBody dribbles one body; it reports whether the server kept the
// connection open throughout.
func (hc *hostileClient) slowBody(ctx context.Context, addr, head string) bool {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		pace(ctx, hc.load.slowEvery)
		return false
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if _, err := conn.Write([]byte(head)); err != nil {
		return ctx.Err() != nil
	}
	until := time.Now().Add(hc.load.slowFor)
	for sent := 1; sent < hc.load.slowBytes-1 && time.Now().Before(until); sent++ {
		if !pace(ctx, hc.load.slowEvery) {
			return true
		}
		_ = conn.SetWriteDeadline(time.Now().Add(hostileTimeout))
		if _, err := conn.Write([]byte{' '}); err != nil {
			return false
		}
	}
	return true
}

// randomPolls is (d): PollForActivityTask on a new random task list each
// time, until ctx ends.
func (hc *hostileClient) randomPolls(ctx context.Context) {
	cl := hc.ep.swfCaller()
	var name [8]byte
	for ctx.Err() == nil {
		for i := range name {
			name[i] = byte(rand.Uint32())
		}
		_, _ = hc.call(ctx, hostilePoll, cl, "PollForActivityTask", mustJSON(map[string]any{
			"domain": hostileDomain, "taskList": map[string]any{"name": "hostile-" + hex.EncodeToString(name[:])}, "identity": "bench-hostile",
		}))
	}
}

// invalidUTF8 is (e): requests of each service whose JSON strings hold
// bytes that are not UTF-8.
func (hc *hostileClient) invalidUTF8(ctx context.Context) {
	sfn, swf, dp := hc.ep.caller(), hc.ep.swfCaller(), hc.ep.dpCaller()
	bodies := []struct {
		cl   *caller
		op   string
		body []byte
	}{
		{sfn, "SendTaskHeartbeat", []byte("{\"taskToken\":\"\xff\xfe\"}")},
		{sfn, "CreateActivity", []byte("{\"name\":\"bench-\xc3\x28\"}")},
		{swf, "DescribeDomain", []byte("{\"name\":\"bad-\xed\xa0\x80\"}")},
		{dp, "CreatePipeline", []byte("{\"name\":\"n\xff\",\"uniqueId\":\"u\xff\"}")},
	}
	for i := range hc.load.utf8Max {
		b := bodies[i%len(bodies)]
		_, _ = hc.call(ctx, hostileUTF8, b.cl, b.op, b.body)
		if !pace(ctx, hc.load.utf8Every) {
			return
		}
	}
}
