package runsvdir_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorunit/gorunit/internal/testutil"
)

func TestUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		env    []string
		args   []string
		stderr string
	}{
		{"no directory", nil, nil, "usage: runsvdir [-P] [-t sec] dir [log]\n\n"},
		{"only -P", nil, []string{"-P"}, "usage: runsvdir [-P] [-t sec] dir [log]\n\n"},
		{"unknown option", nil, []string{"-x", "dir"}, "runsvdir: illegal option -- x\nusage: runsvdir [-P] [-t sec] dir [log]\n\n"},
		{"bad timeout", nil, []string{"-t", "soon", "dir"}, "runsvdir: -t: not a number of seconds: \"soon\"\nusage: runsvdir [-P] [-t sec] dir [log]\n\n"},
		{"bad timeout variable", []string{"RUNSVDIR_STOP_TIMEOUT=-1"}, []string{"dir"}, "runsvdir: RUNSVDIR_STOP_TIMEOUT: not a number of seconds: \"-1\"\nusage: runsvdir [-P] [-t sec] dir [log]\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Through a relative argv[0] on PATH, as runit prints it.
			_, stderr, code := testutil.RunEnv(t, t.TempDir(), append([]string{fastExit}, tt.env...), "/bin/sh", append([]string{"-c", `exec runsvdir "$@"`, "runsvdir"}, tt.args...)...)
			if code != 1 || stderr != tt.stderr {
				t.Errorf("exit %d, stderr %q; want 1, %q", code, stderr, tt.stderr)
			}
		})
	}
}

// TestStartsServices: one runsv per directory or symlink to one, named as
// in dir and run in dir; dot names, files and dangling links skipped, the
// latter with runit's warning, printed once.
func TestStartsServices(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "service")
	service(t, filepath.Join(dir, "plain"), runStarted)
	service(t, filepath.Join(dir, ".hidden"), runStarted)
	linked := service(t, filepath.Join(root, "elsewhere", "linked"), runStarted)
	os.Symlink(linked, filepath.Join(dir, "link"))
	os.Symlink(filepath.Join(root, "nowhere"), filepath.Join(dir, "dangling"))
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
	os.Symlink(filepath.Join(dir, "file"), filepath.Join(dir, "filelink"))
	os.Symlink(linked, filepath.Join(dir, ".dotlink"))

	p := startRunsvdir(t, root, "service")
	got := waitRunsvs(t, p.Pid(), "link", "plain")
	waitStarted(t, filepath.Join(dir, "plain"), 1)
	waitStarted(t, linked, 1)
	for name, pid := range got {
		if cwd, _ := os.Readlink("/proc/" + itoa(pid) + "/cwd"); cwd != filepath.Join(dir, name) && cwd != linked {
			t.Errorf("runsv %s runs in %s", name, cwd)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".hidden", "supervise")); err == nil {
		t.Error(".hidden was started")
	}
	want := "runsvdir service: warning: unable to stat dangling: file does not exist\n"
	testutil.Eventually(t, "the warning about dangling", func() bool { return stderrOf(p) == want })
	// A new service proves a rescan happened; the warning stays single.
	service(t, filepath.Join(dir, "later"), runStarted)
	waitStarted(t, filepath.Join(dir, "later"), 1)
	if s := stderrOf(p); s != want {
		t.Errorf("stderr = %q, want %q", s, want)
	}
	stopByPID(t, waitRunsvs(t, p.Pid(), "link", "plain", "later"))
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestPicksUpAtOnce: a service linked in, moved in, or made in place
// starts without waiting for a rescan (runsvdir watches dir).
func TestPicksUpAtOnce(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "service")
	// A first service, there at start: once it runs, runsvdir has read
	// dir, and it watches dir before it reads it.
	first := service(t, filepath.Join(dir, "first"), runStarted)
	p := startRunsvdir(t, root, "service")
	waitStarted(t, first, 1)

	// Under the 5 s rescan, with room for a loaded machine (a runsv
	// built with -race takes a while to start).
	const fast = 3 * time.Second
	tests := []struct {
		name string
		add  func(name string) string // returns the service directory
	}{
		{"symlink", func(name string) string {
			svc := service(t, filepath.Join(root, "sv", name), runStarted)
			os.Symlink(svc, filepath.Join(dir, name))
			return svc
		}},
		{"moved in", func(name string) string {
			svc := service(t, filepath.Join(root, "sv", name), runStarted)
			os.Rename(svc, filepath.Join(dir, name))
			return filepath.Join(dir, name)
		}},
		{"made in place", func(name string) string {
			// mkdir, then run a moment later: runsvdir lets the new
			// directory settle before it starts runsv.
			svc := filepath.Join(dir, name)
			os.Mkdir(svc, 0o755)
			time.Sleep(20 * time.Millisecond)
			os.WriteFile(filepath.Join(svc, "run"), []byte(runStarted), 0o755)
			return svc
		}},
	}
	all := []string{"first"}
	for _, tt := range tests {
		name := strings.ReplaceAll(tt.name, " ", "-")
		began := time.Now()
		svc := tt.add(name)
		waitStarted(t, svc, 1)
		if took := time.Since(began); took > fast {
			t.Errorf("%s: ./run started after %v, want under %v", tt.name, took, fast)
		}
		all = append(all, name)
	}
	stopByPID(t, waitRunsvs(t, p.Pid(), all...))
}

