package chpst_test

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
)

// account is a user the test created, with a primary group and one
// supplementary group.
type account struct {
	name, primary, extra string
	uid, gid, extraGid   int
}

// newAccount creates a user with useradd, in a primary and a
// supplementary group, and removes all three when the test ends.
func newAccount(t *testing.T) account {
	t.Helper()
	for _, tool := range []string{"useradd", "userdel", "groupadd", "groupdel"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	a := account{name: fmt.Sprintf("gorunit%d", os.Getpid())}
	a.primary, a.extra = a.name+"p", a.name+"x"
	sh := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%q: %v\n%s", args, err, out)
		}
	}
	sh("groupadd", a.primary)
	t.Cleanup(func() { exec.Command("groupdel", a.primary).Run() })
	sh("groupadd", a.extra)
	t.Cleanup(func() { exec.Command("groupdel", a.extra).Run() })
	sh("useradd", "-M", "-N", "-g", a.primary, "-G", a.extra, "-s", "/usr/sbin/nologin", a.name)
	// Cleanups run last-in first-out: the user goes before its groups.
	t.Cleanup(func() { exec.Command("userdel", a.name).Run() })
	a.uid = idOf(t, "-u", a.name)
	a.gid = idOf(t, "-g", a.name)
	a.extraGid = groupID(t, a.extra)
	return a
}

func idOf(t *testing.T, flag, name string) int {
	t.Helper()
	out, err := exec.Command("id", flag, name).Output()
	if err != nil {
		t.Fatalf("id %s %s: %v", flag, name, err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return n
}

func groupID(t *testing.T, name string) int {
	t.Helper()
	out, err := exec.Command("getent", "group", name).Output()
	if err != nil {
		t.Fatalf("getent group %s: %v", name, err)
	}
	f := strings.Split(string(out), ":")
	n, _ := strconv.Atoi(f[2])
	return n
}

// TestCreatedUser: a user with a supplementary group in /etc/group.
// -u user and setuidgid set its primary group only (runit calls no
// initgroups); -u user:group sets exactly the groups named.
func TestCreatedUser(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	ids := func(uid, gid int, groups ...int) []string {
		g := make([]string, len(groups))
		for i, n := range groups {
			g[i] = strconv.Itoa(n)
		}
		return []string{
			fmt.Sprintf("Uid: %d %d %d %d", uid, uid, uid, uid),
			fmt.Sprintf("Gid: %d %d %d %d", gid, gid, gid, gid),
			"Groups: " + strings.Join(g, " ") + "\n",
		}
	}
	lo, hi := min(a.gid, a.extraGid), max(a.gid, a.extraGid)
	cases := []stateCase{
		{name: "-u user", prog: "chpst", args: []string{"-u", a.name, "PROBE", "report"}, want: ids(a.uid, a.gid, a.gid)},
		{name: "-u user:group", prog: "chpst", args: []string{"-u", a.name + ":" + a.extra, "PROBE", "report"},
			want: ids(a.uid, a.extraGid, a.extraGid)},
		{name: "-u user:group:group", prog: "chpst", args: []string{"-u", a.name + ":" + a.extra + ":" + a.primary, "PROBE", "report"},
			want: ids(a.uid, a.extraGid, lo, hi)},
		{name: "setuidgid", prog: "setuidgid", args: []string{a.name, "PROBE", "report"}, want: ids(a.uid, a.gid, a.gid)},
		{name: "envuidgid", prog: "envuidgid", args: []string{a.name, "PROBE", "report"},
			want: []string{fmt.Sprintf("env: GID=%d", a.gid), fmt.Sprintf("env: UID=%d", a.uid), "Uid: 0 0 0 0"}},
		{name: "-U user:group", prog: "chpst", args: []string{"-U", a.name + ":" + a.extra, "PROBE", "report"},
			want: []string{fmt.Sprintf("env: GID=%d", a.extraGid), fmt.Sprintf("env: UID=%d", a.uid)}},
	}
	runStateCases(t, cases, map[string]string{})
}

// TestChroot: -/ into a small tree the test builds, holding the probe,
// the shell and tools it runs with their libraries, and its own
// /etc/passwd and /etc/group: users are looked up inside it, the lock is
// taken inside it, the program is found in it and starts in its root.
func TestChroot(t *testing.T) {
	t.Parallel()
	root := chrootTree(t)
	cases := []stateCase{
		{name: "user and group inside", prog: "chpst",
			args: []string{"-/", root, "-u", "inside:ingroup", "-l", "/shared/lock", "/bin/probe", "report"},
			want: []string{"cwd: /\n", "Uid: 4242 4242 4242 4242", "Gid: 4444 4444 4444 4444", "Groups: 4444\n",
				"inherited: /shared/lock flags 0106001"}},
		{name: "primary group inside", prog: "chpst", args: []string{"-/", root, "-u", "inside", "/bin/probe", "report"},
			want: []string{"Gid: 4343 4343 4343 4343", "Groups: 4343\n"}},
		{name: "-U inside, -e outside, PATH inside", prog: "chpst",
			args: []string{"-e", "e", "-/", root, "-U", "inside", "probe", "report"},
			env:  []string{"PATH=/bin"},
			want: []string{"env: GID=4343", "env: UID=4242", "env: FROM=outside"}},
		{name: "relative root", prog: "chpst", args: []string{"-/", "tree", "-n", "3", "/bin/probe", "report"},
			want: []string{"cwd: /\n", "nice: 3"}},
	}
	for i := range cases {
		cases[i].procIn = root
	}
	runStateCases(t, cases, map[string]string{"e/FROM": "outside\n"}, func(dir string) {
		if err := os.Symlink(root, filepath.Join(dir, "tree")); err != nil {
			t.Fatal(err)
		}
	})
}

// chrootTree builds the tree for TestChroot.
func chrootTree(t *testing.T) string {
	t.Helper()
	root := testutil.Tree(t, map[string]string{
		"etc/passwd": "root:x:0:0::/:/bin/sh\ninside:x:4242:4343::/:/bin/sh\n",
		"etc/group":  "root:x:0:\nprimary:x:4343:\ningroup:x:4444:inside\n",
		"proc/":      "",
		"bin/":       "",
		"shared/":    "",
	})
	if err := os.Chmod(filepath.Join(root, "shared"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin/probe"), []byte(probeScript), 0o755); err != nil {
		t.Fatal(err)
	}
	// The probe's shell and tools, and the libraries ldd says they need.
	for _, tool := range []string{"sh", "ls", "tr", "sort"} {
		path, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("%s not found: %v", tool, err)
		}
		copyInto(t, root, path, "/bin/"+tool)
		out, _ := exec.Command("ldd", path).Output() // fails for a static binary, which needs nothing
		for _, f := range strings.Fields(string(out)) {
			if strings.HasPrefix(f, "/") {
				copyInto(t, root, f, f)
			}
		}
	}
	return root
}

// copyInto copies the file from to root/to, keeping its mode.
func copyInto(t *testing.T, root, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(root, to)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fi.Mode().Perm())
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := io.Copy(out, src); err != nil {
		t.Fatal(err)
	}
}
