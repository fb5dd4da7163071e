//go:build !unix

package server

// fdLimit returns 0: there is no RLIMIT_NOFILE here.
func fdLimit() int { return 0 }
