package chpst_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
)

// stateCase starts the probe through chpst (or another name) and checks
// the state the probe reports: every line of want must be in its report,
// and Debian's chpst must give the same report, stderr and exit code.
// In args, PROBE is the probe's path, OUT a file for its report (for
// cases that close stdout: the probe then runs "write OUT").
//
// Cases that limit memory read /proc/self/limits with cat(1), which
// starts under any limit chpst can set.
type stateCase struct {
	name   string
	prog   string
	args   []string
	env    []string // extra environment
	nobody bool     // run as nobody
	stdin  bool     // stdin is a file, not /dev/null
	shell  string   // run through sh -c 'SHELL; exec "$@"'
	procIn string   // mount a proc in this tree first (chroot)
	memory bool     // limits address space or data: ours cannot run it under -race
	want   []string // lines the report must contain
	not    []string // lines it must not contain
	stderr string   // what chpst prints
}

// envFixture is an environment directory exercising every rule of
// runit's envdir.
var envFixture = map[string]string{
	"e/FIRSTLINE":   "first  \t \nsecond\n",
	"e/NULS":        "a\x00b\x00",
	"e/NOEOL":       "no newline\t",
	"e/LEADING":     "  lead",
	"e/UNSETME":     "",
	"e/REPLACED":    "new",
	"e/NAME=WITHEQ": "v",
	"e/.hidden":     "dotfiles are ignored",
	"e/sub/x":       "subdirectories are skipped",
	"e/UID":         "12345",
	"e/PATH":        "/nonexistent",
}

