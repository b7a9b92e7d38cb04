package utmpset_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorunit/gorunit/internal/lock"
	"github.com/gorunit/gorunit/internal/testutil"
	"github.com/gorunit/gorunit/utmpset"
)

// Set in the environment of our utmpset, these make it use the test's
// files instead of /var/run/utmp and /var/log/wtmp (utmpset.SetPaths).
const (
	utmpVar = "GORUNIT_TEST_UTMP"
	wtmpVar = "GORUNIT_TEST_WTMP"
)

// TestMain lets the test binary act as utmpset (and the suite's other
// programs), pointed at the test's files when the variables say so.
func TestMain(m *testing.M) {
	if u := os.Getenv(utmpVar); u != "" {
		utmpset.SetPaths(u, os.Getenv(wtmpVar))
	}
	testutil.Main(m)
}

const debianUtmpset = "/usr/sbin/utmpset"

// glibc's struct utmp on x86_64.
const (
	recordSize = 384
	offTime    = 340
	deadType   = 8
	userType   = 7 // USER_PROCESS
)

// now in an expected record's time field means "the time utmpset ran".
const now = -1

// record is one struct utmp, field by field.
type record struct {
	typ        int16
	pid        int32
	line, id   string
	user, host string
	term, exit int16
	session    int32
	sec, usec  int32
	addr       [4]int32
	reserved   [20]byte
}

func (r record) bytes() []byte {
	b := make([]byte, recordSize)
	le := binary.LittleEndian
	le.PutUint16(b[0:], uint16(r.typ))
	le.PutUint32(b[4:], uint32(r.pid))
	copy(b[8:40], r.line)
	copy(b[40:44], r.id)
	copy(b[44:76], r.user)
	copy(b[76:332], r.host)
	le.PutUint16(b[332:], uint16(r.term))
	le.PutUint16(b[334:], uint16(r.exit))
	le.PutUint32(b[336:], uint32(r.session))
	le.PutUint32(b[340:], uint32(r.sec))
	le.PutUint32(b[344:], uint32(r.usec))
	for i, a := range r.addr {
		le.PutUint32(b[348+4*i:], uint32(a))
	}
	copy(b[364:384], r.reserved[:])
	return b
}

func file(recs ...record) []byte {
	var b []byte
	for _, r := range recs {
		b = append(b, r.bytes()...)
	}
	return b
}

// A login of alice on pts/1 with every field set, so that a byte that
// utmpset should keep but clears shows up.
var alice = record{typ: userType, pid: 1234, line: "pts/1", id: "ts/1", user: "alice", host: "alice.example.org",
	term: 1, exit: 2, session: 77, sec: 1000, usec: 555555, addr: [4]int32{1, 2, 3, 4}, reserved: [20]byte{0: 0x99, 19: 0x98}}

// loggedOut is r as utmpset leaves it.
func loggedOut(r record) record {
	r.typ, r.user, r.host, r.sec = deadType, "", "", now
	return r
}

// earlier is r logged out by an earlier run.
func earlier(r record) record {
	r.sec = 1500
	return r
}

// wtmpEntry is the record utmpset -w appends.
func wtmpEntry(line string) record { return record{typ: deadType, line: line, sec: now} }

var (
	bob      = record{typ: userType, pid: 1235, line: "pts/1", id: "ts/1", user: "bob", host: "b", sec: 2000}
	nouser   = record{typ: 6, pid: 99, line: "pts/1", id: "ts/1", sec: 500} // LOGIN_PROCESS: no user yet
	pts10    = record{typ: userType, pid: 10, line: "pts/10", user: "carol", sec: 3000}
	long32   = record{typ: userType, pid: 32, line: strings.Repeat("x", 32), user: "dave", sec: 4000}
	long32id = record{typ: userType, pid: 34, line: strings.Repeat("y", 32), id: "ab", user: "erin", sec: 5000}
)

// utmpCase is one run of utmpset on a utmp (nil: missing) and a wtmp
// (nil: missing), and what both must be afterwards.
type utmpCase struct {
	name               string
	args               []string
	utmp, wtmp         []byte
	wtmpMode           os.FileMode
	stderr             string // ARGV0 is the program as called
	code               int
	wantUtmp, wantWtmp []byte // nil: unchanged (or still missing)
	wantWtmpMode       os.FileMode
	realPaths          bool // run ours at the real paths too, not only through the hook
}

