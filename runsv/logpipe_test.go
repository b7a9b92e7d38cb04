package runsv_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
)

// writerRun writes numbered lines, "PID N", one write(2) per line, as
// fast as the pipe takes them.
const writerRun = "#!/bin/sh\ni=0\nwhile :; do i=$((i+1)); echo \"$$ $i\"; done\n"

// TestLogPipeLosesNothing restarts the service and the logger several
// times while lines flow, then stops everything: every line each writer
// wrote must be in the log, in order, with no gap.
func TestLogPipeLosesNothing(t *testing.T) {
	dir := testutil.Tree(t, map[string]string{
		"svc/run":     writerRun,
		"svc/log/run": "#!/bin/sh\nexec linelogger ../logged\n",
	})
	p, svc := startRunsv(t, dir, "svc")
	logDir := filepath.Join(svc, "log")
	logged := filepath.Join(svc, "logged")
	lines := func() int { return strings.Count(testutil.ReadFile(logged), "\n") }

	pid := testutil.WaitPID(t, svc, 0)
	logPID := testutil.WaitPID(t, logDir, 0)
	for round := 0; round < 3; round++ {
		n := lines()
		testutil.Eventually(t, "lines to flow", func() bool { return lines() > n+1000 })
		control(t, logDir, "t") // restart the logger
		logPID = testutil.WaitPID(t, logDir, logPID)
		n = lines()
		testutil.Eventually(t, "lines to flow", func() bool { return lines() > n+1000 })
		control(t, svc, "t") // restart the service
		pid = testutil.WaitPID(t, svc, pid)
	}
	n := lines()
	testutil.Eventually(t, "lines to flow", func() bool { return lines() > n+1000 })
	control(t, svc, "x")
	if code := p.Wait(t); code != 0 {
		t.Fatalf("runsv exit %d; stderr: %s", code, p.Stderr)
	}
	checkNoGaps(t, testutil.ReadFile(logged), 4)
}

// checkNoGaps checks that, for every writer pid, its numbers run 1, 2,
// 3, ... without a gap, and that at least writers writers were seen.
func checkNoGaps(t *testing.T, log string, writers int) {
	t.Helper()
	next := map[string]int{}
	var order []string
	for i, l := range strings.Split(strings.TrimSuffix(log, "\n"), "\n") {
		f := strings.Fields(l)
		if len(f) != 2 {
			t.Fatalf("line %d is torn: %q", i+1, l)
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			t.Fatalf("line %d is torn: %q", i+1, l)
		}
		if _, seen := next[f[0]]; !seen {
			next[f[0]] = 1
			order = append(order, f[0])
		}
		if n != next[f[0]] {
			t.Fatalf("line %d: writer %s wrote %d after %d: lines were lost", i+1, f[0], n, next[f[0]]-1)
		}
		next[f[0]]++
	}
	if len(order) < writers {
		t.Fatalf("saw %d writers, want at least %d", len(order), writers)
	}
	for _, w := range order {
		t.Logf("writer %s: %d lines", w, next[w]-1)
	}
}
