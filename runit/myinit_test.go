package runit_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
)

// etcEnv points runit's /etc files (my_init's scripts, the container
// environment) at dir/etc, where the test built them (export_test.go).
func etcEnv(dir string, more ...string) []string {
	return append([]string{"GORUNIT_TEST_ETC=" + filepath.Join(dir, "etc"), "SVDIR=" + filepath.Join(dir, "service")}, more...)
}

// appendTo is a script that appends its words to dir/log.
func appendTo(dir, words string) string {
	return "#!/bin/sh\necho " + words + " >> " + filepath.Join(dir, "log") + "\n"
}

// TestContainerEnvironment: variables from files already in the
// directory are imported (a variable set by docker run -e wins), then the
// whole environment is written back, to the .sh file and to the .json
// file, mode 0600; the main command, chpst -e and a login shell that
// sources the .sh file all see the same values.
func TestContainerEnvironment(t *testing.T) {
	dir := t.TempDir()
	etc := filepath.Join(dir, "etc")
	envdir := filepath.Join(etc, "container_environment")
	os.MkdirAll(envdir, 0o700)
	os.WriteFile(filepath.Join(envdir, "FROM_FILE"), []byte("image value\n"), 0o644) // one newline dropped
	os.WriteFile(filepath.Join(envdir, "TWO_LINES"), []byte("a\nb\n\n"), 0o644)      // only the last one
	os.WriteFile(filepath.Join(envdir, "DOCKER_E"), []byte("from the image"), 0o644)
	tricky := `it's "quoted" $HOME ` + "`x` \\ \ttab"
	main := `printf '%s|%s|%s' "$FROM_FILE" "$DOCKER_E" "$TRICKY" > main.out
chpst -e ` + envdir + ` sh -c 'printf "%s|%s" "$FROM_FILE" "$DOCKER_E"' > chpst.out
env -i /bin/sh -c '. ` + envdir + `.sh; printf "%s|%s|%s|%s" "$FROM_FILE" "$DOCKER_E" "$TRICKY" "$TWO_LINES"' > sourced.out`
	p, _ := inNamespace(t, dir, etcEnv(dir, "DOCKER_E=from docker", "TRICKY="+tricky, "HOME=/root"), "--", "sh", "-c", main)
	if code := p.Wait(t); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, p.Stderr)
	}
	for file, want := range map[string]string{
		"main.out":    "image value|from docker|" + tricky,
		"chpst.out":   "image value|from docker",
		"sourced.out": "image value|from docker|" + tricky + "|a\nb\n",
	} {
		if got := testutil.ReadFile(filepath.Join(dir, file)); got != want {
			t.Errorf("%s: %q, want %q", file, got, want)
		}
	}
	if got := testutil.ReadFile(filepath.Join(envdir, "TRICKY")); got != tricky {
		t.Errorf("TRICKY file: %q", got)
	}
	if _, err := os.Stat(filepath.Join(envdir, "HOME")); err == nil {
		t.Errorf("HOME was written to the directory (my_init leaves it out)")
	}
	var js map[string]string
	if err := json.Unmarshal([]byte(testutil.ReadFile(envdir+".json")), &js); err != nil {
		t.Fatalf("json: %v", err)
	}
	if js["TRICKY"] != tricky || js["FROM_FILE"] != "image value" || js["HOME"] != "/root" {
		t.Errorf("json: TRICKY %q FROM_FILE %q HOME %q", js["TRICKY"], js["FROM_FILE"], js["HOME"])
	}
	for _, f := range []string{envdir + ".sh", envdir + ".json", filepath.Join(envdir, "TRICKY"), filepath.Join(envdir, "PATH")} {
		if m := modeOf(f); m != 0o600 {
			t.Errorf("%s: mode %#o, want 0600", f, m)
		}
	}
}

