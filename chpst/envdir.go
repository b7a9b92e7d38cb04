package chpst

import (
	"bytes"
	"strings"
	"syscall"
)

// readEnvDir reads the environment directory dir as runit's edir does and
// returns its settings in directory order, each "name=value" (set) or
// "name" (unset), for mergeEnv.
//
// Each file not named .* gives one variable: its first line, trailing
// spaces and tabs removed, NUL bytes turned into newlines; an empty file
// unsets the variable. A file that vanished (a dangling symlink) reuses
// what is left of the previous file's buffer, as runit's static buffer
// does: it unsets the variable when it comes first, else repeats the
// previous value up to its first newline (or with a newline appended).
// A subdirectory is skipped by chpst -e (warned about with -v) and fatal
// for envdir (skipDirs false).
//
// runit changes into dir to read it and back afterwards; so do we, so
// that the same errors come out in the same order.
func (r *runner) readEnvDir(dir string, skipDirs bool) ([]string, error) {
	wdir, err := syscall.Open(".", syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &failure{msg: "unable to open current working directory", err: err}
	}
	defer syscall.Close(wdir)
	if err := syscall.Chdir(dir); err != nil {
		return nil, &failure{msg: "unable to switch to directory: " + dir, err: err}
	}
	d, err := syscall.Open(".", syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC|syscall.O_DIRECTORY, 0)
	if err != nil {
		return nil, &failure{msg: "unable to open directory: " + dir, err: err}
	}
	defer syscall.Close(d)

	var env []string
	var sa []byte // runit's static stralloc, kept from one file to the next
	buf := make([]byte, 8192)
	for {
		n, err := syscall.ReadDirent(d, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &failure{msg: "unable to read directory: " + dir, err: err}
		}
		if n == 0 {
			break
		}
		_, _, names := syscall.ParseDirent(buf[:n], -1, nil)
		for _, name := range names {
			if name[0] == '.' {
				continue
			}
			content, found, err := readEnvFile(name)
			if err != nil {
				if err == syscall.EISDIR && skipDirs {
					if r.plan.verbose {
						r.out.warn("unable to read "+dir+"/"+name, err)
					}
					sa = sa[:0]
					continue
				}
				return nil, &failure{msg: "unable to read " + dir + "/" + name, err: err}
			}
			if found {
				sa = content
			}
			if len(sa) == 0 {
				env = append(env, name)
				continue
			}
			if i := bytes.IndexByte(sa, '\n'); i >= 0 {
				sa = sa[:i]
			}
			sa = bytes.TrimRight(sa, " \t")
			for i := range sa {
				if sa[i] == 0 {
					sa[i] = '\n'
				}
			}
			env = append(env, name+"="+string(sa))
			sa = append(sa, 0) // stralloc_0 counts the terminator in the length
		}
	}
	if err := syscall.Fchdir(wdir); err != nil {
		return nil, &failure{msg: "unable to switch to starting directory", err: err}
	}
	return env, nil
}

// readEnvFile reads one file of an environment directory. found is false
// when it does not exist (runit's openreadclose returns 0 then and leaves
// its buffer as it was).
func readEnvFile(name string) (content []byte, found bool, err error) {
	fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err == syscall.ENOENT {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer syscall.Close(fd)
	content, err = readAll(fd)
	if err != nil {
		return nil, false, err
	}
	return content, true, nil
}

// mergeEnv applies settings to environ as runit's pathexec_env_run does:
// for each setting in order, the first variable of that name is removed
// (the last variable takes its place), then "name=value" is appended.
// The order of the result is runit's, so a program sees the same
// environment, in the same order, from either chpst.
func mergeEnv(environ, settings []string) []string {
	e := append([]string(nil), environ...)
	for _, s := range settings {
		split := strings.IndexByte(s, '=')
		if split < 0 {
			split = len(s)
		}
		for t := range e {
			if len(e[t]) > split && e[t][:split] == s[:split] && e[t][split] == '=' {
				e[t] = e[len(e)-1]
				e = e[:len(e)-1]
				break
			}
		}
		if split < len(s) {
			e = append(e, s)
		}
	}
	return e
}
