package runsv

import (
	"bytes"
	"os"

	"github.com/gorunit/gorunit/internal/status"
	"github.com/gorunit/gorunit/internal/tai64n"
	"golang.org/x/sys/unix"
)

// Readiness, as s6 defines it: a service whose directory holds
// notification-fd gets the write end of a pipe on that descriptor, and
// the first newline it writes there means "ready". runsv publishes the
// moment in supervise/ready (status.Ready), which sv shows and waits for.

// readyEvent says that the notification pipe f of service s saw a newline.
type readyEvent struct {
	s *service
	f *os.File
}

// extraFiles remembers which of gorunit's own supervise/ files we wrote,
// so that a service that never opted in costs no system call.
type extraFiles struct {
	ready, backoff bool
}

// notificationPipe makes the pipe for a service that declares a
// notification-fd, and returns its write end for the child, or nil.
func (r *runsv) notificationPipe(s *service) *os.File {
	if s.opts.notifyFD == 0 {
		return nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		r.warnErr("unable to create notification pipe for "+s.name+"run", err)
		return nil
	}
	s.notify = pr
	go r.watchReady(s, pr)
	return pw
}

// watchReady reads the notification pipe until the first newline, and
// tells the loop. The loop owns f and closes it, which also ends this
// reader when ./run exits without ever being ready.
func (r *runsv) watchReady(s *service, f *os.File) {
	var buf [128]byte
	for {
		n, err := f.Read(buf[:])
		if bytes.IndexByte(buf[:n], '\n') >= 0 {
			r.readyc <- readyEvent{s, f}
			return
		}
		if err != nil {
			return
		}
	}
}

// markReady records readiness of the ./run the event belongs to; a late
// event from an earlier run is dropped.
func (r *runsv) markReady(ev readyEvent) {
	s := ev.s
	if s.notify != ev.f {
		return
	}
	s.notify.Close()
	s.notify = nil
	s.ready = true
	r.writeReady(s)
}

// writeReady publishes that s is ready, for the pid that runs now. While
// runsv looks for a daemon (pid 0) it waits until there is one.
func (r *runsv) writeReady(s *service) {
	if !s.ready || s.pid == 0 || !r.dirs.goneSince.IsZero() {
		return
	}
	var b [status.ReadySize]byte
	rec := status.Ready{Stamp: tai64n.Now(), PID: s.pid}
	if s.extra.ready {
		// A daemon taking over keeps the moment ./run became ready.
		if old, err := os.ReadFile(s.paths.ready); err == nil {
			if prev, err := status.DecodeReady(old); err == nil {
				rec.Stamp = prev.Stamp
			}
		}
	}
	rec.Encode(b[:])
	if r.update(s.paths.ready, s.paths.readyNew, b[:]) {
		s.extra.ready = true
	}
}

// unready forgets the readiness of a ./run that ended or is starting.
func (r *runsv) unready(s *service) {
	s.ready = false
	if s.notify != nil {
		s.notify.Close()
		s.notify = nil
	}
	if s.extra.ready || s.opts.notifyFD != 0 {
		unix.Unlink(s.paths.ready)
		s.extra.ready = false
	}
}