// TestContainerEnvironmentSettings: the flag and the variable turn the
// environment files off or move them; the flag wins.
func TestContainerEnvironmentSettings(t *testing.T) {
	tests := []struct {
		name  string
		env   []string
		args  []string
		where string // the directory written, under the test's dir; "" for none
	}{
		{"default", nil, nil, "etc/container_environment"},
		{"flag off", nil, []string{"--no-container-env"}, ""},
		{"variable off", []string{"GORUNIT_CONTAINER_ENV=off"}, nil, ""},
		{"flag moves", nil, []string{"--container-env", "@/moved"}, "moved"},
		{"flag moves, with =", nil, []string{"--container-env=@/moved"}, "moved"},
		{"variable moves", []string{"GORUNIT_CONTAINER_ENV=@/moved"}, nil, "moved"},
		{"flag wins over variable", []string{"GORUNIT_CONTAINER_ENV=off"}, []string{"--container-env", "@/moved"}, "moved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			fix := func(ss []string) []string {
				var out []string
				for _, s := range ss {
					out = append(out, strings.ReplaceAll(s, "@", dir))
				}
				return out
			}
			os.Mkdir(filepath.Join(dir, "service"), 0o755)
			args := append(fix(tt.args), "--", "sh", "-c", "exit 0")
			p, _ := inNamespace(t, dir, etcEnv(dir, append(fix(tt.env), "MARKER=here")...), args...)
			if code := p.Wait(t); code != 0 || p.Stderr.String() != "" {
				t.Fatalf("exit %d; stderr: %s", code, p.Stderr)
			}
			for _, d := range []string{"etc/container_environment", "moved"} {
				_, err := os.Stat(filepath.Join(dir, d, "MARKER"))
				_, errSh := os.Stat(filepath.Join(dir, d+".sh"))
				if written := err == nil && errSh == nil; written != (d == tt.where) {
					t.Errorf("%s written: %v", d, written)
				}
			}
		})
	}
}

// TestContainerEnvironmentUnwritable: when the files cannot be written
// (here the directory's parent is a file; a read-only root or a non-root
// user are the same to runit), runit says so in one line and goes on.
func TestContainerEnvironmentUnwritable(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "etc"), []byte("not a directory"), 0o644)
	os.Mkdir(filepath.Join(dir, "service"), 0o755)
	p, _ := inNamespace(t, dir, etcEnv(dir), "--", "sh", "-c", "exit 4")
	if code := p.Wait(t); code != 4 {
		t.Fatalf("exit %d; stderr: %s", code, p.Stderr)
	}
	lines := strings.Split(strings.TrimSuffix(p.Stderr.String(), "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "runit: warning: unable to write the container environment: ") {
		t.Errorf("stderr: %q, want one warning line", p.Stderr)
	}
}

// TestStartupScripts: my_init.d's executable files run in lexical order,
// then rc.local (as my_init only), then the services and the main
// command. A script's variables, left in the environment directory, are
// seen by the next scripts and the main command.
func TestStartupScripts(t *testing.T) {
	tests := []struct {
		name, prog string
		args       []string
		want       string
	}{
		{"my_init", "my_init", nil, "10 a\n20 b yes\nrc.local\nmain yes\n"},
		{"runit: my_init.d but not rc.local", "runit", nil, "10 a\n20 b yes\nmain yes\n"},
		{"my_init --skip-startup-files", "my_init", []string{"--skip-startup-files"}, "main\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "log")
			files := map[string]string{
				"etc/my_init.d/20_b":          "#!/bin/sh\necho 20 b $FROM_A >> " + log + "\n",
				"etc/my_init.d/10_a":          "#!/bin/sh\necho 10 a >> " + log + "\nprintf 'yes\\n' > " + dir + "/etc/container_environment/FROM_A\n",
				"etc/my_init.d/15_not_exec":   "echo not executable >> " + log + "\n",
				"etc/my_init.d/17_directory/": "",
				"etc/rc.local":                appendTo(dir, "rc.local"),
			}
			build(t, dir, files)
			args := append(tt.args, "--", "sh", "-c", "echo main $FROM_A >> "+log)
			p, _ := inNamespaceAs(t, tt.prog, dir, etcEnv(dir), args...)
			if code := p.Wait(t); code != 0 {
				t.Fatalf("exit %d; stderr: %s", code, p.Stderr)
			}
			if got := testutil.ReadFile(log); got != tt.want {
				t.Errorf("log %q, want %q", got, tt.want)
			}
		})
	}
}

