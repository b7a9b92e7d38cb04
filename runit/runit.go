// Package runit is gorunit's PID 1. In container mode, the main use, it
// reaps every orphan, starts runsvdir on the service directory and,
// optionally, a main command; forwards signals; and shuts everything down
// gracefully and fast, exiting with the main command's code.
//
// Synopsis:
//
//	runit [-d svdir] [-t sec] [-r from:to]... [--] [command [args...]]
//	runit -M
//
// Container mode never runs /etc/runit/1, 2 or 3: those belong to machine
// mode (machine.go), entered only by -M or by runit-init as the kernel's
// init.
//
// Options: -d the service directory (default $SVDIR, else /etc/service);
// -t the shutdown timeout in seconds (default $RUNIT_STOP_TIMEOUT, else
// 7, so that it fits docker's default 10 s); -r rewrites a forwarded
// signal, as dumb-init's --rewrite (TERM:QUIT; to 0 drops it); -V prints
// the version; -M is machine mode.
package runit

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/gorunit/gorunit/internal/getopt"
	"github.com/gorunit/gorunit/internal/version"
)

// Exit codes.
const (
	exitUsage    = 100
	exitFatal    = 111
	exitNotFound = 127 // the main command does not exist, as a shell says
	exitNoExec   = 126 // the main command cannot be executed
)

// defaultSVDIR is Debian's service directory, as for sv.
const defaultSVDIR = "/etc/service"

// defaultStopTimeout fits docker stop's default 10 s with room to spare.
const defaultStopTimeout = 7 * time.Second

// Main runs runit in container mode with args (args[0] is the program
// name) and returns the exit code.
func Main(args []string, stdin, stdout, stderr *os.File) int {
	c := &container{stdio: [3]*os.File{stdin, stdout, stderr}, stderr: stderr, svdir: defaultSVDIR, timeout: defaultStopTimeout, rw: rewrites{}}
	if v, ok := os.LookupEnv("SVDIR"); ok && v != "" {
		c.svdir = v
	}
	if v, ok := os.LookupEnv("RUNIT_STOP_TIMEOUT"); ok {
		d, err := seconds(v)
		if err != nil {
			return c.usage(fmt.Sprintf("RUNIT_STOP_TIMEOUT: %v", err))
		}
		c.timeout = d
	}
	opts, rest, err := getopt.Parse(args[1:], "d:t:r:MV")
	if err != nil {
		return c.usage(err.Error())
	}
	machineMode := false
	for _, o := range opts {
		switch o.Letter {
		case 'M':
			machineMode = true
		case 'd':
			c.svdir = o.Arg
		case 't':
			d, err := seconds(o.Arg)
			if err != nil {
				return c.usage(fmt.Sprintf("-t: %v", err))
			}
			c.timeout = d
		case 'r':
			if err := c.rw.parseRewrite(o.Arg); err != nil {
				return c.usage(fmt.Sprintf("-r: %v", err))
			}
		case 'V':
			fmt.Fprintf(stdout, "runit (gorunit) %s\n", version.Version)
			return 0
		}
	}
	if machineMode {
		if len(rest) > 0 {
			return c.usage("-M takes no command")
		}
		return runMachine(stdin, stdout, stderr)
	}
	c.argv = rest
	return c.run()
}

func (c *container) usage(msg string) int {
	fmt.Fprintf(c.stderr, "runit: %s\nusage: runit [-d svdir] [-t sec] [-r from:to] [--] [command [args...]]\n       runit -M\n", msg)
	return exitUsage
}

// seconds reads a whole number of seconds.
func seconds(s string) (time.Duration, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("not a number of seconds: %q", s)
	}
	return time.Duration(n) * time.Second, nil
}

// warn prints one "runit: warning: ..." line.
func (c *container) warn(format string, a ...any) {
	fmt.Fprintf(c.stderr, "runit: warning: "+format+"\n", a...)
}
