package sv_test

// Readiness and backoff with our runsv (issue 7): a real service that says
// it is ready on its notification-fd once the test lets it, and a real
// crash loop that runsv backs off.

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorunit/gorunit/internal/status"
	"github.com/gorunit/gorunit/internal/testutil"
)

// runSV runs our sv in root, with $SVDIR there and no exit sleep under
// -race, and returns its output with pids and ages hidden (normalize).
func runSV(t *testing.T, root string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	out, errOut, code := testutil.RunEnv(t, root, svEnv(root), "sv", args...)
	return normalize(out), errOut, code
}

// settle is how old a run must be for runsv to restart it at once.
const settle = 1100 * time.Millisecond

func svEnv(root string) []string {
	return []string{"SVDIR=" + root, "GORACE=" + os.Getenv("GORACE") + " atexit_sleep_ms=0"}
}

// gated is a service that is ready once the file "go" exists in its
// directory, and writes "started" to ./starts each time it starts.
var gated = map[string]string{
	"web/run": "#!/bin/sh\necho started >> starts\n" +
		"while [ ! -e go ]; do sleep 0.02; done\necho >&3\nexec sleep 1000\n",
	"web/notification-fd": "3\n",
	"web/down":            "",
}

// expect compares one sv run with what it must print and return.
func expect(t *testing.T, what, stdout, stderr string, code int, wantOut string, wantCode int) {
	t.Helper()
	if stdout != wantOut || stderr != "" || code != wantCode {
		t.Errorf("%s:\nstdout %q\nstderr %q\nexit %d\nwant stdout %q, exit %d", what, stdout, stderr, code, wantOut, wantCode)
	}
}

func TestRunsvReadiness(t *testing.T) {
	root := testutil.Tree(t, gated)
	dir := filepath.Join(root, "web")
	testutil.Start(t, root, "runsv", "web")
	testutil.WaitStat(t, dir, "down")

	// Started, but the gate is shut: up and check wait in vain.
	out, errOut, code := runSV(t, root, "up", "web")
	expect(t, "sv up", out, errOut, code, "", 0)
	testutil.WaitStat(t, dir, "run")
	testutil.Eventually(t, "./run to start", func() bool { return testutil.ReadFile(filepath.Join(dir, "starts")) != "" })
	out, errOut, code = runSV(t, root, "status", "web")
	expect(t, "sv status", out, errOut, code, "run: web: (pid PID) Ns, not ready, normally down\n", 0)
	out, errOut, code = runSV(t, root, "-w", "1", "up", "web")
	expect(t, "sv -w 1 up", out, errOut, code, "timeout: run: web: (pid PID) Ns, not ready, normally down\n", 1)
	out, errOut, code = runSV(t, root, "-w", "1", "check", "web")
	expect(t, "sv -w 1 check", out, errOut, code, "timeout: run: web: (pid PID) Ns, not ready, normally down\n", 1)

	// sv check, waiting, sees the service get ready.
	check := testutil.StartEnv(t, root, svEnv(root), "sv", "-w", "60", "check", "web")
	testutil.Eventually(t, "sv check to watch supervise/", func() bool { return watching(check.Pid()) })
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code = check.Wait(t)
	expect(t, "sv -w 60 check", normalize(check.Stdout.String()), check.Stderr.String(), code,
		"ok: run: web: (pid PID) Ns, ready Ns, normally down\n", 0)
	rec := testutil.Status(t, dir)
	raw, err := os.ReadFile(filepath.Join(dir, "supervise", "ready"))
	if err != nil {
		t.Fatal(err)
	}
	if r, err := status.DecodeReady(raw); err != nil || !r.Matches(rec) {
		t.Fatalf("supervise/ready %+v (%v) does not match the status %+v", r, err, rec)
	}
	out, errOut, code = runSV(t, root, "check", "web")
	expect(t, "sv check", out, errOut, code, "ok: run: web: (pid PID) Ns, ready Ns, normally down\n", 0)
	jsonOut, _, code := testutil.RunEnv(t, root, svEnv(root), "sv", "-j", "status", "web")
	if code != 0 || !strings.Contains(jsonOut, `"ready":true,"ready_seconds":`) || !strings.Contains(jsonOut, `"pid":`+strconv.Itoa(rec.PID)+`,`) {
		t.Errorf("sv -j status: exit %d, %s", code, jsonOut)
	}

	// A restart is over once the new ./run is ready.
	out, errOut, code = runSV(t, root, "-w", "30", "restart", "web")
	expect(t, "sv -w 30 restart", out, errOut, code, "ok: run: web: (pid PID) Ns, ready Ns, normally down\n", 0)
	if got := testutil.Status(t, dir); got.PID == rec.PID {
		t.Errorf("restart: pid %d did not change", got.PID)
	}

	// With the gate shut again, the next run never gets ready. (A run
	// under a second old is restarted a second later, runit's throttle:
	// let the timeout line below show the new run, not the wait.)
	testutil.Eventually(t, "the run to be over a second old", func() bool {
		return time.Since(testutil.Status(t, dir).Stamp.Time()) > settle
	})
	if err := os.Remove(filepath.Join(dir, "go")); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runSV(t, root, "-w", "1", "restart", "web")
	expect(t, "sv -w 1 restart", out, errOut, code, "timeout: run: web: (pid PID) Ns, not ready, normally down\n", 1)
	out, errOut, code = runSV(t, root, "-w", "1", "start", "web")
	expect(t, "sv -w 1 start", out, errOut, code, "timeout: run: web: (pid PID) Ns, not ready, normally down\n", 1)

	// Debian's sv knows nothing of readiness, and reads our runsv as ever.
	debian := testutil.Debian(t, "sv")
	deb, _, code := testutil.RunEnv(t, root, []string{"SVDIR=" + root}, debian, "status", "web")
	expect(t, "Debian's sv status", normalize(deb), "", code, "run: web: (pid PID) Ns, normally down\n", 0)
}

