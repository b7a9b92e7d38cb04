package chpst

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// The limits chpst and softlimit set, in the order runit sets them
// (chpst.c slimit).
const (
	limData = iota
	limStack
	limMemlock
	limAS
	limNofile
	limNproc
	limFsize
	limCore
	limRSS
	limCPU
	numLimits
)

var resources = [numLimits]int{
	limData:    unix.RLIMIT_DATA,
	limStack:   unix.RLIMIT_STACK,
	limMemlock: unix.RLIMIT_MEMLOCK,
	limAS:      unix.RLIMIT_AS,
	limNofile:  unix.RLIMIT_NOFILE,
	limNproc:   unix.RLIMIT_NPROC,
	limFsize:   unix.RLIMIT_FSIZE,
	limCore:    unix.RLIMIT_CORE,
	limRSS:     unix.RLIMIT_RSS,
	limCPU:     unix.RLIMIT_CPU,
}

// Limit values besides a number: runit's sentinels in its long variables.
const (
	limitUnset = -2 // not asked for
	limitHard  = -1 // softlimit's "=": the hard limit; any negative value means it too
)

// setLimits sets the soft limits asked for. A value above the hard limit
// (or negative, which is how runit sees one past 2^63) becomes the hard
// limit: only soft limits change. syscall.Setrlimit also tells the Go
// runtime not to put back, at exec, the soft RLIMIT_NOFILE it raised for
// itself at start-up; when -o is not given it does put it back, so the
// program gets the limit chpst was started with.
func (r *runner) setLimits() error {
	for i, l := range r.plan.limits {
		if l == limitUnset {
			continue
		}
		var rl syscall.Rlimit
		if err := syscall.Getrlimit(resources[i], &rl); err != nil {
			return &failure{msg: "unable to getrlimit()", err: err}
		}
		if l < 0 || uint64(l) > rl.Max {
			rl.Cur = rl.Max
		} else {
			rl.Cur = uint64(l)
		}
		if err := syscall.Setrlimit(resources[i], &rl); err != nil {
			return &failure{msg: "unable to setrlimit()", err: err}
		}
	}
	return nil
}
