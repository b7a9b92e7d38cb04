package runsv_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorunit/gorunit/internal/proc"
	"github.com/gorunit/gorunit/internal/status"
	"github.com/gorunit/gorunit/internal/testutil"
)

// The opt-in files of issue 7 (package optin): notification-fd, backoff,
// daemon, kill-tree. Each test also has Debian's sv read our status, which
// must keep its meaning for every one of these services.

// readRecord reads one of gorunit's own supervise files, or nil.
func readRecord(svc, name string) []byte {
	b, err := os.ReadFile(filepath.Join(svc, "supervise", name))
	if err != nil {
		return nil
	}
	return b
}

// waitReadyRecord waits for supervise/ready to match the status record.
func waitReadyRecord(t *testing.T, svc string) status.Ready {
	t.Helper()
	var rd status.Ready
	testutil.Eventually(t, svc+"/supervise/ready matching the status", func() bool {
		var err error
		if rd, err = status.DecodeReady(readRecord(svc, status.ReadyFile)); err != nil {
			return false
		}
		return rd.Matches(testutil.Status(t, svc))
	})
	return rd
}

// debianSees checks that Debian's sv reads the status record as ours says.
func debianSees(t *testing.T, svc, prefix string) {
	t.Helper()
	sv := testutil.Debian(t, "sv")
	out, _, _ := testutil.Run(t, filepath.Dir(svc), sv, "status", svc)
	if !strings.HasPrefix(out, prefix) {
		t.Errorf("Debian's sv status: %q, want it to start with %q", out, prefix)
	}
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	p, ok := proc.Get(pid)
	return ok && !p.Zombie()
}

// pids reads the pids a run script appended to a file, one per line.
func pids(t *testing.T, path string) []int {
	t.Helper()
	var out []int
	for _, f := range strings.Fields(testutil.ReadFile(path)) {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("%s: %q", path, f)
		}
		out = append(out, n)
	}
	return out
}

func TestReadiness(t *testing.T) {
	for _, tc := range []struct {
		name, fd string
	}{
		{"fd 3", "3"},
		{"fd 7", "7\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fd := strings.TrimSpace(tc.fd)
			dir := testutil.Tree(t, map[string]string{
				// Ready once the test creates ./go, then runs on.
				"svc/run":             "#!/bin/sh\nwhile [ ! -e go ]; do sleep 0.05; done\nrm -f go\necho ready >&" + fd + "\nexec sleep 1000\n",
				"svc/notification-fd": tc.fd,
			})
			_, svc := startRunsv(t, dir, "svc")
			pid := testutil.WaitPID(t, svc, 0)
			if readRecord(svc, status.ReadyFile) != nil {
				t.Fatal("supervise/ready exists before the service wrote its newline")
			}
			os.WriteFile(filepath.Join(svc, "go"), nil, 0o644)
			rd := waitReadyRecord(t, svc)
			if rd.PID != pid {
				t.Errorf("ready pid %d, want %d", rd.PID, pid)
			}
			debianSees(t, svc, "run: "+svc+": (pid "+strconv.Itoa(pid)+")")

			// A restart is not ready until it says so again.
			control(t, svc, "t")
			pid2 := testutil.WaitPID(t, svc, pid)
			if b := readRecord(svc, status.ReadyFile); b != nil {
				if rd, _ := status.DecodeReady(b); rd.PID == pid2 {
					t.Fatal("the new run is ready before it said so")
				}
			}
			os.WriteFile(filepath.Join(svc, "go"), nil, 0o644)
			if rd := waitReadyRecord(t, svc); rd.PID != pid2 {
				t.Errorf("ready pid %d after restart, want %d", rd.PID, pid2)
			}
		})
	}
}

func TestReadinessNeverComes(t *testing.T) {
	dir := testutil.Tree(t, map[string]string{
		"svc/run":             "#!/bin/sh\necho not a newline | tr -d '\\n' >&3\nexec sleep 1000\n",
		"svc/notification-fd": "3",
	})
	_, svc := startRunsv(t, dir, "svc")
	pid := testutil.WaitPID(t, svc, 0)
	// Give the partial write every chance to be taken for readiness: the
	// service is down-then-up again and still not ready.
	control(t, svc, "t")
	testutil.WaitPID(t, svc, pid)
	time.Sleep(200 * time.Millisecond)
	if b := readRecord(svc, status.ReadyFile); b != nil {
		t.Errorf("ready without a newline: %x", b)
	}
}

func TestBadNotificationFDWarnsAndRuns(t *testing.T) {
	dir := testutil.Tree(t, map[string]string{
		"svc/run":             "#!/bin/sh\nexec sleep 1000\n",
		"svc/notification-fd": "1",
	})
	p, svc := startRunsv(t, dir, "svc")
	testutil.WaitPID(t, svc, 0)
	testutil.Eventually(t, "a warning naming notification-fd", func() bool {
		return strings.Contains(p.Stderr.String(), "runsv svc: warning: notification-fd: not a descriptor number")
	})
}

