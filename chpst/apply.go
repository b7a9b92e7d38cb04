package chpst

import (
	"errors"
	"os"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// plan is everything chpst (or one of its other names) was asked to do;
// a nil field is not asked for.
type plan struct {
	setsid         bool             // -P, pgrphack
	envDir         *string          // -e, envdir
	skipEnvSubdirs bool             // chpst -e skips subdirectories; envdir dies on them
	verbose        bool             // -v: warn about skipped subdirectories
	root           *string          // -/
	pwd            *string          // -C
	nice           int64            // -n, as runit's long; 0 is none
	envUser        *string          // -U, envuidgid
	setUser        *string          // -u, setuidgid
	ext            bool             // user[:group...] and :uid:gid forms (chpst), not a bare account
	lock           *string          // -l, -L, setlock
	lockWait       bool             // -l, setlock -n
	quiet          bool             // setlock -x: exit 0, silently, if the lock or the exec fails
	closeFD        [3]bool          // -0 -1 -2
	limits         [numLimits]int64 // soft limits, by lim*; limitUnset if not asked for
	argv0          *string          // -b
	file           string           // the program, looked up in $PATH
	argv           []string         // its arguments, argv[0] included
}

func newPlan() *plan {
	p := &plan{}
	for i := range p.limits {
		p.limits[i] = limitUnset
	}
	return p
}

// runner carries out a plan.
type runner struct {
	out   *output
	plan  *plan
	env   []string // environment settings, "name=value" or "name", in order
	envv  []string // the program's environment (prepareExec)
	paths []string // where to look for the program (prepareExec)
}

// errQuiet ends setlock -x with exit 0 and no message.
var errQuiet = errors.New("quiet")

// apply runs each step in runit's order (chpst.c main; -C from 2.2.0)
// and then execs the program. It returns only on failure.
func (r *runner) apply() int {
	steps := []func() error{
		r.newSession,
		r.loadEnvDir,
		r.changeRoot,
		r.changeDir,
		r.setNice,
		r.setEnvUser,
		r.setUser,
		r.takeLock,
		r.prepareExec,
		r.closeStdio,
		r.setLimits,
		r.exec,
	}
	for _, step := range steps {
		err := step()
		if err == nil {
			continue
		}
		var f *failure
		switch {
		case errors.Is(err, errQuiet):
			return 0
		case errors.As(err, &f):
			return r.out.fatal(f)
		default:
			return r.out.fatal(&failure{msg: err.Error()})
		}
	}
	return exitFatal // not reached: exec returns only with an error
}

// newSession: -P. runit ignores setsid's failure (already a group leader).
func (r *runner) newSession() error {
	if r.plan.setsid {
		syscall.Setsid()
	}
	return nil
}

func (r *runner) loadEnvDir() error {
	if r.plan.envDir == nil {
		return nil
	}
	env, err := r.readEnvDir(*r.plan.envDir, r.plan.skipEnvSubdirs)
	r.env = append(r.env, env...)
	return err
}

// changeRoot: -/, as runit does it: chdir to root, then chroot("."), so
// that the program starts in the new root.
func (r *runner) changeRoot() error {
	root := r.plan.root
	if root == nil {
		return nil
	}
	if err := syscall.Chdir(*root); err != nil {
		return &failure{msg: "unable to change directory: " + *root, err: err}
	}
	if err := syscall.Chroot("."); err != nil {
		return &failure{msg: "unable to change root directory", err: err}
	}
	return nil
}

// changeDir: -C (runit 2.2.0), after the chroot.
func (r *runner) changeDir() error {
	if r.plan.pwd == nil {
		return nil
	}
	if err := syscall.Chdir(*r.plan.pwd); err != nil {
		return &failure{msg: "unable to change directory: " + *r.plan.pwd, err: err}
	}
	return nil
}

// setNice: -n, before the user changes, so that root can give an
// unprivileged program a negative nice. runit calls nice(3), which takes
// an int; glibc's nice adds the increment to the current value (the
// kernel clamps the sum to -20..19) and turns EACCES into EPERM.
func (r *runner) setNice() error {
	if r.plan.nice == 0 {
		return nil
	}
	inc := int32(r.plan.nice)
	// getpriority(2) returns 20 - nice for this thread.
	prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	if err != nil {
		return &failure{msg: "unable to set nice level", err: err}
	}
	err = syscall.Setpriority(syscall.PRIO_PROCESS, 0, int(int32(20-prio)+inc))
	if err == syscall.EACCES {
		err = syscall.EPERM
	}
	if err != nil {
		return &failure{msg: "unable to set nice level", err: err}
	}
	return nil
}

// setEnvUser: -U, envuidgid: $GID then $UID.
func (r *runner) setEnvUser() error {
	if r.plan.envUser == nil {
		return nil
	}
	u, err := r.lookup(*r.plan.envUser)
	if err != nil {
		return err
	}
	r.env = append(r.env, "GID="+strconv.FormatUint(uint64(u.gids[0]), 10), "UID="+strconv.FormatUint(uint64(u.uid), 10))
	return nil
}

// setUser: -u, setuidgid. The groups become exactly u.gids (runit does no
// initgroups), then the primary group, then the user, with setgroups(2),
// setresgid(2) and setresuid(2) as runit's setgroups, setgid and setuid
// have them for root. They change this thread only: Main locked chpst to
// the thread that opens the lock file, looks up the program and calls
// execve, and execve gives the program this thread's credentials and ends
// every other thread (which run only the Go runtime meanwhile). Go's own
// syscall.Setuid would stop the world and signal every thread three
// times, which cost chpst about 40 context switches per run.
func (r *runner) setUser() error {
	if r.plan.setUser == nil {
		return nil
	}
	u, err := r.lookup(*r.plan.setUser)
	if err != nil {
		return err
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(u.gids)), uintptr(unsafe.Pointer(&u.gids[0])), 0); e != 0 {
		return &failure{msg: "unable to setgroups", err: e}
	}
	gid := uintptr(u.gids[0])
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, gid, gid, gid); e != 0 {
		return &failure{msg: "unable to setgid", err: e}
	}
	uid := uintptr(u.uid)
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uid, uid, uid); e != 0 {
		return &failure{msg: "unable to setuid", err: e}
	}
	return nil
}

