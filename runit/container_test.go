package runit_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorunit/gorunit/internal/programs"
	"github.com/gorunit/gorunit/internal/testutil"
)

// inNamespace starts runit (with args) as PID 1 of a new PID namespace.
// When it exits the kernel kills whatever is left in the namespace, so
// nothing leaks. It returns the unshare process and runit's pid as seen
// from outside.
func inNamespace(t *testing.T, dir string, env []string, args ...string) (*testutil.Proc, int) {
	t.Helper()
	return inNamespaceAs(t, "runit", dir, env, args...)
}

// inNamespaceAs is inNamespace for runit called as prog (my_init).
func inNamespaceAs(t *testing.T, prog, dir string, env []string, args ...string) (*testutil.Proc, int) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for a PID namespace")
	}
	argv := append([]string{"--pid", "--fork", "--mount-proc", testutil.Bin(prog)}, args...)
	p := testutil.StartEnv(t, dir, env, "/usr/bin/unshare", argv...)
	var pid int
	testutil.Eventually(t, prog+" to start in its namespace", func() bool {
		pid = testutil.ChildOf(p.Pid())
		return pid != 0 && strings.HasPrefix(testutil.ReadFile("/proc/"+strconv.Itoa(pid)+"/cmdline"), testutil.Bin(prog))
	})
	return p, pid
}

// needServices skips a test that needs runsvdir while it is not part of
// the suite yet.
func needServices(t *testing.T) {
	t.Helper()
	if _, ok := programs.Lookup("runsvdir"); !ok {
		t.Skip("runsvdir is not part of the suite yet")
	}
}

// TestMainCommandExitCode: runit exits with the main command's code, or
// 128+N when signal N killed it, or 127/126 when it cannot be started.
func TestMainCommandExitCode(t *testing.T) {
	tests := []struct {
		name string
		argv []string
		code int
	}{
		{"exit 0", []string{"sh", "-c", "exit 0"}, 0},
		{"exit 3", []string{"sh", "-c", "exit 3"}, 3},
		{"exit 255", []string{"sh", "-c", "exit 255"}, 255},
		{"killed by USR1", []string{"sh", "-c", "kill -USR1 $$"}, 128 + 10},
		{"killed by KILL", []string{"sh", "-c", "kill -KILL $$"}, 128 + 9},
		{"not found", []string{"/nonexistent/program"}, 127},
		{"not executable", []string{"/etc/passwd"}, 126},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p, _ := inNamespace(t, dir, []string{"SVDIR=" + filepath.Join(dir, "none")}, append([]string{"--"}, tt.argv...)...)
			if code := p.Wait(t); code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, p.Stderr)
			}
		})
	}
}

// TestExitCodeSweep: every exit code 0-255 comes through (tini's sweep),
// in steps to keep it short.
func TestExitCodeSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	dir := t.TempDir()
	for code := 0; code < 256; code += 17 {
		p, _ := inNamespace(t, dir, []string{"SVDIR=/nonexistent"}, "--", "sh", "-c", "exit "+strconv.Itoa(code))
		if got := p.Wait(t); got != code {
			t.Fatalf("exit %d, want %d", got, code)
		}
	}
}

// TestSignalsForwarded: every forwardable signal reaches the main
// command's process group; TERM ends it and runit exits with its code.
func TestSignalsForwarded(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "signals")
	p, pid := inNamespace(t, dir, []string{"SVDIR=/nonexistent"}, "--", "sigrecorder", log)
	testutil.Eventually(t, "recorder ready", func() bool { return strings.HasPrefix(testutil.ReadFile(log), "ready ") })
	var want []string
	for _, s := range []struct {
		sig  syscall.Signal
		name string
	}{{syscall.SIGHUP, "HUP"}, {syscall.SIGUSR1, "USR1"}, {syscall.SIGUSR2, "USR2"}, {syscall.SIGALRM, "ALRM"}, {syscall.SIGWINCH, "WINCH"}, {syscall.SIGCONT, "CONT"}} {
		syscall.Kill(pid, s.sig)
		want = append(want, s.name)
		testutil.Eventually(t, s.name+" forwarded", func() bool {
			return strings.HasSuffix(testutil.ReadFile(log), strings.Join(want, "\n")+"\n")
		})
	}
	syscall.Kill(pid, syscall.SIGTERM)
	if code := p.Wait(t); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, p.Stderr)
	}
	if !strings.HasSuffix(testutil.ReadFile(log), "TERM\n") {
		t.Fatalf("TERM not forwarded: %q", testutil.ReadFile(log))
	}
	if got := strings.Count(testutil.ReadFile(log), "TERM"); got != 1 {
		t.Errorf("main command got TERM %d times, want once", got)
	}
}

// TestSignalRewrite: -r TERM:USR1 forwards USR1 for TERM (and still
// starts the shutdown clock); -r HUP:0 drops HUP.
func TestSignalRewrite(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "signals")
	p, pid := inNamespace(t, dir, []string{"SVDIR=/nonexistent"}, "-t", "1", "-r", "TERM:USR1", "-r", "HUP:0", "--", "sigrecorder", log)
	testutil.Eventually(t, "recorder ready", func() bool { return strings.HasPrefix(testutil.ReadFile(log), "ready ") })
	syscall.Kill(pid, syscall.SIGHUP)
	syscall.Kill(pid, syscall.SIGTERM)
	code := p.Wait(t) // the recorder ignores USR1: killed at the timeout
	if got := testutil.ReadFile(log); !strings.HasSuffix(got, "USR1\n") || strings.Contains(got, "HUP") || strings.Contains(got, "TERM") {
		t.Fatalf("recorded %q, want only USR1", got)
	}
	if code != 128+9 {
		t.Fatalf("exit %d, want 137 (main killed at the timeout); stderr %s", code, p.Stderr)
	}
	if !strings.Contains(p.Stderr.String(), "main command did not exit within 1s; killing it") {
		t.Errorf("stderr: %q", p.Stderr)
	}
}

