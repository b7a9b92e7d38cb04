package svlog_test

// Compatibility with Debian's svlogd (runit 2.1.2), the reference: each
// case runs both on the same input, config and files, then compares what
// they leave (file names apart from the TAI64N part, modes, contents apart
// from timestamps) and what they print (stderr, exit code).

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorunit/gorunit/internal/testutil"
	"github.com/gorunit/gorunit/svlog"
)

// compatCase is one comparison: files is the tree both start from (log
// directories included), args the command line after the program name.
type compatCase struct {
	name  string
	files map[string]string
	args  string
	input string
}

// lines makes n lines "prefix NNN xxxx" of varying length.
func lines(n int, prefix string) string {
	var b strings.Builder
	rng := rand.New(rand.NewSource(int64(n)))
	for i := range n {
		fmt.Fprintf(&b, "%s %03d %s\n", prefix, i, strings.Repeat("x", rng.Intn(60)))
	}
	return b.String()
}

var compatCases = []compatCase{
	{"plain", map[string]string{"log/": ""}, "log", lines(100, "plain")},
	{"-t", map[string]string{"log/": ""}, "-t log", lines(50, "tai")},
	{"-tt", map[string]string{"log/": ""}, "-tt log", lines(50, "human")},
	{"-ttt", map[string]string{"log/": ""}, "-ttt log", lines(50, "iso")},
	{"size and number", map[string]string{"log/config": "s200\nn3\n"}, "log", lines(100, "rot")},
	{"size with -tt", map[string]string{"log/config": "s1000\nn0\n"}, "-tt log", lines(100, "rot")},
	{"size below line length", map[string]string{"log/config": "s10\nn0\n"}, "log", "0123456789abcdef\nxy\n" + lines(20, "split")},
	{"s1k", map[string]string{"log/config": "s1k\nn0\n"}, "-l 100 -b 101 log", lines(100, "k")},
	{"n0 keeps all", map[string]string{"log/config": "s100\nn0\n"}, "log", lines(60, "all")},
	{"long lines", map[string]string{"log/config": "s30\nn0\n"}, "-l 10 -b 11 log",
		"hello world this is a long line that goes on and on\nshort\n0123456789\n" + lines(20, "long")},
	{"line of exactly len to stderr", map[string]string{"log/config": "e*\n"}, "-l 10 -b 11 log",
		"0123456789\n012345678\n0123456789a\n"},
	{"replace", map[string]string{"log/": ""}, "-r _ -R xy -l 12 -b 13 log",
		"tab\there\x01\x7f\xff xyz\nxxxxxxxxxxxxxxxxxxxx\x01\n"},
	{"-R alone", map[string]string{"log/": ""}, "-R ab log", "abc\x02d\n"},
	{"patterns", map[string]string{"log/config": "-*\n+*a*\n-*ab*\ne*b*\nE*bb\npPRE: \n"}, "log",
		"a\nab\nb\nbb\nabb\nc\nxyyy\n"},
	{"plus quirk", map[string]string{"log/config": "-x+yz\n"}, "log", "xyyy\nxyyz\nxyzz\nxy\n"},
	{"prefix with -tt", map[string]string{"log/config": "pweb: \n"}, "-tt log", lines(10, "p")},
	{"partial last line", map[string]string{"log/": ""}, "log", "a\nb\nc"},
	{"long partial last line", map[string]string{"log/": ""}, "-l 5 -b 6 log", "a\nbcdefghij"},
	{"empty lines", map[string]string{"log/": ""}, "-tt log", "\n\na\n\n"},
	{"empty input", map[string]string{"log/": ""}, "log", ""},
	{"unclean current renamed", map[string]string{"log/current": "0644:crashed\n", "log/config": "n5\n"}, "log", "new\n"},
	{"clean current appended", map[string]string{"log/current": "0744:closed\n"}, "log", "more\n"},
	{"empty current kept", map[string]string{"log/current": "0644:"}, "log", "x\n"},
	{"processor", map[string]string{"log/config": "!tr a-z A-Z; cat <&4 >&5; echo ok >&5\ns100\nn0\n"}, "log", lines(30, "proc")},
	{"processor leftovers", map[string]string{"log/config": "!cat\ns50\n", "log/@400000000000000000000000.t": "junk"}, "log", lines(5, "t")},
	{"two directories", map[string]string{"a/config": "s100\n+*1*\n-*2*\n", "b/config": "pB \n"}, "a b", lines(30, "two")},
	{"same directory twice", map[string]string{"log/": ""}, "log log", "once\n"},
	{"missing directory", map[string]string{"log/": ""}, "log nope", "x\n"},
	{"verbose", map[string]string{"log/config": "s100\nn2\n"}, "-v log", lines(20, "v")},
	{"config oddities", map[string]string{"log/config": "# comment\n\nx\ns\nn2\nu1.2.3\nu1.2.3.4:x\np\n!\n"}, "log", lines(5, "odd")},
}