var utmpCases = []utmpCase{
	{name: "usage", stderr: "usage: ARGV0 [-w] line\n\n", code: 1},
	{name: "usage -w", args: []string{"-w"}, stderr: "usage: ARGV0 [-w] line\n\n", code: 1},
	{name: "illegal option", args: []string{"-z", "pts/1"}, stderr: "utmpset: illegal option -- z\nusage: ARGV0 [-w] line\n\n", code: 1},
	{name: "no utmp", args: []string{"pts/1"}, realPaths: true,
		stderr: "utmpset: fatal: unable to open UTMP: file does not exist\n", code: 111},
	{name: "no entry", args: []string{"-w", "pts/9"}, utmp: file(alice),
		stderr: "utmpset: warning: unable to logout line pts/9 in utmp: no such entry\n", code: 111},
	{name: "empty utmp", args: []string{"pts/1"}, utmp: []byte{},
		stderr: "utmpset: warning: unable to logout line pts/1 in utmp: no such entry\n", code: 111},
	{name: "short last record ignored", args: []string{"pts/1"}, utmp: file(alice)[:recordSize-1],
		stderr: "utmpset: warning: unable to logout line pts/1 in utmp: no such entry\n", code: 111},
	{name: "logout", args: []string{"pts/1"}, utmp: file(alice, bob),
		wantUtmp: file(loggedOut(alice), bob)},
	{name: "second logout takes the next", args: []string{"pts/1"}, utmp: file(earlier(loggedOut(alice)), bob),
		wantUtmp: file(earlier(loggedOut(alice)), loggedOut(bob))},
	{name: "records without a user are skipped", args: []string{"pts/1"}, utmp: file(nouser, alice),
		wantUtmp: file(nouser, loggedOut(alice))},
	{name: "whole line only", args: []string{"pts/1"}, utmp: file(pts10, alice),
		wantUtmp: file(pts10, loggedOut(alice))},
	{name: "full 32-byte line", args: []string{strings.Repeat("x", 32)}, utmp: file(long32),
		wantUtmp: file(loggedOut(long32))},
	{name: "-w appends, creating wtmp 0600", args: []string{"-w", "pts/1"}, utmp: file(alice), realPaths: true,
		wantUtmp: file(loggedOut(alice)), wantWtmp: file(wtmpEntry("pts/1")), wantWtmpMode: 0o600},
	{name: "-w keeps wtmp's mode", args: []string{"-w", "pts/1"}, utmp: file(alice), wtmp: file(bob), wtmpMode: 0o664,
		wantUtmp: file(loggedOut(alice)), wantWtmp: file(bob, wtmpEntry("pts/1")), wantWtmpMode: 0o664},
	{name: "-w after the line", args: []string{"pts/1", "-w"}, utmp: file(alice),
		wantUtmp: file(loggedOut(alice))},
	// A line longer than ut_line matches a full ut_line that runs on into
	// ut_id (runit compares C strings), and goes to wtmp cut to 30 bytes.
	{name: "-w long line", args: []string{"-w", strings.Repeat("y", 32) + "ab"}, utmp: file(long32id),
		wantUtmp: file(loggedOut(long32id)), wantWtmp: file(wtmpEntry(strings.Repeat("y", 30))), wantWtmpMode: 0o600},
}

// fastExit is testutil's GORACE plus atexit_sleep_ms=0: under -race, a
// program that exits sleeps a second first unless told not to.
func fastExit() string { return "GORACE=" + os.Getenv("GORACE") + " atexit_sleep_ms=0" }

// impl is how a utmpset is run: ours through the test hook, or ours or
// Debian's at the real paths in a private mount namespace.
type impl struct {
	name      string
	bin       string
	namespace bool
	debian    bool
}

func impls(t *testing.T) []impl {
	list := []impl{{name: "ours", bin: testutil.Bin("utmpset")}}
	unshareOnce.Do(func() { unshare, unshareErr = findUnshare() })
	if unshareErr != nil {
		t.Logf("no private mount namespace (%v): only our utmpset runs, through its test hook", unshareErr)
		return list
	}
	list = append(list, impl{name: "ours at /var/run/utmp", bin: testutil.Bin("utmpset"), namespace: true})
	if _, err := os.Stat(debianUtmpset); err == nil {
		list = append(list, impl{name: "debian", bin: debianUtmpset, namespace: true, debian: true})
	}
	return list
}

var (
	unshareOnce sync.Once
	unshare     string // util-linux unshare(1)
	unshareErr  error
)

