package sv_test

// Readiness and backoff in sv's output (issue 7), on crafted supervise/
// directories: a status record, supervise/ready and supervise/backoff
// written by the test, and supervise/ok held open for reading so that sv
// sees a runsv. Each case runs our sv status and sv -j status, and
// Debian's sv status, which must print our line without gorunit's
// annotations: the 20-byte record keeps its meaning.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorunit/gorunit/internal/status"
	"github.com/gorunit/gorunit/internal/tai64n"
	"github.com/gorunit/gorunit/internal/testutil"
)

// crafted is one service directory as the test writes it. Times are
// seconds relative to the moment the directory is written.
type crafted struct {
	rec     status.Record // Stamp is set from age
	age     float64       // status stamp, seconds ago
	down    bool          // a down file
	notify  string        // notification-fd content; "" for no file
	ready   *status.Ready // supervise/ready; Stamp set from readyAge
	readyAt float64       // ready stamp, seconds ago
	raw     map[string]string
	backoff float64 // supervise/backoff due in this many seconds (0: no file)
	noOK    bool    // nobody reads supervise/ok: no runsv
}

func running(pid int) status.Record {
	return status.Record{PID: pid, Want: status.WantUp, State: status.Run}
}
func stopped(want byte) status.Record { return status.Record{Want: want, State: status.Down} }
func ready(pid int) *status.Ready     { return &status.Ready{PID: pid} }

