package runsv

import (
	"os"
	"time"
)

// A test that must see runsv act on an event alone sets
// GORUNIT_TEST_DIR_CHECK (a duration) so that the periodic look at the
// service directory cannot wake the loop for it.
func init() {
	if d, err := time.ParseDuration(os.Getenv("GORUNIT_TEST_DIR_CHECK")); err == nil && d > 0 {
		dirCheckEvery = d
	}
}
