// Package runsv supervises one service, and optionally its log service, as
// runit's runsv(8) does, through the same supervise/ files.
//
// Synopsis:
//
//	runsv service
//
// runsv changes to the service directory, starts ./run (and log/run, with
// a pipe from the service's stdout to the logger's stdin that lives as
// long as runsv), restarts it when it exits (after ./finish, and after a
// second if it ran for less than one), and obeys control bytes written to
// supervise/control. State goes to supervise/status (20 bytes), stat and
// pid, which sv reads.
//
// Unlike runit's, control bytes are served during the one-second restart
// throttle, services run in their own session, and a supervise symlink
// whose target is missing gets the target created (read-only root
// filesystems with supervise in a tmpfs).
package runsv

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/gorunit/gorunit/internal/errtext"
	"github.com/gorunit/gorunit/internal/fifo"
	"github.com/gorunit/gorunit/internal/lock"
	"golang.org/x/sys/unix"
)

// Exit codes, as runsv(8) gives them.
const (
	exitOK    = 0
	exitUsage = 1
	exitFatal = 111
)

// runsv is one supervisor: the main service, the optional log service, and
// the pipe between them.
type runsv struct {
	dir    string // as given on the command line, for messages
	stdio  [3]*os.File
	stderr *os.File
	env    []string

	main, log *service
	logPipe   [2]*os.File // kept open by runsv so that no line is lost across restarts

	sigc      chan os.Signal
	ctl       chan control
	readyc    chan readyEvent // from the notification pipes' readers
	sigterm   bool
	subreaper bool // orphans of our services come to us (daemon.go)
	dirs      dirWatch
}

// control is one byte read from a supervise/control FIFO.
type control struct {
	log bool // from log/supervise/control
	c   byte
}

// fatalError carries a message worded as runit's fatal() prints it.
type fatalError struct {
	msg string
	err error // nil for runit's fatalx: no errno text
}

func (e *fatalError) Error() string { return e.msg }

// errorText words an error from setup as runit would print it.
func errorText(err error) string {
	var fe *fatalError
	if errors.As(err, &fe) && fe.err != nil {
		return fe.msg + ": " + errtext.Of(fe.err)
	}
	return err.Error()
}

// Main runs runsv with args (args[0] is the program name) and returns its
// exit code. Children inherit stdin, stdout and stderr.
func Main(args []string, stdin, stdout, stderr *os.File) int {
	if len(args) != 2 {
		fmt.Fprintf(stderr, "usage: %s dir\n\n", args[0])
		return exitUsage
	}
	r := &runsv{dir: args[1], stdio: [3]*os.File{stdin, stdout, stderr}, stderr: stderr, env: childEnv()}
	// Catch CHLD and TERM before any child exists; TERM becomes control
	// byte 'x' in the loop, as runsv(8) says.
	r.sigc = make(chan os.Signal, 8)
	signal.Notify(r.sigc, unix.SIGCHLD, unix.SIGTERM)
	defer signal.Stop(r.sigc)
	if err := r.setup(); err != nil {
		var fe *fatalError
		if errors.As(err, &fe) {
			r.printFatal(fe.msg, fe.err)
		} else {
			r.printFatal(err.Error(), nil)
		}
		return exitFatal
	}
	return r.loop()
}

// Output rules (runit's runsv): every line goes to stderr as
// "runsv DIR: fatal: what: errno text" or "runsv DIR: warning: ...", with
// errno in djb's words (package errtext).

func (r *runsv) printFatal(msg string, err error) {
	if err != nil {
		msg += ": " + errtext.Of(err)
	}
	fmt.Fprintf(r.stderr, "runsv %s: fatal: %s\n", r.dir, msg)
}

func (r *runsv) warnErr(msg string, err error) {
	if err != nil {
		msg += ": " + errtext.Of(err)
	}
	fmt.Fprintf(r.stderr, "runsv %s: warning: %s\n", r.dir, msg)
}

func fatal(msg string, err error) error { return &fatalError{msg: msg, err: err} }

