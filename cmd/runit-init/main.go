// Command runit-init is the kernel's init for a machine run by gorunit
// (it becomes runit in machine mode), and, while the system is up,
// "runit-init 0" halts and "runit-init 6" reboots; see package runit.
package main

import (
	"os"

	"github.com/gorunit/gorunit/runit"
)

func main() {
	os.Exit(runit.InitMain(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
