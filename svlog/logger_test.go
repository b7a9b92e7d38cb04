package svlog

// In-process tests of the logging and rotation logic, driven by a clock
// the test moves (forwards, backwards, or not at all): the machine's
// clock is never touched.

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeClock is the injectable clock: it returns t until moved.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time             { return c.t }
func (c *fakeClock) move(d time.Duration)       { c.t = c.t.Add(d) }
func newClock() *fakeClock                      { return &fakeClock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)} }
func (c *fakeClock) String() string             { return c.t.Format(time.RFC3339Nano) }
func (c *fakeClock) set(t time.Time) *fakeClock { c.t = t; return c }

// testLogger opens a Logger on one new log directory with the given
// config ("" for none) and options.
func testLogger(t *testing.T, args, cfg string) (*Logger, string, *fakeClock, *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	if cfg != "" {
		if err := os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opt, _, err := parseArgs(append(strings.Fields(args), dir))
	if err != nil {
		t.Fatalf("parseArgs(%q): %v", args, err)
	}
	clk := newClock()
	var stderr bytes.Buffer
	l := newLogger(opt, []string{dir}, &stderr, clk.now)
	if !l.openAll() {
		t.Fatalf("openAll failed: %s", stderr.String())
	}
	t.Cleanup(func() {
		for _, d := range l.dirs {
			if d.proc.cmd != nil {
				d.proc.cmd.Process.Kill()
				l.processorExited(<-l.procC)
			}
		}
	})
	return l, dir, clk, &stderr
}

// files returns the log directory's rotated files in name order, then
// current, as their contents.
func files(t *testing.T, dir string) (rotated []string, current string) {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "@*"))
	slices.Sort(names)
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		rotated = append(rotated, string(b))
	}
	b, _ := os.ReadFile(filepath.Join(dir, "current"))
	return rotated, string(b)
}

func logLines(l *Logger, clk *fakeClock, lines ...string) {
	for _, s := range lines {
		l.feed([]byte(s+"\n"), clk.now())
	}
	l.flushAll()
}

// TestRotationPoints pins where current is cut, as Debian's svlogd cuts
// it (FIELD-NOTES 4.14): after the first line that brings it to
// SIZE-len bytes or more, or, when SIZE is below len, at exactly SIZE
// bytes, splitting lines.
func TestRotationPoints(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		cfg     string
		input   string
		rotated []string
		current string
	}{
		{"size above len", "-l 10 -b 11", "s30\n", "hello world this is a long line that goes on and on\nshort\n",
			[]string{"hello world this is a long lin", "e that goes on and on\n"}, "short\n"},
		{"size below len splits lines", "", "s10\n", "0123456789abcdef\nxy\n",
			[]string{"0123456789"}, "abcdef\nxy\n"}, // full, rotated at the next write
		{"s1k is 1024", "-l 1000", "s1k\n", strings.Repeat("x", 20) + "\n" + strings.Repeat("y", 10) + "\nz\n",
			[]string{strings.Repeat("x", 20) + "\n" + strings.Repeat("y", 10) + "\n"}, "z\n"},
		{"s0 never rotates", "", "s0\n", strings.Repeat("line\n", 100), nil, strings.Repeat("line\n", 100)},
		{"n keeps the newest", "-l 2 -b 3", "s4\nn2\n", "aa\nbb\ncc\ndd\nee\n",
			[]string{"dd\n", "ee\n"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, dir, clk, stderr := testLogger(t, tt.args, tt.cfg)
			for _, line := range strings.SplitAfter(tt.input, "\n") {
				clk.move(time.Millisecond)
				l.feed([]byte(line), clk.now())
				l.flushAll()
			}
			rotated, current := files(t, dir)
			if !slices.Equal(rotated, tt.rotated) || current != tt.current {
				t.Errorf("rotated %q, current %q\nwant %q, %q\nstderr: %s", rotated, current, tt.rotated, tt.current, stderr)
			}
		})
	}
}

