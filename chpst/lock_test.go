package chpst_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
)

// holdLock starts `chpst -l lock probe hold ready` with im and waits
// until the probe runs, holding the lock. It returns the process, whose
// pid is chpst's and, after exec, the probe's.
func holdLock(t *testing.T, im impl, dir, lock string) *testutil.Proc {
	t.Helper()
	ready := filepath.Join(dir, "ready-"+im.name)
	os.Remove(ready)
	p := run{dir: dir}.start(t, im.bin(t, "chpst"), "-l", lock, probeBin(t), "hold", ready)
	testutil.Eventually(t, "the lock holder to start", func() bool {
		_, err := os.Stat(ready)
		return err == nil || p.Exited()
	})
	if p.Exited() {
		t.Fatalf("%s chpst -l %s exited: %s", im.name, lock, p.Stderr)
	}
	return p
}

// flockHolders returns the pids /proc/locks names for the file's inode:
// the holders, and the waiters (blocked, "->").
func flockHolders(t *testing.T, path string) (holders, waiters []int) {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	ino := ":" + strconv.FormatUint(st.Ino, 10)
	for _, line := range strings.Split(testutil.ReadFile("/proc/locks"), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || !strings.Contains(line, "FLOCK") {
			continue
		}
		waiting := f[1] == "->"
		if waiting {
			f = f[1:]
		}
		// n: FLOCK ADVISORY WRITE pid maj:min:ino start end
		if !strings.HasSuffix(f[5], ino) {
			continue
		}
		pid, _ := strconv.Atoi(f[4])
		if waiting {
			waiters = append(waiters, pid)
		} else {
			holders = append(holders, pid)
		}
	}
	return holders, waiters
}

func contains(pids []int, pid int) bool {
	for _, p := range pids {
		if p == pid {
			return true
		}
	}
	return false
}

// TestLockContention: a lock held by one chpst's program makes -L and
// setlock fail at once, setlock -x exit 0, and -l and setlock -n wait
// until it is released. Ours holds and Debian's tries, and the other way
// round (ours against ours without Debian's runit).
func TestLockContention(t *testing.T) {
	t.Parallel()
	pairs := [][2]impl{{ours, ours}}
	if all := impls(); len(all) > 1 {
		pairs = [][2]impl{{ours, all[1]}, {all[1], ours}}
	}
	for _, pair := range pairs {
		holder, other := pair[0], pair[1]
		t.Run(holder.name+" holds, "+other.name+" tries", func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			lock := "lock"
			h := holdLock(t, holder, dir, lock)

			// The program holds the lock, in chpst's own pid: exec, not fork.
			holders, _ := flockHolders(t, filepath.Join(dir, lock))
			if !contains(holders, h.Pid()) {
				t.Errorf("lock holders %v, want chpst's pid %d (the probe after exec)", holders, h.Pid())
			}
			if fi, err := os.Stat(filepath.Join(dir, lock)); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("lock file: %v, mode %v; want 0600", err, fi.Mode())
			}

			busy := "chpst: fatal: unable to lock: lock: temporary failure\n"
			for _, tc := range []struct {
				prog   string
				args   []string
				stderr string
				code   int
			}{
				{"chpst", []string{"-L", lock, "true"}, busy, 111},
				{"setlock", []string{lock, "true"}, busy, 111},
				{"setlock", []string{"-N", lock, "true"}, busy, 111},
				{"setlock", []string{"-x", lock, "true"}, "", 0},
			} {
				got := run{dir: dir}.exec(t, other.bin(t, tc.prog), tc.args...)
				if want := (result{stderr: tc.stderr, code: tc.code}); got != want {
					t.Errorf("%s %q while held:\n got %v\nwant %v", tc.prog, tc.args, got, want)
				}
			}

			// Two waiters, chpst -l and setlock -n: blocked in flock
			// until the holder goes.
			done1, done2 := filepath.Join(dir, "done1"), filepath.Join(dir, "done2")
			w1 := run{dir: dir}.start(t, other.bin(t, "chpst"), "-l", lock, probeBin(t), "write", done1)
			w2 := run{dir: dir}.start(t, other.bin(t, "setlock"), "-n", lock, probeBin(t), "write", done2)
			testutil.Eventually(t, "both waiters blocked on the lock", func() bool {
				_, waiters := flockHolders(t, filepath.Join(dir, lock))
				return contains(waiters, w1.Pid()) && contains(waiters, w2.Pid()) || w1.Exited() || w2.Exited()
			})
			if w1.Exited() || w2.Exited() {
				t.Fatalf("a waiter exited while the lock was held: %q %q", w1.Stderr, w2.Stderr)
			}
			h.Signal(syscall.SIGTERM)
			h.Wait(t)
			for _, w := range []*testutil.Proc{w1, w2} {
				if code := w.Wait(t); code != 0 {
					t.Errorf("waiter exit %d: %s", code, w.Stderr)
				}
			}
			for _, f := range []string{done1, done2} {
				if !strings.Contains(testutil.ReadFile(f), "inherited: "+filepath.Join(dir, lock)+" flags 0106001") {
					t.Errorf("%s: the waiter's program does not hold the lock:\n%s", f, testutil.ReadFile(f))
				}
			}
		})
	}
}

// TestLockFlock: chpst's lock is flock(2), so util-linux flock(1)
// respects it, and chpst respects flock(1)'s.
func TestLockFlock(t *testing.T) {
	t.Parallel()
	flock, err := exec.LookPath("flock")
	if err != nil {
		t.Skip("flock(1) not installed")
	}
	dir := t.TempDir()
	h := holdLock(t, ours, dir, "lock")
	if got := (run{dir: dir}.exec(t, flock, "-n", "lock", "true")); got.code != 1 {
		t.Errorf("flock -n on our held lock: %v, want exit 1", got)
	}
	h.Signal(syscall.SIGTERM)
	h.Wait(t)

	ready := filepath.Join(dir, "flock-ready")
	f := run{dir: dir}.start(t, flock, "lock", "sh", "-c", `touch "$0" && exec sleep 60`, ready)
	testutil.Eventually(t, "flock(1) to hold the lock", func() bool {
		_, err := os.Stat(ready)
		return err == nil || f.Exited()
	})
	got := run{dir: dir}.exec(t, testutil.Bin("chpst"), "-L", "lock", "true")
	if want := (result{stderr: "chpst: fatal: unable to lock: lock: temporary failure\n", code: 111}); got != want {
		t.Errorf("chpst -L on flock(1)'s lock:\n got %v\nwant %v", got, want)
	}
}
