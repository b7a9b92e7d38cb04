// Package proc lists processes from /proc with the few fields supervisors
// need to find a service's whole tree: its parent, process group and
// session. runsv uses it to follow a daemon that left ./run behind and to
// end everything a service started; runit to signal what is left at
// shutdown.
package proc

import (
	"bytes"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
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
// while it reads are skipped. It reads /proc with plain system calls
// (open, read, close per process) into one buffer: os.ReadFile costs ten
// calls a file (the netpoller's fcntl and epoll_ctl, fstat), and runit
// lists every process while the machine is busiest, at shutdown.
func List() []Process {
	dir, err := unix.Open("/proc", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer unix.Close(dir)
	var out []Process
	var ents [8192]byte
	var stat [statSize]byte
	path := make([]byte, 0, 32)
	for {
		n, err := unix.Getdents(dir, ents[:])
		if err != nil || n <= 0 {
			return out
		}
		for b := ents[:n]; len(b) > 0; {
			// struct linux_dirent64: ino 8, off 8, reclen 2, type 1, name
			reclen := int(b[16]) | int(b[17])<<8
			if reclen < 20 || reclen > len(b) {
				return out
			}
			name := b[19:reclen]
			b = b[reclen:]
			if name[0] < '0' || name[0] > '9' {
				continue
			}
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			path = append(append(append(path[:0], "/proc/"...), name...), "/stat"...)
			if p, ok := readStat(path, stat[:]); ok {
				out = append(out, p)
			}
		}
	}
}

// statSize holds any /proc/PID/stat line: 52 numbers and a comm of at
// most 64 bytes.
const statSize = 1024

// readStat reads and parses the stat file at path (no NUL) into buf.
func readStat(path []byte, buf []byte) (Process, bool) {
	fd, err := unix.Open(string(path), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return Process{}, false
	}
	n, err := unix.Read(fd, buf)
	unix.Close(fd)
	if err != nil || n <= 0 {
		return Process{}, false
	}
	return Parse(string(buf[:n]))
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
	// fields after comm: 0 state, 1 ppid, 2 pgrp, 3 session, 19 starttime
	var f [20]string
	n := 0
	for rest := s[end+1:]; n < len(f); n++ {
		rest = strings.TrimLeft(rest, " ")
		if rest == "" {
			break
		}
		i := strings.IndexByte(rest, ' ')
		if i < 0 {
			i = len(rest)
		}
		f[n], rest = rest[:i], rest[i:]
	}
	if n < len(f) || len(f[0]) != 1 {
		return Process{}, false
	}
	p := Process{PID: pid, State: f[0][0]}
	p.PPID, _ = strconv.Atoi(f[1])
	p.PGID, _ = strconv.Atoi(f[2])
	p.SID, _ = strconv.Atoi(f[3])
	p.Start, _ = strconv.ParseUint(strings.TrimRight(f[19], "\n"), 10, 64)
	return p, true
}

// Get reads one process, and false when it does not exist (any more).
func Get(pid int) (Process, bool) {
	var buf [statSize]byte
	return readStat(append([]byte("/proc/"+strconv.Itoa(pid)), "/stat"...), buf[:])
}
