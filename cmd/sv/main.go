// Command sv controls and queries runsv services; see package sv and sv(8).
package main

import (
	"os"

	"github.com/gorunit/gorunit/sv"
)

func main() {
	os.Exit(sv.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
