package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Delays for starting and stopping a fleet of runsv.
const (
	// pollInterval is how often supervise/stat is re-read while waiting
	// for a service to run: short next to a runsv start-up, long enough
	// not to take a core from 100 starting runsv.
	pollInterval = 10 * time.Millisecond
	// startTimeout bounds the wait until every service of a fleet runs.
	// 100 runsv start in about a second on the idle 2-core VM; the
	// machine is shared, so allow much more.
	startTimeout = 30 * time.Second
	// exitTimeout is how long runsv gets to stop its service and exit
	// after 'x' before it is killed. It sends TERM, which sleep obeys at
	// once, so this only matters when something is wrong.
	exitTimeout = 10 * time.Second
	// killTimeout is how long a SIGKILLed runsv may take to be reaped.
	killTimeout = 2 * time.Second
)

// runScript is every benchmark service's ./run: one idle process.
const runScript = "#!/bin/sh\nexec sleep 3600\n"

// supervisor is one runsv started by the harness for one service.
type supervisor struct {
	svc  string // the service directory (absolute)
	cmd  *exec.Cmd
	done chan struct{} // closed once runsv has exited and been reaped
}

// fleet is n services in one temp dir, each with its own runsv.
type fleet struct {
	dir     string
	devnull *os.File
	sups    []*supervisor
}

// startFleet creates n services under a new temp dir and starts the
// runsv binary on each, with env as its whole environment and stdio on
// /dev/null. It does not wait for the services to run (waitRunning).
func startFleet(runsv string, n int, env []string) (*fleet, error) {
	dir, err := os.MkdirTemp("", "gorunit-bench-")
	if err != nil {
		return nil, fmt.Errorf("create temp dir: %w", err)
	}
	started.addDir(dir)
	f := &fleet{dir: dir}
	if f.devnull, err = os.OpenFile(os.DevNull, os.O_RDWR, 0); err != nil {
		f.stop()
		return nil, fmt.Errorf("open %s: %w", os.DevNull, err)
	}
	for i := range n {
		svc, err := makeService(dir, fmt.Sprintf("svc%03d", i))
		if err == nil {
			err = f.start(runsv, svc, env)
		}
		if err != nil {
			f.stop()
			return nil, err
		}
	}
	return f, nil
}

// makeService creates dir/name with an executable ./run.
func makeService(dir, name string) (string, error) {
	svc := filepath.Join(dir, name)
	if err := os.Mkdir(svc, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", svc, err)
	}
	run := filepath.Join(svc, "run")
	if err := os.WriteFile(run, []byte(runScript), 0o755); err != nil {
		return "", fmt.Errorf("write %s: %w", run, err)
	}
	return svc, nil
}

// start runs one runsv on svc in its own process group, so that a ^C in
// the terminal reaches the harness only, which then stops it by pid.
func (f *fleet) start(runsv, svc string, env []string) error {
	cmd := exec.Command(runsv, svc)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = f.devnull, f.devnull, f.devnull
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s %s: %w", runsv, svc, err)
	}
	s := &supervisor{svc: svc, cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	started.addSupervisor(s)
	f.sups = append(f.sups, s)
	return nil
}

// waitRunning waits until every service's supervise/stat reads "run\n".
func (f *fleet) waitRunning() error {
	deadline := time.Now().Add(startTimeout)
	for _, s := range f.sups {
		if err := s.waitRunning(deadline); err != nil {
			return err
		}
	}
	return nil
}

func (s *supervisor) waitRunning(deadline time.Time) error {
	stat := filepath.Join(s.svc, "supervise", "stat")
	for {
		b, err := os.ReadFile(stat)
		if err == nil && string(b) == "run\n" {
			return nil
		}
		if s.exited() {
			return fmt.Errorf("%s: runsv %d exited before its service ran", s.svc, s.pid())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: reads %q, not \"run\\n\", after %v", stat, b, startTimeout)
		}
		time.Sleep(pollInterval)
	}
}

func (s *supervisor) pid() int { return s.cmd.Process.Pid }

func (s *supervisor) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// waitExit waits up to d for runsv to exit and be reaped.
func (s *supervisor) waitExit(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.done:
		return true
	case <-t.C:
		return false
	}
}

// servicePID is the pid in supervise/pid: the service's process, or 0.
func (s *supervisor) servicePID() (int, error) {
	path := filepath.Join(s.svc, "supervise", "pid")
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, nil
	}
	pid, err := strconv.Atoi(string(b))
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	return pid, nil
}

// sendExit writes 'x' to supervise/control, as `sv exit` does: open
// without blocking, so that a runsv that is gone fails with ENXIO.
func (s *supervisor) sendExit() error {
	path := filepath.Join(s.svc, "supervise", "control")
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer unix.Close(fd)
	if _, err := unix.Write(fd, []byte{'x'}); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// stop asks every runsv to exit ('x'), kills those that do not, then
// kills any service a runsv left behind, all by pid, and removes the
// temp dir. What needed force is printed as a warning: it is a bug in
// that runsv, or a sign the machine was badly overloaded.
func (f *fleet) stop() {
	services := make([]int, len(f.sups))
	for i, s := range f.sups {
		services[i], _ = s.servicePID() // 0 when unreadable: nothing to kill
		if err := s.sendExit(); err != nil && !s.exited() {
			fmt.Printf("warning: %v\n", err)
		}
	}
	deadline := time.Now().Add(exitTimeout)
	for _, s := range f.sups {
		if !s.waitExit(time.Until(deadline)) {
			fmt.Printf("warning: runsv %d (%s) still running %v after 'x': killed\n", s.pid(), s.svc, exitTimeout)
			s.cmd.Process.Kill()
			if !s.waitExit(killTimeout) {
				fmt.Printf("warning: runsv %d (%s) not reaped %v after SIGKILL\n", s.pid(), s.svc, killTimeout)
			}
		}
		started.removeSupervisor(s)
	}
	for i, pid := range services {
		if pid > 0 && killOrphan(pid) {
			fmt.Printf("warning: service %d of %s was still running after its runsv exited: killed\n", pid, f.sups[i].svc)
		}
	}
	if f.devnull != nil {
		f.devnull.Close()
	}
	if err := os.RemoveAll(f.dir); err != nil {
		fmt.Printf("warning: remove %s: %v\n", f.dir, err)
	}
	started.removeDir(f.dir)
}
