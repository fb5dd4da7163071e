package metrics

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/store"
)

func TestClassify(t *testing.T) {
	for queue, want := range map[string]class{
		"sfn:arn:aws:states:us-east-1:000000000000:activity:a": classSFNActivity,
		"sfn-int:lambda":         classSFNIntegration,
		"swf:a:dom|tl":           classSWFActivity,
		"swf:d:eu-west-1/dom|tl": classSWFDecision,
		"pipeline|wg":            classPipelineTask,
		"pipeline@eu-west-1|wg":  classPipelineTask,
		"swf:x:dom|tl":           classOther,
		"":                       classOther,
	} {
		if got := classify(queue); got != want {
			t.Errorf("classify(%q) = %v, want %v", queue, classLabels[got], classLabels[want])
		}
	}
}

// Observe counts by service, operation and code, times by service and
// operation, and counts a successful RespondDecisionTaskCompleted as a
// decision task completed.
func TestObserve(t *testing.T) {
	m := New(Config{})
	m.Observe("states", "StartExecution", "", 200, time.Millisecond)
	m.Observe("states", "StartExecution", "", 200, time.Millisecond)
	m.Observe("states", "StartExecution", "ExecutionAlreadyExists", 400, time.Millisecond)
	m.Observe("swf", "RespondDecisionTaskCompleted", "", 200, time.Millisecond)
	m.Observe("swf", "RespondDecisionTaskCompleted", "UnknownResourceFault", 400, time.Millisecond)
	if got := testutil.ToFloat64(m.requests.total.WithLabelValues("states", "StartExecution", "")); got != 2 {
		t.Errorf("StartExecution ok = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.requests.total.WithLabelValues("states", "StartExecution", "ExecutionAlreadyExists")); got != 1 {
		t.Errorf("StartExecution ExecutionAlreadyExists = %v, want 1", got)
	}
	if got := testutil.CollectAndCount(m.requests.duration); got != 2 {
		t.Errorf("duration series = %d, want 2 (by service and operation only)", got)
	}
	if got := testutil.ToFloat64(m.tasks.of(classSWFDecision).closed[outcomeCompleted]); got != 1 {
		t.Errorf("swf decision tasks completed = %v, want 1", got)
	}
}

// Past maxRequestSeries distinct triples, new ones are counted as
// operation and code "other".
func TestRequestSeriesCapped(t *testing.T) {
	m := New(Config{})
	for i := range maxRequestSeries + 10 {
		m.Observe("states", "Op", fmt.Sprint("Code", i), 400, time.Millisecond)
	}
	if got := testutil.ToFloat64(m.requests.total.WithLabelValues("states", "other", "other")); got != 10 {
		t.Errorf("other = %v, want 10", got)
	}
	if got := testutil.CollectAndCount(m.requests.total); got != maxRequestSeries+1 {
		t.Errorf("series = %d, want %d", got, maxRequestSeries+1)
	}
}

// A request already seen costs no allocation.
func TestObserveAllocates(t *testing.T) {
	m := New(Config{})
	m.Observe("states", "SendTaskHeartbeat", "", 200, time.Millisecond)
	if n := testing.AllocsPerRun(1000, func() {
		m.Observe("states", "SendTaskHeartbeat", "", 200, time.Millisecond)
	}); n != 0 {
		t.Errorf("Observe allocates %v times a request", n)
	}
}

// The registry gathers, and its text names the families of the package
// doc's list (README's "Metrics and health").
func TestGather(t *testing.T) {
	m := New(Config{Writer: func() WriterStats { return WriterStats{Transactions: 3, Updates: 7, Queued: 1, QueueSize: 8} }})
	if _, err := m.Registry().Gather(); err != nil {
		t.Fatal(err)
	}
	n, err := testutil.GatherAndCount(m.Registry(), "gaffer_store_transactions_total", "gaffer_store_updates_total", "gaffer_store_queue_length", "gaffer_store_queue_capacity")
	if err != nil || n != 4 {
		t.Errorf("store series = %d (%v), want 4", n, err)
	}
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(`
# HELP gaffer_store_updates_total Writes (Update functions) the store's writer ran; divided by gaffer_store_transactions_total, the mean batch size.
# TYPE gaffer_store_updates_total counter
gaffer_store_updates_total 7
`), "gaffer_store_updates_total"); err != nil {
		t.Error(err)
	}
}

