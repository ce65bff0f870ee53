package s3test

import (
	"os/exec"
	"syscall"
)

// setPdeathsig makes the kernel kill the server when the test process dies,
// so that a crashed test leaves no server behind.
func setPdeathsig(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
