package status

import (
	"encoding/binary"

	"github.com/gorunit/gorunit/internal/tai64n"
)

// The files below are gorunit's own, beside runit's 20-byte status record,
// which keeps its meaning so that Debian's sv reads our services unchanged.
// Each exists only for a service that opts in (see package optin), and each
// is written atomically by runsv, as status is.

// ReadyFile is supervise/ready: when the service's ./run (or the daemon
// it left behind) said it was ready through its notification-fd.
const ReadyFile = "ready"

// ReadySize is the length of the supervise/ready record:
//
//	0-11  TAI64N label of the moment readiness was signalled
//	12-15 pid, little-endian, of the process that is ready
//
// A reader trusts the record only while the status record shows the same
// pid in state run: runsv removes it when ./run starts, but a runsv that
// is not ours (Debian's) never touches it, so a stale one must not count.
const ReadySize = 16

// Ready is one decoded supervise/ready.
type Ready struct {
	Stamp tai64n.Label
	PID   int
}

// Encode writes the record into b, which must hold ReadySize bytes.
func (r *Ready) Encode(b []byte) {
	_ = b[ReadySize-1]
	r.Stamp.Pack(b[0:12])
	binary.LittleEndian.PutUint32(b[12:16], uint32(r.PID))
}

// DecodeReady parses supervise/ready.
func DecodeReady(b []byte) (Ready, error) {
	if len(b) != ReadySize {
		return Ready{}, ErrFormat
	}
	return Ready{Stamp: tai64n.Unpack(b[0:12]), PID: int(binary.LittleEndian.Uint32(b[12:16]))}, nil
}

// Matches reports whether the ready record belongs to what rec says runs.
func (r *Ready) Matches(rec Record) bool {
	return rec.State == Run && rec.PID != 0 && rec.PID == r.PID
}

// BackoffFile is supervise/backoff: present while runsv holds back the
// next start of ./run of a service that opted into crash-loop backoff.
const BackoffFile = "backoff"

// BackoffSize is the length of the supervise/backoff record:
//
//	0-11  TAI64N label of when the next start is due
//	12-15 the number of quick exits in a row so far, little-endian
//
// A reader ignores a label in the past (the file of a runsv that died).
const BackoffSize = 16

// Backoff is one decoded supervise/backoff.
type Backoff struct {
	Until    tai64n.Label
	Failures int
}

// Encode writes the record into b, which must hold BackoffSize bytes.
func (r *Backoff) Encode(b []byte) {
	_ = b[BackoffSize-1]
	r.Until.Pack(b[0:12])
	binary.LittleEndian.PutUint32(b[12:16], uint32(r.Failures))
}

// DecodeBackoff parses supervise/backoff.
func DecodeBackoff(b []byte) (Backoff, error) {
	if len(b) != BackoffSize {
		return Backoff{}, ErrFormat
	}
	return Backoff{Until: tai64n.Unpack(b[0:12]), Failures: int(binary.LittleEndian.Uint32(b[12:16]))}, nil
}
