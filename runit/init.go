package runit

// runit-init, as runit-init(8): the kernel's init, which becomes runit in
// machine mode; or, while the system is up, "runit-init 0" (halt) and
// "runit-init 6" (reboot), which ask process 1 through the stopit and
// reboot files and a CONT signal.
//
// Output rules: runit-init's own lines, "init: fatal: what: errno text"
// with errno in djb's words, and its usage line with the name it was
// called by, followed by an empty line, as runit's.

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/gorunit/gorunit/internal/errtext"
	"github.com/gorunit/gorunit/internal/version"
	"golang.org/x/sys/unix"
)

// InitMain runs runit-init with args (args[0] is the name it was called
// by) and returns the exit code: 0, or 111 on error. As process 1 it is
// runit in machine mode, whatever the arguments (they are the kernel's).
// A usage error exits 0, as runit's does and runit-init(8) says.
func InitMain(args []string, stdin, stdout, stderr *os.File) int {
	if os.Getpid() == 1 {
		return runMachine(stdin, stdout, stderr)
	}
	name := "runit-init"
	if len(args) > 0 {
		name = args[0]
	}
	if len(args) > 1 {
		switch args[1] {
		case "0":
			return tellInit(stderr, false)
		case "6":
			return tellInit(stderr, true)
		case "-V":
			fmt.Fprintf(stdout, "runit-init (gorunit) %s\n", version.Version)
			return 0
		}
	}
	fmt.Fprintf(stderr, "usage: %s 0|6\n\n", name)
	return 0
}

// tellInit asks process 1 to halt (reboot false) or to reboot: stopit
// becomes u+x, reboot becomes u+x too (6) or mode 0 (0), and process 1
// gets CONT, on which runit in stage 2 takes stopit as a shutdown request.
func tellInit(stderr io.Writer, reboot bool) int {
	stopit, rebootFile := stagePath("stopit"), stagePath("reboot")
	if what, err := flagFile(stopit); err != nil {
		return initFatal(stderr, what, err)
	}
	if reboot {
		if what, err := flagFile(rebootFile); err != nil {
			return initFatal(stderr, what, err)
		}
	} else if err := os.Chmod(rebootFile, 0); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return initFatal(stderr, "unable to chmod "+rebootFile, err)
	}
	if err := unix.Kill(1, unix.SIGCONT); err != nil {
		return initFatal(stderr, "unable to signal process 1", err)
	}
	return 0
}

// flagFile creates path (emptied if it exists) and makes it mode 0100:
// runit's "execute by owner" flag. On error it says what failed.
func flagFile(path string) (string, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return "unable to create " + path, err
	}
	f.Close()
	if err := os.Chmod(path, 0o100); err != nil {
		return "unable to chmod " + path, err
	}
	return "", nil
}

// initFatal prints runit-init's fatal line and returns its exit code.
func initFatal(stderr io.Writer, what string, err error) int {
	fmt.Fprintf(stderr, "init: fatal: %s: %s\n", what, errtext.Of(err))
	return exitFatal
}