// backoffOf decodes supervise/backoff, or returns false.
func backoffOf(svc string) (status.Backoff, bool) {
	b, err := status.DecodeBackoff(readRecord(svc, status.BackoffFile))
	return b, err == nil
}

// starts reads the start times a run script appends to ./starts.
func starts(svc string) []time.Time {
	var out []time.Time
	for _, f := range strings.Fields(testutil.ReadFile(filepath.Join(svc, "starts"))) {
		ns, err := strconv.ParseInt(f, 10, 64)
		if err == nil {
			out = append(out, time.Unix(0, ns))
		}
	}
	return out
}

const recordStart = "date +%s%N >> starts\n"

func TestBackoffGrowsAndCaps(t *testing.T) {
	dir := testutil.Tree(t, map[string]string{
		"svc/run":     "#!/bin/sh\n" + recordStart + "exit 1\n",
		"svc/backoff": "2.5 60",
	})
	_, svc := startRunsv(t, dir, "svc")
	testutil.Eventually(t, "five starts", func() bool { return len(starts(svc)) >= 5 })
	control(t, svc, "d")
	got := starts(svc)
	// Each wait is at least the backoff's: 1 s, 2 s, then the 2.5 s cap.
	// (A loaded machine only makes them longer.)
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 2500 * time.Millisecond, 2500 * time.Millisecond} {
		if gap := got[i+1].Sub(got[i]); gap < want-20*time.Millisecond {
			t.Errorf("wait before start %d: %v, want at least %v", i+2, gap, want)
		}
	}
}

func TestBackoffRecordAndUpSkipsTheWait(t *testing.T) {
	dir := testutil.Tree(t, map[string]string{
		"svc/run":     "#!/bin/sh\n" + recordStart + "exit 1\n",
		"svc/backoff": "600",
	})
	_, svc := startRunsv(t, dir, "svc")
	var b status.Backoff
	testutil.Eventually(t, "three quick exits in a row in supervise/backoff", func() bool {
		var ok bool
		b, ok = backoffOf(svc)
		return ok && b.Failures >= 3
	})
	if rec := testutil.Status(t, svc); rec.State != status.Down || rec.Want != status.WantUp {
		t.Errorf("backing off: status %+v, want down with up wanted", rec)
	}
	debianSees(t, svc, "down: "+svc+": ")
	n := len(starts(svc))
	control(t, svc, "u")
	testutil.Eventually(t, "a start after sv up", func() bool { return len(starts(svc)) > n })
	if at := starts(svc)[n]; !at.Before(b.Until.Time()) {
		t.Errorf("sv up waited the backoff out: started %v, backoff until %v", at, b.Until.Time())
	}
}

func TestBackoffResetsAfterAGoodRun(t *testing.T) {
	// Quick exits, then one run that lasts longer than RESET (0.5 s),
	// then quick exits again: the count starts over.
	dir := testutil.Tree(t, map[string]string{
		"svc/run": "#!/bin/sh\n" + recordStart +
			"n=$(wc -l < starts)\nif [ $n -eq 3 ]; then sleep 1; fi\nexit 1\n",
		"svc/backoff": "600 0.5",
	})
	_, svc := startRunsv(t, dir, "svc")
	var seen []int
	testutil.Eventually(t, "the count of quick exits to start over", func() bool {
		if b, ok := backoffOf(svc); ok && (len(seen) == 0 || seen[len(seen)-1] != b.Failures) {
			seen = append(seen, b.Failures)
		}
		return len(starts(svc)) >= 5
	})
	control(t, svc, "d")
	// Starts 1 and 2 fail quickly (1, 2), start 3 runs long (reset, so no
	// backoff: runit's own rule applies), start 4 fails quickly (1 again).
	want := []int{1, 2, 1}
	if len(seen) < len(want) || seen[0] != 1 || seen[1] != 2 || seen[2] != 1 {
		t.Errorf("failure counts seen %v, want %v", seen, want)
	}
}

