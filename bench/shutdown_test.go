package main

import (
	"os"
	"strings"
	"testing"
)

func TestShutdownReportVerdicts(t *testing.T) {
	s6 := func(median float64) *shutdownInit {
		return &shutdownInit{name: "s6-svscan", bin: shutdownBins.s6Svscan, services: 10, ms: []float64{median}, graceful: 1}
	}
	tests := []struct {
		name string
		ours *shutdownInit
		s6   *shutdownInit
		want [3]verdict // graceful, under target, ahead of s6
	}{
		{"ours skipped", nil, s6(200), [3]verdict{skip, skip, skip}},
		{"all met", &shutdownInit{ms: []float64{120}, graceful: 1}, s6(200), [3]verdict{pass, pass, pass}},
		{"not graceful", &shutdownInit{ms: []float64{20}, graceful: 0}, s6(200), [3]verdict{fail, pass, pass}},
		{"slower than s6", &shutdownInit{ms: []float64{140}, graceful: 1}, s6(130), [3]verdict{pass, pass, fail}},
		{"over target", &shutdownInit{ms: []float64{160}, graceful: 1}, s6(200), [3]verdict{pass, fail, pass}},
		{"no s6", &shutdownInit{ms: []float64{120}, graceful: 1}, nil, [3]verdict{pass, pass, skip}},
		{"a trial failed", &shutdownInit{failed: os.ErrDeadlineExceeded, failedAt: 1}, s6(200), [3]verdict{fail, fail, fail}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inits []*shutdownInit
			for _, in := range []*shutdownInit{tt.ours, tt.s6} {
				if in != nil {
					inits = append(inits, in)
				}
			}
			checks := shutdownReport(inits, tt.ours, "skipped for the test", 1)
			if len(checks) != 3 {
				t.Fatalf("got %d checks, want 3", len(checks))
			}
			for i, c := range checks {
				if c.verdict != tt.want[i] {
					t.Errorf("%s: %s (%s), want %s", c.target, c.verdict, c.measured, tt.want[i])
				}
			}
		})
	}
}

func TestMakeShutdownTree(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	tr, err := makeShutdownTree(2)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.remove()
	if len(tr.runs) != 2 || len(tr.ups) != 2 || len(tr.stops) != 2 {
		t.Fatalf("got %d runs, %d ups, %d stops; want 2 each", len(tr.runs), len(tr.ups), len(tr.stops))
	}
	b, err := os.ReadFile(tr.runs[1])
	if err != nil {
		t.Fatal(err)
	}
	script := string(b)
	if !strings.HasPrefix(script, "#!/bin/sh\ntrap 'sleep 0.1; echo stopped > "+tr.stops[1]+"; exit 0' TERM\n") ||
		!strings.Contains(script, "echo up > "+tr.ups[1]+"\n") {
		t.Errorf("run script:\n%s", script)
	}
	if !isExecutable(tr.runs[1]) {
		t.Errorf("%s is not executable", tr.runs[1])
	}
	if n := countExisting(append(tr.ups, tr.stops...)); n != 0 {
		t.Errorf("%d UPFILEs or STOPFILEs exist before any service ran", n)
	}
}
