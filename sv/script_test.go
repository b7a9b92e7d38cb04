package sv_test

// Script tests pin sv's output. Every file in testdata/*.txt runs twice,
// against our runsv: once with our sv and once with Debian's /usr/bin/sv
// (skipped when runit is not installed). Both must print what the script
// expects, which is half of the interop matrix: Debian's sv reads our
// runsv exactly as it reads its own.
//
// Script format. One directive per line; blank lines and lines starting
// with "#" are comments, and the first line names the issue the script
// pins ("# issue: ..."). Paths are relative to the script's directory
// $DIR, which is also $SVDIR and the working directory of every command.
//
// Building the tree:
//
//	script PATH LINE...  executable "#!/bin/sh" script whose one line is LINE
//	file PATH [TEXT]     file holding TEXT, a Go-quoted string ("\x01\x02"),
//	                     or empty; written aside and renamed into place
//	append PATH TEXT     append TEXT (Go-quoted) to a file
//	mkdir PATH           directory, with parents
//	mkfifo PATH          named pipe, with parent directories
//	symlink TARGET PATH  symbolic link (TARGET as written)
//	rm PATH              remove a file
//	chmod MODE PATH      set an octal mode
//	lsb NAME             link NAME to the sv under test: "$ NAME status" runs
//	                     it as an LSB init script for service NAME
//
// Services:
//
//	runsv DIR            start our runsv on DIR (killed when the test ends)
//	wait DIR STAT        wait until DIR/supervise/stat reads STAT ("run, paused"),
//	                     supervise/status says the same, and runsv reads
//	                     supervise/ok
//	exited DIR           wait until DIR's runsv has exited
//	cat PATH             wait until PATH holds exactly the ">" lines below
//	                     (none: until it is empty or missing)
//
// Commands and what they must print:
//
//	$ [NAME=value|-NAME]... PROG ARG...
//	                     run PROG (sv, or a NAME from lsb) with variables set
//	                     or unset ("-SVDIR"); "nobody$ ..." runs it as nobody
//	> LINE               a line of stdout (">" alone: an empty line)
//	! LINE               a line of stderr
//	? CODE               the exit code (0 when there is no "?" line)
//
// A command's whole stdout and stderr are compared: no ">" line means no
// output. Before comparing, "(pid 123)" becomes "(pid PID)" and "45s"
// becomes "Ns" on both sides. $DIR and $VERSION (ours) are expanded.
//
// Where the two sv differ on purpose, a line starting with "ours: " or
// "debian: " is for that sv only; a command dropped that way takes its
// unprefixed expectations with it. Say why in a comment next to it. A
// difference not yet decided on is marked the same way, under a comment
// starting "DIFFERS".
// Nothing in a script waits by sleeping: "wait" and "cat" poll files.

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorunit/gorunit/internal/status"
	"github.com/gorunit/gorunit/internal/testutil"
	"github.com/gorunit/gorunit/internal/version"
)

// impls are the sv implementations every script runs with.
var impls = []string{"ours", "debian"}

// pollEvery is how often wait and cat recheck a file.
const pollEvery = 5 * time.Millisecond

func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in testdata/: %v", err)
	}
	ours := ourSV(t)
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(src, []byte("# issue")) {
			t.Errorf("%s: does not open with the issue it pins (# issue ...)", file)
		}
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			t.Parallel()
			for _, impl := range impls {
				t.Run(impl, func(t *testing.T) {
					t.Parallel()
					prog := ours
					if impl == "debian" {
						prog = testutil.Debian(t, "sv")
					}
					steps, err := parse(string(src), impl)
					if err != nil {
						t.Fatalf("%s:%v", file, err)
					}
					r := newRunner(t, file, impl, prog)
					for _, st := range steps {
						r.do(st)
					}
				})
			}
		})
	}
}

// step is one directive or command of a script.
type step struct {
	line   int    // in the script, for messages
	op     string // the directive, or "$" for a command
	arg    string // the rest of the line
	nobody bool   // "nobody$": run the command as user nobody
	stdout []string
	stderr []string
	code   int
}

// ops lists the directives and how many fields each takes at least.
var ops = map[string]int{
	"script": 2, "file": 1, "append": 2, "mkdir": 1, "mkfifo": 1, "symlink": 2, "rm": 1,
	"chmod": 2, "lsb": 1, "runsv": 1, "wait": 2, "exited": 1,
	"cat": 1, "$": 1,
}

