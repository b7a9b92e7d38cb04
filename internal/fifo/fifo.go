// Package fifo creates and opens runsv's control FIFOs the way a
// supervisor needs them: readable without blocking, and never at EOF.
package fifo

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// ErrNotFIFO means the path exists but is something else.
var ErrNotFIFO = errors.New("exists but is not a fifo")

// Make creates a FIFO with mode 0600 unless something exists at path, and
// then checks that what is there is a FIFO.
func Make(path string) error {
	if err := unix.Mkfifo(path, 0o600); err != nil && err != unix.EEXIST {
		return fmt.Errorf("mkfifo %s: %w", path, err)
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return fmt.Errorf("stat %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return fmt.Errorf("%s %w", path, ErrNotFIFO)
	}
	return nil
}

// OpenReader opens a FIFO for reading without waiting for a writer, and
// also opens a write end that the caller keeps: with a writer always
// present, a read blocks for data instead of returning EOF in a loop. The
// reader is non-blocking, so os.File waits for it in Go's netpoller
// rather than holding a thread.
func OpenReader(path string) (r, w *os.File, err error) {
	rfd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	wfd, err := unix.Open(path, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(rfd)
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	return os.NewFile(uintptr(rfd), path), os.NewFile(uintptr(wfd), path), nil
}

// OpenWriter opens a FIFO for writing without blocking. It fails with
// ENXIO when no process has it open for reading: that is how sv tells that
// no runsv is running.
func OpenWriter(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// Probe reports whether a process holds the FIFO open for reading: nil if
// so, ENXIO when none does (no runsv), any other errno as open(2) gave it.
// sv and runit ask supervise/ok this way whether a runsv is there.
func Probe(path string) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	unix.Close(fd)
	return nil
}

// HoldReader opens a FIFO for reading and returns the descriptor, which the
// caller keeps open for its whole life and never reads: runsv does this with
// supervise/ok so that writers can test that it is alive.
func HoldReader(path string) (int, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open %s: %w", path, err)
	}
	return fd, nil
}
