package runsv

import (
	"github.com/gorunit/gorunit/internal/status"
	"golang.org/x/sys/unix"
)

// signals maps the control bytes that only deliver a signal (runsv(8),
// CONTROL) to that signal.
var signals = map[byte]unix.Signal{
	'a': unix.SIGALRM,
	'h': unix.SIGHUP,
	'i': unix.SIGINT,
	'q': unix.SIGQUIT,
	'1': unix.SIGUSR1,
	'2': unix.SIGUSR2,
}

// ctrl acts on one control byte for service s, with runit 2.1.2's
// semantics. Unknown bytes are ignored.
func (r *runsv) ctrl(s *service, c byte) {
	running := s.state == status.Run
	switch c {
	case 'd':
		s.want = wantDown
		s.once = false
		r.stopOrUpdate(s, running)
	case 'u':
		s.want = wantUp
		r.skipBackoff(s)
		r.writeStatus(s)
	case 'o':
		s.want = wantDown
		r.writeStatus(s)
		if s.state == status.Down {
			s.once = true
		}
	case 'x':
		if s.isLog {
			return // runsv(8): ignored for the log service
		}
		s.want = wantExit
		s.once = false
		r.stopOrUpdate(s, running)
	case 't':
		if running {
			r.stop(s)
		}
	case 'k':
		if running && !r.custom(s, c) {
			r.kill(s, unix.SIGKILL)
		}
	case 'p':
		if running && !r.custom(s, c) {
			r.kill(s, unix.SIGSTOP)
		}
		s.paused = true
		r.writeStatus(s)
	case 'c':
		if running && !r.custom(s, c) {
			r.kill(s, unix.SIGCONT)
		}
		s.paused = false
		r.writeStatus(s)
	default:
		if sig, ok := signals[c]; ok && running && !r.custom(s, c) {
			r.kill(s, sig)
		}
	}
}

// stopOrUpdate records a new want and stops the service when it runs.
// runit writes the status, then signals, then writes it again with the
// TERM flag. Without a control/t script ours signals first and writes
// once: a status update costs about 0.3 ms a file on ext4, and at a
// container's shutdown every runsv does this at the same moment. With
// control/t, runit's order stays, so that the script sees the new want.
func (r *runsv) stopOrUpdate(s *service, running bool) {
	if running && s.pid != 0 && !r.hasScript(s, 't') {
		r.stopAfter(s, false) // signals, then writes the status once
		return
	}
	r.writeStatus(s)
	if running {
		r.stop(s)
	}
}

// stop sends TERM (unless control/t handled it) and then CONT, and runs
// control/d or control/x after, as runsv(8) lists the steps.
func (r *runsv) stop(s *service) {
	r.stopAfter(s, s.pid != 0 && r.custom(s, 't'))
}

// stopAfter is stop once control/t ran, or was found missing: handled
// says whether it replaced runsv's own TERM.
func (r *runsv) stopAfter(s *service, handled bool) {
	if s.pid != 0 && !handled {
		if !s.opts.killTree || !r.termGroups(s) {
			r.kill(s, unix.SIGTERM)
		}
		s.term = true
		r.writeStatus(s)
	}
	switch s.want {
	case wantDown:
		r.kill(s, unix.SIGCONT)
		r.custom(s, 'd')
	case wantExit:
		r.kill(s, unix.SIGCONT)
		r.custom(s, 'x')
	}
}

// kill signals the service's process (only that pid, as runit does).
func (r *runsv) kill(s *service, sig unix.Signal) {
	if s.pid > 0 {
		unix.Kill(s.pid, sig)
	}
}
