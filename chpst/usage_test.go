package chpst

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Usage lines, as Debian's chpst 2.1.2 prints them.
const (
	wantUsageChpst     = "usage: chpst [-vVP012] [-u user[:group]] [-U user[:group]] [-b argv0] [-e dir] [-/ root] [-n nice] [-l|-L lock] [-m n] [-d n] [-o n] [-p n] [-f n] [-c n] [-t n] prog\n\n"
	wantUsageSoftlimit = "usage: softlimit [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child\n\n"
	wantUsageSetlock   = "usage: setlock [ -nNxX ] file program [ arg ... ]\n\n"
)

// usageCase is a usage error: the name chpst is called by, its
// arguments, and what it prints on stderr before it exits 100.
type usageCase struct {
	name   string
	prog   string
	args   []string
	stderr string
	code   int
}

var usageCases = []usageCase{
	{"no program", "chpst", nil, wantUsageChpst, 100},
	{"only options", "chpst", []string{"-v", "-P"}, wantUsageChpst, 100},
	{"illegal option", "chpst", []string{"-z", "true"}, "chpst: illegal option -- z\n" + wantUsageChpst, 100},
	{"illegal capital", "chpst", []string{"-Z", "/", "true"}, "chpst: illegal option -- Z\n" + wantUsageChpst, 100},
	{"missing argument", "chpst", []string{"-u"}, "chpst: option requires an argument -- u\n" + wantUsageChpst, 100},
	{"missing argument -e", "chpst", []string{"-e"}, "chpst: option requires an argument -- e\n" + wantUsageChpst, 100},
	{"-m not a number", "chpst", []string{"-m", "abc", "true"}, wantUsageChpst, 100},
	{"-d trailing junk", "chpst", []string{"-d", "12x", "true"}, wantUsageChpst, 100},
	{"-o negative", "chpst", []string{"-o", "-1", "true"}, wantUsageChpst, 100},
	{"-p", "chpst", []string{"-p", "x", "true"}, wantUsageChpst, 100},
	{"-f", "chpst", []string{"-f", "1k", "true"}, wantUsageChpst, 100},
	{"-c", "chpst", []string{"-c", "=", "true"}, wantUsageChpst, 100},
	{"-r", "chpst", []string{"-r", " 1", "true"}, wantUsageChpst, 100},
	{"-t", "chpst", []string{"-t", "1.5", "true"}, wantUsageChpst, 100},
	{"-n not a number", "chpst", []string{"-n", "x", "true"}, wantUsageChpst, 100},
	{"-n minus junk", "chpst", []string{"-n", "-x", "true"}, wantUsageChpst, 100},
	{"-n plus minus", "chpst", []string{"-n", "+-1", "true"}, wantUsageChpst, 100},
	{"-l and -L", "chpst", []string{"-l", "a", "-L", "b", "true"}, wantUsageChpst, 100},
	{"-l twice", "chpst", []string{"-l", "a", "-l", "a", "true"}, wantUsageChpst, 100},
	{"bad number before illegal option", "chpst", []string{"-m", "x", "-z", "true"}, wantUsageChpst, 100},
	{"illegal option after a good one", "chpst", []string{"-m", "1", "-z", "true"}, "chpst: illegal option -- z\n" + wantUsageChpst, 100},
	{"envdir usage", "envdir", nil, "usage: envdir dir child\n\n", 100},
	{"envdir no child", "envdir", []string{"env"}, "usage: envdir dir child\n\n", 100},
	{"envuidgid usage", "envuidgid", []string{"root"}, "usage: envuidgid account child\n\n", 100},
	{"setuidgid usage", "setuidgid", nil, "usage: setuidgid account child\n\n", 100},
	{"pgrphack usage", "pgrphack", nil, "usage: pgrphack child\n\n", 100},
	{"setlock usage", "setlock", []string{"locks/l1"}, wantUsageSetlock, 100},
	{"setlock illegal option", "setlock", []string{"-z", "locks/l2", "true"}, "setlock: illegal option -- z\n" + wantUsageSetlock, 100},
	{"softlimit usage", "softlimit", nil, wantUsageSoftlimit, 100},
	{"softlimit options only", "softlimit", []string{"-o", "5"}, wantUsageSoftlimit, 100},
	{"softlimit illegal option", "softlimit", []string{"-z", "true"}, "softlimit: illegal option -- z\n" + wantUsageSoftlimit, 100},
	{"softlimit missing argument", "softlimit", []string{"-o"}, "softlimit: option requires an argument -- o\n" + wantUsageSoftlimit, 100},
	{"softlimit bad number", "softlimit", []string{"-m", "abc", "true"}, strings.Replace(wantUsageChpst, "chpst", "softlimit", 1), 100},
	{"softlimit bad number before illegal option", "softlimit", []string{"-o", "x", "-z", "true"}, strings.Replace(wantUsageChpst, "chpst", "softlimit", 1), 100},
	{"d dropped from the name", "dsetlock", nil, wantUsageSetlock, 100},
	{"d dropped, not for getopt", "dsoftlimit", []string{"-z"}, "dsoftlimit: illegal option -- z\n" + wantUsageSoftlimit, 100},
	{"another name is chpst", "xchpst", nil, strings.Replace(wantUsageChpst, "chpst", "xchpst", 1), 100},
}

