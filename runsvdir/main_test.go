package runsvdir_test

import (
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
)

// TestMain lets the test binary act as runsvdir, runsv, sv and the test
// helpers.
func TestMain(m *testing.M) { testutil.Main(m) }
