// Package utmpset marks a terminal line as logged out in utmp, and with
// -w in wtmp, as runit's utmpset(8) does for getty services whose finish
// script cleans up after a session.
//
// Synopsis:
//
//	utmpset [-w] line
//
// Description:
//
// utmpset finds the first record in /var/run/utmp whose ut_line is line
// and whose ut_user is not empty, and turns it into a DEAD_PROCESS
// record: ut_user and ut_host are cleared and the time is now; every
// other byte is kept. With -w it then appends a DEAD_PROCESS record for
// line, stamped now and otherwise zero, to /var/log/wtmp (created mode
// 0600). Both files are locked with flock(2) while they are written.
//
// Exit codes: 0 done, 1 usage, 111 no such record or an error. Output is
// byte for byte that of Debian's utmpset 2.1.2 (FIELD-NOTES 4.14).
package utmpset

import (
	"bytes"
	"encoding/binary"
	"io"
	"syscall"
	"time"

	"github.com/gorunit/gorunit/internal/errtext"
	"github.com/gorunit/gorunit/internal/getopt"
	"github.com/gorunit/gorunit/internal/version"
)

// The files, as glibc's _PATH_UTMP and _PATH_WTMP name them. Tests point
// these elsewhere (export_test.go); users cannot.
var (
	utmpPath = "/var/run/utmp"
	wtmpPath = "/var/log/wtmp"
)

// Exit codes (utmpset.c: usage is 1, not runit's usual 100).
const (
	exitUsage = 1
	exitFatal = 111
)

// glibc's struct utmp on x86_64 (and every 64-bit Linux with
// __WORDSIZE_TIME64_COMPAT32): 384 bytes, times as 32-bit fields.
const (
	recordSize  = 384
	offType     = 0   // int16 ut_type
	offLine     = 8   // char ut_line[32]
	lenLine     = 32  //
	offUser     = 44  // char ut_user[32]
	lenUser     = 32  //
	offHost     = 76  // char ut_host[256]
	lenHost     = 256 //
	offTime     = 340 // int32 ut_tv.tv_sec
	deadProcess = 8   // DEAD_PROCESS
)

// Output rules (runit's utmpset.c): usage errors print getopt's line as
// "utmpset: illegal option -- x", then "usage: <argv[0] as given> [-w]
// line" and an empty line, exit 1. Failures print "utmpset: fatal: ..."
// or "utmpset: warning: ..." on stderr, exit 111. Nothing on stdout.
type output struct {
	e     io.Writer
	argv0 string
}

func (o *output) usage() int {
	io.WriteString(o.e, "usage: "+o.argv0+" [-w] line\n\n")
	return exitUsage
}

// die prints "utmpset: <level>: <msg>[: <errno text>]" and returns 111.
func (o *output) die(level, msg string, err error) int {
	line := "utmpset: " + level + ": " + msg
	if err != nil {
		line += ": " + errtext.Of(err)
	}
	io.WriteString(o.e, line+"\n")
	return exitFatal
}

// Main runs utmpset with args (args[0] is the program name).
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o := &output{e: stderr, argv0: args[0]}
	opts, rest, err := getopt.Parse(args[1:], "wV")
	wtmp := false
	for _, opt := range opts {
		switch opt.Letter {
		case 'w':
			wtmp = true
		case 'V':
			io.WriteString(stderr, "$Id: gorunit "+version.Version+" $\n")
			return o.usage()
		}
	}
	if err != nil {
		io.WriteString(stderr, "utmpset: "+err.Error()+"\n")
		return o.usage()
	}
	if len(rest) == 0 {
		return o.usage()
	}
	line := rest[0]
	found, f := logoutUtmp(line)
	if f != nil {
		return o.die("fatal", f.msg, f.err)
	}
	if !found {
		return o.die("warning", "unable to logout line "+line+" in utmp: no such entry", nil)
	}
	if wtmp {
		if f := logoutWtmp(line); f != nil {
			return o.die(f.level, f.msg, f.err)
		}
	}
	return 0
}

// failure is what went wrong, worded as runit words it.
type failure struct {
	level string // "fatal" or "warning"
	msg   string
	err   error
}

// logoutUtmp rewrites the first record of line that has a user. found is
// false when there is none, or when reading or writing it fails (runit
// reports both as "no such entry"); f is set when utmp cannot be opened
// or locked.
func logoutUtmp(line string) (found bool, f *failure) {
	fd, err := syscall.Open(utmpPath, syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return false, &failure{"fatal", "unable to open " + utmpPath, err}
	}
	defer syscall.Close(fd)
	if err := flock(fd); err != nil {
		return false, &failure{"fatal", "unable to lock: " + utmpPath, err}
	}
	rec := make([]byte, recordSize)
	for {
		if n, err := readFull(fd, rec); err != nil || n != recordSize {
			return false, nil
		}
		if rec[offUser] == 0 || !lineIs(rec, line) {
			continue
		}
		clear(rec[offUser : offUser+lenUser])
		clear(rec[offHost : offHost+lenHost])
		binary.LittleEndian.PutUint32(rec[offTime:], uint32(time.Now().Unix()))
		binary.LittleEndian.PutUint16(rec[offType:], deadProcess)
		if _, err := syscall.Seek(fd, -recordSize, io.SeekCurrent); err != nil {
			return false, nil
		}
		if n, err := syscall.Write(fd, rec); err != nil || n != recordSize {
			return false, nil
		}
		return true, nil
	}
}

// lineIs compares ut_line with line as runit's str_diff does: as C
// strings, so a full 32-byte ut_line runs on into the fields after it.
func lineIs(rec []byte, line string) bool {
	s := rec[offLine:]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return string(s) == line
}

// logoutWtmp appends a DEAD_PROCESS record for line to wtmp. A line too
// long for ut_line is cut to 30 bytes, as runit cuts it. If the record
// cannot be written whole, wtmp is truncated back to its old size.
func logoutWtmp(line string) *failure {
	fd, err := syscall.Open(wtmpPath, syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_APPEND|syscall.O_CREAT|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return &failure{"fatal", "unable to open " + wtmpPath, err}
	}
	defer syscall.Close(fd)
	if err := flock(fd); err != nil {
		return &failure{"fatal", "unable to lock " + wtmpPath, err}
	}
	warn := func(err error) *failure {
		return &failure{"warning", "unable to logout line " + line + " in wtmp", err}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return warn(err)
	}
	rec := make([]byte, recordSize)
	l := line
	if len(l) > lenLine {
		l = l[:lenLine-2]
	}
	copy(rec[offLine:], l)
	binary.LittleEndian.PutUint32(rec[offTime:], uint32(time.Now().Unix()))
	binary.LittleEndian.PutUint16(rec[offType:], deadProcess)
	n, err := syscall.Write(fd, rec)
	if err != nil || n != recordSize {
		syscall.Ftruncate(fd, st.Size)
		if err == nil {
			err = syscall.ENOSPC // a short write: the disk filled up
		}
		return warn(err)
	}
	return nil
}

// flock takes an exclusive flock(2) lock, waiting for it.
func flock(fd int) error {
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX)
		if err != syscall.EINTR {
			return err
		}
	}
}

// readFull reads up to len(b) bytes, as many reads as it takes.
func readFull(fd int, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := syscall.Read(fd, b[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return n, nil
}
