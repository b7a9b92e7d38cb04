package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want stats
	}{
		{"empty", nil, stats{}},
		{"odd", []float64{3, 1, 2}, stats{n: 3, median: 2, mean: 2, min: 1, max: 3}},
		{"even", []float64{4, 1, 3, 2}, stats{n: 4, median: 2.5, mean: 2.5, min: 1, max: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summarize(tt.in); got != tt.want {
				t.Errorf("summarize(%v) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestProcField(t *testing.T) {
	path := filepath.Join(t.TempDir(), "status")
	text := "Name:\trunsv\nRssAnon:\t     704 kB\nThreads:\t5\nEmpty:\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key     string
		want    float64
		wantErr bool
	}{
		{"RssAnon", 704, false},
		{"Threads", 5, false},
		{"Empty", 0, true},
		{"Missing", 0, true},
		{"Name", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got, err := procField(path, tt.key)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("procField(%s) = %v, %v; want %v, error %v", tt.key, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestProcStatSelf(t *testing.T) {
	ppid, comm, err := procStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if ppid != os.Getppid() || comm == "" {
		t.Errorf("procStat(self) = %d, %q; want parent %d and a name", ppid, comm, os.Getppid())
	}
}

func TestCleanEnv(t *testing.T) {
	in := []string{"PATH=/bin", "GOMAXPROCS=4", "GORUNIT_RUNSV_LEAN=1", "HOME=/root"}
	want := []string{"PATH=/bin", "HOME=/root"}
	if got := cleanEnv(in); !slices.Equal(got, want) {
		t.Errorf("cleanEnv = %q, want %q", got, want)
	}
}

func TestDescribeCounts(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]int
		want string
	}{
		{"one value", map[string]int{"1": 100}, "1"},
		{"mixed, sorted", map[string]int{"2": 3, "-": 97}, "-×97 2×3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeCounts(tt.in); got != tt.want {
				t.Errorf("describeCounts(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSelectBenchmarks(t *testing.T) {
	if all, err := selectBenchmarks(""); err != nil || len(all) != len(benchmarks) {
		t.Errorf("selectBenchmarks(\"\") = %d benchmarks, %v", len(all), err)
	}
	if one, err := selectBenchmarks("size"); err != nil || len(one) != 1 || one[0].name != "size" {
		t.Errorf("selectBenchmarks(size) = %v, %v", one, err)
	}
	if _, err := selectBenchmarks("nope"); err == nil {
		t.Error("selectBenchmarks(nope) succeeded")
	}
}
