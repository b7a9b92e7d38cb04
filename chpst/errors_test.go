package chpst_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
)

// errorCase is one way to fail: the program name (chpst or another
// name), its arguments, and what must come out. Each runs with our chpst
// and with Debian's, in the same directory, and both must print exactly
// this and exit with this code. Usage errors, which change nothing, are
// tested in-process (usage_test.go).
type errorCase struct {
	name   string
	prog   string
	args   []string
	stderr string
	code   int
}

// fixture is the directory the error cases run in.
var fixture = map[string]string{
	"env/A":      "a\n",
	"env/sub/":   "",
	"envok/B":    "b\n",
	"file":       "not a directory\n",
	"emptydir/":  "",
	"locks/":     "",
	"private/":   "", // made 0700 by TestErrors: nobody may not create a lock there
	"noexec.sh":  "echo not executable\n",
	"etc/passwd": "root:x:0:0::/:/bin/sh\n",
}

var errorCases = []errorCase{

	// users and groups
	{"unknown user", "chpst", []string{"-u", "gorunit-nosuchuser", "true"}, "chpst: fatal: unknown user/group: gorunit-nosuchuser\n", 111},
	{"unknown group", "chpst", []string{"-u", "root:gorunit-nosuchgroup", "true"}, "chpst: fatal: unknown user/group: root:gorunit-nosuchgroup\n", 111},
	{"unknown second group", "chpst", []string{"-u", "root:root:gorunit-nosuchgroup", "true"}, "chpst: fatal: unknown user/group: root:root:gorunit-nosuchgroup\n", 111},
	{"empty group", "chpst", []string{"-u", "root:", "true"}, "chpst: fatal: unknown user/group: root:\n", 111},
	{"empty user", "chpst", []string{"-u", "", "true"}, "chpst: fatal: unknown user/group: \n", 111},
	{"uid without gid", "chpst", []string{"-u", ":5", "true"}, "chpst: fatal: invalid uid/gids: 5\n", 111},
	{"uid not a number", "chpst", []string{"-u", ":abc", "true"}, "chpst: fatal: invalid uid/gids: abc\n", 111},
	{"gid not a number", "chpst", []string{"-u", ":1:2x", "true"}, "chpst: fatal: invalid uid/gids: 1:2x\n", 111},
	{"-U unknown", "chpst", []string{"-U", "gorunit-nosuchuser", "true"}, "chpst: fatal: unknown user/group: gorunit-nosuchuser\n", 111},
	{"-U invalid", "chpst", []string{"-U", ":7", "true"}, "chpst: fatal: invalid uid/gids: 7\n", 111},
	{"-U before -u", "chpst", []string{"-u", "gorunit-nosuchuser", "-U", "gorunit-other", "true"}, "chpst: fatal: unknown user/group: gorunit-other\n", 111},
	{"no passwd in the new root", "chpst", []string{"-/", "emptydir", "-u", "root", "true"}, "chpst: fatal: unable to get password/group file entry: file does not exist\n", 111},
	{"no group file in the new root", "chpst", []string{"-/", ".", "-u", "root:root", "true"}, "chpst: fatal: unable to get password/group file entry: file does not exist\n", 111},
	{"user looked up in the new root", "chpst", []string{"-/", ".", "-u", "nobody", "true"}, "chpst: fatal: unknown user/group: nobody\n", 111},

	// environment directory, root, program
	{"-e missing", "chpst", []string{"-e", "nosuchdir", "true"}, "chpst: fatal: unable to switch to directory: nosuchdir: file does not exist\n", 111},
	{"-e a file", "chpst", []string{"-e", "file", "true"}, "chpst: fatal: unable to switch to directory: file: not a directory\n", 111},
	{"-e before the user", "chpst", []string{"-u", "gorunit-nosuchuser", "-e", "nosuchdir", "true"}, "chpst: fatal: unable to switch to directory: nosuchdir: file does not exist\n", 111},
	{"-/ missing", "chpst", []string{"-/", "nosuchdir", "true"}, "chpst: fatal: unable to change directory: nosuchdir: file does not exist\n", 111},
	{"-/ a file", "chpst", []string{"-/", "file", "true"}, "chpst: fatal: unable to change directory: file: not a directory\n", 111},
	{"program missing", "chpst", []string{"gorunit-nosuchprog"}, "chpst: fatal: unable to run: gorunit-nosuchprog: file does not exist\n", 111},
	{"program missing, -b", "chpst", []string{"-b", "othername", "gorunit-nosuchprog"}, "chpst: fatal: unable to run: othername: file does not exist\n", 111},
	{"program path missing", "chpst", []string{"./gorunit-nosuchprog"}, "chpst: fatal: unable to run: ./gorunit-nosuchprog: file does not exist\n", 111},
	{"program not executable", "chpst", []string{"./noexec.sh"}, "chpst: fatal: unable to run: ./noexec.sh: access denied\n", 111},
	{"program a directory", "chpst", []string{"./emptydir"}, "chpst: fatal: unable to run: ./emptydir: access denied\n", 111},
	{"program missing in the new root", "chpst", []string{"-/", "emptydir", "/bin/sh"}, "chpst: fatal: unable to run: /bin/sh: file does not exist\n", 111},
	{"lock directory missing", "chpst", []string{"-L", "nosuchdir/lock", "true"}, "chpst: fatal: unable to open lock: nosuchdir/lock: file does not exist\n", 111},
	{"lock a directory", "chpst", []string{"-l", "locks", "true"}, "chpst: fatal: unable to open lock: locks: is a directory\n", 111},
	{"lock opened as the new user", "chpst", []string{"-u", "nobody", "-l", "private/lock", "true"}, "chpst: fatal: unable to open lock: private/lock: access denied\n", 111},

	// the other names
	{"envdir missing", "envdir", []string{"nosuchdir", "true"}, "chpst: fatal: unable to switch to directory: nosuchdir: file does not exist\n", 111},
	{"envdir subdirectory", "envdir", []string{"env", "true"}, "chpst: fatal: unable to read env/sub: is a directory\n", 111},
	{"envdir program missing", "envdir", []string{"envok", "gorunit-nosuchprog"}, "chpst: fatal: unable to run: gorunit-nosuchprog: file does not exist\n", 111},
	{"envuidgid unknown", "envuidgid", []string{"gorunit-nosuchuser", "true"}, "chpst: fatal: unknown account: gorunit-nosuchuser\n", 111},
	{"envuidgid takes no groups", "envuidgid", []string{"root:root", "true"}, "chpst: fatal: unknown account: root:root\n", 111},
	{"setuidgid unknown", "setuidgid", []string{"gorunit-nosuchuser", "true"}, "chpst: fatal: unknown account: gorunit-nosuchuser\n", 111},
	{"setuidgid takes no options", "setuidgid", []string{"-x", "true"}, "chpst: fatal: unknown account: -x\n", 111},
	{"setuidgid takes no numbers", "setuidgid", []string{":0:0", "true"}, "chpst: fatal: unknown account: :0:0\n", 111},
	{"pgrphack takes no options", "pgrphack", []string{"-z"}, "chpst: fatal: unable to run: -z: file does not exist\n", 111},
	{"setlock open", "setlock", []string{"nosuchdir/l", "true"}, "chpst: fatal: unable to open lock: nosuchdir/l: file does not exist\n", 111},
	{"setlock -x open", "setlock", []string{"-x", "nosuchdir/l", "true"}, "", 0},
	{"setlock -X undoes -x", "setlock", []string{"-xX", "nosuchdir/l", "true"}, "chpst: fatal: unable to open lock: nosuchdir/l: file does not exist\n", 111},
	{"setlock program missing", "setlock", []string{"locks/l3", "gorunit-nosuchprog"}, "chpst: fatal: unable to run: gorunit-nosuchprog: file does not exist\n", 111},
	{"setlock -x program missing", "setlock", []string{"-x", "locks/l4", "gorunit-nosuchprog"}, "", 0},
	{"softlimit program missing", "softlimit", []string{"-o", "=", "gorunit-nosuchprog"}, "chpst: fatal: unable to run: gorunit-nosuchprog: file does not exist\n", 111},
}

