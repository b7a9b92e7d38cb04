// Package chpst runs a program with a changed process state, as runit's
// chpst(8) does; called as envdir, envuidgid, pgrphack, setuidgid,
// setlock or softlimit it is daemontools' program of that name, as
// runit's chpst is.
//
// Synopsis:
//
//	chpst [-vP012] [-u user[:group...]] [-U user[:group]] [-b argv0]
//	      [-e dir] [-/ root] [-C pwd] [-n inc] [-l|-L lock] [-m bytes]
//	      [-d bytes] [-o n] [-p n] [-f bytes] [-c bytes] [-r bytes]
//	      [-t sec] prog [args...]
//	envdir dir prog...        envuidgid account prog...
//	setuidgid account prog... pgrphack prog...
//	setlock [-nNxX] file prog...
//	softlimit [-a|-c|-d|-f|-l|-m|-o|-p|-r|-s|-t n|=]... prog...
//
// Description:
//
// Whatever the order of the options, chpst applies them in runit's fixed
// order (runner.apply): new session (-P), environment directory (-e),
// chroot (-/), working directory (-C, from runit 2.2.0), nice (-n), $UID
// and $GID (-U), user and groups (-u), lock (-l, -L), closing 0, 1, 2,
// resource limits, and then replaces itself with prog (execve: the same
// PID), found in chpst's own $PATH. A failing step prints one line and
// exits, so prog never starts with half of what was asked.
//
// Exit codes: 100 usage, 111 failure; otherwise prog's own. Output is
// byte for byte that of Debian's chpst 2.1.2 (FIELD-NOTES 4.14).
package chpst

import (
	"io"
	"runtime"
	"strings"

	"github.com/gorunit/gorunit/internal/errtext"
	"github.com/gorunit/gorunit/internal/getopt"
	"github.com/gorunit/gorunit/internal/version"
)

// Exit codes (chpst(8)).
const (
	exitUsage = 100
	exitFatal = 111
)

// usageMain is Debian's usage line, which lists -V and -t (upstream's
// 2.1.2 does not) and, being 2.1.2's, not -C.
const usageMain = " [-vVP012] [-u user[:group]] [-U user[:group]] [-b argv0] [-e dir] [-/ root] [-n nice] [-l|-L lock] [-m n] [-d n] [-o n] [-p n] [-f n] [-c n] [-t n] prog"

// Output rules (runit's chpst.c): nothing on stdout. Failures print
// "chpst: fatal: <what>[: <errno text>]" on stderr and exit 111, under
// every name (runit's FATAL is a literal); warnings "chpst: warning: ...".
// Usage errors print getopt's line, if any, as "<argv0 base>: illegal
// option -- x", then "usage: <name><usage>" and an empty line, and exit
// 100. <name> is argv[0]'s base name without a leading 'd', as runit
// computes it.

// output writes chpst's lines to stderr.
type output struct {
	e        io.Writer
	progname string // for usage lines: base name, a leading 'd' dropped
	optname  string // for getopt's lines: base name
}

func (o *output) usage(text string) int {
	io.WriteString(o.e, "usage: "+o.progname+text+"\n\n")
	return exitUsage
}

// badOption prints getopt's complaint and then the usage line.
func (o *output) badOption(err error, text string) int {
	io.WriteString(o.e, o.optname+": "+err.Error()+"\n")
	return o.usage(text)
}

func (o *output) fatal(f *failure) int {
	io.WriteString(o.e, "chpst: fatal: "+f.Error()+"\n")
	return exitFatal
}

func (o *output) warn(msg string, err error) {
	io.WriteString(o.e, "chpst: warning: "+msg+": "+errtext.Of(err)+"\n")
}

// failure is a step that failed: what, and the errno if there is one,
// which is printed in djb's words.
type failure struct {
	msg string
	err error
}

func (f *failure) Error() string {
	if f.err == nil {
		return f.msg
	}
	return f.msg + ": " + errtext.Of(f.err)
}

