package proc

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Process
		ok   bool
	}{
		{"42 (sleep) S 1 42 42 0 -1 4194560 91 0 0 0 0 0 0 0 20 0 1 0 12345 2252800 130 18446744073709551615",
			Process{PID: 42, PPID: 1, PGID: 42, SID: 42, State: 'S', Start: 12345}, true},
		{"7 (a) b (c)) Z 3 4 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0 0",
			Process{PID: 7, PPID: 3, PGID: 4, SID: 5, State: 'Z', Start: 99}, true},
		{"garbage", Process{}, false},
		{"9 (short) S 1 2", Process{}, false},
	} {
		got, ok := Parse(tc.line)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Parse(%q) = %+v %v, want %+v %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

func TestListFindsAChildInItsSession(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	pid := cmd.Process.Pid
	found := false
	for _, p := range List() {
		if p.PID == pid {
			found = true
			if p.PPID != os.Getpid() || p.SID != pid || p.PGID != pid || p.Zombie() {
				t.Errorf("child: %+v", p)
			}
		}
	}
	if !found {
		t.Errorf("List did not show child %d", pid)
	}
	self := false
	for _, p := range List() {
		if p.PID == os.Getpid() {
			self = p.PPID == os.Getppid() && !p.Zombie()
		}
	}
	if !self {
		t.Errorf("List did not show this process (%d), child of %d", os.Getpid(), os.Getppid())
	}
	if p, ok := Get(pid); !ok || p.PID != pid {
		t.Errorf("Get(%d) = %+v %v", pid, p, ok)
	}
	if _, ok := Get(1 << 30); ok {
		t.Error("Get of a pid that cannot exist succeeded")
	}
}

// BenchmarkList is what runit pays at shutdown for each look at /proc.
func BenchmarkList(b *testing.B) {
	for b.Loop() {
		List()
	}
}
