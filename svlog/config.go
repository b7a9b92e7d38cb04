package svlog

import (
	"bytes"
	"time"

	"golang.org/x/sys/unix"
)

// Defaults of a log directory without a config file (svlogd(8)).
const (
	defaultSize = 1000000 // sSIZE: rotate current at this many bytes
	defaultNum  = 10      // nNUM: keep this many old files
	defaultMinN = 10      // NMIN: on a full disk, keep at least this many
	defaultPort = 514     // uADDR without :PORT, syslog's port
)

// directive is one pattern line of a config: kind is '+', '-', 'e' or 'E',
// pattern what follows it.
type directive struct {
	kind    byte
	pattern string
}

// config is what a log directory's config file sets, with runit's
// defaults for what it does not.
type config struct {
	sizemax   int64         // s: 0 never rotates by size
	nmax      int           // n: 0 keeps every old file
	nmin      int           // N: deletion on ENOSPC needs nmin < nmax
	tmax      time.Duration // t: 0 never rotates by age
	processor string        // !: run with sh -c on each rotated file
	udp       *unix.SockaddrInet4
	udponly   bool // U: do not write to current
	prefix    []byte
	inst      []directive // +, -, e, E in the order given
}

func defaultConfig() config {
	return config{sizemax: defaultSize, nmax: defaultNum, nmin: defaultMinN}
}

// parseConfig reads a config file as runit's logdir_open does: one
// directive per line, selected by its first character; unknown lines,
// blank lines and '#' comments are ignored, numbers are read as far as
// they go (scan_ulong), and a last line of one character without a
// newline is skipped. warn gets runit's two-part warnings ("unable to
// scan ip address", the text).
func parseConfig(b []byte, warn func(what, arg string)) config {
	c := defaultConfig()
	for i := 0; i+1 < len(b); i++ {
		n := bytes.IndexByte(b[i:], '\n')
		if n < 0 {
			n = len(b) - i
		}
		line := string(b[i : i+n])
		i += n
		if line == "" {
			continue
		}
		arg := line[1:]
		switch line[0] {
		case '+', '-', 'e', 'E':
			c.inst = append(c.inst, directive{kind: line[0], pattern: arg})
		case 's':
			v, k := scanUlong(arg)
			c.sizemax = int64(v) * suffix(arg[k:], 'k', 'm')
		case 'n':
			v, _ := scanUlong(arg)
			c.nmax = int(v)
		case 'N':
			v, _ := scanUlong(arg)
			c.nmin = int(v)
		case 't':
			v, k := scanUlong(arg)
			c.tmax = time.Duration(int64(v)*suffix(arg[k:], 'm', 'h')) * time.Second
		case '!':
			if arg != "" {
				c.processor = arg
			}
		case 'u', 'U':
			// runit sets UDP-only before parsing the address, so a bad
			// address in a U line logs nothing anywhere. We keep writing
			// to current then: see DIFFERENCES FROM RUNIT in svlogd(8).
			addr, ok := parseUDP(arg, warn)
			if ok {
				c.udp = addr
				c.udponly = c.udponly || line[0] == 'U'
			}
		case 'p':
			if arg != "" {
				c.prefix = []byte(arg)
			}
		}
	}
	return c
}

// suffix is runit's multiplier switch with fall-through: small (k or m)
// multiplies by 1024 or 60 once, big (m or h) twice.
func suffix(rest string, small, big byte) int64 {
	unit := int64(1024)
	if small == 'm' {
		unit = 60
	}
	if rest == "" {
		return 1
	}
	switch rest[0] {
	case big:
		return unit * unit
	case small:
		return unit
	}
	return 1
}

// scanUlong reads leading decimal digits as djb's scan_ulong does: the
// value (0 when there are none) and how many digits it read.
func scanUlong(s string) (uint64, int) {
	var v uint64
	k := 0
	for k < len(s) && s[k] >= '0' && s[k] <= '9' {
		v = v*10 + uint64(s[k]-'0')
		k++
	}
	return v, k
}

// parseUDP reads "a.b.c.d[:port]" as runit's ip4_scan and port scan do
// (each number as far as its digits go, kept modulo 256).
func parseUDP(s string, warn func(what, arg string)) (*unix.SockaddrInet4, bool) {
	var a unix.SockaddrInet4
	k := 0
	for i := 0; i < 4; i++ {
		if i > 0 {
			if k >= len(s) || s[k] != '.' {
				warn("unable to scan ip address", s)
				return nil, false
			}
			k++
		}
		v, n := scanUlong(s[k:])
		if n == 0 {
			warn("unable to scan ip address", s)
			return nil, false
		}
		a.Addr[i] = byte(v)
		k += n
	}
	a.Port = defaultPort
	if k < len(s) && s[k] == ':' {
		v, _ := scanUlong(s[k+1:])
		if v == 0 {
			warn("unable to scan port number", s[k+1:])
			return nil, false
		}
		a.Port = int(uint16(v))
	}
	return &a, true
}
