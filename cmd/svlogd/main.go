// Command svlogd writes log lines to rotated log directories; see package
// svlog and svlogd(8).
package main

import (
	"os"

	"github.com/gorunit/gorunit/svlog"
)

func main() {
	os.Exit(svlog.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
