// Command runsv supervises one service; see package runsv and runsv(8).
package main

import (
	"os"

	"github.com/gorunit/gorunit/runsv"
)

func main() {
	runsv.Lean(os.Args)
	os.Exit(runsv.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
