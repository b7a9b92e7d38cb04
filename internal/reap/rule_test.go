package reap

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// reapingPackages wait4(-1) for every child; os/exec's waiting would race
// them for exit statuses (FIELD-NOTES 4.13). Packages are added here as
// they are written (runsvdir, runit).
var reapingPackages = []string{"runsv", "runit", "runsvdir"}

var osExecWaiting = regexp.MustCompile(`\.(Wait|Run|Output|CombinedOutput)\(\)|exec\.Command(Context)?\(`)

// TestNoOsExecWaitInReapers keeps os/exec's Cmd.Wait and friends out of
// the packages that reap with wait4(-1).
func TestNoOsExecWaitInReapers(t *testing.T) {
	for _, pkg := range reapingPackages {
		files, err := filepath.Glob(filepath.Join("..", "..", pkg, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no sources for %s: %v", pkg, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for i, line := range strings.Split(string(b), "\n") {
				if osExecWaiting.MatchString(line) {
					t.Errorf("%s:%d: os/exec waiting in a package that reaps with wait4(-1): %s", f, i+1, strings.TrimSpace(line))
				}
			}
		}
	}
}

func TestOsExecWaitingPattern(t *testing.T) {
	tests := []struct {
		line  string
		match bool
	}{
		{"err := cmd.Wait()", true},
		{"out, err := exec.Command(\"x\").Output()", true},
		{"exec.CommandContext(ctx, \"x\")", true},
		{"cmd.Run()", true},
		{"ws, err := reap.Wait(pid)", false},
		{"p, err := os.StartProcess(path, argv, attr)", false},
	}
	for _, tt := range tests {
		if got := osExecWaiting.MatchString(tt.line); got != tt.match {
			t.Errorf("%q: match = %v, want %v", tt.line, got, tt.match)
		}
	}
}
