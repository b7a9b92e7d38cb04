// Package runit is gorunit's PID 1. In container mode, the main use, it
// reaps every orphan, starts runsvdir on the service directory and,
// optionally, a main command; forwards signals; and shuts everything down
// gracefully and fast, exiting with the main command's code. Called as
// my_init it is a drop-in for phusion baseimage-docker's my_init.
//
// Synopsis:
//
//	runit [-d svdir] [-t sec] [-r from:to]... [--long-option]... [--] [command [args...]]
//	my_init [--skip-startup-files] [--skip-runit] [--no-kill-all-on-exit] [--quiet] [-- command [args...]]
//	runit --release [pid]
//	runit -M
//
// Container mode never runs /etc/runit/1, 2 or 3: those belong to machine
// mode (machine.go), entered only by -M or by runit-init as the kernel's
// init.
//
// Options: -d the service directory (default $SVDIR, else /etc/service);
// -t the shutdown timeout in seconds (default $RUNIT_STOP_TIMEOUT, else
// $KILL_PROCESS_TIMEOUT, else 7, so that it fits docker's default 10 s);
// -r rewrites a forwarded signal, as dumb-init's --rewrite (TERM:QUIT; to
// 0 drops it); -V prints the version; -M is machine mode. The long
// options are in longOptions below; docs/runit.8 has them all.
package runit

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gorunit/gorunit/internal/errtext"
	"github.com/gorunit/gorunit/internal/getopt"
	"github.com/gorunit/gorunit/internal/version"
	"golang.org/x/sys/unix"
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

// defaultKillGrace is how long processes left at the end get between
// TERM and KILL ($KILL_ALL_PROCESSES_TIMEOUT changes it).
const defaultKillGrace = 500 * time.Millisecond

// shortOptions is runit's getopt spec.
const shortOptions = "d:t:r:MV"

// longOptions are the long options, each with whether it takes an
// argument. my_init's are accepted under both names.
var longOptions = map[string]bool{
	"container-env":       true,  // DIR: the container environment directory
	"no-container-env":    false, // write no container environment
	"hold-on-failure":     false, // keep running when the main command fails
	"release":             false, // end another runit's hold (a command)
	"skip-startup-files":  false, // my_init: no my_init.d, no rc.local
	"skip-runit":          false, // my_init: no runsvdir
	"no-kill-all-on-exit": false, // my_init: leave leftover processes alone
	"quiet":               false, // my_init: warnings only
	"enable-insecure-key": false, // my_init: accepted and ignored
}

// Main runs runit in container mode with args (args[0] is the program
// name; my_init selects my_init's conventions) and returns the exit code.
func Main(args []string, stdin, stdout, stderr *os.File) int {
	name := "runit"
	if len(args) > 0 && filepath.Base(args[0]) == "my_init" {
		name = "my_init"
	}
	// Catch the signals first of all: a docker stop that comes before
	// would get the Go runtime's default, an exit with code 2.
	// The channel stays registered when Main returns: its caller exits
	// at once, and unregistering costs a round trip to the runtime's
	// signal thread per signal, at the very end of a shutdown.
	sigc := make(chan os.Signal, 32)
	for _, s := range caught() {
		signal.Notify(sigc, s)
	}
	c := newContainer(name, [3]*os.File{stdin, stdout, stderr})
	if msg := c.fromEnvironment(); msg != "" {
		return c.usage(msg)
	}
	long, rest, err := splitLong(args[1:], shortOptions)
	if err != nil {
		return c.usage(err.Error())
	}
	opts, rest, err := getopt.Parse(rest, "d:t:r:MV")
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
			fmt.Fprintf(stdout, "%s (gorunit) %s\n", name, version.Version)
			return 0
		}
	}
	for _, o := range long {
		switch o.name {
		case "release":
			return c.release(rest)
		case "container-env":
			c.envDir = o.arg
		case "no-container-env":
			c.envDir = ""
		case "hold-on-failure":
			c.hold = true
		case "skip-startup-files":
			c.skipStartup = true
		case "skip-runit":
			c.skipRunit = true
		case "no-kill-all-on-exit":
			c.killAll = false
		case "quiet":
			c.verbose = false
		case "enable-insecure-key":
			c.warn("--enable-insecure-key is not supported and ignored: no ssh key is installed")
		}
	}
	if machineMode {
		if len(rest) > 0 {
			return c.usage("-M takes no command")
		}
		if len(long) > 0 {
			return c.usage("-M takes no long option")
		}
		signal.Stop(sigc)
		return runMachine(stdin, stdout, stderr)
	}
	c.argv = rest
	return c.run(sigc)
}

