package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
)

// verdict is the outcome of one target.
type verdict string

const (
	pass verdict = "PASS"
	fail verdict = "FAIL"
	skip verdict = "SKIP" // could not be judged (Debian's runit missing)
)

// check is one target of the issue and how this run measured against it:
// one line of the summary.
type check struct {
	bench    string
	target   string
	measured string
	verdict  verdict
}

// judge is pass when ok holds, fail otherwise.
func judge(ok bool) verdict {
	if ok {
		return pass
	}
	return fail
}

// stats summarises samples; the median is what the tables quote, as
// the machine is shared and noisy.
type stats struct {
	n                      int
	median, mean, min, max float64
}

func summarize(xs []float64) stats {
	if len(xs) == 0 {
		return stats{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	st := stats{n: len(s), min: s[0], max: s[len(s)-1]}
	if len(s)%2 == 1 {
		st.median = s[len(s)/2]
	} else {
		st.median = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	for _, x := range s {
		st.mean += x
	}
	st.mean /= float64(len(s))
	return st
}

// ratio formats ours/debian, or "-" when there is no Debian figure.
func ratio(ours, debian float64) string {
	if debian <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", ours/debian)
}

// vsDebian renders Debian's figure for a summary line, "(debian 2.9 ms)",
// or says it is missing.
func vsDebian(debian float64, text string) string {
	if debian <= 0 {
		return "(debian not installed)"
	}
	return "(debian " + text + ")"
}

// printTable prints rows under a header, columns aligned with spaces.
func printTable(header []string, rows [][]string) {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

// printSummary prints every target checked by this run.
func printSummary(checks []check) {
	fmt.Println("== summary")
	rows := make([][]string, 0, len(checks))
	for _, c := range checks {
		rows = append(rows, []string{c.bench, c.target, c.measured, string(c.verdict)})
	}
	printTable([]string{"benchmark", "target", "measured", "result"}, rows)
}

// mib converts KiB, as /proc reports memory, to MiB.
func kibToMiB(kib float64) float64 { return kib / 1024 }

func f3(x float64) string { return fmt.Sprintf("%.3f", x) }
func f1(x float64) string { return fmt.Sprintf("%.1f", x) }
