package examples

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorunit/gorunit/internal/testutil"
)

// podmanStopTimeout is podman stop's default: TERM, then KILL after it.
const podmanStopTimeout = 10 * time.Second

// podman runs Debian's podman against a storage root, run root and temp
// directory of the test's own, so that tests share nothing with each
// other or with the machine's containers. No registry can be reached:
// images come from tarballs the test writes (podman import) and builds
// from them (podman build --pull=never).
type podman struct {
	t      *testing.T
	global []string
	env    []string
}

// newPodman checks that podman can run here, or skips saying why (fails
// under CI, whose .ci/run installs podman, runc and busybox-static).
//
// The global options are what works on Debian's podman 4.3 without
// systemd or a registry: cgroupfs instead of systemd's cgroup manager,
// runc (Debian's podman prefers crun, which .ci/run does not install),
// vfs storage (no overlay mounts to leak, and it works on any file
// system), and events to a file instead of the journal.
func newPodman(t *testing.T) *podman {
	t.Helper()
	if testing.Short() {
		t.Skip("short: no container runtime")
	}
	if os.Geteuid() != 0 {
		failOrSkip(t, "podman runs as root in these tests (rootless podman needs subuid ranges and user namespaces); running as uid %d", os.Geteuid())
	}
	for _, prog := range []string{"podman", "runc", "conmon"} {
		if _, err := exec.LookPath(prog); err != nil {
			failOrSkip(t, "%s is not installed (apt-get install podman runc): %v", prog, err)
		}
	}
	needTools(t)
	dir := t.TempDir()
	tmp := filepath.Join(dir, "tmp")
	os.Mkdir(tmp, 0o700)
	pm := &podman{t: t, global: []string{
		"--root", filepath.Join(dir, "storage"),
		"--runroot", filepath.Join(dir, "run"),
		"--tmpdir", filepath.Join(dir, "libpod"),
		"--storage-driver", "vfs",
		"--cgroup-manager=cgroupfs",
		"--runtime", "runc",
		"--events-backend", "file",
	},
		// testutil's marker, so that anything podman leaves running (conmon)
		// is killed by pid at the end; TMPDIR for podman build's scratch.
		env: append(testutil.Env(t), "TMPDIR="+tmp),
	}
	if out, code := pm.run("info", "--format", "{{.Host.OCIRuntime.Name}} {{.Store.GraphDriverName}} cgroups {{.Host.CgroupsVersion}}"); code != 0 {
		failOrSkip(t, "podman info fails here: %s", out)
	} else {
		t.Logf("podman: %s", strings.TrimSpace(out))
	}
	// Registered after testutil.Env's cleanup, so it runs before it: the
	// containers are removed before stray processes are killed, and both
	// before t.TempDir removes the storage.
	t.Cleanup(func() {
		pm.run("rm", "--all", "--force", "--time", "0")
		pm.run("rmi", "--all", "--force")
		unmountUnder(dir)
	})
	return pm
}

// run runs podman with args and returns its combined output and exit code.
func (pm *podman) run(args ...string) (string, int) {
	pm.t.Helper()
	cmd := exec.Command("podman", append(append([]string{}, pm.global...), args...)...)
	cmd.Env = pm.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		pm.t.Fatalf("podman %v: %v", args, err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			pm.t.Fatalf("podman %v: %v", args, err)
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		<-done
		pm.t.Fatalf("podman %v did not finish within 2 minutes:\n%s", args, out.String())
	}
	return out.String(), cmd.ProcessState.ExitCode()
}

