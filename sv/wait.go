package sv

import (
	"os"
	"syscall"
	"time"
	"unsafe"

	"github.com/gorunit/gorunit/internal/status"
	"github.com/gorunit/gorunit/internal/tai64n"
	"golang.org/x/sys/unix"
)

// recheck is how often the wait rechecks without news from inotify: a
// ./check script may turn true without any status change. It is runit's
// polling interval, which is all sv has when inotify is unavailable.
const recheck = 420 * time.Millisecond

// waitFor waits until every pending service reached what the command
// asked for, or the timeout passed. Services that are done or failed are
// dropped from pending (""), as runit does.
func (s *sv) waitFor(pending []string) {
	s.watcher = newWatcher()
	defer s.watcher.close()
	for {
		elapsed := s.tnow.Sub(s.tstart)
		done := true
		for i, name := range pending {
			if name == "" {
				continue
			}
			s.name = name
			if !s.enter(name) {
				pending[i] = ""
				s.leave()
				continue
			}
			s.watcher.add("supervise")
			if s.check(s.cmd.acts) != 0 {
				pending[i] = ""
			} else {
				done = false
			}
			if pending[i] != "" && elapsed > s.wait {
				s.timedOut()
				pending[i] = ""
			}
			s.leave()
		}
		if done {
			return
		}
		// Wake for a status change, runsv's exit, the recheck, or the
		// moment the timeout passes, whichever is first.
		d := recheck
		if left := s.wait - elapsed + time.Millisecond; left > 0 && left < d {
			d = left
		}
		s.watcher.wait(d)
		s.tnow = time.Now()
	}
}

// timedOut reports a service that did not get there in time; force-*
// commands then send it a KILL.
func (s *sv) timedOut() {
	if s.cmd.force {
		s.puts("kill: ")
	} else {
		s.puts("timeout: ")
	}
	if s.readStatus() > 0 {
		s.printStatus(s.name)
		s.rc++
	}
	s.flush("\n")
	if s.cmd.force {
		s.control("k")
	}
}

// check reports whether the current service reached the state the letters
// ask for: 1 yes (and "ok: ..." is printed), 0 not yet, -1 give up.
func (s *sv) check(letters string) int {
	r := s.readStatus()
	if r == -1 {
		return -1
	}
	for i := 0; i < len(letters); i++ {
		c := letters[i]
		if r == 0 {
			if c == 'x' {
				return 1
			}
			return -1
		}
		if c == 'C' {
			// runit 2.3.0: check waits for the wanted state.
			c = 'u'
			if s.status[17] == 'd' {
				c = 'd'
			}
		}
		pid := s.statusPID()
		state := status.State(s.status[19])
		switch c {
		case 'x':
			return 0
		case 'u':
			if pid == 0 || state != status.Run || !s.upCheck() {
				return 0
			}
		case 'd':
			if pid != 0 || state != status.Down {
				return 0
			}
		case 't', 'k':
			if pid == 0 && s.status[17] == 'd' {
				break
			}
			if !s.newerThanStart() || pid == 0 || s.status[18] != 0 || !s.upCheck() {
				return 0
			}
		case 'o':
			if (pid == 0 && !s.newerThanStart()) || (pid != 0 && s.status[17] != 'd') {
				return 0
			}
		case 'p':
			if pid != 0 && s.status[16] == 0 {
				return 0
			}
		case 'c':
			if pid != 0 && s.status[16] != 0 {
				return 0
			}
		}
	}
	s.puts("ok: ")
	s.printStatus(s.name)
	s.flush("\n")
	return 1
}

// newerThanStart reports whether the status was stamped at or after sv
// started. runit compares whole seconds, which lets a restart within the
// second sv started pass before it happened; we compare to the
// microsecond, which runsv's stamps carry.
func (s *sv) newerThanStart() bool {
	return !tai64n.Unpack(s.status[:12]).Before(tai64n.FromTime(s.tstart))
}

// upCheck reports whether a service that runs counts as up: a service
// that declares a notification-fd once supervise/ready matches the status
// (its readiness replaces ./check), any other once ./check passes.
func (s *sv) upCheck() bool {
	if !s.declaresReadiness() {
		return s.checkScript()
	}
	rec, _ := status.Decode(s.status[:])
	r, ok := s.readReady()
	return ok && r.Matches(rec)
}

// checkScript runs ./check with stdout closed when there is one and
// reports whether it exited 0 (sv(8)). As in runit, a check that cannot
// be run counts as passed, after a warning.
func (s *sv) checkScript() bool {
	var st unix.Stat_t
	if err := unix.Stat("check", &st); err != nil {
		if err == unix.ENOENT {
			return true
		}
		s.warn2("unable to stat "+s.name+"/check", err)
		return false
	}
	p, err := os.StartProcess("./check", []string{"./check"}, &os.ProcAttr{Files: []*os.File{os.Stdin, nil, os.Stderr}})
	if err != nil {
		s.warn2("unable to run "+s.name+"/check", err)
		return true
	}
	ps, err := p.Wait()
	if err != nil {
		s.warn2("unable to wait for child "+s.name+"/check", err)
		return false
	}
	// runit's wait_exitcode: a check killed by a signal counts as 0.
	return ps.Sys().(syscall.WaitStatus)>>8&0xff == 0
}

// watcher wakes the wait loop when runsv renames a new supervise/status
// or supervise/ready into place or closes supervise/ok (it exited). Without inotify it only
// sleeps, and the loop polls as runit's does.
type watcher struct {
	fd  int
	buf [4096]byte
}

func newWatcher() *watcher {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return &watcher{fd: -1}
	}
	return &watcher{fd: fd}
}

func (w *watcher) add(dir string) {
	if w.fd >= 0 {
		unix.InotifyAddWatch(w.fd, dir, unix.IN_MOVED_TO|unix.IN_CLOSE_NOWRITE)
	}
}

func (w *watcher) close() {
	if w.fd >= 0 {
		unix.Close(w.fd)
	}
}

// wait returns after d, or earlier when a relevant event arrives. Our own
// reads of status also raise IN_CLOSE_NOWRITE; only "status" or "ready"
// renamed into place and "ok" closed count.
func (w *watcher) wait(d time.Duration) {
	deadline := time.Now().Add(d)
	if w.fd < 0 {
		time.Sleep(d)
		return
	}
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return
		}
		fds := []unix.PollFd{{Fd: int32(w.fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int((left+time.Millisecond-1)/time.Millisecond))
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return
		}
		if w.relevant() {
			return
		}
	}
}

// relevant drains pending events and reports whether one matters.
func (w *watcher) relevant() bool {
	found := false
	for {
		n, err := unix.Read(w.fd, w.buf[:])
		if err != nil || n <= 0 {
			return found
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&w.buf[off]))
			nameStart := off + unix.SizeofInotifyEvent
			name := cString(w.buf[nameStart : nameStart+int(ev.Len)])
			if (ev.Mask&unix.IN_MOVED_TO != 0 && (name == "status" || name == status.ReadyFile)) ||
				(ev.Mask&unix.IN_CLOSE_NOWRITE != 0 && name == "ok") ||
				ev.Mask&(unix.IN_IGNORED|unix.IN_Q_OVERFLOW) != 0 {
				found = true
			}
			off = nameStart + int(ev.Len)
		}
	}
}

// cString returns b up to its first NUL.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
