package svlog_test

// A full disk, for real: each test mounts a 256 KiB tmpfs on the log
// directory in a private mount namespace (unshare --mount), so nothing
// outside the test sees it, and reads and frees it through
// /proc/PID/root, which resolves paths in svlogd's namespace.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorunit/gorunit/internal/testutil"
)

// startOnTmpfs starts prog (with args, then the log directory) on a
// fresh tmpfs of sizeKiB KiB holding config and a filler file of fillKiB
// KiB. It returns the process, the log directory as svlogd names it, and
// the same directory as the test can reach it. When prog exits, its exit
// code goes to the file "exit" beside the log directory, and a sleep
// keeps the namespace, so that the test can still read the tmpfs.
func startOnTmpfs(t *testing.T, prog, config string, sizeKiB, fillKiB int, args ...string) (*proc, string, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare (util-linux) not installed")
	}
	dir := filepath.Join(t.TempDir(), "log")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf(`mount -t tmpfs -o size=%[3]dk none %[1]s &&
printf '%%s' "$CONFIG" >%[1]s/config &&
dd if=/dev/zero of=%[1]s/fill bs=1k count=%[2]d 2>/dev/null &&
"$@" %[1]s; echo $? >%[1]s.exit; exec sleep 600`, dir, fillKiB, sizeKiB)
	p := startEnv(t, "/", []string{"CONFIG=" + config}, "unshare", append([]string{"--mount", "sh", "-c", script, "sh", prog}, args...)...)
	inside := fmt.Sprintf("/proc/%d/root%s", p.cmd.Process.Pid, dir)
	testutil.Eventually(t, "svlogd to start on the tmpfs", func() bool {
		_, err := os.Stat(filepath.Join(inside, "lock"))
		return err == nil
	})
	return p, dir, inside
}

// retryWait is longer than svlogd's retry interval after a write error.
const retryWait = 1500 * time.Millisecond

// loggedLines returns every line in the rotated files and current, in
// rotation order.
func loggedLines(t *testing.T, dir string) []string {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "@*"))
	names = append(names, filepath.Join(dir, "current"))
	var out []string
	for _, n := range names {
		b, _ := os.ReadFile(n)
		out = append(out, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
		if len(b) == 0 {
			out = out[:len(out)-1]
		}
	}
	return out
}

// input makes n numbered lines of about 50 bytes.
func input(n int) (string, []string) {
	var b strings.Builder
	var want []string
	for i := range n {
		line := fmt.Sprintf("line %06d %s", i, strings.Repeat("z", 37))
		want = append(want, line)
		b.WriteString(line + "\n")
	}
	return b.String(), want
}

// TestDiskFull fills the disk: svlogd goes on reading (the writer never
// blocks) into memory, says so once, and writes every line, in order,
// once space is freed.
func TestDiskFull(t *testing.T) {
	p, name, dir := startOnTmpfs(t, ours(), "s20000\nn0\n", 256, 240)
	text, want := input(3000) // 150 KB: far more than the 16 KiB left
	wrote := make(chan error, 1)
	go func() { _, err := p.in.WriteString(text); wrote <- err }()
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(testutil.WaitTimeout):
		t.Fatalf("the writer blocked on a full disk; stderr: %s", p.stderr)
	}
	p.drained(t)
	testutil.Eventually(t, "the write error on stderr", func() bool {
		return strings.Contains(p.stderr.String(), "svlogd: warning: buffering in memory, unable to write to current: "+name+": out of disk space\n")
	})
	if got := len(loggedLines(t, dir)); got >= len(want) {
		t.Fatalf("%d lines on a full disk: the disk was not full", got)
	}
	if err := os.Remove(filepath.Join(dir, "fill")); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "every line written after space came back", func() bool {
		return len(loggedLines(t, dir)) == len(want)
	})
	if got := loggedLines(t, dir); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines differ from the input (order or content)")
	}
	if n := strings.Count(p.stderr.String(), "unable to write to current"); n != 1 {
		t.Errorf("the write error was said %d times, want once:\n%s", n, p.stderr)
	}
}

// TestDiskFullAtEOF: input ends while the disk is full; svlogd waits,
// retrying, and exits 0 only once every line is written.
func TestDiskFullAtEOF(t *testing.T) {
	p, name, dir := startOnTmpfs(t, ours(), "s0\n", 256, 240)
	text, want := input(1000)
	p.write(t, text)
	p.closeInput()
	exit := name + ".exit"
	select {
	case <-p.done:
		t.Fatal("sh exited")
	case <-time.After(retryWait): // a negative: svlogd must still be waiting
	}
	if _, err := os.Stat(exit); err == nil {
		t.Fatalf("svlogd exited with lines unwritten; stderr: %s", p.stderr)
	}
	if err := os.Remove(filepath.Join(dir, "fill")); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "svlogd to exit", func() bool { return testutil.ReadFile(exit) != "" })
	if code := testutil.ReadFile(exit); code != "0\n" {
		t.Errorf("exit code %q, want 0; stderr: %s", code, p.stderr)
	}
	if got := loggedLines(t, dir); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%d lines logged, want %d in order", len(got), len(want))
	}
}

// TestDiskFullMemoryLimit: with a small -m, svlogd stops reading once the
// buffer is full (the writer blocks, as with runit), and still loses
// nothing when space comes back.
func TestDiskFullMemoryLimit(t *testing.T) {
	// More than the free space, the buffer, the blocks read ahead and
	// the pipe hold together, but less than the whole tmpfs.
	p, _, dir := startOnTmpfs(t, ours(), "s0\n", 1024, 1000, "-m", "32k")
	text, want := input(12000)
	wrote := make(chan error, 1)
	go func() { _, err := p.in.WriteString(text); wrote <- err }()
	testutil.Eventually(t, "svlogd to say its buffer is full", func() bool {
		return strings.Contains(p.stderr.String(), "svlogd: pausing: memory buffer full")
	})
	select {
	case <-wrote:
		t.Fatal("the writer finished although svlogd's buffer was full")
	default:
	}
	if err := os.Remove(filepath.Join(dir, "fill")); err != nil {
		t.Fatal(err)
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "every line written", func() bool { return len(loggedLines(t, dir)) == len(want) })
	if got := loggedLines(t, dir); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Error("lines differ from the input")
	}
}

// TestDiskFullDeletesOld: with N, a full disk deletes the oldest rotated
// files (keeping N of them) instead of waiting; what is left is the end
// of the input without a gap.
func TestDiskFullDeletesOld(t *testing.T) {
	p, _, dir := startOnTmpfs(t, ours(), "s8000\nn100\nN2\n", 256, 200)
	text, want := input(3000)
	p.write(t, text)
	p.drained(t)
	last := want[len(want)-1]
	testutil.Eventually(t, "the last line logged", func() bool {
		got := loggedLines(t, dir)
		return len(got) > 0 && got[len(got)-1] == last
	})
	got := loggedLines(t, dir)
	first, err := strconv.Atoi(strings.Fields(got[0])[1])
	if err != nil {
		t.Fatalf("first line %q", got[0])
	}
	if strings.Join(got, "\n") != strings.Join(want[first:], "\n") {
		t.Errorf("lines left are not the input from line %d on, without a gap", first)
	}
	if !strings.Contains(p.stderr.String(), "svlogd: warning: out of disk space, delete: ") {
		t.Errorf("stderr %q: want runit's delete warning", p.stderr)
	}
	if n, _ := filepath.Glob(filepath.Join(dir, "@*")); len(n) < 2 {
		t.Errorf("%d rotated files left, want at least N=2", len(n))
	}
}
