package optin

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestNotificationFD(t *testing.T) {
	for _, tc := range []struct {
		content string // "-" for no file
		want    int
		bad     bool
	}{
		{"-", 0, false},
		{"3\n", 3, false},
		{" 7 ", 7, false},
		{"2", 0, true},
		{"x", 0, true},
		{"", 0, true},
		{"5000", 0, true},
	} {
		dir := t.TempDir()
		if tc.content != "-" {
			write(t, dir, NotificationFDFile, tc.content)
		}
		got, err := NotificationFD(dir)
		if got != tc.want || (err != nil) != tc.bad {
			t.Errorf("%q: got %d, %v; want %d, error %v", tc.content, got, err, tc.want, tc.bad)
		}
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		content string
		want    Backoff
		ok, bad bool
	}{
		{"-", Backoff{}, false, false},
		{"30", Backoff{30 * time.Second, 30 * time.Second}, true, false},
		{"8 60\n", Backoff{8 * time.Second, time.Minute}, true, false},
		{"0.5", Backoff{500 * time.Millisecond, 500 * time.Millisecond}, true, false},
		{"", Backoff{}, false, true},
		{"-1", Backoff{}, false, true},
		{"1 2 3", Backoff{}, false, true},
		{"ten", Backoff{}, false, true},
	} {
		dir := t.TempDir()
		if tc.content != "-" {
			write(t, dir, BackoffFile, tc.content)
		}
		got, ok, err := ReadBackoff(dir)
		if got != tc.want || ok != tc.ok || (err != nil) != tc.bad {
			t.Errorf("%q: got %v %v %v", tc.content, got, ok, err)
		}
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Max: 10 * time.Second}
	for failures, want := range []time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 6: 10 * time.Second} {
		if failures == 0 {
			continue
		}
		if got := b.Delay(failures); got != want {
			t.Errorf("Delay(%d) = %v, want %v", failures, got, want)
		}
	}
	if got := (Backoff{Max: 500 * time.Millisecond}).Delay(1); got != 500*time.Millisecond {
		t.Errorf("a maximum under a second caps the first delay: got %v", got)
	}
}

func TestKillTree(t *testing.T) {
	for _, tc := range []struct {
		file, env string // file "-" for no file
		grace     time.Duration
		on, bad   bool
	}{
		{"-", "", 0, false, false},
		{"-", "on", DefaultKillGrace, true, false},
		{"-", "7", 7 * time.Second, true, false},
		{"", "", DefaultKillGrace, true, false},
		{"off", "on", 0, false, false},
		{"2", "off", 2 * time.Second, true, false},
		{"0", "", 0, true, false},
		{"-", "maybe", 0, false, true},
		{"maybe", "", 0, false, true},
	} {
		dir := t.TempDir()
		if tc.file != "-" {
			write(t, dir, KillTreeFile, tc.file)
		}
		grace, on, err := ReadKillTree(dir, tc.env)
		if grace != tc.grace || on != tc.on || (err != nil) != tc.bad {
			t.Errorf("file %q env %q: got %v %v %v", tc.file, tc.env, grace, on, err)
		}
	}
}

func TestDaemon(t *testing.T) {
	dir := t.TempDir()
	if _, ok, _ := ReadDaemon(dir); ok {
		t.Error("no file: not a daemon")
	}
	write(t, dir, DaemonFile, "")
	if d, ok, _ := ReadDaemon(dir); !ok || d.PIDFile != "" {
		t.Errorf("empty file: got %v %v", d, ok)
	}
	write(t, dir, DaemonFile, "/run/nginx.pid\n")
	if d, ok, _ := ReadDaemon(dir); !ok || d.PIDFile != "/run/nginx.pid" {
		t.Errorf("pid file: got %v %v", d, ok)
	}
}
