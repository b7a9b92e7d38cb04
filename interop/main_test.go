package interop

import (
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
)

// TestMain lets the test binary act as our runsv and sv.
func TestMain(m *testing.M) { testutil.Main(m) }
