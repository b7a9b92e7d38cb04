package sv

import (
	"github.com/gorunit/gorunit/internal/jsontext"
	"strconv"

	"github.com/gorunit/gorunit/internal/errtext"
	"github.com/gorunit/gorunit/internal/status"
	"golang.org/x/sys/unix"
)

// JSON output (-j, --json; status only): one object per service and line
// (JSON Lines), fields always in this order:
//
//	{"service":"web","state":"run","pid":12,"seconds":40,"want":"up",
//	 "paused":false,"term":false,"normally_up":false,"ready":true,
//	 "ready_seconds":39,"log":null}
//
// paused and term are the status line's "paused" and "got TERM" (false
// when nothing runs); ready is left out for a service without a
// notification-fd, ready_seconds unless it is ready, backoff_seconds
// unless runsv holds a restart back. log is null without a log/ directory,
// else the same object for log/ (named "web/log", without a log field).
// Where the status line would be a "fail:" or "warning:" line, the object
// is {"service":"web","error":"runsv not running"}, in runit's words; the
// exit code is the one status would give. The encoder is written out here:
// encoding/json would add its reflection to the one binary of the suite.

// printJSONStatus is the status command with -j, for the service in the
// current directory. It returns what printFullStatus does.
func (s *sv) printJSONStatus() int {
	r := s.readStatus()
	if r <= 0 {
		s.putJSON(appendJSONError(nil, s.name, s.lastErr))
		if r < 0 && s.lsb {
			s.lsbExit(4)
		}
		return 0
	}
	v, err := s.describe()
	if err != nil {
		s.putJSON(appendJSONError(nil, s.name, "unable to stat "+s.name+"/down: "+errtext.Of(err)))
		if s.lsb {
			s.lsbExit(4)
		}
		return 0
	}
	b := appendView(nil, s.name, &v)
	b = append(b, `,"log":`...)
	s.isLog = true
	b = s.appendLog(b)
	s.isLog = false
	s.putJSON(append(b, '}'))
	switch {
	case v.rec.PID != 0 && s.lsb:
		s.lsbExit(0)
	case s.lsb:
		s.lsbExit(3)
	case v.rec.PID != 0:
		return 1
	}
	return 2
}

// appendLog appends the log service's object, an error object, or null.
func (s *sv) appendLog(b []byte) []byte {
	name := s.name + "/log"
	if err := unix.Chdir("log"); err != nil {
		if err == unix.ENOENT {
			return append(b, "null"...)
		}
		s.warn("unable to change directory", err)
		return appendJSONError(b, name, s.lastErr)
	}
	if s.readStatus() <= 0 {
		return appendJSONError(b, name, s.lastErr)
	}
	v, err := s.describe()
	if err != nil {
		return appendJSONError(b, name, "unable to stat "+name+"/down: "+errtext.Of(err))
	}
	return append(appendView(b, name, &v), '}')
}

// putJSON prints one object and its newline.
func (s *sv) putJSON(b []byte) {
	s.w.Write(b)
	s.flush("\n")
}

// appendView appends the object for v, without its closing brace.
func appendView(b []byte, name string, v *view) []byte {
	run := v.rec.PID != 0
	b = append(b, `{"service":`...)
	b = jsontext.AppendString(b, name)
	b = append(b, `,"state":`...)
	b = jsontext.AppendString(b, v.rec.State.String())
	b = append(b, `,"pid":`...)
	b = strconv.AppendInt(b, int64(v.rec.PID), 10)
	b = append(b, `,"seconds":`...)
	b = strconv.AppendInt(b, v.age, 10)
	b = append(b, `,"want":`...)
	if v.rec.Want == status.WantUp {
		b = append(b, `"up"`...)
	} else {
		b = append(b, `"down"`...)
	}
	b = append(b, `,"paused":`...)
	b = strconv.AppendBool(b, run && v.rec.Paused)
	b = append(b, `,"term":`...)
	b = strconv.AppendBool(b, run && v.rec.Term)
	b = append(b, `,"normally_up":`...)
	b = strconv.AppendBool(b, v.normallyUp)
	if v.notify {
		b = append(b, `,"ready":`...)
		b = strconv.AppendBool(b, v.ready)
	}
	if v.ready {
		b = append(b, `,"ready_seconds":`...)
		b = strconv.AppendInt(b, v.readyAge, 10)
	}
	if v.backoff > 0 {
		b = append(b, `,"backoff_seconds":`...)
		b = strconv.AppendInt(b, v.backoff, 10)
	}
	return b
}

// appendJSONError appends {"service":name,"error":msg}.
func appendJSONError(b []byte, name, msg string) []byte {
	b = append(b, `{"service":`...)
	b = jsontext.AppendString(b, name)
	b = append(b, `,"error":`...)
	b = jsontext.AppendString(b, msg)
	return append(b, '}')
}
