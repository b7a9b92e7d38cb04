package runit_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
)

// TestMainWaitsForRunsv: the main command starts once every service has
// its runsv, so that `sv -w N start db` in it finds one: without the
// wait sv fails at once with "runsv not running" (exit 1), as phusion's
// my_init users found (FIELD-NOTES: baseimage-docker#44). The db service
// is ready only half a second after it starts, which sv waits for too.
func TestMainWaitsForRunsv(t *testing.T) {
	needServices(t)
	dir := testutil.Tree(t, map[string]string{
		"sv/db/run":             "#!/bin/sh\nsleep 0.5\necho >&3\nexec sleep 1000\n",
		"sv/db/notification-fd": "3",
		"sv/web/run":            "#!/bin/sh\nexec sleep 1000\n",
	})
	svdir := filepath.Join(dir, "sv")
	p, _ := inNamespace(t, dir, []string{"SVDIR=" + svdir}, "--", "sh", "-c", "sv -w 10 start db web && sv status db")
	if code := p.Wait(t); code != 0 {
		t.Fatalf("main command exited %d; stdout: %s; stderr: %s", code, p.Stdout, p.Stderr)
	}
	if out := p.Stdout.String(); !strings.Contains(out, ", ready ") {
		t.Errorf("db not ready when sv start returned:\n%s", out)
	}
}
