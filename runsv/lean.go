package runsv

import (
	"os"
	"syscall"
)

// leanMarker is set in the environment when runsv re-executed itself with
// GOMAXPROCS=1, so that services get neither variable.
const leanMarker = "GORUNIT_RUNSV_LEAN"

// Lean re-executes the running binary with GOMAXPROCS=1 unless GOMAXPROCS
// is already set. One runsv runs per service, so its memory is multiplied:
// the Go runtime sizes per-P structures from GOMAXPROCS when it starts, and
// only the environment reaches it that early (runtime.GOMAXPROCS in main
// is too late; see STYLE.md "runsv memory"). childEnv removes both
// variables again, so no service inherits a GOMAXPROCS it did not set. On
// failure it returns and runsv runs as it is.
func Lean(args []string) {
	if _, set := os.LookupEnv("GOMAXPROCS"); set {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	env := append(os.Environ(), "GOMAXPROCS=1", leanMarker+"=1")
	syscall.Exec(exe, args, env)
}
