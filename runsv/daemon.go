package runsv

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gorunit/gorunit/internal/proc"
	"github.com/gorunit/gorunit/internal/status"
	"golang.org/x/sys/unix"
)

// Programs that put themselves in the background (nginx without "daemon
// off;", many older daemons) make ./run exit at once while the real
// service goes on. A service with a daemon file is followed instead:
// runsv is a child subreaper, so the daemon becomes its child when ./run
// and any intermediate parent exit, and runsv adopts it as the service's
// pid. Its death then counts as the service's exit.

// adoptWindow is how long runsv looks for the daemon after ./run exited
// before it takes the exit as the service's: daemons write their pid
// file a moment after they fork.
const adoptWindow = 5 * time.Second

// adoptPoll is how often it looks during that window.
const adoptPoll = 20 * time.Millisecond

// becomeSubreaper makes orphans of our services our children, once.
func (r *runsv) becomeSubreaper() {
	if r.subreaper {
		return
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		r.warnErr("unable to become a subreaper: daemons cannot be followed", err)
		return
	}
	r.subreaper = true
}

// startAdopting begins the look for a daemon after the service's process
// ended with ws. It reports false when the exit is the service's end: no
// daemon file, a stop we asked for, down wanted, or ./run failed.
func (r *runsv) startAdopting(s *service, ws unix.WaitStatus, asked bool) bool {
	if s.opts.daemon == nil || !r.subreaper || asked || s.want != wantUp || s.state != status.Run {
		return false
	}
	if !s.following && !(ws.Exited() && ws.ExitStatus() == 0) {
		return false
	}
	s.adopting = true
	s.adoptEnd = time.Now().Add(adoptWindow)
	s.readopt = s.following
	if s.readopt {
		// The daemon itself died. Only a successor already in place (a
		// re-exec, or the last of a double fork) is followed; several
		// orphans (a master's workers) mean a crash, and no waiting.
		s.adoptEnd = time.Now()
	}
	s.adoptWS = ws
	s.following = false
	r.tendAdoption(s)
	return true
}

// tendAdoption looks once for the daemon. It adopts it, ends the search
// when there is nothing to find or time is up, and returns when to look
// again (0: the search is over).
func (r *runsv) tendAdoption(s *service) time.Duration {
	if !s.adopting {
		return 0
	}
	if s.want != wantUp {
		s.adopting = false
		r.ended(s, s.adoptWS, true)
		return 0
	}
	last := !time.Now().Before(s.adoptEnd)
	pid, again := r.findDaemon(s, !last)
	switch {
	case pid > 0:
		s.adopting = false
		s.following = true
		s.pid = pid
		s.pidChanged = true
		if s.opts.killTree {
			s.tree.add(pid)
		}
		r.writeStatus(s)
		r.writeReady(s)
		return 0
	case again && !last:
		return adoptPoll
	}
	s.adopting = false
	r.ended(s, s.adoptWS, false)
	return 0
}

// findDaemon names the daemon to follow: the live child named by the pid
// file, or, without one, the one child left that is no service's. again
// says the answer may change if it looks later; patient says it will, so
// several orphans are not yet resolved by picking the oldest.
func (r *runsv) findDaemon(s *service, patient bool) (pid int, again bool) {
	self := os.Getpid()
	var orphans []proc.Process
	for _, p := range proc.List() {
		if p.PPID != self || p.Zombie() || r.known(p.PID) {
			continue
		}
		orphans = append(orphans, p)
	}
	if file := s.opts.daemon.PIDFile; file != "" {
		if !filepath.IsAbs(file) && s.isLog {
			file = filepath.Join("log", file)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return 0, true
		}
		want, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			return 0, true
		}
		for _, p := range orphans {
			if p.PID == want {
				return want, false
			}
		}
		return 0, true
	}
	switch {
	case len(orphans) == 1:
		return orphans[0].PID, false
	case len(orphans) == 0:
		return 0, false
	case patient:
		return 0, true
	case s.readopt:
		return 0, false // a followed daemon died leaving several: a crash
	}
	oldest := orphans[0]
	for _, p := range orphans[1:] {
		if p.Start < oldest.Start {
			oldest = p
		}
	}
	r.warnErr(s.name+"daemon: more than one process left; following the oldest, pid "+strconv.Itoa(oldest.PID), nil)
	return oldest.PID, false
}

// known reports whether pid is one of runsv's own services' processes.
func (r *runsv) known(pid int) bool {
	for _, s := range r.services() {
		if s.pid == pid {
			return true
		}
	}
	return false
}
