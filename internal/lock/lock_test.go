package lock

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestTryConflict(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lock")
	a, err := Try(p)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", st.Mode().Perm())
	}
	if _, err := Try(p); !errors.Is(err, syscall.EWOULDBLOCK) {
		t.Fatalf("second Try = %v, want EWOULDBLOCK", err)
	}
	a.Close()
	b, err := Try(p)
	if err != nil {
		t.Fatalf("Try after release: %v", err)
	}
	b.Close()
	c, err := Wait(p)
	if err != nil {
		t.Fatalf("Wait on a free lock: %v", err)
	}
	c.Close()
}

func TestOpenError(t *testing.T) {
	_, err := Try(filepath.Join(t.TempDir(), "no", "lock"))
	if !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("Try = %v, want ENOENT", err)
	}
}