// write builds the service directory dir as c describes it.
func (c *crafted) write(t *testing.T, dir string, now time.Time) {
	t.Helper()
	sup := filepath.Join(dir, "supervise")
	if err := os.MkdirAll(sup, 0o755); err != nil {
		t.Fatal(err)
	}
	at := func(secs float64) tai64n.Label {
		return tai64n.FromTime(now.Add(time.Duration(secs * float64(time.Second))))
	}
	rec := c.rec
	rec.Stamp = at(-c.age)
	var b [status.Size]byte
	rec.Encode(b[:])
	files := map[string][]byte{"supervise/status": b[:]}
	if c.down {
		files["down"] = nil
	}
	if c.notify != "" {
		files["notification-fd"] = []byte(c.notify)
	}
	if c.ready != nil {
		r := *c.ready
		r.Stamp = at(-c.readyAt)
		var rb [status.ReadySize]byte
		r.Encode(rb[:])
		files["supervise/ready"] = rb[:]
	}
	if c.backoff != 0 {
		bo := status.Backoff{Until: at(c.backoff), Failures: 3}
		var bb [status.BackoffSize]byte
		bo.Encode(bb[:])
		files["supervise/backoff"] = bb[:]
	}
	for name, content := range c.raw {
		files[name] = []byte(content)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ok := filepath.Join(sup, "ok")
	if err := syscall.Mkfifo(ok, 0o600); err != nil {
		t.Fatal(err)
	}
	if c.noOK {
		return
	}
	fd, err := syscall.Open(ok, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
}

// jsonStatus is one object of sv -j status, decoded strictly.
type jsonStatus struct {
	Service        string      `json:"service"`
	State          string      `json:"state,omitempty"`
	PID            int         `json:"pid"`
	Seconds        int64       `json:"seconds"`
	Want           string      `json:"want,omitempty"`
	Paused         bool        `json:"paused"`
	Term           bool        `json:"term"`
	NormallyUp     bool        `json:"normally_up"`
	Ready          *bool       `json:"ready"`
	ReadySeconds   *int64      `json:"ready_seconds"`
	BackoffSeconds *int64      `json:"backoff_seconds"`
	Log            *jsonStatus `json:"log"`
	Error          string      `json:"error,omitempty"`
}

func yes() *bool          { v := true; return &v }
func no() *bool           { v := false; return &v }
func secs(n int64) *int64 { return &n }

// keyOrder is the order of the fields of an object that is not an error.
var keyOrder = []string{"service", "state", "pid", "seconds", "want", "paused", "term",
	"normally_up", "ready", "ready_seconds", "backoff_seconds", "log"}

// obj is the expected object of a service named name, in state st.
func obj(name, state string, pid int, age int64, want string) jsonStatus {
	return jsonStatus{Service: name, State: state, PID: pid, Seconds: age, Want: want}
}

type statusCase struct {
	name   string
	web    crafted
	log    *crafted // web/log, when not nil
	line   string   // our sv status line; {N} is a number of seconds
	stderr string   // our sv's stderr (Debian's is not compared)
	json   jsonStatus
	code   int
}

// with returns o changed by f, for table rows.
func with(o jsonStatus, f func(*jsonStatus)) jsonStatus { f(&o); return o }

var statusCases = []statusCase{
	// runit's fields, for services that opt into nothing.
	{name: "run", web: crafted{rec: running(12), age: 100},
		line: "run: web: (pid 12) {100}s",
		json: with(obj("web", "run", 12, 100, "up"), func(o *jsonStatus) { o.NormallyUp = true })},
	{name: "run normally down", web: crafted{rec: running(12), age: 100, down: true},
		line: "run: web: (pid 12) {100}s, normally down",
		json: obj("web", "run", 12, 100, "up")},
	{name: "down normally up want up", web: crafted{rec: stopped(status.WantUp), age: 100},
		line: "down: web: {100}s, normally up, want up",
		json: with(obj("web", "down", 0, 100, "up"), func(o *jsonStatus) { o.NormallyUp = true })},
	{name: "down wanted down", web: crafted{rec: stopped(status.WantDown), age: 100, down: true},
		line: "down: web: {100}s",
		json: obj("web", "down", 0, 100, "down")},
	{name: "paused", web: crafted{rec: status.Record{PID: 12, Paused: true, Want: status.WantUp, State: status.Run}, age: 100},
		line: "run: web: (pid 12) {100}s, paused",
		json: with(obj("web", "run", 12, 100, "up"), func(o *jsonStatus) { o.NormallyUp, o.Paused = true, true })},
	{name: "want down got TERM", web: crafted{rec: status.Record{PID: 12, Want: status.WantDown, Term: true, State: status.Run}, age: 100},
		line: "run: web: (pid 12) {100}s, want down, got TERM",
		json: with(obj("web", "run", 12, 100, "down"), func(o *jsonStatus) { o.NormallyUp, o.Term = true, true })},
	{name: "finish", web: crafted{rec: status.Record{PID: 12, Want: status.WantUp, State: status.Finish}, age: 100},
		line: "finish: web: (pid 12) {100}s",
		json: with(obj("web", "finish", 12, 100, "up"), func(o *jsonStatus) { o.NormallyUp = true })},

	// Readiness.
	{name: "ready", web: crafted{rec: running(12), age: 100, notify: "3\n", ready: ready(12), readyAt: 40},
		line: "run: web: (pid 12) {100}s, ready {40}s",
		json: with(obj("web", "run", 12, 100, "up"), func(o *jsonStatus) { o.NormallyUp, o.Ready, o.ReadySeconds = true, yes(), secs(40) })},
	{name: "ready before runit's flags", web: crafted{rec: status.Record{PID: 12, Paused: true, Want: status.WantDown, Term: true, State: status.Run}, age: 100, down: true, notify: "5", ready: ready(12), readyAt: 40},
		line: "run: web: (pid 12) {100}s, ready {40}s, normally down, paused, want down, got TERM",
		json: with(obj("web", "run", 12, 100, "down"), func(o *jsonStatus) { o.Paused, o.Term, o.Ready, o.ReadySeconds = true, true, yes(), secs(40) })},
	{name: "not ready", web: crafted{rec: running(12), age: 100, notify: "3"},
		line: "run: web: (pid 12) {100}s, not ready",
		json: with(obj("web", "run", 12, 100, "up"), func(o *jsonStatus) { o.NormallyUp, o.Ready = true, no() })},
	{name: "stale ready of another pid", web: crafted{rec: running(12), age: 100, notify: "3", ready: ready(11), readyAt: 200},
		line: "run: web: (pid 12) {100}s, not ready",
		json: with(obj("web", "run", 12, 100, "up"), func(o *jsonStatus) { o.NormallyUp, o.Ready = true, no() })},
	{name: "ready in finish is not ready", web: crafted{rec: status.Record{PID: 12, Want: status.WantUp, State: status.Finish}, age: 100, notify: "3", ready: ready(12), readyAt: 40},
		line: "finish: web: (pid 12) {100}s",
		json: with(obj("web", "finish", 12, 100, "up"), func(o *jsonStatus) { o.NormallyUp, o.Ready = true, no() })},
	{name: "down is not ready", web: crafted{rec: stopped(status.WantUp), age: 100, notify: "3"},
		line: "down: web: {100}s, normally up, want up",
		json: with(obj("web", "down", 0, 100, "up"), func(o *jsonStatus) { o.NormallyUp, o.Ready = true, no() })},
	{name: "ready without notification-fd is ignored", web: crafted{rec: running(12), age: 100, ready: ready(12), readyAt: 40},
		line: "run: web: (pid 12) {100}s",
		json: with(obj("web", "run", 12, 100, "up"), func(o *jsonStatus) { o.NormallyUp = true })},
	{name: "invalid notification-fd", web: crafted{rec: running(12), age: 100, notify: "1", ready: ready(12), readyAt: 40},
		line:   "run: web: (pid 12) {100}s",
		stderr: "warning: web/notification-fd: not a descriptor number from 3 to 1023: \"1\"\n",
		json:   with(obj("web", "run", 12, 100, "up"), func(o *jsonStatus) { o.NormallyUp = true })},
	{name: "bad ready record", web: crafted{rec: running(12), age: 100, notify: "3", raw: map[string]string{"supervise/ready": "12345"}},
		line:   "run: web: (pid 12) {100}s, not ready",
		stderr: "warning: unable to read web/supervise/ready: bad format\n",
		json:   with(obj("web", "run", 12, 100, "up"), func(o *jsonStatus) { o.NormallyUp, o.Ready = true, no() })},

	// Backoff.
	{name: "backing off", web: crafted{rec: stopped(status.WantUp), age: 100, backoff: 50.5},
		line: "down: web: {100}s, normally up, want up, backing off, restart in {51}s",
		json: with(obj("web", "down", 0, 100, "up"), func(o *jsonStatus) { o.NormallyUp, o.BackoffSeconds = true, secs(51) })},
	{name: "backing off in finish", web: crafted{rec: status.Record{PID: 12, Want: status.WantUp, State: status.Finish}, age: 100, down: true, backoff: 50.5},
		line: "finish: web: (pid 12) {100}s, normally down, backing off, restart in {51}s",
		json: with(obj("web", "finish", 12, 100, "up"), func(o *jsonStatus) { o.BackoffSeconds = secs(51) })},
	{name: "expired backoff", web: crafted{rec: stopped(status.WantUp), age: 100, backoff: -5},
		line: "down: web: {100}s, normally up, want up",
		json: with(obj("web", "down", 0, 100, "up"), func(o *jsonStatus) { o.NormallyUp = true })},
	{name: "backoff while wanted down", web: crafted{rec: stopped(status.WantDown), age: 100, backoff: 50.5},
		line: "down: web: {100}s, normally up",
		json: with(obj("web", "down", 0, 100, "down"), func(o *jsonStatus) { o.NormallyUp = true })},
	{name: "backoff while running", web: crafted{rec: running(12), age: 100, backoff: 50.5},
		line: "run: web: (pid 12) {100}s",
		json: with(obj("web", "run", 12, 100, "up"), func(o *jsonStatus) { o.NormallyUp = true })},
	{name: "backing off, declared readiness", web: crafted{rec: stopped(status.WantUp), age: 100, notify: "3", backoff: 50.5},
		line: "down: web: {100}s, normally up, want up, backing off, restart in {51}s",
		json: with(obj("web", "down", 0, 100, "up"), func(o *jsonStatus) { o.NormallyUp, o.Ready, o.BackoffSeconds = true, no(), secs(51) })},

	// The log service.
	{name: "log", web: crafted{rec: running(12), age: 100, notify: "3", ready: ready(12), readyAt: 40},
		log:  &crafted{rec: running(13), age: 200},
		line: "run: web: (pid 12) {100}s, ready {40}s; run: log: (pid 13) {200}s",
		json: with(obj("web", "run", 12, 100, "up"), func(o *jsonStatus) {
			o.NormallyUp, o.Ready, o.ReadySeconds = true, yes(), secs(40)
			l := obj("web/log", "run", 13, 200, "up")
			l.NormallyUp = true
			o.Log = &l
		})},
	{name: "log not ready and backing off", web: crafted{rec: running(12), age: 100},
		log:  &crafted{rec: stopped(status.WantUp), age: 200, notify: "3", backoff: 50.5},
		line: "run: web: (pid 12) {100}s; down: log: {200}s, normally up, want up, backing off, restart in {51}s",
		json: with(obj("web", "run", 12, 100, "up"), func(o *jsonStatus) {
			o.NormallyUp = true
			l := obj("web/log", "down", 0, 200, "up")
			l.NormallyUp, l.Ready, l.BackoffSeconds = true, no(), secs(51)
			o.Log = &l
		})},
	{name: "log not ready", web: crafted{rec: running(12), age: 100},
		log:  &crafted{rec: running(13), age: 200, notify: "3", ready: ready(12), readyAt: 40},
		line: "run: web: (pid 12) {100}s; run: log: (pid 13) {200}s, not ready",
		json: with(obj("web", "run", 12, 100, "up"), func(o *jsonStatus) {
			o.NormallyUp = true
			l := obj("web/log", "run", 13, 200, "up")
			l.NormallyUp, l.Ready = true, no()
			o.Log = &l
		})},
	{name: "log without runsv", web: crafted{rec: running(12), age: 100},
		log:  &crafted{rec: running(13), age: 200, noOK: true},
		line: "run: web: (pid 12) {100}s; fail: web/log: runsv not running", code: 1,
		json: with(obj("web", "run", 12, 100, "up"), func(o *jsonStatus) {
			o.NormallyUp = true
			o.Log = &jsonStatus{Service: "web/log", Error: "runsv not running"}
		})},

	// Errors.
	{name: "runsv not running", web: crafted{rec: running(12), age: 100, notify: "3", noOK: true},
		line: "fail: web: runsv not running", code: 1,
		json: jsonStatus{Service: "web", Error: "runsv not running"}},
	{name: "bad status record", web: crafted{rec: running(12), age: 100, notify: "3", raw: map[string]string{"supervise/status": "short"}},
		line: "warning: web: unable to read supervise/status: bad format", code: 1,
		json: jsonStatus{Service: "web", Error: "unable to read supervise/status: bad format"}},
}

func TestStatusAnnotations(t *testing.T) {
	for _, tc := range statusCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			start := time.Now()
			tc.web.write(t, filepath.Join(root, "web"), start)
			if tc.log != nil {
				tc.log.write(t, filepath.Join(root, "web", "log"), start)
			}
			env := svEnv(root)

			out, errOut, code := testutil.RunEnv(t, root, env, "sv", "status", "web")
			slop := slopSince(start)
			if err := matchLine(tc.line, out, slop); err != nil {
				t.Errorf("sv status: %v", err)
			}
			if errOut != tc.stderr || code != tc.code {
				t.Errorf("sv status: stderr %q, exit %d; want %q, %d", errOut, code, tc.stderr, tc.code)
			}

			out, errOut, code = testutil.RunEnv(t, root, env, "sv", "-j", "status", "web")
			slop = slopSince(start)
			checkJSON(t, out, []jsonStatus{tc.json}, slop)
			if errOut != tc.stderr || code != tc.code {
				t.Errorf("sv -j status: stderr %q, exit %d; want %q, %d", errOut, code, tc.stderr, tc.code)
			}

			debian := testutil.Debian(t, "sv")
			out, _, code = testutil.RunEnv(t, root, env, debian, "status", "web")
			slop = slopSince(start)
			if err := matchLine(withoutGorunit(tc.line), out, slop); err != nil {
				t.Errorf("Debian's sv status: %v", err)
			}
			if code != tc.code {
				t.Errorf("Debian's sv status: exit %d, want %d", code, tc.code)
			}
		})
	}
}

