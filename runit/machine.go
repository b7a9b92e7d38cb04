package runit

// Machine mode: runit as a machine's process 1, as runit(8) describes it
// and runit 2.3.0 behaves. It is entered by runit -M, or by runit-init
// when the kernel starts it as init.
//
// Output rules: every line goes to the console in runit's words and
// shape, "- runit: what", "- runit: warning: what" or "- runit: fatal:
// what", with errno in djb's words, so that whoever knows runit's console
// reads ours.

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/gorunit/gorunit/internal/errtext"
	"github.com/gorunit/gorunit/internal/reap"
	"github.com/gorunit/gorunit/internal/version"
	"golang.org/x/sys/unix"
)

// stageDir holds the stages 1, 2 and 3 and the files that steer them
// (stopit, reboot, nosync, ctrlaltdel). It is a variable only so that
// tests can point it elsewhere; they bind-mount over /etc/runit where
// they can.
var stageDir = "/etc/runit"

// Delays of machine mode, each with its reason.
const (
	// stage2Restart is runit's pause before it starts a crashed or failed
	// (exit 111) stage 2 again: the killed processes go away meanwhile,
	// and a stage 2 that fails at once does not spin.
	stage2Restart = 5 * time.Second
	// stage2Stop is how long stage 2 has between TERM and KILL on a
	// shutdown request (runit polls 5 times a second apart).
	stage2Stop = 5 * time.Second
	// idleWake: runit wakes up every 14 s without a signal and reaps, so
	// that a lost SIGCHLD can leave neither a zombie nor a hung stage.
	idleWake = 14 * time.Second
)

// stageDone follows stage 3: only the halt or reboot is left.
const stageDone = 4

// machine is runit in machine mode; the loop goroutine owns it.
type machine struct {
	stdio [3]*os.File
	out   io.Writer // the console, once it is open

	stage      int       // 1, 2, 3 (running or, for 2, due again), or stageDone
	pid        int       // the running stage's pid, 0 when none runs
	restart    time.Time // when stage 2 starts again after a failure; zero when not due
	stopping   bool      // stage 2 was told to stop: its end leads to stage 3
	killAt     time.Time // when a stopping stage 2 gets KILL
	ctrlaltdel int       // the running ctrlaltdel's pid, 0 when none
	orphans    int       // reaped processes that were not ours to start
}

// stagePath is the file name in the stage directory.
func stagePath(name string) string { return filepath.Join(stageDir, name) }

// runMachine runs machine mode with stdio on the given files until the
// halt or reboot, and returns only when it cannot be process 1, or when
// the kernel refuses the reboot in a container (see halt).
func runMachine(stdin, stdout, stderr *os.File) int {
	if os.Getpid() != 1 {
		fmt.Fprintln(stderr, "- runit: fatal: must be run as process no 1.")
		return exitFatal
	}
	m := &machine{stdio: [3]*os.File{stdin, stdout, stderr}, out: stderr}
	return m.run()
}

// run boots: stage 1, 2 and 3 in turn, then halt or reboot.
func (m *machine) run() int {
	unix.Setsid()
	sigc := make(chan os.Signal, 32)
	signal.Notify(sigc, machineSignals()...)
	openConsole()
	// The kernel then sends ctrl-alt-del to us as SIGINT instead of
	// rebooting at once (runit: reboot_system(0)). In a PID namespace the
	// kernel refuses it (EINVAL), and nothing needs it.
	unix.Reboot(unix.LINUX_REBOOT_CMD_CAD_OFF)
	m.info("gorunit %s: booting.", version.Version)

	m.start(1)
	timer := time.NewTimer(idleWake)
	for m.stage != stageDone {
		select {
		case s := <-sigc:
			m.signal(s.(unix.Signal))
		case <-timer.C:
		}
		reap.Drain(m.reaped)
		m.due(time.Now())
		timer.Reset(m.nextWake())
	}
	timer.Stop()
	return m.halt(sigc)
}

// machineSignals lists every signal machine mode catches: CHLD wakes the
// reaper; CONT and INT are requests, honoured in stage 2 only (runit(8));
// every other one is dropped. None is left to Go's default, which ends a
// program on TERM, HUP, INT or QUIT (process 1 must not exit), and none
// is ignored with SIG_IGN, which every stage would inherit (runit 2.3.0
// fixed SIGCONT=SIG_IGN leaking into its children).
func machineSignals() []os.Signal {
	var sigs []os.Signal
	for s := unix.Signal(1); s <= 31; s++ {
		if s == unix.SIGKILL || s == unix.SIGSTOP || s == unix.SIGURG {
			continue // uncatchable, or the Go runtime's own
		}
		sigs = append(sigs, s)
	}
	return sigs
}