// lookup finds spec's ids and words its failure as runit does.
func (r *runner) lookup(spec string) (ids, error) {
	if !r.plan.ext {
		u, err := lookupAccount(spec)
		switch {
		case err == nil:
			return u, nil
		case errors.Is(err, errNotFound):
			return ids{}, &failure{msg: "unknown account: " + spec}
		}
		return ids{}, &failure{msg: "unable to get password file entry", err: err}
	}
	u, err := lookupSpec(spec)
	switch {
	case err == nil:
		return u, nil
	case errors.Is(err, errInvalid):
		return ids{}, &failure{msg: "invalid uid/gids: " + spec[1:]}
	case errors.Is(err, errNotFound):
		return ids{}, &failure{msg: "unknown user/group: " + spec}
	}
	return ids{}, &failure{msg: "unable to get password/group file entry", err: err}
}

// takeLock: -l, -L, setlock. The lock is taken after the user change, in
// the new root, and its descriptor is left open (not close-on-exec) for
// the program, so the lock lasts as long as the program. runit opens it
// O_WRONLY|O_NDELAY|O_APPEND|O_CREAT, mode 0600, and locks with flock(2).
func (r *runner) takeLock() error {
	if r.plan.lock == nil {
		return nil
	}
	name := *r.plan.lock
	fd, err := syscall.Open(name, syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_APPEND|syscall.O_CREAT, 0o600)
	if err != nil {
		return r.lockFailed(&failure{msg: "unable to open lock: " + name, err: err})
	}
	how := syscall.LOCK_EX
	if !r.plan.lockWait {
		how |= syscall.LOCK_NB
	}
	for {
		err = syscall.Flock(fd, how)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return r.lockFailed(&failure{msg: "unable to lock: " + name, err: err})
	}
	return nil
}

func (r *runner) lockFailed(f *failure) error {
	if r.plan.quiet {
		return errQuiet
	}
	return f
}

var stdioNames = [3]string{"stdin", "stdout", "stderr"}

// closeStdio: -0 -1 -2.
func (r *runner) closeStdio() error {
	for fd, c := range r.plan.closeFD {
		if !c {
			continue
		}
		if err := syscall.Close(fd); err != nil {
			return &failure{msg: "unable to close " + stdioNames[fd], err: err}
		}
	}
	return nil
}

// prepareExec builds the program's environment and the paths to try
// before the limits are set: with a small data limit, the Go runtime
// could not grow its heap afterwards.
func (r *runner) prepareExec() error {
	r.envv = mergeEnv(os.Environ(), r.env)
	r.paths = candidates(r.plan.file)
	return nil
}

// exec replaces chpst with the program, in this thread (see Main).
func (r *runner) exec() error {
	err := pathExec(r.paths, r.plan.argv, r.envv)
	if r.plan.quiet {
		return errQuiet
	}
	return &failure{msg: "unable to run: " + r.plan.argv[0], err: err}
}
