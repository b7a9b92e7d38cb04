package chpst_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
)

// TestExitCode: chpst is replaced by the program, so the program's exit
// code is chpst's, and so is its pid (TestLockContention checks the pid).
func TestExitCode(t *testing.T) {
	t.Parallel()
	probe := probeBin(t)
	for _, im := range impls() {
		for _, prog := range []string{"chpst", "envdir", "pgrphack", "softlimit", "setlock"} {
			var args []string
			switch prog {
			case "envdir":
				args = []string{t.TempDir()}
			case "setlock":
				args = []string{filepath.Join(t.TempDir(), "lock")}
			}
			args = append(args, probe, "exit", "42")
			if got := (run{}.exec(t, im.bin(t, prog), args...)); got.code != 42 || got.stderr != "" {
				t.Errorf("%s %s: %v, want exit 42", im.name, prog, got)
			}
		}
	}
}

// TestChdir: -C is runit 2.2.0's, which Debian's 2.1.2 lacks: it changes
// the working directory after the chroot, before the user changes.
func TestChdir(t *testing.T) {
	t.Parallel()
	dir := testutil.Tree(t, map[string]string{"sub/": "", "tree/etc/": "", "tree/proc/": ""})
	testutil.OpenUp(t, dir)
	probe := probeBin(t)

	got := run{dir: dir}.exec(t, testutil.Bin("chpst"), "-C", "sub", "-u", "nobody", probe, "report")
	if got.code != 0 || !hasLine(got.stdout, "cwd: "+filepath.Join(dir, "sub")+"\n") {
		t.Errorf("chpst -C sub: %v", got)
	}
	got = run{dir: dir}.exec(t, testutil.Bin("chpst"), "-C", "nosuchdir", probe, "report")
	if want := (result{stderr: "chpst: fatal: unable to change directory: nosuchdir: file does not exist\n", code: 111}); got != want {
		t.Errorf("chpst -C nosuchdir:\n got %v\nwant %v", got, want)
	}
	// After the chroot: "-C /etc" is the tree's /etc, not the machine's.
	root := chrootTree(t)
	got = run{dir: dir, procIn: root}.exec(t, testutil.Bin("chpst"), "-C", "/etc", "-/", root, "/bin/probe", "report")
	if got.code != 0 || !hasLine(got.stdout, "cwd: /etc\n") {
		t.Errorf("chpst -C /etc -/ root: %v", got)
	}
	if _, err := os.Stat(debianChpst); err == nil {
		got = run{dir: dir}.exec(t, debianChpst, "-C", "sub", "true")
		if got.code != 100 || !strings.HasPrefix(got.stderr, "chpst: illegal option -- C\n") {
			t.Errorf("Debian's chpst 2.1.2 now accepts -C? %v; update chpst(8)", got)
		}
	}
}

// TestGoRuntimeDifferences pins the ways our chpst differs from runit's
// because it is a Go program; chpst(8) documents them.
func TestGoRuntimeDifferences(t *testing.T) {
	t.Parallel()
	debian := false
	if _, err := os.Stat(debianChpst); err == nil {
		debian = true
	}

	// 1. The Go runtime opens /dev/null on a standard descriptor that is
	// closed when it starts, so -0 on a closed stdin does not fail.
	closed := `exec 0<&- && exec "$@"`
	got := run{}.exec(t, "/bin/sh", "-c", closed, "sh", testutil.Bin("chpst"), "-0", "true")
	if got.code != 0 {
		t.Errorf("ours, -0 on a closed stdin: %v, want exit 0", got)
	}
	if debian {
		got = run{}.exec(t, "/bin/sh", "-c", closed, "sh", debianChpst, "-0", "true")
		if want := (result{stderr: "chpst: fatal: unable to close stdin: file descriptor not open\n", code: 111}); got != want {
			t.Errorf("Debian's, -0 on a closed stdin:\n got %v\nwant %v", got, want)
		}
	}

	// 2. Signals ignored when chpst starts are ignored in the program
	// only for SIGHUP and SIGINT (the Go runtime installs its handlers
	// for the others, and exec resets handled signals to the default).
	ignore := `trap '' HUP INT USR1 TERM && exec "$@"`
	sigIgn := func(bin string) string {
		got := run{}.exec(t, "/bin/sh", "-c", ignore, "sh", bin, "grep", "^SigIgn:", "/proc/self/status")
		return strings.TrimSpace(strings.TrimPrefix(got.stdout, "SigIgn:"))
	}
	// Bits: HUP 1, INT 2, USR1 10, TERM 15; plus what the environment
	// already ignores (make ignores 32 and 33).
	inherited := testutil.InheritedIgnored(t)
	if got, want := sigIgn(testutil.Bin("chpst")), fmt.Sprintf("%016x", 0x3|inherited); got != want {
		t.Errorf("ours: SigIgn %s, want HUP and INT only (%s)", got, want)
	}
	if debian {
		if got, want := sigIgn(debianChpst), fmt.Sprintf("%016x", 0x4203|inherited); got != want {
			t.Errorf("Debian's: SigIgn %s, want HUP INT USR1 TERM (%s)", got, want)
		}
	}

	// 3. Signals blocked when chpst starts stay blocked, except those the
	// Go runtime unblocks in every thread (TERM among them; USR1 not).
	perl, err := exec.LookPath("perl")
	if err != nil {
		t.Log("perl not installed: blocked signals not checked")
		return
	}
	block := `use POSIX; sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGUSR1, SIGTERM)) or die; exec @ARGV or die`
	sigBlk := func(bin string) string {
		got := run{}.exec(t, perl, "-e", block, bin, "grep", "^SigBlk:", "/proc/self/status")
		return strings.TrimSpace(strings.TrimPrefix(got.stdout, "SigBlk:"))
	}
	if got := sigBlk(testutil.Bin("chpst")); got != "0000000000000200" {
		t.Errorf("ours: SigBlk %s, want USR1 only (0000000000000200)", got)
	}
	if debian {
		if got := sigBlk(debianChpst); got != "0000000000004200" {
			t.Errorf("Debian's: SigBlk %s, want USR1 and TERM (0000000000004200)", got)
		}
	}
}
