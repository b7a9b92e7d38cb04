package errtext

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
)

func TestOf(t *testing.T) {
	_, statErr := os.Stat("/nonexistent/gorunit/path")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, "no error"},
		{"path error", statErr, "file does not exist"},
		{"wrapped", fmt.Errorf("open x: %w", syscall.EACCES), "access denied"},
		{"eagain", syscall.EAGAIN, "temporary failure"},
		{"enxio", syscall.ENXIO, "device not configured"},
		{"eperm", syscall.EPERM, "permission denied"},
		{"unknown errno", syscall.Errno(4000), "unknown error"},
		{"no errno", errors.New("bad format"), "bad format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(tt.err); got != tt.want {
				t.Fatalf("Of(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}
