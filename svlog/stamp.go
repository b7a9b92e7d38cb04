package svlog

import (
	"time"

	"github.com/gorunit/gorunit/internal/tai64n"
)

// stampLen is the length of every timestamp svlogd writes: 25 characters
// and a space.
const stampLen = 26

// Timestamp kinds, by how many -t were given.
const (
	stampNone  = 0
	stampTAI   = 1 // -t: "@" and 24 hex digits of TAI64N
	stampHuman = 2 // -tt: 2006-01-02_15:04:05.12345, UTC
	stampISO   = 3 // -ttt: the same with 'T'
)

// stamper formats the timestamp prefix, and formats it again only when
// the clock has moved by a unit it shows (a microsecond for -t, ten for
// -tt): every line read in one block gets the same stamp, formatted once.
type stamper struct {
	kind  int
	valid bool
	key   int64 // the clock in the stamp's unit when buf was formatted
	buf   [stampLen]byte
}

// at returns the prefix for time t, or nil when lines are not stamped.
// The slice is the stamper's own, good until the next call.
func (s *stamper) at(t time.Time) []byte {
	if s.kind == stampNone {
		return nil
	}
	usec := int64(t.Nanosecond() / 1000)
	key := t.Unix()*1000000 + usec
	if s.kind != stampTAI {
		key /= 10
	}
	if !s.valid || key != s.key {
		s.format(t)
		s.key, s.valid = key, true
	}
	return s.buf[:]
}

const hexDigits = "0123456789abcdef"

func (s *stamper) format(t time.Time) {
	b := &s.buf
	b[stampLen-1] = ' '
	if s.kind == stampTAI {
		var pack [tai64n.Size]byte
		tai64n.FromTime(t).Pack(pack[:])
		b[0] = '@'
		for i, c := range pack {
			b[1+2*i] = hexDigits[c>>4]
			b[2+2*i] = hexDigits[c&15]
		}
		return
	}
	// runit's fmt_ptime: UTC, and the first five of the nine digits of
	// TAI64N nanoseconds, which runit sets to microseconds*1000+500.
	u := t.UTC()
	year, month, day := u.Date()
	put(b[0:4], year)
	b[4] = '-'
	put(b[5:7], int(month))
	b[7] = '-'
	put(b[8:10], day)
	b[10] = '_'
	if s.kind == stampISO {
		b[10] = 'T'
	}
	put(b[11:13], u.Hour())
	b[13] = ':'
	put(b[14:16], u.Minute())
	b[16] = ':'
	put(b[17:19], u.Second())
	b[19] = '.'
	put(b[20:25], u.Nanosecond()/10000)
}

// put writes v in decimal into b, zero-padded to b's length.
func put(b []byte, v int) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
}
