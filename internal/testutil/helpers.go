package testutil

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

// helpers are small programs tests run as services, by name.
var helpers = map[string]func(args []string) int{
	"sigrecorder": sigRecorder,
	"linelogger":  lineLogger,
}

// recorded lists the signals sigrecorder reports, by name.
var recorded = map[os.Signal]string{
	syscall.SIGHUP: "HUP", syscall.SIGINT: "INT", syscall.SIGQUIT: "QUIT",
	syscall.SIGUSR1: "USR1", syscall.SIGUSR2: "USR2", syscall.SIGALRM: "ALRM",
	syscall.SIGTERM: "TERM", syscall.SIGCONT: "CONT", syscall.SIGWINCH: "WINCH",
}

// sigRecorder is a service that appends to the file args[1] one line
// "ready PID" and then the name of every signal it gets (dumb-init's
// print_signals). TERM ends it with exit 0 unless SIGREC_IGNORE_TERM is
// set. (Its own signal mask says nothing: the Go runtime blocks signals in
// some threads. Run scripts read /proc/$$/status before exec for that.)
func sigRecorder(args []string) int {
	out, code := openOutput(args)
	if out == nil {
		return code
	}
	c := make(chan os.Signal, 16)
	for s := range recorded {
		signal.Notify(c, s)
	}
	fmt.Fprintf(out, "ready %d\n", os.Getpid())
	ignoreTerm := os.Getenv("SIGREC_IGNORE_TERM") != ""
	for s := range c {
		fmt.Fprintln(out, recorded[s])
		if s == syscall.SIGTERM && !ignoreTerm {
			return 0
		}
	}
	return 0
}

// lineLogger is a log service that appends every line of stdin to the file
// args[1]. It reads one byte at a time, so it never takes more from the
// pipe than it has written; on TERM it finishes the line it is reading and
// exits, as svlogd does. What it leaves in the pipe, the next one gets.
func lineLogger(args []string) int {
	out, code := openOutput(args)
	if out == nil {
		return code
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	var line []byte
	var b [1]byte
	for {
		n, err := syscall.Read(0, b[:])
		if err == syscall.EINTR {
			continue
		}
		if n <= 0 {
			return 0 // EOF: every writer is gone
		}
		line = append(line, b[0])
		if b[0] != '\n' {
			continue
		}
		out.Write(line)
		line = line[:0]
		select {
		case <-term:
			return 0
		default:
		}
	}
}

// openOutput opens the file a helper appends to, args[1], or reports why
// not and returns the exit code.
func openOutput(args []string) (*os.File, int) {
	name := filepath.Base(args[0])
	if len(args) != 2 {
		fmt.Fprintf(os.Stderr, "usage: %s FILE\n", name)
		return nil, 100
	}
	out, err := os.OpenFile(args[1], os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return nil, 111
	}
	return out, 0
}
