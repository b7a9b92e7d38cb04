package runit_test

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorunit/gorunit/internal/testutil"
)

// A booted machine: runit in machine mode as process 1 of a PID namespace
// of its own, in a private mount namespace where the test's stage
// directory is bound over /etc/runit and a FIFO over /dev/console. The
// machine's own /etc/runit and console are never touched, and reboot(2)
// there ends only the namespace.
type machine struct {
	p       *testutil.Proc
	dir     string // the stage directory, as the test sees it
	stages  string // the stage directory, as runit sees it
	fifo    string
	console *testutil.Buffer // what was written to /dev/console
}

// prelude starts every stage script: $d is the stage directory (the
// script's own), and log appends a line to $d/log.
const prelude = "#!/bin/sh\nd=${0%/*}\nlog() { echo \"$*\" >> \"$d/log\"; }\n"

// script is a stage script with the prelude.
func script(body string) string { return prelude + body + "\n" }

// bootScript binds the stage directory ($1, unless empty) and the console
// ($2) in the new mount namespace, puts a tmpfs on /run (Debian's runit
// keeps its flag files there), then becomes process 1 ("$@").
const bootScript = `if [ -n "$1" ]; then mount --bind "$1" /etc/runit || exit 99; fi
mount -t tmpfs gorunit-test /run || exit 99
mount --bind "$2" /dev/console || exit 99
shift 2
exec "$@"`

// bootMachine builds the stage directory from files (content starting
// with "#!" is executable) and boots argv, runit -M by default. Where
// there is no /etc/runit to bind over, runit is pointed at the directory
// instead (export_test.go).
func bootMachine(t *testing.T, files map[string]string, argv ...string) *machine {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for PID and mount namespaces")
	}
	if len(argv) == 0 {
		argv = []string{testutil.Bin("runit"), "-M"}
	}
	m := &machine{dir: testutil.Tree(t, files), stages: "/etc/runit", console: &testutil.Buffer{}}
	root := t.TempDir()
	m.fifo = filepath.Join(root, "console")
	if err := syscall.Mkfifo(m.fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// Read-write, so that opening does not wait for a writer and the
	// reader never sees EOF between writers.
	f, err := os.OpenFile(m.fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { io.Copy(m.console, f); close(done) }()
	t.Cleanup(func() { f.Close(); <-done })

	bind, env := m.dir, []string(nil)
	if st, err := os.Stat("/etc/runit"); err != nil || !st.IsDir() {
		bind, m.stages = "", m.dir
		env = []string{"GORUNIT_TEST_STAGE_DIR=" + m.dir}
	}
	args := append([]string{"--pid", "--fork", "--mount-proc", "--propagation", "private",
		"sh", "-c", bootScript, "boot", bind, m.fifo}, argv...)
	m.p = testutil.StartEnv(t, root, env, "/usr/bin/unshare", args...)
	return m
}

// wait waits for process 1 to end, and returns the signal that ended it,
// or 0 and its exit code. unshare ends itself the same way as its child,
// so its status is process 1's.
func (m *machine) wait(t *testing.T) (syscall.Signal, int) {
	t.Helper()
	m.p.Wait(t)
	ws := m.p.Cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return ws.Signal(), -1
	}
	return 0, ws.ExitStatus()
}

// endMark is written to the console after process 1 ended: once it is
// read, so is everything before it.
const endMark = "-- end of the test's console --"

