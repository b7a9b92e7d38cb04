package runit

import "os"

// On a machine without /etc/runit to bind-mount over, the machine-mode
// tests point the stage directory at their own (see bootMachine).
//
// Container mode's /etc files (my_init's scripts, the container
// environment) are under $GORUNIT_TEST_ETC in the test binary, and off
// when it is unset: no test reads or writes the machine's /etc.
func init() {
	if d := os.Getenv("GORUNIT_TEST_STAGE_DIR"); d != "" {
		stageDir = d
	}
	etcDir = os.Getenv("GORUNIT_TEST_ETC")
}
