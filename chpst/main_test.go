package chpst_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gorunit/gorunit/internal/testutil"
)

// TestMain lets the test binary act as chpst and its other names, and as
// the other programs of the suite.
func TestMain(m *testing.M) { testutil.Main(m) }

// probeScript is the program chpst starts in these tests. It reports the
// state it was started in, as chpst left it:
//
//	probe report          print the report on stdout, exit 0
//	probe write FILE      write the report to FILE, exit 0
//	probe hold FILE       write the report to FILE, then sleep (TERM ends it)
//	probe exit N          exit N at once
//
// The report is its arguments, working directory, ids and signal
// dispositions (its /proc/PID/status), nice, session, standard
// descriptors (or "closed"), the other descriptors it inherited (those
// without close-on-exec, by target, sorted: our chpst's lock gets a
// higher number than runit's, see chpst(8)), limits (/proc/PID/limits)
// and the environment as execve passed it, in order (newlines in values
// shown as ~). Nothing depends on pids or descriptor numbers, so two runs
// that got the same state report the same.
//
// It is a shell script, not the test binary: under -race every start of
// the test binary costs about 0.1 s of CPU, and a Go program would hide
// some of what chpst did (its runtime opens /dev/null on closed
// descriptors 0-2, raises its own soft RLIMIT_NOFILE, and changes the
// signal dispositions and mask it reads).
const probeScript = `#!/bin/sh
# The chpst tests' probe: see probeScript in chpst/main_test.go.
# The report runs in a subshell, not as the script's last command (which
# dash would run without forking), and reads /proc/$$, the started
# program's own entry, so that the shell's redirections and pipes never
# show up among the descriptors it reports.
PATH=/bin:/usr/bin
p=/proc/$$
report() {
	echo "args: $*"
	printf 'cwd: '
	pwd -P
	while IFS= read -r l; do
		case $l in Uid:*|Gid:*|Groups:*|SigIgn:*|SigBlk:*) echo $l;; esac
	done <$p/status
	read -r st <$p/stat
	set -- $st
	echo "nice: ${19}"
	[ "$1" = "$6" ] && echo "session leader: true" || echo "session leader: false"
	[ "$1" = "$5" ] && echo "group leader: true" || echo "group leader: false"
	std0=closed std1=closed std2=closed inherited=
	nl='
'
	listing=$(LC_ALL=C ls -ln $p/fd/)
	IFS=$nl
	for line in $listing; do
		IFS=' '
		set -- $line
		IFS=$nl
		[ $# -ge 11 ] || continue
		fd=$9 t=${11} flags=
		while IFS=" 	" read -r k v; do
			[ "$k" = flags: ] && flags=$v
		done <$p/fdinfo/$fd
		[ -n "$flags" ] && [ $(( $flags & 02000000 )) -eq 0 ] || continue
		case $t in pipe:*) t=pipe;; esac
		case $fd in
		0) std0="$t flags $flags";;
		1) std1="$t flags $flags";;
		2) std2="$t flags $flags";;
		*) inherited="${inherited}inherited: $t flags $flags$nl";;
		esac
	done
	IFS=' 	'"$nl"
	printf 'fd 0: %s\nfd 1: %s\nfd 2: %s\n' "$std0" "$std1" "$std2"
	printf '%s' "$inherited" | sort
	while IFS= read -r l; do printf '%s\n' "$l"; done <$p/limits
	tr '\n\0' '~\n' <$p/environ | while IFS= read -r l; do printf 'env: %s\n' "$l"; done
}
case $1 in
report) ( report "$@" ); exit;;
write) ( exec >"$2.tmp" && report "$@" ) && mv "$2.tmp" "$2";;
hold) ( exec >"$2.tmp" && report "$@" ) && mv "$2.tmp" "$2" && exec sleep 3600;;
exit) exit "$2";;
*) echo "usage: probe report | write FILE | hold FILE | exit N" >&2; exit 100;;
esac
`

// impl is one chpst under test: ours, or Debian's.
type impl struct {
	name   string
	debian bool
}

var ours = impl{name: "ours"}

// impls returns ours and, when installed, Debian's chpst.
func impls() []impl {
	if _, err := os.Stat(debianChpst); err != nil {
		return []impl{ours}
	}
	return []impl{ours, {name: "debian", debian: true}}
}

const debianChpst = "/usr/bin/chpst"

// bin returns the path of program name (chpst or one of its other names)
// for this implementation. Debian's other names are links to its chpst
// in a temporary directory.
func (i impl) bin(t *testing.T, name string) string {
	t.Helper()
	if !i.debian {
		return testutil.Bin(name)
	}
	if name == "chpst" {
		return debianChpst
	}
	dir := t.TempDir()
	testutil.OpenUp(t, dir)
	p := filepath.Join(dir, name)
	if err := os.Symlink(debianChpst, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// run says how to start a program.
type run struct {
	dir    string              // working directory ("": the test's)
	env    []string            // added to the test's environment
	cred   *syscall.Credential // run as this user (nil: as root)
	stdin  *os.File            // nil: /dev/null
	procIn string              // first mount a proc on procIn/proc, in a private mount namespace
}

// result is what a run printed and its exit code.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// exec runs prog with args to its end.
func (r run) exec(t *testing.T, prog string, args ...string) result {
	t.Helper()
	if r.procIn != "" {
		// sh mounts a proc inside the tree, then becomes prog; the mount
		// namespace dies with it, so nothing is left mounted.
		script := `mount -t proc proc "$0/proc" && exec "$@"`
		args = append([]string{"-c", script, r.procIn, prog}, args...)
		prog = "/bin/sh"
	}
	cmd := exec.Command(prog, args...)
	cmd.Dir = r.dir
	cmd.Env = append(append(testutil.Env(t), fastExit()), r.env...)
	if r.stdin != nil {
		cmd.Stdin = r.stdin // a nil *os.File would close descriptor 0
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: r.cred}
	if r.procIn != "" {
		cmd.SysProcAttr.Unshareflags = syscall.CLONE_NEWNS // Go makes it private
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", prog, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(testutil.WaitTimeout):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s %q did not exit within %v", prog, args, testutil.WaitTimeout)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
}

// start starts prog in the background, for the lock tests.
func (r run) start(t *testing.T, prog string, args ...string) *testutil.Proc {
	t.Helper()
	return testutil.StartAs(t, r.cred, r.dir, append([]string{fastExit()}, r.env...), prog, args...)
}

// fastExit is testutil's GORACE plus atexit_sleep_ms=0: under -race, a
// program that exits sleeps a second first unless told not to, and most
// of our chpst's runs here end in an exit.
func fastExit() string { return "GORACE=" + os.Getenv("GORACE") + " atexit_sleep_ms=0" }

// probeBin writes the probe script into a new directory everyone can
// search, and returns its path.
func probeBin(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	testutil.OpenUp(t, dir)
	p := filepath.Join(dir, "probe")
	if err := os.WriteFile(p, []byte(probeScript), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