// TestRunsvDependency: the documented pattern, a run script that starts
// with "sv -w 30 start ../db || exit 1", starts web only once db is ready.
func TestRunsvDependency(t *testing.T) {
	root := testutil.Tree(t, map[string]string{
		"db/run":             "#!/bin/sh\nwhile [ ! -e go ]; do sleep 0.02; done\necho >&4\nexec sleep 1000\n",
		"db/notification-fd": "4",
		"web/run":            "#!/bin/sh\nsv -w 30 start ../db >> sv.out || exit 1\necho started >> starts\nexec sleep 1000\n",
	})
	// db's runsv first: sv in web/run must find it (with none yet it
	// says so and fails, and runsv tries web/run again a second later).
	testutil.StartEnv(t, root, svEnv(root), "runsv", "db")
	testutil.WaitStat(t, filepath.Join(root, "db"), "run")
	testutil.StartEnv(t, root, svEnv(root), "runsv", "web")
	testutil.WaitStat(t, filepath.Join(root, "web"), "run")
	// web's ./run waits in sv; it has not started its server.
	out, _, _ := runSV(t, root, "status", "db", "web")
	if out != "run: db: (pid PID) Ns, not ready\nrun: web: (pid PID) Ns\n" {
		t.Errorf("sv status: %q", out)
	}
	if s := testutil.ReadFile(filepath.Join(root, "web", "starts")); s != "" {
		t.Fatalf("web started before db was ready: %q", s)
	}
	if err := os.WriteFile(filepath.Join(root, "db", "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "web to start", func() bool {
		return testutil.ReadFile(filepath.Join(root, "web", "starts")) == "started\n"
	})
	if got := normalize(testutil.ReadFile(filepath.Join(root, "web", "sv.out"))); got != "ok: run: ../db: (pid PID) Ns, ready Ns\n" {
		t.Errorf("sv in web/run printed %q", got)
	}
}

// TestRunsvBackoff: a crash loop shows in sv status while runsv holds it
// back, and sv up starts the fixed service without waiting it out.
func TestRunsvBackoff(t *testing.T) {
	root := testutil.Tree(t, map[string]string{
		"web/run":     "#!/bin/sh\nexit 1\n",
		"web/backoff": "60",
	})
	dir := filepath.Join(root, "web")
	testutil.Start(t, root, "runsv", "web")
	var line string
	testutil.Eventually(t, "sv status to say backing off", func() bool {
		line, _, _ = runSV(t, root, "status", "web")
		return strings.Contains(line, "backing off")
	})
	if line != "down: web: Ns, normally up, want up, backing off, restart in Ns\n" {
		t.Errorf("sv status: %q", line)
	}
	var js string
	testutil.Eventually(t, "sv -j status to have backoff_seconds", func() bool {
		js, _, _ = testutil.RunEnv(t, root, svEnv(root), "sv", "-j", "status", "web")
		return strings.Contains(js, `"backoff_seconds":`)
	})
	if !strings.HasPrefix(js, `{"service":"web","state":"down","pid":0,"seconds":`) || !strings.Contains(js, `"want":"up"`) {
		t.Errorf("sv -j status: %s", js)
	}

	// Fixed: sv up starts it (at once, if runsv still holds it back).
	tmp := filepath.Join(dir, "run.new")
	if err := os.WriteFile(tmp, []byte("#!/bin/sh\nexec sleep 1000\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "run")); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runSV(t, root, "-w", "60", "up", "web")
	expect(t, "sv -w 60 up", out, errOut, code, "ok: run: web: (pid PID) Ns\n", 0)
}
