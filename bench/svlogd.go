package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The svlogd benchmark pipes loggerLines lines of loggerLineLen bytes
// (200 MB) through each logger with a timestamp, rotation at 10 MB and 5
// old files kept (svlogd's -tt, s10000000, n5), as issue 5 asks.
const (
	loggerLines     = 2000000
	loggerLineLen   = 100 // bytes, newline included
	loggerQuickFrac = 4   // -quick pipes a quarter of it
	loggerRounds    = 3   // rounds, interleaved; only ours runs in every round
	loggerIdleLines = 10000
	// loggerIdleSettle is how long a logger idles before its memory is
	// read, as the runsv memory benchmark does.
	loggerIdleSettle = 2 * time.Second
	// Targets: six times Debian's svlogd, about s6-log's throughput on
	// the dev VM (issue 5), and an idle svlogd under 2 MiB RssAnon.
	loggerSpeedup  = 6.0
	loggerIdleMiB  = 2.0
	svlogdConfig   = "s10000000\nn5\n"
	debianSvlogd   = "/usr/bin/svlogd"
	stampedLineLen = loggerLineLen + 26 // -tt adds 25 characters and a space
)

// logger is one implementation, how to run it on a log directory, and
// whether it is svlogd (whose -v output the loss check reads).
type logger struct {
	name   string
	bin    string
	args   func(dir string) []string
	svlogd bool
	target bool // ours: judged
	slow   bool // run in the first round only, to keep the benchmark under a minute

	mbps, cpuPerGB []float64
	bad            int    // trials that lost or mangled a line
	badWhy         string // the first reason
	idleKiB        float64
}

// runSvlogd measures throughput, CPU per GB, loss and idle memory of
// our svlogd beside Debian's, and s6-log and multilog when installed.
func runSvlogd(h *harness) ([]check, error) {
	ours := filepath.Join(filepath.Dir(h.bin.runsv), "svlogd")
	if err := need(ours); err != nil {
		return nil, err
	}
	svlogdArgs := func(dir string) []string { return []string{"-v", "-tt", dir} }
	loggers := []*logger{}
	if isExecutable(debianSvlogd) {
		loggers = append(loggers, &logger{name: "debian svlogd", bin: debianSvlogd, args: svlogdArgs, svlogd: true, slow: true})
	} else {
		fmt.Printf("note: %s not found (apt-get install runit): its column is skipped\n", debianSvlogd)
	}
	loggers = append(loggers, &logger{name: "ours svlogd", bin: ours, args: svlogdArgs, svlogd: true, target: true})
	if p, err := exec.LookPath("s6-log"); err == nil {
		loggers = append(loggers, &logger{name: "s6-log", bin: p,
			args: func(dir string) []string { return []string{"-b", "n5", "s10000000", "T", dir} }, slow: true})
	} else {
		fmt.Println("note: s6-log not found (apt-get install s6): its row is skipped")
	}
	if p, err := exec.LookPath("multilog"); err == nil {
		loggers = append(loggers, &logger{name: "multilog", bin: p,
			args: func(dir string) []string { return []string{"t", "s10000000", "n5", dir} }, slow: true})
	} else {
		fmt.Println("note: multilog not found (apt-get install daemontools): its row is skipped")
	}

	lines := loggerLines
	if h.plan == quickPlan {
		lines /= loggerQuickFrac
	}
	input, err := writeLoggerInput(lines)
	if err != nil {
		return nil, err
	}
	defer func() { os.Remove(input); started.removeDir(input) }()
	size := int64(lines) * loggerLineLen
	rounds := loggerRounds
	if h.plan == quickPlan {
		rounds = 1
	}
	for round := range rounds {
		for _, lg := range loggers {
			if round > 0 && lg.slow {
				continue
			}
			fmt.Printf("round %d/%d: %s: %d MB\n", round+1, rounds, lg.name, size/1e6)
			if err := lg.trial(h.env, input, size, lines); err != nil {
				return nil, fmt.Errorf("%s: %w", lg.name, err)
			}
		}
	}
	for _, lg := range loggers {
		kib, err := lg.idleMemory(h.env)
		if err != nil {
			return nil, fmt.Errorf("%s: idle memory: %w", lg.name, err)
		}
		lg.idleKiB = kib
	}
	return loggerReport(loggers), nil
}

