package runsv

import (
	"time"

	"github.com/gorunit/gorunit/internal/status"
	"github.com/gorunit/gorunit/internal/tai64n"
	"golang.org/x/sys/unix"
)

// holdBack decides when a service that just went down may start ./run
// again. runit's rule is kept: a ./run that lasted under a second waits a
// second. A service with a backoff file also waits 1 s, 2 s, 4 s ... up
// to its maximum for each quick exit in a row, and starts counting again
// after a run that lasted its reset time. A stop we asked for (sv down,
// sv term) is not a failure.
func (r *runsv) holdBack(s *service, began tai64n.Label, asked bool) {
	now := time.Now()
	var wait time.Duration
	if s.start.Before(began.Add(throttle)) {
		wait = throttle
	}
	if s.opts.hasBackoff && !asked && s.want == wantUp {
		if now.Sub(began.Time()) >= s.opts.backoff.Reset {
			s.failures = 0
		} else {
			s.failures++
			wait = max(wait, s.opts.backoff.Delay(s.failures))
		}
	}
	if wait == 0 {
		return
	}
	s.notBefore = now.Add(wait)
	if s.failures > 0 {
		r.writeBackoff(s)
	}
}

// writeBackoff publishes when the held-back start is due, for sv status.
func (r *runsv) writeBackoff(s *service) {
	if !r.dirs.goneSince.IsZero() {
		return
	}
	var b [status.BackoffSize]byte
	rec := status.Backoff{Until: tai64n.FromTime(s.notBefore), Failures: s.failures}
	rec.Encode(b[:])
	if r.update(s.paths.backoff, s.paths.backoffNew, b[:]) {
		s.extra.backoff = true
	}
}

// skipBackoff lets sv up start a backing-off service at once.
func (r *runsv) skipBackoff(s *service) {
	if s.opts.hasBackoff && s.state == status.Down && time.Now().Before(s.notBefore) {
		s.notBefore = time.Time{}
		r.clearBackoff(s)
	}
}

// clearBackoff removes supervise/backoff once the wait is over.
func (r *runsv) clearBackoff(s *service) {
	if s.extra.backoff {
		unix.Unlink(s.paths.backoff)
		s.extra.backoff = false
	}
}