// slopSince is how far, in whole seconds either way, a printed age may be
// from the table's: the seconds that passed since the files were written,
// rounded up. It is not a bound on anything; a slow machine just widens it.
func slopSince(start time.Time) int64 {
	return int64(math.Ceil(time.Since(start).Seconds()))
}

var (
	quotedNumber = regexp.MustCompile(`\\\{[0-9]+\\\}`)
	gorunitParts = regexp.MustCompile(`, ready \{[0-9]+\}s|, not ready|, backing off, restart in \{[0-9]+\}s`)
)

// withoutGorunit is a status line as runit prints it: gorunit's
// readiness and backoff annotations left out.
func withoutGorunit(line string) string { return gorunitParts.ReplaceAllString(line, "") }

// matchLine compares one line of output with a pattern in which {N}
// stands for N seconds, give or take slop.
func matchLine(pattern, got string, slop int64) error {
	var nums []int64
	// QuoteMeta escapes the braces: \{N\} becomes a group.
	re := quotedNumber.ReplaceAllStringFunc(regexp.QuoteMeta(pattern), func(m string) string {
		n, _ := strconv.ParseInt(strings.Trim(m, `\{}`), 10, 64)
		nums = append(nums, n)
		return `([0-9]+)`
	})
	sub := regexp.MustCompile("^" + re + "\n$").FindStringSubmatch(got)
	if sub == nil {
		return fmt.Errorf("got %q, want %q", got, pattern+"\n")
	}
	for i, want := range nums {
		n, _ := strconv.ParseInt(sub[i+1], 10, 64)
		if n < want-slop || n > want+slop {
			return fmt.Errorf("got %q: number %d is %d, want %d±%d", got, i+1, n, want, slop)
		}
	}
	return nil
}

