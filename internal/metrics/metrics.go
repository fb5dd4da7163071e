// Package metrics holds a node's Prometheus metrics: the AWS requests it
// answers (through awsapi.Config.Observe), what happens to tasks (through a
// wrapper of the engine's owners and of the store), what the engine
// measures inside (polls' hand-off, heartbeat flushes, deadlines' lateness,
// through engine.Config.Observer), the engine's queues and
// deadlines and the store's writer (read when scraped), the executions,
// workflows and pipeline instances open (counted in the store, at most once
// every few seconds), and Go's runtime and process collectors.
//
// Label cardinality is bounded by construction: services, operations and
// error codes come from the embedded AWS models and gaffer's error tables
// (and are capped anyway, see maxRequestSeries); tasks and queues are
// labelled by dialect and queue kind (activity, decision, task), never by
// the queue's name, which clients choose; objects by kind and status. No
// label names an execution, a task or a token.
//
// The hot paths (a request answered, a task scheduled, started or closed,
// a store Update) touch pre-resolved series only: a lookup in a map that
// is read without a lock, then atomic adds. Everything else is computed
// when /metrics is scraped.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gaffer-dev/gaffer/internal/engine"
)

// Config says where the metrics read from. Each may be nil, leaving out
// the metrics it feeds; the engine is set apart (SetEngine), since it is
// made on the store that WrapStore returns.
type Config struct {
	// Writer returns the store writer's totals and queue.
	Writer func() WriterStats
	// CountObjects returns how many objects have each of keys' kind and
	// status, in keys' order. It is called at most once every CountEvery,
	// from a scrape.
	CountObjects func(ctx context.Context, keys []ObjectKey) ([]int64, error)
	// CountEvery is how long object counts are reused; default 5 s.
	CountEvery time.Duration
	// Logger receives errors of scrapes; nil discards them.
	Logger *slog.Logger
	// Now is the clock of the deadlines' lateness, the engine's; nil
	// means time.Now.
	Now func() time.Time
}

// WriterStats are a store writer's totals and queue (see
// store.WriterStats).
type WriterStats struct {
	Transactions int64 // committed
	Updates      int64 // Update functions run
	Queued       int   // Updates waiting for the writer now
	QueueSize    int   // Queued at which Update fails as overloaded
}

// ObjectKey names stored objects by kind and status.
type ObjectKey struct{ Kind, Status string }

// OpenObjects are the (kind, status) pairs counted for
// gaffer_open_objects: the statuses of executions, workflow executions,
// Map Runs and pipeline instances that are not over. Closed ones grow
// without bound (until retention), so they are not counted.
var OpenObjects = []ObjectKey{
	{"sfn.execution", "RUNNING"},
	{"sfn.maprun", "RUNNING"},
	{"swf.execution", "OPEN"},
	{"pipeline.instance", "WAITING_ON_DEPENDENCIES"},
	{"pipeline.instance", "WAITING_FOR_RUNNER"},
	{"pipeline.instance", "RUNNING"},
	{"pipeline.instance", "PAUSED"},
}

// Metrics is a node's registry and the series its hot paths update.
type Metrics struct {
	cfg      Config
	log      *slog.Logger
	registry *prometheus.Registry
	handler  http.Handler

	engine   atomic.Pointer[engine.Engine]
	requests requests
	tasks    tasks
	store    storeMetrics
	// engineSeries are fed by the engine from inside (Observer).
	engineSeries engineMetrics

	// Object counts, refreshed by a scrape at most once every CountEvery.
	countMu  sync.Mutex
	counted  time.Time // wall clock of the last successful count
	counts   []int64
	countErr error
}

// New returns the metrics of one node, registered in a registry of their
// own with Go's runtime and process collectors.
func New(cfg Config) *Metrics {
	if cfg.CountEvery <= 0 {
		cfg.CountEvery = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m := &Metrics{cfg: cfg, log: cfg.Logger, registry: prometheus.NewRegistry()}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	m.requests.init(m.registry)
	m.tasks.init(m.registry)
	m.store.init(m.registry)
	m.engineSeries.init(m.registry)
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&scraped{m: m},
	)
	m.handler = promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(m.log.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError,
	})
	return m
}

// SetEngine makes eng the source of the queue, attempt and deadline
// series; until it is called they are left out.
func (m *Metrics) SetEngine(eng *engine.Engine) { m.engine.Store(eng) }

// Registry returns the registry, for tests that gather from it directly.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// ServeHTTP serves the metrics in Prometheus's text format (or what the
// scraper negotiates). Object counts older than Config.CountEvery are
// counted again first, within the request's context.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.refreshCounts(r.Context())
	m.handler.ServeHTTP(w, r)
}

// refreshCounts counts the open objects again if the last count is older
// than CountEvery. Concurrent scrapes wait for one count.
func (m *Metrics) refreshCounts(ctx context.Context) {
	if m.cfg.CountObjects == nil {
		return
	}
	m.countMu.Lock()
	defer m.countMu.Unlock()
	if !m.counted.IsZero() && time.Since(m.counted) < m.cfg.CountEvery {
		return
	}
	counts, err := m.cfg.CountObjects(ctx, OpenObjects)
	if err != nil {
		m.countErr = err
		m.log.Warn("metrics: counting open objects failed; serving the last counts", "err", err)
		return
	}
	m.counts, m.counted, m.countErr = counts, time.Now(), nil
}

// objectCounts returns the last counts (nil if none succeeded yet).
func (m *Metrics) objectCounts() []int64 {
	m.countMu.Lock()
	defer m.countMu.Unlock()
	return m.counts
}
