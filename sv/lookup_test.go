package sv

import (
	"testing"
	"time"
)

// The expectations below are read off runit 2.1.2's src/sv.c (the switch
// on *action in main), not off lookup: the first letter decides, except
// for the whole words try-restart, check, shutdown, start, stop, restart,
// reload and force-*. With -v every plain control command waits
// (cbk =&check), status never does (cbk =0), and in LSB mode a word
// starting with "s" that is none of shutdown/start/stop/status is a usage
// error.

// ctl is a control command writing acts, waiting or not.
func ctl(acts string, wait bool) command { return command{act: actControl, acts: acts, wait: wait} }

// forced is a force-* command: it always waits and kills on timeout.
func forced(acts string) command {
	return command{act: actControl, acts: acts, wait: true, force: true}
}

var statusCmd = command{act: actStatus, acts: "s"}

func TestLookup(t *testing.T) {
	tests := []struct {
		name    string
		word    string
		lsb     bool
		verbose bool
		want    command
		ok      bool // false: usage error, want is not compared
	}{
		// Documented commands, sv mode, without -v.
		{name: "status", word: "status", want: statusCmd, ok: true},
		{name: "up", word: "up", want: ctl("u", false), ok: true},
		{name: "down", word: "down", want: ctl("d", false), ok: true},
		{name: "once", word: "once", want: ctl("o", false), ok: true},
		{name: "pause", word: "pause", want: ctl("p", false), ok: true},
		{name: "cont", word: "cont", want: ctl("c", false), ok: true},
		{name: "hup", word: "hup", want: ctl("h", false), ok: true},
		{name: "alarm", word: "alarm", want: ctl("a", false), ok: true},
		{name: "interrupt", word: "interrupt", want: ctl("i", false), ok: true},
		{name: "quit", word: "quit", want: ctl("q", false), ok: true},
		{name: "1", word: "1", want: ctl("1", false), ok: true},
		{name: "2", word: "2", want: ctl("2", false), ok: true},
		{name: "term", word: "term", want: ctl("t", false), ok: true},
		{name: "kill", word: "kill", want: ctl("k", false), ok: true},
		{name: "exit", word: "exit", want: ctl("x", false), ok: true},
		{name: "start", word: "start", want: ctl("u", true), ok: true},
		{name: "stop", word: "stop", want: ctl("d", true), ok: true},
		{name: "reload", word: "reload", want: ctl("h", true), ok: true},
		{name: "restart", word: "restart", want: ctl("tcu", true), ok: true},
		{name: "shutdown", word: "shutdown", want: ctl("x", true), ok: true},
		{name: "check", word: "check", want: command{act: actNone, acts: "C", wait: true}, ok: true},
		{name: "force-stop", word: "force-stop", want: forced("d"), ok: true},
		{name: "force-reload", word: "force-reload", want: forced("tc"), ok: true},
		{name: "force-restart", word: "force-restart", want: forced("tcu"), ok: true},
		{name: "force-shutdown", word: "force-shutdown", want: forced("x"), ok: true},
		{name: "try-restart waits, never kills", word: "try-restart", want: ctl("tc", true), ok: true},

		// Only the first letter counts for single-letter commands.
		{name: "u", word: "u", want: ctl("u", false), ok: true},
		{name: "upper", word: "upper", want: ctl("u", false), ok: true},
		{name: "d", word: "d", want: ctl("d", false), ok: true},
		{name: "1234", word: "1234", want: ctl("1", false), ok: true},
		{name: "e is exit", word: "e", want: ctl("x", false), ok: true},
		{name: "x", word: "x", want: ctl("x", false), ok: true},
		{name: "exterminate is exit", word: "exterminate", want: ctl("x", false), ok: true},
		{name: "t", word: "t", want: ctl("t", false), ok: true},
		{name: "try is term", word: "try", want: ctl("t", false), ok: true},
		{name: "trash is term", word: "trash", want: ctl("t", false), ok: true},
		{name: "c", word: "c", want: ctl("c", false), ok: true},
		{name: "checkup is cont", word: "checkup", want: ctl("c", false), ok: true},
		{name: "k", word: "k", want: ctl("k", false), ok: true},

		// Undocumented upper-case forced commands (any word).
		{name: "X", word: "X", want: forced("x"), ok: true},
		{name: "E", word: "E", want: forced("x"), ok: true},
		{name: "Exit", word: "Exit", want: forced("x"), ok: true},
		{name: "D", word: "D", want: forced("d"), ok: true},
		{name: "Down", word: "Down", want: forced("d"), ok: true},
		{name: "T", word: "T", want: forced("tc"), ok: true},

		// s...: status in sv mode, whatever follows.
		{name: "s", word: "s", want: statusCmd, ok: true},
		{name: "sfoo", word: "sfoo", want: statusCmd, ok: true},
		{name: "shut is status", word: "shut", want: statusCmd, ok: true},
		{name: "starting is status", word: "starting", want: statusCmd, ok: true},
		{name: "stopped is status", word: "stopped", want: statusCmd, ok: true},

		// Usage errors.
		{name: "r", word: "r"},
		{name: "rfoo", word: "rfoo"},
		{name: "restarted", word: "restarted"},
		{name: "reloads", word: "reloads"},
		{name: "f", word: "f"},
		{name: "force", word: "force"},
		{name: "force-kill", word: "force-kill"},
		{name: "force-stopped", word: "force-stopped"},
		{name: "bogus", word: "bogus"},
		{name: "z", word: "z"},
		{name: "U", word: "U"},
		{name: "S", word: "S"},
		{name: "C", word: "C"},
		{name: "K", word: "K"},
		{name: "3", word: "3"},
		{name: "dash", word: "-"},

		// -v makes every control command wait; status still does not.
		{name: "-v status", word: "status", verbose: true, want: statusCmd, ok: true},
		{name: "-v sfoo", word: "sfoo", verbose: true, want: statusCmd, ok: true},
		{name: "-v up", word: "up", verbose: true, want: ctl("u", true), ok: true},
		{name: "-v down", word: "down", verbose: true, want: ctl("d", true), ok: true},
		{name: "-v once", word: "once", verbose: true, want: ctl("o", true), ok: true},
		{name: "-v pause", word: "pause", verbose: true, want: ctl("p", true), ok: true},
		{name: "-v cont", word: "cont", verbose: true, want: ctl("c", true), ok: true},
		{name: "-v hup", word: "hup", verbose: true, want: ctl("h", true), ok: true},
		{name: "-v term", word: "term", verbose: true, want: ctl("t", true), ok: true},
		{name: "-v kill", word: "kill", verbose: true, want: ctl("k", true), ok: true},
		{name: "-v exit", word: "exit", verbose: true, want: ctl("x", true), ok: true},
		{name: "-v e", word: "e", verbose: true, want: ctl("x", true), ok: true},
		{name: "-v check", word: "check", verbose: true, want: command{act: actNone, acts: "C", wait: true}, ok: true},
		{name: "-v force-stop", word: "force-stop", verbose: true, want: forced("d"), ok: true},
		{name: "-v X", word: "X", verbose: true, want: forced("x"), ok: true},
		{name: "-v try-restart", word: "try-restart", verbose: true, want: ctl("tc", true), ok: true},
		{name: "-v bogus", word: "bogus", verbose: true},

		// LSB mode: status must be spelled out; everything else as in sv mode.
		{name: "lsb status", word: "status", lsb: true, want: statusCmd, ok: true},
		{name: "lsb s", word: "s", lsb: true},
		{name: "lsb sfoo", word: "sfoo", lsb: true},
		{name: "lsb statusx", word: "statusx", lsb: true},
		{name: "lsb shut", word: "shut", lsb: true},
		{name: "lsb start", word: "start", lsb: true, want: ctl("u", true), ok: true},
		{name: "lsb stop", word: "stop", lsb: true, want: ctl("d", true), ok: true},
		{name: "lsb shutdown", word: "shutdown", lsb: true, want: ctl("x", true), ok: true},
		{name: "lsb restart", word: "restart", lsb: true, want: ctl("tcu", true), ok: true},
		{name: "lsb reload", word: "reload", lsb: true, want: ctl("h", true), ok: true},
		{name: "lsb try-restart", word: "try-restart", lsb: true, want: ctl("tc", true), ok: true},
		{name: "lsb force-reload", word: "force-reload", lsb: true, want: forced("tc"), ok: true},
		{name: "lsb force-restart", word: "force-restart", lsb: true, want: forced("tcu"), ok: true},
		{name: "lsb force-stop", word: "force-stop", lsb: true, want: forced("d"), ok: true},
		{name: "lsb force-shutdown", word: "force-shutdown", lsb: true, want: forced("x"), ok: true},
		{name: "lsb check", word: "check", lsb: true, want: command{act: actNone, acts: "C", wait: true}, ok: true},
		{name: "lsb up", word: "up", lsb: true, want: ctl("u", false), ok: true},
		{name: "lsb -w up", word: "up", lsb: true, verbose: true, want: ctl("u", true), ok: true},
		{name: "lsb -w status", word: "status", lsb: true, verbose: true, want: statusCmd, ok: true},
		{name: "lsb exit", word: "exit", lsb: true, want: ctl("x", false), ok: true},
		{name: "lsb X", word: "X", lsb: true, want: forced("x"), ok: true},
		{name: "lsb bogus", word: "bogus", lsb: true},
		{name: "lsb r", word: "r", lsb: true},
		{name: "lsb f", word: "f", lsb: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := lookup(tt.word, tt.lsb, tt.verbose)
			if ok != tt.ok {
				t.Fatalf("lookup(%q, lsb=%v, verbose=%v) ok = %v, want %v (got %+v)", tt.word, tt.lsb, tt.verbose, ok, tt.ok, got)
			}
			if ok && got != tt.want {
				t.Errorf("lookup(%q, lsb=%v, verbose=%v) = %+v, want %+v", tt.word, tt.lsb, tt.verbose, got, tt.want)
			}
		})
	}
}

// TestScanSeconds follows djb's scan_ulong, which runit uses for -w and
// $SVWAIT: leading decimal digits only, no sign, no blanks.
func TestScanSeconds(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"7", 7 * time.Second},
		{"0", 0},
		{"", 0},
		{"x", 0},
		{"7s", 7 * time.Second},
		{"12abc", 12 * time.Second},
		{"007", 7 * time.Second},
		{"1.5", 1 * time.Second},
		{"3600", time.Hour},
		{"-1", 0},
		{"+3", 0},
		{" 3", 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := scanSeconds(tt.in); got != tt.want {
				t.Errorf("scanSeconds(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