// checkJSON decodes sv -j's output, one object a line, and compares it
// with want; every number of seconds may be off by slop.
func checkJSON(t *testing.T, out string, want []jsonStatus, slop int64) {
	t.Helper()
	lines := strings.SplitAfter(out, "\n")
	if lines[len(lines)-1] != "" {
		t.Fatalf("sv -j: output does not end in a newline: %q", out)
	}
	lines = lines[:len(lines)-1]
	if len(lines) != len(want) {
		t.Fatalf("sv -j: %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, line := range lines {
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		var got jsonStatus
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("sv -j: line %d %q: %v", i+1, line, err)
		}
		checkKeys(t, []byte(line))
		approx(&got, &want[i], slop)
		if !reflect.DeepEqual(got, want[i]) {
			t.Errorf("sv -j: line %d\n got %s\nwant %s", i+1, dump(got), dump(want[i]))
		}
	}
}

// checkKeys checks the order of an object's fields, and of its log's.
func checkKeys(t *testing.T, raw []byte) {
	t.Helper()
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	if _, ok := fields["error"]; ok {
		if len(fields) != 2 || !bytes.HasPrefix(raw, []byte(`{"service":`)) {
			t.Errorf("error object %s: want only service, then error", raw)
		}
		return
	}
	last := -1
	for i, k := range keyOrder {
		if _, ok := fields[k]; ok {
			at := bytes.Index(raw, []byte(`"`+k+`":`))
			if at < last {
				t.Errorf("%s: field %s out of order (want %v)", raw, k, keyOrder[:i+1])
			}
			last = at
		}
	}
	for _, k := range []string{"ready", "ready_seconds", "backoff_seconds"} {
		if v, ok := fields[k]; ok && string(v) == "null" {
			t.Errorf("%s: %s is null; it is left out instead", raw, k)
		}
	}
	if l, ok := fields["log"]; ok && string(l) != "null" {
		if bytes.Contains(l, []byte(`"log":`)) {
			t.Errorf("%s: the log object has a log field", raw)
		}
		checkKeys(t, l)
	}
}