const debianChpst = "/usr/bin/chpst"

// TestUsage parses each case in-process (a usage error changes nothing
// and execs nothing) and runs Debian's chpst, linked under the same
// name, on the same arguments: both must print the same and exit 100.
func TestUsage(t *testing.T) {
	debian := ""
	if _, err := os.Stat(debianChpst); err == nil {
		debian = t.TempDir()
	}
	for _, tc := range usageCases {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			r, code := parse(append([]string{tc.prog}, tc.args...), &stderr)
			if r != nil || code != tc.code || stderr.String() != tc.stderr {
				t.Errorf("ours %s %q: exit %d, stderr %q, ran %v; want exit %d, stderr %q",
					tc.prog, tc.args, code, stderr.String(), r != nil, tc.code, tc.stderr)
			}
			if debian == "" {
				return
			}
			got := runDebian(t, debian, tc.prog, tc.args...)
			if want := (debianResult{stderr: tc.stderr, code: tc.code}); got != want {
				t.Errorf("debian %s %q:\n got %+v\nwant %+v", tc.prog, tc.args, got, want)
			}
		})
	}
}

// TestVersion: -V prints an $Id$ line, then the usage, as runit's does.
func TestVersion(t *testing.T) {
	id := regexp.MustCompile(`^\$Id: [^\n]+ \$\n`)
	var stderr bytes.Buffer
	if r, code := parse([]string{"chpst", "-V", "true"}, &stderr); r != nil || code != 100 ||
		!strings.HasPrefix(stderr.String(), "$Id: gorunit ") || id.ReplaceAllString(stderr.String(), "") != wantUsageChpst {
		t.Errorf("ours chpst -V: exit %d, stderr %q", code, stderr.String())
	}
	if _, err := os.Stat(debianChpst); err == nil {
		got := runDebian(t, t.TempDir(), "chpst", "-V", "true")
		if got.code != 100 || !id.MatchString(got.stderr) || id.ReplaceAllString(got.stderr, "") != wantUsageChpst {
			t.Errorf("debian chpst -V: %+v", got)
		}
	}
}

type debianResult struct {
	stdout, stderr string
	code           int
}

// runDebian runs Debian's chpst under name, through a link in dir.
func runDebian(t *testing.T, dir, name string, args ...string) debianResult {
	t.Helper()
	link := filepath.Join(dir, name)
	if _, err := os.Lstat(link); err != nil {
		if err := os.Symlink(debianChpst, link); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(link, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return debianResult{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
}