// TestChunking checks that how input is cut into reads changes nothing:
// lines split across reads, longer than -l, with -r, patterns and a
// prefix come out the same as when read whole.
func TestChunking(t *testing.T) {
	var in strings.Builder
	rng := rand.New(rand.NewSource(1))
	for i := range 300 {
		n := rng.Intn(40)
		fmt.Fprintf(&in, "%03d%s\t%s\n", i, strings.Repeat("ab", n), strings.Repeat("\x01", i%3))
	}
	input := []byte(in.String())
	const cfg = "s700\nn0\n-*7*\npP:\ne*9\n"
	run := func(pieces func([]byte) [][]byte) ([]string, string, string) {
		l, dir, clk, stderr := testLogger(t, "-l 20 -b 21 -r . -R b", cfg)
		for _, p := range pieces(input) {
			l.feed(p, clk.now())
			l.flushAll()
		}
		r, c := files(t, dir)
		return r, c, stderr.String()
	}
	wantR, wantC, wantE := run(func(b []byte) [][]byte { return [][]byte{b} })
	if len(wantR) < 3 {
		t.Fatalf("want several rotations, got %d", len(wantR))
	}
	for _, size := range []int{1, 2, 7, 64} {
		gotR, gotC, gotE := run(func(b []byte) [][]byte {
			var out [][]byte
			for len(b) > 0 {
				k := min(size, len(b))
				out = append(out, b[:k])
				b = b[k:]
			}
			return out
		})
		if !slices.Equal(gotR, wantR) || gotC != wantC || gotE != wantE {
			t.Errorf("read %d bytes at a time: output differs from one read\n got %q %q\nwant %q %q", size, gotR, gotC, wantR, wantC)
		}
	}
}

// rotatedNames lists the rotated files' names, sorted.
func rotatedNames(t *testing.T, dir string) []string {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "@*"))
	for i := range names {
		names[i] = filepath.Base(names[i])
	}
	slices.Sort(names)
	return names
}

// TestClockBackwards rotates while the clock jumps back an hour between
// rotations: names must stay unique and in rotation order, so that n
// deletes the oldest content and never the file just rotated.
func TestClockBackwards(t *testing.T) {
	l, dir, clk, stderr := testLogger(t, "", "n3\n")
	for i := range 6 {
		logLines(l, clk, fmt.Sprintf("line %d", i))
		l.rotateAll()
		clk.move(-time.Hour)
	}
	rotated, _ := files(t, dir)
	want := []string{"line 3\n", "line 4\n", "line 5\n"}
	if !slices.Equal(rotated, want) {
		t.Errorf("rotated files %q, want %q (names %q)\nstderr: %s", rotated, want, rotatedNames(t, dir), stderr)
	}
}

// TestFrozenClock rotates many times without the clock moving: runit
// would stat the same name forever; each rotation must get a new name
// at once.
func TestFrozenClock(t *testing.T) {
	l, dir, clk, _ := testLogger(t, "", "n0\n")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 50 {
			logLines(l, clk, fmt.Sprintf("line %d", i))
			l.rotateAll()
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("rotation with a frozen clock did not finish: spinning")
	}
	names := rotatedNames(t, dir)
	if len(names) != 50 {
		t.Fatalf("%d rotated files, want 50", len(names))
	}
	rotated, _ := files(t, dir)
	for i, r := range rotated {
		if r != fmt.Sprintf("line %d\n", i) {
			t.Fatalf("file %d (%s) holds %q: names out of rotation order", i, names[i], r)
		}
	}
}

// TestAgeRotation checks tSECONDS: a non-empty current is rotated once
// the time is up, an empty one never, and a clock that went back does
// not hold rotation back until it has caught up again.
func TestAgeRotation(t *testing.T) {
	l, dir, clk, _ := testLogger(t, "", "t60\nn0\n")
	clk.move(61 * time.Second)
	l.tick()
	if n := len(rotatedNames(t, dir)); n != 0 {
		t.Fatalf("empty current rotated by age: %d files", n)
	}
	logLines(l, clk, "one")
	clk.move(61 * time.Second)
	l.tick()
	if n := len(rotatedNames(t, dir)); n != 1 {
		t.Fatalf("after 61 s: %d rotated files, want 1", n)
	}
	if w := l.nextWake(); w <= 0 || w > 60*time.Second {
		t.Errorf("next wake in %v, want within the 60 s interval", w)
	}
	logLines(l, clk, "two")
	clk.move(-24 * time.Hour)
	l.tick()
	if w := l.nextWake(); w <= 0 || w > 60*time.Second {
		t.Errorf("after the clock went back a day: next wake in %v, want within 60 s", w)
	}
	clk.move(61 * time.Second)
	l.tick()
	if n := len(rotatedNames(t, dir)); n != 2 {
		t.Fatalf("61 s after the clock went back: %d rotated files, want 2", n)
	}
}

