package runsv

import (
	"os"
	"time"

	"github.com/gorunit/gorunit/internal/reap"
	"github.com/gorunit/gorunit/internal/status"
	"github.com/gorunit/gorunit/internal/tai64n"
	"golang.org/x/sys/unix"
)

// throttle is how long runsv holds back a restart of ./run that ended less
// than this after it started (runsv(8): "waits a second").
const throttle = time.Second

// loop is runsv's single event loop, the only code that changes service
// state. Every turn runs the same steps, as runit's: exit once told to
// and down, start what is due, wait for a signal, a control byte or the
// throttle timer, reap every exited child, act on the control byte.
func (r *runsv) loop() int {
	r.ctl = make(chan control)
	r.readyc = make(chan readyEvent)
	for _, s := range r.services() {
		go r.readControl(s.isLog, s.supervise.control)
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var dirWait time.Duration // when to look at a deleted directory again
	for {
		// tend first: the end of a process tree may be what lets runsv
		// exit, and nothing else would wake the loop for it.
		wait := r.tend()
		if r.finished() {
			return exitOK
		}
		wait = earliest(wait, r.startDue())
		wait = earliest(wait, dirWait)
		if wait > 0 {
			timer.Reset(wait)
		}
		var c control
		got, lookAtDir := false, dirWait > 0
		select {
		case sig := <-r.sigc:
			if sig == unix.SIGTERM {
				r.sigterm = true
			}
		case c = <-r.ctl:
			got = true
		case ev := <-r.readyc:
			r.markReady(ev)
		case <-r.dirs.events:
			lookAtDir = true
		case <-timer.C:
		}
		timer.Stop()
		if lookAtDir || r.dirs.suspect {
			r.dirs.suspect = false
			dirWait = r.checkDir()
		}
		reap.Drain(r.reaped)
		if got {
			if c.log {
				r.ctrl(r.log, c.c)
			} else {
				r.ctrl(r.main, c.c)
			}
		}
		if r.sigterm {
			r.sigterm = false
			r.ctrl(r.main, 'x')
		}
	}
}

// finished reports whether runsv may exit: told to, the service down and
// its tree gone, and the log service gone. Once the service is down it
// closes our ends of the log pipe: the logger reads everything the
// service wrote, sees EOF and exits.
func (r *runsv) finished() bool {
	if r.main.want != wantExit || r.main.state != status.Down || r.main.tree.active() {
		return false
	}
	if r.log == nil || r.log.pid == 0 {
		return true
	}
	if r.log.want != wantExit {
		r.log.want = wantExit
		r.writeStatus(r.log)
		r.logPipe[0].Close()
		r.logPipe[1].Close()
	}
	return false
}

// readControl feeds bytes from one control FIFO into the loop, in order.
// It is the only other goroutine besides os/signal's; it ends when the
// FIFO is closed.
func (r *runsv) readControl(log bool, f *os.File) {
	var buf [64]byte
	for {
		n, err := f.Read(buf[:])
		for _, c := range buf[:n] {
			r.ctl <- control{log: log, c: c}
		}
		if err != nil {
			return
		}
	}
}

// startDue starts every service that should run and may: the log service
// first, then the main one. ./finish starts at once; ./run waits out the
// throttle. It returns how long until a held-back start is due, or 0.
func (r *runsv) startDue() time.Duration {
	var next time.Duration
	for started := true; started; {
		started = false
		for _, s := range r.services() {
			if s.pid != 0 || s.adopting || !(s.want == wantUp || s.state == status.Finish || s.once) {
				continue
			}
			if s.state != status.Finish {
				if s.tree.active() {
					continue // tend wakes the loop when the old tree is gone
				}
				if wait := time.Until(s.notBefore); wait > 0 {
					if next == 0 || wait < next {
						next = wait
					}
					continue
				}
			}
			r.start(s)
			started = true
		}
	}
	return next
}

// reaped routes one exited child to the service it belongs to; anything
// else (a control script already waited for, a stray) is ignored.
func (r *runsv) reaped(pid int, ws unix.WaitStatus) {
	for _, s := range r.services() {
		if s.pid != 0 && s.pid == pid {
			r.exited(s, ws)
			return
		}
	}
}

// tend moves on what runs beside the state machine's events: the look
// for a daemon ./run left behind, and the ending of process trees. It
// returns when it wants to look again, or 0.
func (r *runsv) tend() time.Duration {
	var next time.Duration
	for _, s := range r.services() {
		next = earliest(next, r.tendAdoption(s))
		next = earliest(next, r.tendTree(s))
	}
	return next
}

// earliest returns the sooner of two waits, where 0 means none.
func earliest(a, b time.Duration) time.Duration {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}

// exited records that a service's process ended. A daemon service may
// have left its daemon behind, which runsv then looks for; otherwise the
// service ended.
func (r *runsv) exited(s *service, ws unix.WaitStatus) {
	asked := s.term
	s.pid = 0
	s.pidChanged = true
	if r.startAdopting(s, ws, asked) {
		return
	}
	r.ended(s, ws, asked)
}

// ended takes a service's process exit as final: ./run goes on to
// ./finish when there is one, anything else goes down and is held back
// before its restart (holdBack). asked says whether we stopped it.
func (r *runsv) ended(s *service, ws unix.WaitStatus, asked bool) {
	s.wstat = ws
	s.term = false
	if s.state == status.Run {
		s.asked = asked
		s.following = false
		r.unready(s)
		r.endTree(s)
	}
	if !s.isLog && s.state != status.Finish && readable("finish") {
		s.state = status.Finish
		r.writeStatus(s)
		return
	}
	s.state = status.Down
	began := s.start
	s.start = tai64n.Now()
	r.writeStatus(s)
	r.holdBack(s, began, s.asked)
}

// readable reports whether path opens for reading: runit's test for
// ./finish (it need not be executable to be tried).
func readable(path string) bool {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}
