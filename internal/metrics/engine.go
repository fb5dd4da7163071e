package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gaffer-dev/gaffer/internal/engine"
)

// engineMetrics are the series the engine reports from inside (through
// engine.Config.Observer): polls handed a task after waiting, heartbeat
// flushes, and how late deadlines fire.
type engineMetrics struct {
	handoff    [numClasses]prometheus.Observer
	flushBeats prometheus.Observer
	flushLag   prometheus.Observer
	late       [engine.OwnerTimer + 1]prometheus.Observer
}

// Buckets of the engine's histograms.
var (
	// handoffBuckets: a poll is handed a task at once or waits up to its
	// long-poll limit (a minute by default).
	handoffBuckets = []float64{0.001, 0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 10, 20, 30, 45, 60}
	// flushBeatsBuckets: the attempts whose beats one flush persists.
	flushBeatsBuckets = []float64{1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000}
	// flushLagBuckets: a beat waits for the next flush (one second by
	// default); more means the flusher falls behind.
	flushLagBuckets = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 5, 10, 30, 60}
	// lateBuckets: a deadline fires a few milliseconds late; seconds
	// mean the store or the firers are behind.
	lateBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}
)

func (em *engineMetrics) init(reg prometheus.Registerer) {
	handoff := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gaffer_poll_handoff_seconds",
		Help:    "How long a poll that found no task waited before it was handed one, by dialect and queue kind (polls answered at once or empty are not observed).",
		Buckets: handoffBuckets,
	}, []string{"dialect", "queue_kind"})
	flushBeats := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "gaffer_heartbeat_flush_beats",
		Help:    "Task attempts whose heartbeats one flush persisted; the count is the flushes that committed.",
		Buckets: flushBeatsBuckets,
	})
	flushLag := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "gaffer_heartbeat_flush_lag_seconds",
		Help:    "Age, when a heartbeat flush began, of the oldest beat it persisted (each attempt's latest): how far the store lags the heartbeats kept in memory.",
		Buckets: flushLagBuckets,
	})
	late := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gaffer_deadline_lateness_seconds",
		Help:    "How late deadlines were handled (committed less due), by kind: task_timeout (a task's timeouts) or timer (Wait states, retries, SWF timers, schedules).",
		Buckets: lateBuckets,
	}, []string{"kind"})
	reg.MustRegister(handoff, flushBeats, flushLag, late)
	for c := range numClasses {
		em.handoff[c] = handoff.WithLabelValues(classLabels[c][0], classLabels[c][1])
	}
	em.flushBeats, em.flushLag = flushBeats, flushLag
	for _, k := range []engine.DeadlineKind{engine.TaskTimeout, engine.OwnerTimer} {
		em.late[k] = late.WithLabelValues(k.String())
	}
}

// Observer returns what to set as the engine's Config.Observer: it feeds
// gaffer_poll_handoff_seconds, gaffer_heartbeat_flush_beats,
// gaffer_heartbeat_flush_lag_seconds and gaffer_deadline_lateness_seconds.
func (m *Metrics) Observer() engine.Observer { return &m.engineSeries }

func (em *engineMetrics) PollHandedOff(queue string, waited time.Duration) {
	em.handoff[classify(queue)].Observe(max(waited, 0).Seconds())
}

func (em *engineMetrics) BeatsFlushed(beats int, oldest time.Duration) {
	em.flushBeats.Observe(float64(beats))
	em.flushLag.Observe(max(oldest, 0).Seconds())
}

func (em *engineMetrics) DeadlineFired(kind engine.DeadlineKind, late time.Duration) {
	if kind < 0 || int(kind) >= len(em.late) {
		kind = engine.TaskTimeout
	}
	em.late[kind].Observe(max(late, 0).Seconds())
}
