package svlog_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorunit/gorunit/internal/testutil"
	"golang.org/x/sys/unix"
)

// raceEnv is testutil's GORACE plus atexit_sleep_ms=0: under -race, a
// program otherwise sleeps a second at exit, a second per svlogd run.
const raceEnv = "GORACE=halt_on_error=1 exitcode=66 atexit_sleep_ms=0"

// ours is our svlogd, the test binary under that name.
func ours() string { return testutil.Bin("svlogd") }

// proc is an svlogd started by a test, its standard input a pipe.
type proc struct {
	cmd    *exec.Cmd
	in     *os.File // write end of stdin; nil once closed
	stderr *testutil.Buffer
	done   chan struct{}
}

// start starts prog with args in root, stdin a pipe the test writes to.
// Cleanup closes the pipe and kills it, by pid, if it is still running.
func start(t *testing.T, root, prog string, args ...string) *proc {
	t.Helper()
	return startEnv(t, root, nil, prog, args...)
}

// startEnv is start with extra environment variables ("NAME=value").
func startEnv(t *testing.T, root string, env []string, prog string, args ...string) *proc {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prog, args...)
	cmd.Dir = root
	// Under -race, a program sleeps a second at exit (GORACE's
	// atexit_sleep_ms) unless told not to: a second per svlogd run.
	cmd.Env = append(append(testutil.Env(t), raceEnv), env...)
	p := &proc{cmd: cmd, in: w, stderr: &testutil.Buffer{}, done: make(chan struct{})}
	cmd.Stdin, cmd.Stderr = r, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", prog, err)
	}
	r.Close()
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.closeInput()
		cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *proc) write(t *testing.T, s string) {
	t.Helper()
	if _, err := p.in.WriteString(s); err != nil {
		t.Fatalf("write to svlogd: %v", err)
	}
}

// drained waits until svlogd has read everything written to it.
func (p *proc) drained(t *testing.T) {
	t.Helper()
	testutil.Eventually(t, "svlogd to read its input", func() bool {
		n, err := unix.IoctlGetInt(int(p.in.Fd()), unix.TIOCINQ)
		return err == nil && n == 0
	})
}

func (p *proc) closeInput() {
	if p.in != nil {
		p.in.Close()
		p.in = nil
	}
}

func (p *proc) signal(sig syscall.Signal) { p.cmd.Process.Signal(sig) }

// wait waits for the exit and returns the exit code.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(testutil.WaitTimeout):
		t.Fatalf("%s did not exit; stderr: %s", p.cmd.Path, p.stderr)
	}
	return p.cmd.ProcessState.ExitCode()
}

// run runs prog with args in root on input, and returns its stderr and
// exit code.
func run(t *testing.T, root, prog string, input string, args ...string) (string, int) {
	t.Helper()
	p := start(t, root, prog, args...)
	p.write(t, input)
	p.closeInput()
	code := p.wait(t)
	return p.stderr.String(), code
}

// tree makes root/path files from a map; a path ending in "/" is a
// directory, and a value "0644:text" sets the mode.
func tree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	if err := makeTree(root, files); err != nil {
		t.Fatal(err)
	}
}

// makeTree is tree without a test.
func makeTree(root string, files map[string]string) error {
	for path, content := range files {
		full := filepath.Join(root, path)
		if strings.HasSuffix(path, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if len(content) > 5 && content[0] == '0' && content[4] == ':' {
			var m uint32
			for _, c := range content[1:4] {
				m = m*8 + uint32(c-'0')
			}
			mode, content = os.FileMode(m), content[5:]
		}
		if err := os.WriteFile(full, []byte(content), mode); err != nil {
			return err
		}
		if err := os.Chmod(full, mode); err != nil {
			return err
		}
	}
	return nil
}

// entry is one file of a log directory, as the comparison sees it.
type entry struct {
	name    string
	mode    os.FileMode
	content string
}

var (
	labelRE = regexp.MustCompile(`@[0-9a-f]{24}`)
	humanRE = regexp.MustCompile(`\d{4}-\d\d-\d\d[_T]\d\d:\d\d:\d\d\.\d{5}`)
)

// normalize hides what differs between two runs: TAI64N labels (in
// names, -t stamps and messages) and -tt/-ttt stamps.
func normalize(s string) string {
	return humanRE.ReplaceAllString(labelRE.ReplaceAllString(s, "@LABEL"), "STAMP")
}

// snapshot lists every file under dir, sorted by name; rotated files are
// renamed @1.s, @2.u, ... in name (that is, rotation) order.
func snapshot(t *testing.T, dir string) []entry {
	t.Helper()
	out, err := walk(dir)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// walk is snapshot without a test.
func walk(dir string) ([]entry, error) {
	var out []entry
	err := filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out = append(out, entry{name: rel, mode: fi.Mode().Perm(), content: normalize(string(b))})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	n := 0
	for i := range out {
		base := filepath.Base(out[i].name)
		if labelRE.MatchString(base) && len(base) == 27 {
			n++
			out[i].name = filepath.Join(filepath.Dir(out[i].name), fmt.Sprintf("@%d%s", n, base[25:]))
		}
	}
	return out, nil
}

// diffSnapshots describes how two snapshots differ, "" when they agree.
func diffSnapshots(ours, debian []entry) string {
	var b bytes.Buffer
	for i := 0; i < max(len(ours), len(debian)); i++ {
		var o, d entry
		if i < len(ours) {
			o = ours[i]
		}
		if i < len(debian) {
			d = debian[i]
		}
		if o != d {
			b.WriteString("  ours:   " + o.name + " " + o.mode.String() + " " + quote(o.content) + "\n")
			b.WriteString("  debian: " + d.name + " " + d.mode.String() + " " + quote(d.content) + "\n")
		}
	}
	return b.String()
}

func quote(s string) string {
	if len(s) > 300 {
		s = s[:150] + "…" + s[len(s)-150:]
	}
	return strings.ReplaceAll(s, "\n", `\n`)
}
