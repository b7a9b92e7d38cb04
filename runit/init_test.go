package runit_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
)

// debianInit is Debian's runit-init (Debian installs it there, with
// /sbin/init left to systemd). It keeps its files in /run, as
// /run/runit.stopit and /run/runit.reboot.
const debianInit = "/lib/runit/runit-init"

// requestScript binds the directory $1 over $2 (read-only when $3 is
// "ro"), then runs "$@" as a child of sh, process 1 of the namespace,
// which takes the CONT and nothing else.
const requestScript = `mount --bind "$1" "$2" || exit 99
if [ "$3" = ro ]; then mount -o remount,ro,bind "$2" || exit 99; fi
shift 3
"$@"`

// runInit runs a runit-init (ours, or Debian's, which uses /run) with
// args in a PID and mount namespace of its own, where dir is bound over
// its directory: whatever it does, only dir and a throw-away process 1
// see it. It returns stdout, stderr and the exit code.
func runInit(t *testing.T, dir, mode, prog string, args ...string) (string, string, int) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for PID and mount namespaces")
	}
	target, env := "/etc/runit", []string(nil)
	if prog == debianInit {
		target = "/run"
	} else if st, err := os.Stat(target); err != nil || !st.IsDir() {
		target = "/mnt" // bound over for nothing; runit-init is pointed at dir
		env = []string{"GORUNIT_TEST_STAGE_DIR=" + dir}
	}
	argv := append([]string{"--pid", "--fork", "--mount", "--propagation", "private",
		"sh", "-c", requestScript, "request", dir, target, mode, prog}, args...)
	p := testutil.StartEnv(t, dir, env, "/usr/bin/unshare", argv...)
	code := p.Wait(t)
	return p.Stdout.String(), p.Stderr.String(), code
}

// stageFiles names the files in dir with their modes, as "stopit 100".
func stageFiles(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, fmt.Sprintf("%s %o", e.Name(), modeOf(filepath.Join(dir, e.Name()))))
	}
	return strings.Join(out, ", ")
}

// TestRunitInitUsage: any argument but 0 and 6 prints the usage line and
// an empty line, and exits 0, as Debian's runit-init does; nothing is
// touched.
func TestRunitInitUsage(t *testing.T) {
	t.Parallel()
	ours := testutil.Bin("runit-init")
	tests := []struct {
		name   string
		args   []string
		debian bool // compare with Debian's (which would act on "0x")
	}{
		{"none", nil, true},
		{"empty", []string{""}, true},
		{"5", []string{"5"}, true},
		{"-x", []string{"-x"}, true},
		{"0x", []string{"0x"}, false},
		{"60", []string{"60"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			stdout, stderr, code := runInit(t, dir, "", ours, tt.args...)
			if want := "usage: " + ours + " 0|6\n\n"; code != 0 || stdout != "" || stderr != want {
				t.Errorf("exit %d, stdout %q, stderr %q; want 0, usage %q", code, stdout, stderr, want)
			}
			if got := stageFiles(t, dir); got != "" {
				t.Errorf("files: %s", got)
			}
			if !tt.debian {
				return
			}
			if _, err := os.Stat(debianInit); err != nil {
				t.Skipf("no Debian runit-init (%s)", debianInit)
			}
			dstdout, dstderr, dcode := runInit(t, t.TempDir(), "", debianInit, tt.args...)
			if dcode != code || dstdout != stdout || strings.ReplaceAll(dstderr, debianInit, ours) != stderr {
				t.Errorf("Debian's: exit %d, stdout %q, stderr %q; ours: %d, %q, %q", dcode, dstdout, dstderr, code, stdout, stderr)
			}
		})
	}
}

