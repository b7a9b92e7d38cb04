package runsv_test

import (
	"slices"
	"testing"

	"github.com/gorunit/gorunit/runsv"
)

func TestLeanEnv(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{"adds both", []string{"PATH=/bin"}, []string{"PATH=/bin", "GOMAXPROCS=1", "GORUNIT_RUNSV_LEAN=1"}},
		{"GOMAXPROCS set: unchanged", []string{"GOMAXPROCS=4", "PATH=/bin"}, []string{"GOMAXPROCS=4", "PATH=/bin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.env)
			if got := runsv.LeanEnv(in); !slices.Equal(got, tt.want) {
				t.Errorf("LeanEnv(%q) = %q, want %q", tt.env, got, tt.want)
			}
			if !slices.Equal(in, tt.env) {
				t.Errorf("LeanEnv changed its argument: %q", in)
			}
		})
	}
}
