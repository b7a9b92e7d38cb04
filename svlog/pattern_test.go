package svlog

import "testing"

// TestPmatch pins runit's pattern rules (src/pmatch.c), quirks included
// (FIELD-NOTES 4.14): no implicit trailing '*', and '+' matching when the
// line ends while repeating.
func TestPmatch(t *testing.T) {
	tests := []struct {
		pattern, line string
		want          bool
	}{
		{"", "", true},
		{"", "x", false},
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"abc", "ab", false},
		{"*", "", true},
		{"*", "anything", true},
		{"a*", "abc", true},
		{"*c", "abc", true},
		{"*c", "abcd", false},
		{"*b*", "abc", true},
		{"*x*", "abc", false},
		{"*: *", "sshd: error", true},
		{"*: *", "no colon", false},
		{"x+y", "xy", true},
		{"x+y", "xyyy", true},
		{"x+yz", "xyyy", true}, // the line ends while repeating
		{"x+yz", "xyyz", true},
		{"x+yz", "xyyzz", false},
		{"x+y", "xz", false},
		{"+", "x", false},
		{"x+", "x", false},
		{"a", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.line, func(t *testing.T) {
			if got := pmatch(tt.pattern, []byte(tt.line)); got != tt.want {
				t.Errorf("pmatch(%q, %q) = %v, want %v", tt.pattern, tt.line, got, tt.want)
			}
		})
	}
}
