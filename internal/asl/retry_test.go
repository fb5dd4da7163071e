package asl

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		r      retrier
		n      int
		jitter float64
		want   time.Duration
	}{
		{"defaults first", retrier{interval: 1, backoff: 2}, 0, 0, time.Second},
		{"defaults second", retrier{interval: 1, backoff: 2}, 1, 0, 2 * time.Second},
		{"defaults third", retrier{interval: 1, backoff: 2}, 2, 0, 4 * time.Second},
		{"backoff 1 is constant", retrier{interval: 5, backoff: 1}, 7, 0, 5 * time.Second},
		{"fractional backoff", retrier{interval: 2, backoff: 1.5}, 2, 0, 4500 * time.Millisecond},
		{"rounded to milliseconds", retrier{interval: 1, backoff: 1.0001}, 1, 0, 1 * time.Second},
		{"capped by MaxDelaySeconds", retrier{interval: 3, backoff: 3, maxDelay: 20}, 2, 0, 20 * time.Second},
		{"below the cap", retrier{interval: 3, backoff: 3, maxDelay: 20}, 1, 0, 9 * time.Second},
		{"full jitter scales", retrier{interval: 4, backoff: 2, fullJitter: true}, 1, 0.25, 2 * time.Second},
		{"full jitter zero", retrier{interval: 4, backoff: 2, fullJitter: true}, 1, 0, 0},
		{"full jitter after the cap", retrier{interval: 10, backoff: 10, maxDelay: 60, fullJitter: true}, 3, 0.5, 30 * time.Second},
		{"jitter ignored without FULL", retrier{interval: 4, backoff: 2}, 1, 0.25, 8 * time.Second},
		{"jitter clamped", retrier{interval: 4, backoff: 1, fullJitter: true}, 0, 7, 4 * time.Second},
		{"huge exponent saturates", retrier{interval: 99999999, backoff: 1000}, 5000, 0, longestDelay},
	}
	for _, tt := range tests {
		if got := tt.r.delay(tt.n, tt.jitter); got != tt.want {
			t.Errorf("%s: delay(%d, %v) = %v, want %v", tt.name, tt.n, tt.jitter, got, tt.want)
		}
	}
}

func TestErrorMatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"MyError", "MyError", true},
		{"MyError", "myerror", false},
		{"MyError", "Other", false},
		{"States.ALL", "MyError", true},
		{"States.ALL", "States.TaskFailed", true},
		{"States.ALL", "States.Timeout", true},
		{"States.ALL", "States.HeartbeatTimeout", true},
		{"States.ALL", "States.ResultPathMatchFailure", true},
		{"States.ALL", "States.Runtime", false},
		{"States.ALL", "States.DataLimitExceeded", false},
		{"States.TaskFailed", "MyError", true},
		{"States.TaskFailed", "States.TaskFailed", true},
		{"States.TaskFailed", "States.Permissions", true},
		{"States.TaskFailed", "States.Timeout", false},
		{"States.TaskFailed", "States.HeartbeatTimeout", false},
		{"States.TaskFailed", "States.Runtime", false},
		{"States.TaskFailed", "States.DataLimitExceeded", false},
		{"States.Timeout", "States.Timeout", true},
		{"States.Timeout", "States.HeartbeatTimeout", true},
		{"States.Timeout", "MyError", false},
		{"States.HeartbeatTimeout", "States.HeartbeatTimeout", true},
		{"States.HeartbeatTimeout", "States.Timeout", false},
		{"States.DataLimitExceeded", "States.DataLimitExceeded", true},
		{"States.Runtime", "States.Runtime", true},
	}
	for _, tt := range tests {
		if got := errorMatches(tt.pattern, tt.name); got != tt.want {
			t.Errorf("errorMatches(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

// retryMachine builds a Task state T with the given Retry and Catch arrays
// and handler states (chained after OK so that all are reachable).
func retryMachine(t *testing.T, retry, catch string) *Machine {
	t.Helper()
	return mustParse(t, `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"`+activity+`","Retry":`+retry+`,"Catch":`+catch+`,"Next":"OK"},
		"OK":{"Type":"Pass","Next":"H1"},"H1":{"Type":"Pass","Next":"H2"},"H2":{"Type":"Succeed"}}}`)
}

func TestTaskFailedRetries(t *testing.T) {
	t.Parallel()
	m := retryMachine(t, `[
		{"ErrorEquals":["Never"],"MaxAttempts":0},
		{"ErrorEquals":["A","B"],"IntervalSeconds":2,"MaxAttempts":2,"BackoffRate":3},
		{"ErrorEquals":["States.ALL"]}
	]`, `[{"ErrorEquals":["Never","A","Other"],"Next":"H1"},{"ErrorEquals":["States.ALL"],"Next":"H2"}]`)
	type call struct {
		err       string
		kind      StepKind
		delay     time.Duration
		counts    []int
		next      string
		failError string
	}
	tests := []struct {
		name  string
		calls []call
	}{
		{"MaxAttempts 0 never retries", []call{
			{err: "Never", kind: StepNext, next: "H1"},
		}},
		{"backoff then catch", []call{
			{err: "A", kind: StepRetry, delay: 2 * time.Second, counts: []int{0, 1, 0}},
			{err: "B", kind: StepRetry, delay: 6 * time.Second, counts: []int{0, 2, 0}},
			{err: "A", kind: StepNext, next: "H1"},
		}},
		{"exhausted retrier does not fall through to States.ALL", []call{
			{err: "B", kind: StepRetry, delay: 2 * time.Second, counts: []int{0, 1, 0}},
			{err: "B", kind: StepRetry, delay: 6 * time.Second, counts: []int{0, 2, 0}},
			{err: "B", kind: StepNext, next: "H2"},
		}},
		{"counters are per retrier", []call{
			{err: "X", kind: StepRetry, delay: time.Second, counts: []int{0, 0, 1}},
			{err: "A", kind: StepRetry, delay: 2 * time.Second, counts: []int{0, 1, 1}},
			{err: "X", kind: StepRetry, delay: 2 * time.Second, counts: []int{0, 1, 2}},
			{err: "X", kind: StepRetry, delay: 4 * time.Second, counts: []int{0, 1, 3}},
			{err: "X", kind: StepNext, next: "H2"},
		}},
		{"States.Runtime is never retried or caught", []call{
			{err: "States.Runtime", kind: StepFail, failError: "States.Runtime"},
		}},
		{"States.DataLimitExceeded is not covered by States.ALL", []call{
			{err: "States.DataLimitExceeded", kind: StepFail, failError: "States.DataLimitExceeded"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var counts []int
			for i, c := range tt.calls {
				step := m.TaskFailed("T", []byte(`{"in":1}`), c.err, "cause "+c.err, counts, 0.5, nil)
				if step.Kind != c.kind || step.State != "T" || step.Type != "Task" {
					t.Fatalf("call %d (%s): step = %+v, want kind %v", i, c.err, step, c.kind)
				}
				switch c.kind {
				case StepRetry:
					if step.Delay != c.delay || !slices.Equal(step.RetryCounts, c.counts) {
						t.Errorf("call %d (%s): delay %v counts %v, want %v %v", i, c.err, step.Delay, step.RetryCounts, c.delay, c.counts)
					}
					if step.Error != "" || step.Cause != "" {
						t.Errorf("call %d: retry step carries error %q %q", i, step.Error, step.Cause)
					}
					counts = step.RetryCounts
				case StepNext:
					want := `{"Error":"` + c.err + `","Cause":"cause ` + c.err + `"}`
					if step.Next != c.next || string(step.Output) != want {
						t.Errorf("call %d (%s): next %q output %s, want %q %s", i, c.err, step.Next, step.Output, c.next, want)
					}
				case StepFail:
					if step.Error != c.failError || step.Cause != "cause "+c.err {
						t.Errorf("call %d: fail %q %q", i, step.Error, step.Cause)
					}
				}
			}
		})
	}
}

func TestTaskFailedCountsNotAliased(t *testing.T) {
	t.Parallel()
	m := retryMachine(t, `[{"ErrorEquals":["A"]}]`, `[]`)
	prev := []int{1}
	step := m.TaskFailed("T", nil, "A", "", prev, 0, nil)
	if !slices.Equal(step.RetryCounts, []int{2}) || prev[0] != 1 {
		t.Errorf("RetryCounts = %v, previous = %v; want [2] and the previous slice untouched", step.RetryCounts, prev)
	}
	// Counters of the wrong length (a changed definition) are padded.
	step = m.TaskFailed("T", nil, "A", "", []int{0, 5, 5}, 0, nil)
	if !slices.Equal(step.RetryCounts, []int{1}) {
		t.Errorf("RetryCounts = %v, want [1]", step.RetryCounts)
	}
}

func TestTaskFailedCatchResultPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, catch, in string
		want            string // output, or "fail: <error>"
	}{
		{"default ResultPath replaces", `{"ErrorEquals":["E"],"Next":"H1"}`, `{"a":1}`, `{"Error":"E","Cause":"c <&>"}`},
		{"ResultPath $", `{"ErrorEquals":["E"],"ResultPath":"$","Next":"H1"}`, `{"a":1}`, `{"Error":"E","Cause":"c <&>"}`},
		{"ResultPath merges", `{"ErrorEquals":["E"],"ResultPath":"$.err","Next":"H1"}`, `{"a":1}`, `{"a":1,"err":{"Error":"E","Cause":"c <&>"}}`},
		{"ResultPath nested new", `{"ErrorEquals":["E"],"ResultPath":"$.x.y","Next":"H1"}`, `{"a":1}`, `{"a":1,"x":{"y":{"Error":"E","Cause":"c <&>"}}}`},
		{"ResultPath null", `{"ErrorEquals":["E"],"ResultPath":null,"Next":"H1"}`, `{"a":1}`, `{"a":1}`},
		{"ResultPath mismatch fails", `{"ErrorEquals":["E"],"ResultPath":"$.a.b","Next":"H1"}`, `{"a":1}`, "fail: States.ResultPathMatchFailure"},
		{"bad input fails", `{"ErrorEquals":["E"],"Next":"H1"}`, `{`, "fail: States.Runtime"},
		{"no matching catcher", `{"ErrorEquals":["Other"],"Next":"H1"}`, `{}`, "fail: E"},
		{"States.TaskFailed catches", `{"ErrorEquals":["States.TaskFailed"],"Next":"H2"}`, `{}`, `{"Error":"E","Cause":"c <&>"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := retryMachine(t, `[]`, `[`+tt.catch+`]`)
			step := m.TaskFailed("T", []byte(tt.in), "E", "c <&>", nil, 0, nil)
			if want, ok := strings.CutPrefix(tt.want, "fail: "); ok {
				if step.Kind != StepFail || step.Error != want {
					t.Errorf("step = %+v, want a failure with %s", step, want)
				}
				return
			}
			if step.Kind != StepNext || string(step.Output) != tt.want {
				t.Errorf("step = %v %s, want next with %s", step.Kind, step.Output, tt.want)
			}
		})
	}
}

func TestTaskFailedTimeoutMatching(t *testing.T) {
	t.Parallel()
	m := retryMachine(t, `[]`, `[{"ErrorEquals":["States.TaskFailed"],"Next":"H1"},{"ErrorEquals":["States.Timeout"],"Next":"H2"}]`)
	tests := []struct{ err, next string }{
		{"Boom", "H1"},
		{"States.Timeout", "H2"},
		{"States.HeartbeatTimeout", "H2"},
		{"States.TaskFailed", "H1"},
	}
	for _, tt := range tests {
		if step := m.TaskFailed("T", nil, tt.err, "", nil, 0, nil); step.Kind != StepNext || step.Next != tt.next {
			t.Errorf("TaskFailed(%s) = %v %q, want next %q", tt.err, step.Kind, step.Next, tt.next)
		}
	}
}

func TestTaskFailedWithoutRetryOrCatch(t *testing.T) {
	t.Parallel()
	m := mustParse(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+activity+`","End":true}}}`)
	step := m.TaskFailed("T", []byte(`{}`), "E", "why", nil, 0, nil)
	if step.Kind != StepFail || step.Error != "E" || step.Cause != "why" || step.Type != "Task" {
		t.Errorf("step = %+v, want fail E why", step)
	}
}
