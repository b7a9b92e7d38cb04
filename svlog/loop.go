package svlog

import (
	"errors"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/gorunit/gorunit/internal/errtext"
	"golang.org/x/sys/unix"
)

// Timing and sizes of the loop.
const (
	// retryEvery is how often writing is tried again after an error
	// (runit pauses 3 s, and reads nothing meanwhile).
	retryEvery = time.Second
	// idleWake bounds a sleep with nothing due; runit wakes every 2744 s.
	idleWake = time.Hour
	// readBlock is the size of one read(2) of standard input: a pipe
	// holds 64 KiB by default, so one read takes what it holds.
	readBlock = 64 << 10
	// readBlocks is how many blocks the reader may fill ahead of the loop.
	readBlocks = 2
	// batchBytes is how much input is logged before the output is
	// written, when the reader is ahead.
	batchBytes = 256 << 10
	// idleRelease is how long svlogd waits without input before it gives
	// its buffers back to the system: one runs per service, mostly idle.
	idleRelease = time.Second
)

// errStopped ends the reader after TERM.
var errStopped = errors.New("stopped")

// chunk is one read of standard input; err ends the input.
type chunk struct {
	b   []byte
	err error
}

// reader reads standard input in blocks in a goroutine of its own, so
// that the loop can serve signals, timers and processors meanwhile, and
// go on reading while a directory cannot be written.
type reader struct {
	in       *os.File
	pollable bool // in supports deadlines, so stop can interrupt a read
	out      chan chunk
	free     chan []byte
	stopping atomic.Bool
}

