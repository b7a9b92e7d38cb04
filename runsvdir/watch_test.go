package runsvdir

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/fsnotify/fsnotify"
)

// TestEvent: which inotify events are handled on their own (a new name)
// and which need the whole directory read again.
func TestEvent(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"new", "known", ".dot"} {
		os.Mkdir(filepath.Join(dir, d), 0o755)
	}
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
	ev := func(name string, op fsnotify.Op) fsnotify.Event {
		return fsnotify.Event{Name: filepath.Join(dir, name), Op: op}
	}
	tests := []struct {
		name  string
		evs   []fsnotify.Event
		full  bool
		added []string
	}{
		{"new directory", []fsnotify.Event{ev("new", fsnotify.Create)}, false, []string{"new"}},
		{"new file", []fsnotify.Event{ev("file", fsnotify.Create)}, false, nil},
		{"dot name", []fsnotify.Event{ev(".dot", fsnotify.Create), ev(".dot", fsnotify.Remove)}, false, nil},
		{"known name replaced", []fsnotify.Event{ev("known", fsnotify.Create)}, true, nil},
		{"removed", []fsnotify.Event{ev("new", fsnotify.Create), ev("known", fsnotify.Remove)}, true, nil},
		{"renamed away", []fsnotify.Event{ev("known", fsnotify.Rename)}, true, nil},
		{"dir itself", []fsnotify.Event{{Name: dir, Op: fsnotify.Remove}}, true, nil},
		{"written to", []fsnotify.Event{ev("file", fsnotify.Write|fsnotify.Chmod)}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := newTest(t, dir)
			r.watched = dir
			r.names["known"] = devIno{1, 1}
			more := make(chan fsnotify.Event, len(tt.evs))
			for _, e := range tt.evs[1:] {
				more <- e
			}
			if full := r.event(tt.evs[0], more); full != tt.full {
				t.Errorf("full = %v, want %v", full, tt.full)
			}
			if len(more) != 0 {
				t.Errorf("%d queued events left unread", len(more))
			}
			var added []string
			for _, e := range r.entries {
				added = append(added, e.name)
			}
			if len(added) != len(tt.added) || (len(added) == 1 && added[0] != tt.added[0]) {
				t.Errorf("entries %v, want %v", added, tt.added)
			}
		})
	}
}
