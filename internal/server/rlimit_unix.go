//go:build unix

package server

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// fdLimit returns the soft RLIMIT_NOFILE, or 0 if it cannot be read or is
// unlimited (or absurdly high).
func fdLimit() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<30 {
		return 0
	}
	return int(rl.Cur)
}

// RaiseFDLimit raises the process's open-file limit (RLIMIT_NOFILE) as far
// as it is allowed: both limits to wantFDLimit (bounded by Linux's
// fs.nr_open) where the process may raise its hard limit (root, or
// CAP_SYS_RESOURCE), else the soft limit to the hard one (which Go already
// does at start). It returns the soft limit before and after; after equals
// before if nothing could be raised, and err says why a raise was refused
// (the soft limit may still have been raised to the hard one).
// DefaultMaxConnections and DefaultMaxWaitingPolls derive from the limit
// in force when they are called: call RaiseFDLimit first.
func RaiseFDLimit() (before, after uint64, err error) {
	return raiseFDLimit(sysRlimit{}, wantFDLimit(nrOpen()))
}

// sysRlimit reads and sets the process's RLIMIT_NOFILE.
type sysRlimit struct{}

func (sysRlimit) get() (syscall.Rlimit, error) {
	var rl syscall.Rlimit
	err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
	return rl, err
}

func (sysRlimit) set(rl syscall.Rlimit) error { return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl) }

// rlimiter reads and sets an RLIMIT_NOFILE (tests: a fake).
type rlimiter interface {
	get() (syscall.Rlimit, error)
	set(syscall.Rlimit) error
}

// raiseFDLimit raises rl's soft limit to want, raising its hard limit to
// want first if it is lower; if the hard limit may not be raised, the soft
// limit goes to the hard one.
func raiseFDLimit(rl rlimiter, want uint64) (before, after uint64, err error) {
	cur, err := rl.get()
	if err != nil {
		return 0, 0, err
	}
	before = cur.Cur
	if cur.Cur >= want {
		return before, before, nil
	}
	if cur.Max < want {
		if err = rl.set(syscall.Rlimit{Cur: want, Max: want}); err == nil {
			return before, want, nil
		}
		// Not allowed to raise the hard limit: up to it, at least.
		if cur.Cur >= cur.Max {
			return before, before, err
		}
		if serr := rl.set(syscall.Rlimit{Cur: cur.Max, Max: cur.Max}); serr != nil {
			return before, before, serr
		}
		return before, cur.Max, err
	}
	if err := rl.set(syscall.Rlimit{Cur: want, Max: cur.Max}); err != nil {
		return before, before, err
	}
	return before, want, nil
}

// maxFDLimit is the open-file limit RaiseFDLimit aims at: room for
// maxDefaultWaitingPolls polls beside as many other connections, with
// plenty to spare.
const maxFDLimit = 1 << 20

// wantFDLimit is the limit to aim at given Linux's fs.nr_open (0 if
// unknown), the most a process's RLIMIT_NOFILE may be.
func wantFDLimit(nrOpen uint64) uint64 {
	if nrOpen > 0 {
		return min(nrOpen, maxFDLimit)
	}
	return maxFDLimit
}

// nrOpen reads Linux's fs.nr_open; 0 elsewhere or if it cannot be read.
func nrOpen() uint64 {
	b, err := os.ReadFile("/proc/sys/fs/nr_open")
	if err != nil {
		return 0
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0
	}
	return n
}