// compatResult is what one program left and printed for a case.
type compatResult struct {
	files  []entry
	stderr string
	code   int
	err    error
}

// compatRuns is how many programs TestCompat runs at a time: more than
// -parallel (GOMAXPROCS) allows, since they mostly wait (for fsync at
// each rotation, or for the race runtime to start), but not so many that
// a loaded machine thrashes.
const compatRuns = 8

// TestCompat runs every compatCase with both programs and compares. The
// runs go before the subtests, compatRuns at a time: with t.Parallel
// they would be held to -parallel at a time, and under -race each start
// of our svlogd (the test binary) takes a good part of a second.
func TestCompat(t *testing.T) {
	debian := testutil.Debian(t, "svlogd")
	env := append(testutil.Env(t), raceEnv)
	results := make([][2]compatResult, len(compatCases))
	var wg sync.WaitGroup
	slots := make(chan struct{}, compatRuns)
	for i, tc := range compatCases {
		for j, prog := range []string{ours(), debian} {
			root := t.TempDir()
			wg.Go(func() {
				slots <- struct{}{}
				defer func() { <-slots }()
				results[i][j] = runCompat(root, prog, env, tc)
			})
		}
	}
	wg.Wait()
	for i, tc := range compatCases {
		t.Run(tc.name, func(t *testing.T) {
			o, d := results[i][0], results[i][1]
			if o.err != nil || d.err != nil {
				t.Fatalf("ours: %v; debian: %v", o.err, d.err)
			}
			if diff := diffSnapshots(o.files, d.files); diff != "" {
				t.Errorf("files differ:\n%s", diff)
			}
			if o.stderr != d.stderr || o.code != d.code {
				t.Errorf("stderr, exit code:\n ours:   %q %d\n debian: %q %d", o.stderr, o.code, d.stderr, d.code)
			}
		})
	}
}

// runCompat runs one program on one case in root.
func runCompat(root, prog string, env []string, tc compatCase) compatResult {
	if err := makeTree(root, tc.files); err != nil {
		return compatResult{err: err}
	}
	cmd := exec.Command(prog, strings.Fields(tc.args)...)
	cmd.Dir, cmd.Env = root, env
	cmd.Stdin = strings.NewReader(tc.input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return compatResult{err: err}
	}
	// A guard against a hang, generous: each rotation syncs to disk.
	timer := time.AfterFunc(4*testutil.WaitTimeout, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	timer.Stop()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) || cmd.ProcessState.ExitCode() < 0 {
		return compatResult{err: fmt.Errorf("%s: %v; stderr: %s", prog, err, stderr.String())}
	}
	files, err := walk(root)
	return compatResult{files: files, stderr: normalize(stderr.String()), code: cmd.ProcessState.ExitCode(), err: err}
}

// TestCompatUsage compares usage errors; argv[0] is replaced in the
// messages, as each prints its own. Ours runs in-process (svlog.Main):
// a usage error touches nothing.
func TestCompatUsage(t *testing.T) {
	debian := testutil.Debian(t, "svlogd")
	for _, args := range []string{"", "-tt", "-z log", "-r", "-r ab log", "-l 2000 log", "-l 10 -b 10 log", "-b 5 log"} {
		t.Run(args, func(t *testing.T) {
			var stderr bytes.Buffer
			oc := svlog.Main(append([]string{"/path/to/svlogd"}, strings.Fields(args)...), nil, io.Discard, &stderr)
			o := strings.ReplaceAll(stderr.String(), "/path/to/svlogd", "PROG")
			cmd := exec.Command(debian, strings.Fields(args)...)
			var dstderr bytes.Buffer
			cmd.Dir, cmd.Stderr = t.TempDir(), &dstderr
			cmd.Run()
			d, dc := strings.ReplaceAll(dstderr.String(), debian, "PROG"), cmd.ProcessState.ExitCode()
			if o != d || oc != dc {
				t.Errorf("ours %q %d\ndebian %q %d", o, oc, d, dc)
			}
		})
	}
}

