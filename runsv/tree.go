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
// they get TERM and CONT with it; once its process is gone, what is left
// gets them too, and KILL after the grace.
type tree struct {
	sessions []int     // session and process-group ids that are the service's
	killAt   time.Time // when the KILL is due; zero while no ending runs
	termed   []int     // pids that already got TERM in this ending
	groups   bool      // the groups in sessions got TERM at the stop
}

// active reports whether an ending is under way.
func (t *tree) active() bool { return !t.killAt.IsZero() }

// members lists the live processes of the service's sessions and groups.
func (t *tree) members() []proc.Process {
	if len(t.sessions) == 0 {
		return nil
	}
	self := os.Getpid()
	var out []proc.Process
	for _, p := range proc.List() {
		if p.PID == self || p.Zombie() {
			continue
		}
		if slices.Contains(t.sessions, p.SID) || slices.Contains(t.sessions, p.PGID) {
			out = append(out, p)
		}
	}
	return out
}

// hadTERM reports whether p already had its TERM in this ending.
func (t *tree) hadTERM(p proc.Process) bool {
	return slices.Contains(t.termed, p.PID) || (t.groups && slices.Contains(t.sessions, p.PGID))
}

// done forgets an ending that is over.
func (t *tree) done() {
	t.killAt = time.Time{}
	t.termed = t.termed[:0]
	t.groups = false
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

// termGroups stops a kill-tree service: TERM and CONT to each of its
// process groups at once (./run's, which holds its & and nohup children,
// and a followed daemon's), instead of runit's TERM to the pid alone. It
// reports false when the service has no group to signal (then the caller
// sends runit's TERM). Members in other groups of the session get theirs
// when the service's process is gone (endTree).
func (r *runsv) termGroups(s *service) bool {
	// The process may have changed its session or group since it was
	// taken in: a followed daemon is often adopted between its parent's
	// exit and its own setsid(), so look again now.
	s.tree.add(s.pid)
	sent := false
	for _, id := range s.tree.sessions {
		if unix.Kill(-id, unix.SIGTERM) == nil {
			unix.Kill(-id, unix.SIGCONT)
			sent = true
		}
	}
	if !sent {
		return false
	}
	s.tree.groups = true
	if pg, err := unix.Getpgid(s.pid); err == nil && !slices.Contains(s.tree.sessions, pg) {
		r.kill(s, unix.SIGTERM) // the pid left its group: runit's TERM still reaches it
	}
	return true
}

// termTree sends TERM and CONT to every member of the service's tree that
// has not had them yet, and returns the members.
func (r *runsv) termTree(s *service) []proc.Process {
	members := s.tree.members()
	for _, p := range members {
		if !s.tree.hadTERM(p) {
			unix.Kill(p.PID, unix.SIGTERM)
			unix.Kill(p.PID, unix.SIGCONT)
			s.tree.termed = append(s.tree.termed, p.PID)
		}
	}
	return members
}

// endTree is called once the service's process is gone: what is left of
// its tree gets TERM (if it had none yet) and KILL after the grace. The
// KILL clock starts only now, so a service that takes long to stop is
// not cut short (runit's sv and runit's stop timeout deal with that);
// processes its stop started meanwhile are not disturbed before it ends.
func (r *runsv) endTree(s *service) {
	if !s.opts.killTree {
		return
	}
	if len(r.termTree(s)) == 0 {
		s.tree.done()
		return
	}
	if !s.tree.active() {
		s.tree.killAt = time.Now().Add(s.opts.killGrace)
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
		s.tree.done()
		return 0
	}
	wait := time.Until(s.tree.killAt)
	if wait <= 0 {
		for _, p := range members {
			unix.Kill(p.PID, unix.SIGKILL)
		}
		return treePoll
	}
	return min(wait, treePoll)
}
