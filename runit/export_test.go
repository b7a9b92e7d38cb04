package runit

import "os"

// On a machine without /etc/runit to bind-mount over, the machine-mode
// tests point the stage directory at their own (see bootMachine).
func init() {
	if d := os.Getenv("GORUNIT_TEST_STAGE_DIR"); d != "" {
		stageDir = d
	}
}