// TestErrors runs every error case with our chpst and Debian's.
func TestErrors(t *testing.T) {
	t.Parallel()
	dir := testutil.Tree(t, fixture)
	if err := os.Chmod(filepath.Join(dir, "private"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, im := range impls() {
				got := run{dir: dir}.exec(t, im.bin(t, tc.prog), tc.args...)
				want := result{stderr: tc.stderr, code: tc.code}
				if got != want {
					t.Errorf("%s %s %q:\n got %v\nwant %v", im.name, tc.prog, tc.args, got, want)
				}
			}
		})
	}
}

// TestErrorsUnprivileged runs, as nobody, the cases that need a lack of
// privilege: chroot, a lower nice value, setgroups, unreadable files.
func TestErrorsUnprivileged(t *testing.T) {
	t.Parallel()
	nobody := testutil.Nobody(t)
	dir := testutil.Tree(t, map[string]string{
		"env/SECRET":  "s\n",
		"envok/A":     "a\n",
		"rootonly/":   "",
		"root/":       "",
		"searchonly/": "",
		"unlisted/":   "",
	})
	testutil.OpenUp(t, dir)
	os.Chmod(filepath.Join(dir, "env/SECRET"), 0o600)
	os.Chmod(filepath.Join(dir, "rootonly"), 0o700)
	os.Chmod(filepath.Join(dir, "searchonly"), 0o711) // a working directory nobody cannot open
	os.Chmod(filepath.Join(dir, "unlisted"), 0o711)   // an environment directory nobody cannot list
	cases := []errorCase{
		{"chroot", "chpst", []string{"-/", "root", "true"}, "chpst: fatal: unable to change root directory: permission denied\n", 111},
		{"negative nice", "chpst", []string{"-n", "-1", "true"}, "chpst: fatal: unable to set nice level: permission denied\n", 111},
		{"setgroups", "chpst", []string{"-u", "root", "true"}, "chpst: fatal: unable to setgroups: permission denied\n", 111},
		{"setuidgid", "setuidgid", []string{"root", "true"}, "chpst: fatal: unable to setgroups: permission denied\n", 111},
		{"unreadable variable", "chpst", []string{"-e", "env", "true"}, "chpst: fatal: unable to read env/SECRET: access denied\n", 111},
		{"unreadable variable, envdir", "envdir", []string{"env", "true"}, "chpst: fatal: unable to read env/SECRET: access denied\n", 111},
		{"directory not searchable", "chpst", []string{"-e", "rootonly", "true"}, "chpst: fatal: unable to switch to directory: rootonly: access denied\n", 111},
		{"lock not writable", "chpst", []string{"-l", "rootonly/lock", "true"}, "chpst: fatal: unable to open lock: rootonly/lock: access denied\n", 111},
		{"setlock -x lock not writable", "setlock", []string{"-x", "rootonly/lock", "true"}, "", 0},
		{"directory not listable", "chpst", []string{"-e", "unlisted", "true"}, "chpst: fatal: unable to open directory: unlisted: access denied\n", 111},
	}
	// runit opens the working directory first, to come back to it.
	cases = append(cases, errorCase{"working directory not readable", "chpst", []string{"-e", filepath.Join(dir, "envok"), "true"},
		"chpst: fatal: unable to open current working directory: access denied\n", 111})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cwd := dir
			if tc.name == "working directory not readable" {
				cwd = filepath.Join(dir, "searchonly")
			}
			for _, im := range impls() {
				got := run{dir: cwd, cred: nobody}.exec(t, im.bin(t, tc.prog), tc.args...)
				want := result{stderr: tc.stderr, code: tc.code}
				if got != want {
					t.Errorf("%s %s %q as nobody:\n got %v\nwant %v", im.name, tc.prog, tc.args, got, want)
				}
			}
		})
	}
}
