package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The shutdown benchmark is what `docker stop` costs: an init runs as
// PID 1 of its own PID namespace with shutdownServices services whose
// TERM handlers take 0.1 s, gets TERM once every service is up, and is
// timed until it exits (issue 4, Benchmark).

// shutdownServices is how many services a supervising init runs.
const shutdownServices = 10

// Delays of the shutdown benchmark.
const (
	// shutdownPoll is how often the UPFILEs and /proc are re-read while
	// waiting: short next to a service's start-up.
	shutdownPoll = 5 * time.Millisecond
	// shutdownUpTimeout bounds the wait until every service is up; ten
	// sh scripts start in well under a second on the idle 2-core VM.
	shutdownUpTimeout = 15 * time.Second
	// shutdownSettle: docker stop comes long after start-up, so let every
	// supervisor finish the work that follows a spawn (status files,
	// scans) before TERM, and time only the shutdown.
	shutdownSettle = 100 * time.Millisecond
	// shutdownExitTimeout bounds TERM to exit. It is above our runit's
	// default 7 s stop timeout plus its 0.5 s grace, so that a slow but
	// bounded shutdown is measured rather than cut short. Past it the
	// init gets SIGKILL, which always arrives from the parent namespace.
	shutdownExitTimeout = 10 * time.Second
)

// shutdownTarget is the budget for ours, TERM to exit.
const shutdownTarget = 150 * time.Millisecond

// shutdownTrials is 9 trials per init (about 30 s in all), 3 with
// -quick. The plan type belongs to main.go; deciding here keeps this
// benchmark's registration there to one line.
func shutdownTrials(p plan) int {
	if p == quickPlan {
		return 3
	}
	return 9
}

// shutdownRunScript is every service's ./run, given its UPFILE and
// STOPFILE: sh runs the trap once the running sleep returns.
const shutdownRunScript = "#!/bin/sh\ntrap 'sleep 0.1; echo stopped > %s; exit 0' TERM\necho up > %s\nwhile :; do sleep 0.05; done\n"

// shutdownBins are the programs run, from Debian's packages util-linux,
// runit, s6, tini and dumb-init.
var shutdownBins = struct{ unshare, debRunsvdir, s6Svscan, tini, dumbInit string }{
	unshare:     "/usr/bin/unshare",
	debRunsvdir: "/usr/bin/runsvdir",
	s6Svscan:    "/usr/bin/s6-svscan",
	tini:        "/usr/bin/tini",
	dumbInit:    "/usr/bin/dumb-init",
}

// shutdownPath is every init's PATH: Debian's runsvdir starts `runsv` and
// s6-svscan `s6-supervise` by name, and a shell's PATH may have our
// bin/ first. Ours gets bin/ in front, so that it can only find ours.
const shutdownPath = "PATH=/usr/sbin:/usr/bin:/sbin:/bin"

// shutdownInit is one row: an init and how it is started.
type shutdownInit struct {
	name     string
	bin      string
	args     func(svdir, run string) []string // its arguments, given the service directory and one ./run
	services int                              // shutdownServices, or 1 for the one-process references
	path     string                           // its PATH=

	ms       []float64
	graceful int            // trials after which every STOPFILE existed
	exits    map[string]int // unshare's exit status → trials
	tree     string         // the init's own processes by name, at the first trial
	failed   error          // why the row stopped early; no trial runs after it
	failedAt int            // the trial that failed, from 1
}

// runShutdown times TERM to exit for each init, trials interleaved.
func runShutdown(h *harness) ([]check, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("unshare --pid needs root: run the benchmark as root")
	}
	if !isExecutable(shutdownBins.unshare) {
		return nil, fmt.Errorf("%s not found (apt-get install util-linux)", shutdownBins.unshare)
	}
	if err := need(h.bin.gorunit); err != nil {
		return nil, err
	}
	inits, ours, skipped := shutdownInits(h)
	trials := shutdownTrials(h.plan)
	for trial := range trials {
		for _, in := range inits {
			if in.failed != nil {
				continue
			}
			if err := in.trial(h.env); err != nil {
				in.failed, in.failedAt = err, trial+1
				fmt.Printf("warning: %s: trial %d: %v: no more trials of it\n", in.name, trial+1, err)
			}
		}
	}
	warnIfLoaded()
	return shutdownReport(inits, ours, skipped, trials), nil
}

