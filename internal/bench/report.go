package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
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
}

type machineInfo struct {
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	CPUs       int    `json:"cpus"`
	CPUModel   string `json:"cpu_model,omitempty"`
	GoVersion  string `json:"go_version"`
	GOMAXPROCS int    `json:"gomaxprocs"`
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
	Phase       string  `json:"phase"`
	Metric      string  `json:"metric"`
	Description string  `json:"description"`
	Value       float64 `json:"value"`
	Unit        string  `json:"unit"`
	Target      string  `json:"target,omitempty"`
	Pass        *bool   `json:"pass,omitempty"`
}

func (r *report) add(phase, metric, desc string, value float64, unit string) {
	r.Results = append(r.Results, result{Phase: phase, Metric: metric, Description: desc, Value: value, Unit: unit})
}

func (r *report) addTarget(phase, metric, desc string, value float64, unit, target string, pass bool) {
	r.Results = append(r.Results, result{Phase: phase, Metric: metric, Description: desc, Value: value, Unit: unit, Target: target, Pass: &pass})
}

func (r *report) writeTable(w io.Writer) error {
	m := r.Machine
	fmt.Fprintf(w, "gaffer bench: %s/%s, %d CPUs (%s), %s, GOMAXPROCS %d\n", m.OS, m.Arch, m.CPUs, m.CPUModel, m.GoVersion, m.GOMAXPROCS)
	fmt.Fprintf(w, "data directory's disk: 4 KiB append + fdatasync p50 %.2f ms, p99 %.2f ms\n", m.SyncP50Ms, m.SyncP99Ms)
	s := r.Settings
	fmt.Fprintf(w, "duration %s, %d clients, %d workers, %d samples, %d polls; server: %s; bare handler: %s\n\n",
		s.Duration, s.Clients, s.Workers, s.Samples, s.Polls, s.Server, s.BareHandler)
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tFIGURE\tVALUE\tTARGET\tRESULT")
	for _, res := range r.Results {
		verdict := ""
		if res.Pass != nil {
			verdict = "MISS"
			if *res.Pass {
				verdict = "PASS"
			}
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

// micros returns d in microseconds.
func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// percentile returns the q-quantile of sorted by the nearest-rank method.
func percentile(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
