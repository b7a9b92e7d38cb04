package runit_test

import (
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
)

// TestMain lets the test binary act as runit, runsvdir, runsv, sv and the
// helper services.
func TestMain(m *testing.M) { testutil.Main(m) }