// warnIfLoaded says when the machine was busier than its CPUs during
// the run (the 1-minute load average): interleaving keeps the rows fair
// to each other, but every time is inflated, and the target is absolute.
func warnIfLoaded() {
	b, err := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if err != nil || len(f) == 0 {
		return
	}
	if load, err := strconv.ParseFloat(f[0], 64); err == nil && load > float64(runtime.NumCPU()) {
		fmt.Printf("warning: 1-minute load average %s on %d CPUs at the end of the run: every time below is inflated\n", f[0], runtime.NumCPU())
	}
}

// shutdownInits lists the rows that can run, prints a note for each that
// cannot, and returns ours (nil when skipped) with the reason it was.
func shutdownInits(h *harness) (inits []*shutdownInit, ours *shutdownInit, skipped string) {
	bin := filepath.Dir(h.bin.gorunit)
	runit := filepath.Join(bin, "runit")
	names, err := ourPrograms(h.bin.gorunit, h.env)
	switch {
	case err != nil:
		skipped = err.Error()
	case !slices.Contains(names, "runit") || !isExecutable(runit):
		skipped = "no bin/runit (make build)"
	case !slices.Contains(names, "runsvdir"):
		skipped = "no runsvdir in `bin/gorunit list` yet"
	default:
		ours = &shutdownInit{name: "ours: runit -d", bin: runit, services: shutdownServices,
			path: "PATH=" + bin + ":" + strings.TrimPrefix(shutdownPath, "PATH="),
			args: func(svdir, _ string) []string { return []string{"--no-container-env", "-d", svdir} }}
		inits = append(inits, ours)
	}
	if ours == nil {
		fmt.Printf("note: skipping ours: %s (runit -d starts runsvdir -P from its own binary)\n", skipped)
	}
	services := func(svdir, _ string) []string { return []string{svdir} }
	peers := []struct {
		pkg string
		in  *shutdownInit
	}{
		{debianPackage, &shutdownInit{name: "debian runsvdir", bin: shutdownBins.debRunsvdir, args: services, services: shutdownServices}},
		{"s6", &shutdownInit{name: "s6-svscan", bin: shutdownBins.s6Svscan, args: services, services: shutdownServices}},
		{"tini", &shutdownInit{name: "tini, 1 process", bin: shutdownBins.tini, services: 1,
			args: func(_, run string) []string { return []string{"--", "sh", run} }}},
		{"dumb-init", &shutdownInit{name: "dumb-init, 1 process", bin: shutdownBins.dumbInit, services: 1,
			args: func(_, run string) []string { return []string{"sh", run} }}},
	}
	if self, err := os.Executable(); err == nil {
		inits = append(inits, &shutdownInit{name: "floor: TERM to all at once", bin: self, services: shutdownServices,
			path: shutdownPath, args: func(svdir, _ string) []string { return []string{floorInitFlag, svdir} }})
	}
	for _, p := range peers {
		if !isExecutable(p.in.bin) {
			fmt.Printf("note: skipping %s: %s not found (apt-get install -y %s)\n", p.in.name, p.in.bin, p.pkg)
			continue
		}
		p.in.path = shutdownPath
		inits = append(inits, p.in)
	}
	return inits, ours, skipped
}

// shutdownTree is one trial's temp dir: sv/sNN/run, up/sNN, stop/sNN,
// and init.log (the init's stdout and stderr).
type shutdownTree struct {
	dir              string
	svdir            string
	runs, ups, stops []string
	log              string
}

// makeShutdownTree writes n services under a new temp dir.
func makeShutdownTree(n int) (*shutdownTree, error) {
	dir, err := os.MkdirTemp("", "gorunit-bench-shutdown-")
	if err != nil {
		return nil, fmt.Errorf("create temp dir: %w", err)
	}
	started.addDir(dir)
	t := &shutdownTree{dir: dir, svdir: filepath.Join(dir, "sv"), log: filepath.Join(dir, "init.log")}
	if strings.ContainsAny(dir, "'\"\\$` \t\n") {
		t.remove()
		return nil, fmt.Errorf("temp dir %q: the run script cannot quote it (set TMPDIR)", dir)
	}
	for _, sub := range []string{"sv", "up", "stop"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.remove()
			return nil, fmt.Errorf("create %s: %w", sub, err)
		}
	}
	for i := range n {
		name := fmt.Sprintf("s%02d", i)
		svc := filepath.Join(t.svdir, name)
		up, stop := filepath.Join(dir, "up", name), filepath.Join(dir, "stop", name)
		run := filepath.Join(svc, "run")
		err := os.Mkdir(svc, 0o755)
		if err == nil {
			err = os.WriteFile(run, fmt.Appendf(nil, shutdownRunScript, stop, up), 0o755)
		}
		if err != nil {
			t.remove()
			return nil, fmt.Errorf("create service %s: %w", svc, err)
		}
		t.runs, t.ups, t.stops = append(t.runs, run), append(t.ups, up), append(t.stops, stop)
	}
	return t, nil
}

