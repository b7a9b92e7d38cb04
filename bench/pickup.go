package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// The pickup benchmark: how long after a service is linked into the
// service directory its ./run starts, for Debian's runsvdir (which looks
// at the directory every few seconds) and ours (inotify) (issue 4,
// Benchmark).

// pickupTarget is the budget for ours, median.
const pickupTarget = 50 * time.Millisecond

// Delays of the pickup benchmark.
const (
	// pickupPoll is how often the harness looks for the service's
	// UPFILE: the resolution of the measurement, fine next to 50 ms.
	pickupPoll = time.Millisecond
	// pickupTimeout bounds one trial: Debian's runsvdir takes up to 6 s
	// (5 s between looks, plus a second when the directory changed in
	// the current second).
	pickupTimeout = 15 * time.Second
	// pickupGap separates trials, so that each starts from an idle
	// runsvdir (ours rescans the directory after an event).
	pickupGap = 200 * time.Millisecond
	// pickupWarmup lets both runsvdir do their first scan of the empty
	// directory (Debian's sleeps a second when it is brand new).
	pickupWarmup = 2 * time.Second
)

// pickupTrials is 7 trials per runsvdir, 3 with -quick: Debian's take
// 1.8 to 3.5 s each, so the whole benchmark stays well under a minute.
func pickupTrials(p plan) int {
	if p == quickPlan {
		return 3
	}
	return 7
}

// pickupRunScript is every service's ./run, given its UPFILE.
const pickupRunScript = "#!/bin/sh\necho up > %s\nexec sleep 3600\n"

// pickupRow is one runsvdir's trials.
type pickupRow struct {
	impl svdirImpl
	run  *svdirRun
	ms   []float64
}

// runPickup times link-to-./run for each runsvdir, trials interleaved.
func runPickup(h *harness) ([]check, error) {
	impls, err := svdirImpls(h)
	if err != nil {
		return nil, err
	}
	var rows []*pickupRow
	defer func() {
		for _, r := range rows {
			r.run.stop()
			os.RemoveAll(r.run.dir)
			started.removeDir(r.run.dir)
		}
	}()
	trials := pickupTrials(h.plan)
	for _, impl := range impls {
		dir, err := os.MkdirTemp("", "gorunit-bench-pickup-")
		if err != nil {
			return nil, fmt.Errorf("create temp dir: %w", err)
		}
		started.addDir(dir)
		// Services are made before the run, as /etc/sv/* are: linking
		// one in is the usual way to add it.
		for i := range trials {
			svc := filepath.Join(dir, "sv", fmt.Sprintf("s%d", i))
			if err := os.MkdirAll(svc, 0o755); err != nil {
				return nil, fmt.Errorf("create %s: %w", svc, err)
			}
			run := filepath.Join(svc, "run")
			if err := os.WriteFile(run, fmt.Appendf(nil, pickupRunScript, filepath.Join(svc, "UP")), 0o755); err != nil {
				return nil, fmt.Errorf("write %s: %w", run, err)
			}
		}
		if err := os.Mkdir(filepath.Join(dir, "service"), 0o755); err != nil {
			return nil, fmt.Errorf("create service dir: %w", err)
		}
		r, err := startSvdir(impl, dir, h.env)
		if err != nil {
			os.RemoveAll(dir)
			started.removeDir(dir)
			return nil, err
		}
		rows = append(rows, &pickupRow{impl: impl, run: r})
	}
	time.Sleep(pickupWarmup)
	for i := range trials {
		for _, r := range rows {
			took, err := r.trial(i)
			if err != nil {
				return nil, fmt.Errorf("%s: trial %d: %w; its log: %q", r.impl.name, i+1, err, r.run.logTail())
			}
			r.ms = append(r.ms, ms(took))
			time.Sleep(pickupGap)
		}
	}
	warnIfLoaded()
	return pickupReport(rows), nil
}

// trial links service i in and waits for its UPFILE.
func (r *pickupRow) trial(i int) (time.Duration, error) {
	name := fmt.Sprintf("s%d", i)
	svc := filepath.Join(r.run.dir, "sv", name)
	up := filepath.Join(svc, "UP")
	began := time.Now()
	if err := os.Symlink(svc, filepath.Join(r.run.svdir, name)); err != nil {
		return 0, fmt.Errorf("link %s: %w", name, err)
	}
	for {
		if _, err := os.Stat(up); err == nil {
			return time.Since(began), nil
		}
		if r.run.sup.exited() {
			return 0, fmt.Errorf("runsvdir %d exited", r.run.sup.pid())
		}
		if time.Since(began) > pickupTimeout {
			return 0, fmt.Errorf("%s not written %v after the link", up, pickupTimeout)
		}
		time.Sleep(pickupPoll)
	}
}

// pickupReport prints the table and judges ours against the target.
func pickupReport(rows []*pickupRow) []check {
	var table [][]string
	debMedian := 0.0
	var checks []check
	for _, r := range rows {
		st := summarize(r.ms)
		ours := r.impl.name == "ours"
		if !ours {
			debMedian = st.median
		}
		table = append(table, []string{r.impl.name, fmt.Sprint(st.n), f1(st.median), f1(st.min), f1(st.max), ratio(st.median, debMedian)})
		if ours {
			checks = append(checks, check{bench: "pickup",
				target:   fmt.Sprintf("ours: median link-to-./run < %v", pickupTarget),
				measured: fmt.Sprintf("%s ms %s", f1(st.median), vsDebian(debMedian, f1(debMedian)+" ms")),
				verdict:  judge(st.median < ms(pickupTarget))})
		}
	}
	fmt.Println("pick-up of a linked service: symlink created to its ./run writing a file, ms; ratio of medians, ours/debian")
	printTable([]string{"runsvdir", "n", "median", "min", "max", "ratio"}, table)
	return checks
}
