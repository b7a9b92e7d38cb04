// Package tai64n converts between time.Time and the TAI64N labels that runit
// writes into supervise/status and svlogd writes into its timestamps.
//
// runit does not apply real leap seconds: a label is 2^62 + 10 + Unix
// seconds, and the nanosecond field is the microsecond clock times 1000
// plus 500 (runit's taia_now). We keep both quirks so that our files are
// byte-for-byte what Debian's runsv writes and our readers agree with it.
package tai64n

import (
	"encoding/binary"
	"encoding/hex"
	"time"
)

// Offset is what runit adds to Unix seconds to make a TAI64 label:
// 2^62 marks the label as a post-1970 time, 10 is the fixed TAI−UTC offset
// runit assumes (it ignores later leap seconds).
const Offset = uint64(1)<<62 + 10

// Size is the length of a packed TAI64N label: 8 bytes of seconds and 4 of
// nanoseconds, both big-endian.
const Size = 12

// Label is a TAI64N label: TAI seconds and nanoseconds.
type Label struct {
	Sec  uint64
	Nano uint32
}

// FromTime returns the label runit would stamp at t: microsecond precision
// with 500 ns added, as runit's taia_now does with gettimeofday.
func FromTime(t time.Time) Label {
	usec := uint32(t.Nanosecond() / 1000)
	return Label{Sec: Offset + uint64(t.Unix()), Nano: usec*1000 + 500}
}

// Now is FromTime(time.Now()).
func Now() Label { return FromTime(time.Now()) }

// Time converts the label back to wall-clock time.
func (l Label) Time() time.Time {
	return time.Unix(int64(l.Sec-Offset), int64(l.Nano))
}

// Unix returns the label's seconds as Unix seconds.
func (l Label) Unix() int64 { return int64(l.Sec - Offset) }

// Pack writes the label into the first 12 bytes of b.
func (l Label) Pack(b []byte) {
	_ = b[Size-1]
	binary.BigEndian.PutUint64(b[0:8], l.Sec)
	binary.BigEndian.PutUint32(b[8:12], l.Nano)
}

// Unpack reads a label from the first 12 bytes of b.
func Unpack(b []byte) Label {
	_ = b[Size-1]
	return Label{Sec: binary.BigEndian.Uint64(b[0:8]), Nano: binary.BigEndian.Uint32(b[8:12])}
}

// String returns the external form svlogd uses: "@" and 24 hex digits.
func (l Label) String() string {
	var b [Size]byte
	l.Pack(b[:])
	return "@" + hex.EncodeToString(b[:])
}

// Add returns the label d later, for deadlines computed in TAI time.
func (l Label) Add(d time.Duration) Label { return FromTime(l.Time().Add(d)) }

// Before reports whether l is earlier than m.
func (l Label) Before(m Label) bool {
	return l.Sec < m.Sec || (l.Sec == m.Sec && l.Nano < m.Nano)
}
