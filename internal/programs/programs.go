// Package programs lists the suite's programs by the name they are called
// under, so that one binary can be all of them (chosen by argv[0], as
// busybox does) and tests can run the test binary as any of them.
package programs

import (
	"os"
	"path/filepath"
	"sort"

	"github.com/gorunit/gorunit/runsv"
	"github.com/gorunit/gorunit/sv"
)

// Main is a program's entry point: it gets the whole argv and returns the
// exit code.
type Main func(args []string) int

var all = map[string]Main{
	"runsv": func(args []string) int {
		runsv.Lean(args)
		return runsv.Main(args, os.Stdin, os.Stdout, os.Stderr)
	},
	"sv": func(args []string) int { return sv.Main(args, os.Stdin, os.Stdout, os.Stderr) },
}

// Lookup returns the program called name (a path's base name counts).
func Lookup(name string) (Main, bool) {
	m, ok := all[filepath.Base(name)]
	return m, ok
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