// TestRunitInitFiles: runit-init 0 and 6 leave the same files with the
// same modes as Debian's, and exit 0 (process 1 here is a shell, which
// takes the CONT and does nothing).
func TestRunitInitFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		arg    string
		before map[string]string
		want   string
	}{
		{"0", "0", nil, "stopit 100"},
		{"0 with reboot", "0", map[string]string{"reboot": "#!", "stopit": "x"}, "reboot 0, stopit 100"},
		{"6", "6", nil, "reboot 100, stopit 100"},
		{"6 with old content", "6", map[string]string{"reboot": "old", "stopit": "old"}, "reboot 100, stopit 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := testutil.Tree(t, tt.before)
			stdout, stderr, code := runInit(t, dir, "", testutil.Bin("runit-init"), tt.arg)
			if code != 0 || stdout != "" || stderr != "" {
				t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			if got := stageFiles(t, dir); got != tt.want {
				t.Errorf("files %q, want %q", got, tt.want)
			}
			emptied := []string{"stopit"}
			if tt.arg == "6" {
				emptied = append(emptied, "reboot")
			}
			for _, f := range emptied {
				if b := testutil.ReadFile(filepath.Join(dir, f)); b != "" {
					t.Errorf("%s not emptied: %q", f, b)
				}
			}
			if _, err := os.Stat(debianInit); err != nil {
				t.Skipf("no Debian runit-init (%s)", debianInit)
			}
			debian := map[string]string{}
			for name, content := range tt.before {
				debian["runit."+name] = content
			}
			ddir := testutil.Tree(t, debian)
			_, dstderr, dcode := runInit(t, ddir, "", debianInit, tt.arg)
			if got := strings.ReplaceAll(stageFiles(t, ddir), "runit.", ""); dcode != 0 || dstderr != "" || got != tt.want {
				t.Errorf("Debian's: exit %d, stderr %q, files %q", dcode, dstderr, got)
			}
		})
	}
}

// TestRunitInitErrors: a file that cannot be created or changed is fatal,
// exit 111, in runit-init's words. (Debian's runit 2.1.2 prints a stale
// errno text after them, "file descriptor not open" for a read-only file
// system, so only the words before it are compared.)
func TestRunitInitErrors(t *testing.T) {
	t.Parallel()
	ours := testutil.Bin("runit-init")
	t.Run("read-only", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		_, stderr, code := runInit(t, dir, "ro", ours, "0")
		stages := "/etc/runit"
		if st, err := os.Stat(stages); err != nil || !st.IsDir() {
			stages = dir
		}
		if want := "init: fatal: unable to create " + stages + "/stopit: read-only file system\n"; code != 111 || stderr != want {
			t.Errorf("exit %d, stderr %q; want 111, %q", code, stderr, want)
		}
		if _, err := os.Stat(debianInit); err != nil {
			t.Skipf("no Debian runit-init (%s)", debianInit)
		}
		_, dstderr, dcode := runInit(t, t.TempDir(), "ro", debianInit, "0")
		if want := "init: fatal: unable to create /run/runit.stopit: "; dcode != 111 || !strings.HasPrefix(dstderr, want) {
			t.Errorf("Debian's: exit %d, stderr %q", dcode, dstderr)
		}
	})
	t.Run("reboot is a directory", func(t *testing.T) {
		t.Parallel()
		dir := testutil.Tree(t, map[string]string{"reboot/": ""})
		_, stderr, code := runInit(t, dir, "", ours, "6")
		if code != 111 || !strings.HasPrefix(stderr, "init: fatal: unable to create ") || !strings.HasSuffix(stderr, "/reboot: is a directory\n") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
		if got := modeOf(filepath.Join(dir, "stopit")); got != 0o100 {
			t.Errorf("stopit mode %#o, want 0100 (it comes first)", got)
		}
	})
}

// TestRunitInitVersion: -V prints the version on stdout.
func TestRunitInitVersion(t *testing.T) {
	t.Parallel()
	stdout, _, code := runInit(t, t.TempDir(), "", testutil.Bin("runit-init"), "-V")
	if code != 0 || !strings.HasPrefix(stdout, "runit-init (gorunit) ") {
		t.Errorf("exit %d, stdout %q", code, stdout)
	}
}
