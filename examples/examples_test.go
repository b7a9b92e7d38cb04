// Package examples proves that the examples of docs/containers.md run.
// Each example's Dockerfile is carried out on a busybox root (see
// image_test.go), and the result is started as a container would be: our
// runit as PID 1 of new PID, mount and network namespaces, chrooted into
// that root (unshare --root), as the image's user. Where podman works, the
// main example also runs in a real container runtime (podman_test.go).
package examples

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// containerPath is the PATH of the examples' containers (docker's default).
const containerPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// container is an example image started by startContainer.
type container struct {
	img *image
	p   *testutil.Proc
	pid int // PID 1 of the container, as seen from outside
}

// startContainer runs the image's entry point, with cmd in place of its
// CMD when given and env added to the image's (docker run -e), as PID 1 of new namespaces, chrooted into the image's
// root, as its user. The loopback interface is brought up first (docker's
// --network none has one), as root, before chpst drops to the user: chpst
// is the image's own.
func startContainer(t *testing.T, img *image, env []string, cmd ...string) *container {
	t.Helper()
	needTools(t)
	script := `ip link set lo up || exit 111; exec "$@"`
	argv := []string{"--pid", "--fork", "--mount-proc", "--net", "--root=" + img.root, "/bin/sh", "-c", script, "sh"}
	if img.user != "" {
		argv = append(argv, "/usr/local/bin/chpst", "-u", ":"+img.user)
	}
	argv = append(argv, img.argv(cmd...)...)
	env = append(append([]string{containerPath, "HOME=/"}, img.env...), env...)
	p := testutil.StartEnv(t, "/", env, "/usr/bin/unshare", argv...)
	c := &container{img: img, p: p}
	entry := img.entrypoint[0]
	testutil.Eventually(t, "the entry point to be PID 1 of the container", func() bool {
		c.pid = testutil.ChildOf(p.Pid())
		return c.pid != 0 && strings.HasPrefix(testutil.ReadFile("/proc/"+strconv.Itoa(c.pid)+"/cmdline"), entry+"\x00")
	})
	return c
}

// exec runs argv inside the container's root as its user, as `docker
// exec` would (a probe, sv), and returns its output and exit code.
func (c *container) exec(t *testing.T, argv ...string) (string, int) {
	t.Helper()
	// Looked up in the container's root, not here.
	path := argv[0]
	for _, dir := range []string{"/usr/local/bin/", "/bin/"} {
		if _, err := os.Lstat(filepath.Join(c.img.root, dir, path)); err == nil && !strings.Contains(path, "/") {
			path = dir + path
		}
	}
	cmd := &exec.Cmd{Path: path, Args: argv}
	cmd.Dir = "/"
	cmd.Env = append([]string{containerPath, "HOME=/"}, c.img.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: c.img.root, Credential: userCred(t, c.img.user)}
	out, err := cmd.CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("%v: %v", argv, err)
		}
	}
	return string(out), cmd.ProcessState.ExitCode()
}

// file returns a file of the container's root ("" when missing).
func (c *container) file(path string) string {
	return testutil.ReadFile(filepath.Join(c.img.root, path))
}

// probes returns the exec commands of the probes in a pod spec, by kind
// ("readinessProbe": argv). The examples write each command as a JSON
// array on one line, which YAML reads the same.
func probes(t *testing.T, path string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kind := regexp.MustCompile(`^\s*(\w+Probe):\s*$`)
	command := regexp.MustCompile(`^\s*command:\s*(\[.*\])\s*$`)
	out := map[string][]string{}
	current := ""
	for _, line := range strings.Split(string(b), "\n") {
		if m := kind.FindStringSubmatch(line); m != nil {
			current = m[1]
		}
		if m := command.FindStringSubmatch(line); m != nil && current != "" {
			var argv []string
			if err := json.Unmarshal([]byte(m[1]), &argv); err != nil {
				t.Fatalf("%s: %s: %v", path, line, err)
			}
			out[current] = argv
			current = ""
		}
	}
	return out
}

