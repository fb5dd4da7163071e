package runner

import "time"

// WaitBeat waits until a heartbeat that the service accepted carried the
// details want (SWF: the command's last stderr line), and reports whether
// one did within the given time.
func WaitBeat(r *Runner, within time.Duration, want string) bool {
	return r.beats.Until(within, func() bool {
		p := r.lastBeat.Load()
		return p != nil && *p == want
	})
}
