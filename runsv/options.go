package runsv

import (
	"errors"
	"os"
	"time"

	"github.com/gorunit/gorunit/internal/optin"
)

// options is what a service opted into with files of its own (package
// optin). A service directory without them behaves exactly as under runit.
type options struct {
	notifyFD   int // 0: no readiness notification
	backoff    optin.Backoff
	hasBackoff bool
	daemon     *optin.Daemon // nil: ./run is the service
	killTree   bool
	killGrace  time.Duration
}

// readOptions reads the opt-in files of s before each start of ./run, so
// an edit takes effect at the next start. A bad file is a warning and
// counts as absent.
func (r *runsv) readOptions(s *service) options {
	dir := "."
	if s.isLog {
		dir = "log"
	}
	var o options
	var err error
	if o.notifyFD, err = optin.NotificationFD(dir); err != nil {
		r.warnOptin(s, err)
	}
	if o.backoff, o.hasBackoff, err = optin.ReadBackoff(dir); err != nil {
		r.warnOptin(s, err)
	}
	if d, ok, err := optin.ReadDaemon(dir); err != nil {
		r.warnOptin(s, err)
	} else if ok {
		o.daemon = &d
	}
	if o.killGrace, o.killTree, err = optin.ReadKillTree(dir, os.Getenv(optin.KillTreeEnv)); err != nil {
		r.warnOptin(s, err)
	}
	return o
}

// warnOptin words an opt-in file's error on one line: runit's "unable to
// read FILE: errno text" when it could not be read, else what is wrong
// with its content.
func (r *runsv) warnOptin(s *service, err error) {
	var pe *os.PathError
	if errors.As(err, &pe) {
		r.warnErr("unable to read "+pe.Path, pe.Err)
		return
	}
	r.warnErr(s.name+err.Error(), nil)
}
