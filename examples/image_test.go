package examples

import (
	"archive/tar"
	"bufio"
	"debug/elf"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// busybox is where Debian's busybox-static puts its binary. A static one
// is needed: it runs in a root filesystem that has no C library.
const busybox = "/bin/busybox"

// image is what a Dockerfile of an example produced: a root filesystem in
// a directory, and how to start it.
type image struct {
	root       string
	user       string // USER, "" for root
	env        []string
	entrypoint []string
	cmd        []string
}

// argv is the container's command line: ENTRYPOINT then CMD, or cmd in
// place of CMD as `docker run IMAGE cmd...` does.
func (img *image) argv(cmd ...string) []string {
	if len(cmd) == 0 {
		cmd = img.cmd
	}
	return append(append([]string{}, img.entrypoint...), cmd...)
}

// needTools skips a test that cannot build and start the examples here,
// saying why: it needs root (namespaces, chroot, mknod) and a static
// busybox.
func needTools(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("needs root for namespaces and chroot; running as uid %d", os.Geteuid())
	}
	f, err := elf.Open(busybox)
	if err != nil {
		failOrSkip(t, "needs Debian's busybox-static (apt-get install busybox-static): %v", err)
		return
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			failOrSkip(t, "%s is dynamically linked; needs Debian's busybox-static (apt-get install busybox-static)", busybox)
		}
	}
}

// failOrSkip skips the test, or fails it under CI, whose .ci/run installs
// everything these tests need: there, a skip would hide a broken install.
func failOrSkip(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI: "+format, args...)
	}
	t.Skipf(format, args...)
}

// buildGorunit builds the suite's static multi-call binary, as `make
// build` does, into dir, so that the examples always run the current
// source (the build cache keeps it to a link step).
func buildGorunit(t *testing.T, dir string) string {
	t.Helper()
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH to build bin/gorunit: %v", err)
	}
	out := filepath.Join(dir, "gorunit")
	cmd := exec.Command(gocmd, "build", "-trimpath", "-ldflags=-s -w", "-o", out, "../cmd/gorunit")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/gorunit: %v\n%s", err, b)
	}
	return out
}

// buildContext lays out what an example's Dockerfile reads, as in the
// repository after `make build`: bin/gorunit and examples/NAME/. It
// returns the directory, the root of `docker build -f ... .`.
func buildContext(t *testing.T, example string) string {
	t.Helper()
	ctx := filepath.Join(t.TempDir(), "context")
	if err := os.MkdirAll(filepath.Join(ctx, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	buildGorunit(t, filepath.Join(ctx, "bin"))
	if err := copyTree(example, filepath.Join(ctx, "examples", example)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// baseRoot makes the base image in dir: busybox and a link for each of its
// applets in /bin, and the directories a container runtime mounts over.
// It stands for the examples' default base, docker.io/library/busybox.
func baseRoot(t *testing.T, dir string) {
	t.Helper()
	for _, d := range []string{"bin", "dev", "etc", "proc", "sys", "run", "var", "root"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "tmp"), 0o1777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, "tmp"), 0o1777)
	if err := copyFile(busybox, filepath.Join(dir, "bin", "busybox"), 0o755); err != nil {
		t.Fatal(err)
	}
	list, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		t.Fatalf("%s --list: %v", busybox, err)
	}
	for _, applet := range strings.Fields(string(list)) {
		if applet == "busybox" {
			continue
		}
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", applet)); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "etc", "passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "etc", "group"), []byte("root:x:0:\n"), 0o644)
}