var stateCases = []stateCase{
	{name: "nothing", prog: "chpst", args: []string{"PROBE", "report"},
		want: []string{"Uid: 0 0 0 0", "session leader: false", "args: report"}},
	{name: "-u nobody", prog: "chpst", args: []string{"-u", "nobody", "PROBE", "report"},
		want: []string{"Uid: 65534 65534 65534 65534", "Gid: 65534 65534 65534 65534", "Groups: 65534"}},
	{name: "-u numeric", prog: "chpst", args: []string{"-u", ":1234:5678:91011:5678", "PROBE", "report"},
		want: []string{"Uid: 1234 1234 1234 1234", "Gid: 5678 5678 5678 5678", "Groups: 5678 5678 91011"}},
	{name: "-u numeric empty gid", prog: "chpst", args: []string{"-u", ":1234:", "PROBE", "report"},
		want: []string{"Uid: 1234 1234 1234 1234", "Gid: 0 0 0 0", "Groups: 0"}},
	{name: "-u user:groups", prog: "chpst", args: []string{"-u", "nobody:daemon:adm", "PROBE", "report"},
		want: []string{"Uid: 65534 65534 65534 65534", "Gid: 1 1 1 1", "Groups: 1 4"}},
	{name: "setuidgid", prog: "setuidgid", args: []string{"nobody", "PROBE", "report"},
		want: []string{"Uid: 65534 65534 65534 65534", "Groups: 65534"}},
	{name: "-U", prog: "chpst", args: []string{"-U", "nobody:daemon", "PROBE", "report"},
		want: []string{"Uid: 0 0 0 0", "env: GID=1", "env: UID=65534"}},
	{name: "-U numeric", prog: "chpst", args: []string{"-U", ":7:8:9", "PROBE", "report"},
		want: []string{"env: GID=8", "env: UID=7"}},
	{name: "envuidgid", prog: "envuidgid", args: []string{"nobody", "PROBE", "report"}, env: []string{"UID=1", "GID=2"},
		want: []string{"Uid: 0 0 0 0", "env: GID=65534", "env: UID=65534"}, not: []string{"env: UID=1"}},
	{name: "-e", prog: "chpst", args: []string{"-e", "e", "PROBE", "report"},
		env: []string{"UNSETME=x", "REPLACED=old", "KEPT=yes"},
		want: []string{"env: FIRSTLINE=first", "env: NULS=a~b~", "env: NOEOL=no newline",
			"env: LEADING=  lead", "env: REPLACED=new", "env: NAME=WITHEQ=v", "env: KEPT=yes",
			"env: UID=12345", "env: PATH=/nonexistent"},
		not: []string{"env: UNSETME=x", "env: REPLACED=old", ".hidden", "sub="}},
	{name: "-v -e warns", prog: "chpst", args: []string{"-v", "-e", "e", "PROBE", "report"},
		want: []string{"env: FIRSTLINE=first"}, stderr: "chpst: warning: unable to read e/sub: is a directory\n"},
	{name: "-U wins over -e", prog: "chpst", args: []string{"-U", ":7:8", "-e", "e", "PROBE", "report"},
		want: []string{"env: UID=7", "env: GID=8"}, not: []string{"env: UID=12345"}},
	{name: "envdir", prog: "envdir", args: []string{"flat", "PROBE", "report"}, env: []string{"GONE=x"},
		want: []string{"env: ONE=1"}, not: []string{"GONE="}},
	{name: "-n", prog: "chpst", args: []string{"-n", "7", "PROBE", "report"}, want: []string{"nice: 7"}},
	{name: "-n +", prog: "chpst", args: []string{"-n", "+3", "PROBE", "report"}, want: []string{"nice: 3"}},
	{name: "-n clamped", prog: "chpst", args: []string{"-n", "99", "PROBE", "report"}, want: []string{"nice: 19"}},
	{name: "-n negative, then -u", prog: "chpst", args: []string{"-u", "nobody", "-n", "-5", "PROBE", "report"},
		want: []string{"nice: -5", "Uid: 65534 65534 65534 65534"}},
	{name: "-n adds", prog: "chpst", args: []string{"-n", "4", "PROBE", "report"}, shell: "renice -n 2 $$ >/dev/null",
		want: []string{"nice: 6"}},
	{name: "-P", prog: "chpst", args: []string{"-P", "PROBE", "report"}, want: []string{"session leader: true", "group leader: true"}},
	{name: "pgrphack", prog: "pgrphack", args: []string{"PROBE", "report"}, want: []string{"session leader: true"}},
	{name: "-b", prog: "chpst", args: []string{"-b", "myname", "cat", "/proc/self/cmdline"}, want: []string{"myname\x00/proc/self/cmdline\x00"}},
	{name: "-0", prog: "chpst", args: []string{"-0", "PROBE", "report"}, stdin: true, want: []string{"fd 0: closed"}},
	{name: "stdin kept", prog: "chpst", args: []string{"PROBE", "report"}, stdin: true,
		want: []string{"fd 0: DIR/stdin flags 0100000"}},
	{name: "-1", prog: "chpst", args: []string{"-1", "PROBE", "write", "OUT"}, want: []string{"fd 1: closed"}},
	{name: "-2", prog: "chpst", args: []string{"-2", "PROBE", "write", "OUT"}, want: []string{"fd 2: closed"}},
	{name: "-012", prog: "chpst", args: []string{"-012", "PROBE", "write", "OUT"}, stdin: true,
		want: []string{"fd 0: closed", "fd 1: closed", "fd 2: closed"}},
	{name: "-l keeps the lock open", prog: "chpst", args: []string{"-l", "lockfile", "PROBE", "report"},
		want: []string{"inherited: DIR/lockfile flags 0106001"}},
	{name: "program from chpst's PATH, not -e's", prog: "chpst", args: []string{"-e", "e", "probe", "report"},
		env: []string{"PATH=PROBEDIR:/usr/bin:/bin"}, want: []string{"env: PATH=/nonexistent"}},
	{name: "empty PATH entry is the working directory", prog: "chpst", args: []string{"probe", "report"},
		env: []string{"PATH=/nonexistent::/usr/bin"}, want: []string{"args: report"}},
	{name: "limits", prog: "chpst",
		args: []string{"-o", "50", "-p", "40", "-f", "30000", "-c", "0", "-r", "123456", "-t", "77", "cat", "/proc/self/limits"},
		want: []string{limit("Max open files", "50"), limit("Max processes", "40"),
			limit("Max file size", "30000"), limit("Max core file size", "0"), limit("Max resident set", "123456"),
			limit("Max cpu time", "77")}},
	{name: "-d", prog: "chpst", args: []string{"-d", "300000000", "cat", "/proc/self/limits"}, memory: true,
		want: []string{limit("Max data size", "300000000"), limit("Max stack size", "8388608")}},
	{name: "-m", prog: "chpst", args: []string{"-m", "400000000", "cat", "/proc/self/limits"}, memory: true,
		want: []string{limit("Max data size", "400000000"), limit("Max stack size", "400000000"), limit("Max address space", "400000000")}},
	{name: "-m then -d", prog: "chpst", args: []string{"-m", "400000000", "-d", "500000000", "cat", "/proc/self/limits"}, memory: true,
		want: []string{limit("Max data size", "500000000"), limit("Max stack size", "400000000")}},
	{name: "clamped to the hard limit", prog: "chpst", args: []string{"-o", "99999999999", "-p", "18446744073709551615", "cat", "/proc/self/limits"},
		shell: "ulimit -Sn 100 && ulimit -Hn 4000 && ulimit -Sp 100 && ulimit -Hp 3000",
		want:  []string{limit("Max open files", "4000"), limit("Max processes", "3000")}},
	{name: "wraps around", prog: "chpst", args: []string{"-o", "18446744073709551716", "cat", "/proc/self/limits"},
		want: []string{limit("Max open files", "100")}},
	{name: "soft NOFILE kept without -o", prog: "chpst", args: []string{"-c", "0", "cat", "/proc/self/limits"},
		shell: "ulimit -Sn 100 && ulimit -Hn 4000", want: []string{limit("Max open files", "100")}},
	{name: "softlimit", prog: "softlimit",
		args: []string{"-c", "0", "-f", "2000", "-l", "4096", "-o", "60", "-p", "50", "-r", "99", "-s", "800000", "-t", "5", "cat", "/proc/self/limits"},
		want: []string{limit("Max core file size", "0"), limit("Max file size", "2000"), limit("Max locked memory", "4096"), limit("Max open files", "60"),
			limit("Max processes", "50"), limit("Max resident set", "99"), limit("Max stack size", "800000"), limit("Max cpu time", "5")}},
	{name: "softlimit =", prog: "softlimit", args: []string{"-o", "=", "-m", "=", "cat", "/proc/self/limits"},
		shell: "ulimit -Sn 100 && ulimit -Hn 4000 && ulimit -Ss 8192 && ulimit -Hs 900000",
		want:  []string{limit("Max open files", "4000"), limit("Max stack size", fmt.Sprint(900000*1024))}},
	{name: "softlimit -a -d", prog: "softlimit", args: []string{"-a", "900000000", "-d", "300000000", "cat", "/proc/self/limits"}, memory: true,
		want: []string{limit("Max address space", "900000000"), limit("Max data size", "300000000"), limit("Max stack size", "8388608")}},
	{name: "softlimit -m", prog: "softlimit", args: []string{"-m", "600000000", "cat", "/proc/self/limits"}, memory: true,
		want: []string{limit("Max data size", "600000000"), limit("Max stack size", "600000000"), limit("Max address space", "600000000")}},
	{name: "everything at once", prog: "chpst",
		args: []string{"-P", "-u", "nobody:daemon", "-U", ":3:4", "-e", "e", "-n", "2", "-l", "shared/lock", "-c", "33", "-b", "all", "PROBE", "report"},
		want: []string{"session leader: true", "Uid: 65534 65534 65534 65534", "Groups: 1", "env: UID=3", "nice: 2",
			limit("Max core file size", "33"), "inherited: DIR/shared/lock flags 0106001", "args: report"}},
	{name: "everything at once, limits", prog: "chpst",
		args: []string{"-P", "-u", "nobody:daemon", "-e", "e", "-n", "2", "-l", "shared/lock2", "-o", "33", "-f", "100000000", "cat", "/proc/self/limits"},
		want: []string{limit("Max open files", "33"), limit("Max file size", "100000000")}},
	{name: "as nobody", prog: "chpst", args: []string{"-n", "1", "PROBE", "report"}, nobody: true,
		want: []string{"Uid: 65534 65534 65534 65534", "nice: 1"}},
	{name: "as nobody, limits", prog: "chpst", args: []string{"-o", "10", "-p", "99999999999", "cat", "/proc/self/limits"}, nobody: true,
		want: []string{limit("Max open files", "10")}},
}

