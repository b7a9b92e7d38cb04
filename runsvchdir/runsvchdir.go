// Package runsvchdir switches the services directory runsvdir runs on, as
// runit's runsvchdir(8) does.
//
// Synopsis:
//
//	runsvchdir dir
//
// In the directory $RUNSVDIR (default /etc/runit/runsvdir; the variable is
// runit 2.3.0's), dir (relative to it, or absolute) must be a directory
// whose name does not start with a dot. runsvchdir renames the symlink
// current to previous and puts a new current, pointing to dir, in its
// place, through current.new. A runsvdir running on /etc/service, itself a
// symlink to current, then finds a new directory and changes services.
package runsvchdir

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gorunit/gorunit/internal/errtext"
	"golang.org/x/sys/unix"
)

// Exit codes, as runsvchdir(8) and runit's source give them.
const (
	exitOK    = 0
	exitUsage = 1
	exitFatal = 111
)

// defaultDir is runit's working directory for runsvchdir.
const defaultDir = "/etc/runit/runsvdir"

// Output rules (runit's runsvchdir.c): errors go to stderr as
// "PROG: fatal: what: errno text" (PROG as called), with errno in djb's
// words; success goes to stdout as "runsvchdir: DIR: now current." (or
// "current." when nothing changes), with that fixed name.

// failure is a fatal error, worded as runit's fatal() or fatalx().
type failure struct {
	msg string
	err error // nil: no errno text
}

func (f *failure) Error() string {
	if f.err == nil {
		return f.msg
	}
	return f.msg + ": " + errtext.Of(f.err)
}

func fail(msg string, err error) error { return &failure{msg, err} }

// Main runs runsvchdir with args (args[0] is the program name) and returns
// its exit code.
func Main(args []string, stdin, stdout, stderr *os.File) int {
	dir := defaultDir
	if v, ok := os.LookupEnv("RUNSVDIR"); ok {
		dir = v // runit 2.3.0: set, even empty, it wins
	}
	return run(dir, args, stdout, stderr)
}

// run is Main with the working directory given.
func run(dir string, args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 {
		fmt.Fprintf(stderr, "usage: %s dir\n\n", args[0])
		return exitUsage
	}
	msg, err := change(dir, args[1])
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "%s: fatal: %s\n", args[0], line)
		}
		return exitFatal
	}
	fmt.Fprintf(stdout, "runsvchdir: %s: %s\n", args[1], msg)
	return exitOK
}

// change makes dir/current point to next, keeping the old one as
// dir/previous, in runit's steps, and says what it did. It works from a
// descriptor of dir, as runit works from inside it after chdir, without
// changing the process's working directory.
func change(dir, next string) (string, error) {
	if next[0] == '.' {
		return "", fail(next+": must not start with a dot.", nil)
	}
	d, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err == nil {
		if err = unix.Faccessat(d, ".", unix.X_OK, 0); err != nil {
			unix.Close(d)
		}
	}
	if err != nil {
		return "", fail("unable to chdir: "+dir, err)
	}
	defer unix.Close(d)
	var st, cur unix.Stat_t
	if err := unix.Fstatat(d, next, &st, 0); err != nil {
		if err == unix.ENOENT {
			return "", fail(next, err)
		}
		return "", fail("unable to stat: "+next, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		// runit prints "DIRnot a directory.", without the separator.
		return "", fail(next+": not a directory.", nil)
	}
	if err := unix.Fstatat(d, "current", &cur, 0); err != nil {
		return "", fail("unable to stat: current", err)
	}
	if cur.Dev == st.Dev && cur.Ino == st.Ino {
		return "current.", nil
	}
	if err := unix.Unlinkat(d, "current.new", 0); err != nil && err != unix.ENOENT {
		return "", fail("unable to unlink: current.new", err)
	}
	if err := unix.Symlinkat(next, d, "current.new"); err != nil {
		return "", fail("unable to create: current.new -> "+next, err)
	}
	if err := unix.Unlinkat(d, "previous", 0); err != nil && err != unix.ENOENT {
		return "", fail("unable to unlink: previous", err)
	}
	if err := unix.Renameat(d, "current", d, "previous"); err != nil {
		return "", fail("unable to copy: current to previous", err)
	}
	if err := unix.Renameat(d, "current.new", d, "current"); err != nil {
		// As runit: put the old current back, and fail either way.
		moved := fail("unable to move: current.new to current", err)
		if err := unix.Renameat(d, "previous", d, "current"); err != nil {
			return "", errors.Join(moved, fail("unable to move previous back to current", err))
		}
		return "", moved
	}
	return "now current.", nil
}
