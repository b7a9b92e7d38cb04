package runsv_test

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

// TestThrottle: a ./run that exits at once is restarted no sooner than a
// second later (runsv(8)). Only a lower bound is checked.
func TestThrottle(t *testing.T) {
	dir := testutil.Tree(t, map[string]string{"svc/run": "#!/bin/sh\ndate +%s.%N >> starts\nexit 1\n"})
	_, svc := startRunsv(t, dir, "svc")
	path := filepath.Join(svc, "starts")
	testutil.Eventually(t, "three starts", func() bool { return strings.Count(testutil.ReadFile(path), "\n") >= 3 })
	var prev float64
	for i, l := range strings.Fields(testutil.ReadFile(path)) {
		at, err := strconv.ParseFloat(l, 64)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && at-prev < 0.95 {
			t.Errorf("start %d came %.3fs after the previous one, want at least 1s", i, at-prev)
		}
		prev = at
	}
}

// TestControlDuringThrottle: unlike runit's runsv, which sleeps, ours
// serves control bytes while a restart is held back. A 'd' sent right
// after a quick exit is acted on before the second is over, and the
// service is not restarted. If the test itself was too slow to send the
// byte early (a loaded machine), the cycle is tried again.
func TestControlDuringThrottle(t *testing.T) {
	const attempts = 10
	for attempt := 1; attempt <= attempts; attempt++ {
		dir := testutil.Tree(t, map[string]string{"svc/run": "#!/bin/sh\nexit 1\n"})
		_, svc := startRunsv(t, dir, "svc")
		// Wait for the first quick exit: down, still wanted up.
		rec := testutil.WaitRecord(t, svc, "down after a quick exit", func(r status.Record) bool {
			return r.State == status.Down && r.Want == status.WantUp
		})
		exitAt := rec.Stamp.Time()
		control(t, svc, "d")
		sentAt := time.Now()
		if sentAt.Sub(exitAt) > 300*time.Millisecond {
			t.Logf("attempt %d: sent 'd' %v after the exit; too late to tell, trying again", attempt, sentAt.Sub(exitAt))
			continue
		}
		testutil.WaitRecord(t, svc, "want down", func(r status.Record) bool { return r.Want == status.WantDown })
		st, err := os.Stat(filepath.Join(svc, "supervise", "status"))
		if err != nil {
			t.Fatal(err)
		}
		if served := st.ModTime().Sub(exitAt); served >= time.Second {
			t.Fatalf("'d' was acted on %v after the exit, not during the one-second throttle", served)
		}
		// Past the throttle, nothing was started.
		time.Sleep(1200 * time.Millisecond)
		if rec := testutil.Status(t, svc); rec.PID != 0 || rec.State != status.Down {
			t.Fatalf("service restarted after 'd': %+v", rec)
		}
		return
	}
	t.Skipf("could not send a control byte within 300ms of an exit in %d attempts", attempts)
}

// TestDownFile: with ./down the service starts down, wanted down; u starts it.
func TestDownFile(t *testing.T) {
	dir := testutil.Tree(t, map[string]string{"svc/run": recorderRun, "svc/down": ""})
	_, svc := startRunsv(t, dir, "svc")
	testutil.WaitStat(t, svc, "down")
	rec := testutil.WaitRecord(t, svc, "down, want down", func(r status.Record) bool { return r.State == status.Down })
	if rec.Want != status.WantDown || rec.PID != 0 {
		t.Fatalf("status = %+v, want down and wanted down", rec)
	}
	control(t, svc, "u")
	pid := testutil.WaitPID(t, svc, 0)
	waitReady(t, svc, pid)
	testutil.WaitStat(t, svc, "run")
}
