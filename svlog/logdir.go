package svlog

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/gorunit/gorunit/internal/errtext"
	"github.com/gorunit/gorunit/internal/lock"
	"github.com/gorunit/gorunit/internal/tai64n"
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

// put appends b to the output, cutting it where current reaches its
// size limit: runit's buffer_pwrite rotates before a write once current
// holds sizemax bytes and never writes past sizemax, so a line longer than
// what is left is split over two files.
func (d *logdir) put(b []byte) {
	max := d.cfg.sizemax
	if max == 0 || d.size+int64(len(b)) <= max && d.size < max {
		d.pend = append(d.pend, b...)
		d.size += int64(len(b))
		return
	}
	for len(b) > 0 {
		if d.size >= max {
			d.markRotate()
		}
		n := int(min(int64(len(b)), max-d.size))
		d.pend = append(d.pend, b[:n]...)
		d.size += int64(n)
		b = b[n:]
	}
}

// lineEnd is runit's check after a write that ends a line: rotate once
// current holds sizemax-linemax bytes or more, so that the next line,
// if no longer than linemax, still fits. With sizemax below linemax runit's
// unsigned subtraction wraps and this never fires: files are then cut at
// exactly sizemax bytes.
func (d *logdir) lineEnd() {
	max, lm := d.cfg.sizemax, int64(d.l.opt.linemax)
	if max > 0 && max >= lm && d.size >= max-lm {
		d.markRotate()
	}
}

// markRotate ends current at the present end of the output; the rotation
// itself happens when the output is written up to there.
func (d *logdir) markRotate() {
	d.rots = append(d.rots, len(d.pend))
	d.size = 0
	if d.cfg.tmax > 0 {
		// runit's rotate() restarts the age clock only once it has run out.
		if now := d.l.clock(); !now.Before(d.trotate) {
			d.trotate = now.Add(d.cfg.tmax)
		}
	}
}

// rotateNow rotates current if it holds anything (ALRM, tSECONDS).
func (d *logdir) rotateNow() {
	if d.size > 0 {
		d.markRotate()
	} else if d.cfg.tmax > 0 {
		if now := d.l.clock(); !now.Before(d.trotate) {
			d.trotate = now.Add(d.cfg.tmax)
		}
	}
}

// flush writes the pending output and performs the rotations marked in
// it. On an error it keeps what is left, says so (once), and schedules a
// retry; the caller goes on reading.
func (d *logdir) flush() {
	for {
		end := len(d.pend)
		if len(d.rots) > 0 {
			end = d.rots[0]
		}
		// A half-done rotation (cur == nil) always sits at wpos == end.
		for d.wpos < end && d.cur != nil {
			n, err := d.cur.Write(d.pend[d.wpos:end])
			d.wpos += n
			d.fileSize += int64(n)
			if err != nil {
				if errors.Is(err, syscall.ENOSPC) && d.freeSpace() {
					continue
				}
				d.fail("unable to write to current", err)
				return
			}
		}
		if len(d.rots) == 0 {
			break
		}
		if err := d.rotate(); err != nil {
			return
		}
		d.rots = d.rots[1:]
	}
	if d.failing {
		d.failing = false
		d.l.infoAlways("write errors over, buffered lines written: " + d.name)
	}
	d.pend, d.wpos, d.rots = d.pend[:0], 0, d.rots[:0]
	if cap(d.pend) > keepPending {
		d.pend = nil
	}
}

// compact drops the written part of a long pending buffer.
func (d *logdir) compact() {
	if d.wpos < len(d.pend)/2 || d.wpos < 64<<10 {
		return
	}
	n := copy(d.pend, d.pend[d.wpos:])
	d.pend = d.pend[:n]
	for i := range d.rots {
		d.rots[i] -= d.wpos
	}
	d.wpos = 0
}

// fail records a write or rotation error: warn once per kind of error,
// and retry later.
func (d *logdir) fail(what string, err error) {
	msg := what + ": " + d.name + ": " + errtext.Of(err)
	if !d.failing || msg != d.failMsg {
		d.l.warnText("buffering in memory, " + msg)
	}
	d.failing, d.failMsg = true, msg
	d.retryAt = d.l.clock().Add(retryEvery)
	d.compact()
}

