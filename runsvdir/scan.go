package runsvdir

import (
	"os"
	"path/filepath"
	"time"

	"github.com/gorunit/gorunit/internal/errtext"
	"golang.org/x/sys/unix"
)

// settle is how long a service directory must have gone without a new
// entry before its runsv starts. A directory made in place (mkdir, then
// run and log/ written into it, or cp -r) is seen at its mkdir; starting
// runsv then would find no ./run, or start without log/. runit sleeps a
// second when dir changed in the current second; we hold back only
// directories that are that fresh, so that a service linked in from
// elsewhere (the usual way) starts at once.
const settle = 100 * time.Millisecond

// maxSettle bounds that wait, for a directory that keeps changing or
// whose modification time is ahead of our clock (NFS): runit's second.
const maxSettle = time.Second

// devIno identifies a service by the directory its entry leads to
// (runsvdir(8); void-linux/runit#25 for why not by name).
type devIno struct{ dev, ino uint64 }

// entry is one service: a directory in dir, or one a symlink in dir
// leads to.
type entry struct {
	key     devIno
	name    string    // the name it was last seen under, given to runsv
	pid     int       // its runsv, 0 when none runs
	started time.Time // when its runsv was last started
	due     time.Time // when to start a runsv; zero: none wanted
	found   time.Time // when the entry was first seen
	fresh   bool      // its first start waits for the directory to settle
}

// rescan reads dir and brings the entries in line with it: a runsv for
// every new directory, TERM for the runsv of every one gone. As in runit,
// an unreadable directory changes nothing.
func (r *runsvdir) rescan() {
	if r.watcher == nil {
		r.nextRescan = time.Now().Add(pollEvery)
	} else {
		r.nextRescan = time.Now().Add(rescanEvery)
	}
	var st unix.Stat_t
	if err := unix.Stat(r.dir, &st); err != nil {
		r.complain(r.dir, "unable to stat "+r.dir, err)
		return
	}
	r.rewatch(devIno{uint64(st.Dev), st.Ino})
	f, err := os.Open(r.dir)
	if err != nil {
		r.complain(r.dir, "unable to open directory "+r.dir, err)
		return
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		r.complain(r.dir, "unable to read directory "+r.dir, err)
		return
	}
	delete(r.complaints, r.dir)
	seen := make(map[devIno]bool, len(names))
	found := make(map[string]devIno, len(names))
	kept := map[string]string{}
	for _, name := range names {
		if name[0] == '.' {
			continue
		}
		if key, ok := r.look(name); ok {
			found[name] = key
			seen[key] = true
			r.add(name, key)
		}
		if msg, had := r.complaints[name]; had {
			kept[name] = msg
		}
	}
	r.names = found
	r.complaints = kept
	for key, e := range r.entries {
		if !seen[key] {
			r.remove(e)
		}
	}
}

// look stats dir/name and returns the directory it leads to; ok is false
// for anything that is not a directory (a file, a dangling symlink).
func (r *runsvdir) look(name string) (key devIno, ok bool) {
	var st unix.Stat_t
	if err := unix.Stat(filepath.Join(r.dir, name), &st); err != nil {
		r.complain(name, "unable to stat "+name, err)
		return devIno{}, false
	}
	delete(r.complaints, name)
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return devIno{}, false
	}
	return devIno{uint64(st.Dev), st.Ino}, true
}

// add records that name leads to the directory key and, for a directory
// not seen before, plans its runsv.
func (r *runsvdir) add(name string, key devIno) {
	if e, ok := r.entries[key]; ok {
		e.name = name // runit restarts a runsv under the name seen last
		return
	}
	if len(r.entries) >= maxServices {
		r.complain(name, "unable to start runsv "+name+": too many services.", nil)
		return
	}
	now := time.Now()
	e := &entry{key: key, name: name, due: now, found: now, fresh: true}
	r.entries[key] = e
}

// remove forgets a service whose entry is gone and tells its runsv to
// stop the service and exit. Its pid stays known until it is reaped.
func (r *runsvdir) remove(e *entry) {
	if e.pid != 0 {
		unix.Kill(e.pid, unix.SIGTERM)
		r.runsv[e.pid] = nil
	}
	delete(r.entries, e.key)
}

// complain prints a warning about name once, until it changes or is
// cured: the 5 s rescans would otherwise repeat it forever (runit repeats
// it at each of its rescans).
func (r *runsvdir) complain(name, msg string, err error) {
	text := msg
	if err != nil {
		text += ": " + errtext.Of(err)
	}
	if r.complaints[name] == text {
		return
	}
	r.complaints[name] = text
	r.warn(text, nil)
}

// startDue starts the runsv of every entry whose time has come. A fresh
// entry waits until its directory has settled.
func (r *runsvdir) startDue() {
	if r.stopping {
		return
	}
	now := time.Now()
	for _, e := range r.entries {
		if e.pid != 0 || e.due.IsZero() || now.Before(e.due) {
			continue
		}
		if e.fresh {
			if wait := r.unsettled(e, now); wait > 0 {
				e.due = now.Add(wait)
				continue
			}
			e.fresh = false
		}
		r.start(e)
	}
}

// unsettled returns how long e's directory must still stay unchanged
// before runsv may start on it (see settle), or 0.
func (r *runsvdir) unsettled(e *entry, now time.Time) time.Duration {
	if now.Sub(e.found) >= maxSettle {
		return 0
	}
	var st unix.Stat_t
	if unix.Stat(filepath.Join(r.dir, e.name), &st) != nil {
		return 0 // start anyway; runsv says what is wrong
	}
	age := max(now.Sub(time.Unix(st.Mtim.Unix())), 0) // ahead of our clock: as if just changed
	if age >= settle {
		return 0
	}
	return settle - age
}