// openConsole puts /dev/console on stdin, stdout and stderr when it can be
// opened, as runit does at boot and before each stage, so a console that
// went away and came back is used again. It opens without blocking (a
// serial console may wait for a carrier) and appends (so a file bound
// over /dev/console is not overwritten).
func openConsole() {
	fd, err := unix.Open("/dev/console", unix.O_WRONLY|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_APPEND|unix.O_CLOEXEC, 0)
	if err != nil {
		return // no console (a container without a tty): keep what we have
	}
	unix.SetNonblock(fd, false)
	for to := 0; to <= 2; to++ {
		unix.Dup3(fd, to, 0)
	}
	unix.Close(fd)
}

// start starts stage n. Stage 1 has the console read-write on its stdin,
// to start an emergency shell if the one-time tasks fail, and runs in our
// session; stages 2 and 3 run in sessions of their own.
func (m *machine) start(n int) {
	m.stage, m.pid = n, 0
	m.killAt = time.Time{} // a stopping stage 2's deadline is not stage 3's
	openConsole()
	files := m.stdio
	attr := &os.ProcAttr{Files: files[:], Sys: &syscall.SysProcAttr{Setsid: n != 1}}
	if n == 1 {
		if fd, err := unix.Open("/dev/console", unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0); err == nil {
			unix.SetNonblock(fd, false)
			tty := os.NewFile(uintptr(fd), "/dev/console")
			defer tty.Close()
			attr.Files[0] = tty
		} else {
			m.warn("unable to open /dev/console: %s", errtext.Of(err))
		}
	}
	prog := stagePath(strconv.Itoa(n))
	pid, ok := m.spawn(prog, attr)
	if !ok {
		m.ended(0, 0) // runit's child exits 0 when it cannot exec the stage
		return
	}
	m.pid = pid
}

// spawn starts prog, saying so as runit's child does; on failure it says
// why, as runit's child does before it exits 0.
func (m *machine) spawn(prog string, attr *os.ProcAttr) (int, bool) {
	m.info("enter stage: %s", prog)
	p, err := os.StartProcess(prog, []string{prog}, attr)
	if err != nil {
		m.fatal("unable to start child: %s: %s", prog, errtext.Of(err))
		return 0, false
	}
	pid := p.Pid
	p.Release()
	return pid, true
}

// reaped routes one exited child: the running stage, ctrlaltdel, or an
// orphan.
func (m *machine) reaped(pid int, ws unix.WaitStatus) {
	switch {
	case pid == m.pid:
		m.pid = 0
		m.ended(pid, ws)
	case pid == m.ctrlaltdel:
		m.ctrlaltdel = 0
		prog := stagePath("ctrlaltdel")
		if ws.Signaled() {
			m.warn("child crashed: %s", prog)
		}
		m.info("leave stage: %s", prog)
		m.requestStop() // ctrlaltdel done: act as on CONT (runit(8))
	default:
		m.orphans++
	}
}

// ended takes the step after the running stage (pid, now reaped) ended
// with ws, as runit(8) and runit 2.3.0 do:
//   - stage 1 crashed or exited 100: skip stage 2;
//   - stage 2 crashed or exited 111, not on request: kill its process
//     group, and start it again after stage2Restart (runit 2.1.2 took a
//     crash for a normal end and went on to stage 3);
//   - otherwise the next stage.
func (m *machine) ended(pid int, ws unix.WaitStatus) {
	prog := stagePath(strconv.Itoa(m.stage))
	crashed, code := ws.Signaled(), ws.ExitStatus()
	if m.stage == 2 && m.stopping {
		m.info("leave stage: %s", prog)
		m.start(3)
		return
	}
	if crashed {
		m.warn("child crashed: %s", prog)
	} else if code != 0 {
		m.warn("child failed: %s", prog)
	}
	switch {
	case m.stage == 1 && (crashed || code == 100):
		m.info("leave stage: %s", prog)
		m.warn("skipping stage 2...")
		m.start(3)
	case m.stage == 2 && (crashed || code == 111):
		m.warn("killing all processes in stage 2...")
		if pid > 0 { // its own session, so its process group
			unix.Kill(-pid, unix.SIGKILL)
		}
		m.restart = time.Now().Add(stage2Restart)
	case m.stage == 3:
		m.info("leave stage: %s", prog)
		m.stage = stageDone
	default:
		m.info("leave stage: %s", prog)
		m.start(m.stage + 1)
	}
}

