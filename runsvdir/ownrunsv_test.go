package runsvdir_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
)

// TestOwnRunsvFirst: runsvdir starts the runsv beside its own binary, even
// when PATH finds another runsv first (Debian's /usr/bin/runsv before
// /usr/local/bin): otherwise runit in a container with both installed
// would silently lose what our runsv adds (notification-fd, ...).
func TestOwnRunsvFirst(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other")
	os.Mkdir(other, 0o755)
	// A runsv that only says it ran.
	os.WriteFile(filepath.Join(other, "runsv"), []byte("#!/bin/sh\ntouch "+filepath.Join(dir, "wrong-runsv")+"\nexec sleep 1000\n"), 0o755)
	svc := service(t, filepath.Join(dir, "sv", "a"), "#!/bin/sh\nexec sleep 1000\n")
	p := testutil.StartEnv(t, dir, []string{fastExit, "PATH=" + other + ":" + os.Getenv("PATH")}, "runsvdir", filepath.Join(dir, "sv"))
	pids := waitRunsvs(t, p.Pid(), "a")
	testutil.WaitStat(t, svc, "run")
	if _, err := os.Stat(filepath.Join(dir, "wrong-runsv")); err == nil {
		t.Error("runsvdir started the runsv PATH found first, not its own")
	}
	stopByPID(t, pids)
}