func (t *shutdownTree) remove() {
	if err := os.RemoveAll(t.dir); err != nil {
		fmt.Printf("warning: remove %s: %v\n", t.dir, err)
	}
	started.removeDir(t.dir)
}

// countExisting is how many of paths exist.
func countExisting(paths []string) int {
	n := 0
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			n++
		}
	}
	return n
}

// trial starts the init under `unshare --pid --fork --mount-proc`, waits
// until every service is up, sends TERM to the init and times until
// unshare exits. A shutdown that is not graceful is a result, not an
// error; an init that cannot start its services or does not exit is.
func (in *shutdownInit) trial(env []string) (err error) {
	t, err := makeShutdownTree(in.services)
	if err != nil {
		return err
	}
	defer t.remove()
	logf, err := os.Create(t.log)
	if err != nil {
		return fmt.Errorf("create %s: %w", t.log, err)
	}
	defer logf.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return fmt.Errorf("open %s: %w", os.DevNull, err)
	}
	defer devnull.Close()

	// --kill-child: should the harness kill unshare (on an error, or on
	// ^C through started.abort), the init gets SIGKILL, and with it every
	// process of the namespace.
	args := append([]string{"--pid", "--fork", "--kill-child", "--mount-proc", in.bin}, in.args(t.svdir, t.runs[0])...)
	cmd := exec.Command(shutdownBins.unshare, args...)
	cmd.Env = append(slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, "PATH=") }), in.path)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // ^C reaches the harness only
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", shutdownBins.unshare, err)
	}
	s := &supervisor{svc: t.svdir, cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	started.addSupervisor(s)
	defer started.removeSupervisor(s)
	initPID := 0
	defer func() {
		if err == nil {
			return
		}
		if initPID > 0 && !s.exited() {
			unix.Kill(initPID, unix.SIGKILL)
		}
		if !s.waitExit(killTimeout) {
			cmd.Process.Kill()
			s.waitExit(killTimeout)
		}
		err = fmt.Errorf("%w; its output: %q", err, logTail(t.log))
	}()

	if initPID, err = initOf(s); err != nil {
		return err
	}
	if err := t.waitUp(s); err != nil {
		return err
	}
	time.Sleep(shutdownSettle)
	if in.tree == "" {
		in.tree = initTree(initPID)
	}

	timer := time.NewTimer(shutdownExitTimeout)
	defer timer.Stop()
	began := time.Now()
	if err := unix.Kill(initPID, unix.SIGTERM); err != nil {
		return fmt.Errorf("kill -TERM %d: %w", initPID, err)
	}
	select {
	case <-s.done:
	case <-timer.C:
		return fmt.Errorf("init %d still running %v after TERM: killed", initPID, shutdownExitTimeout)
	}
	in.ms = append(in.ms, ms(time.Since(began)))
	if countExisting(t.stops) == len(t.stops) {
		in.graceful++
	}
	if in.exits == nil {
		in.exits = map[string]int{}
	}
	in.exits[waitStatusText(cmd.ProcessState)]++
	return nil
}

// initOf waits for the init, the only child of unshare.
func initOf(s *supervisor) (int, error) {
	path := fmt.Sprintf("/proc/%d/task/%d/children", s.pid(), s.pid())
	deadline := time.Now().Add(shutdownUpTimeout)
	for {
		b, err := os.ReadFile(path)
		if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
			return strconv.Atoi(f[0])
		}
		if s.exited() {
			return 0, fmt.Errorf("unshare exited before its child was seen")
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%s: no child after %v", path, shutdownUpTimeout)
		}
		time.Sleep(shutdownPoll)
	}
}

// waitUp waits until every UPFILE exists.
func (t *shutdownTree) waitUp(s *supervisor) error {
	ups := t.ups
	deadline := time.Now().Add(shutdownUpTimeout)
	for {
		n := countExisting(ups)
		if n == len(ups) {
			return nil
		}
		if s.exited() {
			return fmt.Errorf("exited with %d of %d services up", n, len(ups))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d services up after %v", n, len(ups), shutdownUpTimeout)
		}
		time.Sleep(shutdownPoll)
	}
}

