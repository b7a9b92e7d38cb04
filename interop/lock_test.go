package interop

import (
	"path/filepath"
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
)

// TestLockAcrossImplementations: the supervise/lock of either runsv keeps
// the other off the service, with the same message and exit code.
func TestLockAcrossImplementations(t *testing.T) {
	deb := testutil.Debian(t, "runsv")
	ours := testutil.Bin("runsv")
	tests := []struct{ name, first, second string }{
		{"Debian's first", deb, ours},
		{"ours first", ours, deb},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testutil.Tree(t, map[string]string{"svc/run": "#!/bin/sh\nexec sleep 3600\n"})
			testutil.Start(t, dir, tt.first, "svc")
			testutil.WaitStat(t, filepath.Join(dir, "svc"), "run")
			_, stderr, code := testutil.Run(t, dir, tt.second, "svc")
			if want := "runsv svc: fatal: unable to lock supervise/lock: temporary failure\n"; code != 111 || stderr != want {
				t.Fatalf("second runsv: exit %d, %q; want 111, %q", code, stderr, want)
			}
		})
	}
}
