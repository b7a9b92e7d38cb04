package svlog

import (
	"os"
	"slices"
	"strconv"

	"github.com/gorunit/gorunit/internal/tai64n"
)

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