// initTree names the init's descendants other than the services'
// own processes (run, sh, sleep), with counts: "runsv×10". It shows
// that each init supervised the services with its own programs.
func initTree(initPID int) string {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return "?"
	}
	type proc struct {
		ppid int
		comm string
	}
	procs := map[int]proc{}
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			if ppid, comm, err := procStat(pid); err == nil {
				procs[pid] = proc{ppid, comm}
			}
		}
	}
	counts := map[string]int{}
	for _, p := range procs {
		if p.comm == "run" || p.comm == "sh" || p.comm == "sleep" {
			continue
		}
		for up, hops := p.ppid, 0; up > 1 && hops < len(procs); up, hops = procs[up].ppid, hops+1 {
			if up == initPID {
				counts[p.comm]++
				break
			}
		}
	}
	if len(counts) == 0 {
		return "-"
	}
	var parts []string
	for k, n := range counts {
		parts = append(parts, fmt.Sprintf("%s×%d", k, n))
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

// waitStatusText renders unshare's exit status, which is its init's: "0",
// "111", or "SIGKILL" (unshare re-raises the signal that killed it).
func waitStatusText(ps *os.ProcessState) string {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return unix.SignalName(ws.Signal())
	}
	return strconv.Itoa(ps.ExitCode())
}

// logTail is the end of the init's output, for an error message.
func logTail(path string) string {
	b, _ := os.ReadFile(path)
	b = bytes.TrimSpace(b)
	if len(b) > 300 {
		b = append([]byte("…"), b[len(b)-300:]...)
	}
	return string(b)
}

// shutdownReport prints the table and judges ours: graceful in every
// trial, under shutdownTarget, ahead of s6-svscan.
func shutdownReport(inits []*shutdownInit, ours *shutdownInit, skipped string, trials int) []check {
	s6Median := 0.0
	for _, in := range inits {
		if in.bin == shutdownBins.s6Svscan && len(in.ms) > 0 {
			s6Median = summarize(in.ms).median
		}
	}
	var rows [][]string
	for _, in := range inits {
		st := summarize(in.ms)
		graceful := fmt.Sprintf("no (%d/%d)", in.graceful, st.n)
		if st.n > 0 && in.graceful == st.n {
			graceful = fmt.Sprintf("yes (%d/%d)", in.graceful, st.n)
		}
		if in.failed != nil {
			graceful += fmt.Sprintf(", trial %d failed", in.failedAt)
		}
		var exits []string
		for code, n := range in.exits {
			exits = append(exits, fmt.Sprintf("%s×%d", code, n))
		}
		slices.Sort(exits)
		rows = append(rows, []string{in.name, fmt.Sprint(in.services), fmt.Sprint(st.n),
			f1(st.median), f1(st.min), f1(st.max), graceful,
			strings.Join(exits, " "), in.tree, ratio(st.median, s6Median)})
	}
	fmt.Println("TERM to the init (PID 1 of its own PID namespace) until unshare exits, ms")
	fmt.Println("graceful: every service's TERM handler finished (graceful trials/trials); tree: the init's own processes")
	fmt.Println("ratio of medians, x/s6-svscan; the 1-process rows and the floor are a reference, not judged")
	fmt.Println("floor: no supervisor; TERM and CONT to every process at once (kill -1) as PID 1: the services' own work on this machine")
	printTable([]string{"init", "services", "n", "median", "min", "max", "graceful", "exit", "tree", "ratio"}, rows)

	targets := []string{
		"ours: graceful in every trial",
		fmt.Sprintf("ours: median TERM to exit < %v", shutdownTarget),
		"ours: median ahead of s6-svscan's",
	}
	checks := make([]check, len(targets))
	for i, t := range targets {
		checks[i] = check{bench: "shutdown", target: t, verdict: skip, measured: "not run: " + skipped}
	}
	if ours == nil {
		return checks
	}
	st := summarize(ours.ms)
	if ours.failed != nil {
		for i := range checks {
			checks[i].measured = fmt.Sprintf("trial %d failed: see the warning above", ours.failedAt)
			checks[i].verdict = fail
		}
		return checks
	}
	s6Text := "(s6-svscan not run)"
	if s6Median > 0 {
		s6Text = fmt.Sprintf("(s6-svscan %s ms)", f1(s6Median))
	}
	checks[0].measured = fmt.Sprintf("%d/%d trials graceful", ours.graceful, trials)
	checks[0].verdict = judge(ours.graceful == trials)
	checks[1].measured = fmt.Sprintf("%s ms %s", f1(st.median), s6Text)
	checks[1].verdict = judge(st.median < ms(shutdownTarget))
	checks[2].measured = checks[1].measured
	if s6Median > 0 {
		checks[2].verdict = judge(st.median < s6Median)
	}
	return checks
}
