package bench

import (
	"os"
	"syscall"
)

// datasync flushes f's data as SQLite's synchronous=FULL commit does on
// Linux (fdatasync).
func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
