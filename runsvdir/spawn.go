package runsvdir

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// restartHold is the least time between two starts of a service's runsv:
// runit restarts a dead runsv at its next check, a second later at most.
const restartHold = time.Second

// start starts "runsv NAME" for e in dir, with -P in a session of its
// own. The runsv is our own when a runsv link to our binary sits beside
// it (so the opt-in files of runsv(8) work even where PATH finds another
// runsv first, such as Debian's /usr/bin/runsv beside /usr/local/bin),
// else the one PATH finds, as runit does. Like every child, it is
// released at once: the loop's wait4(-1) reaps it.
func (r *runsvdir) start(e *entry) {
	e.due = time.Time{}
	e.started = time.Now()
	path, err := r.ownRunsv, error(nil)
	if path == "" {
		path, err = exec.LookPath("runsv")
	}
	if errors.Is(err, exec.ErrNotFound) {
		err = unix.ENOENT // runit's child fails its execvp with ENOENT
	}
	var p *os.Process
	if err == nil {
		env := r.env
		if r.isSelf(path) {
			env = r.leanEnv
		}
		p, err = os.StartProcess(path, []string{"runsv", e.name}, &os.ProcAttr{
			Dir: r.dir, Env: env, Files: r.stdio[:],
			Sys: &syscall.SysProcAttr{Setsid: r.setsid},
		})
	}
	if err != nil {
		// runit's forked child prints this and exits; runsvdir tries
		// again a second later. We have no child: we print and wait.
		r.fatal("unable to start runsv "+e.name, err)
		e.due = e.started.Add(restartHold)
		return
	}
	e.pid = p.Pid
	p.Release()
	r.runsv[e.pid] = e
}

// isSelf reports whether path is the running binary: our own runsv, in
// the multi-call binary, which may be started lean (runsv.LeanEnv).
// Debian's runsv would hand GOMAXPROCS=1 on to the services.
func (r *runsvdir) isSelf(path string) bool {
	if r.self == nil {
		return false
	}
	fi, err := os.Stat(path)
	return err == nil && os.SameFile(fi, r.self)
}
