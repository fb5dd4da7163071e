package metrics

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// maxRequestSeries caps the (service, operation, code) triples with a
// series of their own; later ones are counted under operation and code
// "other". The models and error tables bound them well below this: the cap
// only guards against a code that would carry client data.
const maxRequestSeries = 2000

// requestBuckets are the latency buckets of gaffer_request_duration_seconds,
// in seconds: from a tenth of a millisecond (an answer from memory) to a
// long poll held its 60 s (Data Pipeline: 90 s).
var requestBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 90}

// requestKey names one series of gaffer_requests_total.
type requestKey struct{ service, operation, code string }

// requestSeries are the pre-resolved series one request updates.
type requestSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
	// also is counted too: a successful RespondDecisionTaskCompleted is a
	// decision task completed (the engine's CompleteFunc, which does not
	// call the owner's TaskClosed).
	also prometheus.Counter
}

// requests are the AWS requests' metrics. The series met so far are in an
// immutable map read through an atomic pointer (no lock on a hit); a miss
// copies it under mu.
type requests struct {
	total    *prometheus.CounterVec
	duration *prometheus.HistogramVec

	series atomic.Pointer[map[requestKey]*requestSeries]
	mu     sync.Mutex
}

func (r *requests) init(reg prometheus.Registerer) {
	r.total = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gaffer_requests_total",
		Help: "AWS API requests answered, by service (signing name), operation and error code (empty on success).",
	}, []string{"service", "operation", "code"})
	r.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gaffer_request_duration_seconds",
		Help:    "Time to answer AWS API requests, long polls included, by service and operation.",
		Buckets: requestBuckets,
	}, []string{"service", "operation"})
	reg.MustRegister(r.total, r.duration)
	empty := map[requestKey]*requestSeries{}
	r.series.Store(&empty)
}

// Observe counts one AWS request answered; it is awsapi.Config.Observe.
func (m *Metrics) Observe(service, operation, code string, status int, d time.Duration) {
	r := &m.requests
	s := (*r.series.Load())[requestKey{service, operation, code}]
	if s == nil {
		s = m.requestSeries(requestKey{service, operation, code})
	}
	s.count.Inc()
	s.duration.Observe(d.Seconds())
	if s.also != nil {
		s.also.Inc()
	}
}

// requestSeries resolves the series of k and adds them to the map.
func (m *Metrics) requestSeries(k requestKey) *requestSeries {
	r := &m.requests
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.series.Load()
	if s := old[k]; s != nil {
		return s
	}
	label := k
	if len(old) >= maxRequestSeries {
		label.operation, label.code = "other", "other"
	}
	s := &requestSeries{
		count:    r.total.WithLabelValues(label.service, label.operation, label.code),
		duration: r.duration.WithLabelValues(label.service, label.operation),
	}
	if k == (requestKey{"swf", "RespondDecisionTaskCompleted", ""}) {
		s.also = m.tasks.of(classSWFDecision).closed[outcomeCompleted]
	}
	if len(old) < maxRequestSeries {
		next := make(map[requestKey]*requestSeries, len(old)+1)
		for key, v := range old {
			next[key] = v
		}
		next[k] = s
		r.series.Store(&next)
	}
	return s
}
