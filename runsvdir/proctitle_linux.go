package runsvdir

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The readproctitle log (runsvdir(8)): runsvdir's stderr, which its
// children inherit, is a pipe; every byte read from it is appended to the
// log argument, whose first titleKeep bytes stay put while the rest
// scrolls left. ps and /proc/PID/cmdline read the argument from our
// memory, so they show the last errors. Started as
//
//	runsvdir -P /etc/service 'log: ...........................................'
//
// ps shows "log: ...unable to open supervise/ok: file does not exist".

const (
	minLogLen = 7 // runit refuses a shorter log argument
	titleKeep = 5 // "log: " stays
)

// setupLog routes stderr through the pipe and starts the goroutine that
// scrolls it through the argument. Its errors are worded as runit's.
func (r *runsvdir) setupLog(arg string) error {
	if len(arg) < minLogLen {
		return errors.New("log must have at least seven characters.")
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return errors.New("unable to create pipe for log.")
	}
	if r.stderr == os.Stderr {
		// As runit: fd 2 itself becomes the pipe, so that whatever this
		// process writes there (a Go panic too) shows up in the title.
		if err := unix.Dup2(int(pw.Fd()), 2); err != nil {
			pr.Close()
			pw.Close()
			return errors.New("unable to set filedescriptor for log.")
		}
	}
	title := argBytes(arg)
	if title == nil {
		// Not our process's own argv (Main called from Go code): scroll
		// a copy that nobody sees rather than write to a Go string.
		title = []byte(arg)
	}
	r.stderr, r.stdio[2], r.logw = pw, pw, pw
	go scroll(pr, title)
	return nil
}

// scroll reads the log pipe for as long as runsvdir lives and scrolls
// every byte but NUL into title, as runit does. It alone touches title.
func scroll(pr *os.File, title []byte) {
	var buf [512]byte
	for {
		n, err := pr.Read(buf[:])
		for _, c := range buf[:n] {
			if c == 0 {
				continue
			}
			copy(title[titleKeep:], title[titleKeep+1:])
			title[len(title)-1] = c
		}
		if err != nil {
			return
		}
	}
}

// argBytes returns the bytes of s as writable memory when s lies in this
// process's original argument area, the bytes the kernel shows in
// /proc/PID/cmdline. On Linux the Go runtime makes os.Args point there
// without copying, so the log argument is one of them. It returns nil for
// any other string: writing to those would change Go memory (or fault on
// a read-only constant).
func argBytes(s string) []byte {
	start, end, ok := argArea()
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	if !ok || len(s) == 0 || p < start || p+uintptr(len(s)) > end {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// argArea reads arg_start and arg_end, fields 48 and 49 of
// /proc/self/stat (proc(5), Linux 3.5 and later).
func argArea() (start, end uintptr, ok bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3, the state
	if len(f) < 47 {
		return 0, 0, false
	}
	a, errA := strconv.ParseUint(f[45], 10, 64)
	z, errZ := strconv.ParseUint(f[46], 10, 64)
	if errA != nil || errZ != nil || a == 0 || z <= a {
		return 0, 0, false
	}
	return uintptr(a), uintptr(z), true
}
