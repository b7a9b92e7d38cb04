package tai64n

import (
	"bytes"
	"testing"
	"time"
)

func TestPackUnpack(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
		want []byte
	}{
		{"epoch", time.Unix(0, 0), []byte{0x40, 0, 0, 0, 0, 0, 0, 0x0a, 0, 0, 0x01, 0xf4}},
		{"runit sample", time.Unix(0x6b050479, 897188000), []byte{0x40, 0, 0, 0, 0x6b, 0x05, 0x04, 0x83, 0x35, 0x7a, 0x02, 0x94}},
		{"microseconds truncated", time.Unix(1, 123456789), []byte{0x40, 0, 0, 0, 0, 0, 0, 0x0b, 0x07, 0x5b, 0xcb, 0xf4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := FromTime(tt.at)
			var b [Size]byte
			l.Pack(b[:])
			if !bytes.Equal(b[:], tt.want) {
				t.Fatalf("Pack = % x, want % x", b, tt.want)
			}
			if got := Unpack(b[:]); got != l {
				t.Fatalf("Unpack = %+v, want %+v", got, l)
			}
			if got := l.Unix(); got != tt.at.Unix() {
				t.Fatalf("Unix = %d, want %d", got, tt.at.Unix())
			}
		})
	}
}

func TestString(t *testing.T) {
	l := Label{Sec: Offset + 0x6b050479, Nano: 0x357a0294}
	if got, want := l.String(), "@400000006b050483357a0294"; got != want {
		t.Fatalf("String = %q, want %q", got, want)
	}
}

func TestBefore(t *testing.T) {
	a := Label{Sec: 5, Nano: 10}
	tests := []struct {
		name string
		b    Label
		want bool
	}{
		{"later second", Label{Sec: 6}, true},
		{"same second later nano", Label{Sec: 5, Nano: 11}, true},
		{"equal", a, false},
		{"earlier", Label{Sec: 4, Nano: 999}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := a.Before(tt.b); got != tt.want {
				t.Fatalf("Before = %v, want %v", got, tt.want)
			}
		})
	}
}
