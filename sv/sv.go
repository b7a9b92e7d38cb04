// Package sv controls and queries services supervised by runsv, ours or
// runit's, as runit's sv(8) does, and doubles as an LSB init script.
//
// Synopsis:
//
//	sv [-v] [-w sec] command services...
//	sv -j|--json status services...
//	/etc/init.d/service [-w sec] command
//
// Commands: status up down once pause cont hup alarm interrupt quit 1 2
// term kill exit start stop reload restart shutdown check force-stop
// force-reload force-restart force-shutdown try-restart. A service is a
// path (starting with "/" or ".", or ending in "/") or a name in $SVDIR
// (default /etc/service). -w waits up to sec seconds (default 7, or
// $SVWAIT) for the command to take effect, and implies -v. -j prints
// the status as one JSON object per service per line (json.go).
//
// For services that opt into gorunit's readiness or crash-loop backoff
// (package optin), the status line says so and waiting for "up" waits
// for readiness (view.go); the line of any other service is runit's.
//
// Output and exit codes are runit 2.1.2's; check and the LSB status code
// follow runit 2.3.0's fixes. Waiting reacts to the status change itself
// (inotify on supervise/) instead of polling every 420 ms.
package sv

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gorunit/gorunit/internal/errtext"
	"github.com/gorunit/gorunit/internal/getopt"
	"github.com/gorunit/gorunit/internal/status"
	"github.com/gorunit/gorunit/internal/tai64n"
	"github.com/gorunit/gorunit/internal/version"
	"golang.org/x/sys/unix"
)

// DefaultSVDIR is where service names are looked up without $SVDIR:
// Debian's choice (upstream runit uses /service/).
const DefaultSVDIR = "/etc/service"

// defaultWait is how long -v waits without -w or $SVWAIT, in seconds.
const defaultWait = 7

// Exit codes (sv(8), EXIT CODES).
const (
	exitUsage    = 100
	exitFatal    = 100
	exitLSBUsage = 2
	exitLSBFatal = 151
	maxFailures  = 99
)

// action is what sv does first for each service.
type action int

const (
	actControl action = iota // write the command's letters to supervise/control
	actStatus                // print the status line
	actNone                  // nothing (check): only wait
)

// command is one sv command: what to write, and whether and how to wait.
type command struct {
	act   action
	acts  string // control letters written; also what the wait checks
	wait  bool   // wait for the letters to take effect
	force bool   // on timeout, print "kill: " and send 'k' (force-*)
}

// lookup maps a command word to its command, as runit's sv.c switch does:
// mostly the first letter decides, a few whole words are checked. ok is
// false for a usage error.
func lookup(word string, lsb, verbose bool) (command, bool) {
	c := command{act: actControl, wait: verbose}
	switch word[0] {
	case 'x', 'e':
		c.acts = "x"
	case 'X', 'E':
		c.acts, c.force, c.wait = "x", true, true
	case 'D':
		c.acts, c.force, c.wait = "d", true, true
	case 'T':
		c.acts, c.force, c.wait = "tc", true, true
	case 't', 'c', 'u', 'd', 'o', 'p', 'h', 'a', 'i', 'k', 'q', '1', '2':
		switch word {
		case "try-restart":
			c.acts, c.wait = "tc", true
		case "check":
			c.act, c.acts, c.wait = actNone, "C", true
		default:
			c.acts = word[:1]
		}
	case 's':
		switch word {
		case "shutdown":
			c.acts, c.wait = "x", true
		case "start":
			c.acts, c.wait = "u", true
		case "stop":
			c.acts, c.wait = "d", true
		default:
			if lsb && word != "status" {
				return c, false
			}
			c.act, c.acts, c.wait = actStatus, "s", false
		}
	case 'r':
		switch word {
		case "restart":
			c.acts, c.wait = "tcu", true
		case "reload":
			c.acts, c.wait = "h", true
		default:
			return c, false
		}
	case 'f':
		switch word {
		case "force-reload":
			c.acts = "tc"
		case "force-restart":
			c.acts = "tcu"
		case "force-shutdown":
			c.acts = "x"
		case "force-stop":
			c.acts = "d"
		default:
			return c, false
		}
		c.force, c.wait = true, true
	default:
		return c, false
	}
	return c, true
}

