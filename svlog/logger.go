package svlog

import (
	"bufio"
	"bytes"
	"io"
	"time"

	"github.com/gorunit/gorunit/internal/errtext"
	"golang.org/x/sys/unix"
)

// Logger is one svlogd: the options, the log directories, and the line
// being read. One goroutine owns it (the loop in run, or a test).
type Logger struct {
	opt    options
	clock  func() time.Time // injectable, so tests can move time backwards
	stderr io.Writer
	errw   *bufio.Writer // stderr, flushed after each block of input
	dirs   []*logdir
	procC  chan procExit

	stamps  stamper
	replace [256]bool // bytes that -r/-R replace in the first linemax

	// The line being read when it spans blocks or is longer than linemax.
	inLine    bool
	lineStamp []byte
	head      []byte // its first linemax bytes, replaced
	headDone  bool   // head is complete and logged; the rest streams out
	scratch   []byte // a replaced copy of a short line
	udpMsg    []byte

	memoryFull bool // said so: the memory buffer is full, reading stopped
}

// newLogger makes a Logger for the directories names; nothing is opened.
func newLogger(opt options, names []string, stderr io.Writer, clock func() time.Time) *Logger {
	l := &Logger{opt: opt, clock: clock, stderr: stderr, errw: bufio.NewWriterSize(stderr, 4096),
		procC: make(chan procExit, len(names))}
	l.stamps.kind = opt.stamp
	if opt.repl != 0 {
		for c := range 256 {
			l.replace[c] = c < 32 || c > 126
		}
		for i := 0; i < len(opt.replace); i++ {
			l.replace[opt.replace[i]] = true
		}
	}
	for _, n := range names {
		l.dirs = append(l.dirs, &logdir{l: l, name: n, udp: -1})
	}
	return l
}

// openAll opens every log directory, and reports whether one works.
func (l *Logger) openAll() bool {
	ok := false
	for _, d := range l.dirs {
		if d.openDir() {
			ok = true
		}
	}
	l.flushStderr()
	return ok
}

// Output rules (runit's svlogd.c): every message is one line on stderr,
// "svlogd: fatal: ", "svlogd: warning: ", "svlogd: pausing: " or
// "svlogd: info: " (the last only with -v, but for the end of a write
// error), then what, the directory or file, and the errno in djb's words.

func (l *Logger) warnText(msg string) {
	l.errw.WriteString("svlogd: warning: " + msg + "\n")
	l.flushStderr()
}

// warn2 is runit's warn2: "what: name: errno text".
func (l *Logger) warn2(what, name string, err error) {
	l.warnText(what + ": " + name + ": " + errtext.Of(err))
}

// warnx is runit's warnx: "what: name", no errno.
func (l *Logger) warnx(what, name string) { l.warnText(what + ": " + name) }

func (l *Logger) pausing(msg string) {
	l.errw.WriteString("svlogd: pausing: " + msg + "\n")
	l.flushStderr()
}

// info prints a -v message.
func (l *Logger) info(msg string) {
	if l.opt.verbose {
		l.infoAlways(msg)
	}
}

func (l *Logger) infoAlways(msg string) {
	l.errw.WriteString("svlogd: info: " + msg + "\n")
	l.flushStderr()
}

func (l *Logger) flushStderr() { l.errw.Flush() }

// feed logs a block of input read at time now. Lines are cut at '\n';
// the first linemax bytes of each are what patterns, -r/-R, standard
// error and UDP see, the whole line goes to current (runit's main loop).
func (l *Logger) feed(data []byte, now time.Time) {
	stamp := l.stamps.at(now)
	lm := l.opt.linemax
	for len(data) > 0 {
		if !l.inLine {
			// The common case: a whole short line in this block.
			nl := bytes.IndexByte(data, '\n')
			if nl >= 0 && nl <= lm {
				line := data[:nl]
				if l.opt.repl != 0 {
					l.scratch = append(l.scratch[:0], line...)
					l.replaceIn(l.scratch)
					line = l.scratch
				}
				l.beginLine(stamp, line, nl == lm)
				l.endLine()
				data = data[nl+1:]
				continue
			}
			l.inLine, l.headDone = true, false
			l.lineStamp = append(l.lineStamp[:0], stamp...)
			l.head = l.head[:0]
		}
		nl := bytes.IndexByte(data, '\n')
		seg := data
		if nl >= 0 {
			seg = data[:nl]
		}
		if !l.headDone {
			k := min(len(seg), lm-len(l.head))
			start := len(l.head)
			l.head = append(l.head, seg[:k]...)
			if l.opt.repl != 0 {
				l.replaceIn(l.head[start:])
			}
			data, seg = data[k:], seg[k:]
			if len(l.head) < lm {
				if nl < 0 {
					return // the line goes on in the next block
				}
				l.beginLine(l.lineStamp, l.head, false)
				l.endLine()
				l.inLine = false
				data = data[1:]
				continue
			}
			l.beginLine(l.lineStamp, l.head, true)
			l.headDone = true
		}
		// Past linemax: the rest of the line goes to current as it is.
		l.tail(seg)
		data = data[len(seg):]
		if nl >= 0 {
			l.endLine()
			l.inLine = false
			data = data[1:]
		}
	}
}

func (l *Logger) replaceIn(b []byte) {
	for i, c := range b {
		if l.replace[c] {
			b[i] = l.opt.repl
		}
	}
}

