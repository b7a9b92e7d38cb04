package runit

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gorunit/gorunit/internal/errtext"
	"github.com/gorunit/gorunit/internal/fifo"
	"github.com/gorunit/gorunit/internal/proc"
	"github.com/gorunit/gorunit/internal/reap"
	"golang.org/x/sys/unix"
)

// Delays of container mode, each with its reason.
const (
	// idleStopping bounds the loop's sleep while stopping when no
	// deadline is nearer: every exit wakes it with SIGCHLD anyway; this
	// only covers a lost wake-up.
	idleStopping = time.Second
	// runsvdirRestart holds back a restart of a runsvdir that died.
	runsvdirRestart = time.Second
	// mainWait bounds how long the main command waits for a runsv on
	// every service, so that `sv -w 30 start db` in it finds one (not
	// "runsv not running") without a retry loop; a service whose runsv
	// cannot start delays the main command no longer than this.
	mainWait = 3 * time.Second
	// mainPoll is how often it looks meanwhile.
	mainPoll = 10 * time.Millisecond
)

// phase is where container mode is: starting, up, or one step of the
// shutdown. The phases follow each other in this order.
type phase int

const (
	phaseStartup  phase = iota // my_init.d and rc.local run, one by one
	phaseUp                    // services and the main command run
	phaseMain                  // stopping: the main command (or a start-up script) ends
	phasePre                   // my_init.pre_shutdown.d runs
	phaseServices              // runsvdir and every runsv end
	phasePost                  // my_init.post_shutdown.d runs
	phaseLeft                  // every process left gets TERM, then KILL
)

// container is runit in container mode: one loop goroutine owns it.
type container struct {
	name    string // runit or my_init: the prefix of every line
	stdio   [3]*os.File
	stderr  *os.File
	svdir   string
	timeout time.Duration // the graceful part of the shutdown
	rw      rewrites
	argv    []string // the main command, or none

	// Settings from options and variables (docs/runit.8).
	envDir      string        // container environment; "" for none
	initDir     string        // start-up scripts; "" for none
	rcLocal     string        // run after them when executable; "" for none
	preDir      string        // scripts before the services stop
	postDir     string        // scripts after the services stopped
	killGrace   time.Duration // TERM to KILL for what is left at the end
	skipStartup bool
	skipRunit   bool
	killAll     bool // end leftover processes at the end
	hold        bool // on a main command's failure, hold instead of stopping
	verbose     bool
	envWarned   bool // the one warning about the environment was given

	phase    phase
	started  bool      // the start-up scripts all succeeded
	mainPid  int       // 0 once it exited (or when there is none)
	mainDue  time.Time // the main command starts then at the latest; zero once started
	mainCode int       // the exit code
	held     bool      // the main command failed; holding until released
	runsvdir int       // runsvdir's pid, 0 when not running
	restart  time.Time // when to start runsvdir again after it died
	runsvs   map[int]bool

	queue        []string // scripts of the current phase still to run
	script       int      // the running script's pid, 0 when none
	scriptName   string
	killedScript bool

	stopping   bool
	deadline   time.Time // of the graceful part of the shutdown
	killedMain bool      // the main command's group got KILL at the deadline
	finalTERM  time.Time // services left at the deadline got TERM then
	killedAll  bool
	leftTERM   time.Time // every process left got TERM then (phaseLeft)
	orphans    int       // reaped processes that were not ours to start
}

// run is container mode's loop: start, then wait for signals and exits
// until everything is gone.
func (c *container) run(sigc <-chan os.Signal) int {
	becomeReaper(c.stderr, c.name)

	c.setupEnvironment()
	c.queue = c.startupScripts()
	c.phase = phaseStartup
	if c.step(false) {
		return c.mainCode
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
		if c.step(none) {
			return c.mainCode
		}
	}
}

// nextWake is how long the loop may sleep without a signal: until the
// nearest deadline of the shutdown, or of runsvdir's restart.
func (c *container) nextWake() time.Duration {
	if !c.stopping {
		var wake time.Duration
		if !c.mainDue.IsZero() {
			wake = mainPoll
		}
		if !c.restart.IsZero() {
			if r := max(time.Until(c.restart), time.Millisecond); wake == 0 || r < wake {
				wake = r
			}
		}
		return wake
	}
	wake := idleStopping
	for _, at := range []time.Time{c.deadline, c.finalTERM.Add(c.killGrace), c.leftTERM.Add(c.killGrace)} {
		if d := time.Until(at); d > 0 && d < wake {
			wake = d
		}
	}
	return max(wake, time.Millisecond)
}

