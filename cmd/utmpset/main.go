// Command utmpset marks a terminal line as logged out in utmp and wtmp;
// see package utmpset and utmpset(8).
package main

import (
	"os"

	"github.com/gorunit/gorunit/utmpset"
)

func main() {
	os.Exit(utmpset.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
