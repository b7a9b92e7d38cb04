package chpst

import (
	"strings"
	"syscall"
)

// defaultPath is where djb's pathexec looks when $PATH is not set.
const defaultPath = "/bin:/usr/bin"

// candidates lists the paths djb's pathexec_run tries for file: file
// itself if it has a slash, else file in each directory of chpst's own
// $PATH (not one set by -e), an empty entry being ".".
func candidates(file string) []string {
	if strings.Contains(file, "/") {
		return []string{file}
	}
	path, ok := syscall.Getenv("PATH")
	if !ok {
		path = defaultPath
	}
	var paths []string
	for dir := range strings.SplitSeq(path, ":") {
		if dir == "" {
			dir = "."
		}
		paths = append(paths, dir+"/"+file)
	}
	return paths
}

// pathExec executes the first of paths that can be, as pathexec_run
// does: a missing file moves on to the next, and so do EACCES, EPERM and
// EISDIR, though they are remembered and reported at the end; any other
// error stops the search. It returns only when nothing could be executed.
func pathExec(paths, argv, env []string) error {
	var err, saved error
	for _, p := range paths {
		err = syscall.Exec(p, argv, env)
		if err == syscall.ENOENT {
			continue
		}
		saved = err
		if err != syscall.EACCES && err != syscall.EPERM && err != syscall.EISDIR {
			return err
		}
	}
	if saved != nil {
		return saved
	}
	return err
}