// step moves through the phases as far as it can, and reports whether
// container mode is finished.
func (c *container) step(noChildren bool) bool {
	for {
		before := c.phase
		switch c.phase {
		case phaseStartup:
			if c.runScripts() {
				c.started = true
				c.startUp()
			}
		case phaseUp:
			c.stepUp()
		case phaseMain:
			c.stepMain()
		case phasePre:
			if c.runScripts() {
				c.enterServices()
			}
		case phaseServices:
			c.stepServices(noChildren)
		case phasePost:
			if c.runScripts() {
				c.phase = phaseLeft
			}
		case phaseLeft:
			return c.stepLeft()
		}
		if c.phase == before {
			return false
		}
	}
}

// startUp starts runsvdir and the main command, once the start-up
// scripts succeeded.
func (c *container) startUp() {
	c.phase = phaseUp
	if !c.skipRunit {
		if st, err := os.Stat(c.svdir); err != nil || !st.IsDir() {
			c.warn("no service directory %s: running without services", c.svdir)
		} else {
			c.startRunsvdir()
		}
	}
	if len(c.argv) > 0 {
		c.mainDue = time.Now()
		if c.runsvdir != 0 {
			c.mainDue = c.mainDue.Add(mainWait)
		}
		c.stepUp()
	}
}

// stepUp starts the main command once every service has its runsv, or
// at mainDue.
func (c *container) stepUp() {
	if c.mainDue.IsZero() || (time.Now().Before(c.mainDue) && !supervised(c.svdir)) {
		return
	}
	c.mainDue = time.Time{}
	if code := c.startMain(); code != 0 {
		c.mainCode = code
		c.stop(false)
	}
}

// supervised reports whether every service in svdir (as runsvdir counts
// them: entries not starting with a dot) has a runsv: one holds its
// supervise/ok open for reading, which sv checks the same way.
func supervised(svdir string) bool {
	entries, err := os.ReadDir(svdir)
	if err != nil {
		return true // nothing we could wait for
	}
	for _, e := range entries {
		if e.Name()[0] == '.' {
			continue
		}
		err := fifo.Probe(filepath.Join(svdir, e.Name(), "supervise", "ok"))
		if err != nil && !errors.Is(err, unix.ENOTDIR) { // ENOTDIR: a file, not a service
			return false
		}
	}
	return true
}

