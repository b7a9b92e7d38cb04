package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Delays of the restart benchmark.
const (
	// minUptime is how long a service must have run before a trial:
	// runsv holds back the restart of a ./run that ran less than 1 s
	// (runsv(8)), which would be measured instead of the round trip.
	minUptime = 1200 * time.Millisecond
	// clientTimeout bounds one sv call: sv -w 7 gives up after 7 s on
	// its own; past this the harness kills it (by pid, via os/exec).
	clientTimeout = 15 * time.Second
)

// restartTarget is the budget for our restart round trip.
const restartTarget = 50 * time.Millisecond

// restartPair is an sv driving a runsv of the same implementation.
type restartPair struct {
	name      string
	runsv, sv string
	target    bool

	fleet   *fleet
	upSince time.Time // the service has run at least since then
	ms      []float64
	bad     int // trials without "ok: run:" or without a new pid
}

// runRestart times `sv -w 7 restart` for each pair, trials interleaved.
func runRestart(h *harness) ([]check, error) {
	if err := need(h.bin.runsv, h.bin.sv); err != nil {
		return nil, err
	}
	pairs := []*restartPair{{name: "debian sv + debian runsv", runsv: h.bin.debRunsv, sv: h.bin.debSv}}
	if h.bin.debRunsv == "" || h.bin.debSv == "" {
		pairs = nil
		fmt.Println("note: skipping debian's pair: runit not installed")
	}
	pairs = append(pairs, &restartPair{name: "ours sv + ours runsv", runsv: h.bin.runsv, sv: h.bin.sv, target: true})
	defer func() {
		for _, p := range pairs {
			if p.fleet != nil {
				p.fleet.stop()
			}
		}
	}()
	for _, p := range pairs {
		if err := p.start(h.env); err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
	}
	for trial := range h.plan.restartTrials {
		for _, p := range pairs {
			if err := p.trial(h.env); err != nil {
				return nil, fmt.Errorf("%s: trial %d: %w", p.name, trial+1, err)
			}
		}
	}
	return restartReport(pairs), nil
}

// start runs the pair's one service and waits until it runs.
func (p *restartPair) start(env []string) error {
	f, err := startFleet(p.runsv, 1, env)
	if err != nil {
		return err
	}
	p.fleet = f
	if err := f.waitRunning(); err != nil {
		return err
	}
	p.upSince = time.Now()
	return nil
}

// trial waits out the throttle, restarts the service once and checks
// that sv said so and that a new process runs. A check that fails is
// counted and printed, not fatal; an sv that cannot run at all is.
func (p *restartPair) trial(env []string) error {
	time.Sleep(time.Until(p.upSince.Add(minUptime)))
	sup := p.fleet.sups[0]
	before, err := sup.servicePID()
	if err != nil {
		return err
	}
	out, took, err := runClient(p.sv, env, "-w", "7", "restart", sup.svc)
	p.upSince = time.Now()
	if err != nil && !isExit(err) {
		return err
	}
	after, perr := sup.servicePID()
	switch {
	case err != nil || !strings.HasPrefix(out, "ok: run:"):
		fmt.Printf("warning: %s: %s printed %q (%v)\n", p.name, p.sv, out, err)
		p.bad++
	case perr != nil || after == 0 || after == before:
		fmt.Printf("warning: %s: pid %d before restart, %d after (%v)\n", p.name, before, after, perr)
		p.bad++
	}
	p.ms = append(p.ms, ms(took))
	return nil
}

// restartReport prints the table and judges ours against the target.
func restartReport(pairs []*restartPair) []check {
	var rows [][]string
	debMedian := 0.0
	var checks []check
	for _, p := range pairs {
		st := summarize(p.ms)
		if !p.target {
			debMedian = st.median
		}
		rows = append(rows, []string{p.name, fmt.Sprint(st.n), f1(st.median), f1(st.min), f1(st.max),
			fmt.Sprint(p.bad), ratio(st.median, debMedian)})
		if p.target {
			checks = append(checks, check{bench: "restart",
				target:   fmt.Sprintf("ours: median sv -w 7 restart < %v, every trial ok", restartTarget),
				measured: fmt.Sprintf("%s ms, %d bad %s", f1(st.median), p.bad, vsDebian(debMedian, f1(debMedian)+" ms")),
				verdict:  judge(st.median < ms(restartTarget) && p.bad == 0)})
		}
	}
	fmt.Println("sv -w 7 restart round trip, ms; bad = no \"ok: run:\" or no new pid; ratio of medians, ours/debian")
	printTable([]string{"pair", "n", "median", "min", "max", "bad", "ratio"}, rows)
	return checks
}

// runClient runs one sv with env and returns what it printed (stdout and
// stderr) and how long it took, start to exit.
func runClient(bin string, env []string, args ...string) (string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	began := time.Now()
	err := cmd.Run()
	took := time.Since(began)
	if err != nil && !isExit(err) {
		err = fmt.Errorf("run %s: %w", bin, err)
	}
	return out.String(), took, err
}

// isExit tells an sv that ran and exited non-zero (or was killed) from
// one that could not be started.
func isExit(err error) bool {
	var exit *exec.ExitError
	return errors.As(err, &exit)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