// sv is one run of the program.
type sv struct {
	output
	prog    string
	lsb     bool
	svdir   string
	wait    time.Duration
	cmd     command
	tstart  time.Time // when sv started; restart waits for a newer status
	tnow    time.Time // refreshed once per wait round, as runit does
	curdir  int       // where to come back to after each service
	status  [20]byte  // the last status record read (runit's svstatus)
	watcher *watcher
	warned  map[string]bool // warnings about gorunit's files already given
}

// exitError ends the run with a code after its message is printed.
type exitError int

// Main runs sv with args (args[0] is the program name) and returns the
// exit code. Invoked under any name but "sv" it acts as an LSB init
// script for the service of that name.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	s := &sv{output: output{w: bufio.NewWriter(stdout), e: stderr}, svdir: DefaultSVDIR, wait: defaultWait * time.Second, curdir: -1}
	defer s.w.Flush()
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(exitError)
			if !ok {
				panic(r)
			}
			code = int(e)
		}
		if s.curdir != -1 {
			unix.Fchdir(s.curdir)
			unix.Close(s.curdir)
		}
	}()
	return s.run(args)
}

func (s *sv) run(args []string) int {
	s.prog = filepath.Base(args[0])
	s.lsb = s.prog != "sv"
	if v, ok := os.LookupEnv("SVDIR"); ok {
		s.svdir = v
	}
	if v, ok := os.LookupEnv("SVWAIT"); ok {
		s.wait = scanSeconds(v)
	}
	opts, rest, err := getopt.Parse(longJSON(args[1:]), "w:vVj")
	verbose := false
	for _, o := range opts {
		switch o.Letter {
		case 'w':
			s.wait = scanSeconds(o.Arg)
			verbose = true
		case 'v':
			verbose = true
		case 'j':
			s.json = true
		case 'V':
			fmt.Fprintf(s.e, "$Id: gorunit %s $\n", version.Version)
			s.usage()
		}
	}
	if err != nil {
		fmt.Fprintf(s.e, "%s: %v\n", s.prog, err)
		s.usage()
	}
	if len(rest) == 0 || rest[0] == "" {
		s.usage()
	}
	word := rest[0]
	services := []string{s.prog}
	if !s.lsb {
		services = rest[1:]
	}
	if len(services) == 0 {
		s.usage()
	}
	cmd, ok := lookup(word, s.lsb, verbose)
	if !ok || (s.json && cmd.act != actStatus) {
		s.usage()
	}
	s.cmd = cmd
	s.tstart = time.Now()
	s.tnow = s.tstart
	if s.curdir, err = unix.Open(".", unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
		s.fatal("unable to open current directory", err)
	}

	pending := make([]string, len(services))
	for i, name := range services {
		s.name = name
		if s.enter(name) {
			if s.act() {
				pending[i] = name
			}
		} else if s.json {
			s.putJSON(appendJSONError(nil, name, s.lastErr))
		}
		s.leave()
	}
	if s.cmd.wait {
		s.waitFor(pending)
	}
	if s.rc > maxFailures {
		return maxFailures
	}
	return s.rc
}

// usage prints runit's usage line and ends the run.
func (s *sv) usage() {
	s.w.Flush()
	if s.lsb {
		fmt.Fprintf(s.e, "usage: %s [-w sec] command\n\n", s.prog)
		panic(exitError(exitLSBUsage))
	}
	fmt.Fprintf(s.e, "usage: %s [-v] [-w sec] command service ...\n\n", s.prog)
	panic(exitError(exitUsage))
}