// beginLine decides, for each directory, whether the line is logged, sent
// to stderr or over UDP, and writes the stamp, the prefix and head; full
// means head holds linemax bytes, which standard error and UDP mark with
// "...".
func (l *Logger) beginLine(stamp, head []byte, full bool) {
	for _, d := range l.dirs {
		d.writes = false
		if !d.open {
			continue
		}
		if len(d.cfg.inst) > 0 {
			d.logmatch(head)
		}
		if d.matcherr == 'e' {
			l.errw.Write(stamp)
			l.errw.Write(d.cfg.prefix)
			l.errw.Write(head)
			if full {
				l.errw.WriteString("...")
			}
			l.errw.WriteByte('\n')
		}
		if d.match != '+' {
			continue
		}
		if d.cfg.udp != nil {
			l.sendUDP(d, stamp, head, full)
		}
		if d.cfg.udponly {
			continue
		}
		d.writes = true
		if stamp != nil {
			d.put(stamp)
		}
		if len(d.cfg.prefix) > 0 {
			d.put(d.cfg.prefix)
		}
		d.put(head)
	}
}

var newline = []byte{'\n'}

// tail writes more of a line longer than linemax.
func (l *Logger) tail(b []byte) {
	if len(b) == 0 {
		return
	}
	for _, d := range l.dirs {
		if d.writes {
			d.put(b)
		}
	}
}

// endLine ends the line in every directory that logs it.
func (l *Logger) endLine() {
	for _, d := range l.dirs {
		if d.writes {
			d.put(newline)
			d.lineEnd()
			d.writes = false
		}
	}
}

// sendUDP sends stamp, prefix and line as one datagram, as u/U ask. When
// that fails, runit writes a warning with the message into current, even
// for U; so does this.
func (l *Logger) sendUDP(d *logdir, stamp, head []byte, full bool) {
	if d.udp < 0 {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			d.put([]byte("warning: no udp socket available: "))
			d.put(stamp)
			d.put(d.cfg.prefix)
			d.put(head)
			d.put(newline)
			d.lineEnd()
			return
		}
		d.udp = fd
	}
	m := append(l.udpMsg[:0], stamp...)
	m = append(m, d.cfg.prefix...)
	m = append(m, head...)
	if full {
		m = append(m, "..."...)
	}
	m = append(m, '\n')
	l.udpMsg = m
	if err := unix.Sendto(d.udp, m, 0, d.cfg.udp); err != nil {
		d.put([]byte("warning: failure sending through udp: "))
		d.put(m)
		d.lineEnd()
	}
}

// pending is how many bytes wait to be written, over every directory.
func (l *Logger) pending() int {
	n := 0
	for _, d := range l.dirs {
		n += d.pending()
	}
	return n
}

// flushAll writes what every directory has pending, but for those
// waiting to retry after an error.
func (l *Logger) flushAll() {
	now := l.clock()
	for _, d := range l.dirs {
		if !d.failing || !now.Before(d.retryAt) {
			d.flush()
		}
	}
	l.flushStderr()
}

// rotateAll rotates every non-empty current (ALRM).
func (l *Logger) rotateAll() {
	for _, d := range l.dirs {
		if d.open {
			d.rotateNow()
		}
	}
	l.flushAll()
}

// reopen re-reads every config and reopens current (HUP). A directory
// with output still pending is reopened once that is written. It reports
// whether any directory works.
func (l *Logger) reopen() bool {
	for _, d := range l.dirs {
		d.reopen = true
	}
	return l.reopenDue()
}

// reopenDue reopens the directories waiting for it whose output is
// written, and reports whether any directory works.
func (l *Logger) reopenDue() bool {
	ok := false
	for _, d := range l.dirs {
		if d.reopen && d.idle() {
			d.reopen = false
			d.closeDir()
			d.openDir()
		}
		ok = ok || d.open || d.reopen
	}
	l.flushStderr()
	return ok
}

// tick does what is due at now: rotations by age (tSECONDS), retries
// after write errors, processors to run again. It guards against a clock
// that went back: a deadline further away than its whole interval is
// reset, so rotation by age resumes instead of waiting for the clock to
// catch up.
func (l *Logger) tick() {
	now := l.clock()
	for _, d := range l.dirs {
		if d.open && d.cfg.tmax > 0 {
			if d.trotate.Sub(now) > d.cfg.tmax {
				d.trotate = now.Add(d.cfg.tmax)
			}
			if !now.Before(d.trotate) {
				d.rotateNow()
			}
		}
		if d.proc.busy() && d.proc.cmd == nil && !now.Before(d.proc.retryAt) {
			l.startProcessor(d)
		}
	}
	l.flushAll()
}

// nextWake is how long the loop may sleep before tick has work.
func (l *Logger) nextWake() time.Duration {
	now := l.clock()
	wake := idleWake
	at := func(t time.Time) {
		if d := t.Sub(now); d < wake {
			wake = max(d, 0)
		}
	}
	for _, d := range l.dirs {
		if d.open && d.cfg.tmax > 0 {
			at(d.trotate)
		}
		if d.failing {
			at(d.retryAt)
		}
		if d.proc.busy() && d.proc.cmd == nil {
			at(d.proc.retryAt)
		}
	}
	return wake
}

// settled reports whether everything is written and processed, so that
// svlogd may exit.
func (l *Logger) settled() bool {
	for _, d := range l.dirs {
		if !d.idle() || d.proc.busy() {
			return false
		}
	}
	return true
}

// closeAll closes every directory (at exit).
func (l *Logger) closeAll() {
	for _, d := range l.dirs {
		d.closeDir()
	}
	l.flushStderr()
}
