package sfn_test

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/store/sqlite"
)

// BenchmarkRetention measures what a closed one-task execution costs on
// disk and how fast the retention sweep deletes such executions: it runs
// retentionBenchN executions over the wire (StartExecution, GetActivityTask,
// SendTaskSuccess, 16 workers), reads the database's used pages before and
// after, then moves the clock past the retention and times the sweep that
// deletes them all. Run it once:
//
//	go test -run '^$' -bench BenchmarkRetention -benchtime 1x ./internal/sfn/
func BenchmarkRetention(b *testing.B) {
	for range b.N {
		benchRetention(b)
	}
}

const retentionBenchN = 5000

func benchRetention(b *testing.B) {
	clock := &servertest.Clock{}
	dir := b.TempDir()
	srv := servertest.Start(b, servertest.Options{DataDir: dir, SFNRetention: time.Hour, Now: clock.Now})
	e := servertest.InProcess(srv).SFN()
	act := e.Activity(b)
	machine := e.Machine(b, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","End":true}}}`, act)
	path := filepath.Join(dir, server.DBFile)
	before := usedBytes(b, path)

	// cycle runs one execution to its end.
	cycle := func() {
		e.Start(b, machine, `{"order":12345,"items":["a","b"]}`)
		tok, _ := e.MustPoll(b, act)
		_, err := e.Client.SendTaskSuccess(e.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{"shipped":true}`)})
		if err != nil {
			b.Error(err)
		}
	}
	const workers = 16
	// load runs cycles on 16 workers, each until more returns false, and
	// returns how many ran and for how long.
	load := func(more func(i int) bool) (int64, time.Duration) {
		start := time.Now()
		var wg sync.WaitGroup
		var mu sync.Mutex
		var total int64
		for range workers {
			wg.Go(func() {
				i := 0
				for ; more(i) && !b.Failed(); i++ {
					cycle()
				}
				mu.Lock()
				total += int64(i)
				mu.Unlock()
			})
		}
		wg.Wait()
		return total, time.Since(start)
	}
	n, ran := load(func(i int) bool { return i < retentionBenchN/workers })
	after := usedBytes(b, path)
	var records, events, eventBytes int64
	err := srv.Store().View(e.Ctx, func(tx store.Tx) error {
		objs, err := tx.ListObjects(store.ObjectQuery{Kind: "sfn.execution", Limit: 100})
		for _, o := range objs {
			records += int64(len(o.Body))
			evs, err := tx.ListEvents(store.EventQuery{Owner: o.ID})
			if err != nil {
				return err
			}
			for _, ev := range evs {
				events++
				eventBytes += int64(len(ev.Body))
			}
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}

	clock.Advance(2 * time.Hour)
	r := srv.SFNRetention()
	sweepStart := time.Now()
	r.Wake()
	if !r.Swept().Until(5*time.Minute, func() bool { return r.Deleted() >= n }) {
		b.Fatalf("deleted %d of %d executions", r.Deleted(), n)
	}
	took := time.Since(sweepStart)
	freed := after - usedBytes(b, path)

	// The same again, with the load running while the sweep deletes.
	load(func(i int) bool { return i < retentionBenchN/workers })
	clock.Advance(2 * time.Hour)
	var sweeping sync.WaitGroup
	var busyTook time.Duration
	done := make(chan struct{})
	sweeping.Go(func() {
		defer close(done)
		start := time.Now()
		r.Wake()
		if !r.Swept().Until(5*time.Minute, func() bool { return r.Deleted() >= 2*n }) {
			b.Errorf("under load: deleted %d of %d executions", r.Deleted()-n, n)
		}
		busyTook = time.Since(start)
	})
	busyRan, busyFor := load(func(int) bool {
		select {
		case <-done:
			return false
		default:
			return true
		}
	})
	sweeping.Wait()

	b.ReportMetric(float64(after-before)/float64(n), "B/exec")
	b.ReportMetric(float64(records)/100, "record-B/exec")
	b.ReportMetric(float64(events)/100, "events/exec")
	b.ReportMetric(float64(eventBytes)/float64(events), "B/event")
	b.ReportMetric(float64(n)/ran.Seconds(), "ran/s")
	b.ReportMetric(float64(n)/took.Seconds(), "deleted/s")
	b.ReportMetric(float64(freed)/float64(n), "freed-B/exec")
	b.ReportMetric(float64(n)/busyTook.Seconds(), "deleted-under-load/s")
	b.ReportMetric(float64(busyRan)/busyFor.Seconds(), "ran-while-deleting/s")
}

// usedBytes returns the bytes of the database's pages in use (page count
// less free pages, times the page size), the -wal's newer pages included.
func usedBytes(b *testing.B, path string) int64 {
	b.Helper()
	r, err := sqlite.Check(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	return (r.Pages - r.FreePages) * r.PageSize
}
