// Command runsvdir starts and watches a runsv per service; see package
// runsvdir and runsvdir(8).
package main

import (
	"os"

	"github.com/gorunit/gorunit/runsvdir"
)

func main() {
	os.Exit(runsvdir.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