// fromEnvironment reads the settings that come from variables, and
// returns a usage message when one is malformed.
func (c *container) fromEnvironment() string {
	if v, ok := os.LookupEnv("SVDIR"); ok && v != "" {
		c.svdir = v
	}
	for _, name := range []string{"KILL_PROCESS_TIMEOUT", "RUNIT_STOP_TIMEOUT"} { // the second wins
		if v, ok := os.LookupEnv(name); ok {
			d, err := seconds(v)
			if err != nil {
				return fmt.Sprintf("%s: %v", name, err)
			}
			c.timeout = d
		}
	}
	if v, ok := os.LookupEnv("KILL_ALL_PROCESSES_TIMEOUT"); ok {
		d, err := seconds(v)
		if err != nil {
			return fmt.Sprintf("KILL_ALL_PROCESSES_TIMEOUT: %v", err)
		}
		c.killGrace = d
	}
	switch v := os.Getenv(containerEnvVar); v {
	case "":
	case "off":
		c.envDir = ""
	default:
		c.envDir = v
	}
	switch strings.ToLower(os.Getenv(holdVar)) {
	case "", "0", "off", "no":
	case "1", "on", "yes":
		c.hold = true
	default:
		return fmt.Sprintf("%s: want 1 or 0, got %q", holdVar, os.Getenv(holdVar))
	}
	return ""
}

func (c *container) usage(msg string) int {
	fmt.Fprintf(c.stderr, "%s: %s\nusage: %s [-d svdir] [-t sec] [-r from:to] [--long-option]... [--] [command [args...]]\n"+
		"       %s --release [pid]\n       runit -M\n", c.name, msg, c.name, c.name)
	return exitUsage
}

// release ends the hold of the runit whose pid is the operand (default
// 1, a container's runit): a USR1 signal, which a holding runit takes as
// the end of the hold (see hold in container.go).
func (c *container) release(operands []string) int {
	pid := 1
	if len(operands) > 1 {
		return c.usage("--release takes at most one pid")
	}
	if len(operands) == 1 {
		n, err := strconv.Atoi(operands[0])
		if err != nil || n < 1 {
			return c.usage(fmt.Sprintf("--release: not a pid: %q", operands[0]))
		}
		pid = n
	}
	if err := unix.Kill(pid, unix.SIGUSR1); err != nil {
		fmt.Fprintf(c.stderr, "%s: fatal: unable to signal %d: %s\n", c.name, pid, errtext.Of(err))
		return exitFatal
	}
	return 0
}

// longOpt is one long option and its argument.
type longOpt struct{ name, arg string }

// splitLong takes the long options ("--name", "--name=value", "--name
// value") out of args, up to the first operand or "--", and returns them
// and the rest for getopt, which knows short options only: a short
// option's separate argument is passed along untouched.
func splitLong(args []string, spec string) ([]longOpt, []string, error) {
	var long []longOpt
	var rest []string
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" || len(a) < 2 || a[0] != '-' {
			break
		}
		if !strings.HasPrefix(a, "--") {
			rest = append(rest, a)
			for j := 1; j < len(a); j++ {
				k := strings.IndexByte(spec, a[j])
				if a[j] == ':' || k < 0 || k+1 == len(spec) || spec[k+1] != ':' {
					continue
				}
				if j+1 == len(a) && i+1 < len(args) { // "-d dir": dir is an argument
					i++
					rest = append(rest, args[i])
				}
				break
			}
			continue
		}
		name, val, hasVal := strings.Cut(a[2:], "=")
		takes, ok := longOptions[name]
		switch {
		case !ok:
			return nil, nil, fmt.Errorf("illegal option -- %s", a)
		case takes && !hasVal:
			if i+1 == len(args) {
				return nil, nil, fmt.Errorf("option requires an argument -- %s", a)
			}
			i++
			val = args[i]
		case !takes && hasVal:
			return nil, nil, fmt.Errorf("option takes no argument -- --%s", name)
		}
		long = append(long, longOpt{name, val})
	}
	return long, append(rest, args[i:]...), nil
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
	fmt.Fprintf(c.stderr, c.name+": warning: "+format+"\n", a...)
}

// info prints one "my_init: ..." progress line, as my_init does, unless
// --quiet; plain runit prints none.
func (c *container) info(format string, a ...any) {
	if c.verbose {
		fmt.Fprintf(c.stderr, c.name+": "+format+"\n", a...)
	}
}