// lines returns the console's lines, once process 1 has ended.
func (m *machine) lines(t *testing.T) []string {
	t.Helper()
	w, err := os.OpenFile(m.fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteString(endMark + "\n")
	w.Close()
	testutil.Eventually(t, "the console read to its end", func() bool { return strings.Contains(m.console.String(), endMark) })
	s := m.console.String()
	s = strings.TrimSuffix(s[:strings.Index(s, endMark)], "\n")
	return strings.Split(s, "\n")
}

// modeOf returns a file's permission bits, or -1 when it does not exist.
func modeOf(path string) int {
	st, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return int(st.Mode().Perm())
}

// log returns what the stages logged.
func (m *machine) log() string { return testutil.ReadFile(filepath.Join(m.dir, "log")) }

// expect writes runit's console lines from a short form: "enter 2",
// "leave 2", "crashed 2" and "failed 2" name a stage (or ctrlaltdel) in
// the stage directory; "warning: ..." and "fatal: ..." are such lines;
// anything else is an info line. $S is the stage directory.
func expect(stages string, short ...string) []string {
	var out []string
	for _, s := range short {
		verb, arg, _ := strings.Cut(s, " ")
		switch verb {
		case "enter", "leave":
			s = verb + " stage: $S/" + arg
		case "crashed", "failed":
			s = "warning: child " + verb + ": $S/" + arg
		}
		out = append(out, "- runit: "+strings.ReplaceAll(s, "$S", stages))
	}
	return out
}

// checkConsole compares the console after the booting line with want.
func checkConsole(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) == 0 || !strings.HasPrefix(got[0], "- runit: gorunit ") || !strings.HasSuffix(got[0], ": booting.") {
		t.Errorf("first console line %q, want the booting line", got)
	}
	if len(got) > 0 {
		got = got[1:]
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("console:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

var threeStages = map[string]string{
	"1": script("log 1"),
	"2": script("log 2"),
	"3": script("log 3"),
}

// with returns threeStages with some files replaced, added, or (for an
// empty content) removed.
func with(files map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range threeStages {
		out[k] = v
	}
	for k, v := range files {
		if v == "" {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

// stage2Again: a stage 2 that fails (how: the argument) on its first run
// and leaves a process behind in its process group, and that on its
// second run reports whether that process is still there, then exits 0.
func stage2Again(fail string) string {
	return script(`log 2
if [ ! -e "$d/again" ]; then
	: > "$d/again"
	sleep 1000 & echo $! > "$d/bg"
	` + fail + `
fi
kill -0 "$(cat "$d/bg")" 2>/dev/null && log "left behind"
exit 0`)
}

// TestMachineStages: the stages run as runit(8) and runit 2.3.0 say: in
// order; stage 1 crashing or exiting 100 skips stage 2; stage 2 exiting
// 111 or crashing has its process group killed and is started again
// (runit 2.1.2 went to stage 3 after a crash); after stage 3, power off
// (SIGINT for a PID namespace's process 1), or reboot (SIGHUP) when the
// reboot file is u+x.
func TestMachineStages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		files   map[string]string
		log     string
		console []string
		sig     syscall.Signal
	}{
		{
			name: "in order", files: threeStages, log: "1\n2\n3\n",
			console: []string{"enter 1", "leave 1", "enter 2", "leave 2", "enter 3", "leave 3",
				"sending KILL signal to all processes...", "power off..."},
			sig: syscall.SIGINT,
		},
		{
			name: "reboot", files: with(map[string]string{"reboot": "#!"}), log: "1\n2\n3\n",
			console: []string{"enter 1", "leave 1", "enter 2", "leave 2", "enter 3", "leave 3",
				"sending KILL signal to all processes...", "system reboot."},
			sig: syscall.SIGHUP,
		},
		{
			name: "reboot not u+x", files: with(map[string]string{"reboot": "not executable", "nosync": "x"}), log: "1\n2\n3\n",
			console: []string{"enter 1", "leave 1", "enter 2", "leave 2", "enter 3", "leave 3",
				"sending KILL signal to all processes...", "power off..."},
			sig: syscall.SIGINT,
		},
		{
			name: "stage 1 exits 100", files: with(map[string]string{"1": script("log 1; exit 100")}), log: "1\n3\n",
			console: []string{"enter 1", "failed 1", "leave 1", "warning: skipping stage 2...", "enter 3", "leave 3",
				"sending KILL signal to all processes...", "power off..."},
			sig: syscall.SIGINT,
		},
		{
			name: "stage 1 crashes", files: with(map[string]string{"1": script("log 1; kill -KILL $$")}), log: "1\n3\n",
			console: []string{"enter 1", "crashed 1", "leave 1", "warning: skipping stage 2...", "enter 3", "leave 3",
				"sending KILL signal to all processes...", "power off..."},
			sig: syscall.SIGINT,
		},
		{
			name: "stage 1 fails", files: with(map[string]string{"1": script("log 1; exit 1")}), log: "1\n2\n3\n",
			console: []string{"enter 1", "failed 1", "leave 1", "enter 2", "leave 2", "enter 3", "leave 3",
				"sending KILL signal to all processes...", "power off..."},
			sig: syscall.SIGINT,
		},
		{
			name: "stage 2 exits 111", files: with(map[string]string{"2": stage2Again("exit 111")}), log: "1\n2\n2\n3\n",
			console: []string{"enter 1", "leave 1", "enter 2", "failed 2", "warning: killing all processes in stage 2...",
				"warning: restarting.", "enter 2", "leave 2", "enter 3", "leave 3",
				"sending KILL signal to all processes...", "power off..."},
			sig: syscall.SIGINT,
		},
		{
			name: "stage 2 crashes", files: with(map[string]string{"2": stage2Again("kill -KILL $$")}), log: "1\n2\n2\n3\n",
			console: []string{"enter 1", "leave 1", "enter 2", "crashed 2", "warning: killing all processes in stage 2...",
				"warning: restarting.", "enter 2", "leave 2", "enter 3", "leave 3",
				"sending KILL signal to all processes...", "power off..."},
			sig: syscall.SIGINT,
		},
		{
			name: "stage 2 fails", files: with(map[string]string{"2": script("log 2; exit 3")}), log: "1\n2\n3\n",
			console: []string{"enter 1", "leave 1", "enter 2", "failed 2", "leave 2", "enter 3", "leave 3",
				"sending KILL signal to all processes...", "power off..."},
			sig: syscall.SIGINT,
		},
		{
			name: "no stage 2", files: with(map[string]string{"2": ""}), log: "1\n3\n",
			console: []string{"enter 1", "leave 1", "enter 2", "fatal: unable to start child: $S/2: file does not exist",
				"leave 2", "enter 3", "leave 3", "sending KILL signal to all processes...", "power off..."},
			sig: syscall.SIGINT,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := bootMachine(t, tt.files)
			sig, code := m.wait(t)
			if sig != tt.sig {
				t.Errorf("process 1 ended by signal %d (exit %d), want %d (%v)", sig, code, tt.sig, tt.sig)
			}
			if got := m.log(); got != tt.log {
				t.Errorf("stages logged %q, want %q", got, tt.log)
			}
			checkConsole(t, m.lines(t), expect(m.stages, tt.console...))
		})
	}
}

// TestMachineStageProcesses: stage 1 runs in runit's session with the
// console read-write on stdin; stages 2 and 3 lead sessions of their own;
// no stage has a signal ignored or blocked (runit 2.1.2 left CONT
// ignored in every stage, fixed in 2.3.0).
func TestMachineStageProcesses(t *testing.T) {
	t.Parallel()
	report := script(`sid=$(cut -d' ' -f6 /proc/$$/stat)
[ "$sid" = $$ ] && sid=own
rw=no; case $(sed -n 's/^flags:[[:space:]]*//p' /proc/$$/fdinfo/0) in *2) rw=rw;; esac
log "${0##*/}: session $sid, stdin $(readlink /proc/$$/fd/0) $rw," $(grep -E '^Sig(Ign|Blk)' /proc/$$/status)`)
	m := bootMachine(t, map[string]string{"1": report, "2": report, "3": report})
	m.wait(t)
	// What a shell the test starts itself has: whatever make or CI ignore
	// (make ignores signals 32 and 33) is inherited by both.
	ref, _, _ := testutil.Run(t, t.TempDir(), "/bin/sh", "-c", `echo $(grep -E '^Sig(Ign|Blk)' /proc/$$/status)`)
	zero := strings.TrimSpace(ref)
	if !strings.HasPrefix(zero, "SigBlk: 0000000000000000 ") {
		t.Fatalf("the test itself runs with signals blocked: %s", zero)
	}
	want := "1: session 1, stdin /dev/console rw, " + zero + "\n" +
		"2: session own, stdin /dev/console no, " + zero + "\n" +
		"3: session own, stdin /dev/console no, " + zero + "\n"
	if got := m.log(); got != want {
		t.Errorf("stages report\n%s\nwant\n%s", got, want)
	}
}

// TestRunitInitIsProcess1: runit-init started as process 1 (the kernel's
// init=) is runit in machine mode.
func TestRunitInitIsProcess1(t *testing.T) {
	t.Parallel()
	m := bootMachine(t, threeStages, testutil.Bin("runit-init"), "single")
	if sig, code := m.wait(t); sig != syscall.SIGINT {
		t.Errorf("process 1 ended by signal %d (exit %d), want SIGINT (power off)", sig, code)
	}
	if got := m.log(); got != "1\n2\n3\n" {
		t.Errorf("stages logged %q", got)
	}
}

// stopStage2 is a stage 2 that asks for the shutdown with its arguments
// (runit-init 0, say) and logs TERM when it comes.
func stopStage2(request string) string {
	return script(`trap 'term=1' TERM
log 2
` + request + `
log "asked $?"
while [ -z "$term" ]; do sleep 0.02; done
log TERM`)
}

// TestRunitInitShutdown: runit-init 0 and 6 in stage 2 make runit send
// TERM to stage 2, run stage 3, and power off or reboot; stopit is made
// mode 0 again, reboot is left as runit-init set it.
func TestRunitInitShutdown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		files  map[string]string
		sig    syscall.Signal
		last   string
		reboot int // its mode after; -1: no reboot file
	}{
		{"0", with(map[string]string{"2": stopStage2("runit-init 0")}), syscall.SIGINT, "power off...", -1},
		{"0, reboot was u+x", with(map[string]string{"2": stopStage2("runit-init 0"), "reboot": "#!"}), syscall.SIGINT, "power off...", 0},
		{"6", with(map[string]string{"2": stopStage2("runit-init 6")}), syscall.SIGHUP, "system reboot.", 0o100},
		// Stage 2's five seconds to stop are not stage 3's.
		{"0, long stage 3", with(map[string]string{"2": stopStage2("runit-init 0"), "3": script("sleep 5.5; log 3")}),
			syscall.SIGINT, "power off...", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := bootMachine(t, tt.files)
			if sig, code := m.wait(t); sig != tt.sig {
				t.Errorf("process 1 ended by signal %d (exit %d), want %v", sig, code, tt.sig)
			}
			if got := m.log(); got != "1\n2\nasked 0\nTERM\n3\n" {
				t.Errorf("stages logged %q", got)
			}
			checkConsole(t, m.lines(t), expect(m.stages, "enter 1", "leave 1", "enter 2", "leave 2", "enter 3", "leave 3",
				"sending KILL signal to all processes...", tt.last))
			if got := modeOf(filepath.Join(m.dir, "stopit")); got != 0 {
				t.Errorf("stopit: mode %#o, want 0", got)
			}
			if got := modeOf(filepath.Join(m.dir, "reboot")); got != tt.reboot {
				t.Errorf("reboot: mode %#o, want %#o (-1: none)", got, tt.reboot)
			}
		})
	}
}

