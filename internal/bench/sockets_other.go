//go:build !linux

package bench

import "syscall"

// bindNoPort does nothing here.
func bindNoPort(_, _ string, _ syscall.RawConn) error { return nil }

// manyLoopbackSources reports whether every 127.0.0.0/8 address is a
// local source address (elsewhere than on Linux, only 127.0.0.1 is sure).
const manyLoopbackSources = false

// ephemeralPorts returns how many ephemeral ports one source address has
// (IANA's range, the BSDs' default).
func ephemeralPorts() int { return 16384 }
