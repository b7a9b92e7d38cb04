package sv_test

import (
	"os"
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
	"github.com/gorunit/gorunit/sv"
)

// asSV, set in a process's environment, makes the test binary run our sv
// whatever name it was started under: a link named after a service runs
// it in LSB mode, as /etc/init.d/web -> sv does.
const asSV = "GORUNIT_TEST_SV"

// TestMain lets the test binary act as runsv, sv and the test helpers.
func TestMain(m *testing.M) {
	if os.Getenv(asSV) != "" {
		os.Unsetenv(asSV) // not for ./check scripts
		os.Exit(sv.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
	}
	testutil.Main(m)
}
