package runsvdir_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorunit/gorunit/internal/testutil"
)

// Each test here runs runsvdir as PID 1 of its own PID namespace
// (unshare --pid --fork --mount-proc), as a container's entrypoint: when
// it exits, the kernel kills whatever is left in the namespace.

// gracefulRun is a service that logs and records its TERM before it
// exits; its finish and its log service record that they ran.
func gracefulService(t *testing.T, root, name string) {
	t.Helper()
	events := filepath.Join(root, "events")
	svc := filepath.Join(root, "service", name)
	files := map[string]string{
		"run": fmt.Sprintf("#!/bin/sh\n"+
			"trap 'echo %[1]s got TERM; echo %[1]s term $(date +%%s.%%N) >> %[2]s; exit 0' TERM\n"+
			"echo %[1]s up; echo %[1]s up $(date +%%s.%%N) >> %[2]s\n"+
			"while :; do sleep 0.05; done\n", name, events),
		"finish":  fmt.Sprintf("#!/bin/sh\necho %s finish $(date +%%s.%%N) >> %s\n", name, events),
		"log/run": fmt.Sprintf("#!/bin/sh\nlinelogger %s\necho %s log-ended $(date +%%s.%%N) >> %s\n", filepath.Join(root, name+".log"), name, events),
	}
	for path, content := range files {
		full := filepath.Join(svc, path)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// defaultTimeout is runsvdir's default graceful-stop timeout as PID 1.
const defaultTimeout = 7 * time.Second

// TestStopAsPID1 is docker stop: as PID 1, TERM (and INT, and HUP)
// stop every service gracefully, through its TERM handler, ./finish and
// then its log service, and runsvdir exits as soon as they are down.
func TestStopAsPID1(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGTERM, 0}, {syscall.SIGINT, 0}, {syscall.SIGHUP, 111}} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			services := []string{"one", "two"}
			for _, name := range services {
				gracefulService(t, root, name)
			}
			u, pid := pid1(t, root, nil, "service")
			events := filepath.Join(root, "events")
			testutil.Eventually(t, "both services up", func() bool {
				return strings.Count(testutil.ReadFile(events), " up ") == 2
			})
			testutil.Eventually(t, "both loggers", func() bool {
				return strings.Contains(testutil.ReadFile(filepath.Join(root, "one.log")), "one up") &&
					strings.Contains(testutil.ReadFile(filepath.Join(root, "two.log")), "two up")
			})
			began := time.Now()
			syscall.Kill(pid, tt.sig)
			if code := u.Wait(t); code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, u.Stderr)
			}
			took := time.Since(began)
			got := strings.Split(strings.TrimSpace(testutil.ReadFile(events)), "\n")
			// Inside the timeout, and without reaching it: runsvdir says
			// when it gives up waiting (the run time alone is at the
			// mercy of a loaded machine).
			if took > 3*time.Second || strings.Contains(u.Stderr.String(), "timed out") {
				t.Errorf("took %v to stop, want well inside the %v timeout; signal at %.3f, events:\n%s",
					took, defaultTimeout, float64(began.UnixNano())/1e9, strings.Join(got, "\n"))
			}
			for _, name := range services {
				var steps []string
				for _, l := range got {
					if f := strings.Fields(l); len(f) == 3 && f[0] == name {
						steps = append(steps, f[1])
					}
				}
				if want := []string{"up", "term", "finish", "log-ended"}; !slices.Equal(steps, want) {
					t.Errorf("%s: events %q, want %q (all: %q)", name, steps, want, got)
				}
				if log := testutil.ReadFile(filepath.Join(root, name+".log")); log != name+" up\n"+name+" got TERM\n" {
					t.Errorf("%s: log %q: the last line before the stop must be logged", name, log)
				}
			}
			if s := stderrOf(u); s != "" {
				t.Errorf("stderr: %q", s)
			}
		})
	}
}

// TestStopTimeoutAsPID1: a service that ignores TERM is killed when the
// timeout (-t) runs out, and runsvdir still exits 0.
func TestStopTimeoutAsPID1(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	svc := service(t, filepath.Join(root, "service", "stubborn"), "#!/bin/sh\ntrap '' TERM\necho $$ >> started\nexec sleep 3600\n")
	u, pid := pid1(t, root, nil, "-t", "1", "service")
	waitStarted(t, svc, 1)
	stubborn := descendant(t, pid, "sleep")
	began := time.Now()
	syscall.Kill(pid, syscall.SIGTERM)
	if code := u.Wait(t); code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	if took := time.Since(began); took < time.Second || took > 3*time.Second {
		t.Errorf("exited %v after TERM, want at the 1 s timeout", took)
	}
	waitGone(t, stubborn, "the service that ignores TERM")
	want := "runsvdir service: warning: timed out after 1s waiting for services to stop; killing every process\n"
	if s := stderrOf(u); s != want {
		t.Errorf("stderr = %q, want %q", s, want)
	}
}

