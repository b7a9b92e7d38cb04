package sv

import (
	"encoding/binary"

	"github.com/gorunit/gorunit/internal/fifo"
	"github.com/gorunit/gorunit/internal/status"
	"golang.org/x/sys/unix"
)

// readStatus reads supervise/status of the current directory into
// s.status, after checking through supervise/ok that a runsv is there.
// It returns 1 on success, 0 when no runsv runs (reported), -1 on any
// other error (reported as a warning).
func (s *sv) readStatus() int {
	if err := fifo.Probe("supervise/ok"); err != nil {
		if err == unix.ENXIO {
			s.notRunning(err, "")
			return 0
		}
		s.warn("unable to open supervise/ok", err)
		return -1
	}
	fd, err := unix.Open("supervise/status", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		s.warn("unable to open supervise/status", err)
		return -1
	}
	// Like runit, read 20 bytes: a longer file still parses.
	var buf [status.Size]byte
	n, err := readFull(fd, buf[:])
	unix.Close(fd)
	switch {
	case err != nil:
		s.warn("unable to read supervise/status", err)
		return -1
	case n != status.Size:
		s.warn("unable to read supervise/status: bad format", nil)
		return -1
	}
	s.status = buf
	return 1
}

// readFull reads like runit's single read(2) of a small regular file.
func readFull(fd int, b []byte) (int, error) {
	for {
		n, err := unix.Read(fd, b)
		if err != unix.EINTR {
			return n, err
		}
	}
}

// statusPID is the pid in the last status read.
func (s *sv) statusPID() int { return int(binary.LittleEndian.Uint32(s.status[12:16])) }

// printStatus prints the status line for the record in s.status under
// the name m: "run: m: (pid N) Ss, flags". It returns 1 when a process
// runs, 2 when none does, 0 when it could not tell (sv.c svstatus_print).
func (s *sv) printStatus(m string) int {
	v, err := s.describe()
	if err != nil {
		// runit names the service, not its log, even in log/.
		s.warn2("unable to stat "+s.name+"/down", err)
		return 0
	}
	s.putView(m, &v)
	if v.rec.PID != 0 {
		return 1
	}
	return 2
}

// putView writes one status line, runit's part in runit's order, and
// gorunit's readiness right after the seconds and backoff at the end.
func (s *sv) putView(m string, v *view) {
	pid := v.rec.PID
	switch v.rec.State {
	case status.Down, status.Run, status.Finish:
		s.puts(v.rec.State.String())
		s.puts(": ")
	}
	s.puts(m)
	s.puts(": ")
	if v.rec.State != status.Down {
		s.puts("(pid ")
		s.putUint(int64(pid))
		s.puts(") ")
	}
	s.putUint(v.age)
	s.puts("s")
	switch {
	case v.ready:
		s.puts(", ready ")
		s.putUint(v.readyAge)
		s.puts("s")
	case v.notify && v.rec.State == status.Run:
		s.puts(", not ready")
	}
	if pid != 0 && !v.normallyUp {
		s.puts(", normally down")
	}
	if pid == 0 && v.normallyUp {
		s.puts(", normally up")
	}
	if pid != 0 && v.rec.Paused {
		s.puts(", paused")
	}
	if pid == 0 && v.rec.Want == status.WantUp {
		s.puts(", want up")
	}
	if pid != 0 && v.rec.Want == status.WantDown {
		s.puts(", want down")
	}
	if pid != 0 && v.rec.Term {
		s.puts(", got TERM")
	}
	if v.backoff > 0 {
		s.puts(", backing off, restart in ")
		s.putUint(v.backoff)
		s.puts("s")
	}
}

// printFullStatus is the status command: the service's line, then
// "; " and the log service's line when there is a log/ directory. In LSB
// mode it ends the run with 0 (running), 3 (down) or 4 (unknown), decided
// by the service alone (runit 2.3.0's fix; 2.1.2 let the log decide).
func (s *sv) printFullStatus() int {
	switch s.readStatus() {
	case -1:
		if s.lsb {
			s.lsbExit(4)
		}
		return 0
	case 0:
		return 0
	}
	rc := s.printStatus(s.name)
	s.isLog = true
	if err := unix.Chdir("log"); err != nil {
		if err != unix.ENOENT {
			s.puts("; ")
			s.warn("unable to change directory", err)
		} else {
			s.puts("\n")
		}
	} else {
		s.puts("; ")
		if s.readStatus() != 0 {
			// As runit: after a failed read the previous record is printed.
			s.printStatus("log")
			s.puts("\n")
		}
	}
	s.isLog = false
	s.flush("")
	if s.lsb {
		switch rc {
		case 1:
			s.lsbExit(0)
		case 2:
			s.lsbExit(3)
		default:
			s.lsbExit(4)
		}
	}
	return rc
}

// lsbExit ends an LSB-mode status with code.
func (s *sv) lsbExit(code int) {
	s.w.Flush()
	panic(exitError(code))
}