// TestIdentityByDirectory: renaming a symlink keeps its runsv; a
// directory removed and made again gets a new runsv, and the old one
// gets TERM; a removed entry's runsv gets TERM and stops its service.
func TestIdentityByDirectory(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "service")
	linked := service(t, filepath.Join(root, "sv", "linked"), runStarted)
	os.Mkdir(dir, 0o755)
	os.Symlink(linked, filepath.Join(dir, "a"))
	inplace := service(t, filepath.Join(dir, "inplace"), runStarted)
	gone := service(t, filepath.Join(root, "sv", "gone"), runStarted)
	os.Symlink(gone, filepath.Join(dir, "gone"))

	p := startRunsvdir(t, root, "service")
	first := waitRunsvs(t, p.Pid(), "a", "gone", "inplace")
	goneService := waitStarted(t, gone, 1)
	waitStarted(t, inplace, 1)
	waitStarted(t, linked, 1) // runsv a is in its directory: renaming a no longer matters to it

	t.Run("renamed symlink", func(t *testing.T) {
		os.Rename(filepath.Join(dir, "a"), filepath.Join(dir, "b"))
		barrier(t, root, dir, p.Pid(), "barrier1")
		if pids := runsvs(p.Pid()); pids["a"] != first["a"] || pids["b"] != 0 {
			t.Errorf("after rename: runsv %v, want only the old runsv a (%d)", pids, first["a"])
		}
		if n := len(startedPIDs(linked)); n != 1 {
			t.Errorf("linked started %d times, want 1", n)
		}
	})
	t.Run("removed entry", func(t *testing.T) {
		os.Remove(filepath.Join(dir, "gone"))
		waitGone(t, first["gone"], "runsv of the removed service")
		waitGone(t, goneService, "the removed service")
	})
	t.Run("directory made again", func(t *testing.T) {
		os.RemoveAll(inplace)
		service(t, inplace, runStarted)
		waitGone(t, first["inplace"], "runsv of the old directory")
		waitStarted(t, inplace, 1) // the new directory's started file
		if pid := runsvs(p.Pid())["inplace"]; pid == 0 || pid == first["inplace"] {
			t.Errorf("runsv of the new directory: %d (old %d)", pid, first["inplace"])
		}
	})
	stopByPID(t, waitRunsvs(t, p.Pid(), "a", "inplace", "barrier1"))
}

