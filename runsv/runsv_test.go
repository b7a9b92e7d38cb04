package runsv_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gorunit/gorunit/internal/status"
	"github.com/gorunit/gorunit/internal/testutil"
)

// recorderRun is a run script that saves its signal masks in ./masks and
// execs sigrecorder into ./signals.
const recorderRun = "#!/bin/sh\ngrep -E '^Sig(Blk|Ign)' /proc/$$/status > masks\nexec sigrecorder signals\n"

// startRunsv starts our runsv on dir/name and returns the process and the
// service directory.
func startRunsv(t *testing.T, dir, name string) (*testutil.Proc, string) {
	t.Helper()
	return testutil.Start(t, dir, "runsv", name), filepath.Join(dir, name)
}

// control writes letters to the service's supervise/control, as
// "printf x > supervise/control" would.
func control(t *testing.T, svc, letters string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(svc, "supervise", "control"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(letters); err != nil {
		t.Fatal(err)
	}
}

// waitSignals waits until the recorder's file has the wanted lines after
// its "ready" line for the process pid.
func waitSignals(t *testing.T, svc string, pid int, want ...string) {
	t.Helper()
	path := filepath.Join(svc, "signals")
	testutil.Eventually(t, "signals "+strings.Join(want, ",")+" recorded by pid "+strconv.Itoa(pid), func() bool {
		got := signalsOf(testutil.ReadFile(path), pid)
		if len(got) < len(want) {
			return false
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("pid %d recorded %v, want %v first", pid, got, want)
			}
		}
		return true
	})
}

// signalsOf returns what the recorder with pid wrote after "ready pid".
func signalsOf(log string, pid int) []string {
	var out []string
	in := false
	for _, l := range strings.Split(log, "\n") {
		if strings.HasPrefix(l, "ready ") {
			in = l == "ready "+strconv.Itoa(pid)
			continue
		}
		if in && l != "" {
			out = append(out, l)
		}
	}
	return out
}

// waitReady waits until the recorder with pid has set up its handlers.
func waitReady(t *testing.T, svc string, pid int) {
	t.Helper()
	testutil.Eventually(t, "recorder "+strconv.Itoa(pid)+" ready", func() bool {
		for _, l := range strings.Split(testutil.ReadFile(filepath.Join(svc, "signals")), "\n") {
			if l == "ready "+strconv.Itoa(pid) {
				return true
			}
		}
		return false
	})
}

func TestStartWritesSuperviseFiles(t *testing.T) {
	dir := testutil.Tree(t, map[string]string{"svc/run": recorderRun})
	_, svc := startRunsv(t, dir, "svc")
	pid := testutil.WaitPID(t, svc, 0)
	testutil.WaitStat(t, svc, "run")
	waitReady(t, svc, pid)
	// Nothing runsv blocks or ignores leaks into the service (tini's
	// check): its masks are those of a shell the test starts itself
	// (whatever make or CI ignores is inherited by both).
	ref, _, _ := testutil.Run(t, dir, "/bin/sh", "-c", "grep -E '^Sig(Blk|Ign)' /proc/$$/status")
	if masks := testutil.ReadFile(filepath.Join(svc, "masks")); masks != ref || !strings.HasPrefix(masks, "SigBlk:\t0000000000000000\n") {
		t.Errorf("service starts with signals blocked or ignored:\n%s\nwant, as a direct child:\n%s", masks, ref)
	}
	rec := testutil.Status(t, svc)
	want := status.Record{Stamp: rec.Stamp, PID: pid, Want: status.WantUp, State: status.Run}
	if rec != want {
		t.Errorf("status = %+v, want %+v", rec, want)
	}
	tests := []struct {
		name string
		mode os.FileMode
	}{
		{"supervise", os.ModeDir | 0o700},
		{"supervise/control", os.ModeNamedPipe | 0o600},
		{"supervise/ok", os.ModeNamedPipe | 0o600},
		{"supervise/lock", 0o600},
		{"supervise/status", 0o644},
		{"supervise/stat", 0o644},
		{"supervise/pid", 0o644},
	}
	old := syscall.Umask(0)
	syscall.Umask(old)
	for _, tt := range tests {
		st, err := os.Lstat(filepath.Join(svc, tt.name))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if want := tt.mode &^ os.FileMode(old); st.Mode() != want && tt.mode&os.ModeType == 0 {
			t.Errorf("%s mode = %v, want %v", tt.name, st.Mode(), want)
		} else if tt.mode&os.ModeType != 0 && st.Mode() != tt.mode {
			t.Errorf("%s mode = %v, want %v", tt.name, st.Mode(), tt.mode)
		}
	}
	if got := testutil.ReadFile(filepath.Join(svc, "supervise", "pid")); got != strconv.Itoa(pid)+"\n" {
		t.Errorf("pid file = %q", got)
	}
	// The service runs in its own session.
	if sid, _ := syscall.Getpgid(pid); sid != pid {
		t.Errorf("service pgid = %d, want its own (%d)", sid, pid)
	}
}