// writeLoggerInput writes the input to a temporary file (on disk, then
// in the page cache for every trial) and returns its name.
func writeLoggerInput(n int) (string, error) {
	f, err := os.CreateTemp("", "gorunit-bench-svlogd-input-")
	if err != nil {
		return "", err
	}
	started.addDir(f.Name())
	_, err = f.Write(makeLoggerInput(n))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return f.Name(), err
}

// makeLoggerInput makes n numbered lines, each loggerLineLen bytes.
func makeLoggerInput(n int) []byte {
	b := make([]byte, 0, n*loggerLineLen)
	fill := bytes.Repeat([]byte("abcdefghij"), loggerLineLen/10)
	for i := range n {
		b = fmt.Appendf(b, "%09d ", i)
		b = append(b, fill[:loggerLineLen-11]...)
		b = append(b, '\n')
	}
	return b
}

// trial pipes input through one fresh logger and records its speed, its
// CPU time and whether every line arrived.
func (lg *logger) trial(env []string, input string, size int64, lines int) error {
	dir, err := os.MkdirTemp("", "gorunit-bench-svlogd-")
	if err != nil {
		return err
	}
	started.addDir(dir)
	defer func() { os.RemoveAll(dir); started.removeDir(dir) }()
	logdir := filepath.Join(dir, "log")
	if err := os.Mkdir(logdir, 0o755); err != nil {
		return err
	}
	if lg.svlogd {
		if err := os.WriteFile(filepath.Join(logdir, "config"), []byte(svlogdConfig), 0o644); err != nil {
			return err
		}
	}
	// cat feeds the logger, as in a shell pipeline: a writer that never
	// waits for anything but the pipe.
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	cat := exec.Command("cat", input)
	cat.Stdout = w
	cmd := exec.Command(lg.bin, lg.args(logdir)...)
	cmd.Env = env
	cmd.Stdin = r
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	began := time.Now()
	err = cmd.Start()
	if err == nil {
		err = cat.Start()
	}
	r.Close()
	w.Close()
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return err
	}
	cerr := cat.Wait()
	if err := cmd.Wait(); err != nil || cerr != nil {
		return fmt.Errorf("%v %v: %s", err, cerr, stderr.String())
	}
	wall := time.Since(began)
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	lg.mbps = append(lg.mbps, float64(size)/1e6/wall.Seconds())
	lg.cpuPerGB = append(lg.cpuPerGB, cpu.Seconds()/(float64(size)/1e9))
	if why := checkLoss(lg, logdir, stderr.String(), lines); why != "" {
		lg.bad++
		if lg.badWhy == "" {
			lg.badWhy = why
		}
	}
	return nil
}