// startRunsvdir starts our own binary as runsvdir -P on the service
// directory, each runsv in its own session. runsvdir, and every runsv
// and service below it, gets GORUNIT_KILL_TREE=on unless the variable is
// set: a stopping service's leftover processes end with it.
func (c *container) startRunsvdir() {
	self, err := os.Executable()
	if err != nil {
		c.warn("unable to find my own binary to start runsvdir: %v", err)
		return
	}
	env := os.Environ()
	if _, set := os.LookupEnv(killTreeVar); !set {
		env = append(env, killTreeVar+"=on")
	}
	c.info("starting runsvdir -P %s", c.svdir)
	p, err := os.StartProcess(self, []string{"runsvdir", "-P", c.svdir}, &os.ProcAttr{
		Env: env, Files: c.stdio[:], Sys: &syscall.SysProcAttr{Setsid: true},
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
	c.info("running %s", c.argv[0])
	pid, err := c.spawn(c.argv)
	if err == nil {
		c.mainPid = pid
		return 0
	}
	c.warn("unable to start %s: %s", c.argv[0], errtext.Of(err))
	return startFailure(err)
}

// spawn starts argv (looked up in PATH) in a process group of its own,
// with our stdio and environment.
func (c *container) spawn(argv []string) (int, error) {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return 0, err
	}
	p, err := os.StartProcess(path, argv, &os.ProcAttr{
		Files: c.stdio[:], Sys: &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		return 0, err
	}
	pid := p.Pid
	p.Release()
	return pid, nil
}

// startFailure is the exit code for a program that could not be started,
// as a shell reports it.
func startFailure(err error) int {
	if errors.Is(err, unix.EACCES) || errors.Is(err, unix.ENOEXEC) {
		return exitNoExec
	}
	return exitNotFound
}

// runScripts runs the current phase's scripts one after the other and
// reports whether all are done.
func (c *container) runScripts() bool {
	if c.script != 0 {
		if c.phase != phaseStartup && !c.killedScript && !time.Now().Before(c.deadline) {
			c.killedScript = true
			c.queue = nil
			c.warn("%s did not exit within %v; killing it", c.scriptName, c.timeout)
			unix.Kill(-c.script, unix.SIGKILL)
		}
		return false
	}
	for len(c.queue) > 0 {
		name := c.queue[0]
		c.queue = c.queue[1:]
		c.info("running %s", name)
		pid, err := c.spawn([]string{name})
		if err == nil {
			c.script, c.scriptName, c.killedScript = pid, name, false
			return false
		}
		c.warn("unable to start %s: %s", name, errtext.Of(err))
		if c.phase == phaseStartup {
			c.scriptFailed(name, startFailure(err))
			return false
		}
	}
	return true
}

// scriptEnded takes a script's exit: a start-up script that failed ends
// the start; one that succeeded may have left variables for the next
// ones and the services in the environment directory (my_init imports
// them after each script).
func (c *container) scriptEnded(ws unix.WaitStatus) {
	name, code := c.scriptName, reap.Code(ws)
	c.script, c.scriptName = 0, ""
	if c.phase == phaseStartup || c.phase == phaseMain && !c.started {
		if code != 0 {
			c.scriptFailed(name, code)
			return
		}
		if c.envDir != "" {
			importEnv(c.envDir, true)
			c.exportEnvironment(false)
		}
		return
	}
	if code != 0 {
		c.warn("%s failed (exit %d)", name, code)
	}
}

// scriptFailed aborts the start: runit exits with the script's code.
func (c *container) scriptFailed(name string, code int) {
	c.warn("%s failed (exit %d): not starting", name, code)
	c.mainCode = code
	if !c.stopping {
		c.stop(false)
	}
}

// signal handles one signal: forward it to the main command (or the
// running start-up script), end a hold, and start the shutdown where the
// table says so.
func (c *container) signal(sig unix.Signal) {
	if sig == unix.SIGCHLD {
		return // the loop reaps after every wake-up
	}
	if c.held && sig == releaseSignal {
		c.info("released")
		c.stop(false)
		return
	}
	hasMain := len(c.argv) > 0
	fg := c.mainPid
	if c.phase == phaseStartup {
		fg = c.script
	}
	forwarded := false
	if fg != 0 && !notForwarded[sig] {
		if to, ok := c.rw.forward(sig); ok {
			forwarded = unix.Kill(-fg, to) == nil
		}
	}
	if startsShutdown[hasMain][sig] && !c.stopping {
		if c.phase == phaseStartup || !c.mainDue.IsZero() {
			c.mainCode = 128 + int(sig)
		}
		c.stop(forwarded)
	}
}

// reaped handles one exited child.
func (c *container) reaped(pid int, ws unix.WaitStatus) {
	switch pid {
	case c.mainPid:
		c.mainPid = 0
		c.mainCode = reap.Code(ws)
		if c.killAll {
			// Its workers and background children share its process
			// group: end them too, so the container does not hang on them.
			unix.Kill(-pid, unix.SIGTERM)
			unix.Kill(-pid, unix.SIGCONT)
		}
		switch {
		case c.stopping:
		case c.hold && c.mainCode != 0:
			c.startHold(ws)
		default:
			c.stop(false)
		}
	case c.script:
		c.scriptEnded(ws)
	case c.runsvdir:
		c.runsvdir = 0
		if !c.stopping {
			c.warn("runsvdir exited (%d); starting it again", reap.Code(ws))
			c.restart = time.Now().Add(runsvdirRestart)
		}
	default:
		if c.runsvs[pid] {
			delete(c.runsvs, pid)
			return
		}
		c.orphans++
	}
}

// stop begins the shutdown: the main command first, then the services.
// A main command that was just sent the signal that started it gets no
// second one (some programs take a second TERM or INT as "quit now").
func (c *container) stop(mainSignalled bool) {
	c.stopping, c.held = true, false
	c.mainDue = time.Time{} // a main command still waiting never starts
	c.phase = phaseMain
	c.deadline = time.Now().Add(c.timeout)
	c.queue = nil
	if c.mainPid != 0 && !mainSignalled {
		unix.Kill(-c.mainPid, unix.SIGTERM)
		unix.Kill(-c.mainPid, unix.SIGCONT)
	}
	if c.script != 0 && !mainSignalled {
		unix.Kill(-c.script, unix.SIGTERM)
		unix.Kill(-c.script, unix.SIGCONT)
	}
}

// stepMain waits for the main command (or the start-up script that was
// running) to end, and KILLs its group at the deadline. Then come the
// pre-shutdown scripts, when the start had completed.
func (c *container) stepMain() {
	fg, what := c.mainPid, "main command"
	if fg == 0 {
		fg, what = c.script, c.scriptName
	}
	if fg != 0 {
		if !time.Now().Before(c.deadline) && !c.killedMain {
			c.killedMain = true
			c.warn("%s did not exit within %v; killing it", what, c.timeout)
			unix.Kill(-fg, unix.SIGKILL)
		}
		return
	}
	c.phase = phasePre
	if c.started {
		c.queue = scripts(c.preDir)
	}
}

// enterServices stops the services. runsvdir gets TERM, on which it
// exits at once and starts nothing more (runsvdir(8)), and every runsv it
// had started (listed first, while they are still its children) gets
// TERM from us directly, which acts as "sv exit" (the
// service gets TERM and CONT, then ./finish runs, then its log service
// reads the last lines and exits). Signalling the runsv ourselves saves
// a hop: with HUP, runsvdir had to wake and signal them one by one, which
// on a busy machine spread the TERMs over 15 ms. The runsv are
// remembered, to know when they are all gone: they come to us once
// runsvdir has exited. A runsv that runsvdir starts between our look and
// its exit is ours too by then, and stepLeft ends it. When runsvdir is
// not running (it died and waits for its restart), its runsv are our
// children already.
func (c *container) enterServices() {
	c.phase = phaseServices
	c.runsvs = map[int]bool{}
	if c.runsvdir != 0 {
		for _, p := range proc.List() {
			if p.PPID == c.runsvdir {
				c.runsvs[p.PID] = true
			}
		}
		unix.Kill(c.runsvdir, unix.SIGTERM)
		unix.Kill(c.runsvdir, unix.SIGCONT) // a stopped runsvdir would hold the shutdown to the timeout
		for pid := range c.runsvs {
			unix.Kill(pid, unix.SIGTERM)
		}
		return
	}
	if c.restart.IsZero() {
		return // never started: no runsv
	}
	c.restart = time.Time{}
	for _, pid := range children() {
		c.runsvs[pid] = true
		unix.Kill(pid, unix.SIGTERM)
		unix.Kill(pid, unix.SIGCONT)
	}
}

// stepServices waits for runsvdir and every runsv; at the deadline
// everything left gets TERM and, after the kill grace, KILL: a service
// that ignores TERM does not hold the container up. Then come the
// post-shutdown scripts, with a deadline of their own.
//
// Once runsvdir is gone, every runsv still alive is our child; so when
// we have no child at all, none is left, even if some never came to us:
// runsvdir may reap a runsv that exited before runsvdir did.
func (c *container) stepServices(noChildren bool) {
	now := time.Now()
	if c.runsvdir == 0 && (len(c.runsvs) == 0 || noChildren) {
		c.phase = phasePost
		c.deadline = now.Add(c.timeout)
		if c.started {
			c.queue = scripts(c.postDir)
		}
		return
	}
	if now.Before(c.deadline) {
		return
	}
	if !c.killAll {
		c.warn("services did not stop within %v; leaving them", c.timeout)
		c.runsvdir, c.runsvs = 0, nil
		return
	}
	switch {
	case c.finalTERM.IsZero():
		c.finalTERM = now
		c.warn("services did not stop within %v; terminating what is left", c.timeout)
		signalAll(unix.SIGTERM)
		signalAll(unix.SIGCONT)
	case !c.killedAll && now.Sub(c.finalTERM) >= c.killGrace:
		c.killedAll = true
		signalAll(unix.SIGKILL)
	}
}

// stepLeft ends every process left (my_init's kill-all on exit: TERM, and
// KILL after the kill grace), and reports whether none is left. With
// --no-kill-all-on-exit runit exits at once, leaving them be (as process
// 1, the kernel then kills them).
func (c *container) stepLeft() bool {
	_, none := reap.Drain(c.reaped)
	if none || !c.killAll {
		return true
	}
	now := time.Now()
	switch {
	case c.leftTERM.IsZero():
		c.leftTERM = now
		signalAll(unix.SIGTERM)
		signalAll(unix.SIGCONT)
	case now.Sub(c.leftTERM) >= c.killGrace:
		signalAll(unix.SIGKILL)
	}
	return false
}

// startHold keeps everything running after the main command failed
// (--hold-on-failure, GORUNIT_HOLD=1), so that one can look at the
// container: one line says so and how to end it. TERM, INT or QUIT
// (docker stop), or releaseSignal (runit --release), then stop it as
// usual, and runit exits with the main command's code.
func (c *container) startHold(ws unix.WaitStatus) {
	c.held = true
	how := fmt.Sprintf("exited %d", c.mainCode)
	if ws.Signaled() {
		how = fmt.Sprintf("was killed by signal %d (SIG%s; code %d)", ws.Signal(), unix.SignalName(ws.Signal())[3:], c.mainCode)
	}
	fmt.Fprintf(c.stderr, "%s: main command %s; holding for debugging: docker stop, or `%s --release` in the container (USR1 to %s), ends it with code %d\n",
		c.name, how, c.name, c.name, c.mainCode)
}
