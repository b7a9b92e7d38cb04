package main

import (
	"fmt"
	"path/filepath"
	"time"
)

// The chpst benchmark times `chpst -u nobody /bin/true` from start to
// exit: what a run script pays to drop privileges before it execs its
// daemon (issue 6). Rounds of calls, interleaved across implementations.
const (
	chpstRounds      = 10
	chpstCalls       = 30
	chpstQuickRounds = 3
	chpstQuickCalls  = 10
	debianChpst      = "/usr/bin/chpst"
	// chpstSlackMs is the target: per call, ours may cost Debian's plus
	// what starting a Go program costs more than starting a C one (the
	// two floors, measured in the same rounds), plus this much. That
	// judges chpst's own work (lookups, setuid on every thread, exec),
	// which is what we control, not Go's start-up.
	chpstSlackMs = 1.0
)

// chpstClient is one way of running the command, or a floor: a program
// that does nothing, timed the same way.
type chpstClient struct {
	name   string
	bin    string
	args   []string
	target bool   // ours: judged against Debian's
	floor  string // "c" or "go" for the floors

	perCall []float64 // per round: mean ms per call
	bad     int       // calls that did not exit 0 silently
	badOut  string    // the first bad call's output
}

// runChpst times each chpst in rounds, interleaved.
func runChpst(h *harness) ([]check, error) {
	bin := filepath.Dir(h.bin.gorunit)
	multi, separate := filepath.Join(bin, "chpst"), filepath.Join(bin, "separate", "chpst")
	if err := need(h.bin.gorunit, multi, separate); err != nil {
		return nil, err
	}
	args := []string{"-u", "nobody", trueBin}
	var clients []*chpstClient
	if isExecutable(debianChpst) {
		clients = append(clients, &chpstClient{name: "debian chpst", bin: debianChpst, args: args})
	} else {
		fmt.Printf("note: %s not found (apt-get install runit): its row and the target are skipped\n", debianChpst)
	}
	clients = append(clients,
		&chpstClient{name: "ours multi-call chpst", bin: multi, args: args, target: true},
		&chpstClient{name: "ours separate chpst", bin: separate, args: args, target: true},
		&chpstClient{name: "floor: " + trueBin + " (C)", bin: trueBin, floor: "c"},
		&chpstClient{name: "floor: gorunit --version (Go)", bin: h.bin.gorunit, args: []string{"--version"}, floor: "go"})

	rounds, calls := chpstRounds, chpstCalls
	if h.plan == quickPlan {
		rounds, calls = chpstQuickRounds, chpstQuickCalls
	}
	for _, c := range clients {
		c.call(h.env) // warm the page cache; not counted
		c.bad, c.badOut = 0, ""
	}
	for range rounds {
		for _, c := range clients {
			began := time.Now()
			for range calls {
				if err := c.call(h.env); err != nil {
					return nil, fmt.Errorf("%s: %w", c.name, err)
				}
			}
			c.perCall = append(c.perCall, ms(time.Since(began))/float64(calls))
		}
	}
	return chpstReport(clients), nil
}

// call runs the command once; anything printed, or an exit other than
// 0, makes the call bad.
func (c *chpstClient) call(env []string) error {
	out, _, err := runClient(c.bin, env, c.args...)
	if err != nil && !isExit(err) {
		return err
	}
	ok := err == nil && (out == "" || c.floor == "go") // the Go floor prints its version
	if !ok {
		if c.bad == 0 {
			c.badOut = fmt.Sprintf("%q (%v)", out, err)
		}
		c.bad++
	}
	return nil
}

// chpstReport prints the table and judges ours against Debian's.
func chpstReport(clients []*chpstClient) []check {
	var debMedian, cFloor, goFloor float64
	for _, c := range clients {
		switch {
		case c.bin == debianChpst:
			debMedian = summarize(c.perCall).median
		case c.floor == "c":
			cFloor = summarize(c.perCall).median
		case c.floor == "go":
			goFloor = summarize(c.perCall).median
		}
	}
	allowed := debMedian + goFloor - cFloor + chpstSlackMs
	var rows [][]string
	var checks []check
	for _, c := range clients {
		st := summarize(c.perCall)
		rows = append(rows, []string{c.name, fmt.Sprint(st.n), f3(st.median), f3(st.min), f3(st.max),
			fmt.Sprint(c.bad), ratio(st.median, debMedian)})
		if c.bad > 0 {
			fmt.Printf("warning: %s: %d bad calls, the first printed %s\n", c.name, c.bad, c.badOut)
		}
		if !c.target {
			continue
		}
		ck := check{bench: "chpst",
			target:   fmt.Sprintf("%s: median per call <= debian's + (Go floor - C floor) + %.0f ms", c.name, chpstSlackMs),
			measured: fmt.Sprintf("%s ms %s", f3(st.median), vsDebian(debMedian, "allows "+f3(allowed)+" ms")), verdict: skip}
		if debMedian > 0 {
			ck.verdict = judge(st.median <= allowed && c.bad == 0)
		}
		checks = append(checks, ck)
	}
	fmt.Println("chpst -u nobody /bin/true, ms per call: median/min/max over rounds of each round's mean; bad = not a silent exit 0; ratio of medians, x/debian")
	fmt.Println("floors are not judged: they start a process that does nothing, so chpst minus its floor is chpst's own work")
	printTable([]string{"command", "rounds", "median", "min", "max", "bad", "ratio"}, rows)
	return checks
}