// waitProcessors serves processor exits until none runs or waits.
func waitProcessors(t *testing.T, l *Logger, clk *fakeClock) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for !l.settled() {
		if l.dirs[0].proc.cmd == nil {
			clk.move(processorRetry)
			l.tick()
			continue
		}
		select {
		case e := <-l.procC:
			l.processorExited(e)
		case <-deadline:
			t.Fatal("processors did not finish")
		}
	}
}

// TestProcessorQueue rotates three times while a processor is held up:
// logging goes on, the rotated files wait (n1 must not delete them, nor
// may a clock gone back make the newest look oldest), and each is
// processed in order, with state passed from one to the next.
func TestProcessorQueue(t *testing.T) {
	// The processor waits for the file "go", upper-cases its input, and
	// appends one line to the state it was given.
	const proc = "!while [ ! -e go ]; do sleep 0.02; done; tr a-z A-Z; cat <&4 >&5; echo done >&5\nn1\n"
	l, dir, clk, stderr := testLogger(t, "", proc)
	for i := range 3 {
		logLines(l, clk, fmt.Sprintf("line %d", i))
		l.rotateAll() // returns although the processor cannot finish
		clk.move(-time.Hour)
	}
	logLines(l, clk, "still logging")
	if q := len(l.dirs[0].proc.queue); q != 3 || l.dirs[0].proc.cmd == nil {
		t.Errorf("%d files queued for the processor, want 3 (%q), the first one running", q, rotatedNames(t, dir))
	}
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitProcessors(t, l, clk)
	names := rotatedNames(t, dir)
	rotated, current := files(t, dir)
	if !slices.Equal(rotated, []string{"LINE 1\n", "LINE 2\n"}) || current != "still logging\n" {
		t.Errorf("rotated %q (%q), current %q; want the last two processed files kept (n1, plus one as Debian's keeps)\nstderr: %s", rotated, names, current, stderr)
	}
	if state, _ := os.ReadFile(filepath.Join(dir, "state")); string(state) != "done\ndone\ndone\n" {
		t.Errorf("state %q, want three lines: each processor read the previous state", state)
	}
	for _, n := range names {
		if fi, _ := os.Stat(filepath.Join(dir, n)); !strings.HasSuffix(n, ".s") || fi.Mode().Perm() != 0o744 {
			t.Errorf("%s: mode %v, want a .s file of mode 0744", n, fi.Mode().Perm())
		}
	}
}

// TestProcessorRetry: a processor that fails is run again on the same
// file (after processorRetry, not in a busy loop), its output dropped.
func TestProcessorRetry(t *testing.T) {
	l, dir, clk, stderr := testLogger(t, "", "!echo partial; test -e ok || { touch ok; exit 1; }; cat\n")
	logLines(l, clk, "the line")
	l.rotateAll()
	l.processorExited(<-l.procC)
	if !strings.Contains(stderr.String(), "svlogd: warning: processor failed, restart: "+dir+"\n") {
		t.Errorf("stderr %q, want runit's warning", stderr)
	}
	if l.dirs[0].proc.cmd != nil {
		t.Fatal("processor restarted at once")
	}
	waitProcessors(t, l, clk)
	rotated, _ := files(t, dir)
	if !slices.Equal(rotated, []string{"partial\nthe line\n"}) {
		t.Errorf("rotated %q, want the second run's output only", rotated)
	}
}

// TestWriteErrorBuffer makes current unwritable: lines go on into memory,
// the error is said once, and everything is written in order when
// writing works again.
func TestWriteErrorBuffer(t *testing.T) {
	l, dir, clk, stderr := testLogger(t, "", "s0\n")
	logLines(l, clk, "before")
	d := l.dirs[0]
	good := d.cur
	bad, err := os.Open(filepath.Join(dir, "current")) // read-only: write fails
	if err != nil {
		t.Fatal(err)
	}
	d.cur = bad
	for i := range 1000 {
		logLines(l, clk, fmt.Sprintf("during %d", i))
		clk.move(retryEvery / 10)
		l.tick()
	}
	if n := strings.Count(stderr.String(), "unable to write to current"); n != 1 {
		t.Errorf("write error said %d times, want once; stderr:\n%s", n, stderr)
	}
	if l.pending() == 0 {
		t.Fatal("nothing pending while current cannot be written")
	}
	bad.Close()
	d.cur = good
	clk.move(retryEvery)
	l.tick()
	_, current := files(t, dir)
	lines := strings.Split(strings.TrimSuffix(current, "\n"), "\n")
	if len(lines) != 1001 || lines[0] != "before" || lines[1000] != "during 999" {
		t.Errorf("current has %d lines (first %q, last %q), want 1001 in order", len(lines), lines[0], lines[len(lines)-1])
	}
	if l.pending() != 0 || !strings.Contains(stderr.String(), "svlogd: info: write errors over") {
		t.Errorf("pending %d; stderr:\n%s", l.pending(), stderr)
	}
}

