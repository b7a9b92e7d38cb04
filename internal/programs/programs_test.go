package programs

import (
	"os"
	"path/filepath"
	"testing"
)

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "gorunit")
	os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755)
	os.Symlink("gorunit", filepath.Join(dir, "sv"))
	os.Mkdir(filepath.Join(dir, "init.d"), 0o755)
	os.Symlink("../sv", filepath.Join(dir, "init.d", "web"))
	os.Symlink(bin, filepath.Join(dir, "other"))
	tests := []struct {
		name  string
		argv0 string
		found bool
	}{
		{"program name", "runsv", true},
		{"program path", "/usr/bin/sv", true},
		{"init script through sv", filepath.Join(dir, "init.d", "web"), true},
		{"link straight to the binary", filepath.Join(dir, "other"), false},
		{"not a link", bin, false},
		{"missing", filepath.Join(dir, "nothing"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := Resolve(tt.argv0); ok != tt.found {
				t.Fatalf("Resolve(%q) found = %v, want %v", tt.argv0, ok, tt.found)
			}
		})
	}
}