// limit is the line of /proc/self/limits for a soft limit of value.
func limit(what, value string) string {
	return fmt.Sprintf("%-26s%-21s", what, value)
}

// TestState starts the probe through our chpst and Debian's and compares
// the state each left it in.
func TestState(t *testing.T) {
	t.Parallel()
	files := map[string]string{"flat/ONE": "1\n", "flat/GONE": "", "stdin": "input\n", "shared/": ""}
	for k, v := range envFixture {
		files[k] = v
	}
	runStateCases(t, stateCases, files)
}

// runStateCases runs each case in a directory holding files, with our
// chpst and Debian's; setup may add to the directory first.
func runStateCases(t *testing.T, cases []stateCase, files map[string]string, setup ...func(dir string)) {
	t.Helper()
	dir := testutil.Tree(t, files)
	testutil.OpenUp(t, dir)
	if err := os.MkdirAll(filepath.Join(dir, "shared"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "shared"), 0o777); err != nil {
		t.Fatal(err)
	}
	probe := probeBin(t)
	// For the empty PATH entry: the probe in the working directory.
	if err := os.Symlink(probe, filepath.Join(dir, "probe")); err != nil {
		t.Fatal(err)
	}
	for _, f := range setup {
		f(dir)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reports := map[string]result{}
			out := filepath.Join(t.TempDir(), "out")
			for _, im := range impls() {
				if im == ours && tc.memory && raceEnabled {
					t.Logf("ours skipped: under -race, limiting memory starves the race detector of our chpst before it can exec; go test without -race runs it")
					continue
				}
				got := tc.run(t, im, dir, probe, out)
				reports[im.name] = got
				if got.code != 0 || got.stderr != tc.stderr {
					t.Fatalf("%s: want exit 0 and stderr %q, got %v", im.name, tc.stderr, got)
				}
				for _, w := range tc.want {
					w = tc.expand(w, dir, probe, "")
					if !hasLine(got.stdout, w) {
						t.Errorf("%s: report has no line starting %q:\n%s", im.name, w, got.stdout)
					}
				}
				for _, n := range tc.not {
					if strings.Contains(got.stdout, n) {
						t.Errorf("%s: report has %q:\n%s", im.name, n, got.stdout)
					}
				}
			}
			ourReport, ranOurs := reports["ours"]
			if deb, ok := reports["debian"]; ok && ranOurs && deb != ourReport {
				t.Errorf("our report and Debian's differ:\n%s", diff(reports["ours"].stdout, deb.stdout))
			}
		})
	}
}

