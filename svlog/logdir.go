package svlog

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gorunit/gorunit/internal/lock"
	"golang.org/x/sys/unix"
)

// File modes, as Debian's svlogd leaves them (FIELD-NOTES 4.14): current
// is 0644 while written and 0744 once closed, which is how the next start
// tells a clean shutdown from a crash; rotated files are 0744.
const (
	modeOpen   = 0o644
	modeClosed = 0o744
)

// keepPending is the capacity of a log directory's output buffer that is
// kept for reuse once everything is written; a bigger one (grown during
// write errors) is released.
const keepPending = 512 << 10

// nameLen is the length of a rotated file's name: "@", 24 hex digits,
// ".", and s, u or t.
const nameLen = 27

// logdir is one log directory: its files, its config, and the output
// that is formatted but not yet written.
type logdir struct {
	l    *Logger
	name string // as given on the command line, for messages and paths
	open bool   // functional: locked, config read, current open

	lock *os.File
	cur  *os.File // nil while a rotation waits to open the new current
	cfg  config

	size     int64 // bytes current will hold once pend is written
	fileSize int64 // bytes current holds now
	trotate  time.Time
	udp      int // socket for u/U, -1 when none is open

	// The line being logged: whether this directory selected it, and
	// whether it goes to current.
	match, matcherr byte
	writes          bool

	// Output: pend[wpos:] is not written yet; rots are offsets in pend
	// where current is to be rotated, in order.
	pend []byte
	wpos int
	rots []int

	// Write errors: while failing, lines go on into pend and writing is
	// retried at retryAt.
	failing bool
	failMsg string
	retryAt time.Time

	// A rotation cut short by an error resumes from here.
	rotName string // the rotated file's name once chosen
	renamed bool   // current has been renamed to rotName

	reopen bool // HUP came while output was pending: reopen once written

	proc processor
}

func (d *logdir) path(file string) string { return filepath.Join(d.name, file) }

// pending is how many bytes wait to be written.
func (d *logdir) pending() int { return len(d.pend) - d.wpos }

// idle reports whether everything is written and no rotation is half done.
func (d *logdir) idle() bool {
	return d.pending() == 0 && len(d.rots) == 0 && d.rotName == "" && (d.cur != nil || !d.open)
}

// openDir makes the directory functional, as runit's logdir_open: lock,
// read config, then open current, renaming an unclean one (non-empty,
// not marked 0744) to @<tai64n>.u first. It warns and returns false when
// the directory cannot be used.
func (d *logdir) openDir() bool {
	l := d.l
	f, err := os.Open(d.name)
	if err != nil {
		l.warn2("unable to open log directory", d.name, err)
		return false
	}
	fi, err := f.Stat()
	f.Close()
	if err == nil && !fi.IsDir() {
		err = syscall.ENOTDIR
	}
	if err != nil {
		l.warn2("unable to change directory", d.name, err)
		return false
	}
	if d.lock, err = lock.Try(d.path("lock")); err != nil {
		l.warn2("unable to lock directory", d.name, err)
		return false
	}
	d.cfg = defaultConfig()
	d.match, d.matcherr = '+', 'E'
	switch b, err := os.ReadFile(d.path("config")); {
	case err == nil:
		l.info("read: " + d.name + "/config")
		d.cfg = parseConfig(b, l.warnx)
	case !errors.Is(err, os.ErrNotExist):
		l.warn2("unable to read config", d.name, err)
	}
	if !d.openCurrent() {
		d.lock.Close()
		d.lock = nil
		return false
	}
	if d.cfg.tmax > 0 {
		d.trotate = l.clock().Add(d.cfg.tmax)
	}
	d.udp = -1
	d.open = true
	return true
}

// openCurrent opens current for appending, mode 0644; an unclean current
// is renamed to @<tai64n>.u first (and is not processed).
func (d *logdir) openCurrent() bool {
	l := d.l
	d.size, d.fileSize = 0, 0
	appending := false
	st, err := os.Stat(d.path("current"))
	switch {
	case err == nil && st.Size() > 0 && st.Mode()&0o100 == 0:
		name := d.newName('u')
		if err := os.Rename(d.path("current"), d.path(name)); err != nil {
			l.warn2("unable to rename current", d.name, err)
			return false
		}
		d.rmOldest(d.cfg.nmax, false)
	case err == nil:
		d.size, d.fileSize = st.Size(), st.Size()
		appending = true
	case !errors.Is(err, os.ErrNotExist):
		l.warn2("unable to stat current", d.name, err)
		return false
	}
	if err := d.createCurrent(); err != nil {
		l.warn2("unable to open current", d.name, err)
		return false
	}
	if appending {
		l.info("append: " + d.name + "/current")
	} else {
		l.info("new: " + d.name + "/current")
	}
	return true
}

// createCurrent opens current for appending, creating it mode 0600, then
// sets mode 0644 whatever the umask, as runit does.
func (d *logdir) createCurrent() error {
	f, err := os.OpenFile(d.path("current"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(modeOpen); err != nil {
		f.Close()
		return err
	}
	d.cur = f
	return nil
}

// closeDir is runit's logdir_close: sync current, mark it closed (0744),
// close it and give up the lock. The output must be written already.
func (d *logdir) closeDir() {
	if !d.open {
		return
	}
	d.l.info("close: " + d.name)
	d.open = false
	if d.cur != nil {
		if err := d.cur.Sync(); err != nil {
			d.l.warn2("unable to fsync current logfile", d.name, err)
		}
		if err := d.cur.Chmod(modeClosed); err != nil {
			d.l.warn2("unable to set mode of current", d.name, err)
		}
		d.cur.Close()
		d.cur = nil
	}
	if d.lock != nil {
		d.lock.Close()
		d.lock = nil
	}
	if d.udp >= 0 {
		unix.Close(d.udp)
		d.udp = -1
	}
}

// logmatch is runit's logmatch: the last pattern that matches the line
// decides whether it is logged ('+' or '-') and whether it goes to
// standard error ('e' or 'E').
func (d *logdir) logmatch(line []byte) {
	d.match, d.matcherr = '+', 'E'
	for _, in := range d.cfg.inst {
		if !pmatch(in.pattern, line) {
			continue
		}
		switch in.kind {
		case '+', '-':
			d.match = in.kind
		default:
			d.matcherr = in.kind
		}
	}
}
