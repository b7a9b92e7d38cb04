package runsv

import (
	"os"
	"slices"
	"time"

	"github.com/gorunit/gorunit/internal/proc"
	"golang.org/x/sys/unix"
)

// treePoll is how often runsv looks at a tree it is ending: the members
// are not its children, so no SIGCHLD tells it when they are gone.
const treePoll = 50 * time.Millisecond

// tree is what a kill-tree service owns beyond its pid: every process in
// the session ./run was started in (and the session of a daemon it left),
// which is where nohup'ed and &'ed children stay. When the service stops
// or ./run exits, they get TERM and CONT, and KILL after the grace.
type tree struct {
	sessions []int     // session and process-group ids that are the service's
	killAt   time.Time // when the KILL is due; zero while no ending runs
	termed   []int     // pids that already got TERM in this ending
}

// active reports whether an ending is under way.
func (t *tree) active() bool { return !t.killAt.IsZero() }

// members lists the live processes of the service's sessions and groups.
func (t *tree) members() []int {
	if len(t.sessions) == 0 {
		return nil
	}
	self := os.Getpid()
	var out []int
	for _, p := range proc.List() {
		if p.PID == self || p.Zombie() {
			continue
		}
		if slices.Contains(t.sessions, p.SID) || slices.Contains(t.sessions, p.PGID) {
			out = append(out, p.PID)
		}
	}
	return out
}

// add makes the session and group of pid part of the service's tree.
func (t *tree) add(pid int) {
	p, ok := proc.Get(pid)
	if !ok {
		return
	}
	for _, id := range []int{p.SID, p.PGID} {
		if id > 1 && !slices.Contains(t.sessions, id) {
			t.sessions = append(t.sessions, id)
		}
	}
}

// endTree starts ending the service's tree: TERM and CONT to every
// member, KILL at the grace. A second call during an ending only TERMs
// members that appeared since.
func (r *runsv) endTree(s *service) {
	if !s.opts.killTree {
		return
	}
	members := s.tree.members()
	if len(members) == 0 && !s.tree.active() {
		return
	}
	if !s.tree.active() {
		s.tree.killAt = time.Now().Add(s.opts.killGrace)
	}
	for _, pid := range members {
		if !slices.Contains(s.tree.termed, pid) {
			unix.Kill(pid, unix.SIGTERM)
			unix.Kill(pid, unix.SIGCONT)
			s.tree.termed = append(s.tree.termed, pid)
		}
	}
}

// tendTree moves an ending on: done when no member is left, KILL to all
// after the grace. It returns when to look again, or 0 when done.
func (r *runsv) tendTree(s *service) time.Duration {
	if !s.tree.active() {
		return 0
	}
	members := s.tree.members()
	if len(members) == 0 {
		s.tree.killAt = time.Time{}
		s.tree.termed = s.tree.termed[:0]
		return 0
	}
	wait := time.Until(s.tree.killAt)
	if wait <= 0 {
		for _, pid := range members {
			unix.Kill(pid, unix.SIGKILL)
		}
		return treePoll
	}
	r.endTree(s) // TERM latecomers
	return min(wait, treePoll)
}
