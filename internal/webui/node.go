package webui

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/cluster"
	"github.com/gaffer-dev/gaffer/internal/engine"
	dto "github.com/prometheus/client_model/go"
)

// The node page: what this node is, the nodes sharing its store, and its
// metrics (package metrics) as tables.

type metricRow struct {
	Labels string
	Value  string
}

type metricFamily struct {
	Name, Help, Type string
	Rows             []metricRow
	Open             bool // gaffer's own, shown unfolded
}

type nodePage struct {
	Name, Version, Store string
	Started              time.Time
	Uptime               string
	Shared               bool
	Nodes                []cluster.NodeView
	Stats                engine.Stats
	Attempts             int
	Metrics              []metricFamily
	Filter               string
	NoMetrics            bool
}

func (u *UI) node(r *http.Request) (view, error) {
	v := view{name: "node", title: "Node"}
	now := u.cfg.Now()
	p := nodePage{Name: u.cfg.Node.Name(), Version: u.cfg.Version, Store: u.cfg.Store, Started: u.cfg.Started,
		Uptime: now.Sub(u.cfg.Started).Round(time.Second).String(), Shared: u.cfg.Node.Shared(),
		Stats: u.cfg.Engine.Stats(), Attempts: u.cfg.Engine.StartedAttempts(), Filter: r.URL.Query().Get("metric")}
	nodes, err := u.cfg.Node.Nodes(r.Context())
	if err != nil {
		return v, err
	}
	p.Nodes = nodes
	if u.cfg.Metrics == nil {
		p.NoMetrics = true
		v.data = p
		return v, nil
	}
	fams, err := u.cfg.Metrics.Registry().Gather()
	if err != nil {
		return v, fmt.Errorf("gather metrics: %w", err)
	}
	for _, f := range fams {
		if p.Filter != "" && !strings.Contains(f.GetName(), p.Filter) {
			continue
		}
		mf := metricFamily{Name: f.GetName(), Help: f.GetHelp(), Type: strings.ToLower(f.GetType().String()), Open: strings.HasPrefix(f.GetName(), "gaffer_")}
		for _, m := range f.GetMetric() {
			mf.Rows = append(mf.Rows, metricRow{Labels: labels(m), Value: metricValue(f.GetType(), m)})
		}
		sort.Slice(mf.Rows, func(i, j int) bool { return mf.Rows[i].Labels < mf.Rows[j].Labels })
		p.Metrics = append(p.Metrics, mf)
	}
	v.data = p
	return v, nil
}

// labels renders a metric's labels as k=v pairs.
func labels(m *dto.Metric) string {
	var parts []string
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	return strings.Join(parts, " ")
}

// metricValue renders a sample readably: a counter or gauge's value, a
// histogram's count, mean and (estimated from its buckets) 99th
// percentile, a summary's count and mean.
func metricValue(t dto.MetricType, m *dto.Metric) string {
	switch t {
	case dto.MetricType_COUNTER:
		return number(m.GetCounter().GetValue())
	case dto.MetricType_GAUGE:
		return number(m.GetGauge().GetValue())
	case dto.MetricType_HISTOGRAM:
		h := m.GetHistogram()
		n := h.GetSampleCount()
		if n == 0 {
			return "count 0"
		}
		mean := h.GetSampleSum() / float64(n)
		p99 := ""
		for _, b := range h.GetBucket() {
			if float64(b.GetCumulativeCount()) >= 0.99*float64(n) {
				p99 = ", p99 ≤ " + number(b.GetUpperBound())
				break
			}
		}
		return fmt.Sprintf("count %d, mean %s%s", n, number(mean), p99)
	case dto.MetricType_SUMMARY:
		s := m.GetSummary()
		if s.GetSampleCount() == 0 {
			return "count 0"
		}
		return fmt.Sprintf("count %d, mean %s", s.GetSampleCount(), number(s.GetSampleSum()/float64(s.GetSampleCount())))
	}
	return number(m.GetUntyped().GetValue())
}

// number renders a float compactly: integers whole, others with up to 4
// significant digits.
func number(f float64) string {
	if f == float64(int64(f)) && f < 1e15 && f > -1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', 4, 64)
}