// TestMemoryLimit: with -m, reading stops once that much waits.
func TestMemoryLimit(t *testing.T) {
	l, dir, clk, stderr := testLogger(t, "-m 1k", "")
	d := l.dirs[0]
	bad, err := os.Open(filepath.Join(dir, "current"))
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	good := d.cur
	d.cur = bad
	for l.roomToRead() {
		logLines(l, clk, strings.Repeat("x", 99))
	}
	if p := l.pending(); p < 1024 || p > 1024+100 {
		t.Errorf("stopped reading with %d bytes pending, want just over 1024", p)
	}
	if !strings.Contains(stderr.String(), "svlogd: pausing: memory buffer full") {
		t.Errorf("stderr %q: want the pausing line", stderr)
	}
	d.cur = good
	clk.move(retryEvery)
	l.tick()
	if !l.roomToRead() {
		t.Error("still no room after the buffer was written")
	}
}

// TestPatternsInProcess: selection, stderr and prefix, per directory.
func TestPatternsInProcess(t *testing.T) {
	l, dir, clk, stderr := testLogger(t, "", "-*\n+*error*\ne*warn*\npP \n")
	logLines(l, clk, "an error here", "a warning", "plain", "warn error")
	_, current := files(t, dir)
	if current != "P an error here\nP warn error\n" {
		t.Errorf("current %q", current)
	}
	if stderr.String() != "P a warning\nP warn error\n" {
		t.Errorf("stderr %q", stderr)
	}
}

// TestAlarmEmpty: ALRM rotates only a non-empty current.
func TestAlarmEmpty(t *testing.T) {
	l, dir, clk, _ := testLogger(t, "", "")
	l.rotateAll()
	logLines(l, clk, "one")
	l.rotateAll()
	l.rotateAll()
	if rotated, current := files(t, dir); !slices.Equal(rotated, []string{"one\n"}) || current != "" {
		t.Errorf("rotated %q, current %q: want one rotation", rotated, current)
	}
}

// TestReopen: HUP reads config again and reopens current (mode 0744 in
// between, appended to after); a directory that cannot be written yet is
// reopened only once its lines are written, into the file they belong to.
func TestReopen(t *testing.T) {
	l, dir, clk, stderr := testLogger(t, "", "s0\n")
	logLines(l, clk, "one")
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte("s0\npNEW \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := l.dirs[0]
	good := d.cur
	bad, err := os.Open(filepath.Join(dir, "current"))
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	d.cur = bad
	logLines(l, clk, "two") // cannot be written now
	if !l.reopen() {
		t.Fatal("reopen: no functional directory")
	}
	if !d.reopen || string(d.cfg.prefix) != "" {
		t.Fatalf("reopened with output pending (reopen %v, prefix %q)", d.reopen, d.cfg.prefix)
	}
	d.cur = good
	clk.move(retryEvery)
	l.tick()
	if !l.reopenDue() || d.reopen {
		t.Fatalf("not reopened once written; stderr: %s", stderr)
	}
	logLines(l, clk, "three")
	_, current := files(t, dir)
	if current != "one\ntwo\nNEW three\n" {
		t.Errorf("current %q", current)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "current")); fi.Mode().Perm() != 0o644 {
		t.Errorf("current mode %v after reopen, want 0644", fi.Mode().Perm())
	}
	l.closeAll()
	if fi, _ := os.Stat(filepath.Join(dir, "current")); fi.Mode().Perm() != 0o744 {
		t.Errorf("current mode %v after close, want 0744", fi.Mode().Perm())
	}
}
