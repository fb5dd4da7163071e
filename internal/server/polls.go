package server

// maxDefaultWaitingPolls bounds DefaultMaxWaitingPolls: a waiting poll
// holds some 18 KiB (its connection, request and goroutines), so 100,000
// of them hold some 1.8 GiB.
const maxDefaultWaitingPolls = 100_000

// DefaultMaxWaitingPolls is Config.MaxWaitingPolls's default: half the
// process's open-file limit (RLIMIT_NOFILE, which the server raises at
// start: RaiseFDLimit), since each waiting poll holds a connection and the
// other half is left for the rest, at most 100,000; 10,000 where there is
// no such limit.
func DefaultMaxWaitingPolls() int {
	limit := fdLimit()
	if limit <= 0 {
		return 10_000
	}
	return max(min(limit/2, maxDefaultWaitingPolls), 1)
}
