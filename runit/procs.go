package runit

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// process is one entry of /proc we care about.
type process struct {
	pid, ppid int
}

// processes lists every process with its parent, from /proc.
func processes() []process {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []process
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		out = append(out, process{pid: pid, ppid: ppid})
	}
	return out
}

// children lists the pids whose parent is us.
func children() []int {
	self := os.Getpid()
	var out []int
	for _, p := range processes() {
		if p.ppid == self {
			out = append(out, p.pid)
		}
	}
	return out
}

// descendants lists every process below us: as a subreaper we may only
// signal our own tree, not the whole namespace.
func descendants() []int {
	byParent := map[int][]int{}
	for _, p := range processes() {
		byParent[p.ppid] = append(byParent[p.ppid], p.pid)
	}
	var out []int
	queue := []int{os.Getpid()}
	for len(queue) > 0 {
		next := queue[0]
		queue = queue[1:]
		for _, c := range byParent[next] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// signalAll sends sig to every process left: kill(-1) as PID 1 (all of
// the namespace but us), else each descendant by pid.
func signalAll(sig unix.Signal) {
	if os.Getpid() == 1 {
		unix.Kill(-1, sig)
		return
	}
	for _, pid := range descendants() {
		unix.Kill(pid, sig)
	}
}