// must is run, failing the test on a non-zero exit.
func (pm *podman) must(args ...string) string {
	pm.t.Helper()
	out, code := pm.run(args...)
	if code != 0 {
		pm.t.Fatalf("podman %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// waitLogs waits until the container's output has every one of want,
// and returns it.
func (pm *podman) waitLogs(name string, want ...string) string {
	pm.t.Helper()
	deadline := time.Now().Add(testutil.WaitTimeout)
	for {
		out, _ := pm.run("logs", name)
		missing := ""
		for _, w := range want {
			if !strings.Contains(out, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return out
		}
		if time.Now().After(deadline) {
			state, _ := pm.run("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name)
			pm.t.Fatalf("container %s (%s): no %q in its output after %v:\n%s", name, strings.TrimSpace(state), missing, testutil.WaitTimeout, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// unmountUnder detaches whatever podman left mounted below dir (shm of a
// container not removed), so that the temporary directory can go.
func unmountUnder(dir string) {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			syscall.Unmount(f[4], syscall.MNT_DETACH)
		}
	}
}

// containerArgs are the options every test container gets: no network
// (nothing to reach), and limits that runc can set without privileges
// beyond ours (podman's default nofile is above what this machine allows).
var containerArgs = []string{"--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"}

// TestContainerExamplePodman: the main example, built by podman from its
// Dockerfile and run as pod.yaml runs it (its user, read-only root, a
// tmpfs for supervise/, a volume for the logs). podman stop gets every
// service through its TERM handler and ./finish, and the container exits
// by itself with /app/main's code 0, well before podman's 10 s would
// send KILL. With another command, the container exits with its code.
func TestContainerExamplePodman(t *testing.T) {
	pm := newPodman(t)
	id := strconv.Itoa(os.Getpid())

	base := filepath.Join(t.TempDir(), "base")
	baseRoot(t, base)
	tarball := filepath.Join(t.TempDir(), "base.tar")
	if err := tarTree(base, tarball); err != nil {
		t.Fatal(err)
	}
	baseImage := "localhost/gorunit-test-busybox:" + id
	pm.must("import", "--quiet", tarball, baseImage)

	ctx := buildContext(t, "container")
	image := "localhost/gorunit-example:" + id
	start := time.Now()
	pm.must("build", "--quiet", "--pull=never", "--network", "none",
		"--build-arg", "BASE="+baseImage, "-f", "examples/container/Dockerfile", "-t", image, ctx)
	t.Logf("podman build: %v", time.Since(start).Round(time.Millisecond))

	// supervise/: a tmpfs that belongs to the image's user (U; podman 4.3
	// ignores a tmpfs mode here). The log volume: an empty directory the
	// user can write. Both as pod.yaml's emptyDirs with fsGroup.
	logs := t.TempDir()
	os.Chmod(logs, 0o777)
	name := "gorunit-example-" + id
	args := append([]string{"run", "--detach", "--name", name}, containerArgs...)
	args = append(args, "--read-only", "--read-only-tmpfs=false", "--tmpfs", "/run/gorunit:rw,U",
		"--volume", logs+":/var/log/gorunit", "--env", "RUNIT_STOP_TIMEOUT=7", image)
	pm.must(args...)

	output := pm.waitLogs(name, "main: web says: hello from gorunit", "worker: job 1 done")
	for kind, argv := range probes(t, filepath.Join("container", "pod.yaml")) {
		out, code := pm.run(append([]string{"exec", name}, argv...)...)
		if code != 0 {
			t.Errorf("pod.yaml's %s %q in the container: exit %d\n%s", kind, argv, code, out)
		}
	}

	start = time.Now()
	stopOut := pm.must("stop", name)
	took := time.Since(start)
	t.Logf("podman stop: %v (podman sends KILL after %v)", took.Round(time.Millisecond), podmanStopTimeout)
	state := strings.TrimSpace(pm.must("inspect", "--format", "{{.State.ExitCode}} {{.State.OOMKilled}}", name))
	if state != "0 false" {
		t.Errorf("exit code and OOM-killed %q, want \"0 false\": runit should exit 0 by itself (137 is podman's KILL)", state)
	}
	if strings.Contains(stopOut, "SIGKILL") || took >= podmanStopTimeout {
		t.Errorf("podman stop took %v and said %q: the container did not exit before podman's timeout", took, stopOut)
	}
	output, _ = pm.run("logs", name)
	wantLines(t, "podman logs", output, "main: TERM, exiting")
	wantLines(t, "podman logs", output, "worker: TERM: finishing job", "worker: stopped after", "worker: finish: run exited 0 (signal 0)")
	web := testutil.ReadFile(filepath.Join(logs, "web", "current"))
	wantLines(t, "web's log", web, "starting httpd", "ready", "TERM: stopping httpd", "stopped", "finish: run exited 0")
	if l := lastLine(web); !strings.Contains(l, "finish: run exited 0 (signal 0)") {
		t.Errorf("web's last log line %q, want its finish line", l)
	}
	if t.Failed() {
		t.Logf("podman logs:\n%s\nweb's log:\n%s", output, web)
	}

	for _, tt := range []struct {
		cmd  []string
		code int
	}{{[]string{"false"}, 1}, {[]string{"sh", "-c", "exit 3"}, 3}} {
		args := append(append([]string{"run", "--rm"}, containerArgs...), image)
		out, code := pm.run(append(args, tt.cmd...)...)
		if code != tt.code {
			t.Errorf("podman run IMAGE %s: exit %d, want %d\n%s", strings.Join(tt.cmd, " "), code, tt.code, out)
		}
	}
}