// TestTimeoutVariable: RUNSVDIR_STOP_TIMEOUT sets the timeout; -t wins.
func TestTimeoutVariable(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  []string
		args []string
		want time.Duration
	}{
		{"variable", []string{"RUNSVDIR_STOP_TIMEOUT=1"}, nil, time.Second},
		{"-t wins", []string{"RUNSVDIR_STOP_TIMEOUT=30"}, []string{"-t", "0"}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			svc := service(t, filepath.Join(root, "service", "stubborn"), "#!/bin/sh\ntrap '' TERM\necho $$ >> started\nexec sleep 3600\n")
			u, pid := pid1(t, root, tt.env, append(tt.args, "service")...)
			waitStarted(t, svc, 1)
			began := time.Now()
			syscall.Kill(pid, syscall.SIGTERM)
			u.Wait(t)
			if took := time.Since(began); took < tt.want || took > tt.want+2*time.Second {
				t.Errorf("exited %v after TERM, want after %v", took, tt.want)
			}
		})
	}
}

// stormSize is how many orphans the zombie storm makes; its negative
// control, which only shows that zombies are seen, makes fewer.
const (
	stormSize    = 500
	controlStorm = 50
)

// stormScript forks n children that sleep, and exits: they are orphans,
// children of PID 1.
func stormScript(t *testing.T, n int) string {
	perl, err := exec.LookPath("perl")
	if err != nil {
		t.Skip("perl not installed")
	}
	script := fmt.Sprintf(`for (1..%d) { my $p = fork; die "fork: $!" unless defined $p; `+
		`if (!$p) { sleep 3600; exit 0 } }`, n)
	return fmt.Sprintf("%s -e '%s'\n", perl, script)
}

// storm kills at once every orphan perl child of init, once n of them
// are there, waits until they have all died, and returns how many
// are still zombies a second after the last one died (or as soon as
// there are none).
func storm(t *testing.T, init, n int) (zombies int) {
	t.Helper()
	var orphans []int
	for _, c := range children(init) {
		if c.comm == "perl" && c.state != 'Z' {
			orphans = append(orphans, c.pid)
		}
	}
	if len(orphans) != n {
		t.Fatalf("%d orphans are children of PID 1, want %d", len(orphans), n)
	}
	for _, o := range orphans {
		syscall.Kill(o, syscall.SIGKILL)
	}
	// Dying takes a while on a loaded machine; reaping must not.
	var allDead time.Time
	deadline := time.Now().Add(testutil.WaitTimeout)
	for {
		live := 0
		zombies = 0
		for _, c := range children(init) {
			switch {
			case c.state == 'Z':
				zombies++ // a zombie keeps its name, so count them all
			case c.comm == "perl":
				live++
			}
		}
		if live == 0 && allDead.IsZero() {
			allDead = time.Now()
		}
		switch {
		case live == 0 && zombies == 0:
			return 0
		case !allDead.IsZero() && time.Since(allDead) > time.Second:
			return zombies
		case time.Now().After(deadline):
			t.Fatalf("%d of the orphans still alive %v after SIGKILL", live, testutil.WaitTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReapsOrphansAsPID1 is the zombie storm: 500 orphans of a service
// come to runsvdir, PID 1, and die at once; runsvdir reaps every one of
// them within a second.
func TestReapsOrphansAsPID1(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	svc := service(t, filepath.Join(root, "service", "storm"), "#!/bin/sh\n"+stormScript(t, stormSize)+"echo $$ >> started\nexec sleep 3600\n")
	u, pid := pid1(t, root, nil, "service")
	waitStarted(t, svc, 1)
	if zombies := storm(t, pid, stormSize); zombies != 0 {
		t.Errorf("%d orphans left as zombies by runsvdir a second after they died", zombies)
	}
	syscall.Kill(pid, syscall.SIGTERM)
	if code := u.Wait(t); code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
}

// TestStormControl is the zombie storm's negative control (tini's): with
// a PID 1 that never reaps, the same storm leaves zombies, so the test
// above would see them.
func TestStormControl(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("a control for the test above")
	}
	root := t.TempDir()
	script := stormScript(t, controlStorm) + "echo done > started; exec sleep 3600\n"
	u := testutil.Start(t, root, "/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "/bin/sh", "-c", script)
	testutil.Eventually(t, "the storm", func() bool { return testutil.ReadFile(filepath.Join(root, "started")) != "" || u.Exited() })
	var init int // the namespace's PID 1: sh, then sleep; either never reaps
	testutil.Eventually(t, "unshare's child", func() bool {
		if c := children(u.Pid()); len(c) > 0 {
			init = c[0].pid
		}
		return init != 0
	})
	if zombies := storm(t, init, controlStorm); zombies != controlStorm {
		t.Errorf("%d zombies left by a PID 1 that does not reap, want %d", zombies, controlStorm)
	}
}

// descendant returns the host pid of the first process called comm below
// pid (the pids services write are the namespace's).
func descendant(t *testing.T, pid int, comm string) int {
	t.Helper()
	for _, c := range children(pid) {
		if c.comm == comm {
			return c.pid
		}
		if d := descendantOrZero(c.pid, comm); d != 0 {
			return d
		}
	}
	t.Fatalf("no %s below %d", comm, pid)
	return 0
}

func descendantOrZero(pid int, comm string) int {
	for _, c := range children(pid) {
		if c.comm == comm {
			return c.pid
		}
		if d := descendantOrZero(c.pid, comm); d != 0 {
			return d
		}
	}
	return 0
}

// zombieChildren lists pid's children that have exited and not been reaped.
func zombieChildren(pid int) []int {
	var z []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		var n int
		if _, err := fmt.Sscan(e.Name(), &n); err != nil {
			continue
		}
		if p, ok := readProc(n); ok && p.ppid == pid && p.state == 'Z' {
			z = append(z, n)
		}
	}
	return z
}
