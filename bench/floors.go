package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Floors are programs that do only the unavoidable part of what a
// benchmark times, so that a target can be read against what no
// implementation in that language, or no supervisor at all, could beat on
// this machine. They are printed beside the rows and never judged.

// emptyGoSource is the Go floor in its purest form: a program whose main
// is empty, so that starting it costs only the Go runtime's own start.
const emptyGoSource = "package main\n\nfunc main() {}\n"

// buildEmptyGo builds emptyGoSource as bin/ is built (static, -trimpath,
// stripped) in a new temp dir, and returns the binary and the function
// that removes the dir (also on an interrupt, through the registry).
func buildEmptyGo() (bin string, remove func(), err error) {
	dir, err := os.MkdirTemp("", "gorunit-bench-floor-")
	if err != nil {
		return "", nil, fmt.Errorf("create temp dir: %w", err)
	}
	started.addDir(dir)
	remove = func() {
		os.RemoveAll(dir)
		started.removeDir(dir)
	}
	bin, err = buildIn(dir)
	if err != nil {
		remove()
		return "", nil, err
	}
	return bin, remove, nil
}

// buildIn writes emptyGoSource and its go.mod into dir and builds it.
func buildIn(dir string) (string, error) {
	for name, text := range map[string]string{"main.go": emptyGoSource, "go.mod": "module floor\n\ngo 1.26\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return "", fmt.Errorf("write %s: %w", name, err)
		}
	}
	bin := filepath.Join(dir, "empty")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build of an empty program: %w: %s", err, out)
	}
	return bin, nil
}

// startCPU runs bin n times, one after the other, and returns the median
// CPU milliseconds (user + system, from the kernel's accounting of each
// child) that one run costs.
func startCPU(bin string, env []string, n int) (float64, error) {
	var cpu []float64
	for range n {
		cmd := exec.Command(bin)
		cmd.Env = env
		if err := cmd.Run(); err != nil {
			return 0, fmt.Errorf("%s: %w", bin, err)
		}
		cpu = append(cpu, ms(cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime()))
	}
	return summarize(cpu).median, nil
}

// floorInitFlag, as the bench binary's only argument before a service
// directory, makes it the shutdown benchmark's floor init (floorInit).
const floorInitFlag = "-floor-init"

// floorInit is the least an init can do to stop services gracefully, run
// as PID 1 of its namespace: it starts every SVDIR/*/run in a session of
// its own, and on TERM sends TERM and CONT to every process at once
// (kill(2) of -1) and reaps until nothing is left. No supervisor, no
// status, no hop: what remains of the shutdown time is the services' own
// work on this machine.
func floorInit(svdir string) int {
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, unix.SIGTERM)
	runs, err := filepath.Glob(filepath.Join(svdir, "*", "run"))
	if err != nil || len(runs) == 0 {
		fmt.Fprintf(os.Stderr, "floor init: no %s/*/run\n", svdir)
		return 111
	}
	for _, run := range runs {
		attr := &syscall.ProcAttr{Dir: filepath.Dir(run), Env: os.Environ(), Files: []uintptr{0, 1, 2},
			Sys: &syscall.SysProcAttr{Setsid: true}}
		if _, err := syscall.ForkExec(run, []string{run}, attr); err != nil {
			fmt.Fprintf(os.Stderr, "floor init: start %s: %v\n", run, err)
			return 111
		}
	}
	<-sigc
	unix.Kill(-1, unix.SIGTERM)
	unix.Kill(-1, unix.SIGCONT)
	for {
		_, err := unix.Wait4(-1, nil, 0, nil)
		switch err {
		case nil, unix.EINTR:
		case unix.ECHILD:
			return 0
		default:
			fmt.Fprintf(os.Stderr, "floor init: wait: %v\n", err)
			time.Sleep(10 * time.Millisecond)
		}
	}
}