// wantLines fails the test unless text has each of want as a line, in
// that order (other lines may come between).
func wantLines(t *testing.T, what, text string, want ...string) {
	t.Helper()
	lines := strings.Split(text, "\n")
	i := 0
	for _, l := range lines {
		if i < len(want) && strings.Contains(l, want[i]) {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("%s: no line with %q (after the ones before it) in:\n%s", what, want[i], text)
	}
}

// lastLine is text's last non-empty line.
func lastLine(text string) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestContainerExample: examples/container runs as its Dockerfile and
// pod.yaml say. The services start (web reports ready), the pod's probes
// pass, and TERM, which docker stop and the kubelet send, stops the main
// command and then each service through its TERM handler and ./finish,
// with the last lines logged; the container exits 0, /app/main's code.
func TestContainerExample(t *testing.T) {
	needTools(t)
	ctx := buildContext(t, "container")
	img := buildImage(t, ctx, "container")
	if img.user == "" {
		t.Errorf("the image runs as root; the example is meant to show a user")
	}
	c := startContainer(t, img, nil)

	testutil.Eventually(t, "main to hear from web", func() bool {
		return strings.Contains(c.p.Stdout.String(), "main: web says: hello from gorunit")
	})
	testutil.Eventually(t, "worker to finish a job", func() bool {
		return strings.Contains(c.p.Stdout.String(), "worker: job 1 done")
	})
	for kind, argv := range probes(t, filepath.Join("container", "pod.yaml")) {
		if out, code := c.exec(t, argv...); code != 0 {
			t.Errorf("pod.yaml's %s %q exits %d:\n%s", kind, argv, code, out)
		} else {
			t.Logf("%s %q:\n%s", kind, argv, out)
		}
	}
	out, _ := c.exec(t, "sv", "status", "web", "worker")
	t.Logf("sv status:\n%s", out)
	if !strings.Contains(out, "run: web:") || !strings.Contains(out, "run: worker:") {
		t.Errorf("sv status:\n%s", out)
	}
	// The probes tell apart: web taken down on purpose is alive but not
	// ready; back up, it is ready once its ./run has written to its
	// notification-fd.
	pod := probes(t, filepath.Join("container", "pod.yaml"))
	if out, code := c.exec(t, "sv", "-w", "10", "down", "web"); code != 0 {
		t.Fatalf("sv down web: exit %d\n%s", code, out)
	}
	if out, code := c.exec(t, pod["readinessProbe"]...); code == 0 {
		t.Errorf("readiness probe passes with web down:\n%s", out)
	}
	if out, code := c.exec(t, pod["livenessProbe"]...); code != 0 {
		t.Errorf("liveness probe fails with web down on purpose: exit %d\n%s", code, out)
	}
	if out, code := c.exec(t, "sv", "-w", "10", "up", "web"); code != 0 || !strings.Contains(out, "ready") {
		t.Errorf("sv -w 10 up web: exit %d, want 0 and ready\n%s", code, out)
	}
	for kind, argv := range pod {
		if out, code := c.exec(t, argv...); code != 0 {
			t.Errorf("%s fails once web is back: exit %d\n%s", kind, code, out)
		}
	}

	syscall.Kill(c.pid, syscall.SIGTERM)
	if code := c.p.Wait(t); code != 0 {
		t.Errorf("container exit %d, want 0 (main exits 0 on TERM); stderr:\n%s", code, c.p.Stderr)
	}
	stdout := c.p.Stdout.String()
	wantLines(t, "container output", stdout, "main: TERM, exiting")
	wantLines(t, "container output", stdout,
		"worker: TERM: finishing job", "worker: stopped after", "worker: finish: run exited 0")
	web := c.file("/var/log/gorunit/web/current")
	wantLines(t, "web's log", web, "starting httpd", "ready", "TERM: stopping httpd", "stopped", "finish: run exited 0")
	if l := lastLine(web); !strings.Contains(l, "finish: run exited 0 (signal 0)") {
		t.Errorf("web's last log line %q, want its finish line", l)
	}
	if l := lastLine(stdout); !strings.Contains(l, "worker: finish:") && !strings.Contains(l, "main: TERM") {
		t.Logf("container output ends with %q", l)
	}
	if t.Failed() {
		t.Logf("stdout:\n%s\nstderr:\n%s\nweb's log:\n%s", stdout, c.p.Stderr, web)
	}
}

// TestContainerExampleExitCode: the main command's exit code is the
// container's, and the services still stop through ./finish when the main
// command ends on its own.
func TestContainerExampleExitCode(t *testing.T) {
	needTools(t)
	ctx := buildContext(t, "container")
	img := buildImage(t, ctx, "container")
	t.Run("false", func(t *testing.T) {
		c := startContainer(t, img, nil, "false")
		if code := c.p.Wait(t); code != 1 {
			t.Errorf("exit %d, want 1; stderr:\n%s", code, c.p.Stderr)
		}
	})
	t.Run("hold on failure, then release", func(t *testing.T) {
		c := startContainer(t, img, []string{"GORUNIT_HOLD=1"}, "false")
		testutil.Eventually(t, "runit to say it holds", func() bool {
			return strings.Contains(c.p.Stderr.String(), "holding for debugging")
		})
		testutil.Eventually(t, "the services to run and web to be ready during the hold", func() bool {
			_, code := c.exec(t, "sv", "check", "web", "worker")
			return code == 0
		})
		// runit --release signals PID 1 of its PID namespace: here, from
		// outside that namespace, it is given runit's pid.
		if out, code := c.exec(t, "runit", "--release", strconv.Itoa(c.pid)); code != 0 {
			t.Fatalf("runit --release: exit %d\n%s", code, out)
		}
		if code := c.p.Wait(t); code != 1 {
			t.Errorf("exit %d, want 1 (false's code, after the hold); stderr:\n%s", code, c.p.Stderr)
		}
		wantLines(t, "container output", c.p.Stdout.String(), "worker: finish: run exited")
	})
	t.Run("exit 3 once web is ready", func(t *testing.T) {
		os.RemoveAll(filepath.Join(img.root, "var/log/gorunit/web"))
		c := startContainer(t, img, nil, "sh", "-c", "until sv check web >/dev/null 2>&1; do sleep 0.1; done; exit 3")
		if code := c.p.Wait(t); code != 3 {
			t.Errorf("exit %d, want 3; stderr:\n%s", code, c.p.Stderr)
		}
		wantLines(t, "container output", c.p.Stdout.String(), "worker: finish: run exited")
		web := c.file("/var/log/gorunit/web/current")
		if l := lastLine(web); !strings.Contains(l, "finish: run exited 0") {
			t.Errorf("web's last log line %q, want its finish line; log:\n%s", l, web)
		}
	})
}

// TestMyInitExample: examples/my_init, gorunit as phusion's my_init. The
// start-up script runs before the service and hands it variables through
// /etc/container_environment, where `docker run -e` wins; on TERM the
// pre-shutdown script runs, then the service stops through its TERM
// handler and ./finish, then the post-shutdown script; the main command's
// code is the container's.
func TestMyInitExample(t *testing.T) {
	needTools(t)
	ctx := buildContext(t, "my_init")
	t.Run("TERM", func(t *testing.T) {
		img := buildImage(t, ctx, "my_init")
		c := startContainer(t, img, []string{"GREETING=hi"})
		testutil.Eventually(t, "app to greet", func() bool {
			return strings.Contains(c.p.Stdout.String(), "app: hi again")
		})
		if sh := c.file("/etc/container_environment.sh"); !strings.Contains(sh, "export GREETING='hi'") || !strings.Contains(sh, "export CONFIGURED_AT=") {
			t.Errorf("/etc/container_environment.sh:\n%s", sh)
		}
		syscall.Kill(c.pid, syscall.SIGTERM)
		if code := c.p.Wait(t); code != 0 {
			t.Errorf("exit %d, want 0; stderr:\n%s", code, c.p.Stderr)
		}
		wantLines(t, "container output", c.p.Stdout.String(),
			"my_init.d: writing the configuration", "app: hi (configured at", "pre_shutdown: draining app",
			"app: TERM: goodbye", "app: finish: run exited 0 (signal 0)", "post_shutdown: services stopped")
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", c.p.Stdout, c.p.Stderr)
		}
	})
	t.Run("main command", func(t *testing.T) {
		img := buildImage(t, ctx, "my_init")
		main := `until sv check app >/dev/null 2>&1; do sleep 0.1; done; echo "main: $GREETING"; exit 5`
		c := startContainer(t, img, nil, "--", "sh", "-c", main)
		if code := c.p.Wait(t); code != 5 {
			t.Errorf("exit %d, want 5; stderr:\n%s", code, c.p.Stderr)
		}
		wantLines(t, "container output", c.p.Stdout.String(),
			"my_init.d: writing the configuration", "main: hello", "pre_shutdown: draining app",
			"app: finish: run exited 0", "post_shutdown: services stopped")
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", c.p.Stdout, c.p.Stderr)
		}
	})
}

// TestGuideMatchesExamples: the Dockerfile and pod spec that
// docs/containers.md quotes are the examples' (the guide leaves comments
// out), so that what the guide shows is what the tests run.
func TestGuideMatchesExamples(t *testing.T) {
	guide := testutil.ReadFile(filepath.Join("..", "docs", "containers.md"))
	if guide == "" {
		t.Fatal("docs/containers.md is missing")
	}
	for _, tt := range []struct{ fence, file string }{
		{"```dockerfile\nARG BASE", "container/Dockerfile"},
		{"```yaml\nspec:", "container/pod.yaml"},
	} {
		i := strings.Index(guide, tt.fence)
		if i < 0 {
			t.Errorf("docs/containers.md quotes no %s (a block starting %q)", tt.file, tt.fence)
			continue
		}
		block := guide[i+strings.Index(tt.fence, "\n")+1:]
		block = block[:strings.Index(block, "```")]
		example := testutil.ReadFile(tt.file)
		for _, line := range strings.Split(block, "\n") {
			if strings.TrimSpace(line) != "" && !strings.Contains(example, line) {
				t.Errorf("docs/containers.md quotes a line that %s does not have: %q", tt.file, line)
			}
		}
	}
}