// TestMachineStage2IgnoresTERM: a stage 2 that ignores TERM gets KILL
// five seconds after the shutdown request.
func TestMachineStage2IgnoresTERM(t *testing.T) {
	t.Parallel()
	m := bootMachine(t, with(map[string]string{"2": script(`trap '' TERM; log 2; runit-init 0; while :; do sleep 0.1; done`)}))
	start := time.Now()
	m.wait(t)
	if took := time.Since(start); took < 5*time.Second {
		t.Errorf("stage 2 was killed after %v, want 5s", took)
	}
	if got := m.log(); got != "1\n2\n3\n" {
		t.Errorf("stages logged %q", got)
	}
	checkConsole(t, m.lines(t), expect(m.stages, "enter 1", "leave 1", "enter 2",
		"warning: stage 2 not terminated, sending sigkill...", "leave 2", "enter 3", "leave 3",
		"sending KILL signal to all processes...", "power off..."))
}

// ctrlAltDelStage2 is a stage 2 that presses ctrl-alt-del and logs TERM
// when it comes.
var ctrlAltDelStage2 = script(`trap 'term=1' TERM
log 2
kill -INT 1
while [ -z "$term" ]; do sleep 0.02; done
log TERM`)

// TestMachineCtrlAltDel: INT in stage 2 runs ctrlaltdel (here, as
// Debian's, it makes stopit u+x) and then acts as CONT.
func TestMachineCtrlAltDel(t *testing.T) {
	t.Parallel()
	m := bootMachine(t, with(map[string]string{
		"2":          ctrlAltDelStage2,
		"ctrlaltdel": script(`log ctrlaltdel; touch "$d/stopit"; chmod 100 "$d/stopit"`),
	}))
	if sig, code := m.wait(t); sig != syscall.SIGINT {
		t.Errorf("process 1 ended by signal %d (exit %d), want SIGINT", sig, code)
	}
	if got := m.log(); got != "1\n2\nctrlaltdel\nTERM\n3\n" {
		t.Errorf("stages logged %q", got)
	}
	checkConsole(t, m.lines(t), expect(m.stages, "enter 1", "leave 1", "enter 2",
		"ctrl-alt-del request...", "enter ctrlaltdel", "leave ctrlaltdel", "leave 2", "enter 3", "leave 3",
		"sending KILL signal to all processes...", "power off..."))
}