// build writes files (path → content; "#!" makes it executable, a path
// ending in / is a directory) under dir.
func build(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for path, content := range files {
		full := filepath.Join(dir, path)
		if strings.HasSuffix(path, "/") {
			os.MkdirAll(full, 0o755)
			continue
		}
		os.MkdirAll(filepath.Dir(full), 0o755)
		mode := os.FileMode(0o644)
		if strings.HasPrefix(content, "#!") {
			mode = 0o755
		}
		if err := os.WriteFile(full, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStartupScriptFails: a failing start-up script ends the start with
// its exit code (128+N when a signal killed it): no later script, no
// service, no main command, no shutdown scripts.
func TestStartupScriptFails(t *testing.T) {
	needServices(t)
	tests := []struct {
		name, script string
		code         int
	}{
		{"exit 3", "exit 3", 3},
		{"killed", "kill -KILL $$", 128 + 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			build(t, dir, map[string]string{
				"etc/my_init.d/10_ok":              appendTo(dir, "10"),
				"etc/my_init.d/20_fails":           "#!/bin/sh\necho 20 >> " + dir + "/log\n" + tt.script + "\n",
				"etc/my_init.d/30_never":           appendTo(dir, "30"),
				"etc/my_init.pre_shutdown.d/pre":   appendTo(dir, "pre"),
				"etc/my_init.post_shutdown.d/post": appendTo(dir, "post"),
				"service/svc/run":                  appendTo(dir, "service") + "exec sleep 3600\n",
			})
			p, _ := inNamespaceAs(t, "my_init", dir, etcEnv(dir), "--", "sh", "-c", "echo main >> "+dir+"/log")
			if code := p.Wait(t); code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, p.Stderr)
			}
			if got := testutil.ReadFile(filepath.Join(dir, "log")); got != "10\n20\n" {
				t.Errorf("log %q, want 10 and 20 only", got)
			}
			if !strings.Contains(p.Stderr.String(), "my_init: warning: "+dir+"/etc/my_init.d/20_fails failed (exit "+strconv.Itoa(tt.code)+"): not starting\n") {
				t.Errorf("stderr: %s", p.Stderr)
			}
		})
	}
}

// TestShutdownScripts: on docker stop the main command stops first, then
// my_init.pre_shutdown.d runs while the services still run, then the
// services stop, then my_init.post_shutdown.d runs; runit exits with
// the main command's code.
func TestShutdownScripts(t *testing.T) {
	needServices(t)
	for _, prog := range []string{"my_init", "runit"} {
		t.Run(prog, func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "log")
			svdir := filepath.Join(dir, "service")
			build(t, dir, map[string]string{
				"etc/my_init.pre_shutdown.d/10_pre":   "#!/bin/sh\necho pre 10 $(sv status " + svdir + "/db | cut -d: -f1) >> " + log + "\n",
				"etc/my_init.pre_shutdown.d/20_pre":   appendTo(dir, "pre 20"),
				"etc/my_init.post_shutdown.d/10_post": "#!/bin/sh\necho post $(sv status " + svdir + "/db | cut -d: -f1) >> " + log + "\n",
				"service/db/run":                      "#!/bin/sh\ntrap 'echo db stop >> " + log + "; exit 0' TERM\necho db up >> " + log + "\nwhile :; do sleep 0.05; done\n",
			})
			mainUp := filepath.Join(dir, "main-up")
			main := `trap 'echo main stop >> ` + log + `; exit 6' TERM; : > ` + mainUp + `; while :; do sleep 0.05; done`
			p, pid := inNamespaceAs(t, prog, dir, etcEnv(dir), "--", "sh", "-c", main)
			testutil.Eventually(t, "db and the main command up", func() bool {
				_, err := os.Stat(mainUp)
				return err == nil && strings.Contains(testutil.ReadFile(log), "db up\n")
			})
			syscall.Kill(pid, syscall.SIGTERM)
			if code := p.Wait(t); code != 6 {
				t.Fatalf("exit %d; stderr: %s", code, p.Stderr)
			}
			want := "db up\nmain stop\npre 10 run\npre 20\ndb stop\npost fail\n" // sv finds no runsv any more
			if got := testutil.ReadFile(log); got != want {
				t.Errorf("log %q, want %q", got, want)
			}
		})
	}
}

