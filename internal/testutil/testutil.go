// Package testutil runs the suite's programs as real processes in tests,
// without a build step: TestMain hands control to Main, which makes the
// test binary act as runsv, sv, ... when it is started under that name
// (links in a temporary bin/ directory put first on PATH), as testscript
// and u-root's testutil do.
//
// Every process a test starts carries a marker in its environment, which
// its descendants inherit; Cleanup kills every process with the marker,
// by pid, so that no test leaves a service behind.
package testutil

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorunit/gorunit/internal/programs"
	"github.com/gorunit/gorunit/internal/status"
)

// markerVar names the environment variable that tags a test's processes.
const markerVar = "GORUNIT_TEST_MARK"

// WaitTimeout bounds every wait for a condition. It is a guard against a
// hung test, not a performance assertion: loaded CI machines are slow.
const WaitTimeout = 30 * time.Second

// pollEvery is how often Eventually rechecks its condition.
const pollEvery = 5 * time.Millisecond

var (
	binDir  string
	counter atomic.Int64
)

// Main is a package's TestMain. Started under a program's name, the test
// binary runs that program (or a test helper) and exits; otherwise it
// links every name into a temporary bin/, puts it first on PATH and runs
// the tests.
func Main(m *testing.M) {
	name := filepath.Base(os.Args[0])
	if h, ok := helpers[name]; ok {
		os.Exit(h(os.Args))
	}
	if p, ok := programs.Resolve(os.Args[0]); ok {
		os.Exit(p(os.Args))
	}
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testutil:", err)
		return 1
	}
	binDir, err = os.MkdirTemp("", "gorunit-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testutil:", err)
		return 1
	}
	defer os.RemoveAll(binDir)
	// A copy, not a link to the build cache, so that other users (nobody)
	// can run it too.
	self := filepath.Join(binDir, "gorunit.test")
	if err := copyFile(exe, self); err != nil {
		fmt.Fprintln(os.Stderr, "testutil:", err)
		return 1
	}
	os.Chmod(binDir, 0o755)
	exe = self
	names := programs.Names()
	for h := range helpers {
		names = append(names, h)
	}
	for _, n := range names {
		if err := os.Symlink(exe, filepath.Join(binDir, n)); err != nil {
			fmt.Fprintln(os.Stderr, "testutil:", err)
			return 1
		}
	}
	os.Setenv("PATH", binDir+":"+os.Getenv("PATH"))
	// A data race inside a program run by a test fails that program loudly.
	os.Setenv("GORACE", "halt_on_error=1 exitcode=66")
	return m.Run()
}

// Bin returns the path of our program (or test helper) called name.
func Bin(name string) string { return filepath.Join(binDir, name) }

// Debian returns the path of Debian's runit program called name, or skips
// the test when Debian's runit is not installed.
func Debian(t testing.TB, name string) string {
	t.Helper()
	p := "/usr/bin/" + name
	if _, err := os.Stat(p); err != nil {
		t.Skipf("Debian's runit is not installed (%s missing): apt-get install runit", p)
	}
	return p
}

