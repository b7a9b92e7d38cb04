package runsv_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorunit/gorunit/internal/testutil"
)

// TestLockConflict: a second runsv on the same service fails at once with
// runit's message and exit code, also when there is a log service (whose
// lock runsv waits for: the main lock must be tried first).
func TestLockConflict(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
	}{
		{"service", map[string]string{"svc/run": "#!/bin/sh\nexec sleep 3600\n"}},
		{"with log", map[string]string{"svc/run": "#!/bin/sh\nexec sleep 3600\n", "svc/log/run": "#!/bin/sh\nexec cat\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testutil.Tree(t, tt.files)
			startRunsv(t, dir, "svc")
			testutil.WaitStat(t, filepath.Join(dir, "svc"), "run")
			_, stderr, code := testutil.Run(t, dir, "runsv", "svc")
			if code != 111 || stderr != "runsv svc: fatal: unable to lock supervise/lock: temporary failure\n" {
				t.Fatalf("second runsv: exit %d, stderr %q", code, stderr)
			}
		})
	}
}

// TestFatalSetup: bad service directories stop runsv at start with one
// line and exit 111 (or 1 for usage).
func TestFatalSetup(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"no argument", nil, nil, 1, "usage: RUNSV dir\n\n"},
		{"two arguments", nil, []string{"a", "b"}, 1, "usage: RUNSV dir\n\n"},
		{"no directory", nil, []string{"svc"}, 111, "runsv svc: fatal: unable to change to directory: file does not exist\n"},
		{"supervise is a file", map[string]string{"svc/run": "#!/bin/sh\n", "svc/supervise": ""}, []string{"svc"}, 111,
			"runsv svc: fatal: unable to open supervise/lock: not a directory\n"},
		{"control is a file", map[string]string{"svc/run": "#!/bin/sh\n", "svc/supervise/control": ""}, []string{"svc"}, 111,
			"runsv svc: fatal: supervise/control exists but is not a fifo\n"},
		{"log control is a file", map[string]string{"svc/run": "#!/bin/sh\n", "svc/log/run": "#!/bin/sh\n", "svc/log/supervise/control": ""}, []string{"svc"}, 111,
			"runsv svc: fatal: log/supervise/control exists but is not a fifo\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testutil.Tree(t, tt.files)
			_, stderr, code := testutil.Run(t, dir, "runsv", tt.args...)
			want := strings.ReplaceAll(tt.stderr, "RUNSV", testutil.Bin("runsv"))
			if code != tt.code || stderr != want {
				t.Fatalf("exit %d, stderr %q; want %d, %q", code, stderr, tt.code, want)
			}
		})
	}
}

// TestRunCannotStart: a missing or unusable ./run is reported once per
// attempt, retried once a second without spinning, and runsv stays
// controllable.
func TestRunCannotStart(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		why   string
	}{
		{"no run", map[string]string{"svc/": ""}, "file does not exist"},
		{"run not executable", map[string]string{"svc/run": "exit 0\n"}, "access denied"},
		{"run is a directory", map[string]string{"svc/run/": ""}, "access denied"},
		{"log run missing", map[string]string{"svc/run": "#!/bin/sh\nexec sleep 3600\n", "svc/log/": ""}, "file does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testutil.Tree(t, tt.files)
			p, svc := startRunsv(t, dir, "svc")
			what := "./run"
			if strings.HasPrefix(tt.name, "log") {
				what = "log/./run"
			}
			line := "runsv svc: fatal: unable to start " + what + ": " + tt.why + "\n"
			start := time.Now()
			testutil.Eventually(t, "three failed starts", func() bool { return strings.Count(p.Stderr.String(), line) >= 3 })
			if elapsed := time.Since(start); elapsed < 1500*time.Millisecond {
				t.Errorf("three attempts took only %v: the restart is not throttled", elapsed)
			}
			if cpu := testutil.CPUTime(p.Pid()); cpu > 500*time.Millisecond {
				t.Errorf("runsv used %v of CPU while retrying: a busy loop", cpu)
			}
			if other := strings.ReplaceAll(p.Stderr.String(), line, ""); other != "" {
				t.Errorf("unexpected output: %q", other)
			}
			control(t, svc, "x")
			if code := p.Wait(t); code != 0 {
				t.Fatalf("runsv exit %d after x", code)
			}
		})
	}
}

// TestLogNotADirectory: a log that is not a directory is warned about and
// ignored.
func TestLogNotADirectory(t *testing.T) {
	dir := testutil.Tree(t, map[string]string{"svc/run": "#!/bin/sh\nexec sleep 3600\n", "svc/log": "x"})
	p, svc := startRunsv(t, dir, "svc")
	testutil.WaitStat(t, svc, "run")
	testutil.Eventually(t, "the warning", func() bool {
		return p.Stderr.String() == "runsv svc: warning: ./log: not a directory.\n"
	})
}