// TestMachinePowerRequest: PWR in stage 2 (lxc-stop, LXD, a UPS daemon)
// powers off without stopit: stage 2 gets TERM, stage 3 runs, and a u+x
// reboot file loses its execute bit; PWR in stage 1 only warns.
func TestMachinePowerRequest(t *testing.T) {
	t.Parallel()
	m := bootMachine(t, with(map[string]string{
		"1":      script(`kill -PWR 1; sleep 0.3; log 1`), // a signal at the very end of a stage may be taken as the next one's
		"2":      strings.Replace(ctrlAltDelStage2, "kill -INT 1", "kill -PWR 1", 1),
		"reboot": "#!",
	}))
	if sig, code := m.wait(t); sig != syscall.SIGINT {
		t.Errorf("process 1 ended by signal %d (exit %d), want SIGINT (power off)", sig, code)
	}
	if got := m.log(); got != "1\n2\nTERM\n3\n" {
		t.Errorf("stages logged %q", got)
	}
	if got := modeOf(filepath.Join(m.dir, "reboot")); got != 0 {
		t.Errorf("reboot: mode %#o, want 0", got)
	}
	checkConsole(t, m.lines(t), expect(m.stages, "enter 1", "warning: signals only work in stage 2.", "leave 1", "enter 2",
		"power request...", "leave 2", "enter 3", "leave 3",
		"sending KILL signal to all processes...", "power off..."))
}