// Tree builds a directory tree in a new temporary directory from a map of
// path to content and returns the directory. A path ending in "/" is an
// empty directory; content starting with "#!" makes an executable file.
func Tree(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for path, content := range files {
		full := filepath.Join(root, path)
		if strings.HasSuffix(path, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasPrefix(content, "#!") {
			mode = 0o755
		}
		if err := os.WriteFile(full, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// Proc is a process started by a test.
type Proc struct {
	Cmd    *exec.Cmd
	Stdout *Buffer
	Stderr *Buffer
	done   chan struct{}
	err    error
}

// Start starts prog (a path, or one of our program names) with args, in
// dir, tagged for Cleanup. Its output is collected in Stdout and Stderr.
func Start(t testing.TB, dir, prog string, args ...string) *Proc {
	t.Helper()
	return StartEnv(t, dir, nil, prog, args...)
}

// StartEnv is Start with extra environment variables ("NAME=value").
func StartEnv(t testing.TB, dir string, env []string, prog string, args ...string) *Proc {
	t.Helper()
	return StartAs(t, nil, dir, env, prog, args...)
}

// StartAs is StartEnv run as the user and group in cred (nil: as we are).
func StartAs(t testing.TB, cred *syscall.Credential, dir string, env []string, prog string, args ...string) *Proc {
	t.Helper()
	if !strings.Contains(prog, "/") {
		prog = Bin(prog)
	}
	cmd := exec.Command(prog, args...)
	cmd.Dir = dir
	cmd.Env = append(Env(t), env...)
	// A service started by this process may hold our output pipes after
	// it exits; don't wait for them longer than this.
	cmd.WaitDelay = 2 * time.Second
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	p := &Proc{Cmd: cmd, Stdout: &Buffer{}, Stderr: &Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.Stdout, p.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", prog, err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	mark := markFor(t)
	t.Cleanup(func() {
		cmd.Process.Kill()
		KillMarked(mark)
		<-p.done
	})
	return p
}

// Wait waits for the process to exit and returns its exit code (-1 when
// killed by a signal).
func (p *Proc) Wait(t testing.TB) int {
	t.Helper()
	return p.WaitUpTo(t, WaitTimeout)
}

// WaitUpTo is Wait with another guard, for a process with a lot to do
// (hundreds of child processes on a loaded machine).
func (p *Proc) WaitUpTo(t testing.TB, guard time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(guard):
		t.Fatalf("%s did not exit within %v; stderr: %s", p.Cmd.Path, guard, p.Stderr)
	}
	return p.Cmd.ProcessState.ExitCode()
}

// Pid is the process's pid.
func (p *Proc) Pid() int { return p.Cmd.Process.Pid }

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Signal sends sig to the process.
func (p *Proc) Signal(sig syscall.Signal) { p.Cmd.Process.Signal(sig) }

// Run runs prog with args in dir and returns stdout, stderr and the exit
// code; it is for short commands such as sv.
func Run(t testing.TB, dir, prog string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return RunEnv(t, dir, nil, prog, args...)
}

// RunEnv is Run with extra environment variables ("NAME=value").
func RunEnv(t testing.TB, dir string, env []string, prog string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	p := StartEnv(t, dir, env, prog, args...)
	code = p.Wait(t)
	return p.Stdout.String(), p.Stderr.String(), code
}

// Env returns the environment for a test's processes: ours plus the
// test's marker. It registers the cleanup that kills every marked process.
func Env(t testing.TB) []string {
	t.Helper()
	mark := markFor(t)
	return append(os.Environ(), markerVar+"="+mark)
}

var marks sync.Map // test name -> marker

func markFor(t testing.TB) string {
	if m, ok := marks.Load(t.Name()); ok {
		return m.(string)
	}
	m := fmt.Sprintf("%d-%d", os.Getpid(), counter.Add(1))
	if prev, loaded := marks.LoadOrStore(t.Name(), m); loaded {
		return prev.(string)
	}
	t.Cleanup(func() {
		KillMarked(m)
		marks.Delete(t.Name())
	})
	return m
}

// KillMarked sends SIGKILL, by pid, to every process whose environment
// carries marker m, until none is left.
func KillMarked(m string) {
	want := []byte(markerVar + "=" + m + "\x00")
	for round := 0; round < 100; round++ {
		found := 0
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == os.Getpid() {
				continue
			}
			env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
			if err != nil || !bytes.Contains(env, want) {
				continue
			}
			found++
			syscall.Kill(pid, syscall.SIGKILL)
		}
		if found == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Eventually waits until cond is true, failing the test with what after
// WaitTimeout.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(pollEvery)
	}
}

// ReadFile returns a file's content, or "" when it cannot be read.
func ReadFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// Status decodes supervise/status of the service directory dir.
func Status(t testing.TB, dir string) status.Record {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "supervise", "status"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := status.Decode(b)
	if err != nil {
		t.Fatalf("%s/supervise/status: %v", dir, err)
	}
	return r
}

// WaitStat waits until dir/supervise/stat reads want (without the newline).
func WaitStat(t testing.TB, dir, want string) {
	t.Helper()
	path := filepath.Join(dir, "supervise", "stat")
	Eventually(t, fmt.Sprintf("%s to read %q (it reads %q)", path, want, ""), func() bool {
		return ReadFile(path) == want+"\n"
	})
}

// WaitRecord waits until dir/supervise/status satisfies ok.
func WaitRecord(t testing.TB, dir, what string, ok func(status.Record) bool) status.Record {
	t.Helper()
	var rec status.Record
	Eventually(t, dir+"/supervise/status: "+what, func() bool {
		b, err := os.ReadFile(filepath.Join(dir, "supervise", "status"))
		if err != nil {
			return false
		}
		rec, err = status.Decode(b)
		return err == nil && ok(rec)
	})
	return rec
}

// WaitPID waits until dir/supervise/pid names a process other than not,
// and returns it.
func WaitPID(t testing.TB, dir string, not int) int {
	t.Helper()
	var pid int
	Eventually(t, "a new pid in "+dir+"/supervise/pid", func() bool {
		pid, _ = strconv.Atoi(strings.TrimSpace(ReadFile(filepath.Join(dir, "supervise", "pid"))))
		return pid != 0 && pid != not
	})
	return pid
}

// Buffer is a bytes.Buffer safe for a process writing while a test reads.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Nobody returns the credentials of user nobody, for tests that need an
// unprivileged user.
func Nobody(t testing.TB) *syscall.Credential {
	t.Helper()
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// CPUTime is the user plus system CPU time a process has used so far.
func CPUTime(pid int) time.Duration {
	s := ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}

// copyFile copies an executable.
func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o755)
}

// OpenUp makes dir and its parents up to the temporary directory's
// readable and searchable by everyone, for tests that run as nobody.
func OpenUp(t testing.TB, dir string) {
	t.Helper()
	tmp := os.TempDir()
	for d := dir; strings.HasPrefix(d, tmp) && d != tmp; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// InheritedIgnored is the SigIgn mask of a shell the test starts itself:
// the signals the environment passes down ignored (make ignores 32 and
// 33, for one), which every program below inherits too. Tests of signal
// dispositions add it to what they expect.
func InheritedIgnored(t testing.TB) uint64 {
	t.Helper()
	out, _, _ := Run(t, os.TempDir(), "/bin/sh", "-c", "grep '^SigIgn:' /proc/$$/status")
	mask, err := strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(out, "SigIgn:")), 16, 64)
	if err != nil {
		t.Fatalf("reading SigIgn: %q: %v", out, err)
	}
	return mask
}

// ChildOf returns the first child of pid, or 0: the process that
// unshare --fork started (it has exactly one).
func ChildOf(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(pid) + "/children")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(f[0])
	return n
}
