package runsvdir

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// newTest is a runsvdir on dir whose messages go to a file, for tests of
// its bookkeeping that start no process.
func newTest(t *testing.T, dir string) (*runsvdir, func() string) {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r := &runsvdir{dir: dir, stderr: f, entries: map[devIno]*entry{}, names: map[string]devIno{},
		runsv: map[int]*entry{}, complaints: map[string]string{}}
	return r, func() string { b, _ := os.ReadFile(f.Name()); return string(b) }
}

// TestTooManyServices: past runit's 1000, a new service is refused with
// runit's warning, printed once.
func TestTooManyServices(t *testing.T) {
	r, stderr := newTest(t, "svdir")
	for i := range maxServices {
		r.add("s", devIno{1, uint64(i)})
	}
	r.add("extra", devIno{2, 1})
	r.add("extra", devIno{2, 1})
	if len(r.entries) != maxServices {
		t.Errorf("%d entries, want %d", len(r.entries), maxServices)
	}
	if want := "runsvdir svdir: warning: unable to start runsv extra: too many services.\n"; stderr() != want {
		t.Errorf("stderr %q, want %q", stderr(), want)
	}
}

// TestSettle: a directory changed just now waits until it has been still
// for settle; an old one, or one waited for maxSettle already, does not.
func TestSettle(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "new"), 0o755)
	os.Mkdir(filepath.Join(dir, "old"), 0o755)
	old := time.Now().Add(-time.Minute)
	os.Chtimes(filepath.Join(dir, "old"), old, old)
	r, _ := newTest(t, dir)
	now := time.Now()
	tests := []struct {
		name  string
		e     entry
		waits bool
	}{
		{"fresh directory", entry{name: "new", found: now}, true},
		{"old directory", entry{name: "old", found: now}, false},
		{"waited long enough", entry{name: "new", found: now.Add(-maxSettle)}, false},
		{"gone: runsv will say", entry{name: "missing", found: now}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wait := r.unsettled(&tt.e, now)
			if (wait > 0) != tt.waits || wait > settle {
				t.Errorf("unsettled = %v, want waiting: %v (at most %v)", wait, tt.waits, settle)
			}
		})
	}
}