// TestMyInitOptions: each of my_init's options.
func TestMyInitOptions(t *testing.T) {
	needServices(t)
	countRunsvdir := `n=0; for c in /proc/[0-9]*/cmdline; do case "$(tr '\0' ' ' < $c)" in runsvdir*) n=$((n+1));; esac; done; echo runsvdir $n >> log`
	tests := []struct {
		name   string
		args   []string
		env    []string
		main   string
		code   int
		log    string
		stderr func(string) bool
	}{
		{"-- CMD", nil, nil, "echo main $# >> log", 0, "main 0\n", nil},
		{"CMD without --", nil, nil, "", 0, "", nil},
		{"--skip-runit", []string{"--skip-runit"}, nil, countRunsvdir, 0, "runsvdir 0\n", nil},
		{"runsvdir without --skip-runit", nil, nil, countRunsvdir, 0, "runsvdir 1\n", nil},
		{"--quiet", []string{"--quiet"}, nil, "exit 0", 0, "", func(s string) bool { return s == "" }},
		{"not quiet", nil, nil, "exit 0", 0, "", func(s string) bool { return strings.Contains(s, "my_init: running sh\n") }},
		{"--enable-insecure-key", []string{"--enable-insecure-key", "--quiet"}, nil, "exit 0", 0, "",
			func(s string) bool {
				return s == "my_init: warning: --enable-insecure-key is not supported and ignored: no ssh key is installed\n"
			}},
		// The leftover traps TERM, writes, and exits: with the kill-all
		// it has done so before runit exits; without it, process 1's exit
		// KILLs it.
		{"kill all on exit", nil, nil, leftover, 0, "leftover TERM\n", nil},
		{"--no-kill-all-on-exit", []string{"--no-kill-all-on-exit"}, nil, leftover, 0, "", nil},
		// The leftover's TERM handler takes a second: KILL_ALL_PROCESSES_TIMEOUT
		// gives it the time, or not.
		{"KILL_ALL_PROCESSES_TIMEOUT=30", nil, []string{"KILL_ALL_PROCESSES_TIMEOUT=30"}, slowLeftover, 0, "leftover TERM\nleftover done\n", nil},
		{"KILL_ALL_PROCESSES_TIMEOUT=0", nil, []string{"KILL_ALL_PROCESSES_TIMEOUT=0"}, slowLeftover, 0, "leftover TERM\n", nil},
		{"killed main: 128+N", nil, nil, "kill -TERM $$", 128 + 15, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			build(t, dir, map[string]string{"service/idle/run": "#!/bin/sh\nexec sleep 3600\n"})
			args := append([]string{}, tt.args...)
			switch {
			case tt.name == "CMD without --":
				args = append(args, "sh", "-c", "echo bare >> log")
				tt.log = "bare\n"
			default:
				args = append(args, "--", "sh", "-c", tt.main)
			}
			p, _ := inNamespaceAs(t, "my_init", dir, etcEnv(dir, tt.env...), args...)
			if code := p.Wait(t); code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, p.Stderr)
			}
			if got := testutil.ReadFile(filepath.Join(dir, "log")); got != tt.log {
				t.Errorf("log %q, want %q", got, tt.log)
			}
			if tt.stderr != nil && !tt.stderr(p.Stderr.String()) {
				t.Errorf("stderr: %q", p.Stderr)
			}
		})
	}
}

// leftover starts a process in a session of its own (so not in the main
// command's group) that records its TERM, and exits.
const leftover = `setsid sh -c 'trap "echo leftover TERM >> log; exit 0" TERM; echo > started; while :; do sleep 0.05; done' & until [ -e started ]; do sleep 0.01; done`

// slowLeftover takes a second to stop.
const slowLeftover = `setsid sh -c 'trap "echo leftover TERM >> log; sleep 1; echo leftover done >> log; exit 0" TERM; echo > started; while :; do sleep 0.05; done' & until [ -e started ]; do sleep 0.01; done`

