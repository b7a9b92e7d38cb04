// Package optin reads the files a service directory may hold to opt into
// what gorunit adds to runit. A directory without them behaves exactly as
// under runit. runsv reads them each time it starts ./run, so a change
// takes effect at the next start; sv reads notification-fd to know whether
// to wait for readiness.
//
//	notification-fd  a descriptor number N >= 3 (s6's file): ./run gets the
//	                 write end of a pipe on N and writes a newline when ready
//	backoff          "MAX [RESET]" in seconds: restarts after a crash wait
//	                 1 s, 2 s, 4 s ... up to MAX; a run that lasted RESET
//	                 seconds (default MAX) starts the count again
//	daemon           empty: when ./run exits 0, follow the one process it
//	                 left behind; otherwise the path of the daemon's pid file
//	kill-tree        empty or "on": end the service's whole process tree
//	                 with it: TERM with the service, and KILL 3 s after the
//	                 service's own process is gone; a number sets
//	                 the grace in seconds (0: KILL at once); "off" opts out of the default
//	                 that $GORUNIT_KILL_TREE sets (runit does in containers)
package optin

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// File names, relative to the service directory.
const (
	NotificationFDFile = "notification-fd"
	BackoffFile        = "backoff"
	DaemonFile         = "daemon"
	KillTreeFile       = "kill-tree"
)

// KillTreeEnv holds the kill-tree default for services without the file:
// the same words the file takes. runit sets it to "on" in container mode.
const KillTreeEnv = "GORUNIT_KILL_TREE"

// DefaultKillGrace is how long a stopping tree gets between TERM and KILL.
const DefaultKillGrace = 3 * time.Second

// read returns the file's first line, trimmed, and whether it exists. Any
// error but "does not exist" is returned, so that callers can warn.
func read(dir, name string) (string, bool, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line), true, nil
}

// NotificationFD returns the descriptor the service writes its readiness
// newline to, or 0 when it does not declare one.
func NotificationFD(dir string) (int, error) {
	s, ok, err := read(dir, NotificationFDFile)
	if err != nil || !ok {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 3 || n > 1023 {
		return 0, fmt.Errorf("%s: not a descriptor number from 3 to 1023: %q", NotificationFDFile, s)
	}
	return n, nil
}

// Backoff is a service's crash-loop backoff: the delay before a restart
// doubles from a second up to Max, and returns to nothing once a run has
// lasted Reset.
type Backoff struct {
	Max, Reset time.Duration
}

// Delay returns the wait before the next start after failures quick exits
// in a row (failures >= 1).
func (b Backoff) Delay(failures int) time.Duration {
	d := time.Second
	for i := 1; i < failures && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// ReadBackoff returns the service's backoff, and false when it has none.
func ReadBackoff(dir string) (Backoff, bool, error) {
	s, ok, err := read(dir, BackoffFile)
	if err != nil || !ok {
		return Backoff{}, false, err
	}
	f := strings.Fields(s)
	bad := fmt.Errorf("%s: want \"MAX [RESET]\" in seconds, got %q", BackoffFile, s)
	if len(f) == 0 || len(f) > 2 {
		return Backoff{}, false, bad
	}
	var b Backoff
	for i, word := range f {
		sec, err := strconv.ParseFloat(word, 64)
		if err != nil || sec <= 0 || sec > 86400 {
			return Backoff{}, false, bad
		}
		d := time.Duration(sec * float64(time.Second))
		if i == 0 {
			b.Max, b.Reset = d, d
		} else {
			b.Reset = d
		}
	}
	return b, true, nil
}

// Daemon says how to find a service's background process once ./run has
// exited: by its pid file, or as the one process left (PIDFile empty).
type Daemon struct {
	PIDFile string // relative to the service directory, or absolute
}

// ReadDaemon returns the service's daemon setting, and false when ./run
// is an ordinary foreground program.
func ReadDaemon(dir string) (Daemon, bool, error) {
	s, ok, err := read(dir, DaemonFile)
	if err != nil || !ok {
		return Daemon{}, false, err
	}
	return Daemon{PIDFile: s}, true, nil
}

// ReadKillTree returns whether the service's process tree is ended when
// it stops, and the grace between TERM and KILL. The file wins over
// def, the value of $GORUNIT_KILL_TREE.
func ReadKillTree(dir, def string) (time.Duration, bool, error) {
	s, ok, err := read(dir, KillTreeFile)
	if err != nil {
		return 0, false, err
	}
	where := KillTreeFile
	if !ok {
		s, where = strings.TrimSpace(def), KillTreeEnv
		if s == "" {
			return 0, false, nil
		}
	}
	switch strings.ToLower(s) {
	case "", "on", "yes":
		return DefaultKillGrace, true, nil
	case "off", "no":
		return 0, false, nil
	}
	sec, perr := strconv.ParseFloat(strings.TrimSuffix(s, "s"), 64)
	if perr != nil || sec < 0 || sec > 3600 {
		return 0, false, fmt.Errorf("%s: want on, off or a grace in seconds, got %q", where, s)
	}
	return time.Duration(sec * float64(time.Second)), true, nil
}
