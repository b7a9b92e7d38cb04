package runsvchdir_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
	"github.com/gorunit/gorunit/runsvchdir"
)

// TestMain lets the test binary act as runsvchdir.
func TestMain(m *testing.M) { testutil.Main(m) }

// fastExit spares each run of ours, under -race, GORACE's default
// second of sleep at exit.
const fastExit = "GORACE=halt_on_error=1 exitcode=66 atexit_sleep_ms=0"

// debianRunsvchdir is where Debian's runit package puts runsvchdir.
const debianRunsvchdir = "/usr/sbin/runsvchdir"

// setup is a case's starting tree: what current (and previous) point to.
type setup struct {
	current, previous string // "" for none
	stale             bool   // a current.new left behind
}

// result is what one run did: output, exit code, and the links after it.
type result struct {
	stdout, stderr           string
	code                     int
	current, previous, stale string
}

var cases = []struct {
	name  string
	setup setup
	args  []string
	want  result
}{
	{"switch", setup{current: "a"}, []string{"b"},
		result{stdout: "runsvchdir: b: now current.\n", current: "b", previous: "a"}},
	{"old previous replaced", setup{current: "a", previous: "b"}, []string{"b"},
		result{stdout: "runsvchdir: b: now current.\n", current: "b", previous: "a"}},
	{"stale current.new replaced", setup{current: "a", stale: true}, []string{"b"},
		result{stdout: "runsvchdir: b: now current.\n", current: "b", previous: "a"}},
	{"absolute path", setup{current: "a"}, []string{"ROOT/b"},
		result{stdout: "runsvchdir: ROOT/b: now current.\n", current: "ROOT/b", previous: "a"}},
	{"already current", setup{current: "a"}, []string{"a"},
		result{stdout: "runsvchdir: a: current.\n", current: "a"}},
	{"extra arguments ignored", setup{current: "a"}, []string{"b", "c"},
		result{stdout: "runsvchdir: b: now current.\n", current: "b", previous: "a"}},
	{"no such directory", setup{current: "a"}, []string{"c"},
		result{stderr: "PROG: fatal: c: file does not exist\n", code: 111, current: "a"}},
	{"not a directory", setup{current: "a"}, []string{"f"},
		result{stderr: "PROG: fatal: f: not a directory.\n", code: 111, current: "a"}},
	{"dot", setup{current: "a"}, []string{".b"},
		result{stderr: "PROG: fatal: .b: must not start with a dot.\n", code: 111, current: "a"}},
	{"no current", setup{}, []string{"b"},
		result{stderr: "PROG: fatal: unable to stat: current: file does not exist\n", code: 111}},
	{"dangling current", setup{current: "gone"}, []string{"b"},
		result{stderr: "PROG: fatal: unable to stat: current: file does not exist\n", code: 111, current: "gone"}},
	{"usage", setup{current: "a"}, nil,
		result{stderr: "usage: PROG dir\n\n", code: 1, current: "a"}},
}

// tree makes a runsvdir directory as the case wants it.
func tree(t *testing.T, s setup) string {
	t.Helper()
	root := testutil.Tree(t, map[string]string{"a/": "", "b/": "", ".b/": "", "f": ""})
	for name, target := range map[string]string{"current": s.current, "previous": s.previous, "current.new": map[bool]string{true: "a"}[s.stale]} {
		if target != "" {
			if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

// outcome reads what a run left behind, with the tree's path as ROOT
// and the program's as PROG.
func outcome(root, prog, stdout, stderr string, code int) result {
	link := func(name string) string {
		s, _ := os.Readlink(filepath.Join(root, name))
		return strings.ReplaceAll(s, root, "ROOT")
	}
	clean := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, prog, "PROG"), root, "ROOT") }
	return result{clean(stdout), clean(stderr), code, link("current"), link("previous"), link("current.new")}
}

func args(root string, a []string) []string {
	out := make([]string, len(a))
	for i, s := range a {
		out[i] = strings.ReplaceAll(s, "ROOT", root)
	}
	return out
}

// runOurs runs our runsvchdir in-process on dir, as prog with args.
func runOurs(dir, prog string, args []string) (stdout, stderr string, code int) {
	var out, errs strings.Builder
	code = runsvchdir.Run(dir, append([]string{prog}, args...), &out, &errs)
	return out.String(), errs.String(), code
}

