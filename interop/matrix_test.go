package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorunit/gorunit/internal/status"
	"github.com/gorunit/gorunit/internal/testutil"
)

// step is one line of a scenario: run sv with args (its transcript is
// compared), or wait until supervise/stat reads a value, or wait until
// the service has been up long enough for a restart not to be throttled.
type step struct {
	sv       []string // sv arguments; "SVC" is replaced by the service
	waitStat string   // wait for this supervise/stat content (no newline)
	settle   bool     // wait until the status is over a second old
}

func sv(args ...string) step { return step{sv: args} }
func stat(s string) step     { return step{waitStat: s} }
func settled() step          { return step{settle: true} }
func files(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

const (
	runSleep   = "#!/bin/sh\nexec sleep 3600\n"
	runNoTerm  = "#!/bin/sh\ntrap '' TERM\nexec sleep 3600\n"
	logCat     = "#!/bin/sh\nexec cat >/dev/null\n"
	finishWait = "#!/bin/sh\nexec sleep 1\n"
)

// scenarios are run under every combination of runsv and sv.
var scenarios = []struct {
	name  string
	files map[string]string
	steps []step
}{
	{"run", files("svc/run", runSleep), []step{stat("run"), sv("status", "SVC"), sv("s", "SVC")}},
	{"normally down", files("svc/run", runSleep, "svc/down", ""), []step{stat("down"), sv("status", "SVC"), sv("-v", "up", "SVC"), stat("run"), sv("status", "SVC")}},
	{"pause and continue", files("svc/run", runSleep), []step{stat("run"), sv("pause", "SVC"), stat("run, paused"), sv("status", "SVC"), sv("-v", "cont", "SVC"), sv("status", "SVC")}},
	{"got TERM", files("svc/run", runNoTerm), []step{stat("run"), settled(), sv("down", "SVC"), stat("run, got TERM, want down"), sv("status", "SVC"), sv("kill", "SVC"), stat("down"), sv("status", "SVC")}},
	{"finish", files("svc/run", "#!/bin/sh\nexit 3\n", "svc/finish", finishWait), []step{stat("finish"), sv("status", "SVC"), sv("-w", "5", "down", "SVC")}},
	{"log service", files("svc/run", runSleep, "svc/log/run", logCat), []step{stat("run"), sv("status", "SVC"), sv("-v", "down", "SVC/log"), sv("status", "SVC"), sv("-v", "up", "SVC/log"), sv("status", "SVC")}},
	{"once", files("svc/run", runSleep), []step{stat("run"), sv("once", "SVC"), stat("run, want down"), sv("status", "SVC"), sv("-v", "down", "SVC"), settled(), sv("-v", "once", "SVC"), stat("run, want down"), sv("status", "SVC")}},
	{"signals", files("svc/run", "#!/bin/sh\ntrap '' HUP ALRM INT QUIT USR1 USR2\nexec sleep 3600\n"), []step{stat("run"), settled(), sv("hup", "SVC"), sv("alarm", "SVC"), sv("interrupt", "SVC"), sv("quit", "SVC"), sv("1", "SVC"), sv("2", "SVC"), sv("-v", "reload", "SVC")}},
	{"restart", files("svc/run", runSleep), []step{stat("run"), settled(), sv("-w", "5", "restart", "SVC"), sv("status", "SVC")}},
	{"timeout", files("svc/run", runNoTerm), []step{stat("run"), settled(), sv("-w", "1", "down", "SVC"), sv("status", "SVC")}},
	{"force-stop", files("svc/run", runNoTerm), []step{stat("run"), settled(), sv("-w", "1", "force-stop", "SVC"), stat("down"), sv("status", "SVC")}},
	{"exit", files("svc/run", runSleep, "svc/log/run", logCat), []step{stat("run"), sv("-w", "5", "exit", "SVC"), sv("status", "SVC"), sv("exit", "SVC"), sv("-v", "up", "SVC")}},
	{"start stop shutdown", files("svc/run", runSleep), []step{stat("run"), sv("stop", "SVC"), sv("start", "SVC"), sv("shutdown", "SVC")}},
}

// impls are the programs combined.
type impls struct{ runsv, sv string }

func combos(t *testing.T) map[string]impls {
	debRunsv, debSv := testutil.Debian(t, "runsv"), testutil.Debian(t, "sv")
	return map[string]impls{
		"our runsv, our sv":       {testutil.Bin("runsv"), testutil.Bin("sv")},
		"our runsv, Debian sv":    {testutil.Bin("runsv"), debSv},
		"Debian runsv, our sv":    {debRunsv, testutil.Bin("sv")},
		"Debian runsv, Debian sv": {debRunsv, debSv},
	}
}

// TestMatrix runs every scenario with each runsv and each sv; the four
// transcripts (sv's output and exit codes, supervise/stat, the status
// record and the pid file after each command) must be identical.
func TestMatrix(t *testing.T) {
	cs := combos(t)
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			got := map[string]string{}
			for name, im := range cs {
				got[name] = transcript(t, sc.files, sc.steps, im)
			}
			want := got["Debian runsv, Debian sv"]
			for name, tr := range got {
				if tr != want {
					t.Errorf("%s differs from Debian's runsv and sv:\n--- %s\n%s\n--- Debian runsv, Debian sv\n%s", name, name, tr, want)
				}
			}
			if testing.Verbose() {
				t.Logf("transcript:\n%s", want)
			}
		})
	}
}