// checkLoss returns "" when no line was lost: the files kept hold the
// last lines of the input, numbered without a gap, and (for svlogd,
// whose -v prints each rotated file's size) the bytes logged add up to
// every line stamped once.
func checkLoss(lg *logger, logdir, stderr string, lines int) string {
	names, _ := filepath.Glob(filepath.Join(logdir, "@*"))
	names = append(names, filepath.Join(logdir, "current"))
	next, first := -1, -1
	var kept int64
	for _, n := range names {
		f, err := os.Open(n)
		if err != nil {
			return err.Error()
		}
		fi, _ := f.Stat()
		kept += fi.Size()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 2 {
				f.Close()
				return "malformed line " + strconv.Quote(sc.Text())
			}
			num, err := strconv.Atoi(fields[len(fields)-2]) // "STAMP NUMBER FILLER"
			if err != nil {
				f.Close()
				return "malformed line " + strconv.Quote(sc.Text())
			}
			if next >= 0 && num != next {
				f.Close()
				return fmt.Sprintf("line %d follows line %d", num, next-1)
			}
			if first < 0 {
				first = num
			}
			next = num + 1
		}
		f.Close()
	}
	if next != lines {
		return fmt.Sprintf("last line logged is %d, want %d", next-1, lines-1)
	}
	if !lg.svlogd {
		return ""
	}
	// svlogd -v prints "svlogd: info: rename: DIR/current @… SIZE" for
	// every file it rotates.
	current := fileSize(filepath.Join(logdir, "current"))
	total := current
	for _, line := range strings.Split(stderr, "\n") {
		if f := strings.Fields(line); strings.Contains(line, "info: rename: ") && len(f) > 0 {
			size, _ := strconv.ParseInt(f[len(f)-1], 10, 64)
			total += size
		}
	}
	if want := int64(lines) * stampedLineLen; total != want {
		return fmt.Sprintf("%d bytes logged, want %d", total, want)
	}
	if want := int64(first) * stampedLineLen; total-kept != want {
		return fmt.Sprintf("%d bytes in deleted files, want %d (the lines before the first kept one)", total-kept, want)
	}
	return ""
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// idleMemory starts the logger, pipes loggerIdleLines lines through it,
// lets it idle with its input still open, and reads its RssAnon (KiB).
func (lg *logger) idleMemory(env []string) (float64, error) {
	dir, err := os.MkdirTemp("", "gorunit-bench-svlogd-")
	if err != nil {
		return 0, err
	}
	started.addDir(dir)
	defer func() { os.RemoveAll(dir); started.removeDir(dir) }()
	logdir := filepath.Join(dir, "log")
	if err := os.Mkdir(logdir, 0o755); err != nil {
		return 0, err
	}
	cmd := exec.Command(lg.bin, lg.args(logdir)...)
	cmd.Env = env
	w, err := cmd.StdinPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		w.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
		}
	}()
	w.Write(makeLoggerInput(loggerIdleLines))
	time.Sleep(loggerIdleSettle)
	return procField(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid), "RssAnon")
}

// loggerReport prints the table and judges our svlogd.
func loggerReport(loggers []*logger) []check {
	var deb stats
	for _, lg := range loggers {
		if lg.bin == debianSvlogd {
			deb = summarize(lg.mbps)
		}
	}
	var rows [][]string
	var checks []check
	for _, lg := range loggers {
		speed, cpu := summarize(lg.mbps), summarize(lg.cpuPerGB)
		rows = append(rows, []string{lg.name, strconv.Itoa(speed.n), f1(speed.median), f1(speed.min), f1(speed.max),
			f1(cpu.median), strconv.Itoa(lg.bad), f3(kibToMiB(lg.idleKiB)), ratio(speed.median, deb.median)})
		if !lg.target {
			continue
		}
		measured := fmt.Sprintf("%.1f MB/s %s", speed.median, vsDebian(deb.median, f1(deb.median)+" MB/s"))
		v := skip
		if deb.median > 0 {
			v = judge(speed.median >= loggerSpeedup*deb.median && lg.bad == 0)
		}
		if lg.bad > 0 {
			measured += ", " + strconv.Itoa(lg.bad) + " bad: " + lg.badWhy
		}
		checks = append(checks,
			check{bench: "svlogd", target: fmt.Sprintf("ours: >= %.0fx debian's MB/s with -tt, no line lost", loggerSpeedup),
				measured: measured, verdict: v},
			check{bench: "svlogd", target: fmt.Sprintf("ours: idle RssAnon < %.0f MiB", loggerIdleMiB),
				measured: f3(kibToMiB(lg.idleKiB)) + " MiB", verdict: judge(kibToMiB(lg.idleKiB) < loggerIdleMiB)})
	}
	fmt.Printf("%d-byte lines through -tt, s10000000, n5; MB/s are medians over rounds; CPU is user+system s per GB of input\n", loggerLineLen)
	printTable([]string{"logger", "n", "MB/s", "min", "max", "CPU s/GB", "bad", "idle RssAnon MiB", "MB/s / debian"}, rows)
	for _, lg := range loggers {
		if lg.bad > 0 {
			fmt.Printf("warning: %s: %d trials lost lines: %s\n", lg.name, lg.bad, lg.badWhy)
		}
	}
	return checks
}
