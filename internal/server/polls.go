package server

import "syscall"

// maxDefaultWaitingPolls bounds DefaultMaxWaitingPolls: a waiting poll
// holds some 20 KiB (its connection, request and goroutine), so 10,000 of
// them hold some 200 MiB.
const maxDefaultWaitingPolls = 10_000

// DefaultMaxWaitingPolls is Config.MaxWaitingPolls's default: half the
// process's open-file limit (RLIMIT_NOFILE, which Go raises to the hard
// limit at start), since each waiting poll holds a connection and the other
// half is left for the rest, at most 10,000; 10,000 where the limit cannot
// be read.
func DefaultMaxWaitingPolls() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return maxDefaultWaitingPolls
	}
	return int(max(min(lim.Cur/2, maxDefaultWaitingPolls), 1))
}