// approx sets got's seconds to want's where they differ by slop at most.
func approx(got, want *jsonStatus, slop int64) {
	near := func(g *int64, w int64) {
		if *g >= w-slop && *g <= w+slop {
			*g = w
		}
	}
	near(&got.Seconds, want.Seconds)
	if got.ReadySeconds != nil && want.ReadySeconds != nil {
		near(got.ReadySeconds, *want.ReadySeconds)
	}
	if got.BackoffSeconds != nil && want.BackoffSeconds != nil {
		near(got.BackoffSeconds, *want.BackoffSeconds)
	}
	if got.Log != nil && want.Log != nil {
		approx(got.Log, want.Log, slop)
	}
}

func dump(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestJSONSeveral: one line per service, in the order given, errors in
// place, the exit code sv status gives; --json is -j.
func TestJSONSeveral(t *testing.T) {
	root := t.TempDir()
	start := time.Now()
	(&crafted{rec: running(12), age: 100, notify: "3", ready: ready(12), readyAt: 40}).write(t, filepath.Join(root, "web"), start)
	(&crafted{rec: stopped(status.WantDown), age: 100, down: true}).write(t, filepath.Join(root, "db"), start)
	(&crafted{rec: running(14), age: 100, noOK: true}).write(t, filepath.Join(root, "gone"), start)
	odd := "odd \"name\"\tx"
	(&crafted{rec: running(15), age: 100}).write(t, filepath.Join(root, odd), start)
	web := obj("web", "run", 12, 100, "up")
	web.NormallyUp, web.Ready, web.ReadySeconds = true, yes(), secs(40)
	oddObj := obj(odd, "run", 15, 100, "up")
	oddObj.NormallyUp = true
	want := []jsonStatus{
		web,
		obj("./db", "down", 0, 100, "down"),
		{Service: "gone", Error: "runsv not running"},
		{Service: "nosuch", Error: "unable to change to service directory: file does not exist"},
		oddObj,
	}
	for _, opt := range [][]string{{"-j"}, {"--json"}, {"-w", "3", "--json"}, {"-vj"}} {
		t.Run(strings.Join(opt, " "), func(t *testing.T) {
			args := append(append([]string(nil), opt...), "status", "web", "./db", "gone", "nosuch", odd)
			out, errOut, code := testutil.RunEnv(t, root, svEnv(root), "sv", args...)
			checkJSON(t, out, want, slopSince(start))
			if errOut != "" || code != 2 {
				t.Errorf("stderr %q, exit %d; want nothing, 2", errOut, code)
			}
		})
	}
}

// TestJSONOnlyStatus: -j with any other command is a usage error, as an
// unknown option is, and sends nothing.
func TestJSONOnlyStatus(t *testing.T) {
	root := t.TempDir()
	(&crafted{rec: stopped(status.WantDown), age: 100}).write(t, filepath.Join(root, "web"), time.Now())
	for _, cmd := range []string{"up", "down", "check", "restart", "exit", "force-stop", "hup"} {
		t.Run(cmd, func(t *testing.T) {
			out, errOut, code := testutil.RunEnv(t, root, svEnv(root), "sv", "-j", cmd, "web")
			if out != "" || errOut != "usage: sv [-v] [-w sec] command service ...\n\n" || code != 100 {
				t.Errorf("sv -j %s: stdout %q, stderr %q, exit %d", cmd, out, errOut, code)
			}
		})
	}
}

// TestLSBStatus: as an init script, the status line carries the
// annotations and -j works; the exit code is LSB's.
func TestLSBStatus(t *testing.T) {
	root := t.TempDir()
	start := time.Now()
	(&crafted{rec: running(12), age: 100, notify: "3"}).write(t, filepath.Join(root, "web"), start)
	(&crafted{rec: stopped(status.WantUp), age: 100, backoff: 50.5}).write(t, filepath.Join(root, "db"), start)
	bin := t.TempDir()
	for _, name := range []string{"web", "db"} {
		if err := os.Symlink(testutil.Bin("sv"), filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	env := append(svEnv(root), asSV+"=1")
	webObj := obj("web", "run", 12, 100, "up")
	webObj.NormallyUp, webObj.Ready = true, no()
	dbObj := obj("db", "down", 0, 100, "up")
	dbObj.NormallyUp, dbObj.BackoffSeconds = true, secs(51)
	tests := []struct {
		name, line string
		json       jsonStatus
		code       int
	}{
		{"web", "run: web: (pid 12) {100}s, not ready", webObj, 0},
		{"db", "down: db: {100}s, normally up, want up, backing off, restart in {51}s", dbObj, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, code := testutil.RunEnv(t, root, env, filepath.Join(bin, tt.name), "status")
			if err := matchLine(tt.line, out, slopSince(start)); err != nil || code != tt.code {
				t.Errorf("%s status: exit %d (want %d); %v", tt.name, code, tt.code, err)
			}
			out, _, code = testutil.RunEnv(t, root, env, filepath.Join(bin, tt.name), "-j", "status")
			checkJSON(t, out, []jsonStatus{tt.json}, slopSince(start))
			if code != tt.code {
				t.Errorf("%s -j status: exit %d, want %d", tt.name, code, tt.code)
			}
		})
	}
}

// checkFails is a ./check that would fail, and says so in ./check-ran.
const checkFails = "#!/bin/sh\necho ran >> check-ran\nexit 1\n"

// TestWaitReadiness: for a service that declares a notification-fd, the
// commands that wait for "up" wait for supervise/ready instead of ./check;
// for any other, ./check decides as before, whatever supervise/ready says.
func TestWaitReadiness(t *testing.T) {
	tests := []struct {
		name     string
		web      crafted
		check    string // ./check; "" for none
		args     []string
		line     string
		code     int
		checkRan bool
	}{
		{name: "check ready: no ./check", web: crafted{rec: running(12), age: 100, notify: "3", ready: ready(12), readyAt: 40},
			check: checkFails, args: []string{"check"},
			line: "ok: run: web: (pid 12) {100}s, ready {40}s"},
		{name: "up ready", web: crafted{rec: running(12), age: 100, notify: "3", ready: ready(12), readyAt: 40},
			args: []string{"-w", "1", "up"},
			line: "ok: run: web: (pid 12) {100}s, ready {40}s"},
		{name: "start ready", web: crafted{rec: running(12), age: 100, notify: "3", ready: ready(12), readyAt: 40},
			check: checkFails, args: []string{"start"},
			line: "ok: run: web: (pid 12) {100}s, ready {40}s"},
		{name: "check not ready, passing ./check", web: crafted{rec: running(12), age: 100, notify: "3"},
			check: "#!/bin/sh\nexit 0\n", args: []string{"-w", "1", "check"},
			line: "timeout: run: web: (pid 12) {100}s, not ready", code: 1},
		{name: "up stale ready", web: crafted{rec: running(12), age: 100, notify: "3", ready: ready(11), readyAt: 40},
			args: []string{"-w", "1", "up"},
			line: "timeout: run: web: (pid 12) {100}s, not ready", code: 1},
		{name: "check without notification-fd runs ./check", web: crafted{rec: running(12), age: 100, ready: ready(12), readyAt: 40},
			check: checkFails, args: []string{"-w", "1", "check"},
			line: "timeout: run: web: (pid 12) {100}s", code: 1, checkRan: true},
		{name: "check wanted down", web: crafted{rec: stopped(status.WantDown), age: 100, notify: "3"},
			check: checkFails, args: []string{"check"},
			line: "ok: down: web: {100}s, normally up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			start := time.Now()
			dir := filepath.Join(root, "web")
			tt.web.write(t, dir, start)
			if tt.check != "" {
				if err := os.WriteFile(filepath.Join(dir, "check"), []byte(tt.check), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			out, errOut, code := testutil.RunEnv(t, root, svEnv(root), "sv", append(tt.args, "web")...)
			if err := matchLine(tt.line, out, slopSince(start)); err != nil {
				t.Errorf("sv %s: %v", strings.Join(tt.args, " "), err)
			}
			if errOut != "" || code != tt.code {
				t.Errorf("sv %s: stderr %q, exit %d; want nothing, %d", strings.Join(tt.args, " "), errOut, code, tt.code)
			}
			if ran := testutil.ReadFile(filepath.Join(dir, "check-ran")) != ""; ran != tt.checkRan {
				t.Errorf("./check ran: %v, want %v", ran, tt.checkRan)
			}
		})
	}
}

// TestWaitWakesOnReady: sv start waits on a service that is not ready
// until supervise/ready is renamed into place, as runsv does.
func TestWaitWakesOnReady(t *testing.T) {
	root := t.TempDir()
	start := time.Now()
	dir := filepath.Join(root, "web")
	(&crafted{rec: running(12), age: 100, notify: "3"}).write(t, dir, start)
	sv := testutil.StartEnv(t, root, svEnv(root), "sv", "-w", "60", "start", "web")
	// Make it ready once sv watches supervise/: the rename must wake it.
	testutil.Eventually(t, "sv to hold an inotify instance", func() bool { return watching(sv.Pid()) })
	r := status.Ready{Stamp: tai64n.Now(), PID: 12}
	var b [status.ReadySize]byte
	r.Encode(b[:])
	tmp := filepath.Join(dir, "supervise", "ready.new")
	if err := os.WriteFile(tmp, b[:], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "supervise", "ready")); err != nil {
		t.Fatal(err)
	}
	if code := sv.Wait(t); code != 0 {
		t.Errorf("sv start: exit %d, stdout %q, stderr %q", code, sv.Stdout, sv.Stderr)
	}
	if err := matchLine("ok: run: web: (pid 12) {100}s, ready {0}s", sv.Stdout.String(), slopSince(start)); err != nil {
		t.Error(err)
	}
}

// watching reports whether process pid has an inotify instance open.
func watching(pid int) bool {
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); l == "anon_inode:inotify" {
			return true
		}
	}
	return false
}

