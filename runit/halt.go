package runit

import (
	"os"
	"time"

	"github.com/gorunit/gorunit/internal/errtext"
	"github.com/gorunit/gorunit/internal/reap"
	"golang.org/x/sys/unix"
)

// machinePIDNamespace is the inode number of the machine's own PID
// namespace (the kernel's PROC_PID_INIT_INO): only there does reboot(2)
// act on the machine.
const machinePIDNamespace = 0xEFFFFFFC

// Exit codes when a container refuses reboot(2): those a container
// runtime reports when reboot(2) works in a PID namespace, where it ends
// process 1 as if by SIGHUP (reboot) or SIGINT (power off).
const (
	exitRebooted = 128 + int(unix.SIGHUP)
	exitHalted   = 128 + int(unix.SIGINT)
)

// halt ends machine mode after stage 3, as runit does: KILL to every
// process, sync unless the nosync file exists (runit 2.2.0), then
// reboot(2), a reboot when the reboot file is u+x, else power off (or
// halt, when the kernel cannot power off). Process 1 calls reboot(2)
// itself, as systemd-shutdown does: runit forks for it, which a Go
// program cannot.
//
// On a machine it never returns. In a container that refuses reboot(2)
// (no CAP_SYS_BOOT, docker's default) it returns the exit code the
// reboot would have given, since there nothing is left but to exit.
func (m *machine) halt(sigc <-chan os.Signal) int {
	openConsole()
	m.info("sending KILL signal to all processes...")
	unix.Kill(-1, unix.SIGKILL)

	// reboot(2) returns only when refused.
	code := exitRebooted
	if userExecutable(stagePath("reboot")) {
		m.info("system reboot.")
		m.sync()
		err := unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART)
		m.warn("unable to reboot: %s", errtext.Of(err))
	} else {
		code = exitHalted
		m.info("power off...")
		m.sync()
		err := unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
		m.warn("unable to power off: %s", errtext.Of(err))
		m.info("system halt.")
		err = unix.Reboot(unix.LINUX_REBOOT_CMD_HALT)
		m.warn("unable to halt: %s", errtext.Of(err))
	}
	if !onMachine() {
		return code
	}
	// Process 1 must not exit (the kernel would panic): reap until the
	// power is switched off.
	tick := time.NewTicker(idleWake)
	for {
		select {
		case <-sigc:
		case <-tick.C:
		}
		reap.Drain(func(int, unix.WaitStatus) { m.orphans++ })
	}
}

// sync flushes the file systems unless the nosync file exists, for
// virtual servers whose host does that.
func (m *machine) sync() {
	if _, err := os.Stat(stagePath("nosync")); err != nil {
		unix.Sync()
	}
}

// onMachine reports whether we are in the machine's own PID namespace,
// where process 1 exiting panics the kernel. When it cannot tell (no
// /proc), it says yes: waiting is always safe.
func onMachine() bool {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/ns/pid", &st); err != nil {
		return true
	}
	return st.Ino == machinePIDNamespace
}
