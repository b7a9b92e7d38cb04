// Package proc lists processes from /proc with the few fields supervisors
// need to find a service's whole tree: its parent, process group and
// session. runsv uses it to follow a daemon that left ./run behind and to
// end everything a service started; runit to signal what is left at
// shutdown.
package proc

import (
	"os"
	"strconv"
	"strings"
)

// Process is one entry of /proc/PID/stat.
type Process struct {
	PID, PPID, PGID, SID int
	State                byte   // R, S, D, Z, T ... (proc(5))
	Start                uint64 // start time in clock ticks after boot
}

// Zombie reports whether the process has exited and waits to be reaped.
func (p Process) Zombie() bool { return p.State == 'Z' || p.State == 'X' }

// List returns every process that can be read now. Processes that exit
// while it reads are skipped.
func List() []Process {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	out := make([]Process, 0, len(names))
	for _, name := range names {
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + name + "/stat")
		if err != nil {
			continue
		}
		if p, ok := Parse(string(b)); ok {
			out = append(out, p)
		}
	}
	return out
}

// Parse reads one /proc/PID/stat line: "pid (comm) state ppid pgrp
// session ... starttime ...". comm may hold spaces and parentheses, so
// the fields are counted from the last ')'.
func Parse(s string) (Process, bool) {
	open := strings.IndexByte(s, '(')
	end := strings.LastIndexByte(s, ')')
	if open < 1 || end < open {
		return Process{}, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(s[:open]))
	if err != nil {
		return Process{}, false
	}
	f := strings.Fields(s[end+1:])
	// f[0] state, f[1] ppid, f[2] pgrp, f[3] session, f[19] starttime
	if len(f) < 20 || len(f[0]) != 1 {
		return Process{}, false
	}
	p := Process{PID: pid, State: f[0][0]}
	p.PPID, _ = strconv.Atoi(f[1])
	p.PGID, _ = strconv.Atoi(f[2])
	p.SID, _ = strconv.Atoi(f[3])
	p.Start, _ = strconv.ParseUint(f[19], 10, 64)
	return p, true
}

// Get reads one process, and false when it does not exist (any more).
func Get(pid int) (Process, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Process{}, false
	}
	return Parse(string(b))
}