// rotate is runit's rotate() once current holds the output up to the
// rotation point: sync it, mark it closed (0744), rename it to
// @<tai64n>.s (or .u for a processor), open a new current, delete the
// oldest file if there are too many, and queue the processor. Each step
// is done once; after an error the next call resumes where it stopped.
func (d *logdir) rotate() error {
	if d.cur != nil && d.rotName == "" {
		if err := d.cur.Sync(); err != nil {
			d.fail("unable to fsync current logfile", err)
			return err
		}
		if err := d.cur.Chmod(modeClosed); err != nil {
			d.fail("unable to set mode of current", err)
			return err
		}
		d.cur.Close()
		d.cur = nil
		kind := byte('s')
		if d.cfg.processor != "" {
			kind = 'u'
		}
		d.rotName = d.newName(kind)
	}
	if !d.renamed {
		d.l.info("rename: " + d.name + "/current " + d.rotName + " " + strconv.FormatInt(d.fileSize, 10))
		if err := os.Rename(d.path("current"), d.path(d.rotName)); err != nil {
			d.fail("unable to rename current", err)
			return err
		}
		d.renamed = true
	}
	if err := d.createCurrent(); err != nil {
		d.fail("unable to create new current", err)
		return err
	}
	d.fileSize = 0
	name := d.rotName
	d.rotName, d.renamed = "", false
	if name[nameLen-1] == 'u' {
		d.proc.queue = append(d.proc.queue, job{file: name, processor: d.cfg.processor})
	}
	d.rmOldest(d.cfg.nmax, false)
	d.l.startProcessor(d)
	return nil
}

// newName returns the name for a file rotated now: "@" + TAI64N + "." +
// kind. runit stats names until it finds a free one, which spins when the
// clock stands still or went back onto an existing name; and a name older
// than the others would be deleted first as the oldest. So the name is
// the clock's, unless a file with that or a later name exists: then it is
// one microsecond after the latest, which keeps names in rotation order.
func (d *logdir) newName(kind byte) string {
	label := tai64n.FromTime(d.l.clock())
	name := label.String()
	if latest := d.latestName(); latest != "" && latest[:25] >= name {
		label = nextLabel(latest)
		name = label.String()
	}
	return name + "." + string(kind)
}

// latestName is the greatest rotated file name in the directory, "" when
// there is none.
func (d *logdir) latestName() string {
	latest := ""
	for _, n := range d.rotated() {
		if n > latest {
			latest = n
		}
	}
	return latest
}

// nextLabel is the label one microsecond after the one in name.
func nextLabel(name string) tai64n.Label {
	var b [tai64n.Size]byte
	for i := range b {
		b[i] = unhex(name[1+2*i])<<4 | unhex(name[2+2*i])
	}
	l := tai64n.Unpack(b[:])
	l.Nano += 1000
	if l.Nano >= 1e9 {
		l.Sec++
		l.Nano -= 1e9
	}
	return l
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}

// rotated lists the names runit counts as rotated files: 27 characters
// starting with '@'.
func (d *logdir) rotated() []string {
	f, err := os.Open(d.name)
	if err != nil {
		d.l.warn2("unable to open directory, want rotate", d.name, err)
		return nil
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		d.l.warn2("unable to read directory", d.name, err)
	}
	out := names[:0]
	for _, n := range names {
		if len(n) == nameLen && n[0] == '@' {
			out = append(out, n)
		}
	}
	return out
}

// rmOldest is runit's rmoldest as Debian's svlogd behaves: delete
// processor leftovers (.t) and, when there are more than keep rotated
// files, the oldest one (all of them with every set). Debian's counts and
// deletes only .s files: a .u, waiting for its processor or left by a
// crash, is neither. A .t that a processor is writing is left alone.
func (d *logdir) rmOldest(keep int, every bool) {
	var done []string
	for _, f := range d.rotated() {
		switch f[nameLen-1] {
		case 't':
			if d.proc.uses(f) {
				continue
			}
			if err := os.Remove(d.path(f)); err != nil {
				d.l.warn2("unable to unlink processor leftover", f, err)
			}
		case 'u':
		default:
			done = append(done, f)
		}
	}
	if d.cfg.nmax == 0 {
		return
	}
	slices.Sort(done)
	for len(done) > keep {
		d.l.info("delete: " + d.name + "/" + done[0])
		if err := os.Remove(d.path(done[0])); err != nil {
			d.l.warn2("unable to unlink oldest logfile", d.name, err)
		}
		done = done[1:]
		if !every {
			break
		}
	}
}

// freeSpace is the N directive, on ENOSPC: while more than NMIN rotated
// files are left (and NMIN < nNUM, as runit requires), delete the oldest
// one. It reports whether it deleted one, so that the write is retried.
func (d *logdir) freeSpace() bool {
	if d.cfg.nmin >= d.cfg.nmax {
		return false
	}
	j, oldest := 0, ""
	for _, f := range d.rotated() {
		j++
		if !d.proc.uses(f) && (oldest == "" || f < oldest) {
			oldest = f
		}
	}
	if j <= d.cfg.nmin || oldest == "" {
		return false
	}
	d.l.warnText("out of disk space, delete: " + d.name + "/" + oldest)
	if err := os.Remove(d.path(oldest)); err != nil {
		d.l.warn2("unable to unlink oldest logfile", d.name, err)
		return false
	}
	return true
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
