// Command gorunit is every program of the suite in one binary: called as
// runsv, sv, ... (through a link) it is that program. Called as gorunit it
// lists the programs, creates the links, or runs one by name:
//
//	gorunit list
//	gorunit links DIR
//	gorunit PROGRAM ARGS...
//
// It parses its three commands by hand: urfave/cli, which the project uses
// for real CLIs, pulls in text/template and adds 2.2 MB to the binary,
// which alone would break the suite's 4 MiB size budget.
package main

import (
	"fmt"
	"os"

	"github.com/gorunit/gorunit/internal/programs"
	"github.com/gorunit/gorunit/internal/version"
)

func main() {
	if m, ok := programs.Resolve(os.Args[0]); ok {
		os.Exit(m(os.Args))
	}
	os.Exit(run(os.Args[1:]))
}

const usage = "usage: gorunit list | links DIR | PROGRAM [ARGS...] | --version\n"

func run(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 100
	}
	switch args[0] {
	case "list":
		for _, n := range programs.Names() {
			fmt.Println(n)
		}
		return 0
	case "links":
		if len(args) != 2 {
			fmt.Fprint(os.Stderr, usage)
			return 100
		}
		if err := programs.Link(args[1]); err != nil {
			fmt.Fprintf(os.Stderr, "gorunit: fatal: %v\n", err)
			return 111
		}
		return 0
	case "--version", "-V":
		fmt.Printf("gorunit %s\n", version.Version)
		return 0
	}
	if m, ok := programs.Lookup(args[0]); ok {
		return m(args)
	}
	fmt.Fprintf(os.Stderr, "gorunit: unknown program: %s\n%s", args[0], usage)
	return 100
}
