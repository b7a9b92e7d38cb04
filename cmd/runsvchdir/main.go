// Command runsvchdir switches runsvdir's services directory; see package
// runsvchdir and runsvchdir(8).
package main

import (
	"os"

	"github.com/gorunit/gorunit/runsvchdir"
)

func main() {
	os.Exit(runsvchdir.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