func BenchmarkObserve(b *testing.B) {
	m := New(Config{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Observe("states", "SendTaskHeartbeat", "", 200, time.Millisecond)
		}
	})
}

// nopStore runs Update's fn on a transaction that does nothing: what
// WrapStore adds to a write, measured alone.
type nopStore struct{ store.Store }

func (nopStore) Update(_ context.Context, fn func(store.Tx) error) error { return fn(nopTx{}) }

type nopTx struct{ store.Tx }

func (nopTx) AfterCommit(func())             {}
func (nopTx) InsertTask(t *store.Task) error { return nil }

func BenchmarkWrapStoreUpdate(b *testing.B) {
	s := New(Config{}).WrapStore(nopStore{})
	task := &store.Task{Queue: "sfn:arn"}
	fn := func(tx store.Tx) error { return tx.InsertTask(task) }
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Update(ctx, fn)
	}
}

// The engine's Observer feeds the hand-off histogram by dialect and queue
// kind, the flush histograms and the lateness by deadline kind; negative
// durations count as 0; a hand-off allocates nothing.
func TestEngineObserver(t *testing.T) {
	m := New(Config{})
	obs := m.Observer()
	obs.PollHandedOff("sfn:arn:aws:states:us-east-1:000000000000:activity:a", 2*time.Second)
	obs.PollHandedOff("swf:d:dom|tl", -time.Second)
	obs.BeatsFlushed(3, 1500*time.Millisecond)
	obs.DeadlineFired(engine.TaskTimeout, 5*time.Millisecond)
	obs.DeadlineFired(engine.OwnerTimer, -time.Millisecond)
	obs.DeadlineFired(engine.OwnerTimer, time.Second)

	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{} // name{labels} -> count/sum
	for _, f := range families {
		for _, s := range f.GetMetric() {
			h := s.GetHistogram()
			if h == nil || h.GetSampleCount() == 0 {
				continue
			}
			var ls []string
			for _, l := range s.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			got[f.GetName()+"{"+strings.Join(ls, ",")+"}"] = fmt.Sprintf("%d/%g", h.GetSampleCount(), h.GetSampleSum())
		}
	}
	for name, want := range map[string]string{
		"gaffer_poll_handoff_seconds{dialect=sfn,queue_kind=activity}": "1/2",
		"gaffer_poll_handoff_seconds{dialect=swf,queue_kind=decision}": "1/0",
		"gaffer_heartbeat_flush_beats{}":                               "1/3",
		"gaffer_heartbeat_flush_lag_seconds{}":                         "1/1.5",
		"gaffer_deadline_lateness_seconds{kind=task_timeout}":          "1/0.005",
		"gaffer_deadline_lateness_seconds{kind=timer}":                 "2/1",
	} {
		if got[name] != want {
			t.Errorf("%s = %q (count/sum), want %q", name, got[name], want)
		}
		delete(got, name)
	}
	for name, v := range got {
		if strings.HasPrefix(name, "gaffer_") {
			t.Errorf("unexpected observation %s = %s", name, v)
		}
	}

	queue := "sfn:arn:aws:states:us-east-1:000000000000:activity:a"
	if n := testing.AllocsPerRun(100, func() { obs.PollHandedOff(queue, time.Millisecond) }); n != 0 {
		t.Errorf("PollHandedOff allocates %v times, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { obs.DeadlineFired(engine.TaskTimeout, time.Millisecond) }); n != 0 {
		t.Errorf("DeadlineFired allocates %v times, want 0", n)
	}
}
