package jsontext

import (
	"encoding/json"
	"testing"
)

// TestAppendString checks the hand-written encoder against
// encoding/json: the same string must come back from either.
func TestAppendString(t *testing.T) {
	tests := []string{
		"", "web", "./web/", "/etc/sv/web", `quote"back\slash`, "tab\tnew\nline\rcr",
		"\x00\x01\x1f\x7f", "café", "日本", "bad\xffutf8\xc3", "\u2028\u2029", "<&>", "emoji \U0001F600",
	}
	for _, s := range tests {
		t.Run(s, func(t *testing.T) {
			ours := AppendString(nil, s)
			var got string
			if err := json.Unmarshal(ours, &got); err != nil {
				t.Fatalf("%q encodes to invalid JSON %s: %v", s, ours, err)
			}
			std, _ := json.Marshal(s)
			var want string
			json.Unmarshal(std, &want)
			if got != want {
				t.Errorf("%q: ours %s decodes to %q, encoding/json's %s to %q", s, ours, got, std, want)
			}
		})
	}
}
