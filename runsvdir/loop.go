package runsvdir

import (
	"os"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/gorunit/gorunit/internal/reap"
	"golang.org/x/sys/unix"
)

// Delays of the loop.
const (
	// rescanEvery is how often the whole directory is read again even
	// without an inotify event: a symlink's target can change outside
	// dir, or dir itself be switched (runsvchdir), without an event in
	// dir. runit looks every 5 s at the latest.
	rescanEvery = 5 * time.Second
	// pollEvery replaces it when inotify cannot be used (no instances
	// left, say): then only rescans find new services.
	pollEvery = time.Second
	// logDotEvery is how often a dot is written to the readproctitle log
	// so that old messages scroll away (runsvdir(8): every 15 minutes).
	logDotEvery = 900 * time.Second
)

// runsvdir is the whole state, owned by the loop goroutine. The only
// other goroutines are os/signal's, fsnotify's (each feeding a channel)
// and the readproctitle reader, which owns the title bytes alone.
type runsvdir struct {
	dir      string // as given on the command line
	setsid   bool   // -P
	pid1     bool
	timeout  time.Duration // -t: the graceful stop as PID 1
	stdio    [3]*os.File   // what runsv inherits
	stderr   *os.File      // where our messages go
	env      []string
	leanEnv  []string    // env for our own runsv (runsv.LeanEnv)
	self     os.FileInfo // the running binary, nil if unknown
	ownRunsv string      // our runsv link beside the running binary, or ""
	logw     *os.File    // the readproctitle pipe's write end, or nil

	entries    map[devIno]*entry // the services, by their directory
	names      map[string]devIno // name → directory it led to when last looked at
	runsv      map[int]*entry    // every live runsv; nil entry: its service was removed
	complaints map[string]string // name → the warning printed about it (printed once)

	watcher    *fsnotify.Watcher // nil without inotify
	watched    string            // the path given to the watcher
	watchedID  devIno            // the directory it watches
	nextRescan time.Time
	nextLogDot time.Time

	sigc     chan os.Signal
	stopping bool      // as PID 1: a graceful stop is under way
	deadline time.Time // when the graceful stop gives up waiting
	code     int       // exit code once stopped
}

// loop is runsvdir's single event loop. Every turn runs the same steps:
// start every runsv that is due, wait for a signal, a directory event or
// the nearest deadline, reap every exited child, and rescan when due.
func (r *runsvdir) loop() int {
	r.rescan()
	if r.logw != nil {
		r.nextLogDot = time.Now().Add(logDotEvery)
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var events <-chan fsnotify.Event
	var errs <-chan error
	if r.watcher != nil {
		events, errs = r.watcher.Events, r.watcher.Errors
	}
	for {
		r.startDue()
		timer.Reset(r.nextWake())
		full := false
		select {
		case sig := <-r.sigc:
			if code, exit := r.signal(sig.(unix.Signal)); exit {
				return code
			}
		case ev, ok := <-events:
			if !ok {
				events = nil
				break
			}
			full = r.event(ev, events)
		case err, ok := <-errs:
			if !ok {
				errs = nil
				break
			}
			// An overflow lost events: read everything again.
			if err != fsnotify.ErrEventOverflow {
				r.warn("unable to watch "+r.dir, err)
			}
			full = true
		case <-timer.C:
		}
		timer.Stop()
		reap.Drain(r.reaped)
		now := time.Now()
		if r.stopping {
			if len(r.runsv) == 0 || !now.Before(r.deadline) {
				return r.finish()
			}
			continue
		}
		if full || !now.Before(r.nextRescan) {
			r.rescan()
		}
		if r.logw != nil && !now.Before(r.nextLogDot) {
			r.logw.Write([]byte{'.'})
			r.nextLogDot = now.Add(logDotEvery)
		}
	}
}

// nextWake is how long the loop may sleep: until the next rescan, start,
// log dot or, while stopping, the deadline.
func (r *runsvdir) nextWake() time.Duration {
	if r.stopping {
		return max(time.Until(r.deadline), 0)
	}
	next := r.nextRescan
	if r.logw != nil && r.nextLogDot.Before(next) {
		next = r.nextLogDot
	}
	for _, e := range r.entries {
		if e.pid == 0 && !e.due.IsZero() && e.due.Before(next) {
			next = e.due
		}
	}
	return max(time.Until(next), 0)
}

// signal acts on one signal and reports whether runsvdir exits, and how.
func (r *runsvdir) signal(sig unix.Signal) (code int, exit bool) {
	switch sig {
	case unix.SIGTERM, unix.SIGINT:
		if !r.pid1 {
			// runsvdir(8): exit 0 at once; the runsv go on. runit's
			// stage 2 relies on this to hand the services to stage 3.
			return exitOK, true
		}
		r.stop(exitOK)
	case unix.SIGHUP:
		if !r.pid1 {
			// runsvdir(8): TERM every runsv it monitors, exit 111.
			for _, e := range r.entries {
				if e.pid != 0 {
					unix.Kill(e.pid, unix.SIGTERM)
				}
			}
			return exitHangup, true
		}
		// As PID 1 our exit would kill the services before they stop:
		// stop them gracefully first, then exit 111.
		r.stop(exitHangup)
	}
	return 0, false
}

// reaped routes one exited child: a runsv goes down and is started again
// later; anything else (an orphan, as PID 1) is just gone.
func (r *runsvdir) reaped(pid int, _ unix.WaitStatus) {
	e, ok := r.runsv[pid]
	if !ok {
		return
	}
	delete(r.runsv, pid)
	if e == nil || e.pid != pid {
		return // its service was removed: not started again
	}
	e.pid = 0
	if !r.stopping {
		// Like runsv's throttle: a runsv that dies at once (another
		// holds the service's lock, say) is not restarted in a loop.
		e.due = e.started.Add(restartHold)
	}
}
