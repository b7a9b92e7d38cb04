package main

import (
	"fmt"
	"strings"
	"time"
)

// statusClient is one sv binary whose `sv status` is timed, or a floor:
// a program that does nothing, timed the same way, to show what process
// start-up alone costs in C and in our Go binary.
type statusClient struct {
	name    string
	bin     string
	floor   []string // the floor's arguments; nil for an sv
	target  bool     // judged: ours must be no slower than Debian's
	emptyGo bool     // the floor of any Go program: main is empty

	perCall []float64 // per round: mean ms per call
	bad     int       // calls that did not print "run: "
}

// trueBin is the C floor: Debian's sv is a small C program like it.
const trueBin = "/bin/true"

// runStatus times `sv status SERVICE` of each sv against one service of
// our runsv: the cost of starting the client, as scripts that poll a
// service pay it. Rounds are interleaved across clients.
func runStatus(h *harness) ([]check, error) {
	if err := need(h.bin.gorunit, h.bin.runsv, h.bin.sv, h.bin.sepSv); err != nil {
		return nil, err
	}
	var clients []*statusClient
	if h.bin.debSv != "" {
		clients = append(clients, &statusClient{name: "debian sv", bin: h.bin.debSv})
	} else {
		fmt.Printf("note: skipping debian sv: %s not installed\n", debianSv)
	}
	clients = append(clients,
		&statusClient{name: "ours multi-call sv", bin: h.bin.sv, target: true},
		&statusClient{name: "ours separate sv", bin: h.bin.sepSv, target: true},
		&statusClient{name: "floor: " + trueBin + " (C)", bin: trueBin, floor: []string{}},
		&statusClient{name: "floor: gorunit --version (Go)", bin: h.bin.gorunit, floor: []string{"--version"}})
	if empty, remove, err := buildEmptyGo(); err != nil {
		fmt.Printf("note: no empty Go floor: %v\n", err)
	} else {
		defer remove()
		clients = append(clients, &statusClient{name: "floor: empty Go program", bin: empty, floor: []string{}, emptyGo: true})
	}

	f, err := startFleet(h.bin.runsv, 1, h.env)
	if err != nil {
		return nil, err
	}
	defer f.stop()
	if err := f.waitRunning(); err != nil {
		return nil, err
	}
	svc := f.sups[0].svc
	for _, c := range clients {
		c.call(h.env, svc) // warm the page cache; not counted
		c.bad = 0
	}
	for range h.plan.statusRounds {
		for _, c := range clients {
			if err := c.round(h.env, svc, h.plan.statusCalls); err != nil {
				return nil, fmt.Errorf("%s: %w", c.name, err)
			}
		}
	}
	return statusReport(clients), nil
}

// round runs calls `sv status` one after the other and records the mean
// time per call.
func (c *statusClient) round(env []string, svc string, calls int) error {
	began := time.Now()
	for range calls {
		if err := c.call(env, svc); err != nil {
			return err
		}
	}
	c.perCall = append(c.perCall, ms(time.Since(began))/float64(calls))
	return nil
}

// call runs one `sv status`; output other than a "run: " line is counted
// as bad, and the first one printed. A floor only has to exit 0.
func (c *statusClient) call(env []string, svc string) error {
	args, want := []string{"status", svc}, "run: "
	if c.floor != nil {
		args, want = c.floor, ""
	}
	out, _, err := runClient(c.bin, env, args...)
	if err != nil && !isExit(err) {
		return err
	}
	if err != nil || !strings.HasPrefix(out, want) {
		if c.bad == 0 {
			fmt.Printf("warning: %s printed %q (%v)\n", c.name, out, err)
		}
		c.bad++
	}
	return nil
}

// statusReport prints the table and judges each of ours against Debian's.
func statusReport(clients []*statusClient) []check {
	debMedian, goMedian := 0.0, 0.0
	for _, c := range clients {
		switch {
		case !c.target && c.floor == nil:
			debMedian = summarize(c.perCall).median
		case c.emptyGo:
			goMedian = summarize(c.perCall).median
		}
	}
	var rows [][]string
	var checks []check
	for _, c := range clients {
		st := summarize(c.perCall)
		rows = append(rows, []string{c.name, fmt.Sprint(st.n), f3(st.median), f3(st.min), f3(st.max),
			fmt.Sprint(c.bad), ratio(st.median, debMedian)})
		if !c.target {
			continue
		}
		ck := check{bench: "status", target: c.name + ": median per call <= debian sv's",
			measured: fmt.Sprintf("%s ms %s", f3(st.median), vsDebian(debMedian, f3(debMedian)+" ms")), verdict: skip}
		if goMedian > 0 {
			ck.measured += fmt.Sprintf(" (empty Go program %s ms)", f3(goMedian))
		}
		if debMedian > 0 {
			ck.verdict = judge(st.median <= debMedian && c.bad == 0)
		}
		checks = append(checks, ck)
	}
	fmt.Println("sv status, ms per call: median/min/max over rounds of each round's mean; bad = not \"run: \"; ratio of medians, x/debian")
	fmt.Println("floors are not judged: they start a process that does nothing, so sv minus its floor is sv's own work")
	printTable([]string{"client", "rounds", "median", "min", "max", "bad", "ratio"}, rows)
	return checks
}