// TestServiceEnvironment: no service inherits the GOMAXPROCS runsv set for
// itself, nor our marker.
func TestServiceEnvironment(t *testing.T) {
	dir := testutil.Tree(t, map[string]string{"svc/run": "#!/bin/sh\nenv > env.out\nexec sleep 3600\n"})
	_, svc := startRunsv(t, dir, "svc")
	testutil.Eventually(t, "env.out", func() bool { return strings.Contains(testutil.ReadFile(filepath.Join(svc, "env.out")), "PATH=") })
	env := testutil.ReadFile(filepath.Join(svc, "env.out"))
	for _, v := range []string{"GOMAXPROCS=", "GORUNIT_RUNSV_LEAN="} {
		if strings.Contains(env, v) {
			t.Errorf("service environment has %s:\n%s", v, env)
		}
	}
}

// TestSignalLetters sends each letter that only delivers a signal.
func TestSignalLetters(t *testing.T) {
	tests := []struct {
		letter string
		signal string
	}{
		{"h", "HUP"}, {"a", "ALRM"}, {"i", "INT"}, {"q", "QUIT"},
		{"1", "USR1"}, {"2", "USR2"}, {"c", "CONT"},
	}
	dir := testutil.Tree(t, map[string]string{"svc/run": recorderRun})
	_, svc := startRunsv(t, dir, "svc")
	pid := testutil.WaitPID(t, svc, 0)
	waitReady(t, svc, pid)
	var want []string
	for _, tt := range tests {
		t.Run(tt.signal, func(t *testing.T) {
			control(t, svc, tt.letter)
			want = append(want, tt.signal)
			waitSignals(t, svc, pid, want...)
		})
	}
}

// TestPauseContinue: p stops the process and marks the status paused; c
// continues it and clears the mark.
func TestPauseContinue(t *testing.T) {
	dir := testutil.Tree(t, map[string]string{"svc/run": recorderRun})
	_, svc := startRunsv(t, dir, "svc")
	pid := testutil.WaitPID(t, svc, 0)
	waitReady(t, svc, pid)
	control(t, svc, "p")
	testutil.WaitStat(t, svc, "run, paused")
	testutil.Eventually(t, "process stopped", func() bool { return procState(pid) == "T" })
	testutil.WaitRecord(t, svc, "byte 16 set while paused", func(r status.Record) bool { return r.Paused })
	control(t, svc, "c")
	testutil.WaitStat(t, svc, "run")
	waitSignals(t, svc, pid, "CONT")
	testutil.WaitRecord(t, svc, "byte 16 cleared after c", func(r status.Record) bool { return !r.Paused })
}

// procState is the one-letter state in /proc/PID/stat.
func procState(pid int) string {
	s := testutil.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2 : i+3]
	}
	return ""
}