// parse reads a script, keeping the lines meant for impl.
func parse(src, impl string) ([]*step, error) {
	var steps []*step
	dropping := false // the last command was for the other sv
	for i, line := range strings.Split(src, "\n") {
		n := i + 1
		if line == "" || line[0] == '#' {
			continue
		}
		if who, rest, ok := strings.Cut(line, ": "); ok && (who == "ours" || who == "debian") {
			if who != impl {
				dropping = dropping || strings.HasPrefix(rest, "$") || strings.HasPrefix(rest, "nobody$")
				continue
			}
			line = rest
		}
		if isExpectation(line) {
			if dropping {
				continue
			}
			if len(steps) == 0 {
				return nil, fmt.Errorf("%d: %c before any command", n, line[0])
			}
			if err := steps[len(steps)-1].expect(line); err != nil {
				return nil, fmt.Errorf("%d: %v", n, err)
			}
			continue
		}
		dropping = false
		op, arg, _ := strings.Cut(line, " ")
		st := &step{line: n, op: op, arg: arg}
		if op == "nobody$" {
			st.op, st.nobody = "$", true
		}
		min, ok := ops[st.op]
		if !ok {
			return nil, fmt.Errorf("%d: unknown directive %q", n, op)
		}
		if len(strings.Fields(arg)) < min {
			return nil, fmt.Errorf("%d: %s needs %d arguments", n, op, min)
		}
		steps = append(steps, st)
	}
	return steps, nil
}

// isExpectation reports whether line is a ">", "!" or "?" line.
func isExpectation(line string) bool {
	return line != "" && strings.ContainsRune(">!?", rune(line[0])) && (len(line) == 1 || line[1] == ' ')
}

// expect adds an expectation line to a command (or, ">" only, to cat).
func (st *step) expect(line string) error {
	text := strings.TrimPrefix(line[1:], " ")
	switch {
	case st.op != "$" && (st.op != "cat" || line[0] != '>'):
		return fmt.Errorf("%c after %s", line[0], st.op)
	case line[0] == '>':
		st.stdout = append(st.stdout, text)
	case line[0] == '!':
		st.stderr = append(st.stderr, text)
	default:
		code, err := strconv.Atoi(text)
		if err != nil {
			return fmt.Errorf("bad exit code: %v", err)
		}
		st.code = code
	}
	return nil
}

// runner runs one script with one sv.
type runner struct {
	t     *testing.T
	file  string
	impl  string
	sv    string // the sv under test
	dir   string // $DIR: the services, $SVDIR, the working directory
	bin   string // links to sv: "sv" and every lsb NAME
	out   string // commands' output files
	runsv map[string]*testutil.Proc
	vars  *strings.Replacer
}

func newRunner(t *testing.T, file, impl, sv string) *runner {
	r := &runner{t: t, file: file, impl: impl, sv: sv, dir: openTempDir(t), bin: openTempDir(t), out: t.TempDir(), runsv: map[string]*testutil.Proc{}}
	r.vars = strings.NewReplacer("$DIR", r.dir, "$VERSION", version.Version)
	if err := os.Symlink(sv, filepath.Join(r.bin, "sv")); err != nil {
		t.Fatal(err)
	}
	return r
}

// fatalf stops the script, naming the line that failed.
func (r *runner) fatalf(st *step, format string, args ...any) {
	r.t.Helper()
	r.t.Fatalf("%s:%d: %s %s: %s", r.file, st.line, st.op, st.arg, fmt.Sprintf(format, args...))
}

func (r *runner) path(p string) string { return filepath.Join(r.dir, p) }