// TestStopTimeouts: KILL_PROCESS_TIMEOUT is the services' stop timeout
// (-t and RUNIT_STOP_TIMEOUT win): a service that ignores TERM is killed
// then, and does not hold the container up (my_init looped on sv down).
func TestStopTimeouts(t *testing.T) {
	needServices(t)
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"KILL_PROCESS_TIMEOUT", []string{"KILL_PROCESS_TIMEOUT=1"}, nil, "within 1s"},
		{"RUNIT_STOP_TIMEOUT wins", []string{"KILL_PROCESS_TIMEOUT=9", "RUNIT_STOP_TIMEOUT=1"}, nil, "within 1s"},
		{"-t wins", []string{"KILL_PROCESS_TIMEOUT=9"}, []string{"-t", "2"}, "within 2s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			build(t, dir, map[string]string{
				"service/stubborn/run": "#!/bin/sh\ntrap '' TERM\necho up > ../../up\nexec sleep 3600\n",
			})
			p, pid := inNamespaceAs(t, "my_init", dir, etcEnv(dir, tt.env...), append(tt.args, "--quiet")...)
			testutil.Eventually(t, "service up", func() bool { return testutil.ReadFile(filepath.Join(dir, "up")) != "" })
			syscall.Kill(pid, syscall.SIGTERM)
			if code := p.Wait(t); code != 0 {
				t.Fatalf("exit %d; stderr: %s", code, p.Stderr)
			}
			if want := "my_init: warning: services did not stop " + tt.want + "; terminating what is left\n"; p.Stderr.String() != want {
				t.Errorf("stderr %q, want %q", p.Stderr, want)
			}
		})
	}
}

// TestStopWhileStarting: docker stop at once after the start, while the
// services are still being started, ends everything (my_init hung in sv
// down when a runsv did not exist yet: baseimage-docker#315).
func TestStopWhileStarting(t *testing.T) {
	needServices(t)
	for i := range 3 {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{}
			for _, n := range []string{"a", "b", "c", "d"} {
				files["service/"+n+"/run"] = "#!/bin/sh\nexec sleep 3600\n"
			}
			build(t, dir, files)
			p, pid := inNamespaceAs(t, "my_init", dir, etcEnv(dir))
			testutil.Eventually(t, "runsvdir started", func() bool { return strings.Contains(p.Stderr.String(), "starting runsvdir") })
			syscall.Kill(pid, syscall.SIGTERM)
			if code := p.Wait(t); code != 0 {
				t.Fatalf("exit %d; stderr: %s", code, p.Stderr)
			}
		})
	}
}