// TestRunsvchdir runs every case in-process; TestProgram runs the
// program itself.
func TestRunsvchdir(t *testing.T) {
	t.Parallel()
	prog := testutil.Bin("runsvchdir")
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := tree(t, tt.setup)
			stdout, stderr, code := runOurs(root, prog, args(root, tt.args))
			if got := outcome(root, prog, stdout, stderr, code); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestProgram runs the program, with $RUNSVDIR: a switch, and usage.
func TestProgram(t *testing.T) {
	t.Parallel()
	root := tree(t, setup{current: "a"})
	stdout, stderr, code := testutil.RunEnv(t, "/", []string{fastExit, "RUNSVDIR=" + root}, "runsvchdir", "b")
	if got, want := outcome(root, "\x00", stdout, stderr, code), (result{stdout: "runsvchdir: b: now current.\n", current: "b", previous: "a"}); got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	_, stderr, code = testutil.RunEnv(t, "/", []string{fastExit}, "/bin/sh", "-c", "exec runsvchdir")
	if want := "usage: runsvchdir dir\n\n"; code != 1 || stderr != want {
		t.Errorf("exit %d, stderr %q; want 1, %q", code, stderr, want)
	}
}

// TestWorkingDirectory: a $RUNSVDIR it cannot enter is fatal; without
// the variable it works in /etc/runit/runsvdir (tried in a private mount
// namespace with a test tree bound over it, never on the machine's own).
func TestWorkingDirectory(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "missing")
	_, stderr, code := testutil.RunEnv(t, "/", []string{fastExit, "RUNSVDIR=" + missing}, "runsvchdir", "b")
	if want := ": fatal: unable to chdir: " + missing + ": file does not exist\n"; code != 111 || !strings.HasSuffix(stderr, want) {
		t.Errorf("exit %d, stderr %q; want 111, ...%q", code, stderr, want)
	}
	if fi, err := os.Stat("/etc/runit/runsvdir"); err != nil || !fi.IsDir() {
		t.Skip("no /etc/runit/runsvdir to bind a test tree over")
	}
	root := tree(t, setup{current: "a"})
	script := `mount --bind "$1" /etc/runit/runsvdir || exit 99; shift; exec "$@"`
	stdout, stderr, code := testutil.RunEnv(t, "/", []string{fastExit}, "/usr/bin/unshare", "--mount", "--propagation", "private",
		"/bin/sh", "-c", script, "sh", root, "/usr/bin/env", "-u", "RUNSVDIR", testutil.Bin("runsvchdir"), "b")
	if code != 0 || stdout != "runsvchdir: b: now current.\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if cur, _ := os.Readlink(filepath.Join(root, "current")); cur != "b" {
		t.Errorf("current -> %q, want b", cur)
	}
}

// TestSameAsDebian runs every case with Debian's runsvchdir too. Debian
// ships runit 2.1.2, which ignores $RUNSVDIR: it runs in a private mount
// namespace with the case's tree bound over /etc/runit/runsvdir, so that
// the machine's own is never touched.
func TestSameAsDebian(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(debianRunsvchdir); err != nil {
		t.Skipf("Debian's runit is not installed (%s missing)", debianRunsvchdir)
	}
	if fi, err := os.Stat("/etc/runit/runsvdir"); err != nil || !fi.IsDir() {
		t.Skip("no /etc/runit/runsvdir to bind a test tree over")
	}
	ours := testutil.Bin("runsvchdir")
	// The one message runit words differently: it drops the separator.
	known := map[string]string{"not a directory": "PROG: fatal: fnot a directory.\n"}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rootO, rootD := tree(t, tt.setup), tree(t, tt.setup)
			stdout, stderr, code := runOurs(rootO, ours, args(rootO, tt.args))
			got := outcome(rootO, ours, stdout, stderr, code)
			script := `mount --bind "$1" /etc/runit/runsvdir || exit 99; shift; exec "$@"`
			argv := append([]string{"--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh", rootD, debianRunsvchdir},
				args("/etc/runit/runsvdir", tt.args)...)
			stdout, stderr, code = testutil.Run(t, "/", "/usr/bin/unshare", argv...)
			if code == 99 {
				t.Fatalf("bind mount failed: %s", stderr)
			}
			// Debian's saw the tree as /etc/runit/runsvdir.
			stdout = strings.ReplaceAll(stdout, "/etc/runit/runsvdir", rootD)
			deb := outcome(rootD, debianRunsvchdir, stdout, stderr, code)
			if deb.current == "/etc/runit/runsvdir/b" {
				deb.current = "ROOT/b"
			}
			if msg, ok := known[tt.name]; ok {
				if deb.stderr != msg {
					t.Errorf("Debian's now prints %q", deb.stderr)
				}
				deb.stderr = got.stderr
			}
			if got != deb {
				t.Errorf("ours   %+v\ndebian %+v", got, deb)
			}
		})
	}
}