// barrier links in a new service and waits until it runs: runsvdir has
// handled every event before it.
func barrier(t *testing.T, root, dir string, runsvdir int, name string) {
	t.Helper()
	svc := service(t, filepath.Join(root, "sv", name), runStarted)
	os.Symlink(svc, filepath.Join(dir, name))
	waitStarted(t, svc, 1)
	testutil.Eventually(t, "runsv "+name, func() bool { return runsvs(runsvdir)[name] != 0 })
}

// TestRestartsRunsv: a runsv killed with KILL is started again.
func TestRestartsRunsv(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	svc := service(t, filepath.Join(root, "service", "svc"), runStarted)
	p := startRunsvdir(t, root, "service")
	old := waitRunsvs(t, p.Pid(), "svc")["svc"]
	orphan := waitStarted(t, svc, 1)
	syscall.Kill(old, syscall.SIGKILL)
	var now int
	testutil.Eventually(t, "a new runsv", func() bool {
		now = runsvs(p.Pid())["svc"]
		return now != 0 && now != old
	})
	// The old ./run outlived its runsv; a second one starts (as runit).
	waitStarted(t, svc, 2)
	syscall.Kill(orphan, syscall.SIGKILL)
	stopByPID(t, map[string]int{"svc": now})
}

// TestHangup: HUP sends TERM to every runsv, then exits 111.
func TestHangup(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	a := service(t, filepath.Join(root, "service", "a"), runStarted)
	b := service(t, filepath.Join(root, "service", "b"), runStarted)
	p := startRunsvdir(t, root, "service")
	pids := waitRunsvs(t, p.Pid(), "a", "b")
	sa, sb := waitStarted(t, a, 1), waitStarted(t, b, 1)
	p.Signal(syscall.SIGHUP)
	if code := p.Wait(t); code != 111 {
		t.Errorf("exit %d after HUP, want 111", code)
	}
	for name, pid := range pids {
		waitGone(t, pid, "runsv "+name)
	}
	waitGone(t, sa, "service a")
	waitGone(t, sb, "service b")
}

// TestTermLeavesServices: not PID 1, TERM ends runsvdir at once with 0 and
// the runsv go on, as runit's stage 2 expects.
func TestTermLeavesServices(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	svc := service(t, filepath.Join(root, "service", "svc"), runStarted)
	p := startRunsvdir(t, root, "service")
	pids := waitRunsvs(t, p.Pid(), "svc")
	service := waitStarted(t, svc, 1)
	p.Signal(syscall.SIGTERM)
	if code := p.Wait(t); code != 0 {
		t.Errorf("exit %d after TERM, want 0", code)
	}
	if !alive(pids["svc"]) || !alive(service) {
		t.Fatalf("runsv %d or its service %d did not survive runsvdir", pids["svc"], service)
	}
	stopByPID(t, pids)
	waitGone(t, service, "the service")
}

// TestSetsid: -P puts each runsv in a session of its own; without it,
// runsv stays in runsvdir's.
func TestSetsid(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		args []string
		own  bool
	}{{"-P", []string{"-P"}, true}, {"default", nil, false}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			service(t, filepath.Join(root, "service", "svc"), runStarted)
			p := startRunsvdir(t, root, append(tt.args, "service")...)
			pids := waitRunsvs(t, p.Pid(), "svc")
			rs, _ := readProc(pids["svc"])
			me, _ := readProc(p.Pid())
			if own := rs.sid == rs.pid; own != tt.own || (!own && rs.sid != me.sid) {
				t.Errorf("runsv session %d (pid %d, runsvdir's session %d); want own session: %v", rs.sid, rs.pid, me.sid, tt.own)
			}
			stopByPID(t, pids)
		})
	}
}

