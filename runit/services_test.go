package runit_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gorunit/gorunit/internal/proc"
	"github.com/gorunit/gorunit/internal/status"
	"github.com/gorunit/gorunit/internal/testutil"
)

// politeService records its TERM (and takes 0.1 s to stop, as a real
// service flushing state would), says goodbye on stdout for its log
// service, and has a finish script.
func politeService(name string) map[string]string {
	return map[string]string{
		"service/" + name + "/run": "#!/bin/sh\nexec 2>&1\n" +
			"trap 'echo term >> ../../events." + name + "; sleep 0.1; echo bye; exit 0' TERM\n" +
			"echo up >> ../../events." + name + "\nwhile :; do sleep 0.2; done\n",
		"service/" + name + "/finish":  "#!/bin/sh\necho finish $1 $2 >> ../../events." + name + "\n",
		"service/" + name + "/log/run": "#!/bin/sh\nexec linelogger ../../../logged." + name + "\n",
	}
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// TestDockerStop: TERM from outside (docker stop) stops every service
// gracefully — TERM handler, ./finish, the log service writing the last
// line — and runit exits 0 well before the timeout, without killing.
func TestDockerStop(t *testing.T) {
	needServices(t)
	names := []string{"web", "cron", "agent"}
	var trees []map[string]string
	for _, n := range names {
		trees = append(trees, politeService(n))
	}
	dir := testutil.Tree(t, merge(trees...))
	p, pid := inNamespace(t, dir, []string{"SVDIR=" + filepath.Join(dir, "service")})
	for _, n := range names {
		testutil.Eventually(t, n+" up", func() bool { return strings.Contains(testutil.ReadFile(filepath.Join(dir, "events."+n)), "up\n") })
	}
	syscall.Kill(pid, syscall.SIGTERM)
	if code := p.Wait(t); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, p.Stderr)
	}
	for _, n := range names {
		if got := testutil.ReadFile(filepath.Join(dir, "events."+n)); got != "up\nterm\nfinish 0 0\n" {
			t.Errorf("%s: events %q, want up, term, finish 0 0", n, got)
		}
		if got := testutil.ReadFile(filepath.Join(dir, "logged."+n)); !strings.HasSuffix(got, "bye\n") {
			t.Errorf("%s: the log service lost the last line: %q", n, got)
		}
	}
	if strings.Contains(p.Stderr.String(), "did not stop") {
		t.Errorf("something had to be killed: %s", p.Stderr)
	}
}

// TestDockerStopWithRunsvdirStopped: runit TERMs every runsv itself and
// wakes runsvdir, so a runsvdir that is stopped (SIGSTOP, a debugger)
// holds up neither the services' graceful stop nor the exit. Through
// runsvdir, the services got TERM only at the 7 s timeout.
func TestDockerStopWithRunsvdirStopped(t *testing.T) {
	needServices(t)
	dir := testutil.Tree(t, merge(politeService("web"), politeService("cron")))
	p, pid := inNamespace(t, dir, []string{"SVDIR=" + filepath.Join(dir, "service")})
	for _, n := range []string{"web", "cron"} {
		testutil.Eventually(t, n+" up", func() bool { return strings.Contains(testutil.ReadFile(filepath.Join(dir, "events."+n)), "up\n") })
	}
	runsvdir := 0
	for _, c := range proc.List() {
		if c.PPID == pid && strings.HasPrefix(testutil.ReadFile("/proc/"+strconv.Itoa(c.PID)+"/cmdline"), "runsvdir") {
			runsvdir = c.PID
		}
	}
	if runsvdir == 0 {
		t.Fatalf("no runsvdir under runit %d", pid)
	}
	syscall.Kill(runsvdir, syscall.SIGSTOP)
	syscall.Kill(pid, syscall.SIGTERM)
	if code := p.Wait(t); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, p.Stderr)
	}
	for _, n := range []string{"web", "cron"} {
		if got := testutil.ReadFile(filepath.Join(dir, "events."+n)); got != "up\nterm\nfinish 0 0\n" {
			t.Errorf("%s: events %q, want up, term, finish 0 0", n, got)
		}
	}
	if strings.Contains(p.Stderr.String(), "did not stop") {
		t.Errorf("the shutdown waited for the timeout: %s", p.Stderr)
	}
}

