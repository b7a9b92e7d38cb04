package runsv

import (
	"errors"
	"os"
	"strconv"
	"syscall"

	"github.com/gorunit/gorunit/internal/reap"
	"github.com/gorunit/gorunit/internal/status"
	"github.com/gorunit/gorunit/internal/tai64n"
	"golang.org/x/sys/unix"
)

// exitCantStart is the status runsv(8) reports to ./finish when ./run
// could not be started at all.
const exitCantStart = 111

// start starts ./run, or ./finish when the service is finishing. The
// process runs in its own session, with the log pipe on its stdout (or, for
// the log service, on its stdin). We start it with os.StartProcess and
// release it at once: the loop's wait4(-1) owns every child.
func (r *runsv) start(s *service) {
	var argv []string
	if s.state == status.Finish {
		code := "-1"
		if !s.wstat.Signaled() {
			code = strconv.Itoa(s.wstat.ExitStatus())
		}
		argv = []string{"./finish", code, strconv.Itoa(int(s.wstat & 0xff))}
	} else {
		argv = []string{"./run"}
		r.custom(s, 'u') // runsv(8): control/u runs before every start of ./run
		s.opts = r.readOptions(s)
		r.unready(s)
		r.clearBackoff(s)
		if s.opts.daemon != nil {
			r.becomeSubreaper()
		}
	}
	stdio := r.stdio
	dir := ""
	if r.log != nil {
		if s.isLog {
			stdio[0] = r.logPipe[0]
			dir = "log"
		} else {
			stdio[1] = r.logPipe[1]
		}
	}
	files := stdio[:]
	var notify *os.File
	if s.state != status.Finish {
		if notify = r.notificationPipe(s); notify != nil {
			files = make([]*os.File, s.opts.notifyFD+1)
			copy(files, stdio[:])
			files[s.opts.notifyFD] = notify
		}
	}
	p, err := os.StartProcess(argv[0], argv, &os.ProcAttr{
		Dir: dir, Env: r.env, Files: files,
		Sys: &syscall.SysProcAttr{Setsid: true},
	})
	if notify != nil {
		notify.Close() // the child holds the write end now
	}
	if s.state != status.Finish {
		s.start = tai64n.Now()
		s.state = status.Run
	}
	s.term = false
	s.paused = false
	s.once = false
	if err != nil {
		// runit's forked child prints this and exits 111; we have no child,
		// so we take the same path as if one had exited that way.
		r.printFatal("unable to start "+s.name+argv[0], err)
		if errors.Is(err, unix.ENOENT) {
			r.dirs.suspect = true // a deleted directory? look before the next tick
		}
		r.exited(s, unix.WaitStatus(exitCantStart<<8))
		return
	}
	s.pid = p.Pid
	p.Release()
	s.pidChanged = true
	if s.state == status.Run && s.opts.killTree {
		s.tree.sessions = append(s.tree.sessions[:0], s.pid) // setsid: session = group = pid
	}
	r.writeStatus(s)
}

// hasScript reports whether the main service has an executable
// control/C script (runsv(8), CUSTOMIZE CONTROL).
func (r *runsv) hasScript(s *service, c byte) bool {
	if s.isLog {
		return false
	}
	path := "control/" + string(c)
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		if err != unix.ENOENT {
			r.warnErr("unable to stat "+path, err)
		}
		return false
	}
	return st.Mode&unix.S_IXUSR != 0
}

// custom runs control/<c> when it exists and is executable, waits for it,
// and reports whether it exited 0, which tells runsv not to send its own
// signal (runsv(8), CUSTOMIZE CONTROL). The log service has none.
func (r *runsv) custom(s *service, c byte) bool {
	if !r.hasScript(s, c) {
		return false
	}
	path := "control/" + string(c)
	files := r.stdio
	if r.log != nil {
		files[1] = r.logPipe[1]
	}
	p, err := os.StartProcess(path, []string{path}, &os.ProcAttr{Env: r.env, Files: files[:]})
	if err != nil {
		r.warnErr("unable to run "+path, err)
		return false
	}
	pid := p.Pid
	p.Release()
	ws, err := reap.Wait(pid)
	if err != nil {
		r.warnErr("unable to wait for child "+path, err)
		return false
	}
	return ws.Exited() && ws.ExitStatus() == 0
}