// TestMachineRequestsIgnored: CONT without a u+x stopit, and INT without
// a u+x ctrlaltdel, change nothing; in stages 1 and 3 runit only warns,
// and leaves stopit as it is.
func TestMachineRequestsIgnored(t *testing.T) {
	t.Parallel()
	// Each stage gives runit a second to act on the requests before it
	// exits: to warn about them, or, wrongly, to honour them (TERM would
	// end the stage before "done").
	request := `kill -CONT 1; kill -INT 1; sleep 1; log "${0##*/} done"`
	tests := []struct {
		name    string
		files   map[string]string
		log     string
		console []string
	}{
		{"stage 2, no stopit, no ctrlaltdel", with(map[string]string{"2": script(request)}), "1\n2 done\n3\n",
			[]string{"enter 1", "leave 1", "enter 2", "leave 2", "enter 3", "leave 3"}},
		{"stage 2, neither u+x", with(map[string]string{"2": script(request), "stopit": "x", "ctrlaltdel": "x"}), "1\n2 done\n3\n",
			[]string{"enter 1", "leave 1", "enter 2", "leave 2", "enter 3", "leave 3"}},
		{"stages 1 and 3", with(map[string]string{"1": script(request), "3": script(request), "stopit": "#!", "ctrlaltdel": "#!"}), "1 done\n2\n3 done\n",
			[]string{"enter 1", "warning: signals only work in stage 2.", "warning: signals only work in stage 2.", "leave 1",
				"enter 2", "leave 2", "enter 3", "warning: signals only work in stage 2.", "warning: signals only work in stage 2.", "leave 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := bootMachine(t, tt.files)
			m.wait(t)
			if got := m.log(); got != tt.log {
				t.Errorf("stages logged %q, want %q", got, tt.log)
			}
			checkConsole(t, m.lines(t), expect(m.stages, append(tt.console, "sending KILL signal to all processes...", "power off...")...))
			if content, ok := tt.files["stopit"]; ok {
				want := 0o644
				if strings.HasPrefix(content, "#!") {
					want = 0o755
				}
				if got := modeOf(filepath.Join(m.dir, "stopit")); got != want {
					t.Errorf("stopit: mode %#o, want it unchanged, %#o", got, want)
				}
			}
		})
	}
}

// TestMachineRebootRefused: where the kernel refuses reboot(2) (no
// CAP_SYS_BOOT, as in a docker container), process 1 exits with the code
// a runtime reports for the namespace's reboot: 130 for a power off.
func TestMachineRebootRefused(t *testing.T) {
	t.Parallel()
	setpriv := "/usr/bin/setpriv"
	if _, err := os.Stat(setpriv); err != nil {
		t.Skip("no setpriv to drop CAP_SYS_BOOT")
	}
	m := bootMachine(t, threeStages, setpriv, "--bounding-set", "-sys_boot", testutil.Bin("runit"), "-M")
	if sig, code := m.wait(t); sig != 0 || code != 130 {
		t.Errorf("process 1 ended by signal %d, exit %d; want exit 130", sig, code)
	}
	checkConsole(t, m.lines(t), expect(m.stages, "enter 1", "leave 1", "enter 2", "leave 2", "enter 3", "leave 3",
		"sending KILL signal to all processes...", "power off...", "warning: unable to power off: permission denied",
		"system halt.", "warning: unable to halt: permission denied"))
}

// TestMachineNotProcess1: runit -M must be process 1, as runit must, and
// takes no command.
func TestMachineNotProcess1(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, stderr, code := testutil.Run(t, dir, "runit", "-M")
	if code != 111 || stderr != "- runit: fatal: must be run as process no 1.\n" {
		t.Errorf("runit -M: exit %d, %q", code, stderr)
	}
	_, stderr, code = testutil.Run(t, dir, "runit", "-M", "sh")
	if code != 100 || !strings.HasPrefix(stderr, "runit: -M takes no command\n") {
		t.Errorf("runit -M sh: exit %d, %q", code, stderr)
	}
}
