package asl

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// countRecorder is a Recorder that only counts.
type countRecorder struct{ n int64 }

func (r *countRecorder) Record(*Event, int64) int64 { r.n++; return r.n }

func (r *countRecorder) LastEventID() int64 { return r.n }

// passChoiceIn returns a program of n states, Pass and Choice states
// alternating, each Choice testing the input before it moves on; in
// JSONPath, or with jsonata the same data flow in JSONata (Output for
// Parameters, a Condition for the rule).
func passChoiceIn(n int, jsonata bool) string {
	var b strings.Builder
	if jsonata {
		b.WriteString(`{"QueryLanguage": "JSONata", "StartAt": "S0", "States": {`)
	} else {
		b.WriteString(`{"StartAt": "S0", "States": {`)
	}
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		next := fmt.Sprintf("S%d", i+1)
		switch {
		case i == n-1:
			fmt.Fprintf(&b, `"S%d": {"Type": "Succeed"}`, i)
		case i%2 == 0 && jsonata:
			fmt.Fprintf(&b, `"S%d": {"Type": "Pass", "Output": {"n": "{%% $states.input.n %%}", "step": %d}, "Next": %q}`, i, i, next)
		case i%2 == 0:
			fmt.Fprintf(&b, `"S%d": {"Type": "Pass", "Parameters": {"n.$": "$.n", "step": %d}, "Next": %q}`, i, i, next)
		case jsonata:
			fmt.Fprintf(&b, `"S%d": {"Type": "Choice", "Choices": [{"Condition": "{%% $states.input.n > 100 %%}", "Next": "S%d"}], "Default": %q}`, i, n-1, next)
		default:
			fmt.Fprintf(&b, `"S%d": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 100, "Next": "S%d"}], "Default": %q}`, i, n-1, next)
		}
	}
	b.WriteString(`}}`)
	return b.String()
}

// BenchmarkRunPassChoice runs a 100-state program of Pass and Choice
// states through Machine.Run, from NewExec to EffectSucceed, in one write.
func BenchmarkRunPassChoice(b *testing.B) { benchPassChoice(b, false) }

// BenchmarkRunPassChoiceJSONata runs the same data flow written in JSONata:
// CPU per state of JSONata against JSONPath.
func BenchmarkRunPassChoiceJSONata(b *testing.B) { benchPassChoice(b, true) }

func benchPassChoice(b *testing.B, jsonata bool) {
	const states = 100
	m, err := Parse([]byte(passChoiceIn(states, jsonata)))
	if err != nil {
		b.Fatal(err)
	}
	input := []byte(`{"n": 7, "payload": {"name": "bench", "tags": ["a", "b", "c"]}}`)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		rec := &countRecorder{}
		x := m.NewExec(input)
		effects, err := m.Run(x, Input{Kind: InputStart}, Env{Now: now, Record: rec, MaxEvents: 25000})
		if err != nil || len(effects) != 1 || effects[0].Kind != EffectSucceed {
			b.Fatalf("effects %+v, err %v", effects, err)
		}
		if rec.n != 2*states {
			b.Fatalf("%d events, want %d", rec.n, 2*states)
		}
	}
	perRun := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perRun/states, "ns/transition")
	b.ReportMetric(states*1e9/perRun, "transitions/s")
}

// BenchmarkRunMapPass runs an inline Map of 1,000 Pass items through
// Machine.Run in writes of at most 500 steps, as internal/sfn does, the
// Exec encoded and decoded between writes.
func BenchmarkRunMapPass(b *testing.B) {
	const items = 1000
	m, err := Parse([]byte(`{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value"},
		"ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}}`))
	if err != nil {
		b.Fatal(err)
	}
	in := make([]string, items)
	for i := range in {
		in[i] = fmt.Sprintf(`{"id": %d}`, i)
	}
	input := []byte("[" + strings.Join(in, ",") + "]")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	writes := 0
	for b.Loop() {
		rec := &countRecorder{}
		x := m.NewExec(input)
		in := Input{Kind: InputStart}
		for {
			effects, err := m.Run(x, in, Env{Now: now, Record: rec, MaxEvents: 25000, MaxSteps: 500, MaxBytes: 1 << 20})
			if err != nil {
				b.Fatal(err)
			}
			writes++
			if len(effects) == 1 && effects[0].Kind == EffectSucceed {
				break
			}
			if len(effects) != 1 || effects[0].Kind != EffectContinue {
				b.Fatalf("effects %+v", effects)
			}
			enc, err := json.Marshal(x)
			if err != nil {
				b.Fatal(err)
			}
			x = &Exec{}
			if err := json.Unmarshal(enc, x); err != nil {
				b.Fatal(err)
			}
			in = Input{Kind: InputContinue}
		}
	}
	perRun := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(items*1e9/perRun, "items/s")
	b.ReportMetric(float64(writes)/float64(b.N), "writes/map")
}

// BenchmarkExecRecordMapTasks measures what each task outcome of a running
// inline Map of n activity tasks costs the execution record: decoding the
// Exec, Run with the outcome, encoding it again, as internal/sfn does on
// every SendTaskSuccess.
func BenchmarkExecRecordMapTasks(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			m, err := Parse([]byte(strings.ReplaceAll(`{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemSelector": {"item.$": "$$.Map.Item.Value"},
				"ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "$ACT", "End": true}}}, "End": true}}}`, "$ACT", act)))
			if err != nil {
				b.Fatal(err)
			}
			in := make([]string, n)
			for i := range in {
				in[i] = fmt.Sprintf(`{"id": %d}`, i)
			}
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			rec := &countRecorder{}
			x := m.NewExec([]byte("[" + strings.Join(in, ",") + "]"))
			effects, err := m.Run(x, Input{Kind: InputStart}, Env{Now: now, Record: rec})
			if err != nil || len(effects) != min(n, maxInlineIterations) {
				b.Fatalf("%d effects, err %v", len(effects), err)
			}
			var open []int
			for _, e := range effects {
				open = append(open, e.Frame)
			}
			// Complete half the items (at most 40 run at once): the record
			// is at its middle size.
			for range n / 2 {
				f := open[0]
				open = open[1:]
				effects, err := m.Run(x, Input{Kind: InputTaskSucceeded, Frame: f, Output: []byte(`{"done":true}`)}, Env{Now: now, Record: rec})
				if err != nil {
					b.Fatal(err)
				}
				for _, e := range effects {
					if e.Kind == EffectSchedule {
						open = append(open, e.Frame)
					}
				}
			}
			enc, err := json.Marshal(x)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			f := open[0]
			for b.Loop() {
				y := &Exec{}
				if err := json.Unmarshal(enc, y); err != nil {
					b.Fatal(err)
				}
				if _, err := m.Run(y, Input{Kind: InputTaskSucceeded, Frame: f, Output: []byte(`{"done":true}`)}, Env{Now: now, Record: rec}); err != nil {
					b.Fatal(err)
				}
				if _, err := json.Marshal(y); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(enc)), "record-bytes")
		})
	}
}
