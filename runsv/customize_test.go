package runsv_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
)

// TestControlScripts: control/<c> runs before the action and, exiting 0,
// replaces runsv's signal (runsv(8), CUSTOMIZE CONTROL).
func TestControlScripts(t *testing.T) {
	tests := []struct {
		name    string
		scripts map[string]string // control/<c> -> exit code
		letter  string
		signals []string // what the service then records
		stat    string   // supervise/stat afterwards
		ran     string   // what the scripts wrote to ./ran, in order
	}{
		{"h replaced", map[string]string{"h": "0"}, "h", nil, "run", "h\n"},
		{"h not replaced", map[string]string{"h": "1"}, "h", []string{"HUP"}, "run", "h\n"},
		{"d with t replacing TERM", map[string]string{"t": "0", "d": "0"}, "d", []string{"CONT"}, "run, want down", "t\nd\n"},
		{"d with t failing", map[string]string{"t": "1", "d": "0"}, "d", []string{"TERM"}, "down", "t\nd\n"},
		{"t replaced", map[string]string{"t": "0"}, "t", nil, "run", "t\n"},
		{"not executable is ignored", map[string]string{"1": "-"}, "1", []string{"USR1"}, "run", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"svc/run": recorderRun}
			for c, code := range tt.scripts {
				if code == "-" {
					files["svc/control/"+c] = "echo " + c + " >> ran\n" // no #!: not executable
					continue
				}
				files["svc/control/"+c] = "#!/bin/sh\necho " + c + " >> ran\nexit " + code + "\n"
			}
			dir := testutil.Tree(t, files)
			_, svc := startRunsv(t, dir, "svc")
			pid := testutil.WaitPID(t, svc, 0)
			waitReady(t, svc, pid)
			control(t, svc, tt.letter)
			testutil.WaitStat(t, svc, tt.stat)
			if tt.signals != nil {
				waitSignals(t, svc, pid, tt.signals...)
			}
			testutil.Eventually(t, "control scripts to run", func() bool {
				return testutil.ReadFile(filepath.Join(svc, "ran")) == tt.ran
			})
			// Nothing else arrived: a marker signal sent now is the next line.
			control(t, svc, "2")
			if tt.stat == "run" || tt.stat == "run, want down" {
				waitSignals(t, svc, pid, append(append([]string{}, tt.signals...), "USR2")...)
			}
		})
	}
}

// TestControlTSeesTheNewWant: with control/t, runit's order is kept
// (status with the new want first, then the script), so the script sees
// "want down"; without it runsv signals first and writes once.
func TestControlTSeesTheNewWant(t *testing.T) {
	dir := testutil.Tree(t, map[string]string{
		"svc/run":       recorderRun,
		"svc/control/t": "#!/bin/sh\ncat supervise/stat > seen\nexit 1\n",
	})
	_, svc := startRunsv(t, dir, "svc")
	pid := testutil.WaitPID(t, svc, 0)
	waitReady(t, svc, pid)
	control(t, svc, "d")
	testutil.WaitStat(t, svc, "down")
	if got := testutil.ReadFile(filepath.Join(svc, "seen")); got != "run, want down\n" {
		t.Errorf("control/t saw supervise/stat %q, want \"run, want down\"", got)
	}
}

// TestControlUpBeforeEveryStart: control/u runs before each start of
// ./run, automatic restarts and 'o' included; its stdout goes to the log.
func TestControlUpBeforeEveryStart(t *testing.T) {
	dir := testutil.Tree(t, map[string]string{
		"svc/run":       recorderRun,
		"svc/control/u": "#!/bin/sh\necho u >> ran\necho control-u-output\n",
		"svc/log/run":   "#!/bin/sh\nexec linelogger ../logged\n",
	})
	_, svc := startRunsv(t, dir, "svc")
	pid := testutil.WaitPID(t, svc, 0)
	waitReady(t, svc, pid)
	control(t, svc, "k") // an automatic restart
	pid2 := testutil.WaitPID(t, svc, pid)
	waitReady(t, svc, pid2)
	control(t, svc, "d")
	testutil.WaitStat(t, svc, "down")
	control(t, svc, "o") // once counts as up
	pid3 := testutil.WaitPID(t, svc, pid2)
	waitReady(t, svc, pid3)
	if got := testutil.ReadFile(filepath.Join(svc, "ran")); got != "u\nu\nu\n" {
		t.Errorf("control/u ran %q, want three times", got)
	}
	testutil.Eventually(t, "control/u's output in the log", func() bool {
		return strings.Count(testutil.ReadFile(filepath.Join(svc, "logged")), "control-u-output\n") == 3
	})
}
