package runit

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// becomeReaper makes sure orphans come to us. PID 1 gets them anyway;
// otherwise (Kubernetes with shareProcessNamespace: the pause process is
// PID 1) we become a child subreaper. When neither works, say so once and
// how to fix it (tini's reaper_check).
func becomeReaper(stderr io.Writer, name string) {
	if os.Getpid() == 1 {
		return
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintf(stderr, "%s: warning: not PID 1 and unable to become a subreaper: %v; orphans will not be reaped: run %s as PID 1 (docker run --init is not needed)\n", name, err, name)
	}
}
