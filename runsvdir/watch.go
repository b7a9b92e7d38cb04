package runsvdir

import (
	"path/filepath"

	"github.com/fsnotify/fsnotify"
)

// watch starts watching dir with inotify, through fsnotify, whose own
// goroutine feeds the loop. Without it (inotify instances used up, say)
// runsvdir polls as runit does, every second.
func (r *runsvdir) watch() {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		r.warn("unable to watch "+r.dir+", polling instead", err)
		return
	}
	r.watcher = w
	r.watched = filepath.Clean(r.dir)
}

// rewatch points the watch at dir again when dir is a new directory: it
// was deleted and made again, or it is a symlink that now leads elsewhere.
func (r *runsvdir) rewatch(id devIno) {
	if r.watcher == nil || id == r.watchedID {
		return
	}
	r.watcher.Remove(r.watched) // fails when the kernel dropped it already
	if err := r.watcher.Add(r.watched); err != nil {
		r.warn("unable to watch "+r.dir, err)
		return
	}
	r.watchedID = id
}

// event handles one inotify event and any others already queued, and
// reports whether dir must be read again as a whole. A new name is looked
// at on its own, so that linking in a thousand services costs a thousand
// stat calls, not a thousand rescans; a name that goes away or changes
// its target, or dir itself going, needs the whole picture.
func (r *runsvdir) event(ev fsnotify.Event, more <-chan fsnotify.Event) (full bool) {
	var created []string
	for ok := true; ok; {
		switch {
		case ev.Name == r.watched:
			full = true // dir itself was removed or moved
		case filepath.Base(ev.Name)[0] == '.':
			// ignored names, as in runsvdir(8)
		case ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename):
			full = true
		case ev.Has(fsnotify.Create):
			created = append(created, filepath.Base(ev.Name))
		}
		select {
		case ev, ok = <-more:
		default:
			ok = false
		}
	}
	if full {
		return true
	}
	for _, name := range created {
		if _, known := r.names[name]; known {
			return true // replaced (ln -sfn renames over it): old target may be gone
		}
		if key, ok := r.look(name); ok {
			r.names[name] = key
			r.add(name, key)
		}
	}
	return false
}