// fatal prints "fatal: what: errno text" on stderr and ends the run.
func (s *sv) fatal(what string, err error) {
	s.w.Flush()
	fmt.Fprintf(s.e, "fatal: %s: %s\n", what, errtext.Of(err))
	if s.lsb {
		panic(exitError(exitLSBFatal))
	}
	panic(exitError(exitFatal))
}

// enter changes into a service's directory: a name is looked up in SVDIR
// unless it starts with "/" or "." or ends with "/" (sv(8)).
func (s *sv) enter(name string) bool {
	var err error
	if name != "" && name[0] != '/' && name[0] != '.' && !strings.HasSuffix(name, "/") {
		if err = unix.Chdir(s.svdir); err == nil {
			err = unix.Chdir(name)
		}
	} else {
		err = unix.Chdir(name)
	}
	if err != nil {
		s.fail("unable to change to service directory", err)
		return false
	}
	return true
}

// leave returns to the directory sv started in.
func (s *sv) leave() {
	if err := unix.Fchdir(s.curdir); err != nil {
		s.fatal("unable to change to original directory", err)
	}
}

// act performs the command's first step for the current service and
// reports whether the service is still to be waited for.
func (s *sv) act() bool {
	switch s.cmd.act {
	case actControl:
		return s.control(s.cmd.acts) != -1
	case actStatus:
		if s.json {
			return s.printJSONStatus() != -1
		}
		return s.printFullStatus() != -1
	}
	return true
}

// control writes letters to supervise/control, unless the status says it
// would change nothing. It returns -1 when the service is to be dropped.
func (s *sv) control(letters string) int {
	if s.readStatus() <= 0 {
		return -1
	}
	if s.status[17] == letters[0] && (letters[0] != 'd' || s.status[18] == 1) && !s.backingOff(letters[0]) {
		return 0
	}
	fd, err := unix.Open("supervise/control", unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		s.notRunning(err, "unable to open supervise/control")
		return -1
	}
	n, err := unix.Write(fd, []byte(letters))
	unix.Close(fd)
	if err != nil || n != len(letters) {
		s.warn("unable to write to supervise/control", err)
		return -1
	}
	return 1
}

// backingOff reports whether letter is u for a service whose restart
// runsv holds back (gorunit's crash-loop backoff): sv then sends u though
// the service is wanted up, and runsv starts it at once. For any other
// service wanted up, runit's sv writes nothing, and so do we.
func (s *sv) backingOff(letter byte) bool {
	return letter == 'u' && status.State(s.status[19]) != status.Run && s.backoffLeft() > 0
}

// notRunning reports a failed open of a FIFO: ENXIO means no runsv reads
// it, which is fine when we wanted it to exit.
func (s *sv) notRunning(err error, what string) {
	if err != unix.ENXIO {
		s.warn(what, err)
	} else if s.cmd.acts[0] == 'x' {
		s.ok("runsv not running")
	} else {
		s.fail("runsv not running", nil)
	}
}

// scanSeconds reads leading decimal digits as runit's scan_ulong does:
// "7s" is 7, "x" is 0.
func scanSeconds(v string) time.Duration {
	n := int64(0)
	for i := 0; i < len(v) && v[i] >= '0' && v[i] <= '9'; i++ {
		n = n*10 + int64(v[i]-'0')
	}
	return time.Duration(n) * time.Second
}

// taiSeconds is the TAI64 second count runit compares status stamps with.
func taiSeconds(t time.Time) uint64 { return tai64n.FromTime(t).Sec }

// longJSON returns args with "--json" among the options spelled "-j", the
// letter getopt knows. It walks the options as getopt does: "-w" or a
// cluster ending in it ("-vw") takes the next word as its argument.
func longJSON(args []string) []string {
	out := append([]string(nil), args...)
	for i := 0; i < len(out); i++ {
		a := out[i]
		if a == "--json" {
			out[i] = "-j"
			continue
		}
		if a == "--" || len(a) < 2 || a[0] != '-' {
			break
		}
		if w := strings.IndexByte(a, 'w'); w == len(a)-1 {
			i++
		}
	}
	return out
}
