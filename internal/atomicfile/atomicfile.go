// Package atomicfile replaces small files so that a reader sees either the
// old content or the new, never half of it: write a temporary name, then
// rename it over the real one. runsv's status, stat and pid files are
// written this way, with runit's temporary names (status.new and so on).
package atomicfile

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Write stores data in tmp (created mode 0644 less the umask, truncated),
// then renames tmp to path. It uses raw system calls so that runsv's
// per-event status updates do not allocate file objects. On a short or
// failed write tmp is removed and path is left untouched.
func Write(path, tmp string, data []byte) error {
	fd, err := unix.Open(tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", tmp, err)
	}
	n, err := unix.Write(fd, data)
	unix.Close(fd)
	if err == nil && n != len(data) {
		err = fmt.Errorf("partial write")
	}
	if err != nil {
		unix.Unlink(tmp)
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := unix.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename %s to %s: %w", tmp, path, err)
	}
	return nil
}