// TestSuperviseSymlink: supervise may be a symlink; a missing target is
// created, so the service directory itself can be read-only. Run as
// nobody, with the service directory owned by root, as under Kubernetes'
// runAsNonRoot and readOnlyRootFilesystem.
func TestSuperviseSymlink(t *testing.T) {
	tests := []struct {
		name string
		cred bool
	}{{"root", false}, {"nobody", true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testutil.Tree(t, map[string]string{"svc/run": "#!/bin/sh\nexec sleep 3600\n", "svc/log/run": "#!/bin/sh\nexec cat >/dev/null\n"})
			state := t.TempDir()
			target := filepath.Join(state, "run", "svc")
			if err := os.Symlink(target, filepath.Join(dir, "svc", "supervise")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("../../state-log", filepath.Join(dir, "svc", "log", "supervise")); err != nil {
				t.Fatal(err)
			}
			// log/supervise resolves to dir/state-log; pre-create it for nobody.
			var cred *syscall.Credential
			if tt.cred {
				cred = testutil.Nobody(t)
				for _, d := range []string{state, filepath.Join(dir, "state-log")} {
					os.MkdirAll(d, 0o755)
					os.Chown(d, int(cred.Uid), int(cred.Gid))
				}
				testutil.OpenUp(t, filepath.Join(dir, "svc", "log"))
				testutil.OpenUp(t, state)
			}
			p := testutil.StartAs(t, cred, dir, nil, "runsv", "svc")
			svc := filepath.Join(dir, "svc")
			testutil.WaitStat(t, svc, "run")
			for _, f := range []string{"status", "stat", "pid", "lock", "control", "ok"} {
				if _, err := os.Stat(filepath.Join(target, f)); err != nil {
					t.Errorf("%s in the symlink's target: %v", f, err)
				}
			}
			testutil.WaitStat(t, filepath.Join(svc, "log"), "run")
			if st, err := os.Stat(target); err != nil || st.Mode().Perm() != 0o700 {
				t.Errorf("target mode: %v %v", st, err)
			}
			out, _, code := testutil.Run(t, dir, "sv", "status", "./svc")
			if code != 0 || !strings.HasPrefix(out, "run: ./svc: (pid ") || !strings.Contains(out, "; run: log: (pid ") {
				t.Errorf("sv status through the symlink: %q, exit %d", out, code)
			}
			control(t, svc, "x")
			if code := p.Wait(t); code != 0 {
				t.Fatalf("runsv exit %d; stderr %s", code, p.Stderr)
			}
		})
	}
}

// TestReadOnlyServiceDirectory: the service tree is mounted read-only (a
// container's readOnlyRootFilesystem) and supervise is a symlink into a
// writable tmpfs: runsv works. It runs in a private mount namespace, so
// nothing outside the test sees the mounts.
func TestReadOnlyServiceDirectory(t *testing.T) {
	if _, err := exec.LookPath("unshare"); err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and unshare(1) for a private mount namespace")
	}
	dir := testutil.Tree(t, map[string]string{"svc/run": "#!/bin/sh\nexec sleep 3600\n"})
	state := t.TempDir()
	if err := os.Symlink(filepath.Join(state, "svc"), filepath.Join(dir, "svc", "supervise")); err != nil {
		t.Fatal(err)
	}
	script := `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && mount -t tmpfs none "$2" && ` +
		`if touch "$1/x" 2>/dev/null; then echo writable; exit 1; fi; exec runsv "$1/svc"`
	p := testutil.Start(t, dir, "/usr/bin/unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", dir, state)
	// The tmpfs is private to the namespace: ask sv from inside it.
	in := func(cmd string) string {
		out, _, _ := testutil.Run(t, dir, "/usr/bin/nsenter", "--mount", "--target", strconv.Itoa(p.Pid()), "sh", "-c", cmd)
		return out
	}
	testutil.Eventually(t, "runsv to run the service", func() bool {
		return strings.HasPrefix(in("sv status "+dir+"/svc"), "run: "+dir+"/svc: (pid ")
	})
	if p.Exited() {
		t.Fatalf("runsv exited: %s", p.Stderr)
	}
	in("sv exit " + dir + "/svc")
	if code := p.Wait(t); code != 0 {
		t.Fatalf("runsv exit %d; stderr %s", code, p.Stderr)
	}
}

// TestIdleUsesNoCPU: an idle runsv sleeps in the kernel; it does not
// poll. Over two idle seconds it may use at most a couple of clock ticks.
func TestIdleUsesNoCPU(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	dir := testutil.Tree(t, map[string]string{"svc/run": "#!/bin/sh\nexec sleep 3600\n", "svc/log/run": "#!/bin/sh\nexec cat >/dev/null\n"})
	p, svc := startRunsv(t, dir, "svc")
	testutil.WaitStat(t, svc, "run")
	testutil.WaitStat(t, filepath.Join(svc, "log"), "run")
	time.Sleep(500 * time.Millisecond) // let start-up work finish
	before := testutil.CPUTime(p.Pid())
	time.Sleep(2 * time.Second)
	if used := testutil.CPUTime(p.Pid()) - before; used > 20*time.Millisecond {
		t.Fatalf("idle runsv used %v of CPU in 2s", used)
	}
}
