package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name string
		old  string // "" means no file before
		data string
	}{
		{"new file", "", "run\n"},
		{"replace longer", "finish, got TERM\n", "down\n"},
		{"empty", "123\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path, tmp := filepath.Join(dir, "stat"), filepath.Join(dir, "stat.new")
			if tt.old != "" {
				os.WriteFile(path, []byte(tt.old), 0o644)
			}
			if err := Write(path, tmp, []byte(tt.data)); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != tt.data {
				t.Fatalf("content = %q, %v; want %q", got, err, tt.data)
			}
			if _, err := os.Stat(tmp); !os.IsNotExist(err) {
				t.Fatalf("temporary file left behind: %v", err)
			}
		})
	}
}

func TestWriteErrorNamesFile(t *testing.T) {
	dir := t.TempDir()
	tmp := filepath.Join(dir, "missing", "status.new")
	err := Write(filepath.Join(dir, "missing", "status"), tmp, []byte("x"))
	if !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("error = %v, want ENOENT", err)
	}
	if want := "open " + tmp + ": no such file or directory"; err.Error() != want {
		t.Fatalf("error = %q, want %q", err, want)
	}
}
