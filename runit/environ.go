package runit

// The container environment, as phusion's my_init keeps it: at start the
// variables in the files of /etc/container_environment (one file per
// variable, an envdir) are imported, and then the whole environment is
// written back there, and to /etc/container_environment.sh (shell export
// lines, for ssh logins and cron jobs) and .json. Services read it with
// chpst -e or by sourcing the .sh file.

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gorunit/gorunit/internal/errtext"
	"github.com/gorunit/gorunit/internal/jsontext"
)

// containerEnvVar moves the directory or, set to "off", turns it off.
const containerEnvVar = "GORUNIT_CONTAINER_ENV"

// envGroup is my_init's group for the environment files: members may read
// them (mode 0640), everyone else may not.
const envGroup = "docker_env"

// notExported are the variables my_init leaves out of the directory and
// the .sh file: they belong to whoever logs in, not to the container.
var notExported = map[string]bool{"HOME": true, "USER": true, "GROUP": true, "UID": true, "GID": true, "SHELL": true}

// importEnv sets our environment from the files in dir. A variable
// already set keeps its value unless override (docker run -e wins over
// the image's files at start; a start-up script's files win over what was
// there before). As my_init, a file's whole content is the value, less
// one trailing newline; an empty file sets an empty value.
func importEnv(dir string, override bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return // none yet: nothing to import
	}
	for _, e := range entries {
		name := e.Name()
		if strings.ContainsAny(name, "=\x00") || e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		if _, set := os.LookupEnv(name); set && !override {
			continue
		}
		os.Setenv(name, strings.TrimSuffix(string(b), "\n"))
	}
}

// exportEnv writes our environment to dir (when toDir), dir.sh and
// dir.json, each file mode 0600, or 0640 and group docker_env when that
// group exists. The first error stops it and is returned.
func exportEnv(dir string, toDir bool) error {
	vars := environMap()
	mode, gid := os.FileMode(0o600), -1
	if g, err := user.LookupGroup(envGroup); err == nil {
		if n, err := strconv.Atoi(g.Gid); err == nil {
			mode, gid = 0o640, n
		}
	}
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	sort.Strings(names)
	if toDir {
		if _, err := os.Stat(dir); err != nil {
			if err := os.MkdirAll(dir, mode|0o100|(mode&0o040)>>2); err != nil { // 0700, or 0750
				return err
			}
			if gid >= 0 {
				os.Chown(dir, -1, gid)
			}
		}
		for _, n := range names {
			if notExported[n] || !fileName(n) {
				continue
			}
			if err := writePrivate(filepath.Join(dir, n), []byte(vars[n]), mode, gid); err != nil {
				return err
			}
		}
	}
	var sh strings.Builder
	for _, n := range names {
		if notExported[n] || !shellName(n) {
			continue
		}
		fmt.Fprintf(&sh, "export %s=%s\n", n, shellQuote(vars[n]))
	}
	if err := writePrivate(dir+".sh", []byte(sh.String()), mode, gid); err != nil {
		return err
	}
	js := []byte{'{'}
	for i, n := range names {
		if i > 0 {
			js = append(js, ',')
		}
		js = jsontext.AppendString(js, n)
		js = append(js, ':')
		js = jsontext.AppendString(js, vars[n])
	}
	return writePrivate(dir+".json", append(js, '}', '\n'), mode, gid)
}

// environMap is our environment as a map; the last of duplicates wins.
func environMap() map[string]string {
	m := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			m[k] = v
		}
	}
	return m
}

// writePrivate replaces path with data, mode and group gid (-1: ours),
// through a temporary file that nobody else can read at any time.
func writePrivate(path string, data []byte, mode os.FileMode, gid int) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".new")
	os.Remove(tmp)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil && gid >= 0 {
		err = f.Chown(-1, gid)
	}
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// fileName reports whether a variable's name can be a file's name.
func fileName(n string) bool {
	return n != "." && n != ".." && !strings.HasPrefix(n, ".") && !strings.ContainsAny(n, "/\x00")
}

// shellName reports whether a shell can export the name.
func shellName(n string) bool {
	for i, r := range n {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return n != ""
}

// shellQuote quotes s for a POSIX shell: in single quotes, where only the
// single quote itself needs care ('\”).
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// setupEnvironment imports and exports the container environment at
// start; failing to write (a read-only root, not root) is one warning.
func (c *container) setupEnvironment() {
	if c.envDir == "" {
		return
	}
	importEnv(c.envDir, false)
	c.exportEnvironment(true)
	if !c.envWarned {
		linkProfile(c.envDir)
	}
}

// linkProfile makes login shells (ssh, docker exec ... bash -l, cron with
// a login shell) read the container environment, as phusion's image does
// (baseimage-docker#54: PATH and docker run -e missing over ssh):
// profile.d/container_environment.sh beside the directory, when there is
// a profile.d and no such entry yet, links to the .sh file. /etc/profile
// sources profile.d/*.sh on Debian, Alpine and most others.
func linkProfile(envDir string) {
	profile := filepath.Join(filepath.Dir(envDir), "profile.d")
	if st, err := os.Stat(profile); err != nil || !st.IsDir() {
		return
	}
	link := filepath.Join(profile, filepath.Base(envDir)+".sh")
	if _, err := os.Lstat(link); err == nil {
		return // the image has its own
	}
	os.Symlink(envDir+".sh", link)
}

// exportEnvironment writes the environment out, and warns once, the
// first time it fails.
func (c *container) exportEnvironment(toDir bool) {
	if c.envDir == "" || c.envWarned {
		return
	}
	if err := exportEnv(c.envDir, toDir); err != nil {
		c.envWarned = true
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = fmt.Errorf("%s: %s", pe.Path, errtext.Of(pe.Err))
		}
		c.warn("unable to write the container environment: %v", err)
	}
}
