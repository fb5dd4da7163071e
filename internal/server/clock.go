package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
)

// ManualClock is a node clock that moves only when told (`gaffer serve
// --clock manual`, POST /gaffer/clock): Wait states, heartbeat and
// start-to-close timeouts, retry back-offs, SWF timers and Data Pipeline
// schedules then fire as its virtual time passes, so a test of a one-hour
// timeout takes milliseconds. It never moves back: deadlines already fired
// stay fired. The zero value is not usable; see NewManualClock.
type ManualClock struct {
	mu    sync.Mutex
	now   time.Time
	moved func() // wakes the engine's deadline loop (Engine.ClockMoved)
}

// NewManualClock returns a manual clock reading start.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{now: start.UTC()}
}

// Now returns the clock's reading.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// ErrClockBackwards is returned by Advance and Set for a move into the
// past.
var ErrClockBackwards = errors.New("the manual clock never moves back")

// Advance moves the clock forward by d and returns the new reading.
func (c *ManualClock) Advance(d time.Duration) (time.Time, error) {
	if d < 0 {
		return c.Now(), fmt.Errorf("advance %v: %w", d, ErrClockBackwards)
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	now, moved := c.now, c.moved
	c.mu.Unlock()
	if moved != nil {
		moved()
	}
	return now, nil
}

// Set moves the clock to t, which must not be before its reading, and
// returns the new reading.
func (c *ManualClock) Set(t time.Time) (time.Time, error) {
	c.mu.Lock()
	if t.Before(c.now) {
		now := c.now
		c.mu.Unlock()
		return now, fmt.Errorf("set %s (now %s): %w", t.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano), ErrClockBackwards)
	}
	c.now = t.UTC()
	now, moved := c.now, c.moved
	c.mu.Unlock()
	if moved != nil {
		moved()
	}
	return now, nil
}

// onMove sets what the clock calls after each move.
func (c *ManualClock) onMove(f func()) {
	c.mu.Lock()
	c.moved = f
	c.mu.Unlock()
}

// clockView is the answer of GET and POST /gaffer/clock.
type clockView struct {
	Now    time.Time `json:"now"`
	Manual bool      `json:"manual"`
}

// clockRequest is POST /gaffer/clock's body: one of Advance (a Go
// duration, "90s", "24h") and Set (RFC 3339).
type clockRequest struct {
	Advance string `json:"advance"`
	Set     string `json:"set"`
}

// maxClockBody bounds POST /gaffer/clock's body.
const maxClockBody = 4 << 10

// getClock answers GET /gaffer/clock: the node's time, and whether it is
// the manual clock.
func (s *Server) getClock(w http.ResponseWriter, _ *http.Request) {
	now := time.Now().UTC()
	if s.engine != nil {
		now = s.engine.Now().UTC()
	}
	writeJSON(w, clockView{Now: now, Manual: s.cfg.Clock != nil}, nil)
}

// postClock answers POST /gaffer/clock: it moves the manual clock and
// answers the new time. A node on the real clock answers 409.
func (s *Server) postClock(w http.ResponseWriter, r *http.Request) {
	c := s.cfg.Clock
	if c == nil {
		writeError(w, http.StatusConflict, awsapi.Errorf(awsapi.CodeValidation, "the node runs on the real clock: start it with --clock manual to move its time"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxClockBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, awsapi.Errorf(awsapi.CodeSerialization, "cannot read request body: %v", err))
		return
	}
	var req clockRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, awsapi.Errorf(awsapi.CodeSerialization, "want a JSON object {\"advance\":\"90s\"} or {\"set\":\"2026-01-02T15:04:05Z\"}: %v", err))
		return
	}
	var now time.Time
	switch {
	case req.Advance != "" && req.Set != "":
		err = errors.New("give one of advance and set, not both")
	case req.Advance != "":
		var d time.Duration
		if d, err = time.ParseDuration(req.Advance); err != nil {
			err = fmt.Errorf("advance: %q is not a Go duration (90s, 1h30m): %w", req.Advance, err)
			break
		}
		now, err = c.Advance(d)
	case req.Set != "":
		var t time.Time
		if t, err = time.Parse(time.RFC3339Nano, req.Set); err != nil {
			err = fmt.Errorf("set: %q is not an RFC 3339 time: %w", req.Set, err)
			break
		}
		now, err = c.Set(t)
	default:
		err = errors.New("give advance (a Go duration) or set (an RFC 3339 time)")
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, awsapi.Errorf(awsapi.CodeValidation, "%v", err))
		return
	}
	s.log.Info("manual clock moved", "now", now)
	writeJSON(w, clockView{Now: now, Manual: true}, nil)
}
