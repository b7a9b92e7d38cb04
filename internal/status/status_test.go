package status

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/gorunit/gorunit/internal/tai64n"
)

// TestDebianRecords decodes records captured from Debian's runsv and
// encodes them again: both directions must match byte for byte.
func TestDebianRecords(t *testing.T) {
	tests := []struct {
		dir  string
		want Record
	}{
		{"run", Record{PID: 3862, Want: WantUp, State: Run}},
		{"down", Record{PID: 0, Want: WantDown, State: Down}},
		{"paused", Record{PID: 3865, Paused: true, Want: WantUp, State: Run}},
		{"term", Record{PID: 3866, Want: WantDown, Term: true, State: Run}},
		{"finish", Record{PID: 3870, Want: WantUp, State: Finish}},
		{"wantdown", Record{PID: 3869, Want: WantDown, State: Run}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "debian-status", tt.dir, "status"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Stamp = got.Stamp
			if got != tt.want {
				t.Fatalf("Decode = %+v, want %+v", got, tt.want)
			}
			if got.Stamp.Nano%1000 != 500 {
				t.Errorf("stamp nanoseconds %d do not end in 500 as runit's do", got.Stamp.Nano)
			}
			var b [Size]byte
			got.Encode(b[:])
			if !bytes.Equal(b[:], raw) {
				t.Fatalf("Encode = % x, want % x", b, raw)
			}
		})
	}
}

func TestDecodeBadLength(t *testing.T) {
	for _, n := range []int{0, 1, 18, 19, 21, 35} {
		if _, err := Decode(make([]byte, n)); err != ErrFormat {
			t.Errorf("Decode(%d bytes) error = %v, want ErrFormat", n, err)
		}
	}
}

func TestStateString(t *testing.T) {
	tests := []struct {
		s    State
		want string
	}{{Down, "down"}, {Run, "run"}, {Finish, "finish"}, {State(7), "state(7)"}}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("%d.String() = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestExtraRecordsRoundTrip(t *testing.T) {
	ready := Ready{Stamp: tai64n.Label{Sec: tai64n.Offset + 1700000000, Nano: 500}, PID: 4242}
	var b [ReadySize]byte
	ready.Encode(b[:])
	if got, err := DecodeReady(b[:]); err != nil || got != ready {
		t.Errorf("ready: got %v, %v", got, err)
	}
	if !ready.Matches(Record{State: Run, PID: 4242}) || ready.Matches(Record{State: Down, PID: 4242}) || ready.Matches(Record{State: Run, PID: 1}) {
		t.Error("Matches: wrong")
	}
	backoff := Backoff{Until: ready.Stamp, Failures: 3}
	var c [BackoffSize]byte
	backoff.Encode(c[:])
	if got, err := DecodeBackoff(c[:]); err != nil || got != backoff {
		t.Errorf("backoff: got %v, %v", got, err)
	}
	if _, err := DecodeReady(b[:5]); err == nil {
		t.Error("short ready record accepted")
	}
}
