package runsv

import (
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// dirCheckEvery is how often runsv looks whether its service directory
// or supervise/ was removed.
var dirCheckEvery = 3 * time.Second

// dirGrace is how long runsv waits for a deleted service directory to be
// created again (rm -rf and a fresh copy, as configuration tools do)
// before it takes the deletion as an order to stop and exit.
const dirGrace = 2 * time.Second

// dirWatch notices when the service directory or its supervise directory
// is deleted. runit's runsv goes on inside the deleted directory: sv can
// no longer reach it, and once the service exits it retries a ./run that
// is gone every second, forever. Ours follows a directory created again
// at the same path, or stops the service and exits.
type dirWatch struct {
	abs       string // the service directory's absolute path at start
	ticker    *time.Ticker
	events    <-chan time.Time
	goneSince time.Time // when the directory was found deleted, or zero
	suspect   bool      // ./run was missing: look at the directory
	repairAt  time.Time // when to recreate a missing supervise, or zero
}

// supervisePause is how long a missing supervise directory may stay
// missing before runsv recreates it; the rest of an rm -rf comes sooner.
const supervisePause = 200 * time.Millisecond

// watchDir arms the periodic look at the service directory. It is a
// timer, not inotify: one runsv runs per service, and inotify instances
// are limited per user (128 by default), so a thousand runsv holding one
// each would starve runsvdir and sv of theirs. Two stat(2) calls every
// dirCheckEvery cost nothing measurable.
func (r *runsv) watchDir(abs string) {
	r.dirs.abs = abs
	r.dirs.ticker = time.NewTicker(dirCheckEvery)
	r.dirs.events = r.dirs.ticker.C
}

// checkDir looks whether the service directory or a supervise directory
// is gone and acts: recreate supervise, follow a new service directory,
// or, after dirGrace without one, stop the service and exit. It returns
// how long until it wants to look again (0: no need).
func (r *runsv) checkDir() time.Duration {
	if isDir(".") {
		r.dirs.goneSince = time.Time{}
		return r.repairSupervise()
	}
	if isDir(r.dirs.abs) && unix.Chdir(r.dirs.abs) == nil {
		r.dirs.goneSince = time.Time{}
		r.warnErr("service directory was replaced; following it", nil)
		if err := r.reopenSupervise(); err != nil {
			// Most likely another runsv supervises the new directory.
			r.warnErr("unable to take over the new service directory: "+errorText(err)+"; stopping", nil)
			r.ctrl(r.main, 'x')
		}
		return 0
	}
	if r.dirs.goneSince.IsZero() {
		r.dirs.goneSince = time.Now()
	}
	if wait := dirGrace - time.Since(r.dirs.goneSince); wait > 0 {
		return wait
	}
	if r.main.want != wantExit {
		r.warnErr("service directory was removed; stopping", nil)
		r.ctrl(r.main, 'x')
	}
	return 0
}

// repairSupervise recreates a supervise directory that was removed, once
// it has stayed missing for supervisePause: an rm -rf of the whole
// service directory removes supervise first.
func (r *runsv) repairSupervise() time.Duration {
	missing := false
	for _, s := range r.services() {
		missing = missing || !exists(s.name+"supervise/control")
	}
	if !missing {
		r.dirs.repairAt = time.Time{}
		return 0
	}
	if r.dirs.repairAt.IsZero() {
		r.dirs.repairAt = time.Now().Add(supervisePause)
	}
	if wait := time.Until(r.dirs.repairAt); wait > 0 {
		return wait
	}
	r.dirs.repairAt = time.Time{}
	r.warnErr("supervise was removed; creating it again", nil)
	if err := r.reopenSupervise(); err != nil {
		r.warnErr("unable to create supervise again: "+errorText(err), nil)
	}
	return 0
}

// reopenSupervise closes the supervise files and opens them again in the
// current directory, with the state runsv has now.
func (r *runsv) reopenSupervise() error {
	for _, s := range r.services() {
		s.supervise.close()
		s.pidChanged = true
	}
	if err := r.openSupervise(); err != nil {
		return err
	}
	for _, s := range r.services() {
		go r.readControl(s.isLog, s.supervise.control)
	}
	return nil
}

// isDir reports whether path is an existing directory (a deleted working
// directory has no links left).
func isDir(path string) bool {
	var st unix.Stat_t
	return unix.Stat(path, &st) == nil && st.Nlink > 0 && st.Mode&unix.S_IFMT == unix.S_IFDIR
}

// absDir resolves the service directory given on the command line.
func absDir(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	return abs
}
