package sv

import (
	"bufio"
	"io"
	"strconv"

	"github.com/gorunit/gorunit/internal/errtext"
)

// Output rules (runit's sv.c): results go to stdout, one line per service,
// as "<prefix><service>: <message>[: <errno text>]", with prefixes "ok: ",
// "fail: ", "warning: ", "timeout: ", "kill: "; status lines are
// "<state>: <name>: ..." (see printStatus). Only fatal errors, usage and
// the warnings runit prints with its second buffer go to stderr. "fail"
// and "warning" each count one failure toward the exit code. With -j a
// "fail" or "warning" line is not printed but kept in lastErr, for the
// service's {"service":..., "error":...} object (json.go); it still counts.

// output wraps stdout and stderr with runit's line helpers.
type output struct {
	w       *bufio.Writer // stdout, flushed where runit flushes
	e       io.Writer     // stderr
	name    string        // the service as typed, for messages
	isLog   bool          // messages name "<service>/log"
	rc      int           // failures so far
	json    bool          // -j: keep fail and warning messages in lastErr
	lastErr string        // the last one kept
}

func (o *output) puts(s string) { o.w.WriteString(s) }

func (o *output) flush(s string) {
	o.w.WriteString(s)
	o.w.Flush()
}

func (o *output) putUint(n int64) { o.w.WriteString(strconv.FormatInt(n, 10)) }

// line prints "<prefix><service>[/log]: <msg>[: <errno text>]".
func (o *output) line(prefix, msg string, err error) {
	if o.json {
		o.lastErr = msg
		if err != nil {
			o.lastErr += ": " + errtext.Of(err)
		}
		return
	}
	o.puts(prefix)
	o.puts(o.name)
	if o.isLog {
		o.puts("/log")
	}
	o.puts(": ")
	o.puts(msg)
	if err != nil {
		o.puts(": ")
		o.puts(errtext.Of(err))
	}
	o.flush("\n")
}

func (o *output) fail(msg string, err error) { o.rc++; o.line("fail: ", msg, err) }
func (o *output) warn(msg string, err error) { o.rc++; o.line("warning: ", msg, err) }
func (o *output) ok(msg string)              { o.line("ok: ", msg, nil) }

// warn2 is runit's second-buffer warning: "warning: <what>: <errno text>"
// on stderr, not counted.
func (o *output) warn2(what string, err error) {
	o.w.Flush()
	io.WriteString(o.e, "warning: "+what+": "+errtext.Of(err)+"\n")
}
