//go:build unix

package server

import "syscall"

// fdLimit returns the soft RLIMIT_NOFILE, or 0 if it cannot be read or is
// unlimited (or absurdly high).
func fdLimit() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<30 {
		return 0
	}
	return int(rl.Cur)
}