// TestDockerStopWithADownService: the runsv of a service that is down
// exits the moment it gets TERM, possibly before runsvdir does, which
// then reaps it; runit must not wait for it until the timeout, or
// forever.
func TestDockerStopWithADownService(t *testing.T) {
	needServices(t)
	dir := testutil.Tree(t, merge(politeService("web"), map[string]string{
		"service/idle/run":  "#!/bin/sh\nexec sleep 3600\n",
		"service/idle/down": "",
	}))
	p, pid := inNamespace(t, dir, []string{"SVDIR=" + filepath.Join(dir, "service")})
	testutil.Eventually(t, "web up", func() bool { return strings.Contains(testutil.ReadFile(filepath.Join(dir, "events.web")), "up\n") })
	testutil.WaitRecord(t, filepath.Join(dir, "service", "idle"), "idle supervised, down", func(r status.Record) bool { return r.State == status.Down && r.Want == status.WantDown })
	syscall.Kill(pid, syscall.SIGTERM)
	if code := p.Wait(t); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, p.Stderr)
	}
	if got := testutil.ReadFile(filepath.Join(dir, "events.web")); got != "up\nterm\nfinish 0 0\n" {
		t.Errorf("web: events %q, want up, term, finish 0 0", got)
	}
	if strings.Contains(p.Stderr.String(), "did not stop") {
		t.Errorf("the shutdown waited for the timeout: %s", p.Stderr)
	}
}

// TestServiceIgnoringTERM: a service that ignores TERM is killed at the
// timeout, and runit still exits.
func TestServiceIgnoringTERM(t *testing.T) {
	needServices(t)
	dir := testutil.Tree(t, map[string]string{
		"service/stubborn/run": "#!/bin/sh\ntrap '' TERM\necho up > ../../up\nexec sleep 3600\n",
	})
	p, pid := inNamespace(t, dir, []string{"SVDIR=" + filepath.Join(dir, "service")}, "-t", "1")
	testutil.Eventually(t, "service up", func() bool { return testutil.ReadFile(filepath.Join(dir, "up")) != "" })
	syscall.Kill(pid, syscall.SIGTERM)
	if code := p.Wait(t); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, p.Stderr)
	}
	if !strings.Contains(p.Stderr.String(), "runit: warning: services did not stop within 1s; terminating what is left") {
		t.Errorf("stderr: %q", p.Stderr)
	}
}

// TestMainCommandWithServices: the main command stops first, while the
// services still run (it may need them to stop), then the services; the
// container exits with the main command's code.
func TestMainCommandWithServices(t *testing.T) {
	needServices(t)
	dir := testutil.Tree(t, politeService("db"))
	svdir := filepath.Join(dir, "service")
	main := `trap 'sv status db > ` + dir + `/db-at-main-stop; exit 5' TERM; ` +
		`until sv -w 10 start db >/dev/null 2>&1; do sleep 0.05; done; echo ready > ` + dir + `/main-ready; while :; do sleep 0.1; done`
	p, pid := inNamespace(t, dir, []string{"SVDIR=" + svdir}, "--", "sh", "-c", main)
	testutil.Eventually(t, "main ready", func() bool { return testutil.ReadFile(filepath.Join(dir, "main-ready")) != "" })
	syscall.Kill(pid, syscall.SIGTERM)
	if code := p.Wait(t); code != 5 {
		t.Fatalf("exit %d, want the main command's 5; stderr: %s", code, p.Stderr)
	}
	if got := testutil.ReadFile(filepath.Join(dir, "db-at-main-stop")); !strings.HasPrefix(got, "run: db: (pid ") {
		t.Errorf("the service was not running while the main command stopped: %q", got)
	}
	if got := testutil.ReadFile(filepath.Join(dir, "events.db")); got != "up\nterm\nfinish 0 0\n" {
		t.Errorf("db events %q", got)
	}
}
