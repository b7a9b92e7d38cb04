package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// sizeTarget is the budget for the whole suite on disk.
const sizeTarget = 4 << 20 // bytes

// binarySet is a set of program files summed together.
type binarySet struct {
	name     string
	files    []string
	programs int // program names it provides
	bytes    int64
}

// runSize compares what each set of binaries takes on disk.
func runSize(h *harness) ([]check, error) {
	if err := need(h.bin.gorunit, h.bin.sepRunsv, h.bin.sepSv); err != nil {
		return nil, err
	}
	names, err := ourPrograms(h.bin.gorunit, h.env)
	if err != nil {
		return nil, err
	}
	separate, err := filepath.Glob(filepath.Join(h.bin.sepDir, "*"))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", h.bin.sepDir, err)
	}
	suite := &binarySet{name: "ours bin/gorunit (multi-call)", files: []string{h.bin.gorunit}, programs: len(names)}
	sep := &binarySet{name: "ours bin/separate/*", files: separate}
	sets := []*binarySet{suite, sep}
	var deb *binarySet
	if files, err := debianFiles(); err != nil {
		fmt.Printf("note: skipping debian's runit: %v\n", err)
	} else {
		deb = &binarySet{name: "debian runit (dpkg -L runit)", files: files}
		sets = append(sets, deb)
	}
	for _, s := range sets {
		if err := s.measure(); err != nil {
			return nil, err
		}
	}
	return sizeReport(deb, suite, sep), nil
}

// measure sums the sizes of the set's regular files (links are not
// counted: bin/runsv → gorunit costs nothing) and drops the rest.
func (s *binarySet) measure() error {
	var regular []string
	for _, f := range s.files {
		fi, err := os.Lstat(f)
		if err != nil {
			return fmt.Errorf("stat %s: %w", f, err)
		}
		if fi.Mode().IsRegular() {
			regular = append(regular, f)
			s.bytes += fi.Size()
		}
	}
	s.files = regular
	if s.programs == 0 {
		s.programs = len(regular)
	}
	return nil
}

// ourPrograms runs `gorunit list`, which prints one program name a line.
func ourPrograms(gorunit string, env []string) ([]string, error) {
	cmd := exec.Command(gorunit, "list")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("run %s list: %w", gorunit, err)
	}
	return strings.Fields(string(out)), nil
}

// debianFiles lists the package's files under a bin/ or sbin/ directory:
// its programs (eight ELF binaries and three shell scripts in 2.1.2).
func debianFiles() ([]string, error) {
	out, err := exec.Command("dpkg", "-L", debianPackage).Output()
	if err != nil {
		return nil, fmt.Errorf("dpkg -L %s: %w", debianPackage, err)
	}
	var files []string
	for _, f := range strings.Split(string(out), "\n") {
		if strings.Contains(f, "/bin/") || strings.Contains(f, "/sbin/") {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("dpkg -L %s lists no file under bin/ or sbin/", debianPackage)
	}
	return files, nil
}

// sizeReport prints the table and judges the whole suite's size. deb is
// nil when Debian's runit is not installed.
func sizeReport(deb, suite, separate *binarySet) []check {
	sets := []*binarySet{suite, separate}
	debBytes, debText := 0.0, "debian not installed"
	if deb != nil {
		sets = append([]*binarySet{deb}, sets...)
		debBytes = float64(deb.bytes)
		debText = fmt.Sprintf("debian %s MiB for %d", f3(bytesToMiB(deb.bytes)), deb.programs)
	}
	var rows [][]string
	for _, s := range sets {
		rows = append(rows, []string{s.name, fmt.Sprint(len(s.files)), fmt.Sprint(s.programs),
			fmt.Sprint(s.bytes), f3(bytesToMiB(s.bytes)), f3(bytesToMiB(s.bytes) / float64(max(s.programs, 1))),
			ratio(float64(s.bytes), debBytes)})
	}
	fmt.Println("bytes on disk of regular files (links are free); ratio ours/debian")
	printTable([]string{"set", "files", "programs", "bytes", "MiB", "MiB/program", "ratio"}, rows)
	return []check{{bench: "size", target: "whole suite (bin/gorunit) < 4 MiB",
		measured: fmt.Sprintf("%s MiB for %d programs (%s)", f3(bytesToMiB(suite.bytes)), suite.programs, debText),
		verdict:  judge(suite.bytes < sizeTarget)}}
}

func bytesToMiB(n int64) float64 { return float64(n) / (1 << 20) }
