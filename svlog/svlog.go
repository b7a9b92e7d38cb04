// Package svlog is gorunit's svlogd: it reads log lines on standard input
// and writes them to log directories, rotating, selecting and processing
// them as runit's svlogd(8) does, with the same files and names.
//
// Synopsis:
//
//	svlogd [-tttv] [-r c] [-R abc] [-l len] [-b buflen] [-m size] dir ...
//
// Description:
//
// Each dir holds current (the log being written), lock, an optional
// config (s n N t ! u U p + - e E directives), rotated files
// @<tai64n>.s, and, with a processor, @<tai64n>.u waiting for it and
// state/newstate. HUP re-reads the configs and reopens, ALRM rotates,
// TERM or end of input writes everything and exits 0.
//
// Unlike runit's, svlogd never blocks the service on a write error: it
// keeps reading into a memory buffer (-m, 4 MiB by default), retries every
// second, and stops reading only when that buffer is full. Processors run
// without holding up logging; rotated files queue for them.
//
// Bugs: -b is checked against -l but does not size anything: svlogd reads
// in blocks of 64 KiB.
package svlog

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/gorunit/gorunit/internal/getopt"
	"github.com/gorunit/gorunit/internal/version"
)

// Exit codes: runit's svlogd uses 111 for usage errors too.
const (
	exitOK    = 0
	exitFatal = 111
)

// usageText follows the program name in runit's usage line, which we keep
// as it is; -m is in svlogd(8).
const usageText = " [-ttv] [-r c] [-R abc] [-l len] [-b buflen] dir ...\n\n"

// Option defaults (svlogd(8)).
const (
	defaultLineMax = 1000    // -l: bytes of a line that patterns see
	defaultBufLen  = 1024    // -b: must exceed -l
	defaultMemory  = 4 << 20 // -m: bytes kept in memory while writes fail
)

// options are the command-line options.
type options struct {
	stamp   int    // stampNone, stampTAI, stampHuman, stampISO
	repl    byte   // -r: replacement character, 0 for none
	replace string // -R: characters replaced besides non-printables
	linemax int
	buflen  int
	verbose bool
	memory  int // -m
}

// usageError means: print the usage line and exit 111, after a getopt
// message or the version when there is one.
type usageError struct {
	getopt  error
	version bool
}

func (e *usageError) Error() string { return "usage" }

// parseArgs reads runit's options, and ours (-m), from args (without the
// program name), as runit's main does.
func parseArgs(args []string) (options, []string, error) {
	o := options{linemax: defaultLineMax, buflen: defaultBufLen, memory: defaultMemory}
	opts, dirs, err := getopt.Parse(args, "R:r:l:b:m:tvV")
	for _, op := range opts {
		switch op.Letter {
		case 'R':
			o.replace = op.Arg
			if o.repl == 0 {
				o.repl = '_'
			}
		case 'r':
			if len(op.Arg) != 1 || op.Arg[0] == 0 {
				return o, nil, &usageError{}
			}
			o.repl = op.Arg[0]
		case 'l':
			v, _ := scanUlong(op.Arg)
			o.linemax = int(min(v, 1<<30))
			if o.linemax == 0 {
				o.linemax = defaultLineMax
			}
		case 'b':
			v, _ := scanUlong(op.Arg)
			o.buflen = int(min(v, 1<<31))
			if o.buflen == 0 {
				o.buflen = defaultBufLen
			}
		case 'm':
			v, k := scanUlong(op.Arg)
			o.memory = int(min(int64(v)*suffix(op.Arg[k:], 'k', 'm'), 1<<40))
		case 't':
			o.stamp = min(o.stamp+1, stampISO)
		case 'v':
			o.verbose = true
		case 'V':
			return o, nil, &usageError{version: true}
		}
	}
	if err != nil {
		return o, nil, &usageError{getopt: err}
	}
	if len(dirs) == 0 || o.buflen <= o.linemax {
		return o, nil, &usageError{}
	}
	return o, dirs, nil
}

// Main runs svlogd with args (args[0] is the name it was called by) and
// returns its exit code: 0 after end of input or TERM, 111 on a usage
// error or when no log directory can be used.
func Main(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	opt, dirs, err := parseArgs(args[1:])
	if err != nil {
		ue := err.(*usageError)
		switch {
		case ue.version:
			fmt.Fprintf(stderr, "$Id: gorunit %s $\n", version.Version)
		case ue.getopt != nil:
			// sgetopt names the program by the base of argv[0]; the
			// usage line, by argv[0] as given.
			fmt.Fprintf(stderr, "%s: %v\n", filepath.Base(args[0]), ue.getopt)
		}
		fmt.Fprintf(stderr, "usage: %s%s", args[0], usageText)
		return exitFatal
	}
	if _, set := os.LookupEnv("GOMAXPROCS"); !set {
		// One thread: the reader and the loop hand blocks to each other,
		// and across threads every hand-off is a futex wake-up, which
		// tripled svlogd's CPU time per GB on the 2-core dev VM.
		runtime.GOMAXPROCS(1)
	}
	l := newLogger(opt, dirs, stderr, time.Now)
	if !l.openAll() {
		l.fatal("no functional log directories.")
		return exitFatal
	}
	return l.run(stdin)
}

// fatal prints runit's fatalx line.
func (l *Logger) fatal(msg string) {
	l.errw.WriteString("svlogd: fatal: " + msg + "\n")
	l.flushStderr()
}