// transcript runs one scenario with one runsv and one sv.
func transcript(t *testing.T, fs map[string]string, steps []step, im impls) string {
	dir := testutil.Tree(t, fs)
	svc := filepath.Join(dir, "svc")
	testutil.Start(t, dir, im.runsv, "svc")
	env := []string{"SVDIR=" + dir, "SVWAIT=7"}
	var b strings.Builder
	for _, st := range steps {
		switch {
		case st.waitStat != "":
			testutil.WaitStat(t, svc, st.waitStat)
			// stat is written before status: let status catch up.
			testutil.WaitRecord(t, svc, "a record saying "+st.waitStat, func(r status.Record) bool {
				return matches(r, st.waitStat)
			})
			fmt.Fprintf(&b, "~ %s\n", superviseFiles(svc))
		case st.settle:
			// runit's sv compares whole seconds with the status stamp, and
			// runsv throttles restarts within a second: let a second pass.
			testutil.WaitRecord(t, svc, "a status over a second old", func(r status.Record) bool {
				return time.Since(r.Stamp.Time()) > 1100*time.Millisecond
			})
		default:
			args := make([]string, len(st.sv))
			for i, a := range st.sv {
				args[i] = strings.ReplaceAll(a, "SVC", "svc")
			}
			out, errOut, code := testutil.RunEnv(t, dir, env, im.sv, args...)
			fmt.Fprintf(&b, "$ sv %s\n%s", strings.Join(args, " "), normalize(out))
			for _, l := range strings.SplitAfter(normalize(errOut), "\n") {
				if l != "" {
					b.WriteString("! " + l)
				}
			}
			fmt.Fprintf(&b, "? %d\n", code)
		}
	}
	return b.String()
}

// matches reports whether a status record says what a stat line says.
func matches(r status.Record, stat string) bool {
	if r.State.String() != strings.SplitN(stat, ",", 2)[0] ||
		r.Paused != strings.Contains(stat, ", paused") ||
		r.Term != strings.Contains(stat, ", got TERM") {
		return false
	}
	if r.State == status.Down {
		return r.PID == 0
	}
	// Between ./run's exit and ./finish's start runsv writes "finish"
	// with no pid; wait for the pid.
	wantDown := strings.Contains(stat, ", want down") || strings.Contains(stat, ", want exit")
	return r.PID > 0 && wantDown == (r.Want == status.WantDown)
}

var (
	pidRE  = regexp.MustCompile(`\(pid [0-9]+\)`)
	secsRE = regexp.MustCompile(`\b[0-9]+s\b`)
	usage  = regexp.MustCompile(`usage: \S+`)
)

// normalize hides what differs between runs: pids and seconds.
func normalize(s string) string {
	s = pidRE.ReplaceAllString(s, "(pid PID)")
	s = secsRE.ReplaceAllString(s, "Ns")
	return usage.ReplaceAllString(s, "usage: PROG")
}

// superviseFiles summarises stat, pid and status of a service (and of its
// log service): what both runsv must write alike.
func superviseFiles(svc string) string {
	var parts []string
	for _, d := range []string{svc, filepath.Join(svc, "log")} {
		if _, err := os.Stat(filepath.Join(d, "supervise")); err != nil {
			continue
		}
		stat := strings.TrimSuffix(testutil.ReadFile(filepath.Join(d, "supervise", "stat")), "\n")
		pid := testutil.ReadFile(filepath.Join(d, "supervise", "pid"))
		pidShape := "empty"
		if pid != "" {
			pidShape = "number"
			if !regexp.MustCompile(`^[1-9][0-9]*\n$`).MatchString(pid) {
				pidShape = fmt.Sprintf("%q", pid)
			}
		}
		rec := "unreadable"
		if b, err := os.ReadFile(filepath.Join(d, "supervise", "status")); err == nil {
			if r, err := status.Decode(b); err == nil {
				rec = fmt.Sprintf("pid>0=%v paused=%v want=%c term=%v state=%v nano%%1000=%d",
					r.PID > 0, r.Paused, r.Want, r.Term, r.State, r.Stamp.Nano%1000)
			}
		}
		parts = append(parts, fmt.Sprintf("[%s] stat=%q pid=%s status{%s}", filepath.Base(d), stat, pidShape, rec))
	}
	return strings.Join(parts, " ")
}