func TestDaemonFollowed(t *testing.T) {
	for _, tc := range []struct {
		name, run, daemon string
	}{
		// One fork: the daemon stays in ./run's session.
		{"background", "#!/bin/sh\nsigrecorder signals &\nexit 0\n", ""},
		// Double fork and a new session, as daemon(3) does.
		{"double fork", "#!/bin/sh\n( setsid sigrecorder signals & )\nexit 0\n", ""},
		// A pid file names the daemon among other leftovers.
		{"pid file", "#!/bin/sh\nsleep 1000 &\n( setsid sh -c 'echo $$ > daemon.pid; exec sigrecorder signals' & )\nexit 0\n", "daemon.pid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := testutil.Tree(t, map[string]string{
				"svc/run":    tc.run,
				"svc/finish": "#!/bin/sh\necho \"$@\" >> finished\n",
				"svc/daemon": tc.daemon,
			})
			_, svc := startRunsv(t, dir, "svc")
			var daemon int
			testutil.Eventually(t, "the daemon to start", func() bool {
				daemon = readyPID(testutil.ReadFile(filepath.Join(svc, "signals")), 0)
				return daemon != 0
			})
			rec := testutil.WaitRecord(t, svc, "the daemon's pid", func(r status.Record) bool { return r.PID == daemon })
			if rec.State != status.Run {
				t.Errorf("following the daemon: state %v, want run", rec.State)
			}
			debianSees(t, svc, "run: "+svc+": (pid "+strconv.Itoa(daemon)+")")

			control(t, svc, "h")
			waitSignals(t, svc, daemon, "HUP")

			// Its death is the service's exit: finish runs, ./run again.
			syscall.Kill(daemon, syscall.SIGKILL)
			testutil.Eventually(t, "finish after the daemon's death", func() bool {
				return strings.Contains(testutil.ReadFile(filepath.Join(svc, "finished")), "-1 9")
			})
			var next int
			testutil.Eventually(t, "a new daemon", func() bool {
				next = readyPID(testutil.ReadFile(filepath.Join(svc, "signals")), daemon)
				return next != 0
			})
			testutil.WaitRecord(t, svc, "the new daemon's pid", func(r status.Record) bool { return r.PID == next })

			// sv down: TERM to the daemon, and it stays down.
			control(t, svc, "d")
			testutil.WaitRecord(t, svc, "down as asked", func(r status.Record) bool { return r.State == status.Down && r.Want == status.WantDown })
			waitSignals(t, svc, next, "TERM")
		})
	}
}

// readyPID returns the pid of the first sigrecorder "ready PID" line other
// than not, or 0.
func readyPID(log string, not int) int {
	for _, l := range strings.Split(log, "\n") {
		if p, ok := strings.CutPrefix(l, "ready "); ok {
			if n, _ := strconv.Atoi(p); n != 0 && n != not {
				return n
			}
		}
	}
	return 0
}

func TestDaemonRunFailureIsNotFollowed(t *testing.T) {
	dir := testutil.Tree(t, map[string]string{
		"svc/run":    "#!/bin/sh\n" + recordStart + "sleep 1000 &\necho $! >> kids\nexit 3\n",
		"svc/daemon": "",
	})
	_, svc := startRunsv(t, dir, "svc")
	testutil.Eventually(t, "two starts", func() bool { return len(starts(svc)) >= 2 })
	for _, pid := range pids(t, filepath.Join(svc, "kids")) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// treeRun starts two background children, one with nohup, records their
// pids in ./kids, and runs on in the foreground.
const treeRun = "#!/bin/sh\nsleep 1000 &\necho $! >> kids\nnohup sleep 1000 >/dev/null 2>&1 &\necho $! >> kids\nexec sleep 1000\n"

func TestKillTree(t *testing.T) {
	for _, tc := range []struct {
		name, file, env string // file "-": none
		ended           bool
	}{
		{"file", "", "", true},
		{"environment", "-", "GORUNIT_KILL_TREE=on", true},
		{"file says off", "off", "GORUNIT_KILL_TREE=on", false},
		{"runit's behaviour", "-", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"svc/run": treeRun}
			if tc.file != "-" {
				files["svc/kill-tree"] = tc.file
			}
			dir := testutil.Tree(t, files)
			var env []string
			if tc.env != "" {
				env = []string{tc.env}
			}
			testutil.StartEnv(t, dir, env, "runsv", "svc")
			svc := filepath.Join(dir, "svc")
			testutil.WaitPID(t, svc, 0)
			testutil.Eventually(t, "two children recorded", func() bool { return len(pids(t, filepath.Join(svc, "kids"))) == 2 })
			kids := pids(t, filepath.Join(svc, "kids"))
			control(t, svc, "d")
			testutil.WaitRecord(t, svc, "down as asked", func(r status.Record) bool { return r.State == status.Down && r.Want == status.WantDown })
			debianSees(t, svc, "down: "+svc+": ")
			if tc.ended {
				testutil.Eventually(t, "the children to be ended", func() bool { return !alive(kids[0]) && !alive(kids[1]) })
				return
			}
			time.Sleep(200 * time.Millisecond)
			for _, pid := range kids {
				if !alive(pid) {
					t.Errorf("child %d ended without kill-tree", pid)
				}
				syscall.Kill(pid, syscall.SIGKILL)
			}
		})
	}
}

