package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// report is the bench's output.
type report struct {
	Machine  machineInfo `json:"machine"`
	Settings settings    `json:"settings"`
	Results  []result    `json:"results"`
	// store labels the figures added next (result.Store).
	store string
}

type machineInfo struct {
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	CPUs       int    `json:"cpus"`
	CPUModel   string `json:"cpu_model,omitempty"`
	GoVersion  string `json:"go_version"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	// LoadAvg is /proc/loadavg's 1-, 5- and 15-minute load averages when
	// the bench started: the machine may be shared.
	LoadAvg string `json:"load_avg,omitempty"`
	// SyncP50Ms and SyncP99Ms are the latency of appending 4 KiB to a file
	// in the data directory's file system and fdatasync-ing it: the floor
	// of one durable commit.
	SyncP50Ms float64 `json:"sync_p50_ms"`
	SyncP99Ms float64 `json:"sync_p99_ms"`
}

type settings struct {
	Duration    string `json:"duration"`
	Clients     int    `json:"clients"`
	Workers     int    `json:"workers"`
	Samples     int    `json:"samples"`
	Polls       int    `json:"polls"`
	BareHandler string `json:"bare_handler"`
	Server      string `json:"server"`
}

// result is one figure. Pass is nil for figures without a target.
type result struct {
	// Store is the store (and nodes) the figure was measured on when the
	// run measures several ("sqlite", "postgres", "postgres×3"), or the
	// ratio of two ("postgres÷sqlite"); "" when the run measures one.
	Store       string  `json:"store,omitempty"`
	Phase       string  `json:"phase"`
	Metric      string  `json:"metric"`
	Description string  `json:"description"`
	Value       float64 `json:"value"`
	Unit        string  `json:"unit"`
	Target      string  `json:"target,omitempty"`
	Pass        *bool   `json:"pass,omitempty"`
}

func (r *report) add(phase, metric, desc string, value float64, unit string) {
	r.Results = append(r.Results, result{Store: r.store, Phase: phase, Metric: metric, Description: desc, Value: value, Unit: unit})
}

func (r *report) addTarget(phase, metric, desc string, value float64, unit, target string, pass bool) {
	r.Results = append(r.Results, result{Store: r.store, Phase: phase, Metric: metric, Description: desc, Value: value, Unit: unit, Target: target, Pass: &pass})
}

// ratioTargets are the figures whose PostgreSQL ÷ SQLite ratio, on one
// node, has a target.
var ratioTargets = map[string]float64{
	phaseCycle + "/executions_per_s":  targetPGCycleRatio,
	phaseHeartbeat + "/gaffer_rps":    targetPGHeartbeat,
	phaseSWFHeartbeat + "/gaffer_rps": targetPGHeartbeat,
	phaseDPHeartbeat + "/gaffer_rps":  targetPGHeartbeat,
}

// compare adds, after each figure measured on SQLite and another store,
// the ratio other ÷ SQLite, and orders the results so that each figure's
// stores and ratios follow each other: the side-by-side view.
func (r *report) compare(targets []target) {
	type key struct{ phase, metric string }
	byStore := map[string]map[key]result{}
	var order []key
	seen := map[key]bool{}
	for _, res := range r.Results {
		k := key{res.Phase, res.Metric}
		if byStore[res.Store] == nil {
			byStore[res.Store] = map[key]result{}
		}
		byStore[res.Store][k] = res
		if !seen[k] {
			seen[k] = true
			order = append(order, k)
		}
	}
	// By phase, in the order the phases run; within one, as measured.
	rank := map[string]int{}
	for i, p := range phases {
		rank[p.Name] = i
	}
	slices.SortStableFunc(order, func(a, b key) int { return rank[a.phase] - rank[b.phase] })
	var out []result
	for _, k := range order {
		base, hasBase := byStore[targets[0].name][k]
		for _, t := range targets {
			if res, ok := byStore[t.name][k]; ok {
				out = append(out, res)
			}
		}
		// Figures of phases that ran on one store only (takeover) have
		// their own labels.
		for store, m := range byStore {
			if res, ok := m[k]; ok && !slices.ContainsFunc(targets, func(t target) bool { return t.name == store }) {
				out = append(out, res)
			}
		}
		// Percentages and figures already relative to the bare handler
		// are not set beside SQLite's.
		if !hasBase || base.Value <= 0 || base.Unit == "%" || strings.HasSuffix(k.metric, "_vs_bare") {
			continue
		}
		for _, t := range targets[1:] {
			res, ok := byStore[t.name][k]
			if !ok || res.Value <= 0 {
				continue
			}
			ratio := res.Value / base.Value
			cmp := result{Store: t.name + "÷" + targets[0].name, Phase: k.phase, Metric: k.metric + "_ratio",
				Description: res.Description + " (÷ SQLite)", Value: 100 * ratio, Unit: "%"}
			if want, ok := ratioTargets[k.phase+"/"+k.metric]; ok && t.nodes == 1 {
				pass := ratio >= want
				cmp.Target, cmp.Pass = fmt.Sprintf(">= %.0f %%", 100*want), &pass
			}
			out = append(out, cmp)
		}
	}
	r.Results = out
}

func (r *report) writeTable(w io.Writer) error {
	m := r.Machine
	fmt.Fprintf(w, "gaffer bench: %s/%s, %d CPUs (%s), %s, GOMAXPROCS %d\n", m.OS, m.Arch, m.CPUs, m.CPUModel, m.GoVersion, m.GOMAXPROCS)
	if m.LoadAvg != "" {
		fmt.Fprintf(w, "load average at the start: %s\n", m.LoadAvg)
	}
	fmt.Fprintf(w, "data directory's disk: 4 KiB append + fdatasync p50 %.2f ms, p99 %.2f ms\n", m.SyncP50Ms, m.SyncP99Ms)
	s := r.Settings
	fmt.Fprintf(w, "duration %s, %d clients, %d workers, %d samples, %d polls; server: %s; bare handler: %s\n\n",
		s.Duration, s.Clients, s.Workers, s.Samples, s.Polls, s.Server, s.BareHandler)
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	stores := slices.ContainsFunc(r.Results, func(res result) bool { return res.Store != "" })
	if stores {
		fmt.Fprint(tw, "STORE\t")
	}
	fmt.Fprintln(tw, "PHASE\tFIGURE\tVALUE\tTARGET\tRESULT")
	for _, res := range r.Results {
		verdict := ""
		if res.Pass != nil {
			verdict = "MISS"
			if *res.Pass {
				verdict = "PASS"
			}
		}
		if stores {
			fmt.Fprintf(tw, "%s\t", res.Store)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%s\n", res.Phase, res.Description, formatValue(res.Value), res.Unit, res.Target, verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for line := range strings.Lines(table.String()) {
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}

func formatValue(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
}

// cpuModel returns the model name of the first CPU in /proc/cpuinfo, or "".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loadAverage returns the first three fields of /proc/loadavg, or "".
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// micros returns d in microseconds.
func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// percentile returns the q-quantile of sorted by the nearest-rank method.
func percentile(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
