package sv

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/gorunit/gorunit/internal/status"
	"github.com/gorunit/gorunit/internal/tai64n"
)

// TestLongJSON: --json is -j wherever an option may stand, and nowhere else.
func TestLongJSON(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"alone", []string{"--json", "status", "web"}, []string{"-j", "status", "web"}},
		{"after -w N", []string{"-w", "5", "--json", "status", "web"}, []string{"-w", "5", "-j", "status", "web"}},
		{"after -vw N", []string{"-vw", "5", "--json", "s", "x"}, []string{"-vw", "5", "-j", "s", "x"}},
		{"after -w5", []string{"-w5", "--json", "s", "x"}, []string{"-w5", "-j", "s", "x"}},
		{"argument of -w", []string{"-w", "--json", "s", "x"}, []string{"-w", "--json", "s", "x"}},
		{"a service", []string{"status", "--json"}, []string{"status", "--json"}},
		{"after --", []string{"--", "--json", "x"}, []string{"--", "--json", "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]string(nil), tt.in...)
			if got := longJSON(in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("longJSON(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !reflect.DeepEqual(in, tt.in) {
				t.Errorf("longJSON changed its argument to %q", in)
			}
		})
	}
}

// TestBackoffLeft: the seconds to a held-back restart are rounded up, so
// that a restart still to come never reads "restart in 0s".
func TestBackoffLeft(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name string
		in   time.Duration // until the restart; 0: no file
		want int64
	}{
		{"none", 0, 0},
		{"a microsecond", time.Microsecond, 1},
		{"0.3 s", 300 * time.Millisecond, 1},
		{"1 s", time.Second, 1},
		{"just over 1 s", time.Second + 2*time.Microsecond, 2},
		{"50.5 s", 50500 * time.Millisecond, 51},
		{"past", -time.Second, 0},
		{"now", -time.Microsecond, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			if err := os.Mkdir("supervise", 0o755); err != nil {
				t.Fatal(err)
			}
			if tt.in != 0 {
				// Labels carry microseconds, plus runit's 500 ns.
				rec := status.Backoff{Until: tai64n.FromTime(now.Truncate(time.Microsecond).Add(tt.in)), Failures: 2}
				var b [status.BackoffSize]byte
				rec.Encode(b[:])
				if err := os.WriteFile("supervise/backoff", b[:], 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var stderr bytes.Buffer
			s := &sv{output: output{w: bufio.NewWriter(io.Discard), e: &stderr}, tnow: now.Truncate(time.Microsecond)}
			if got := s.backoffLeft(); got != tt.want || stderr.Len() != 0 {
				t.Errorf("backoffLeft() = %d, want %d (stderr %q)", got, tt.want, stderr.String())
			}
		})
	}
}
