package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
)

// built returns the repository's bin/gorunit, which `make test` builds
// before running the tests.
func built(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../../bin/gorunit")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Skip("bin/gorunit is not built (make build)")
	}
	return p
}

func TestMultiCall(t *testing.T) {
	bin := built(t)
	dir := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"list", []string{"list"}, 0, "", ""},
		{"program by name", []string{"sv"}, 100, "", "usage: sv [-v] [-w sec] command service ...\n\n"},
		{"unknown program", []string{"nosuch"}, 100, "", "gorunit: unknown program: nosuch\n"},
		{"no arguments", nil, 100, "", "usage: gorunit"},
		{"links", []string{"links", dir}, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := testutil.Run(t, dir, bin, tt.args...)
			if code != tt.code || !strings.HasPrefix(out, tt.stdout) || !strings.HasPrefix(errOut, tt.stderr) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out, errOut, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
	if out, _, _ := testutil.Run(t, dir, bin, "list"); !strings.Contains(out, "runsv\n") || !strings.Contains(out, "\nsv\n") {
		t.Errorf("list = %q", out)
	}
	// The links act as the programs.
	_, errOut, code := testutil.Run(t, dir, filepath.Join(dir, "runsv"))
	if code != 1 || !strings.HasPrefix(errOut, "usage: ") {
		t.Fatalf("runsv link: exit %d, %q", code, errOut)
	}
}

// TestDemo runs make demo's script for a few seconds: it must start the
// demo tree under runit, show readiness and a followed daemon, pass the
// main command's exit code on, and stop everything gracefully.
func TestDemo(t *testing.T) {
	built(t)
	root, _ := filepath.Abs("../..")
	out, errOut, code := testutil.RunEnv(t, root, []string{"DEMO_SECONDS=3"}, "/bin/sh", "testdata/demo/demo.sh")
	if code != 0 {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"run: hello: (pid ", "; run: log: (pid ", "run: ticker: (pid ", "down: idle: ",
		"run: forking: (pid ", ", ready ", "runit exited with code 3; all stopped"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	// Graceful: web's finish ran after TERM (signal 15), before runit exited.
	if !strings.Contains(errOut, "web: finish: run ended with exit code -1, signal 15") {
		t.Errorf("web was not stopped gracefully:\n%s", errOut)
	}
}
