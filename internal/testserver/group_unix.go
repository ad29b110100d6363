//go:build unix

package testserver

import (
	"os/exec"
	"syscall"
)

// setGroup puts the process in a group of its own, so that killGroup also
// ends the children it spawns (miniflare's workerd).
func setGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
