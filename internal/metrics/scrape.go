package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gaffer-dev/gaffer/internal/engine"
)

// storeMetrics are the store's series updated as writes happen.
type storeMetrics struct {
	update     prometheus.Observer
	overloaded prometheus.Counter
}

// updateBuckets are the buckets of gaffer_store_update_seconds: a group
// commit with fsync takes from a fraction of a millisecond to, on a slow
// or loaded disk, seconds.
var updateBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

func (s *storeMetrics) init(reg prometheus.Registerer) {
	update := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "gaffer_store_update_seconds",
		Help:    "Time a store write (Update) took as its caller saw it: waiting in the writer's queue, running in a group transaction, and the commit.",
		Buckets: updateBuckets,
	})
	overloaded := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "gaffer_store_overloaded_total",
		Help: "Store writes refused because the writer's queue was full (answered as throttling).",
	})
	reg.MustRegister(update, overloaded)
	s.update, s.overloaded = update, overloaded
}

// Descriptions of the series read when scraped.
var (
	descQueues = prometheus.NewDesc("gaffer_queues",
		"Queues held in memory (with a task waiting for a poll or a poll waiting), by dialect and queue kind.",
		[]string{"dialect", "queue_kind"}, nil)
	descQueueTasks = prometheus.NewDesc("gaffer_queue_tasks",
		"Scheduled tasks waiting in queues for a worker, by dialect and queue kind.",
		[]string{"dialect", "queue_kind"}, nil)
	descQueuePollers = prometheus.NewDesc("gaffer_queue_pollers",
		"Polls waiting for a task, by dialect and queue kind.",
		[]string{"dialect", "queue_kind"}, nil)
	descStarted = prometheus.NewDesc("gaffer_tasks_in_progress",
		"Task attempts started and not yet ended (held by workers).", nil, nil)
	descDeadlinesArmed = prometheus.NewDesc("gaffer_deadlines_armed",
		"Deadlines armed in memory: task timeouts and timers (Wait states, retries, SWF timers, schedules).", nil, nil)
	descDeadlinesOverdue = prometheus.NewDesc("gaffer_deadlines_overdue_seconds",
		"How long past due the earliest deadline not yet handled is (0 when none is due): how far deadline handling lags.", nil, nil)
	descDeadlinesFired = prometheus.NewDesc("gaffer_deadlines_fired_total",
		"Deadlines handled (the timeout or timer's transaction committed).", nil, nil)
	descDeadlinesDropped = prometheus.NewDesc("gaffer_deadlines_dropped_total",
		"Due deadlines dropped in memory because their task had started or ended meanwhile.", nil, nil)
	descDeadlineBatches = prometheus.NewDesc("gaffer_deadline_batches_total",
		"Store transactions that handled due deadlines.", nil, nil)
	descStoreTransactions = prometheus.NewDesc("gaffer_store_transactions_total",
		"Transactions the store's writer committed (group commits).", nil, nil)
	descStoreUpdates = prometheus.NewDesc("gaffer_store_updates_total",
		"Writes (Update functions) the store's writer ran; divided by gaffer_store_transactions_total, the mean batch size.", nil, nil)
	descStoreQueue = prometheus.NewDesc("gaffer_store_queue_length",
		"Writes waiting for the store's writer.", nil, nil)
	descStoreQueueSize = prometheus.NewDesc("gaffer_store_queue_capacity",
		"Writes that may wait for the store's writer before further ones are refused as overloaded.", nil, nil)
	descOpenObjects = prometheus.NewDesc("gaffer_open_objects",
		"Executions (sfn.execution), Map Runs (sfn.maprun), workflow executions (swf.execution) and pipeline instances (pipeline.instance) not yet over, by kind and status; counted at most once every few seconds.",
		[]string{"kind", "status"}, nil)
)

// scraped is the collector of the series computed when scraped, from the
// engine's memory, the writer's counters and the object counts.
type scraped struct{ m *Metrics }

func (c *scraped) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descQueues, descQueueTasks, descQueuePollers, descStarted,
		descDeadlinesArmed, descDeadlinesOverdue, descDeadlinesFired, descDeadlinesDropped, descDeadlineBatches,
		descStoreTransactions, descStoreUpdates, descStoreQueue, descStoreQueueSize, descOpenObjects} {
		ch <- d
	}
}

func (c *scraped) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}

	if eng := m.engine.Load(); eng != nil {
		m.collectEngine(eng, gauge, counter)
	}
	if m.cfg.Writer != nil {
		w := m.cfg.Writer()
		counter(descStoreTransactions, w.Transactions)
		counter(descStoreUpdates, w.Updates)
		gauge(descStoreQueue, float64(w.Queued))
		gauge(descStoreQueueSize, float64(w.QueueSize))
	}
	if counts := m.objectCounts(); counts != nil {
		for i, k := range OpenObjects {
			gauge(descOpenObjects, float64(counts[i]), k.Kind, k.Status)
		}
	}
}

// collectEngine sends the series read from the engine's memory.
func (m *Metrics) collectEngine(eng *engine.Engine, gauge func(*prometheus.Desc, float64, ...string), counter func(*prometheus.Desc, int64)) {
	var queues, tasks, pollers [numClasses]int
	eng.VisitQueues(func(queue string, waiting, queued int) {
		cl := classify(queue)
		queues[cl]++
		tasks[cl] += queued
		pollers[cl] += waiting
	})
	for cl := range numClasses {
		l := classLabels[cl]
		gauge(descQueues, float64(queues[cl]), l[0], l[1])
		gauge(descQueueTasks, float64(tasks[cl]), l[0], l[1])
		gauge(descQueuePollers, float64(pollers[cl]), l[0], l[1])
	}
	gauge(descStarted, float64(eng.StartedAttempts()))
	armed, earliest := eng.Deadlines()
	gauge(descDeadlinesArmed, float64(armed))
	overdue := 0.0
	if !earliest.IsZero() {
		overdue = max(m.cfg.Now().Sub(earliest).Seconds(), 0)
	}
	gauge(descDeadlinesOverdue, overdue)
	n := eng.Counters()
	counter(descDeadlinesFired, n.DeadlinesFired)
	counter(descDeadlinesDropped, n.DeadlinesDropped)
	counter(descDeadlineBatches, n.FireBatches)
}
