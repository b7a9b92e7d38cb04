package runsv

import (
	"os"
	"strconv"
	"time"

	"github.com/gorunit/gorunit/internal/atomicfile"
	"github.com/gorunit/gorunit/internal/status"
	"github.com/gorunit/gorunit/internal/tai64n"
	"golang.org/x/sys/unix"
)

// want is what the operator asked for: runit keeps it apart from what runs.
type want uint8

const (
	wantUp want = iota
	wantDown
	wantExit
)

// service is one supervised process: ./run (with ./finish) or the log
// service in ./log. runsv owns two of them, as runit's svd[2]; only the
// loop goroutine touches them, so there is no locking.
type service struct {
	isLog bool
	name  string // "" for the main service, "log/" for the log service

	pid    int
	state  status.State
	want   want
	term   bool // TERM sent, not reaped yet ("got TERM")
	paused bool
	once   bool // 'o' arrived while a restart was held back by the throttle
	start  tai64n.Label
	wstat  unix.WaitStatus

	// notBefore holds back the next start of ./run after a quick exit:
	// runit sleeps a second there; we arm a timer and keep serving control.
	notBefore time.Time

	// What the service opted into (package optin), read at each start
	// of ./run, and the state each opt-in keeps (ready.go, backoff.go,
	// daemon.go, tree.go).
	opts      options
	notify    *os.File // read end of the current ./run's notification pipe
	ready     bool     // the current ./run (or its daemon) said it is ready
	failures  int      // quick exits in a row, for the backoff
	following bool     // pid is a daemon ./run left behind, not ./run
	asked     bool     // the last ./run ended because we stopped it
	adopting  bool     // ./run exited; looking for the daemon it left
	readopt   bool     // the followed daemon died: look once for a successor
	adoptEnd  time.Time
	adoptWS   unix.WaitStatus
	tree      tree
	extra     extraFiles

	pidChanged bool
	supervise  supervise // open files under supervise/
	paths      statusPaths
	buf        [status.Size]byte // reused for every status write
	text       []byte            // reused for stat and pid
}

// statusPaths are computed once so that a status write allocates nothing.
type statusPaths struct {
	status, statusNew, stat, statNew, pid, pidNew string
	ready, readyNew, backoff, backoffNew          string
}

func newService(isLog bool) *service {
	s := &service{isLog: isLog, want: wantUp, start: tai64n.Now(), pidChanged: true, text: make([]byte, 0, 64)}
	if isLog {
		s.name = "log/"
	}
	p := s.name + "supervise/"
	s.paths = statusPaths{
		status: p + "status", statusNew: p + "status.new",
		stat: p + "stat", statNew: p + "stat.new",
		pid: p + "pid", pidNew: p + "pid.new",
		ready: p + status.ReadyFile, readyNew: p + status.ReadyFile + ".new",
		backoff: p + status.BackoffFile, backoffNew: p + status.BackoffFile + ".new",
	}
	return s
}

// record is the service's state as the 20-byte status record says it.
func (s *service) record() status.Record {
	r := status.Record{Stamp: s.start, PID: s.pid, Paused: s.paused, Want: status.WantDown, Term: s.term, State: s.state}
	if s.want == wantUp {
		r.Want = status.WantUp
	}
	return r
}

// statText is the one-line supervise/stat, as runit words it.
func (s *service) statText(b []byte) []byte {
	b = append(b, s.state.String()...)
	if s.paused {
		b = append(b, ", paused"...)
	}
	if s.term {
		b = append(b, ", got TERM"...)
	}
	if s.state != status.Down {
		switch s.want {
		case wantDown:
			b = append(b, ", want down"...)
		case wantExit:
			b = append(b, ", want exit"...)
		}
	}
	return append(b, '\n')
}

// writeStatus publishes the service's state in pid (when it changed), stat
// and status, each written to a .new file and renamed, as runit does. A
// failure is a warning: the supervisor goes on.
func (r *runsv) writeStatus(s *service) {
	if !r.dirs.goneSince.IsZero() {
		return // the service directory is gone: nowhere to write
	}
	if s.pidChanged {
		s.text = s.text[:0]
		if s.pid != 0 {
			s.text = strconv.AppendInt(s.text, int64(s.pid), 10)
			s.text = append(s.text, '\n')
		}
		if !r.update(s.paths.pid, s.paths.pidNew, s.text) {
			return
		}
		s.pidChanged = false
	}
	s.text = s.statText(s.text[:0])
	r.update(s.paths.stat, s.paths.statNew, s.text)
	rec := s.record()
	rec.Encode(s.buf[:])
	r.update(s.paths.status, s.paths.statusNew, s.buf[:])
}

// update replaces one supervise file through tmp and a rename, as runit
// does; a failure is a warning, never the end of runsv.
func (r *runsv) update(path, tmp string, data []byte) bool {
	if err := atomicfile.Write(path, tmp, data); err != nil {
		r.warnErr("unable to update "+path, err)
		return false
	}
	return true
}

// supervise holds the files runsv keeps open in a supervise directory.
type supervise struct {
	lock             *os.File
	control, holdCtl *os.File // read end, and our own write end so reads never see EOF
	ok               int      // read end of supervise/ok, held so sv can test we live
}

func (sv *supervise) close() {
	for _, f := range []*os.File{sv.control, sv.holdCtl, sv.lock} {
		if f != nil {
			f.Close()
		}
	}
	if sv.ok > 0 {
		unix.Close(sv.ok)
	}
	*sv = supervise{}
}