// TestDownUpOnceTermKill walks the letters that change what runs.
func TestDownUpOnceTermKill(t *testing.T) {
	dir := testutil.Tree(t, map[string]string{"svc/run": recorderRun})
	_, svc := startRunsv(t, dir, "svc")
	pid := testutil.WaitPID(t, svc, 0)
	waitReady(t, svc, pid)

	// d: TERM then CONT, and no restart.
	control(t, svc, "d")
	waitSignals(t, svc, pid, "TERM")
	testutil.WaitStat(t, svc, "down")
	testutil.WaitRecord(t, svc, "down, want down, pid 0", func(r status.Record) bool {
		return r.Want == 'd' && r.PID == 0 && r.State == status.Down && !r.Term
	})

	// u: start again.
	control(t, svc, "u")
	pid2 := testutil.WaitPID(t, svc, pid)
	testutil.WaitStat(t, svc, "run")
	waitReady(t, svc, pid2)

	// t: TERM, and (want up) a restart.
	control(t, svc, "t")
	waitSignals(t, svc, pid2, "TERM")
	pid3 := testutil.WaitPID(t, svc, pid2)
	waitReady(t, svc, pid3)

	// k: KILL, and a restart.
	control(t, svc, "k")
	pid4 := testutil.WaitPID(t, svc, pid3)
	waitReady(t, svc, pid4)
	if got := signalsOf(testutil.ReadFile(filepath.Join(svc, "signals")), pid3); len(got) != 0 {
		t.Errorf("k delivered a catchable signal: %v", got)
	}

	// o: want down; when the process ends it stays down.
	control(t, svc, "o")
	testutil.WaitStat(t, svc, "run, want down")
	control(t, svc, "t")
	testutil.WaitStat(t, svc, "down")
	// o on a down service starts it once.
	control(t, svc, "o")
	pid5 := testutil.WaitPID(t, svc, pid4)
	waitReady(t, svc, pid5)
	testutil.WaitStat(t, svc, "run, want down")
}

// TestExit: x stops the service and runsv exits 0; so does SIGTERM.
func TestExit(t *testing.T) {
	tests := []struct {
		name string
		stop func(p *testutil.Proc, svc string)
	}{
		{"x", func(p *testutil.Proc, svc string) { controlNoT(svc, "x") }},
		{"SIGTERM", func(p *testutil.Proc, svc string) { p.Signal(syscall.SIGTERM) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testutil.Tree(t, map[string]string{
				"svc/run":    recorderRun,
				"svc/finish": "#!/bin/sh\necho \"$@\" > finished\n",
			})
			p, svc := startRunsv(t, dir, "svc")
			pid := testutil.WaitPID(t, svc, 0)
			waitReady(t, svc, pid)
			tt.stop(p, svc)
			if code := p.Wait(t); code != 0 {
				t.Fatalf("runsv exit code %d, want 0; stderr: %s", code, p.Stderr)
			}
			waitSignals(t, svc, pid, "TERM")
			if got := testutil.ReadFile(filepath.Join(svc, "finished")); got != "0 0\n" {
				t.Errorf("finish args = %q, want \"0 0\" (sigrecorder exits 0 on TERM)", got)
			}
			if rec := testutil.Status(t, svc); rec.State != status.Down || rec.Want != 'd' {
				t.Errorf("final status %+v", rec)
			}
		})
	}
}

// controlNoT writes to control without a *testing.T (used in closures).
func controlNoT(svc, letters string) {
	if f, err := os.OpenFile(filepath.Join(svc, "supervise", "control"), os.O_WRONLY, 0); err == nil {
		f.WriteString(letters)
		f.Close()
	}
}

// TestFinishArguments: ./finish gets ./run's exit code (or -1) and the low
// byte of its wait status.
func TestFinishArguments(t *testing.T) {
	tests := []struct {
		name string
		run  string
		want string
	}{
		{"exit 0", "#!/bin/sh\nexit 0\n", "0 0"},
		{"exit 3", "#!/bin/sh\nexit 3\n", "3 0"},
		{"killed by TERM", "#!/bin/sh\nkill -TERM $$\n", "-1 15"},
		{"killed by KILL", "#!/bin/sh\nkill -KILL $$\n", "-1 9"},
		{"not executable", "exit 0\n", "111 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testutil.Tree(t, map[string]string{
				"svc/run":    tt.run,
				"svc/down":   "",
				"svc/finish": "#!/bin/sh\necho \"$@\" >> finished\n",
			})
			_, svc := startRunsv(t, dir, "svc")
			testutil.WaitStat(t, svc, "down")
			control(t, svc, "o")
			path := filepath.Join(svc, "finished")
			testutil.Eventually(t, "finish to run", func() bool { return testutil.ReadFile(path) != "" })
			testutil.WaitStat(t, svc, "down")
			if got := testutil.ReadFile(path); got != tt.want+"\n" {
				t.Fatalf("finish got %q, want %q", got, tt.want)
			}
		})
	}
}