// buildImage runs the example's Dockerfile the way docker would, on the
// base root, into a new directory: COPY and RUN (in new namespaces,
// chrooted, with busybox's sh) change the root; USER, ENV, ENTRYPOINT and CMD are kept. It knows
// only the instructions the examples use, and fails on any other, so that
// the test never passes on a Dockerfile it did not run.
func buildImage(t *testing.T, ctx, example string) *image {
	t.Helper()
	img := &image{root: filepath.Join(t.TempDir(), "rootfs")}
	baseRoot(t, img.root)
	for _, in := range parseDockerfile(t, filepath.Join(ctx, "examples", example, "Dockerfile")) {
		switch in.op {
		case "ARG", "FROM", "STOPSIGNAL":
			// FROM ${BASE}: the base root above.
		case "COPY":
			if len(in.args) != 2 {
				t.Fatalf("Dockerfile: COPY %v: want SRC DST", in.args)
			}
			src, dst := filepath.Join(ctx, in.args[0]), filepath.Join(img.root, in.args[1])
			fi, err := os.Stat(src)
			if err != nil {
				t.Fatalf("Dockerfile: COPY: %v", err)
			}
			if fi.IsDir() {
				err = copyTree(src, dst)
			} else {
				err = copyFile(src, dst, fi.Mode().Perm())
			}
			if err != nil {
				t.Fatalf("Dockerfile: COPY %v: %v", in.args, err)
			}
		case "RUN":
			argv := in.args
			if !in.exec {
				argv = []string{"/bin/sh", "-c", in.line}
			}
			// As docker's RUN: /proc mounted, no network.
			cmd := exec.Command("/usr/bin/unshare", append([]string{"--pid", "--fork", "--mount-proc", "--net", "--root=" + img.root}, argv...)...)
			cmd.Env = append([]string{"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME=/root"}, img.env...)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("Dockerfile: RUN %s: %v\n%s", in.line, err, b)
			}
		case "USER":
			img.user = in.line
		case "ENV":
			k, v, ok := strings.Cut(in.line, "=")
			if !ok || strings.ContainsAny(k, " \t") {
				t.Fatalf("Dockerfile: ENV %s: only ENV NAME=value is understood here", in.line)
			}
			img.env = append(img.env, k+"="+strings.Trim(v, `"`))
		case "ENTRYPOINT":
			img.entrypoint = in.args
		case "CMD":
			img.cmd = in.args
		default:
			t.Fatalf("Dockerfile: %s: not understood by this test's builder", in.op)
		}
	}
	// What a container runtime provides: /dev/null and friends.
	for _, d := range []struct {
		name         string
		major, minor uint32
	}{{"null", 1, 3}, {"zero", 1, 5}, {"urandom", 1, 9}} {
		path := filepath.Join(img.root, "dev", d.name)
		if err := syscall.Mknod(path, syscall.S_IFCHR|0o666, int(d.major<<8|d.minor)); err != nil {
			t.Fatalf("mknod %s: %v", path, err)
		}
		os.Chmod(path, 0o666)
	}
	return img
}

// instruction is one Dockerfile instruction: its keyword, its text, and
// its arguments (the JSON array of the exec form, or the words).
type instruction struct {
	op   string
	line string
	args []string
	exec bool // exec form: ["prog", "arg"]
}

// parseDockerfile reads the Dockerfile's instructions: continuation lines
// joined, comments and blank lines left out.
func parseDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []instruction
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cur.WriteString(strings.TrimSuffix(line, `\`) + " ")
			continue
		}
		cur.WriteString(line)
		op, rest, _ := strings.Cut(cur.String(), " ")
		cur.Reset()
		in := instruction{op: strings.ToUpper(op), line: strings.TrimSpace(rest)}
		if strings.HasPrefix(in.line, "[") {
			if err := json.Unmarshal([]byte(in.line), &in.args); err != nil {
				t.Fatalf("%s: %s %s: %v", path, op, in.line, err)
			}
			in.exec = true
		} else {
			in.args = strings.Fields(in.line)
		}
		out = append(out, in)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// copyTree copies the directory src to dst: directories, regular files
// with their permissions, and symlinks.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, fi.Mode().Perm()|0o700)
		case fi.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case strings.HasSuffix(path, "_test.go"):
			return nil
		default:
			return copyFile(path, target, fi.Mode().Perm())
		}
	})
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, mode)
}

// tarTree writes the directory root as a tar archive to path, for podman
// import; owners and modes as they are.
func tarTree(root, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		h.Name = rel
		if fi.IsDir() {
			h.Name += "/"
		}
		h.Uname, h.Gname = "", ""
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			in, err := os.Open(p)
			if err != nil {
				return err
			}
			defer in.Close()
			_, err = io.Copy(tw, in)
			return err
		}
		return nil
	})
	if err == nil {
		err = tw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// userCred turns USER "uid:gid" into credentials (numbers only, as the
// examples use: what Kubernetes' runAsNonRoot can check).
func userCred(t *testing.T, user string) *syscall.Credential {
	t.Helper()
	if user == "" {
		return nil
	}
	u, g, _ := strings.Cut(user, ":")
	uid, err1 := strconv.ParseUint(u, 10, 32)
	gid, err2 := strconv.ParseUint(g, 10, 32)
	if err1 != nil || err2 != nil {
		t.Fatalf("USER %s: the examples' users are numeric uid:gid", user)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
}
