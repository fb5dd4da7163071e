//go:build !unix

package runner

import (
	"os"
	"os/exec"
	"syscall"
)

// setGroup does nothing where there are no process groups.
func setGroup(cmd *exec.Cmd) {}

// signalGroup stops the command itself (no process groups here): SIGKILL
// as os.Kill, any other signal as os.Interrupt.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) {
	if cmd.Process == nil {
		return
	}
	if sig == syscall.SIGKILL {
		_ = cmd.Process.Kill()
		return
	}
	_ = cmd.Process.Signal(os.Interrupt)
}
