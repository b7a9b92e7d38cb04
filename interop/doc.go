// Package interop holds the tests that run gorunit beside Debian's runit
// 2.1.2: our sv against Debian's runsv, Debian's sv against our runsv, and
// the supervise/ files each runsv writes. It has no code of its own. The
// tests skip, saying so, where Debian's runit is not installed; CI
// installs it (apt-get install runit).
package interop
