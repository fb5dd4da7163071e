//go:build unix

package server

import (
	"syscall"
	"testing"
)

// fakeRlimit is an RLIMIT_NOFILE whose hard limit may be raised only if
// privileged.
type fakeRlimit struct {
	rl         syscall.Rlimit
	privileged bool
	sets       int
}

func (f *fakeRlimit) get() (syscall.Rlimit, error) { return f.rl, nil }

func (f *fakeRlimit) set(rl syscall.Rlimit) error {
	f.sets++
	if rl.Cur > rl.Max || rl.Max > f.rl.Max && !f.privileged {
		return syscall.EPERM
	}
	f.rl = rl
	return nil
}

func TestRaiseFDLimit(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name               string
		cur, max           uint64
		privileged         bool
		wantAfter, wantMax uint64
		wantErr, wantNoSet bool
	}{
		{name: "privileged: both limits to the wanted value", cur: 1024, max: 20000, privileged: true, wantAfter: 1 << 20, wantMax: 1 << 20},
		{name: "unprivileged: the soft limit to the hard one", cur: 1024, max: 20000, wantAfter: 20000, wantMax: 20000, wantErr: true},
		{name: "unprivileged at the hard limit: unchanged", cur: 20000, max: 20000, wantAfter: 20000, wantMax: 20000, wantErr: true},
		{name: "hard limit above the wanted value: the soft limit to it", cur: 1024, max: 1 << 30, wantAfter: 1 << 20, wantMax: 1 << 30},
		{name: "already there: nothing set", cur: 1 << 20, max: 1 << 20, wantAfter: 1 << 20, wantMax: 1 << 20, wantNoSet: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeRlimit{rl: syscall.Rlimit{Cur: tt.cur, Max: tt.max}, privileged: tt.privileged}
			before, after, err := raiseFDLimit(f, 1<<20)
			if before != tt.cur || after != tt.wantAfter {
				t.Errorf("raiseFDLimit = %d → %d, want %d → %d", before, after, tt.cur, tt.wantAfter)
			}
			if f.rl.Cur != tt.wantAfter || f.rl.Max != tt.wantMax {
				t.Errorf("limit now %d (hard %d), want %d (hard %d)", f.rl.Cur, f.rl.Max, tt.wantAfter, tt.wantMax)
			}
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, want an error: %v", err, tt.wantErr)
			}
			if tt.wantNoSet && f.sets > 0 {
				t.Errorf("%d Setrlimit calls, want none", f.sets)
			}
		})
	}
	if got := wantFDLimit(0); got != maxFDLimit {
		t.Errorf("wantFDLimit(unknown nr_open) = %d, want %d", got, maxFDLimit)
	}
	if got := wantFDLimit(65536); got != 65536 {
		t.Errorf("wantFDLimit(nr_open 65536) = %d, want 65536", got)
	}
}
