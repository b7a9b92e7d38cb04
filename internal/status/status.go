// Package status encodes and decodes runit's 20-byte supervise/status record,
// the file through which runsv tells sv (ours or Debian's) what a service is
// doing. The layout is runit 2.1.2's, byte for byte:
//
//	0-11  TAI64N label of the last change (see package tai64n)
//	12-15 pid, little-endian; 0 when nothing runs
//	16    1 when paused
//	17    'u' when up is wanted, 'd' for down or exit
//	18    1 when TERM was sent and the process has not exited yet
//	19    state: 0 down, 1 run, 2 finish
package status

import (
	"encoding/binary"
	"fmt"

	"github.com/gorunit/gorunit/internal/tai64n"
)

// Size is the length of a status record.
const Size = 20

// State is what the service is running right now.
type State uint8

// The states runsv records in byte 19.
const (
	Down   State = 0
	Run    State = 1
	Finish State = 2
)

// String returns the word runsv writes into supervise/stat and sv prints.
func (s State) String() string {
	switch s {
	case Down:
		return "down"
	case Run:
		return "run"
	case Finish:
		return "finish"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// Want bytes: byte 17 of the record.
const (
	WantUp   byte = 'u'
	WantDown byte = 'd'
)

// Record is one decoded status file.
type Record struct {
	Stamp  tai64n.Label // when the current state began
	PID    int          // 0 when nothing runs
	Paused bool
	Want   byte // WantUp or WantDown
	Term   bool // TERM sent, process not gone yet
	State  State
}

// Encode writes the record into b, which must hold Size bytes. It does not
// allocate, so runsv can reuse one buffer for every update.
func (r *Record) Encode(b []byte) {
	_ = b[Size-1]
	r.Stamp.Pack(b[0:12])
	binary.LittleEndian.PutUint32(b[12:16], uint32(r.PID))
	b[16] = boolByte(r.Paused)
	b[17] = r.Want
	b[18] = boolByte(r.Term)
	b[19] = byte(r.State)
}

// ErrFormat means the data is not a 20-byte record.
var ErrFormat = fmt.Errorf("bad format")

// Decode parses a status record. Like runit's sv it accepts any byte values
// and only insists on the length.
func Decode(b []byte) (Record, error) {
	if len(b) != Size {
		return Record{}, ErrFormat
	}
	return Record{
		Stamp:  tai64n.Unpack(b[0:12]),
		PID:    int(binary.LittleEndian.Uint32(b[12:16])),
		Paused: b[16] != 0,
		Want:   b[17],
		Term:   b[18] != 0,
		State:  State(b[19]),
	}, nil
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}
