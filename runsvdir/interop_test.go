package runsvdir_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
)

// TestSameAsDebian runs Debian's runsvdir (with Debian's runsv) and ours
// on two copies of one tree, changes both the same way, and compares
// which services each starts and the first warning each prints.
func TestSameAsDebian(t *testing.T) {
	debian := testutil.Debian(t, "runsvdir")
	t.Parallel()
	impls := []struct {
		name string
		prog string
		env  []string
	}{
		{"debian", debian, []string{"PATH=/usr/bin:/bin:" + os.Getenv("PATH")}},
		{"ours", testutil.Bin("runsvdir"), []string{fastExit}},
	}
	type run struct {
		root string
		p    *testutil.Proc
	}
	runs := make([]run, len(impls))
	for i, impl := range impls {
		root := t.TempDir()
		dir := filepath.Join(root, "service")
		service(t, filepath.Join(dir, "plain"), runStarted)
		service(t, filepath.Join(dir, ".hidden"), runStarted)
		service(t, filepath.Join(dir, "gone"), runStarted)
		os.Symlink(service(t, filepath.Join(root, "sv", "linked"), runStarted), filepath.Join(dir, "link"))
		os.Symlink(filepath.Join(root, "nowhere"), filepath.Join(dir, "dangling"))
		os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
		os.Symlink("file", filepath.Join(dir, "filelink"))
		service(t, filepath.Join(root, "sv", "added"), runStarted)
		runs[i] = run{root, testutil.StartEnv(t, root, impl.env, impl.prog, "service")}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("%s: pid %d, stderr:\n%s", impl.name, runs[i].p.Pid(), runs[i].p.Stderr)
			}
		})
	}
	// same waits until both run exactly the runsv in want.
	same := func(want ...string) map[string]int {
		t.Helper()
		all := map[string]int{}
		for i, r := range runs {
			got := waitRunsvs(t, r.p.Pid(), want...)
			for name, pid := range got {
				all[impls[i].name+"/"+name] = pid
			}
		}
		return all
	}
	same("gone", "link", "plain")
	for _, r := range runs {
		os.Symlink(filepath.Join(r.root, "sv", "added"), filepath.Join(r.root, "service", "added"))
		os.RemoveAll(filepath.Join(r.root, "service", "gone"))
	}
	pids := same("added", "link", "plain")
	var first []string
	for i, r := range runs {
		line, _, _ := strings.Cut(stderrOf(r.p), "\n")
		first = append(first, line)
		if !strings.Contains(line, "unable to stat dangling") {
			t.Errorf("%s: first warning %q", impls[i].name, line)
		}
	}
	if !slices.Equal(first[:1], first[1:]) {
		t.Errorf("first warnings differ:\n%s: %q\n%s: %q", impls[0].name, first[0], impls[1].name, first[1])
	}
	stopByPID(t, pids)
}
