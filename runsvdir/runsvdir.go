// Package runsvdir starts and watches one runsv per service directory, as
// runit's runsvdir(8) does.
//
// Synopsis:
//
//	runsvdir [-P] [-t sec] dir [log]
//
// runsvdir starts "runsv NAME" (found through PATH, run in dir) for each
// subdirectory of dir, or symlink to one, whose name does not start with a
// dot; starts it again when it dies; and sends TERM to the runsv of an
// entry that disappears. Entries are known by the device and inode of the
// directory they lead to, not by name, as in runit: renaming a symlink
// changes nothing, and a directory created again under the same name gets
// a new runsv while the old one is told to go.
//
// Unlike runit's, which looks at dir every few seconds, this runsvdir
// watches dir with inotify (fsnotify) and starts a new service at once; it
// still rescans every five seconds in case an event was missed. When it
// runs as PID 1 (a container's entrypoint), TERM and INT stop every
// service gracefully before it exits (see shutdown.go); otherwise TERM
// ends runsvdir at once and leaves the runsv running, as runit's does.
//
// The optional log argument is daemontools' readproctitle: runsvdir's
// standard error and its children's go through a pipe, and the last bytes
// written scroll through the argument itself, so that ps shows recent
// errors (proctitle_linux.go).
package runsvdir

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gorunit/gorunit/internal/errtext"
	"github.com/gorunit/gorunit/internal/getopt"
	"github.com/gorunit/gorunit/runsv"
	"golang.org/x/sys/unix"
)

// Exit codes, as runsvdir(8) and runit's source give them.
const (
	exitOK     = 0
	exitUsage  = 1
	exitHangup = 111 // after HUP
)

// Options runit's runsvdir does not have: the shutdown timeout as PID 1.
const (
	// defaultStopTimeout is how long, as PID 1, runsvdir waits for every
	// runsv to stop its service before it kills what is left: it fits
	// docker stop's default of 10 s, as runit's container mode does.
	defaultStopTimeout = 7 * time.Second
	// stopTimeoutEnv overrides it, as -t does.
	stopTimeoutEnv = "RUNSVDIR_STOP_TIMEOUT"
)

// maxServices is runit's limit on the number of runsv (runsvdir(8)).
const maxServices = 1000

// Main runs runsvdir with args (args[0] is the program name) and returns
// its exit code. runsv processes inherit stdin, stdout and stderr (or the
// log pipe instead of stderr).
func Main(args []string, stdin, stdout, stderr *os.File) int {
	r := &runsvdir{
		stdio:   [3]*os.File{stdin, stdout, stderr},
		stderr:  stderr,
		pid1:    os.Getpid() == 1,
		timeout: defaultStopTimeout,
	}
	usage := func(msg string) int {
		if msg != "" {
			fmt.Fprintf(stderr, "%s: %s\n", args[0], msg)
		}
		fmt.Fprintf(stderr, "usage: %s [-P] [-t sec] dir [log]\n\n", args[0])
		return exitUsage
	}
	if v, ok := os.LookupEnv(stopTimeoutEnv); ok {
		d, err := seconds(v)
		if err != nil {
			return usage(stopTimeoutEnv + ": " + err.Error())
		}
		r.timeout = d
	}
	opts, rest, err := getopt.Parse(args[1:], "Pt:")
	if err != nil {
		return usage(err.Error())
	}
	for _, o := range opts {
		switch o.Letter {
		case 'P':
			r.setsid = true
		case 't':
			d, err := seconds(o.Arg)
			if err != nil {
				return usage("-t: " + err.Error())
			}
			r.timeout = d
		}
	}
	if len(rest) == 0 || rest[0] == "" {
		return usage("")
	}
	r.dir = rest[0]

	// Catch the signals before any runsv exists. INT only as PID 1: it
	// has no default action there, and elsewhere runit leaves it alone.
	r.sigc = make(chan os.Signal, 32)
	sigs := []os.Signal{unix.SIGCHLD, unix.SIGTERM, unix.SIGHUP}
	if r.pid1 {
		sigs = append(sigs, unix.SIGINT)
	}
	signal.Notify(r.sigc, sigs...)
	defer signal.Stop(r.sigc)

	if len(rest) > 1 {
		// Like runit, a log argument that cannot be set up is a warning.
		if err := r.setupLog(rest[1]); err != nil {
			r.warn(err.Error(), nil)
			r.warn("log service disabled.", nil)
		}
	}
	r.env = os.Environ()
	r.leanEnv = runsv.LeanEnv(r.env)
	if exe, err := os.Executable(); err == nil {
		r.self, _ = os.Stat(exe)
		if beside := filepath.Join(filepath.Dir(exe), "runsv"); r.isSelf(beside) {
			r.ownRunsv = beside
		}
	}
	r.entries = map[devIno]*entry{}
	r.names = map[string]devIno{}
	r.runsv = map[int]*entry{}
	r.complaints = map[string]string{}
	r.watch()
	return r.loop()
}

// seconds reads a whole number of seconds, as runit's -t does.
func seconds(s string) (time.Duration, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("not a number of seconds: %q", s)
	}
	return time.Duration(n) * time.Second, nil
}

// Output rules (runit's runsvdir.c): every line goes to stderr (the log
// pipe when there is a log argument) as "runsvdir DIR: warning: what:
// errno text" or "runsvdir DIR: fatal: ...", with errno in djb's words
// (package errtext). Messages runit prints without errno end in a period.

// warn prints "runsvdir DIR: warning: msg[: errno text]".
func (r *runsvdir) warn(msg string, err error) { r.print("warning", msg, err) }

// fatal prints a fatal line. runit prints it from a forked child that
// could not exec runsv, so it does not end runsvdir; neither does ours.
func (r *runsvdir) fatal(msg string, err error) { r.print("fatal", msg, err) }

func (r *runsvdir) print(kind, msg string, err error) {
	if err != nil {
		msg += ": " + errtext.Of(err)
	}
	fmt.Fprintf(r.stderr, "runsvdir %s: %s: %s\n", r.dir, kind, msg)
}
