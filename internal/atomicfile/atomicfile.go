// Package atomicfile replaces small files so that a reader sees either the
// old content or the new, never half of it: write a temporary name, then
// rename it over the real one. runsv's status, stat and pid files are
// written this way, with runit's temporary names (status.new and so on).
package atomicfile

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// Write stores data in tmp (created mode 0644 less the umask, truncated),
// then renames tmp to path. It uses raw system calls so that runsv's
// per-event status updates do not allocate file objects. On a short or
// failed write tmp is removed and path is left untouched. Errors are
// *os.PathError (open, write) or *os.LinkError (rename), so callers can
// word them as runit does.
func Write(path, tmp string, data []byte) error {
	fd, err := unix.Open(tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return &os.PathError{Op: "open", Path: tmp, Err: err}
	}
	n, err := unix.Write(fd, data)
	unix.Close(fd)
	if err == nil && n != len(data) {
		err = errors.New("partial write")
	}
	if err != nil {
		unix.Unlink(tmp)
		return &os.PathError{Op: "write", Path: tmp, Err: err}
	}
	if err := unix.Rename(tmp, path); err != nil {
		return &os.LinkError{Op: "rename", Old: tmp, New: path, Err: err}
	}
	return nil
}