// findUnshare finds unshare(1) and checks that it can make a private
// mount namespace here (root with CAP_SYS_ADMIN).
func findUnshare() (string, error) {
	p, err := exec.LookPath("unshare")
	if err != nil {
		return "", err
	}
	if out, err := exec.Command(p, "--mount", "true").CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s --mount true: %v: %s", p, err, out)
	}
	return p, nil
}

// outcome is what one run of utmpset did.
type outcome struct {
	stdout, stderr string
	code           int
	utmp, wtmp     []byte      // the files afterwards (nil: missing)
	wtmpMode       os.FileMode // 0: missing
	utmpPath       string      // utmp's path as utmpset knows it
}

// run runs the case once with im, in a fresh directory.
func (tc utmpCase) run(t *testing.T, im impl) outcome {
	t.Helper()
	dir := t.TempDir()
	runDir, logDir := filepath.Join(dir, "run"), filepath.Join(dir, "log")
	os.Mkdir(runDir, 0o755)
	os.Mkdir(logDir, 0o755)
	utmpFile, wtmpFile := filepath.Join(runDir, "utmp"), filepath.Join(logDir, "wtmp")
	if tc.utmp != nil {
		if err := os.WriteFile(utmpFile, tc.utmp, 0o664); err != nil {
			t.Fatal(err)
		}
	}
	if tc.wtmp != nil {
		if err := os.WriteFile(wtmpFile, tc.wtmp, tc.wtmpMode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(wtmpFile, tc.wtmpMode)
	}
	prog, args := im.bin, tc.args
	env := []string{fastExit()}
	o := outcome{utmpPath: utmpFile}
	if im.namespace {
		o.utmpPath = "/var/run/utmp"
		// The machine's files stay untouched: the bind mounts exist only
		// in this process's own mount namespace, which dies with it.
		script := `mount --bind "$0" /var/run && mount --bind "$1" /var/log && shift && exec "$@"`
		args = append([]string{"--mount", "sh", "-c", script, runDir, logDir, im.bin}, args...)
		prog = unshare
	} else {
		env = append(env, utmpVar+"="+utmpFile, wtmpVar+"="+wtmpFile)
	}
	o.stdout, o.stderr, o.code = testutil.RunEnv(t, dir, env, prog, args...)
	o.utmp, _ = os.ReadFile(utmpFile)
	o.wtmp, _ = os.ReadFile(wtmpFile)
	if fi, err := os.Stat(wtmpFile); err == nil {
		o.wtmpMode = fi.Mode().Perm()
	}
	return o
}

// TestUtmpset runs every case with each utmpset and checks the output,
// the exit code and the files byte for byte, the time fields of the
// records written excepted: those must hold the time of the run.
func TestUtmpset(t *testing.T) {
	t.Parallel()
	for _, tc := range utmpCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, im := range impls(t) {
				if im.namespace && !im.debian && !tc.realPaths {
					continue // ours at the real paths: a few cases are enough
				}
				began := time.Now().Unix()
				o := tc.run(t, im)
				ended := time.Now().Unix()
				want := strings.NewReplacer("ARGV0", im.bin, "UTMP", o.utmpPath).Replace(tc.stderr)
				if o.stdout != "" || o.stderr != want || o.code != tc.code {
					t.Errorf("%s: got exit %d, stdout %q, stderr %q; want exit %d, stderr %q", im.name, o.code, o.stdout, o.stderr, tc.code, want)
				}
				wantUtmp := tc.wantUtmp
				if wantUtmp == nil {
					wantUtmp = tc.utmp
				}
				if got := stamped(t, o.utmp, wantUtmp, began, ended); !bytes.Equal(got, wantUtmp) {
					t.Errorf("%s: utmp\n%s", im.name, recordDiff(got, wantUtmp))
				}
				wantWtmp := tc.wantWtmp
				if wantWtmp == nil {
					wantWtmp = tc.wtmp
				}
				if got := stamped(t, o.wtmp, wantWtmp, began, ended); !bytes.Equal(got, wantWtmp) {
					t.Errorf("%s: wtmp\n%s", im.name, recordDiff(got, wantWtmp))
				}
				if tc.wantWtmpMode != 0 && o.wtmpMode != tc.wantWtmpMode {
					t.Errorf("%s: wtmp mode %v, want %v", im.name, o.wtmpMode, tc.wantWtmpMode)
				}
			}
		})
	}
}