// run runs the case once with im and returns the probe's report as the
// result's stdout.
func (tc stateCase) run(t *testing.T, im impl, dir, probe, out string) result {
	t.Helper()
	os.Remove(out)
	args := make([]string, len(tc.args))
	for i, a := range tc.args {
		args[i] = tc.expand(a, dir, probe, out)
	}
	env := make([]string, len(tc.env))
	for i, e := range tc.env {
		env[i] = tc.expand(e, dir, probe, out)
	}
	r := run{dir: dir, env: env, procIn: tc.procIn}
	if tc.nobody {
		r.cred = testutil.Nobody(t)
	}
	if tc.stdin {
		f, err := os.Open(filepath.Join(dir, "stdin"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r.stdin = f
	}
	prog := im.bin(t, tc.prog)
	if tc.shell != "" {
		args = append([]string{"-c", tc.shell + ` && exec "$@"`, "sh", prog}, args...)
		prog = "/bin/sh"
	}
	got := r.exec(t, prog, args...)
	if tc.usesOut() {
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatalf("%s: no report in %s: %v; %v", im.name, out, err, got)
		}
		got.stdout = string(b)
	}
	return got
}

func (tc stateCase) usesOut() bool {
	for _, a := range tc.args {
		if a == "OUT" {
			return true
		}
	}
	return false
}

// expand replaces PROBE, PROBEDIR, OUT and DIR.
func (tc stateCase) expand(s, dir, probe, out string) string {
	return strings.NewReplacer("PROBEDIR", filepath.Dir(probe), "PROBE", probe,
		"OUT", out, "DIR", dir).Replace(s)
}

// hasLine reports whether some line of report starts with prefix; a
// prefix ending in a newline must be the whole line.
func hasLine(report, prefix string) bool {
	for _, line := range strings.Split(report, "\n") {
		if strings.HasPrefix(line+"\n", prefix) {
			return true
		}
	}
	return false
}

// diff shows the lines of two reports that differ.
func diff(ours, debian string) string {
	a, b := strings.Split(ours, "\n"), strings.Split(debian, "\n")
	var out strings.Builder
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			fmt.Fprintf(&out, "line %d:\n  ours:   %s\n  debian: %s\n", i+1, x, y)
		}
	}
	return out.String()
}
