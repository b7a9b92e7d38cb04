package sv

import (
	"errors"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/gorunit/gorunit/internal/errtext"
	"github.com/gorunit/gorunit/internal/optin"
	"github.com/gorunit/gorunit/internal/status"
	"github.com/gorunit/gorunit/internal/tai64n"
	"golang.org/x/sys/unix"
)

// view is what sv reports about the service in the current directory:
// runit's status record and down file, and what gorunit adds for the
// services that opt in (optin): readiness and crash-loop backoff. Both
// the status line (putView) and -j (appendView) are written from it.
type view struct {
	rec        status.Record
	age        int64 // seconds since rec.Stamp
	normallyUp bool  // no down file
	notify     bool  // the service declares a notification-fd
	ready      bool  // notify, and supervise/ready matches rec
	readyAge   int64 // seconds since readiness, when ready
	backoff    int64 // seconds until runsv's held-back restart; 0: none
}

// describe reads the down file and gorunit's files for the record in
// s.status. Only a down file that cannot be stat'ed is an error; a
// readiness or backoff file that cannot be read is warned about and
// counts as absent.
func (s *sv) describe() (view, error) {
	var v view
	var st unix.Stat_t
	if err := unix.Stat("down", &st); err != nil {
		if err != unix.ENOENT {
			return v, err
		}
		v.normallyUp = true
	}
	v.rec, _ = status.Decode(s.status[:])
	now := taiSeconds(s.tnow)
	v.age = secondsSince(now, v.rec.Stamp)
	v.notify = s.declaresReadiness()
	if v.notify && v.rec.State == status.Run {
		if r, ok := s.readReady(); ok && r.Matches(v.rec) {
			v.ready, v.readyAge = true, secondsSince(now, r.Stamp)
		}
	}
	if v.rec.State != status.Run && v.rec.Want == status.WantUp {
		v.backoff = s.backoffLeft()
	}
	return v, nil
}

// secondsSince is now minus the label's seconds, or 0 for a label in the
// future, as runit computes a status line's age.
func secondsSince(now uint64, l tai64n.Label) int64 {
	if now < l.Sec {
		return 0
	}
	return int64(now - l.Sec)
}

// declaresReadiness reports whether the service in the current directory
// has a valid notification-fd file (optin). An invalid one is warned
// about and ignored, as if absent.
func (s *sv) declaresReadiness() bool {
	fd, err := optin.NotificationFD(".")
	if err != nil {
		s.fileWarning(optin.NotificationFDFile, err)
		return false
	}
	return fd != 0
}

// readReady reads supervise/ready; false when it is missing or unusable.
func (s *sv) readReady() (status.Ready, bool) {
	b, ok := s.readExtra(status.ReadyFile, status.ReadySize)
	if !ok {
		return status.Ready{}, false
	}
	r, _ := status.DecodeReady(b)
	return r, true
}

// backoffLeft returns the whole seconds, rounded up, until the restart
// supervise/backoff announces, or 0 without one in the future (the file of
// a runsv that has gone is stale).
func (s *sv) backoffLeft() int64 {
	b, ok := s.readExtra(status.BackoffFile, status.BackoffSize)
	if !ok {
		return 0
	}
	r, _ := status.DecodeBackoff(b)
	// Both sides as labels: runit's 500 ns must not make 1 s read 2 s.
	left := r.Until.Time().Sub(tai64n.FromTime(s.tnow).Time())
	if left <= 0 {
		return 0
	}
	return int64((left + time.Second - 1) / time.Second)
}

// readExtra reads a record of gorunit's from supervise/: size bytes, or
// false when the file is missing, unreadable or of another length (the
// last two with a warning).
func (s *sv) readExtra(name string, size int) ([]byte, bool) {
	f, err := os.Open("supervise/" + name)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.fileWarning("supervise/"+name, err)
		}
		return nil, false
	}
	defer f.Close()
	b := make([]byte, size+1)
	n, err := io.ReadFull(f, b)
	switch {
	case err != nil && err != io.ErrUnexpectedEOF && err != io.EOF:
		s.fileWarning("supervise/"+name, err)
		return nil, false
	case n != size:
		s.fileWarning("supervise/"+name, status.ErrFormat)
		return nil, false
	}
	return b[:size], true
}

// fileWarning is a warning on stderr, not counted, about one of gorunit's
// files: "warning: unable to read web/supervise/ready: access denied", or
// "warning: web/notification-fd: " and what is wrong with its content.
func (s *sv) fileWarning(file string, err error) {
	dir := s.name + "/"
	if s.isLog {
		dir += "log/"
	}
	line := "warning: " + dir + err.Error() // optin's messages start with the file's name
	var errno syscall.Errno
	if errors.As(err, &errno) || err == status.ErrFormat {
		line = "warning: unable to read " + dir + file + ": " + errtext.Of(err)
	}
	// A wait rereads the files every round: say it once.
	if s.warned[line] {
		return
	}
	if s.warned == nil {
		s.warned = map[string]bool{}
	}
	s.warned[line] = true
	s.w.Flush()
	io.WriteString(s.e, line+"\n")
}