// do runs one step.
func (r *runner) do(st *step) {
	r.t.Helper()
	arg := r.vars.Replace(st.arg)
	f := strings.Fields(arg)
	first, rest, _ := strings.Cut(arg, " ")
	var err error
	switch st.op {
	case "script":
		err = r.write(first, "#!/bin/sh\n"+rest+"\n", 0o755)
	case "file":
		text := ""
		if rest != "" {
			if text, err = strconv.Unquote(rest); err != nil {
				break
			}
		}
		err = r.write(first, text, 0o644)
	case "append":
		var text string
		if text, err = strconv.Unquote(rest); err == nil {
			err = appendFile(r.path(first), text)
		}
	case "mkdir":
		err = os.MkdirAll(r.path(first), 0o755)
	case "mkfifo":
		if err = os.MkdirAll(filepath.Dir(r.path(first)), 0o755); err == nil {
			err = syscall.Mkfifo(r.path(first), 0o600)
		}
	case "symlink":
		err = os.Symlink(f[0], r.path(f[1]))
	case "rm":
		err = os.Remove(r.path(first))
	case "chmod":
		var mode uint64
		if mode, err = strconv.ParseUint(f[0], 8, 32); err == nil {
			err = os.Chmod(r.path(f[1]), os.FileMode(mode))
		}
	case "lsb":
		err = os.Symlink(r.sv, filepath.Join(r.bin, first))
	case "runsv":
		r.runsv[first] = testutil.Start(r.t, r.dir, "runsv", first)
	case "wait":
		r.waitStat(st, r.path(first), rest)
	case "exited":
		p, ok := r.runsv[first]
		if !ok {
			r.fatalf(st, "no runsv was started on %s", first)
		}
		p.Wait(r.t)
	case "cat":
		r.eventually(st, r.path(first), lines(st.stdout))
	case "$":
		r.command(st, f)
	}
	if err != nil {
		r.fatalf(st, "%v", err)
	}
}

