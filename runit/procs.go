package runit

import (
	"os"

	"github.com/gorunit/gorunit/internal/proc"
	"golang.org/x/sys/unix"
)

// children lists the pids whose parent is us.
func children() []int {
	self := os.Getpid()
	var out []int
	for _, p := range proc.List() {
		if p.PPID == self {
			out = append(out, p.PID)
		}
	}
	return out
}

// descendants lists every process below us: as a subreaper we may only
// signal our own tree, not the whole namespace.
func descendants() []int {
	byParent := map[int][]int{}
	for _, p := range proc.List() {
		byParent[p.PPID] = append(byParent[p.PPID], p.PID)
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
