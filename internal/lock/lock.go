// Package lock takes the flock(2) locks runit uses: supervise/lock, which
// keeps two runsv off one service, and later svlogd's and chpst's locks.
// flock, not fcntl, so that our programs and Debian's exclude each other.
package lock

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// open opens path for appending, creating it mode 0600 as runit does.
func open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return f, nil
}

// Try opens path and takes an exclusive lock without waiting; held by
// another process, it fails with EWOULDBLOCK ("temporary failure").
func Try(path string) (*os.File, error) { return take(path, unix.LOCK_EX|unix.LOCK_NB) }

// Wait opens path and takes an exclusive lock, waiting as long as needed.
func Wait(path string) (*os.File, error) { return take(path, unix.LOCK_EX) }

func take(path string, how int) (*os.File, error) {
	f, err := open(path)
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}
