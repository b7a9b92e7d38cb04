package runsvdir_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorunit/gorunit/internal/testutil"
)

// fastExit is added to the environment of every process a test starts:
// under -race, a Go program sleeps a second at exit (GORACE's
// atexit_sleep_ms), which every runsv, logger and runsvdir would add to
// each stop.
const fastExit = "GORACE=halt_on_error=1 exitcode=66 atexit_sleep_ms=0"

// runStarted is a service that appends its pid to ./started and idles.
const runStarted = "#!/bin/sh\necho $$ >> started\nexec sleep 3600\n"

// proc is what /proc says about one process.
type proc struct {
	pid, ppid, sid int
	state          byte
	comm           string
	args           []string
}

// readProc reads /proc/PID/stat and cmdline; ok is false once it is gone.
func readProc(pid int) (p proc, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return p, false
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	f := strings.Fields(s[end+1:])
	if open < 0 || len(f) < 4 {
		return p, false
	}
	p.pid = pid
	p.comm = s[open+1 : end]
	p.state = f[0][0]
	p.ppid, _ = strconv.Atoi(f[1])
	p.sid, _ = strconv.Atoi(f[3])
	cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	p.args = strings.Split(strings.TrimSuffix(string(cmd), "\x00"), "\x00")
	return p, true
}

// children lists the live processes whose parent is pid.
func children(pid int) []proc {
	var out []proc
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readProc(n); ok && p.ppid == pid {
			out = append(out, p)
		}
	}
	return out
}

// runsvs maps the service name of every runsv child of pid to its pid
// ("runsv NAME" as runsvdir starts it; zombies excluded).
func runsvs(pid int) map[string]int {
	out := map[string]int{}
	for _, p := range children(pid) {
		if p.state != 'Z' && len(p.args) == 2 && filepath.Base(p.args[0]) == "runsv" {
			out[p.args[1]] = p.pid
		}
	}
	return out
}

func names(m map[string]int) []string {
	var n []string
	for k := range m {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}

// waitRunsvs waits until the runsv children of pid are exactly want (by
// service name) and returns their pids.
func waitRunsvs(t *testing.T, pid int, want ...string) map[string]int {
	t.Helper()
	slices.Sort(want)
	deadline := time.Now().Add(testutil.WaitTimeout)
	for {
		got := runsvs(pid)
		if slices.Equal(names(got), want) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("runsv children of %d: %v after %v, want %v", pid, names(got), testutil.WaitTimeout, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	p, ok := readProc(pid)
	return ok && p.state != 'Z'
}

// waitGone waits until pid has exited (and been reaped or is a zombie).
func waitGone(t *testing.T, pid int, what string) {
	t.Helper()
	testutil.Eventually(t, what+" ("+strconv.Itoa(pid)+") to exit", func() bool { return !alive(pid) })
}

// startedPIDs reads the pids a runStarted service wrote.
func startedPIDs(svc string) []int {
	var pids []int
	for _, l := range strings.Fields(testutil.ReadFile(filepath.Join(svc, "started"))) {
		if n, err := strconv.Atoi(l); err == nil {
			pids = append(pids, n)
		}
	}
	return pids
}

// waitStarted waits until the service has started n times and returns
// the pid of the last start.
func waitStarted(t *testing.T, svc string, n int) int {
	t.Helper()
	var pids []int
	testutil.Eventually(t, fmt.Sprintf("%s/run to start %d time(s)", svc, n), func() bool {
		pids = startedPIDs(svc)
		return len(pids) >= n
	})
	return pids[len(pids)-1]
}

// service writes a service directory with ./run at path, its mtime set
// in the past so that runsvdir need not wait for it to settle.
func service(t *testing.T, path, run string) string {
	t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "run"), []byte(run), 0o755); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute)
	os.Chtimes(path, old, old)
	return path
}

// stopByPID sends TERM to each runsv, as a test's last step, and waits
// until they are gone: runsv then stops its service first.
func stopByPID(t *testing.T, pids map[string]int) {
	t.Helper()
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGTERM)
	}
	for name, pid := range pids {
		waitGone(t, pid, "runsv "+name)
	}
}

// stderrOf is what a process printed on stderr, without the one warning
// of runsvdir that depends on the machine rather than on the test: no
// inotify instance left (the default limit is 128 per user, every one of
// our runsv holds one, and other tests run many), after which runsvdir
// polls the directory instead.
func stderrOf(p *testutil.Proc) string {
	var keep []string
	for _, l := range strings.SplitAfter(p.Stderr.String(), "\n") {
		if !strings.Contains(l, ", polling instead: ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

// startRunsvdir starts our runsvdir in dir with args; a test that fails
// shows what runsvdir and its runsv printed.
func startRunsvdir(t *testing.T, dir string, args ...string) *testutil.Proc {
	t.Helper()
	p := testutil.StartEnv(t, dir, []string{fastExit}, "runsvdir", args...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("runsvdir %d stderr:\n%s", p.Pid(), p.Stderr)
		}
	})
	return p
}

// pid1 starts our runsvdir with args as PID 1 of a new PID namespace and
// returns the unshare process and runsvdir's pid as seen from here. When
// runsvdir exits, the kernel kills whatever is left in the namespace.
func pid1(t *testing.T, dir string, env []string, args ...string) (*testutil.Proc, int) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/unshare"); err != nil {
		t.Skip("unshare (util-linux) not installed")
	}
	argv := append([]string{"--pid", "--fork", "--mount-proc", testutil.Bin("runsvdir")}, args...)
	u := testutil.StartEnv(t, dir, append([]string{fastExit}, env...), "/usr/bin/unshare", argv...)
	var pid int
	testutil.Eventually(t, "runsvdir to run under unshare", func() bool {
		for _, c := range children(u.Pid()) {
			if len(c.args) > 0 && filepath.Base(c.args[0]) == "runsvdir" {
				pid = c.pid
				return true
			}
		}
		if u.Exited() {
			t.Fatalf("unshare exited: %s", u.Stderr)
		}
		return false
	})
	return u, pid
}