// stamped returns got with the time field of each record that want
// stamps "now" set to now, after checking it lies in [lo, hi].
func stamped(t *testing.T, got, want []byte, lo, hi int64) []byte {
	t.Helper()
	if len(got) != len(want) {
		return got
	}
	out := bytes.Clone(got)
	for off := 0; off+recordSize <= len(want); off += recordSize {
		if int32(binary.LittleEndian.Uint32(want[off+offTime:])) != now {
			continue
		}
		sec := int64(binary.LittleEndian.Uint32(got[off+offTime:]))
		if sec < lo || sec > hi {
			t.Errorf("record %d: time %d, want the time of the run (%d..%d)", off/recordSize, sec, lo, hi)
		}
		binary.LittleEndian.PutUint32(out[off+offTime:], uint32(0xffffffff)) // now
	}
	return out
}

// recordDiff lists the bytes that differ, by record and offset.
func recordDiff(got, want []byte) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d bytes, want %d", len(got), len(want))
	}
	var b strings.Builder
	for i := range got {
		if got[i] != want[i] {
			fmt.Fprintf(&b, "record %d offset %d: %#02x, want %#02x\n", i/recordSize, i%recordSize, got[i], want[i])
		}
	}
	return b.String()
}

// TestVersion: -V prints an $Id$ line and the usage, exit 1.
func TestVersion(t *testing.T) {
	t.Parallel()
	for _, bin := range []string{testutil.Bin("utmpset"), debianUtmpset} {
		if _, err := os.Stat(bin); err != nil {
			continue
		}
		_, stderr, code := testutil.RunEnv(t, "", []string{fastExit()}, bin, "-V")
		first, rest, _ := strings.Cut(stderr, "\n")
		if code != 1 || !strings.HasPrefix(first, "$Id: ") || !strings.HasSuffix(first, " $") || rest != "usage: "+bin+" [-w] line\n\n" {
			t.Errorf("%s -V: exit %d, stderr %q", bin, code, stderr)
		}
	}
}

// TestUnreadable: as nobody, a utmp it may not write cannot be opened.
func TestUnreadable(t *testing.T) {
	t.Parallel()
	cred := testutil.Nobody(t)
	dir := t.TempDir()
	testutil.OpenUp(t, dir)
	utmp := filepath.Join(dir, "utmp")
	os.WriteFile(utmp, file(alice), 0o644)
	p := testutil.StartAs(t, cred, dir, []string{fastExit(), utmpVar + "=" + utmp, wtmpVar + "=" + filepath.Join(dir, "wtmp")}, "utmpset", "pts/1")
	code := p.Wait(t)
	if want := "utmpset: fatal: unable to open " + utmp + ": access denied\n"; code != 111 || p.Stderr.String() != want {
		t.Errorf("exit %d, stderr %q; want 111, %q", code, p.Stderr, want)
	}
}

// TestLocked: utmpset waits for a flock(2) lock on utmp held by another
// process, and writes once it is released.
func TestLocked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	utmp := filepath.Join(dir, "utmp")
	os.WriteFile(utmp, file(alice), 0o644)
	held, err := lock.Wait(utmp)
	if err != nil {
		t.Fatal(err)
	}
	p := testutil.StartEnv(t, dir, []string{fastExit(), utmpVar + "=" + utmp, wtmpVar + "=" + filepath.Join(dir, "wtmp")}, "utmpset", "pts/1")
	testutil.Eventually(t, "utmpset to wait for the lock", func() bool {
		return strings.Contains(testutil.ReadFile("/proc/locks"), fmt.Sprintf("-> FLOCK  ADVISORY  WRITE %d ", p.Pid())) || p.Exited()
	})
	if p.Exited() {
		t.Fatalf("utmpset did not wait for the lock: %s", p.Stderr)
	}
	if b, _ := os.ReadFile(utmp); !bytes.Equal(b, file(alice)) {
		t.Errorf("utmp changed while locked")
	}
	held.Close()
	if code := p.Wait(t); code != 0 {
		t.Fatalf("exit %d: %s", code, p.Stderr)
	}
	b, _ := os.ReadFile(utmp)
	if got := stamped(t, b, file(loggedOut(alice)), 0, time.Now().Unix()); !bytes.Equal(got, file(loggedOut(alice))) {
		t.Errorf("utmp after the lock:\n%s", recordDiff(got, file(loggedOut(alice))))
	}
}