// TestUpWhileBackingOff: sv up writes "u" to a service already wanted up
// while runsv holds its restart back, so that runsv starts it at once;
// otherwise, as runit, it writes nothing to a service wanted up.
func TestUpWhileBackingOff(t *testing.T) {
	tests := []struct {
		name string
		web  crafted
		want string
	}{
		{"backing off", crafted{rec: stopped(status.WantUp), age: 100, backoff: 50.5}, "u"},
		{"backing off in finish", crafted{rec: status.Record{PID: 12, Want: status.WantUp, State: status.Finish}, age: 100, backoff: 50.5}, "u"},
		{"expired backoff", crafted{rec: stopped(status.WantUp), age: 100, backoff: -5}, ""},
		{"no backoff", crafted{rec: stopped(status.WantUp), age: 100}, ""},
		{"running", crafted{rec: running(12), age: 100, backoff: 50.5}, ""},
		{"wanted down", crafted{rec: stopped(status.WantDown), age: 100, backoff: 50.5}, "u"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "web")
			tt.web.write(t, dir, time.Now())
			ctl := filepath.Join(dir, "supervise", "control")
			if err := syscall.Mkfifo(ctl, 0o600); err != nil {
				t.Fatal(err)
			}
			fd, err := syscall.Open(ctl, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer syscall.Close(fd)
			out, errOut, code := testutil.RunEnv(t, root, svEnv(root), "sv", "up", "web")
			if out != "" || errOut != "" || code != 0 {
				t.Errorf("sv up: stdout %q, stderr %q, exit %d", out, errOut, code)
			}
			var b [16]byte
			n, _ := syscall.Read(fd, b[:])
			if got := string(b[:max(n, 0)]); got != tt.want {
				t.Errorf("supervise/control got %q, want %q", got, tt.want)
			}
		})
	}
}
