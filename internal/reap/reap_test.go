package reap

import (
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// start runs /bin/sh -c script as a child the test reaps itself.
func start(t *testing.T, script string) int {
	t.Helper()
	p, err := os.StartProcess("/bin/sh", []string{"sh", "-c", script}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	pid := p.Pid
	p.Release()
	return pid
}

func TestWaitAndCode(t *testing.T) {
	tests := []struct {
		name   string
		script string
		code   int
	}{
		{"exit 0", "exit 0", 0},
		{"exit 3", "exit 3", 3},
		{"exit 255", "exit 255", 255},
		{"killed by TERM", "kill -TERM $$", 128 + int(syscall.SIGTERM)},
		{"killed by KILL", "kill -KILL $$", 128 + int(syscall.SIGKILL)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pid := start(t, tt.script)
			ws, err := Wait(pid)
			if err != nil {
				t.Fatal(err)
			}
			if got := Code(ws); got != tt.code {
				t.Fatalf("Code = %d, want %d", got, tt.code)
			}
		})
	}
}

func TestDrain(t *testing.T) {
	want := map[int]bool{}
	for i := 0; i < 5; i++ {
		want[start(t, "exit 7")] = true
	}
	got := map[int]bool{}
	for len(got) < len(want) {
		// Block for one exit, then drain whatever else is there.
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		got[pid] = true
		Drain(func(pid int, ws unix.WaitStatus) {
			if ws.ExitStatus() != 7 {
				t.Errorf("pid %d status %d, want 7", pid, ws.ExitStatus())
			}
			got[pid] = true
		})
	}
	for pid := range want {
		if !got[pid] {
			t.Errorf("pid %d not reaped", pid)
		}
	}
	if n, none := Drain(func(int, unix.WaitStatus) {}); n != 0 || !none {
		t.Fatalf("Drain with no children = %d, %v; want 0, true", n, none)
	}
}