// newReader reads from a duplicate of fd 0 of stdin in non-blocking mode
// (as runit's ndelay_on), so that Go's poller waits for it and a read
// deadline can interrupt it after TERM.
func newReader(stdin *os.File) *reader {
	r := &reader{out: make(chan chunk, readBlocks), free: make(chan []byte, readBlocks)}
	fd, err := unix.FcntlInt(stdin.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err == nil && unix.SetNonblock(fd, true) == nil {
		r.in = os.NewFile(uintptr(fd), "stdin")
		r.pollable = r.in.SetReadDeadline(time.Time{}) == nil
		if !r.pollable {
			unix.SetNonblock(fd, false) // a regular file: reads never wait
		}
	} else {
		r.in = stdin
	}
	for range readBlocks {
		r.free <- make([]byte, readBlock)
	}
	go r.loop()
	return r
}

func (r *reader) loop() {
	for {
		buf := <-r.free
		if r.stopping.Load() {
			r.out <- chunk{err: errStopped}
			return
		}
		n, err := r.in.Read(buf)
		if err != nil && r.stopping.Load() && errors.Is(err, os.ErrDeadlineExceeded) {
			err = errStopped
		}
		r.out <- chunk{b: buf[:n], err: err}
		if err != nil {
			return
		}
	}
}

// stop makes the reader end after the read under way, or at once when it
// waits for input.
func (r *reader) stop() {
	r.stopping.Store(true)
	if r.pollable {
		r.in.SetReadDeadline(time.Now())
	}
}

// release gives a block back to the reader.
func (r *reader) release(b []byte) { r.free <- b[:cap(b)] }

// run is svlogd's loop: log what the reader reads, and serve signals,
// processors and timers, until input ends (or TERM) and everything is
// written and processed.
func (l *Logger) run(stdin *os.File) int {
	sigc := make(chan os.Signal, 4)
	signal.Notify(sigc, unix.SIGHUP, unix.SIGALRM, unix.SIGTERM)
	defer signal.Stop(sigc)
	r := newReader(stdin)
	input := r.out // nil once input has ended
	timer := time.NewTimer(idleWake)
	defer timer.Stop()
	var lastInput time.Time // zero once the buffers were released
	for {
		l.tick()
		if !l.reopenDue() {
			l.fatal("no functional log directories.")
			return exitFatal
		}
		if input == nil && l.settled() {
			break
		}
		in := input
		if in != nil && !l.roomToRead() {
			in = nil
		}
		wake := l.nextWake()
		if !lastInput.IsZero() {
			wake = min(wake, max(time.Until(lastInput.Add(idleRelease)), 0))
		}
		timer.Reset(wake)
		select {
		case c := <-in:
			lastInput = time.Now()
			if err := l.take(r, c); err != nil {
				input = nil
				l.endOfInput(r, err)
			}
		case s := <-sigc:
			l.signal(s, r)
			if s == unix.SIGTERM && !r.pollable {
				input = nil // a read we cannot interrupt: don't wait for it
				l.inLine = false
			}
		case e := <-l.procC:
			l.processorExited(e)
		case <-timer.C:
			if !lastInput.IsZero() && time.Since(lastInput) >= idleRelease && l.pending() == 0 {
				l.release()
				lastInput = time.Time{}
			}
		}
	}
	l.closeAll()
	return exitOK
}

// release drops the output buffers and returns free memory to the
// system, so that an idle svlogd is small whatever its last burst was.
func (l *Logger) release() {
	for _, d := range l.dirs {
		if d.pending() == 0 {
			d.pend, d.wpos = nil, 0
		}
	}
	l.scratch, l.udpMsg = nil, nil
	if !l.inLine {
		l.head, l.lineStamp = nil, nil
	}
	debug.FreeOSMemory()
}

// take logs a chunk and whatever else the reader has ready, up to
// batchBytes, then writes the output. At the end of input it returns
// the error that ended it (io.EOF, errStopped, a read error).
func (l *Logger) take(r *reader, c chunk) error {
	total := 0
	for {
		if len(c.b) > 0 {
			l.feed(c.b, l.clock())
			total += len(c.b)
		}
		if c.err != nil {
			l.flushAll()
			return c.err
		}
		r.release(c.b)
		if total >= batchBytes || !l.roomToRead() {
			break
		}
		select {
		case c = <-r.out:
			continue
		default:
		}
		break
	}
	l.flushAll()
	return nil
}

// roomToRead reports whether the memory buffer has room for another
// block; when it has none, svlogd says so once and stops reading, which
// blocks the writer on the pipe as runit always does.
func (l *Logger) roomToRead() bool {
	if l.pending() < l.opt.memory {
		l.memoryFull = false
		return true
	}
	if !l.memoryFull {
		l.memoryFull = true
		l.pausing("memory buffer full, not reading standard input")
	}
	return false
}

// endOfInput handles the chunk that ended the input. At end of file a
// last line without a newline is dropped, as Debian's svlogd does, unless
// it is longer than linemax: then, as there, it is ended with a newline. After
// TERM, the line under way is read to its end, one byte at a time so that
// nothing more is taken from the pipe, and logged (Debian's reads it too,
// but drops it).
func (l *Logger) endOfInput(r *reader, err error) {
	switch {
	case errors.Is(err, errStopped):
		if l.inLine {
			l.finishLine(r.in)
		}
	case err != io.EOF:
		l.warnText("unable to read standard input: " + errtext.Of(err))
	}
	if l.inLine && l.headDone {
		// runit ends a line longer than linemax that input cut short.
		l.endLine()
	}
	l.inLine = false
	l.flushAll()
}

// finishLine reads the rest of a line after TERM.
func (l *Logger) finishLine(in *os.File) {
	in.SetReadDeadline(time.Time{})
	var b [1]byte
	for l.inLine {
		n, err := in.Read(b[:])
		if n == 1 {
			l.feed(b[:], l.clock())
		}
		if err != nil {
			return
		}
	}
}

// signal handles HUP (reopen), ALRM (rotate) and TERM (stop reading).
func (l *Logger) signal(s os.Signal, r *reader) {
	switch s {
	case unix.SIGHUP:
		l.info("sighangup received.")
		l.flushAll()
		l.reopen()
	case unix.SIGALRM:
		l.info("sigalarm received.")
		l.rotateAll()
	case unix.SIGTERM:
		l.info("sigterm received.")
		r.stop()
	}
}
