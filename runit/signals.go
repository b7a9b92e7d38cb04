package runit

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Container mode's signal table, in one place. With a main command every
// catchable signal is forwarded to its process group, except:
//   - CHLD, which is ours (we reap);
//   - the synchronous faults and the tty stop signals, as tini;
//   - URG, which the Go runtime sends itself to preempt goroutines.
//
// TERM, INT and QUIT (what docker, the kubelet and a terminal send) are
// forwarded and also start the shutdown clock, so a main command that
// ignores them is killed in time. Without a main command, TERM, INT, HUP
// and QUIT start the graceful shutdown.
var notForwarded = map[unix.Signal]bool{
	unix.SIGCHLD: true, unix.SIGURG: true,
	unix.SIGFPE: true, unix.SIGILL: true, unix.SIGSEGV: true, unix.SIGBUS: true,
	unix.SIGABRT: true, unix.SIGTRAP: true, unix.SIGSYS: true,
	unix.SIGTTIN: true, unix.SIGTTOU: true, unix.SIGKILL: true, unix.SIGSTOP: true,
}

// releaseSignal ends a hold (--hold-on-failure): the main command has
// exited then, so there is nobody to forward it to. At any other time it
// is forwarded as usual.
const releaseSignal = unix.SIGUSR1

// startsShutdown lists the signals that begin the shutdown: with a main
// command (after forwarding) and without one.
var startsShutdown = map[bool]map[unix.Signal]bool{
	true:  {unix.SIGTERM: true, unix.SIGINT: true, unix.SIGQUIT: true},
	false: {unix.SIGTERM: true, unix.SIGINT: true, unix.SIGHUP: true, unix.SIGQUIT: true},
}

// caught lists every signal container mode listens for.
func caught() []unix.Signal {
	var sigs []unix.Signal
	for s := unix.Signal(1); s <= 31; s++ {
		if s == unix.SIGKILL || s == unix.SIGSTOP || s == unix.SIGURG {
			continue
		}
		if notForwarded[s] && s != unix.SIGCHLD {
			continue // left at their defaults
		}
		sigs = append(sigs, s)
	}
	return sigs
}

// rewrites maps a received signal to the one forwarded, as dumb-init's
// --rewrite; a signal rewritten to 0 is dropped.
type rewrites map[unix.Signal]unix.Signal

// parseRewrite reads "FROM:TO", each a number or a name with or without
// SIG ("TERM:QUIT", "15:3", "HUP:0").
func (r rewrites) parseRewrite(spec string) error {
	from, to, ok := strings.Cut(spec, ":")
	if !ok {
		return fmt.Errorf("bad signal rewrite %q: want FROM:TO", spec)
	}
	f, err := parseSignal(from)
	if err != nil {
		return err
	}
	t, err := parseSignal(to)
	if err != nil && to != "0" {
		return err
	}
	r[f] = t
	return nil
}

// forward returns what to send for sig, and whether to send anything.
func (r rewrites) forward(sig unix.Signal) (unix.Signal, bool) {
	if to, ok := r[sig]; ok {
		return to, to != 0
	}
	return sig, true
}

// parseSignal reads a signal number or name.
func parseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 64 {
			return 0, fmt.Errorf("bad signal number %d", n)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}