// TestCompatUDP sends lines over UDP (u and U) with both and compares the
// datagrams and the files.
func TestCompatUDP(t *testing.T) {
	debian := testutil.Debian(t, "svlogd")
	for _, kind := range []string{"u", "U"} {
		t.Run(kind, func(t *testing.T) {
			var got [2][]string
			var snaps [2][]entry
			for i, prog := range []string{ours(), debian} {
				conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				port := conn.LocalAddr().(*net.UDPAddr).Port
				root := t.TempDir()
				tree(t, root, map[string]string{"log/config": fmt.Sprintf("%s127.0.0.1:%d\npP \n-*skip*\n", kind, port)})
				run(t, root, prog, "one\nskip me\n0123456789abc\n", "-l 10", "-b 11", "log")
				buf := make([]byte, 2048)
				for {
					conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
					n, _, err := conn.ReadFrom(buf)
					if err != nil {
						break
					}
					got[i] = append(got[i], string(buf[:n]))
				}
				snaps[i] = slices.DeleteFunc(snapshot(t, root), func(e entry) bool { return e.name == "log/config" })
			}
			if !slices.Equal(got[0], got[1]) {
				t.Errorf("datagrams:\n ours   %q\n debian %q", got[0], got[1])
			}
			if diff := diffSnapshots(snaps[0], snaps[1]); diff != "" {
				t.Errorf("files differ:\n%s", diff)
			}
		})
	}
}

// TestCompatSignals drives both with ALRM (rotate now), HUP (new config)
// and TERM in the middle of a line, and compares the files.
func TestCompatSignals(t *testing.T) {
	debian := testutil.Debian(t, "svlogd")
	var snaps [2][]entry
	var stderrs [2]string
	for i, prog := range []string{ours(), debian} {
		root := t.TempDir()
		tree(t, root, map[string]string{"log/config": "n0\n"})
		cur := filepath.Join(root, "log", "current")
		p := start(t, root, prog, "-v", "log")
		step := func(input, want string) {
			began := time.Now()
			p.write(t, input)
			testutil.Eventually(t, prog+": current to read "+want, func() bool {
				got := testutil.ReadFile(cur)
				if time.Since(began) > 5*time.Second {
					t.Fatalf("%s: current reads %q, want %q; stderr:\n%s", prog, got, want, p.stderr)
				}
				return got == want
			})
		}
		step("one\n", "one\n")
		p.signal(syscall.SIGALRM)
		testutil.Eventually(t, "a rotation", func() bool { return testutil.ReadFile(cur) == "" })
		// (An ALRM with current empty rotates nothing: TestAlarmEmpty. It
		// cannot be checked here: Debian's says it got ALRM before it acts,
		// and a line written meanwhile would be rotated.)
		step("two\n", "two\n")
		os.WriteFile(filepath.Join(root, "log", "config"), []byte("n0\npNEW \n"), 0o644)
		p.signal(syscall.SIGHUP)
		testutil.Eventually(t, prog+": config read again after HUP", func() bool {
			return strings.Count(p.stderr.String(), "read: log/config") >= 2
		})
		step("three\n", "two\nNEW three\n")
		p.write(t, "half")
		p.drained(t)
		p.signal(syscall.SIGTERM)
		select {
		case <-p.done:
			t.Fatalf("%s exited on TERM with half a line read", prog)
		case <-time.After(100 * time.Millisecond): // a negative: no event to wait for
		}
		p.write(t, " line\nnot read\n")
		if code := p.wait(t); code != 0 {
			t.Errorf("%s: exit code %d after TERM", prog, code)
		}
		snaps[i] = snapshot(t, root)
		stderrs[i] = p.stderr.String()
	}
	// Debian's drops the line it finished reading after TERM; ours logs
	// it (svlogd(8), DIFFERENCES FROM RUNIT).
	want := "two\nNEW three\nNEW half line\n"
	for j, e := range snaps[0] {
		if e.name == "log/current" {
			if e.content != want {
				t.Errorf("ours: current %q, want %q", e.content, want)
			}
			snaps[0][j].content = "two\nNEW three\n"
		}
	}
	if diff := diffSnapshots(snaps[0], snaps[1]); diff != "" {
		t.Errorf("files differ:\n%s", diff)
	}
	if normalize(stderrs[0]) != normalize(stderrs[1]) {
		t.Errorf("stderr:\n ours   %q\n debian %q", stderrs[0], stderrs[1])
	}
}

// TestLockExcludesDebian: our svlogd and Debian's exclude each other from
// a log directory, either way round.
func TestLockExcludesDebian(t *testing.T) {
	debian := testutil.Debian(t, "svlogd")
	for _, pair := range [][2]string{{ours(), debian}, {debian, ours()}} {
		root := t.TempDir()
		tree(t, root, map[string]string{"log/": ""})
		first := start(t, root, pair[0], "log")
		first.write(t, "first\n")
		testutil.Eventually(t, "the first svlogd to log", func() bool {
			return testutil.ReadFile(filepath.Join(root, "log", "current")) == "first\n"
		})
		stderr, code := run(t, root, pair[1], "second\n", "log")
		want := "svlogd: warning: unable to lock directory: log: temporary failure\nsvlogd: fatal: no functional log directories.\n"
		if stderr != want || code != 111 {
			t.Errorf("%s while %s runs: %q %d, want %q 111", pair[1], pair[0], stderr, code, want)
		}
		first.closeInput()
		first.wait(t)
	}
}
