// Package programs lists the suite's programs by the name they are called
// under, so that one binary can be all of them (chosen by argv[0], as
// busybox does) and tests can run the test binary as any of them.
package programs

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gorunit/gorunit/chpst"
	"github.com/gorunit/gorunit/runit"
	"github.com/gorunit/gorunit/runsv"
	"github.com/gorunit/gorunit/runsvchdir"
	"github.com/gorunit/gorunit/runsvdir"
	"github.com/gorunit/gorunit/sv"
	"github.com/gorunit/gorunit/svlog"
	"github.com/gorunit/gorunit/utmpset"
)

// Main is a program's entry point: it gets the whole argv and returns the
// exit code.
type Main func(args []string) int

var all = map[string]Main{
	"runsv": func(args []string) int {
		runsv.Lean(args)
		return runsv.Main(args, os.Stdin, os.Stdout, os.Stderr)
	},
	"sv":    func(args []string) int { return sv.Main(args, os.Stdin, os.Stdout, os.Stderr) },
	"runit": func(args []string) int { return runit.Main(args, os.Stdin, os.Stdout, os.Stderr) },

	// my_init, phusion baseimage-docker's init: runit in container mode
	// with my_init's conventions (runit.8); runit.Main tells it by argv[0].
	"my_init": func(args []string) int { return runit.Main(args, os.Stdin, os.Stdout, os.Stderr) },

	// runit-init as the kernel's init is runit in machine mode.
	"runit-init": func(args []string) int { return runit.InitMain(args, os.Stdin, os.Stdout, os.Stderr) },

	"svlogd": func(args []string) int { return svlog.Main(args, os.Stdin, os.Stdout, os.Stderr) },

	"runsvdir":   func(args []string) int { return runsvdir.Main(args, os.Stdin, os.Stdout, os.Stderr) },
	"runsvchdir": func(args []string) int { return runsvchdir.Main(args, os.Stdin, os.Stdout, os.Stderr) },

	// chpst and the daemontools programs it also is; chpst.Main tells
	// them apart by argv[0].
	"chpst":     chpstMain,
	"envdir":    chpstMain,
	"envuidgid": chpstMain,
	"pgrphack":  chpstMain,
	"setuidgid": chpstMain,
	"setlock":   chpstMain,
	"softlimit": chpstMain,
	"utmpset":   func(args []string) int { return utmpset.Main(args, os.Stdin, os.Stdout, os.Stderr) },
}

func chpstMain(args []string) int { return chpst.Main(args, os.Stdin, os.Stdout, os.Stderr) }

// Lookup returns the program called name (a path's base name counts).
func Lookup(name string) (Main, bool) {
	m, ok := all[filepath.Base(name)]
	return m, ok
}

// Resolve finds the program for argv0 when its base name is not one of
// ours, by following the chain of symlinks it was called through: an LSB
// init script /etc/init.d/web -> /usr/bin/sv -> gorunit is sv, which
// then sees "web" as its name and acts as web's init script.
func Resolve(argv0 string) (Main, bool) {
	if m, ok := Lookup(argv0); ok {
		return m, true
	}
	path := argv0
	if !strings.Contains(path, "/") {
		p, err := exec.LookPath(path)
		if err != nil {
			return nil, false
		}
		path = p
	}
	for hops := 0; hops < 16; hops++ {
		target, err := os.Readlink(path)
		if err != nil {
			return nil, false
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		if m, ok := Lookup(target); ok {
			return m, true
		}
		path = target
	}
	return nil, false
}

// Names lists every program name, sorted.
func Names() []string {
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
