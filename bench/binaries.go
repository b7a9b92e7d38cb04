package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// Debian's runit 2.1.2, the reference (package runit).
const (
	debianRunsv   = "/usr/bin/runsv"
	debianSv      = "/usr/bin/sv"
	debianPackage = "runit"
)

// binaries are the programs compared, as absolute paths: runsv changes
// into the service directory, so nothing may be relative.
type binaries struct {
	gorunit  string // bin/gorunit, the multi-call binary
	runsv    string // bin/runsv, a link to it
	sv       string // bin/sv, a link to it
	sepDir   string // bin/separate, one static binary per program
	sepRunsv string
	sepSv    string

	debRunsv string // "" when Debian's runit is not installed
	debSv    string
}

// findBinaries locates our binaries under bin/ of the current directory
// (the repository root, where `make bench` runs us) and Debian's. A
// missing Debian binary is a note, not an error: its columns are skipped.
// Our own are checked by each benchmark (need), so that -only size does
// not ask for what it does not use.
func findBinaries() (binaries, error) {
	root, err := os.Getwd()
	if err != nil {
		return binaries{}, fmt.Errorf("find current directory: %w", err)
	}
	bin := filepath.Join(root, "bin")
	b := binaries{
		gorunit:  filepath.Join(bin, "gorunit"),
		runsv:    filepath.Join(bin, "runsv"),
		sv:       filepath.Join(bin, "sv"),
		sepDir:   filepath.Join(bin, "separate"),
		sepRunsv: filepath.Join(bin, "separate", "runsv"),
		sepSv:    filepath.Join(bin, "separate", "sv"),
	}
	for _, p := range []struct {
		path string
		dst  *string
	}{{debianRunsv, &b.debRunsv}, {debianSv, &b.debSv}} {
		if isExecutable(p.path) {
			*p.dst = p.path
		} else {
			fmt.Printf("note: %s not found (apt-get install %s): Debian's columns that need it are skipped\n", p.path, debianPackage)
		}
	}
	return b, nil
}

// need fails unless every path is an executable file; it names the first
// one missing and how to build it.
func need(paths ...string) error {
	for _, p := range paths {
		if !isExecutable(p) {
			return fmt.Errorf("%s: not an executable file: run `make build separate` (or `make bench`) in the repository root", p)
		}
	}
	return nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