// TestLogArgument: with a log argument, runsvdir's and its children's
// stderr scroll through that argument, which ps shows.
func TestLogArgument(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "service")
	os.MkdirAll(dir, 0o755)
	os.Symlink("/nonexistent", filepath.Join(dir, "dangling"))
	// A service whose runsv complains: ./run cannot be executed.
	os.MkdirAll(filepath.Join(dir, "broken"), 0o755)
	os.WriteFile(filepath.Join(dir, "broken", "run"), []byte("not a script"), 0o644)
	title := "log: " + strings.Repeat(".", 200)
	p := startRunsvdir(t, root, "service", title)
	cmdline := func() string {
		return strings.ReplaceAll(testutil.ReadFile("/proc/"+itoa(p.Pid())+"/cmdline"), "\x00", " ")
	}
	for _, want := range []string{
		"runsvdir service: warning: unable to stat dangling: file does not exist\n",
		"runsv broken: fatal: unable to start ./run: access denied\n",
	} {
		testutil.Eventually(t, "cmdline showing "+want, func() bool { return strings.Contains(cmdline(), want) })
	}
	c := cmdline()
	if !strings.Contains(c, " service log: ") || len(c) != len(testutil.Bin("runsvdir")+" service "+title+" ") {
		t.Errorf("cmdline %q: want the log argument, 'log: ' kept, length unchanged", c)
	}
	if s := p.Stderr.String(); s != "" {
		t.Errorf("stderr = %q, want everything in the log", s)
	}
	stopByPID(t, waitRunsvs(t, p.Pid(), "broken"))
}

// TestLogTooShort: runit's warnings, and runsvdir goes on without a log.
func TestLogTooShort(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	svc := service(t, filepath.Join(root, "service", "svc"), runStarted)
	p := startRunsvdir(t, root, "service", "log: .")
	pids := waitRunsvs(t, p.Pid(), "svc")
	waitStarted(t, svc, 1)
	want := "runsvdir service: warning: log must have at least seven characters.\n" +
		"runsvdir service: warning: log service disabled.\n"
	if s := stderrOf(p); s != want {
		t.Errorf("stderr = %q, want %q", s, want)
	}
	stopByPID(t, pids)
}

// TestEnvironment: runsv and its service get runsvdir's environment and
// no blocked or ignored signal. Our own runsv is started lean
// (GOMAXPROCS=1, runsv.LeanEnv), and neither variable reaches the
// service.
func TestEnvironment(t *testing.T) {
	t.Parallel()
	if _, set := os.LookupEnv("GOMAXPROCS"); set {
		t.Skip("GOMAXPROCS is set: runsv is not made lean")
	}
	root := t.TempDir()
	svc := service(t, filepath.Join(root, "service", "svc"), "#!/bin/sh\nenv > env\ngrep -E '^Sig(Blk|Ign)' /proc/$$/status > masks\n"+strings.TrimPrefix(runStarted, "#!/bin/sh\n"))
	p := testutil.StartEnv(t, root, []string{fastExit, "FOO=bar"}, "runsvdir", "service")
	pids := waitRunsvs(t, p.Pid(), "svc")
	waitStarted(t, svc, 1)
	env := "\n" + testutil.ReadFile(filepath.Join(svc, "env"))
	if !strings.Contains(env, "\nFOO=bar\n") || strings.Contains(env, "\nGOMAXPROCS=") || strings.Contains(env, "\nGORUNIT_RUNSV_LEAN=") {
		t.Errorf("service environment:%s", env)
	}
	if runsvEnv := testutil.ReadFile("/proc/" + itoa(pids["svc"]) + "/environ"); !strings.Contains(runsvEnv, "\x00GOMAXPROCS=1\x00") {
		t.Errorf("runsv was not started with GOMAXPROCS=1")
	}
	// Nothing runsvdir (or runsv) blocks or ignores reaches the service:
	// its masks are those of a shell the test starts itself.
	ref, _, _ := testutil.Run(t, root, "/bin/sh", "-c", "grep -E '^Sig(Blk|Ign)' /proc/$$/status")
	if masks := testutil.ReadFile(filepath.Join(svc, "masks")); masks != ref {
		t.Errorf("service signal masks:\n%s\nwant, as a direct child's:\n%s", masks, ref)
	}
	stopByPID(t, pids)
}
