package runit

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/gorunit/gorunit/internal/errtext"
	"github.com/gorunit/gorunit/internal/reap"
	"golang.org/x/sys/unix"
)

// Delays of the shutdown, each with its reason.
const (
	// killGrace is how long processes left at the timeout get between
	// TERM and KILL.
	killGrace = 500 * time.Millisecond
	// scanEvery is how often, while stopping, /proc is read for processes
	// that were orphaned to us since (a service's background child), so
	// that they get their TERM too.
	scanEvery = 50 * time.Millisecond
	// runsvdirRestart holds back a restart of a runsvdir that died.
	runsvdirRestart = time.Second
)

// container is runit in container mode: one loop goroutine owns it.
type container struct {
	stdio   [3]*os.File
	stderr  *os.File
	svdir   string
	timeout time.Duration
	rw      rewrites
	argv    []string // the main command, or none

	mainPid  int // 0 once it exited (or when there is none)
	mainCode int
	runsvdir int       // runsvdir's pid, 0 when not running
	restart  time.Time // when to start runsvdir again after it died

	stopping   bool
	deadline   time.Time    // of the graceful part of the shutdown
	killedMain bool         // the main command's group got KILL at the deadline
	askedDir   bool         // runsvdir was told to go
	termed     map[int]bool // processes already sent TERM while stopping
	finalTERM  time.Time    // when everything left got TERM, after the deadline
	orphans    int          // reaped processes that were not ours to start
}

// run is container mode's loop: start, then wait for signals and exits
// until everything is gone.
func (c *container) run() int {
	becomeReaper(c.stderr)
	sigc := make(chan os.Signal, 32)
	for _, s := range caught() {
		signal.Notify(sigc, s)
	}
	defer signal.Stop(sigc)
	c.termed = map[int]bool{}

	if st, err := os.Stat(c.svdir); err != nil || !st.IsDir() {
		c.warn("no service directory %s: running without services", c.svdir)
	} else {
		c.startRunsvdir()
	}
	if len(c.argv) > 0 {
		if code := c.startMain(); code != 0 {
			c.mainCode = code
			c.stop(false)
		}
	}

	timer := time.NewTimer(time.Hour)
	for {
		if wait := c.nextWake(); wait > 0 {
			timer.Reset(wait)
		}
		select {
		case s := <-sigc:
			c.signal(s.(syscall.Signal))
		case <-timer.C:
		}
		timer.Stop()
		_, none := reap.Drain(c.reaped)
		if !c.stopping && c.runsvdir == 0 && !c.restart.IsZero() && !time.Now().Before(c.restart) {
			c.restart = time.Time{}
			c.startRunsvdir()
		}
		if c.stopping && c.advance(none) {
			return c.mainCode
		}
	}
}

// nextWake is how long the loop may sleep without a signal.
func (c *container) nextWake() time.Duration {
	if c.stopping {
		return scanEvery
	}
	if !c.restart.IsZero() {
		return max(time.Until(c.restart), time.Millisecond)
	}
	return 0
}

