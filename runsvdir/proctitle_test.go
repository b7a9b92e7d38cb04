package runsvdir

import (
	"os"
	"strings"
	"testing"
)

func TestScroll(t *testing.T) {
	tests := []struct {
		name, title, in, want string
	}{
		{"short input", "log: .....", "ab", "log: ...ab"},
		{"scrolls off the left", "log: .....", "abcdefg", "log: cdefg"},
		{"NUL skipped", "log: .....", "a\x00b", "log: ...ab"},
		{"newlines kept", "log: .....", "x\ny\n", "log: .x\ny\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			title := []byte(tt.title)
			pw.WriteString(tt.in)
			pw.Close()
			scroll(pr, title) // returns at EOF
			if string(title) != tt.want {
				t.Errorf("title %q, want %q", title, tt.want)
			}
		})
	}
}

// TestArgBytes: only strings in the process's argument area are handed
// out for writing; a Go string never is.
func TestArgBytes(t *testing.T) {
	if b := argBytes(strings.Repeat("x", 10)); b != nil {
		t.Error("a Go string was taken for argv")
	}
	if b := argBytes("a constant"); b != nil {
		t.Error("a constant was taken for argv")
	}
	if b := argBytes(os.Args[0]); b == nil || string(b) != os.Args[0] {
		t.Errorf("os.Args[0] not found in the argument area: %q", b)
	}
}
