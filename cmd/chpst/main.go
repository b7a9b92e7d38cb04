// Command chpst runs a program with a changed process state; linked as
// envdir, envuidgid, pgrphack, setuidgid, setlock or softlimit it is that
// daemontools program. See package chpst and chpst(8).
package main

import (
	"os"

	"github.com/gorunit/gorunit/chpst"
)

func main() {
	os.Exit(chpst.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
