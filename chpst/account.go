package chpst

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"syscall"
)

// Users and groups are looked up in /etc/passwd and /etc/group only, read
// after the chroot (runit looks them up there too), the way glibc's
// "files" service reads them. runit calls getpwnam and getgrnam, which
// may ask other NSS services as well; a static Go binary cannot load
// those, and chpst's users are local accounts (FIELD-NOTES 4.13).
const (
	passwdFile = "/etc/passwd"
	groupFile  = "/etc/group"
)

// maxGroups is how many groups runit's struct uidgid holds; names after
// the 60th are ignored, a 61st number is an error (uidgid.c).
const maxGroups = 60

// ids are the user and groups to switch to: gids[0] is the primary group,
// and all of gids become the supplementary groups.
type ids struct {
	uid  uint32
	gids []uint32
}

// Lookup errors other than an errno from reading the files.
var (
	// errNotFound: the files were read but hold no such entry (runit's
	// "unknown ..." messages, printed without an errno).
	errNotFound = errors.New("no such entry")
	// errInvalid: a numeric ":uid:gid" form that does not parse.
	errInvalid = errors.New("invalid uid/gids")
)

// lookupAccount is runit's uidgid_get, for setuidgid and envuidgid: a user
// name, whose primary group alone becomes the group list (no initgroups).
func lookupAccount(name string) (ids, error) {
	uid, gid, err := lookupUser(name)
	if err != nil {
		return ids{}, err
	}
	return ids{uid: uid, gids: []uint32{gid}}, nil
}

// lookupSpec is runit's uidgids_get, for chpst -u and -U:
// "user[:group...]" by name, or ":uid:gid[:gid...]" by number. A user
// without groups gets its primary group only; with groups, exactly those.
func lookupSpec(spec string) (ids, error) {
	if rest, ok := strings.CutPrefix(spec, ":"); ok {
		return parseNumeric(rest)
	}
	name, groups, hasGroups := strings.Cut(spec, ":")
	uid, gid, err := lookupUser(name)
	if err != nil {
		return ids{}, err
	}
	if !hasGroups {
		return ids{uid: uid, gids: []uint32{gid}}, nil
	}
	u := ids{uid: uid}
	for len(u.gids) < maxGroups {
		g, more, hasMore := strings.Cut(groups, ":")
		gid, err := lookupGroup(g)
		if err != nil {
			return ids{}, err
		}
		u.gids = append(u.gids, gid)
		if !hasMore {
			break
		}
		groups = more
	}
	return u, nil
}

// parseNumeric is runit's uidgids_set: "uid:gid[:gid...]" (after the
// leading colon). Numbers are read as scan_ulong reads them, so an empty
// one is 0 ("5:" is uid 5, gid 0); "5" alone, or anything after the
// numbers, is invalid.
func parseNumeric(s string) (ids, error) {
	uid, n := scanUlong(s)
	s = s[n:]
	if !strings.HasPrefix(s, ":") {
		return ids{}, errInvalid
	}
	s = s[1:]
	u := ids{uid: uint32(uid)}
	for len(u.gids) < maxGroups {
		gid, n := scanUlong(s)
		u.gids = append(u.gids, uint32(gid))
		s = s[n:]
		if !strings.HasPrefix(s, ":") {
			break
		}
		s = s[1:]
	}
	if s != "" {
		return ids{}, errInvalid
	}
	return u, nil
}

// lookupUser returns the uid and primary gid of the user called name.
// An error is errNotFound or the errno of reading the file.
func lookupUser(name string) (uid, gid uint32, err error) {
	// name:passwd:uid:gid[:gecos:dir:shell]
	v, err := findIDs(passwdFile, name, 2, 3)
	if err != nil {
		return 0, 0, err
	}
	return v[0], v[1], nil
}

// lookupGroup returns the gid of the group called name.
func lookupGroup(name string) (uint32, error) {
	// name:passwd:gid[:members]
	v, err := findIDs(groupFile, name, 2)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// findIDs returns the numeric fields cols of the first well-formed line
// of file whose first field is name. Like glibc's files service it skips
// leading blanks, empty lines, comments and lines whose numbers do not
// parse, and never matches a name starting with + or - (NIS compat
// entries).
func findIDs(file, name string, cols ...int) ([]uint32, error) {
	data, err := readFile(file)
	if err != nil {
		return nil, err
	}
	if name == "" || name[0] == '+' || name[0] == '-' {
		return nil, errNotFound
	}
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		line = bytes.TrimLeft(line, " \t\v\f\r")
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		fields := strings.Split(string(line), ":")
		if fields[0] != name {
			continue
		}
		if v, ok := parseIDs(fields, cols); ok {
			return v, nil
		}
	}
	return nil, errNotFound
}

// parseIDs reads the fields cols as 32-bit ids, digits only.
func parseIDs(fields []string, cols []int) ([]uint32, bool) {
	v := make([]uint32, len(cols))
	for i, c := range cols {
		if c >= len(fields) {
			return nil, false
		}
		n, err := strconv.ParseUint(fields[c], 10, 32)
		if err != nil {
			return nil, false
		}
		v[i] = uint32(n)
	}
	return v, true
}

// readFile reads a whole file with plain system calls: chpst opens no
// file through package os, so that no descriptor of the Go runtime's
// poller takes a low number that the lock (-l) should get.
func readFile(path string) ([]byte, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	return readAll(fd)
}

// readAll reads fd to its end, retrying on EINTR.
func readAll(fd int) ([]byte, error) {
	var data []byte
	buf := make([]byte, 4096)
	for {
		n, err := syscall.Read(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return data, nil
		}
		data = append(data, buf[:n]...)
	}
}

// scanUlong is djb's scan_ulong: the decimal digits at the start of s,
// as an unsigned long that wraps around on overflow, and how many
// bytes it read. No digits read as 0.
func scanUlong(s string) (uint64, int) {
	var v uint64
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		v = v*10 + uint64(s[i]-'0')
	}
	return v, i
}
