package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// registry remembers every runsv and temp dir the harness made and has
// not cleaned up yet, so that an interrupt can stop them by pid. The
// signal goroutine reads it while benchmarks change it, hence the mutex.
type registry struct {
	mu   sync.Mutex
	sups map[*supervisor]bool
	dirs map[string]bool
}

var started = &registry{sups: map[*supervisor]bool{}, dirs: map[string]bool{}}

func (r *registry) addSupervisor(s *supervisor) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sups[s] = true
}

func (r *registry) removeSupervisor(s *supervisor) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.sups, s)
}

// livePIDs are the pids of the registered runsv, which are our children
// but not orphans.
func (r *registry) livePIDs() map[int]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	live := map[int]bool{}
	for s := range r.sups {
		live[s.pid()] = true
	}
	return live
}

func (r *registry) addDir(dir string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dirs[dir] = true
}

func (r *registry) removeDir(dir string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.dirs, dir)
}

// abort kills every runsv still registered, then every child left (their
// services, now ours as subreaper, and any sv in flight), all by pid, and
// removes the temp dirs. It is for interrupts: no 'x', no waiting.
func (r *registry) abort() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for s := range r.sups {
		s.cmd.Process.Kill()
	}
	live := map[int]bool{}
	for s := range r.sups {
		if !s.waitExit(killTimeout) {
			live[s.pid()] = true // still ours to reap: not an orphan
		}
	}
	fmt.Printf("killed %d runsv, then %d processes they left\n", len(r.sups), len(killOrphans(live)))
	for dir := range r.dirs {
		os.RemoveAll(dir)
	}
}

// killOrphan kills and reaps pid if it is a child of the harness: a
// service whose runsv died before it, handed to us as subreaper. Checking
// the parent first means a pid reused by another process is left alone.
func killOrphan(pid int) bool {
	if ppid, _, err := procStat(pid); err != nil || ppid != os.Getpid() {
		return false
	}
	unix.Kill(pid, unix.SIGKILL)
	var ws unix.WaitStatus
	unix.Wait4(pid, &ws, 0, nil)
	return true
}

// killOrphans kills and reaps every child of the harness whose pid is not
// in live, and describes each ("pid 123 (sleep)"). Between benchmarks
// there should be none.
func killOrphans(live map[int]bool) []string {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		fmt.Printf("warning: cannot look for leftover processes: %v\n", err)
		return nil
	}
	var killed []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || live[pid] {
			continue
		}
		if _, comm, err := procStat(pid); err == nil && killOrphan(pid) {
			killed = append(killed, fmt.Sprintf("pid %d (%s)", pid, comm))
		}
	}
	return killed
}

// procStat reads the parent pid and command name of pid from
// /proc/pid/stat ("pid (comm) state ppid ..."; comm may hold spaces and
// parentheses, so split at the last ')').
func procStat(pid int) (ppid int, comm string, err error) {
	path := fmt.Sprintf("/proc/%d/stat", pid)
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, "", fmt.Errorf("read %s: %w", path, err)
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return 0, "", fmt.Errorf("read %s: no command name", path)
	}
	fields := strings.Fields(s[end+1:])
	if len(fields) < 2 {
		return 0, "", fmt.Errorf("read %s: too short", path)
	}
	ppid, err = strconv.Atoi(fields[1])
	if err != nil {
		return 0, "", fmt.Errorf("read %s: parent pid: %w", path, err)
	}
	return ppid, s[open+1 : end], nil
}