// Main runs chpst, or the daemontools program its name says. It returns
// an exit code only when it did not exec the program.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Linux keeps the nice value per thread; the thread that sets it
	// must be the one that calls execve.
	runtime.LockOSThread()
	r, code := parse(args, stderr)
	if r == nil {
		return code
	}
	return r.apply()
}

// parse reads the arguments for the program args[0] names and returns
// the runner for them, or nil and the exit code after a usage error.
// It changes nothing, so tests call it directly.
func parse(args []string, stderr io.Writer) (*runner, int) {
	o := &output{e: stderr, optname: baseName(args[0])}
	o.progname = strings.TrimPrefix(o.optname, "d")
	front, ok := aliases[o.progname]
	if !ok {
		front = parseChpst
	}
	p, code := front(o, args[1:])
	if p == nil {
		return nil, code
	}
	return &runner{out: o, plan: p}, 0
}

// baseName is the part of argv[0] after its last slash.
func baseName(argv0 string) string {
	return argv0[strings.LastIndexByte(argv0, '/')+1:]
}

// parseChpst reads chpst's own options into a plan. Options are handled
// in order, so that a malformed number is reported before a later
// illegal option, as runit's getopt loop does.
func parseChpst(o *output, args []string) (*plan, int) {
	p := newPlan()
	p.ext = true
	p.skipEnvSubdirs = true
	opts, rest, perr := getopt.Parse(args, "u:U:b:e:m:d:o:p:f:c:r:t:/:C:n:l:L:vP012V")
	hasLock := false
	for _, opt := range opts {
		a := opt.Arg
		switch opt.Letter {
		case 'u':
			p.setUser = &a
		case 'U':
			p.envUser = &a
		case 'b':
			p.argv0 = &a
		case 'e':
			p.envDir = &a
		case '/':
			p.root = &a
		case 'C':
			p.pwd = &a
		case 'n':
			n, ok := parseNice(a)
			if !ok {
				return nil, o.usage(usageMain)
			}
			p.nice = n
		case 'l', 'L':
			if hasLock {
				return nil, o.usage(usageMain)
			}
			hasLock = true
			p.lock, p.lockWait = &a, opt.Letter == 'l'
		case 'v':
			p.verbose = true
		case 'P':
			p.setsid = true
		case '0', '1', '2':
			p.closeFD[opt.Letter-'0'] = true
		case 'V':
			io.WriteString(o.e, "$Id: gorunit "+version.Version+" $\n")
			return nil, o.usage(usageMain)
		default: // a limit
			n, ok := parseNumber(a)
			if !ok {
				return nil, o.usage(usageMain)
			}
			for _, l := range chpstLimits[opt.Letter] {
				p.limits[l] = n
			}
		}
	}
	if perr != nil {
		return nil, o.badOption(perr, usageMain)
	}
	if len(rest) == 0 {
		return nil, o.usage(usageMain)
	}
	p.file = rest[0]
	p.argv = append([]string(nil), rest...)
	if p.argv0 != nil {
		p.argv[0] = *p.argv0
	}
	return p, 0
}

// chpstLimits maps chpst's limit options to the limits they set; -m sets
// four at once.
var chpstLimits = map[byte][]int{
	'm': {limStack, limMemlock, limAS, limData},
	'd': {limData},
	'o': {limNofile},
	'p': {limNproc},
	'f': {limFsize},
	'c': {limCore},
	'r': {limRSS},
	't': {limCPU},
}

// parseNumber reads an option's number as runit does: decimal digits to
// the end (none at all is 0), wrapping around on overflow, then taken as
// a signed long, so that a number past 2^63 is negative and means the
// hard limit. ok is false when anything follows the digits.
func parseNumber(s string) (int64, bool) {
	v, n := scanUlong(s)
	return int64(v), n == len(s)
}

// parseNice reads -n's argument: digits, optionally after + or -.
func parseNice(s string) (int64, bool) {
	switch {
	case strings.HasPrefix(s, "-"):
		n, ok := parseNumber(s[1:])
		return -n, ok
	case strings.HasPrefix(s, "+"):
		return parseNumber(s[1:])
	}
	return parseNumber(s)
}
