package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// memoryServices is how many runsv each fleet runs: one per service, as
// runsvdir would, so a few KiB per runsv add up.
const memoryServices = 100

// settle is how long a fleet idles after every service runs and before
// memory is read: start-up garbage and the runtime's first background
// work are done by then (the STYLE.md probes read after 2 s).
const settle = 2 * time.Second

// memoryTarget is the budget for one idle runsv of ours.
const memoryTarget = 1.0 // MiB of RssAnon, median

// runsvVariant is one runsv to measure; env is added to the clean
// environment.
type runsvVariant struct {
	name   string
	bin    string
	env    []string
	target bool // judged against memoryTarget
}

// memSamples collects, over every runsv of every round, KiB figures.
type memSamples struct {
	rssAnon, privateDirty, threads []float64
	gomaxprocs                     map[string]int // GOMAXPROCS in the runsv's environ → count
	comm                           map[string]int // its command name (ps -C, pgrep) → count
}

// runMemory measures RssAnon and Private_Dirty of idle runsv, fleets of
// memoryServices per variant, the variants interleaved round by round.
func runMemory(h *harness) ([]check, error) {
	if err := need(h.bin.runsv, h.bin.sepRunsv); err != nil {
		return nil, err
	}
	variants := []runsvVariant{
		{name: "debian runsv", bin: h.bin.debRunsv},
		{name: "ours multi-call", bin: h.bin.runsv, target: true},
		{name: "ours separate", bin: h.bin.sepRunsv, target: true},
		{name: "ours GOMAXPROCS=2", bin: h.bin.runsv, env: []string{"GOMAXPROCS=2"}},
	}
	samples := make([]memSamples, len(variants))
	for round := range h.plan.memoryRounds {
		for i, v := range variants {
			if v.bin == "" {
				continue
			}
			fmt.Printf("round %d/%d: %s: %d runsv\n", round+1, h.plan.memoryRounds, v.name, memoryServices)
			if err := measureFleet(v, h.env, &samples[i]); err != nil {
				return nil, fmt.Errorf("%s: %w", v.name, err)
			}
		}
	}
	return memoryReport(variants, samples), nil
}

// measureFleet starts one fleet, reads every runsv's memory once the
// fleet has settled, and stops it.
func measureFleet(v runsvVariant, env []string, into *memSamples) error {
	f, err := startFleet(v.bin, memoryServices, append(env[:len(env):len(env)], v.env...))
	if err != nil {
		return err
	}
	defer f.stop()
	if err := f.waitRunning(); err != nil {
		return err
	}
	time.Sleep(settle)
	if into.gomaxprocs == nil {
		into.gomaxprocs, into.comm = map[string]int{}, map[string]int{}
	}
	for _, s := range f.sups {
		if err := into.add(s.pid()); err != nil {
			return err
		}
	}
	return nil
}

// add reads one runsv's figures. Our runsv re-executes itself once at
// start; the pid stays, and by now it is the second image we read.
func (m *memSamples) add(pid int) error {
	rss, err := procField(fmt.Sprintf("/proc/%d/status", pid), "RssAnon")
	if err != nil {
		return err
	}
	threads, err := procField(fmt.Sprintf("/proc/%d/status", pid), "Threads")
	if err != nil {
		return err
	}
	dirty, err := procField(fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Private_Dirty")
	if err != nil {
		return err
	}
	gmp, err := environValue(pid, "GOMAXPROCS")
	if err != nil {
		return err
	}
	_, comm, err := procStat(pid)
	if err != nil {
		return err
	}
	m.rssAnon = append(m.rssAnon, rss)
	m.privateDirty = append(m.privateDirty, dirty)
	m.threads = append(m.threads, threads)
	m.gomaxprocs[gmp]++
	m.comm[comm]++
	return nil
}

// memoryReport prints the table and judges the target for our variants.
func memoryReport(variants []runsvVariant, samples []memSamples) []check {
	deb := [2]float64{summarize(samples[0].rssAnon).median, summarize(samples[0].privateDirty).median}
	var rows [][]string
	var checks []check
	for i, v := range variants {
		if v.bin == "" {
			rows = append(rows, []string{v.name, "skipped: " + debianRunsv + " not installed"})
			continue
		}
		s := samples[i]
		rss, dirty, thr := summarize(s.rssAnon), summarize(s.privateDirty), summarize(s.threads)
		rows = append(rows, []string{v.name, strconv.Itoa(rss.n),
			f3(kibToMiB(rss.median)), f3(kibToMiB(rss.mean)), f3(kibToMiB(rss.max)),
			f3(kibToMiB(dirty.median)), f3(kibToMiB(dirty.mean)), f3(kibToMiB(dirty.max)),
			f1(thr.median), describeCounts(s.gomaxprocs), describeCounts(s.comm),
			ratio(rss.median, deb[0]), ratio(dirty.median, deb[1])})
		if v.target {
			checks = append(checks, check{bench: "memory",
				target:   fmt.Sprintf("%s: median RssAnon <= %.0f MiB per runsv", v.name, memoryTarget),
				measured: fmt.Sprintf("%s MiB %s", f3(kibToMiB(rss.median)), vsDebian(deb[0], f3(kibToMiB(deb[0]))+" MiB")),
				verdict:  judge(kibToMiB(rss.median) <= memoryTarget)})
		}
	}
	fmt.Println("MiB per idle runsv; ratios are of medians, ours/debian")
	printTable([]string{"runsv", "n", "RssAnon med", "mean", "max", "Priv_Dirty med", "mean", "max",
		"threads", "GOMAXPROCS env", "comm", "RssAnon/deb", "Dirty/deb"}, rows)
	return checks
}

// describeCounts renders {"1": 100} as "1", and a mix as "1×60 -×40"
// ("-" is unset), sorted.
func describeCounts(counts map[string]int) string {
	if len(counts) == 1 {
		for k := range counts {
			return k
		}
	}
	var parts []string
	for k, n := range counts {
		parts = append(parts, fmt.Sprintf("%s×%d", k, n))
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

// procField reads the number after "key:" in a /proc file of "Key: N kB"
// lines (status, smaps_rollup).
func procField(path, key string) (float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != key {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			break
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return 0, fmt.Errorf("read %s: %s: %w", path, key, err)
		}
		return v, nil
	}
	return 0, fmt.Errorf("read %s: no %s line", path, key)
}

// environValue is the value of key in /proc/pid/environ, which shows the
// environment of the image running now (after our runsv's re-exec), or
// "-" when unset.
func environValue(pid int, key string) (string, error) {
	path := fmt.Sprintf("/proc/%d/environ", pid)
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	for _, kv := range bytes.Split(b, []byte{0}) {
		if k, v, ok := bytes.Cut(kv, []byte("=")); ok && string(k) == key {
			return string(v), nil
		}
	}
	return "-", nil
}
