// Package reap collects exited children for processes that own all of them:
// runsv, runsvdir and runit drain wait4(-1) after every SIGCHLD and route
// each pid themselves. It has no goroutine of its own; the caller's event
// loop calls Drain. (Mixing this with os/exec's Cmd.Wait loses statuses:
// whichever waits first wins; see FIELD-NOTES 4.13.)
package reap

import "golang.org/x/sys/unix"

// Drain reaps every child that has exited, without blocking, and calls
// exited for each. It returns when no exited child is left, with how many
// it reaped and whether no child at all is left (ECHILD): a PID 1 or
// subreaper that is shutting down is done then.
func Drain(exited func(pid int, ws unix.WaitStatus)) (reaped int, none bool) {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return reaped, err == unix.ECHILD
		}
		reaped++
		exited(pid, ws)
	}
}

// Wait blocks until the child pid exits and returns its status. runsv
// uses it for control/ scripts, which it runs to completion.
func Wait(pid int) (unix.WaitStatus, error) {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if err != unix.EINTR {
			return ws, err
		}
	}
}

// Code is the exit code a shell would report for ws: the exit status, or
// 128 plus the signal that killed the process.
func Code(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
