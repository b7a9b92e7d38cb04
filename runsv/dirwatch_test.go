package runsv_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
)

// TestDirectoryRemoved: rm -rf of the service directory stops the service
// and runsv exits, instead of retrying a ./run that is gone forever.
func TestDirectoryRemoved(t *testing.T) {
	dir := testutil.Tree(t, map[string]string{"svc/run": recorderRun})
	signals := filepath.Join(dir, "signals")
	os.WriteFile(filepath.Join(dir, "svc", "run"), []byte("#!/bin/sh\nexec sigrecorder "+signals+"\n"), 0o755)
	p, svc := startRunsv(t, dir, "svc")
	pid := testutil.WaitPID(t, svc, 0)
	testutil.Eventually(t, "recorder ready", func() bool { return strings.Contains(testutil.ReadFile(signals), "ready") })
	if err := os.RemoveAll(svc); err != nil {
		t.Fatal(err)
	}
	if code := p.Wait(t); code != 0 {
		t.Fatalf("runsv exit %d; stderr %s", code, p.Stderr)
	}
	if got := testutil.ReadFile(signals); !strings.Contains(got, "TERM") {
		t.Errorf("service %d was not stopped: %q", pid, got)
	}
	if !strings.Contains(p.Stderr.String(), "runsv svc: warning: service directory was removed; stopping\n") {
		t.Errorf("stderr: %q", p.Stderr)
	}
}

// TestDirectoryReplaced: a service directory deleted and created again
// (a configuration tool's rm -rf and copy) is followed: sv reaches runsv
// through the new directory, and the next start uses the new ./run.
func TestDirectoryReplaced(t *testing.T) {
	dir := testutil.Tree(t, map[string]string{"svc/run": "#!/bin/sh\necho up > ../up\nexec sleep 3600\n"})
	p, svc := startRunsv(t, dir, "svc")
	pid := testutil.WaitPID(t, svc, 0)
	// The pid is written at the fork: wait until ./run has been read, or
	// the removal below makes it fail and restart (a test race, once).
	testutil.Eventually(t, "./run running", func() bool { return testutil.ReadFile(filepath.Join(dir, "up")) == "up\n" })
	tmp := filepath.Join(dir, "svc.new")
	os.Mkdir(tmp, 0o755)
	os.WriteFile(filepath.Join(tmp, "run"), []byte("#!/bin/sh\necho new > started\nexec sleep 3600\n"), 0o755)
	if err := os.RemoveAll(svc); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, svc); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "status in the new directory", func() bool {
		out, _, _ := testutil.Run(t, dir, "sv", "status", "./svc")
		return strings.HasPrefix(out, "run: ./svc: (pid ")
	})
	if got := testutil.WaitPID(t, svc, 0); got != pid {
		t.Fatalf("pid in the new directory = %d, want the running %d; stderr: %s", got, pid, p.Stderr)
	}
	control(t, svc, "t")
	testutil.WaitPID(t, svc, pid)
	testutil.Eventually(t, "the new ./run", func() bool { return testutil.ReadFile(filepath.Join(svc, "started")) == "new\n" })
	if p.Exited() {
		t.Fatalf("runsv exited: %s", p.Stderr)
	}
}

// TestSuperviseRemoved: rm -rf supervise is repaired at once.
func TestSuperviseRemoved(t *testing.T) {
	dir := testutil.Tree(t, map[string]string{"svc/run": "#!/bin/sh\nexec sleep 3600\n"})
	_, svc := startRunsv(t, dir, "svc")
	pid := testutil.WaitPID(t, svc, 0)
	if err := os.RemoveAll(filepath.Join(svc, "supervise")); err != nil {
		t.Fatal(err)
	}
	if got := testutil.WaitPID(t, svc, 0); got != pid {
		t.Fatalf("pid = %d, want %d", got, pid)
	}
	out, _, code := testutil.Run(t, dir, "sv", "status", "./svc")
	if code != 0 || !strings.HasPrefix(out, "run: ./svc: (pid ") {
		t.Fatalf("sv status: %q exit %d", out, code)
	}
}
