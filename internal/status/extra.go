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
const ReadySize = stampedSize

// Ready is one decoded supervise/ready.
type Ready struct {
	Stamp tai64n.Label
	PID   int
}

// Encode writes the record into b, which must hold ReadySize bytes.
func (r *Ready) Encode(b []byte) { encodeStamped(b, r.Stamp, r.PID) }

// DecodeReady parses supervise/ready.
func DecodeReady(b []byte) (Ready, error) {
	l, n, err := decodeStamped(b)
	return Ready{Stamp: l, PID: n}, err
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
const BackoffSize = stampedSize

// Backoff is one decoded supervise/backoff.
type Backoff struct {
	Until    tai64n.Label
	Failures int
}

// Encode writes the record into b, which must hold BackoffSize bytes.
func (r *Backoff) Encode(b []byte) { encodeStamped(b, r.Until, r.Failures) }

// DecodeBackoff parses supervise/backoff.
func DecodeBackoff(b []byte) (Backoff, error) {
	l, n, err := decodeStamped(b)
	return Backoff{Until: l, Failures: n}, err
}

// stampedSize is the length of both records: a TAI64N label, then a
// number, 4 bytes little-endian as the status record's pid.
const stampedSize = tai64n.Size + 4

func encodeStamped(b []byte, l tai64n.Label, n int) {
	_ = b[stampedSize-1]
	l.Pack(b[0:tai64n.Size])
	binary.LittleEndian.PutUint32(b[tai64n.Size:stampedSize], uint32(n))
}

func decodeStamped(b []byte) (tai64n.Label, int, error) {
	if len(b) != stampedSize {
		return tai64n.Label{}, 0, ErrFormat
	}
	return tai64n.Unpack(b[0:tai64n.Size]), int(binary.LittleEndian.Uint32(b[tai64n.Size:stampedSize])), nil
}