// write creates a file beside its final path and renames it into place,
// so that neither runsv nor sv ever sees half of it.
func (r *runner) write(p, content string, mode os.FileMode) error {
	full := r.path(p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	tmp := full + ".script-new"
	if err := os.WriteFile(tmp, []byte(content), mode); err != nil {
		return err
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	return os.Rename(tmp, full)
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// waitStat waits until svc/supervise/stat reads stat, supervise/status
// says the same, and runsv reads supervise/ok. As runit's, our runsv
// writes stat before status (which sv reads), its first status before it
// opens supervise/ok, and "finish" once with pid 0 before it starts
// ./finish.
func (r *runner) waitStat(st *step, svc, stat string) {
	r.t.Helper()
	r.poll(st, func() (bool, string) {
		if !hasReader(filepath.Join(svc, "supervise", "ok")) {
			return false, "no reader on supervise/ok"
		}
		got := testutil.ReadFile(filepath.Join(svc, "supervise", "stat"))
		rec, err := status.Decode([]byte(testutil.ReadFile(filepath.Join(svc, "supervise", "status"))))
		if err != nil {
			return false, fmt.Sprintf("stat %q, status: %v", got, err)
		}
		settled := (rec.State == status.Down) == (rec.PID == 0)
		said := strings.Replace(stat, "want exit", "want down", 1)
		return got == stat+"\n" && settled && statOf(rec) == said, fmt.Sprintf("stat %q, status %+v", got, rec)
	})
}

// hasReader reports whether a process reads the FIFO at path, as sv
// tests it: a non-blocking open for writing fails with ENXIO if none does.
func hasReader(path string) bool {
	fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	syscall.Close(fd)
	return true
}

// statOf is what supervise/stat says for rec (FIELD-NOTES 4.1), but for
// "want exit", which the record cannot tell from "want down".
func statOf(rec status.Record) string {
	s := rec.State.String()
	if rec.Paused {
		s += ", paused"
	}
	if rec.Term {
		s += ", got TERM"
	}
	if rec.Want == status.WantDown && rec.State != status.Down {
		s += ", want down"
	}
	return s
}

// eventually waits until the file at path holds want.
func (r *runner) eventually(st *step, path, want string) {
	r.t.Helper()
	r.poll(st, func() (bool, string) {
		got := testutil.ReadFile(path)
		return got == want, fmt.Sprintf("%q", got)
	})
}

// poll waits until cond is true, and fails with what it saw last.
func (r *runner) poll(st *step, cond func() (ok bool, saw string)) {
	r.t.Helper()
	deadline := time.Now().Add(testutil.WaitTimeout)
	for {
		ok, saw := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			r.fatalf(st, "timed out; last saw %s", saw)
		}
		time.Sleep(pollEvery)
	}
}

// command runs a "$" line and compares its output and exit code.
func (r *runner) command(st *step, words []string) {
	r.t.Helper()
	env := r.env()
	for len(words) > 0 {
		if name, ok := strings.CutPrefix(words[0], "-"); ok {
			env = unset(env, name)
		} else if name, _, ok := strings.Cut(words[0], "="); ok {
			env = append(unset(env, name), words[0])
		} else {
			break
		}
		words = words[1:]
	}
	if len(words) == 0 {
		r.fatalf(st, "no program")
	}
	prog := filepath.Join(r.bin, words[0])
	if _, err := os.Lstat(prog); err != nil {
		r.fatalf(st, "unknown program %s: run sv, or name it in an lsb line first", words[0])
	}
	cmd := exec.Command(prog, words[1:]...)
	cmd.Dir, cmd.Env = r.dir, env
	// Files, not pipes: what the program wrote is all there when it has
	// exited, however loaded the machine, and a child left running (a
	// slow ./check) holds nothing up.
	cmd.Stdout, cmd.Stderr = r.outFile(st), r.outFile(st)
	if st.nobody {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: nobody(r.t)}
	}
	if err := cmd.Start(); err != nil {
		r.fatalf(st, "%v", err)
	}
	timer := time.AfterFunc(testutil.WaitTimeout, func() { cmd.Process.Kill() })
	cmd.Wait()
	timer.Stop()
	r.compare(st, "stdout", lines(st.stdout), readAll(cmd.Stdout))
	r.compare(st, "stderr", lines(st.stderr), readAll(cmd.Stderr))
	if code := cmd.ProcessState.ExitCode(); code != st.code {
		r.t.Errorf("%s:%d: $ %s: exit code %d, want %d", r.file, st.line, st.arg, code, st.code)
	}
}

// outFile is a new file for a command's output, closed with the test.
func (r *runner) outFile(st *step) *os.File {
	f, err := os.CreateTemp(r.out, "out")
	if err != nil {
		r.fatalf(st, "%v", err)
	}
	r.t.Cleanup(func() { f.Close() })
	return f
}

// readAll returns what was written to an output file.
func readAll(w io.Writer) string {
	b, _ := os.ReadFile(w.(*os.File).Name())
	return string(b)
}

// env is the environment of every command: the test's, with SVDIR set to
// $DIR and no SVWAIT from the developer's shell.
func (r *runner) env() []string {
	env := append(unset(unset(testutil.Env(r.t), "SVWAIT"), "SVDIR"), "SVDIR="+r.dir)
	if r.impl == "ours" {
		// Under -race, a program sleeps a second at exit unless told not to.
		env = append(unset(env, "GORACE"), asSV+"=1", "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	}
	return env
}

func unset(env []string, name string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

var (
	pidPattern = regexp.MustCompile(`\(pid [0-9]+\)`)
	secPattern = regexp.MustCompile(`\b[0-9]+s\b`)
)

// normalize hides what changes from run to run: pids and ages.
func normalize(s string) string {
	s = pidPattern.ReplaceAllString(s, "(pid PID)")
	return secPattern.ReplaceAllString(s, "Ns")
}

// compare reports a stream that differs from the expected lines.
func (r *runner) compare(st *step, stream, want, got string) {
	r.t.Helper()
	want = normalize(r.vars.Replace(want))
	if g := normalize(got); g != want {
		r.t.Errorf("%s:%d: $ %s\n%s:\n%s\nwant:\n%s", r.file, st.line, st.arg, stream, indent(got), indent(want))
	}
}

// lines joins expected lines into the text a program prints.
func lines(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return strings.Join(l, "\n") + "\n"
}

func indent(s string) string {
	if s == "" {
		return "\t(nothing)"
	}
	out := ""
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			out += "\t" + strings.TrimSuffix(l, "\n") + "\n"
		}
	}
	if !strings.HasSuffix(s, "\n") {
		out += "\t(no newline at the end)\n"
	}
	return strings.TrimSuffix(out, "\n")
}

// nobody returns the credentials of user nobody, or skips the test.
func nobody(t *testing.T) *syscall.Credential {
	u, err := user.Lookup("nobody")
	if err != nil || os.Geteuid() != 0 {
		t.Skipf("needs root and user nobody: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// openTempDir is t.TempDir made reachable for user nobody (t.TempDir's
// directories are mode 0700).
func openTempDir(t *testing.T) string {
	d := t.TempDir()
	for _, p := range []string{filepath.Dir(d), d} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// ourSV copies the test binary where nobody can run it too; with asSV set
// in its environment it is our sv under any name.
func ourSV(t *testing.T) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	p := filepath.Join(openTempDir(t), "sv")
	out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}
