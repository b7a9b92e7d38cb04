package runsv

import (
	"os"
	"os/exec"
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
	if os.Getenv(leanMarker) != "" {
		return // we are the re-executed runsv; never loop
	}
	self, err := os.Executable()
	if err != nil {
		return
	}
	env := append(os.Environ(), "GOMAXPROCS=1", leanMarker+"=1")
	syscall.Exec(sameBinary(args[0], self), args, env)
}

// LeanEnv returns env as Lean's re-execution would make it, for a parent
// that starts runsv from this same binary (runsvdir starting a thousand
// of them): runsv then starts lean at once and skips the second exec,
// which costs as much CPU as the rest of its start. It returns env as it
// is when GOMAXPROCS is already set, where Lean would not re-execute.
func LeanEnv(env []string) []string {
	for _, kv := range env {
		if hasPrefix(kv, "GOMAXPROCS=") {
			return env
		}
	}
	return append(env[:len(env):len(env)], "GOMAXPROCS=1", leanMarker+"=1")
}

// sameBinary returns the path we were started as when it leads to the
// running binary, so that a multi-call binary linked as runsv keeps
// "runsv" as its process name (ps, pgrep); otherwise self.
func sameBinary(argv0, self string) string {
	p, err := exec.LookPath(argv0)
	if err != nil {
		return self
	}
	a, errA := os.Stat(p)
	b, errB := os.Stat(self)
	if errA != nil || errB != nil || !os.SameFile(a, b) {
		return self
	}
	return p
}
