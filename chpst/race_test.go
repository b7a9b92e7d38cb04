//go:build race

package chpst_test

// raceEnabled: this test binary, and so our chpst in these tests, runs
// under the race detector.
const raceEnabled = true
