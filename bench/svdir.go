package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// What the pickup and fleet benchmarks share: a runsvdir (ours or
// Debian's) started on a temp tree and stopped again, by pid.

// debianRunsvdir is Debian's runsvdir, the reference (package runit).
const debianRunsvdir = "/usr/bin/runsvdir"

// svdirStopTimeout bounds the stop of a runsvdir and every runsv it ran
// (HUP: TERM to every runsv, whose services are sleep, which obeys at
// once). Past it what is left is killed, with a warning.
const svdirStopTimeout = 30 * time.Second

// svdirImpl is one runsvdir compared.
type svdirImpl struct {
	name string
	bin  string
	path string // its PATH=, so that it starts its own runsv
}

// svdirImpls lists Debian's runsvdir (when installed) and ours. Each gets
// a PATH that finds its own runsv first.
func svdirImpls(h *harness) ([]svdirImpl, error) {
	bin := filepath.Dir(h.bin.gorunit)
	ours := filepath.Join(bin, "runsvdir")
	if err := need(ours, h.bin.runsv); err != nil {
		return nil, err
	}
	var impls []svdirImpl
	if isExecutable(debianRunsvdir) && h.bin.debRunsv != "" {
		impls = append(impls, svdirImpl{"debian runsvdir", debianRunsvdir, "PATH=" + filepath.Dir(h.bin.debRunsv) + ":/usr/sbin:/usr/bin:/sbin:/bin"})
	} else {
		fmt.Printf("note: skipping debian's runsvdir: %s not found (apt-get install %s)\n", debianRunsvdir, debianPackage)
	}
	impls = append(impls, svdirImpl{"ours", ours, "PATH=" + bin + ":/usr/sbin:/usr/bin:/sbin:/bin"})
	return impls, nil
}

// svdirRun is one runsvdir running on dir/service.
type svdirRun struct {
	dir, svdir string
	sup        *supervisor
	log        string // its stderr and its children's
}

// startSvdir starts impl on dir/service with env (PATH replaced), stdio
// on /dev/null but stderr in dir/runsvdir.log, in its own process group
// so that a ^C reaches only the harness.
func startSvdir(impl svdirImpl, dir string, env []string) (*svdirRun, error) {
	r := &svdirRun{dir: dir, svdir: filepath.Join(dir, "service"), log: filepath.Join(dir, "runsvdir.log")}
	logf, err := os.Create(r.log)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", r.log, err)
	}
	defer logf.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", os.DevNull, err)
	}
	defer devnull.Close()
	cmd := exec.Command(impl.bin, r.svdir)
	for _, kv := range env {
		if !strings.HasPrefix(kv, "PATH=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, impl.path)
	cmd.Dir = dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", impl.bin, err)
	}
	r.sup = &supervisor{svc: r.svdir, cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(r.sup.done)
	}()
	started.addSupervisor(r.sup)
	return r, nil
}

// stop sends HUP, which makes either runsvdir send TERM to every runsv
// and exit 111, and waits until runsvdir and every runsv it had are gone.
// The runsv, orphaned, come to the harness (a subreaper), which sends them
// TERM too, in case runsvdir was killed before it could (it forks slowly
// on a loaded machine), and reaps them; one that does not exit in time is
// killed with a warning.
func (r *svdirRun) stop() {
	runsvs := descendantsOf(r.sup.pid(), 1) // those that exit at once leave no cwd to find them by
	r.sup.cmd.Process.Signal(unix.SIGHUP)
	if !r.sup.waitExit(svdirStopTimeout) {
		fmt.Printf("warning: runsvdir %d still running %v after HUP: killed\n", r.sup.pid(), svdirStopTimeout)
		r.sup.cmd.Process.Kill()
		r.sup.waitExit(killTimeout)
	}
	started.removeSupervisor(r.sup)
	tree := readProcTree()
	for _, pid := range tree.children[os.Getpid()] {
		cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
		ours := err == nil && strings.HasPrefix(cwd, r.dir+"/")
		// One that exited at once has no cwd left: a zombie runsv.
		zombie := tree.state[pid] == 'Z' && tree.comm[pid] == "runsv"
		if (ours || zombie) && !slices.Contains(runsvs, pid) {
			runsvs = append(runsvs, pid)
		}
		if ours {
			unix.Kill(pid, unix.SIGTERM)
		}
	}
	deadline := time.Now().Add(svdirStopTimeout)
	for _, pid := range runsvs {
		for {
			var ws unix.WaitStatus
			got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
			if got == pid || err != nil {
				break // reaped
			}
			if time.Now().After(deadline) {
				fmt.Printf("warning: runsv %d still running %v after TERM: killed\n", pid, svdirStopTimeout)
				killOrphan(pid)
				break
			}
			time.Sleep(pollInterval)
		}
	}
}

// logTailOf is the end of the runsvdir's log, for error messages.
func (r *svdirRun) logTail() string { return logTail(r.log) }

// procTree reads every process's parent and CPU time (utime + stime +
// cutime + cstime: its own and its waited-for children's) from /proc.
type procTree struct {
	children map[int][]int
	cpu      map[int]time.Duration
	state    map[int]byte
	comm     map[int]string
}

func readProcTree() procTree {
	t := procTree{children: map[int][]int{}, cpu: map[int]time.Duration{}, state: map[int]byte{}, comm: map[int]string{}}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(s[end+1:]) // f[0] is field 3, the state
		if len(f) < 15 {
			continue
		}
		t.state[pid] = f[0][0]
		t.comm[pid] = s[open+1 : end]
		var ppid int
		fmt.Sscan(f[1], &ppid)
		t.children[ppid] = append(t.children[ppid], pid)
		var ticks int64
		for _, k := range f[11:15] { // utime, stime, cutime, cstime
			var n int64
			fmt.Sscan(k, &n)
			ticks += n
		}
		t.cpu[pid] = time.Duration(ticks) * time.Second / 100 // USER_HZ
	}
	return t
}

// descendants lists pid's descendants down to depth levels (0: all).
func (t procTree) descendants(pid, depth int) []int {
	var out []int
	for _, c := range t.children[pid] {
		out = append(out, c)
		if depth != 1 {
			out = append(out, t.descendants(c, max(depth-1, 0))...)
		}
	}
	return out
}

// descendantsOf reads /proc and lists pid's descendants to depth.
func descendantsOf(pid, depth int) []int { return readProcTree().descendants(pid, depth) }
