package runit

// my_init's conventions (phusion baseimage-docker): start-up scripts in
// /etc/my_init.d and /etc/rc.local, run before the services; shutdown
// scripts in /etc/my_init.pre_shutdown.d, run before the services stop,
// and /etc/my_init.post_shutdown.d, run after. Called as my_init, runit
// runs all of them; called as runit, only the directories that exist
// (rc.local is a machine's boot script that many images carry from their
// distribution, so plain runit leaves it alone).

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// etcDir holds my_init's files and the container environment. It is a
// variable only so that tests can point it elsewhere (export_test.go);
// empty turns all of them off.
var etcDir = "/etc"

// holdVar turns the hold on failure on (1) or off (0).
const holdVar = "GORUNIT_HOLD"

// killTreeVar is what runsv reads to end a service's whole process tree
// when it stops (internal/optin.KillTreeEnv); container mode sets it to
// on for runsvdir unless it is set already.
const killTreeVar = "GORUNIT_KILL_TREE"

// newContainer is container mode with its defaults, my_init's paths
// under etcDir included.
func newContainer(name string, stdio [3]*os.File) *container {
	c := &container{
		name: name, stdio: stdio, stderr: stdio[2],
		svdir: defaultSVDIR, timeout: defaultStopTimeout, killGrace: defaultKillGrace,
		rw: rewrites{}, killAll: true, verbose: name == "my_init",
	}
	if etcDir == "" {
		return c
	}
	c.envDir = filepath.Join(etcDir, "container_environment")
	c.initDir = filepath.Join(etcDir, "my_init.d")
	c.preDir = filepath.Join(etcDir, "my_init.pre_shutdown.d")
	c.postDir = filepath.Join(etcDir, "my_init.post_shutdown.d")
	if name == "my_init" {
		c.rcLocal = filepath.Join(etcDir, "rc.local")
	}
	return c
}

// scripts lists the executable files in dir in lexical order, as my_init
// does (its listdir is sorted); a missing directory has none.
func scripts(dir string) []string {
	if dir == "" {
		return nil
	}
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if p := filepath.Join(dir, e.Name()); executable(p) {
			out = append(out, p)
		}
	}
	return out
}

// executable reports whether path is a regular file we may execute
// (my_init's is_exe: isfile and access X_OK).
func executable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && unix.Access(path, unix.X_OK) == nil
}

// startupScripts lists what runs before the services: my_init.d's
// scripts, then rc.local when it is executable.
func (c *container) startupScripts() []string {
	if c.skipStartup {
		return nil
	}
	list := scripts(c.initDir)
	if c.rcLocal != "" && executable(c.rcLocal) {
		list = append(list, c.rcLocal)
	}
	return list
}
