package runsvdir

import (
	"time"

	"golang.org/x/sys/unix"
)

// reapTimeout bounds the last wait, after KILL to every process, for the
// dead to be reaped. Only a process stuck in the kernel (D state) takes
// longer; the kernel kills it when we, PID 1, exit anyway.
const reapTimeout = 2 * time.Second

// reapPoll is how often that last wait looks again when no SIGCHLD comes.
const reapPoll = 10 * time.Millisecond

// stop begins the graceful stop runsvdir does as PID 1, where exiting
// would have the kernel KILL every service at once (the complaint about
// runit's runsvdir as a container's command): TERM to every runsv, which
// acts as "sv exit" (the service gets TERM, its ./finish runs, its log
// service reads what is left and exits), then wait for them all, up to
// the timeout. The loop calls finish once they are gone or time is up.
func (r *runsvdir) stop(code int) {
	if r.stopping {
		return // a second TERM changes nothing: the clock already runs
	}
	r.stopping = true
	r.code = code
	r.deadline = time.Now().Add(r.timeout)
	for pid := range r.runsv {
		unix.Kill(pid, unix.SIGTERM) // the runsv of removed services too: they may still be at it
	}
}

// finish ends the graceful stop: KILL to every process left (kill(-1)
// reaches all but PID 1 itself: services that ignored TERM, their
// children, orphans), reap them all, and return the exit code.
func (r *runsvdir) finish() int {
	if len(r.runsv) > 0 {
		r.warn("timed out after "+r.timeout.String()+" waiting for services to stop; killing every process", nil)
	}
	if r.pid1 { // never as anything else: kill(-1) as root would reach the whole machine
		unix.Kill(-1, unix.SIGKILL)
	}
	deadline := time.Now().Add(reapTimeout)
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		switch {
		case err == unix.ECHILD:
			return r.code // nothing left at all
		case err == unix.EINTR || pid > 0:
			continue
		case err != nil || !time.Now().Before(deadline):
			return r.code
		}
		select {
		case <-r.sigc:
		case <-time.After(reapPoll):
		}
	}
}
