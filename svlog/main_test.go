package svlog_test

import (
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
)

// TestMain lets the test binary act as svlogd (and the suite's other
// programs), so tests run the real program without a build step.
func TestMain(m *testing.M) { testutil.Main(m) }
