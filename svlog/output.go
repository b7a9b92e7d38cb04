package svlog

import (
	"errors"
	"syscall"

	"github.com/gorunit/gorunit/internal/errtext"
)

// A log directory's output: lines are formatted into pend, with the
// points where current is to be rotated, and written by flush, which
// keeps what it cannot write for later (WRITE ERRORS in svlogd(8)).

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