// setup changes into the service directory, finds the log service, and
// opens, locks and creates everything under supervise/, in runit's order.
func (r *runsv) setup() error {
	abs := absDir(r.dir)
	if err := unix.Chdir(r.dir); err != nil {
		return fatal("unable to change to directory", err)
	}
	r.main = newService(false)
	if exists("down") {
		r.main.want = wantDown
	}
	var st unix.Stat_t
	if err := unix.Stat("log", &st); err != nil {
		if err != unix.ENOENT {
			r.warnErr("unable to stat() ./log: ", err)
		}
	} else if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		r.warnErr("./log: not a directory.", nil)
	} else {
		r.log = newService(true)
		if exists("log/down") {
			r.log.want = wantDown
		}
		pr, pw, err := os.Pipe()
		if err != nil {
			return fatal("unable to create log pipe", err)
		}
		r.logPipe = [2]*os.File{pr, pw}
	}
	if err := r.openSupervise(); err != nil {
		return err
	}
	r.watchDir(abs)
	return nil
}

// openSupervise creates and opens supervise/ (and log/supervise/): the
// lock, the control FIFOs, the first status, then the ok FIFOs. The main
// service comes first, so that a second runsv fails on its lock at once
// instead of waiting on the log's.
func (r *runsv) openSupervise() error {
	order := []*service{r.main}
	if r.log != nil {
		order = append(order, r.log)
	}
	for _, s := range order {
		if err := makeSuperviseDir(s.name); err != nil {
			return err
		}
		var err error
		if s.isLog {
			// runit waits for the log lock but not for the main one.
			s.supervise.lock, err = lock.Wait("log/supervise/lock")
		} else {
			s.supervise.lock, err = lock.Try("supervise/lock")
		}
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) && pe.Op == "open" {
				return fatal("unable to open "+s.name+"supervise/lock", err)
			}
			return fatal("unable to lock "+s.name+"supervise/lock", err)
		}
	}
	for _, s := range order {
		path := s.name + "supervise/control"
		if err := fifo.Make(path); err != nil {
			if errors.Is(err, fifo.ErrNotFIFO) {
				return fatal(path+" exists but is not a fifo", nil)
			}
			return fatal("unable to stat "+path, err)
		}
		var err error
		if s.supervise.control, s.supervise.holdCtl, err = fifo.OpenReader(path); err != nil {
			return fatal("unable to open "+path, err)
		}
		r.writeStatus(s)
	}
	for _, s := range order {
		path := s.name + "supervise/ok"
		fifo.Make(path) // as runit: only the open below decides
		fd, err := fifo.HoldReader(path)
		if err != nil {
			return fatal("unable to read "+path, err)
		}
		s.supervise.ok = fd
	}
	return nil
}

// makeSuperviseDir creates prefix+"supervise" mode 0700. When it is a
// symlink whose target is missing, the target is created: this lets a
// read-only service directory point supervise/ into a tmpfs.
func makeSuperviseDir(prefix string) error {
	path := prefix + "supervise"
	if unix.Mkdir(path, 0o700) == nil {
		return nil
	}
	target, err := os.Readlink(path)
	if err != nil {
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
			return nil // a directory, a file or nothing: opening the lock decides
		}
		return fatal("unable to readlink ./"+path, err)
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(prefix, target)
	}
	os.MkdirAll(target, 0o700)
	return nil
}

// services lists the log service first, as runit starts it first.
func (r *runsv) services() []*service {
	if r.log != nil {
		return []*service{r.log, r.main}
	}
	return []*service{r.main}
}

// exists reports whether path can be stat'ed, as runit tests for ./down.
func exists(path string) bool {
	var st unix.Stat_t
	return unix.Stat(path, &st) == nil
}

// childEnv is the environment services get: runsv's own, without the
// variables runsv set for itself when it re-executed (see lean.go).
func childEnv() []string {
	env := os.Environ()
	if os.Getenv(leanMarker) == "" {
		return env
	}
	out := env[:0:0]
	for _, kv := range env {
		if hasPrefix(kv, leanMarker+"=") || hasPrefix(kv, "GOMAXPROCS=") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
