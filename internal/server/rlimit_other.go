//go:build !unix

package server

// fdLimit returns 0: there is no RLIMIT_NOFILE here.
func fdLimit() int { return 0 }

// RaiseFDLimit does nothing: there is no RLIMIT_NOFILE here.
func RaiseFDLimit() (before, after uint64, err error) { return 0, 0, nil }
