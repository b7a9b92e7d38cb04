package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// The fleet benchmark: a runsvdir started on a directory of 1000
// services, from nothing running to every service running, in wall time
// and in CPU seconds of runsvdir and everything under it, for Debian's
// runsvdir and ours (issue 4, Benchmark).

// Sizes and delays of the fleet benchmark.
const (
	// svdirFleetSize is the 1000 services, which is also the
	// most either runsvdir runs.
	svdirFleetSize = 1000
	// svdirFleetQuick is the -quick smoke test's size.
	svdirFleetQuick = 100
	// svdirFleetTimeout bounds the wait for every service to run:
	// Debian's takes about 10 s on the idle 2-core VM.
	svdirFleetTimeout = 60 * time.Second
	// svdirFleetPoll is how often the harness rereads the supervise/stat
	// files still not reading "run": often enough for a 10 s measure,
	// seldom enough not to compete for the CPU with what it measures.
	svdirFleetPoll = 50 * time.Millisecond
)

// svdirFleetTrials is how many fleets each runsvdir starts: 2, 1 with
// -quick; a trial of each takes about 10 s plus the stop.
func svdirFleetTrials(p plan) int {
	if p == quickPlan {
		return 1
	}
	return 2
}

// fleetRow is one runsvdir's trials.
type fleetRow struct {
	impl          svdirImpl
	wall, cpu, rd []float64 // seconds: to all running; CPU of the tree; of runsvdir alone
}

// runSvdirFleet starts each runsvdir on a fleet, trials interleaved.
func runSvdirFleet(h *harness) ([]check, error) {
	impls, err := svdirImpls(h)
	if err != nil {
		return nil, err
	}
	n := svdirFleetSize
	if h.plan == quickPlan {
		n = svdirFleetQuick
	}
	rows := make([]*fleetRow, len(impls))
	for i, impl := range impls {
		rows[i] = &fleetRow{impl: impl}
	}
	for range svdirFleetTrials(h.plan) {
		for _, r := range rows {
			if err := r.trial(n, h.env); err != nil {
				return nil, fmt.Errorf("%s: %w", r.impl.name, err)
			}
		}
	}
	warnIfLoaded()
	goMs, cMs := startFloors(h.env)
	return svdirFleetReport(rows, n, goMs, cMs), nil
}

// startFloors is the CPU one process start costs here, in milliseconds,
// for a Go program and a C program that do nothing (0 when it could not
// be measured): a runsv per service pays the difference n times.
func startFloors(env []string) (goMs, cMs float64) {
	const runs = 50
	empty, remove, err := buildEmptyGo()
	if err == nil {
		defer remove()
		goMs, err = startCPU(empty, env, runs)
	}
	if err == nil {
		cMs, err = startCPU(trueBin, env, runs)
	}
	if err != nil {
		fmt.Printf("note: no start-up floors: %v\n", err)
		return 0, 0
	}
	return goMs, cMs
}

// trial makes n services (each `exec sleep 3600`), starts the runsvdir
// on them, waits until every supervise/stat reads "run", and reads the
// CPU time of runsvdir and everything under it at that moment.
func (r *fleetRow) trial(n int, env []string) error {
	dir, err := os.MkdirTemp("", "gorunit-bench-fleet-")
	if err != nil {
		return fmt.Errorf("create temp dir: %w", err)
	}
	started.addDir(dir)
	defer func() {
		os.RemoveAll(dir)
		started.removeDir(dir)
	}()
	svdir := filepath.Join(dir, "service")
	if err := os.Mkdir(svdir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", svdir, err)
	}
	stats := make([]string, n)
	for i := range n {
		svc, err := makeService(svdir, fmt.Sprintf("s%04d", i))
		if err != nil {
			return err
		}
		stats[i] = filepath.Join(svc, "supervise", "stat")
	}
	// An old directory: Debian's runsvdir would otherwise first sleep a
	// second because it changed in the current second.
	old := time.Now().Add(-time.Minute)
	os.Chtimes(svdir, old, old)

	began := time.Now()
	run, err := startSvdir(r.impl, dir, env)
	if err != nil {
		return err
	}
	defer run.stop()
	for len(stats) > 0 {
		left := stats[:0]
		for _, s := range stats {
			if b, err := os.ReadFile(s); err != nil || string(b) != "run\n" {
				left = append(left, s)
			}
		}
		stats = left
		if len(stats) == 0 {
			break
		}
		if run.sup.exited() {
			return fmt.Errorf("runsvdir exited; its log: %q", run.logTail())
		}
		if time.Since(began) > svdirFleetTimeout {
			return fmt.Errorf("%d of %d services not running after %v; log: %q", len(stats), n, svdirFleetTimeout, run.logTail())
		}
		time.Sleep(svdirFleetPoll)
	}
	wall := time.Since(began)
	tree := readProcTree()
	cpu := tree.cpu[run.sup.pid()]
	for _, pid := range tree.descendants(run.sup.pid(), 0) {
		cpu += tree.cpu[pid]
	}
	r.wall = append(r.wall, wall.Seconds())
	r.cpu = append(r.cpu, cpu.Seconds())
	r.rd = append(r.rd, tree.cpu[run.sup.pid()].Seconds())
	return nil
}

// svdirFleetReport prints the table and judges ours against Debian's.
func svdirFleetReport(rows []*fleetRow, n int, goMs, cMs float64) []check {
	var table [][]string
	var debWall, debCPU float64
	var checks []check
	for _, r := range rows {
		wall, cpu, rd := summarize(r.wall), summarize(r.cpu), summarize(r.rd)
		ours := r.impl.name == "ours"
		if !ours {
			debWall, debCPU = wall.median, cpu.median
		}
		table = append(table, []string{r.impl.name, fmt.Sprint(wall.n), fmt.Sprintf("%.2f", wall.median),
			fmt.Sprintf("%.2f", cpu.median), fmt.Sprintf("%.2f", rd.median), ratio(wall.median, debWall), ratio(cpu.median, debCPU)})
		if ours {
			ok := debWall <= 0 || (wall.median <= debWall && cpu.median <= debCPU)
			verdict := judge(ok)
			if debWall <= 0 {
				verdict = skip
			}
			checks = append(checks, check{bench: "fleet",
				target:   fmt.Sprintf("ours: %d services to running in no more time and CPU than debian", n),
				measured: fmt.Sprintf("%.2f s, %.2f CPU s %s", wall.median, cpu.median, vsDebian(debWall, fmt.Sprintf("%.2f s, %.2f CPU s", debWall, debCPU))),
				verdict:  verdict})
			if goMs > 0 {
				checks[len(checks)-1].measured += fmt.Sprintf(" (Go start floor: +%.2f CPU s)", float64(n)*(goMs-cMs)/1000)
			}
		}
	}
	fmt.Printf("%d services from nothing to all running (every supervise/stat reads run), medians; CPU s: runsvdir and every process under it, utime+stime\n", n)
	printTable([]string{"runsvdir", "n", "wall s", "CPU s", "runsvdir CPU s", "wall ratio", "CPU ratio"}, table)
	if goMs > 0 {
		fmt.Printf("floor: one start of a program that does nothing costs %.2f ms CPU in Go (empty main, static), %.2f ms in C (%s), medians of 50:\n", goMs, cMs, trueBin)
		fmt.Printf("       %d runsv written in Go cost at least %.2f CPU s more than %d in C, before any work of their own\n", n, float64(n)*(goMs-cMs)/1000, n)
	}
	return checks
}
