// Package version holds the suite's version, printed by every program's
// version option. The Makefile may override it with -ldflags -X.
package version

// Version is the gorunit release.
var Version = "0.1.0-dev"
