package asl

import (
	"math"
	"time"
)

// retrier is one element of a Task state's Retry field.
type retrier struct {
	errorEquals []string
	interval    int     // IntervalSeconds, default 1
	maxAttempts int     // MaxAttempts, default 3; 0: never retry
	backoff     float64 // BackoffRate, default 2.0
	maxDelay    int     // MaxDelaySeconds; 0: no cap
	fullJitter  bool    // JitterStrategy FULL
}

// catcher is one element of a Task state's Catch field.
type catcher struct {
	errorEquals []string
	next        string
	resultPath  resultPath  // JSONPath
	output      *jtemplate  // JSONata: Output; nil: $states.errorOutput
	assign      *assignment // Assign
}

// longestDelay bounds a retry delay so that the arithmetic cannot overflow.
const longestDelay = time.Duration(math.MaxInt64) / time.Millisecond * time.Millisecond

// delay returns the wait before retry number n (0 for the first retry):
// IntervalSeconds × BackoffRate^n, capped by MaxDelaySeconds, multiplied by
// jitter (clamped to [0, 1]) under JitterStrategy FULL, rounded to the
// millisecond.
func (r *retrier) delay(n int, jitter float64) time.Duration {
	secs := float64(r.interval) * math.Pow(r.backoff, float64(n))
	if r.maxDelay > 0 && secs > float64(r.maxDelay) {
		secs = float64(r.maxDelay)
	}
	if r.fullJitter {
		secs *= min(max(jitter, 0), 1)
	}
	ms := math.Round(secs * 1000)
	if math.IsNaN(ms) || ms >= float64(longestDelay/time.Millisecond) {
		return longestDelay
	}
	return time.Duration(ms) * time.Millisecond
}

// errorMatches reports whether the ErrorEquals entry pattern covers the error
// name:
//
//   - a name matches itself;
//   - States.ALL matches every error except States.Runtime and
//     States.DataLimitExceeded;
//   - States.TaskFailed matches every error except States.Timeout,
//     States.HeartbeatTimeout, States.Runtime and States.DataLimitExceeded;
//   - States.Timeout also matches States.HeartbeatTimeout.
func errorMatches(pattern, name string) bool {
	switch {
	case pattern == name:
		return true
	case pattern == ErrorAll:
		return name != ErrorRuntime && name != ErrorDataLimitExceeded
	case pattern == ErrorTaskFailed:
		switch name {
		case ErrorTimeout, ErrorHeartbeatTimeout, ErrorRuntime, ErrorDataLimitExceeded:
			return false
		}
		return true
	case pattern == ErrorTimeout:
		return name == ErrorHeartbeatTimeout
	}
	return false
}

// anyMatches reports whether one of patterns covers name.
func anyMatches(patterns []string, name string) bool {
	for _, p := range patterns {
		if errorMatches(p, name) {
			return true
		}
	}
	return false
}

// matchRetrier returns the index of the first retrier that covers name, or -1.
// Only that retrier applies: once its attempts are used up the error goes to
// the catchers, even if a later retrier also covers it (as the ASL spec says).
func matchRetrier(rs []retrier, name string) int {
	for i := range rs {
		if anyMatches(rs[i].errorEquals, name) {
			return i
		}
	}
	return -1
}

// matchCatcher returns the first catcher that covers name, or nil.
func matchCatcher(cs []catcher, name string) *catcher {
	for i := range cs {
		if anyMatches(cs[i].errorEquals, name) {
			return &cs[i]
		}
	}
	return nil
}