// TestHoldOnFailure: with the hold on, a main command that fails (or is
// killed) leaves the container up, services running, with one line that
// says how to end it; docker stop or runit --release then end it with
// the command's code. A command that succeeds is not held.
func TestHoldOnFailure(t *testing.T) {
	needServices(t)
	tests := []struct {
		name    string
		env     []string
		args    []string
		main    string
		code    int
		held    string // the line, "" when not held
		release string // "TERM", "INT" or "--release"
	}{
		{"exit 3, --release", nil, []string{"--hold-on-failure"}, "exit 3", 3,
			"runit: main command exited 3; holding for debugging: docker stop, or `runit --release` in the container (USR1 to runit), ends it with code 3\n", "--release"},
		{"exit 3, GORUNIT_HOLD=1, docker stop", []string{"GORUNIT_HOLD=1"}, nil, "exit 3", 3, "runit: main command exited 3;", "TERM"},
		{"killed, INT", nil, []string{"--hold-on-failure"}, "kill -KILL $$", 137,
			"runit: main command was killed by signal 9 (SIGKILL; code 137); holding", "INT"},
		{"exit 0 is not held", nil, []string{"--hold-on-failure"}, "exit 0", 0, "", ""},
		{"GORUNIT_HOLD=0", []string{"GORUNIT_HOLD=0"}, nil, "exit 3", 3, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			svdir := filepath.Join(dir, "service")
			build(t, dir, map[string]string{
				"service/web/run": "#!/bin/sh\ntrap 'echo web stop >> ../../log; exit 0' TERM\necho > ../../up\nwhile :; do sleep 0.05; done\n",
			})
			main := "until [ -e " + dir + "/up ]; do sleep 0.01; done; " + tt.main
			p, pid := inNamespace(t, dir, etcEnv(dir, tt.env...), append(tt.args, "--", "sh", "-c", main)...)
			if tt.held == "" {
				if code := p.Wait(t); code != tt.code {
					t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, p.Stderr)
				}
				return
			}
			testutil.Eventually(t, "the hold line", func() bool { return strings.Contains(p.Stderr.String(), "holding") })
			if got := p.Stderr.String(); !strings.HasPrefix(got, tt.held) || strings.Count(got, "\n") != 1 {
				t.Errorf("stderr %q, want one line starting %q", got, tt.held)
			}
			if out, _, _ := testutil.Run(t, dir, "sv", "status", filepath.Join(svdir, "web")); !strings.HasPrefix(out, "run: ") {
				t.Errorf("service while held: %q", out)
			}
			if p.Exited() {
				t.Fatal("runit exited while holding")
			}
			switch tt.release {
			case "TERM":
				syscall.Kill(pid, syscall.SIGTERM)
			case "INT":
				syscall.Kill(pid, syscall.SIGINT)
			case "--release":
				if _, stderr, code := testutil.Run(t, dir, "runit", "--release", strconv.Itoa(pid)); code != 0 {
					t.Fatalf("runit --release: exit %d: %s", code, stderr)
				}
			}
			if code := p.Wait(t); code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, p.Stderr)
			}
			if got := testutil.ReadFile(filepath.Join(dir, "log")); got != "web stop\n" {
				t.Errorf("the service did not stop gracefully: %q", got)
			}
		})
	}
}

// TestKillTreeDefault: runsvdir, and so every runsv and service, gets
// GORUNIT_KILL_TREE=on, unless it is set already.
func TestKillTreeDefault(t *testing.T) {
	needServices(t)
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"unset", nil, "on"},
		{"set off", []string{"GORUNIT_KILL_TREE=off"}, "off"},
		{"set empty", []string{"GORUNIT_KILL_TREE="}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			build(t, dir, map[string]string{
				"service/probe/run": "#!/bin/sh\necho \"${GORUNIT_KILL_TREE-unset}\" > ../../tmp.out; mv ../../tmp.out ../../out\nexec sleep 3600\n",
			})
			if _, set := os.LookupEnv("GORUNIT_KILL_TREE"); set {
				t.Skip("GORUNIT_KILL_TREE is set in the test's environment")
			}
			p, pid := inNamespace(t, dir, append(etcEnv(dir), tt.env...))
			testutil.Eventually(t, "probe", func() bool { return testutil.ReadFile(filepath.Join(dir, "out")) != "" })
			if got := strings.TrimSuffix(testutil.ReadFile(filepath.Join(dir, "out")), "\n"); got != tt.want {
				t.Errorf("GORUNIT_KILL_TREE=%q, want %q", got, tt.want)
			}
			syscall.Kill(pid, syscall.SIGTERM)
			p.Wait(t)
		})
	}
}