func TestKillTreeKillsWhatIgnoresTermAndHoldsTheRestart(t *testing.T) {
	// ./run leaves a child that ignores TERM and exits. The next ./run
	// must not start before that child is gone: it checks.
	dir := testutil.Tree(t, map[string]string{
		"svc/run": "#!/bin/sh\n" +
			"if [ -s kid ] && [ -e /proc/$(cat kid) ] && ! grep -q '^State:.*Z' /proc/$(cat kid)/status; then echo alive >> log; else echo gone >> log; fi\n" +
			"sh -c 'trap \"\" TERM; exec sleep 1000' &\necho $! > kid\nsleep 0.2\nexit 1\n",
		"svc/kill-tree": "0.3",
	})
	_, svc := startRunsv(t, dir, "svc")
	testutil.Eventually(t, "three starts", func() bool { return strings.Count(testutil.ReadFile(filepath.Join(svc, "log")), "\n") >= 3 })
	control(t, svc, "d")
	if log := testutil.ReadFile(filepath.Join(svc, "log")); strings.Contains(log, "alive") {
		t.Errorf("./run started again while the last one's child lived:\n%s", log)
	}
	testutil.WaitRecord(t, svc, "down as asked", func(r status.Record) bool { return r.State == status.Down && r.Want == status.WantDown })
	kid, _ := strconv.Atoi(strings.TrimSpace(testutil.ReadFile(filepath.Join(svc, "kid"))))
	testutil.Eventually(t, "the TERM-ignoring child killed", func() bool { return !alive(kid) })
}

func TestExitWaitsForTheTree(t *testing.T) {
	dir := testutil.Tree(t, map[string]string{"svc/run": treeRun, "svc/kill-tree": ""})
	p, svc := startRunsv(t, dir, "svc")
	testutil.WaitPID(t, svc, 0)
	testutil.Eventually(t, "two children recorded", func() bool { return len(pids(t, filepath.Join(svc, "kids"))) == 2 })
	kids := pids(t, filepath.Join(svc, "kids"))
	control(t, svc, "x")
	if code := p.Wait(t); code != 0 {
		t.Errorf("runsv exited %d", code)
	}
	for _, pid := range kids {
		if alive(pid) {
			t.Errorf("child %d outlived runsv's exit", pid)
		}
	}
}

func TestDaemonChildrenEndedOnDown(t *testing.T) {
	// The daemon starts a session of its own and a child in it; with
	// kill-tree, sv down ends both.
	dir := testutil.Tree(t, map[string]string{
		"svc/run":       "#!/bin/sh\n( setsid sh -c 'sleep 1000 & echo $! > kid; exec sigrecorder signals' & )\nexit 0\n",
		"svc/daemon":    "",
		"svc/kill-tree": "1",
	})
	_, svc := startRunsv(t, dir, "svc")
	var daemon int
	testutil.Eventually(t, "the daemon and its child", func() bool {
		daemon = readyPID(testutil.ReadFile(filepath.Join(svc, "signals")), 0)
		return daemon != 0 && len(pids(t, filepath.Join(svc, "kid"))) == 1
	})
	kid := pids(t, filepath.Join(svc, "kid"))[0]
	testutil.WaitRecord(t, svc, "following the daemon", func(r status.Record) bool { return r.PID == daemon })
	control(t, svc, "d")
	testutil.WaitRecord(t, svc, "down as asked", func(r status.Record) bool { return r.State == status.Down && r.Want == status.WantDown })
	testutil.Eventually(t, "the daemon and its child ended", func() bool { return !alive(daemon) && !alive(kid) })
	debianSees(t, svc, "down: "+svc+": ")
}

func TestExitAfterTheTreeIsKilled(t *testing.T) {
	// The service exits on TERM at once; its child ignores TERM and is
	// KILLed at the grace. Nothing but the end of that child is left to
	// wake runsv, which must then exit (it once waited for another
	// wake-up: its 3 s look at the directory, which this test pushes
	// past the test's own guard, or runit's final TERM).
	dir := testutil.Tree(t, map[string]string{
		"svc/run":       "#!/bin/sh\nsh -c 'trap \"\" TERM; exec sleep 1000' &\necho $! > kid\nexec sigrecorder signals\n",
		"svc/kill-tree": "0.3",
	})
	p := testutil.StartEnv(t, dir, []string{"GORUNIT_TEST_DIR_CHECK=1h"}, "runsv", "svc")
	svc := filepath.Join(dir, "svc")
	pid := testutil.WaitPID(t, svc, 0)
	waitReady(t, svc, pid)
	kid := pids(t, filepath.Join(svc, "kid"))[0]
	control(t, svc, "x")
	if code := p.Wait(t); code != 0 {
		t.Errorf("runsv exited %d", code)
	}
	if alive(kid) {
		t.Errorf("the TERM-ignoring child %d outlived runsv", kid)
	}
}