// TestOutputPassesThrough: the main command's stdout and stderr are its
// own, byte for byte.
func TestOutputPassesThrough(t *testing.T) {
	dir := t.TempDir()
	p, _ := inNamespace(t, dir, []string{"SVDIR=" + dir}, "--", "sh", "-c", `printf 'out\000\001\n'; printf 'err\n' >&2`)
	if code := p.Wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if got := p.Stdout.String(); got != "out\x00\x01\n" {
		t.Errorf("stdout %q", got)
	}
	if got := p.Stderr.String(); got != "err\n" {
		t.Errorf("stderr %q", got)
	}
}

// zombieScript starts 500 orphans (a shell starts them and exits, so
// they are re-parented), lets them exit, waits a second, and prints how
// many zombies are left in the namespace.
const zombieScript = `sh -c 'i=0; while [ $i -lt 500 ]; do sleep 0.5 & i=$((i+1)); done'; sleep 1.5;` +
	` grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l`

// TestZombieStorm: 500 orphans, none left as a zombie. The negative
// control runs the same with sleep as PID 1, which never reaps (a shell
// would: dash's waitpid(-1) collects orphans too).
func TestZombieStorm(t *testing.T) {
	dir := t.TempDir()
	p, _ := inNamespace(t, dir, []string{"SVDIR=" + dir}, "--", "sh", "-c", zombieScript)
	// Starting 500 processes takes seconds, and minutes on a loaded machine.
	if code := p.WaitUpTo(t, 5*time.Minute); code != 0 {
		t.Fatalf("exit %d: %s", code, p.Stderr)
	}
	if got := strings.TrimSpace(p.Stdout.String()); got != "0" {
		t.Fatalf("%s zombies left under runit", got)
	}
	ctl := testutil.Start(t, dir, "/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "sh", "-c", "("+zombieScript+") & exec sleep 4")
	ctl.WaitUpTo(t, 5*time.Minute)
	if got := strings.TrimSpace(ctl.Stdout.String()); got == "0" {
		t.Fatalf("negative control: no zombies without runit; the test cannot tell")
	}
}

// TestSharedNamespaceMainKilled: Kubernetes' shareProcessNamespace, where
// a pause process is PID 1 and runit its child (so a subreaper). The
// main command's master is killed with SIGKILL: its workers and its
// background children must be ended, and runit must exit.
func TestSharedNamespaceMainKilled(t *testing.T) {
	dir := t.TempDir()
	master := filepath.Join(dir, "master.pid")
	// master: two workers in its group, one nohup child in its own session.
	mainCmd := `echo $$ > ` + master + `; sleep 3600 & sleep 3600 & setsid sleep 3600 & wait`
	pause := `runit -- sh -c '` + mainCmd + `' ; echo "runit exited $?";` +
		` for p in /proc/[0-9]*; do c=$(cat $p/comm 2>/dev/null); [ "$c" = sleep ] && echo "left: $c"; done; true`
	p := testutil.StartEnv(t, dir, []string{"SVDIR=" + dir}, "/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "sh", "-c", pause)
	var pid int
	testutil.Eventually(t, "master pid", func() bool {
		pid, _ = strconv.Atoi(strings.TrimSpace(testutil.ReadFile(master)))
		return pid > 0
	})
	// The pid is the namespace's; find it from outside through the tree.
	testutil.Eventually(t, "three sleeps started", func() bool { return countDescendants(p.Pid(), "sleep") == 3 })
	host := findByNsPid(p.Pid(), pid)
	if host == 0 {
		t.Fatal("cannot find the master from outside")
	}
	syscall.Kill(host, syscall.SIGKILL)
	p.Wait(t)
	out := p.Stdout.String()
	if !strings.Contains(out, "runit exited 137\n") || strings.Contains(out, "left:") {
		t.Fatalf("after the master was killed:\n%s\nstderr: %s", out, p.Stderr)
	}
}

// countDescendants counts processes named comm below pid.
func countDescendants(pid int, comm string) int {
	n := 0
	for _, c := range descendantsOf(pid) {
		if strings.TrimSpace(testutil.ReadFile("/proc/"+strconv.Itoa(c)+"/comm")) == comm {
			n++
		}
	}
	return n
}

// descendantsOf lists every process below pid, through /proc children.
func descendantsOf(pid int) []int {
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(p) + "/task")
		for _, task := range tasks {
			for _, f := range strings.Fields(testutil.ReadFile("/proc/" + strconv.Itoa(p) + "/task/" + task.Name() + "/children")) {
				c, _ := strconv.Atoi(f)
				out = append(out, c)
				queue = append(queue, c)
			}
		}
	}
	return out
}

// findByNsPid finds, below pid, the process whose pid in its own
// namespace is nspid (the last NSpid field of /proc/PID/status).
func findByNsPid(pid, nspid int) int {
	for _, c := range descendantsOf(pid) {
		for _, l := range strings.Split(testutil.ReadFile("/proc/"+strconv.Itoa(c)+"/status"), "\n") {
			if f := strings.Fields(l); len(f) > 1 && f[0] == "NSpid:" && f[len(f)-1] == strconv.Itoa(nspid) {
				return c
			}
		}
	}
	return 0
}
