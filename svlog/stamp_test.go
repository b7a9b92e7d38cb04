package svlog

import (
	"testing"
	"time"
)

func TestStamper(t *testing.T) {
	at := time.Date(2026, 11, 24, 4, 5, 6, 123456789, time.UTC)
	tests := []struct {
		kind int
		want string
	}{
		{stampTAI, "@400000006b050cfc075bcbf4 "}, // 2^62+10+sec; usec*1000+500
		{stampHuman, "2026-11-24_04:05:06.12345 "},
		{stampISO, "2026-11-24T04:05:06.12345 "},
	}
	for _, tt := range tests {
		s := stamper{kind: tt.kind}
		if got := string(s.at(at)); got != tt.want {
			t.Errorf("kind %d: %q, want %q", tt.kind, got, tt.want)
		}
		// Formatted again once the clock moves by a unit it shows.
		later := at.Add(10 * time.Microsecond)
		if got := string(s.at(later)); got == tt.want {
			t.Errorf("kind %d: stamp did not change 10µs later", tt.kind)
		}
	}
	var none stamper
	if none.at(at) != nil {
		t.Error("no -t: want no stamp")
	}
}