// signal handles one signal. CONT asks for the shutdown (when stopit is
// u+x) and INT is ctrl-alt-del; both in stage 2 only, as runit(8) says.
// PWR is a power-off request, from a container manager (lxc-stop, and
// LXD or incus without --force, send it to a container's process 1) or
// a UPS daemon: neither runit 2.1.2 nor 2.3.0 catches it (Debian's
// patched runit does), so it would be dropped; here it powers off as
// runit-init 0 does, without needing stopit.
func (m *machine) signal(sig unix.Signal) {
	if sig != unix.SIGCONT && sig != unix.SIGINT && sig != unix.SIGPWR {
		return // CHLD: the loop reaps after every wake-up; the rest: dropped
	}
	if m.stage != 2 {
		if m.stage != stageDone {
			m.warn("signals only work in stage 2.")
		}
		return
	}
	switch sig {
	case unix.SIGINT:
		m.ctrlAltDel()
	case unix.SIGPWR:
		m.powerRequest()
	default:
		m.requestStop()
	}
}

// powerRequest takes PWR as runit-init 0 and CONT together: the reboot
// file loses its execute bit (a power-off request is no reboot) and
// stage 2 is stopped, whatever stopit's mode (which stays as it is).
func (m *machine) powerRequest() {
	if m.stopping {
		return
	}
	m.info("power request...")
	if err := os.Chmod(stagePath("reboot"), 0); err != nil && !os.IsNotExist(err) {
		m.warn("unable to chmod %s: %s", stagePath("reboot"), errtext.Of(err))
	}
	m.stop()
}

// ctrlAltDel runs ctrlaltdel when it is u+x; when it has exited, we act
// as on CONT (reaped).
func (m *machine) ctrlAltDel() {
	prog := stagePath("ctrlaltdel")
	if m.stopping || m.ctrlaltdel != 0 || !userExecutable(prog) {
		return
	}
	m.info("ctrl-alt-del request...")
	pid, ok := m.spawn(prog, &os.ProcAttr{Files: m.stdio[:]})
	if !ok {
		m.info("leave stage: %s", prog)
		m.requestStop()
		return
	}
	m.ctrlaltdel = pid
}

// requestStop ends stage 2 when stopit is u+x (what runit-init 0 and 6
// set): stopit is made mode 0, stage 2 gets TERM, and KILL after
// stage2Stop if it is still there; its end leads to stage 3.
func (m *machine) requestStop() {
	stopit := stagePath("stopit")
	if m.stage != 2 || m.stopping || !userExecutable(stopit) {
		return
	}
	os.Chmod(stopit, 0) // runit: chmod(STOPIT, 0), errors ignored
	m.stop()
}

// stop ends stage 2: TERM, and KILL after stage2Stop; its end leads to
// stage 3.
func (m *machine) stop() {
	m.stopping = true
	if m.pid == 0 { // stage 2 failed and waits to start again: not any more
		m.restart = time.Time{}
		m.info("leave stage: %s", stagePath("2"))
		m.start(3)
		return
	}
	unix.Kill(m.pid, unix.SIGTERM)
	m.killAt = time.Now().Add(stage2Stop)
}

// due acts on the deadlines that have passed: a failed stage 2 starts
// again; a stopping stage 2 that outlived stage2Stop gets KILL.
func (m *machine) due(now time.Time) {
	if !m.restart.IsZero() && !now.Before(m.restart) {
		m.restart = time.Time{}
		m.warn("restarting.")
		m.start(2)
	}
	if !m.killAt.IsZero() && !now.Before(m.killAt) {
		m.killAt = time.Time{}
		if m.pid != 0 {
			m.warn("stage 2 not terminated, sending sigkill...")
			unix.Kill(m.pid, unix.SIGKILL)
		}
	}
}

// nextWake is how long the loop may sleep without a signal.
func (m *machine) nextWake() time.Duration {
	wake := idleWake
	for _, at := range []time.Time{m.restart, m.killAt} {
		if !at.IsZero() {
			wake = min(wake, max(time.Until(at), time.Millisecond))
		}
	}
	return wake
}

// userExecutable reports whether path exists with the owner's execute
// bit, runit's test for stopit, reboot and ctrlaltdel.
func userExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().Perm()&0o100 != 0
}

func (m *machine) info(format string, a ...any) {
	fmt.Fprintf(m.out, "- runit: "+format+"\n", a...)
}

func (m *machine) warn(format string, a ...any) {
	fmt.Fprintf(m.out, "- runit: warning: "+format+"\n", a...)
}

func (m *machine) fatal(format string, a ...any) {
	fmt.Fprintf(m.out, "- runit: fatal: "+format+"\n", a...)
}