// TestNonRootReadOnlyTree: container mode as user nobody (chpst -u
// nobody, so runit is still process 1), with a service tree nobody
// cannot write whose supervise directories are links into a writable
// directory: the services start, docker stop stops them gracefully, runit
// exits with the main command's code, and the container environment it
// cannot write costs one warning line.
func TestNonRootReadOnlyTree(t *testing.T) {
	needServices(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root for a PID namespace")
	}
	cred := testutil.Nobody(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	build(t, dir, map[string]string{
		"service/web/run": "#!/bin/sh\ntrap 'echo web stop >> " + state + "/log; exit 0' TERM\necho web up >> " + state + "/log\nwhile :; do sleep 0.05; done\n",
		"service/db/run":  "#!/bin/sh\ntrap 'echo db stop >> " + state + "/log; exit 0' TERM\necho db up >> " + state + "/log\nwhile :; do sleep 0.05; done\n",
		"etc/":            "",
		"state/":          "",
	})
	for _, svc := range []string{"web", "db"} {
		if err := os.Symlink(filepath.Join(state, svc), filepath.Join(dir, "service", svc, "supervise")); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(state, int(cred.Uid), int(cred.Gid)); err != nil {
		t.Fatal(err)
	}
	testutil.OpenUp(t, state)
	log := filepath.Join(state, "log")
	main := `trap 'echo main stop >> ` + log + `; exit 5' TERM; echo main up >> ` + log + `; while :; do sleep 0.05; done`
	p := testutil.StartEnv(t, dir, etcEnv(dir), "/usr/bin/unshare", "--pid", "--fork", "--mount-proc",
		testutil.Bin("chpst"), "-u", "nobody", testutil.Bin("runit"), "--", "sh", "-c", main)
	testutil.Eventually(t, "both services and the main command up", func() bool {
		l := testutil.ReadFile(log)
		return strings.Contains(l, "web up\n") && strings.Contains(l, "db up\n") && strings.Contains(l, "main up\n")
	})
	pid := testutil.ChildOf(p.Pid())
	if st := testutil.ReadFile("/proc/" + strconv.Itoa(pid) + "/status"); !strings.Contains(st, "\nUid:\t"+strconv.Itoa(int(cred.Uid))+"\t") {
		t.Fatalf("process 1 does not run as nobody:\n%s", st)
	}
	syscall.Kill(pid, syscall.SIGTERM)
	if code := p.Wait(t); code != 5 {
		t.Fatalf("exit %d, want 5; stderr: %s", code, p.Stderr)
	}
	got := testutil.ReadFile(log)
	for _, want := range []string{"main stop\n", "web stop\n", "db stop\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("log %q lacks %q", got, want)
		}
	}
	if i, j := strings.Index(got, "main stop"), strings.Index(got, "web stop"); i > j {
		t.Errorf("services stopped before the main command: %q", got)
	}
	// (Shells whose sleep the kill tree ended say "Terminated".)
	if n := strings.Count(p.Stderr.String(), "runit: "); n != 1 || !strings.Contains(p.Stderr.String(), "runit: warning: unable to write the container environment: ") {
		t.Errorf("stderr %q, want one warning line from runit", p.Stderr)
	}
}

// TestContainerEnvironmentLoginShell: a login shell (ssh, docker exec
// ... sh -l) sees the container environment through the link runit makes
// in profile.d. The test's etc/profile.d is bound over /etc/profile.d in
// the namespace's private mounts, so /etc/profile reads it.
func TestContainerEnvironmentLoginShell(t *testing.T) {
	if _, err := os.Stat("/etc/profile.d"); err != nil {
		t.Skip("no /etc/profile.d to bind over")
	}
	dir := t.TempDir()
	etc := filepath.Join(dir, "etc")
	os.MkdirAll(filepath.Join(etc, "profile.d"), 0o755)
	os.MkdirAll(filepath.Join(etc, "container_environment"), 0o700)
	os.WriteFile(filepath.Join(etc, "container_environment", "FROM_FILE"), []byte("image value\n"), 0o644)
	main := "mount --bind " + filepath.Join(etc, "profile.d") + " /etc/profile.d && " +
		"env -i HOME=/nonexistent /bin/sh -l -c 'printf \"%s|%s\" \"$FROM_FILE\" \"$DOCKER_E\"' > login.out"
	p, _ := inNamespace(t, dir, etcEnv(dir, "DOCKER_E=from docker"), "--", "sh", "-c", main)
	if code := p.Wait(t); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, p.Stderr)
	}
	if got, want := testutil.ReadFile(filepath.Join(dir, "login.out")), "image value|from docker"; got != want {
		t.Errorf("login shell sees %q, want %q", got, want)
	}
	link := filepath.Join(etc, "profile.d", "container_environment.sh")
	if target, err := os.Readlink(link); err != nil || target != filepath.Join(etc, "container_environment.sh") {
		t.Errorf("%s: %q, %v", link, target, err)
	}
}
