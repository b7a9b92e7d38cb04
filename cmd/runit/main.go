// Command runit is gorunit's PID 1 for containers; see package runit.
package main

import (
	"os"

	"github.com/gorunit/gorunit/runit"
)

func main() {
	os.Exit(runit.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