// startRunsvdir starts our own binary as runsvdir -P on the service
// directory, each runsv in its own session.
func (c *container) startRunsvdir() {
	self, err := os.Executable()
	if err != nil {
		c.warn("unable to find my own binary to start runsvdir: %v", err)
		return
	}
	p, err := os.StartProcess(self, []string{"runsvdir", "-P", c.svdir}, &os.ProcAttr{
		Files: c.stdio[:], Sys: &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		c.warn("unable to start runsvdir: %s", errtext.Of(err))
		c.restart = time.Now().Add(runsvdirRestart)
		return
	}
	c.runsvdir = p.Pid
	p.Release()
}

// startMain starts the main command in its own process group, so that
// forwarded signals reach it and every process it starts. It returns a
// non-zero exit code when the command cannot be started at all.
func (c *container) startMain() int {
	path, err := exec.LookPath(c.argv[0])
	if err == nil {
		var p *os.Process
		p, err = os.StartProcess(path, c.argv, &os.ProcAttr{
			Files: c.stdio[:], Sys: &syscall.SysProcAttr{Setpgid: true},
		})
		if err == nil {
			c.mainPid = p.Pid
			p.Release()
			return 0
		}
	}
	c.warn("unable to start %s: %s", c.argv[0], errtext.Of(err))
	if errors.Is(err, unix.EACCES) || errors.Is(err, unix.ENOEXEC) {
		return exitNoExec
	}
	return exitNotFound
}

// signal handles one signal: forward it to the main command, and start
// the shutdown where the table says so.
func (c *container) signal(sig unix.Signal) {
	if sig == unix.SIGCHLD {
		return // the loop reaps after every wake-up
	}
	hasMain := len(c.argv) > 0
	forwarded := false
	if hasMain && c.mainPid != 0 && !notForwarded[sig] {
		if to, ok := c.rw.forward(sig); ok {
			forwarded = unix.Kill(-c.mainPid, to) == nil
		}
	}
	if startsShutdown[hasMain][sig] && !c.stopping {
		c.stop(forwarded)
	}
}

// reaped handles one exited child.
func (c *container) reaped(pid int, ws unix.WaitStatus) {
	switch pid {
	case c.mainPid:
		c.mainPid = 0
		c.mainCode = reap.Code(ws)
		// Its workers and background children share its process group:
		// end them too, so the container does not hang on them.
		unix.Kill(-pid, unix.SIGTERM)
		unix.Kill(-pid, unix.SIGCONT)
		if !c.stopping {
			c.stop(false)
		}
	case c.runsvdir:
		c.runsvdir = 0
		if !c.stopping {
			c.warn("runsvdir exited (%d); starting it again", reap.Code(ws))
			c.restart = time.Now().Add(runsvdirRestart)
		}
	default:
		c.orphans++
	}
}

// stop begins the shutdown: the main command first, then the services.
// A main command that was just sent the signal that started it gets no
// second one (some programs take a second TERM or INT as "quit now").
func (c *container) stop(mainSignalled bool) {
	c.stopping = true
	c.deadline = time.Now().Add(c.timeout)
	if c.mainPid != 0 && !mainSignalled {
		unix.Kill(-c.mainPid, unix.SIGTERM)
		unix.Kill(-c.mainPid, unix.SIGCONT)
	}
}

// advance moves the shutdown on and reports whether it is finished. The
// main command goes first (it may still need the services while it
// stops); then runsvdir is told to go, and every runsv and orphan left
// gets TERM (runsv stops its service, runs ./finish, and lets its log
// service write the last lines); at the deadline everything left gets
// TERM and, after killGrace, KILL.
func (c *container) advance(noChildren bool) bool {
	now := time.Now()
	if c.mainPid != 0 {
		if !now.Before(c.deadline) && !c.killedMain {
			c.killedMain = true
			c.warn("main command did not exit within %v; killing it", c.timeout)
			unix.Kill(-c.mainPid, unix.SIGKILL)
		}
		return false
	}
	if !c.askedDir {
		c.askedDir = true
		if c.runsvdir != 0 {
			unix.Kill(c.runsvdir, unix.SIGTERM) // not PID 1: it leaves its runsv running
		}
	}
	if noChildren {
		return true
	}
	if c.runsvdir == 0 {
		for _, pid := range children() {
			if !c.termed[pid] {
				c.termed[pid] = true
				unix.Kill(pid, unix.SIGTERM)
				unix.Kill(pid, unix.SIGCONT)
			}
		}
	}
	if now.Before(c.deadline) {
		return false
	}
	if c.finalTERM.IsZero() {
		c.finalTERM = now
		c.warn("services did not stop within %v; terminating what is left", c.timeout)
		signalAll(unix.SIGTERM)
		signalAll(unix.SIGCONT)
		return false
	}
	if now.Sub(c.finalTERM) >= killGrace {
		signalAll(unix.SIGKILL)
	}
	return false
}
