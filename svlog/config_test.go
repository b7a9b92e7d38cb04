package svlog

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestParseConfig(t *testing.T) {
	udp := func(a, b, c, d byte, port int) *unix.SockaddrInet4 {
		return &unix.SockaddrInet4{Addr: [4]byte{a, b, c, d}, Port: port}
	}
	tests := []struct {
		name  string
		text  string
		want  func(*config)
		warns string
	}{
		{"empty", "", func(c *config) {}, ""},
		{"size", "s5000\n", func(c *config) { c.sizemax = 5000 }, ""},
		{"size k", "s2k\n", func(c *config) { c.sizemax = 2048 }, ""},
		{"size m", "s1m\n", func(c *config) { c.sizemax = 1 << 20 }, ""},
		{"size without digits", "s\n", func(c *config) { c.sizemax = 0 }, ""},
		{"num", "n3\nN1\n", func(c *config) { c.nmax, c.nmin = 3, 1 }, ""},
		{"time", "t30\n", func(c *config) { c.tmax = 30 * time.Second }, ""},
		{"time m", "t2m\n", func(c *config) { c.tmax = 2 * time.Minute }, ""},
		{"time h", "t1h\n", func(c *config) { c.tmax = time.Hour }, ""},
		{"processor", "!gzip -9\n", func(c *config) { c.processor = "gzip -9" }, ""},
		{"empty processor", "!\n", func(c *config) {}, ""},
		{"prefix", "pweb: \n", func(c *config) { c.prefix = []byte("web: ") }, ""},
		{"udp", "u10.0.0.1\n", func(c *config) { c.udp = udp(10, 0, 0, 1, 514) }, ""},
		{"udp port", "u127.0.0.1:5140\n", func(c *config) { c.udp = udp(127, 0, 0, 1, 5140) }, ""},
		{"udp only", "U127.0.0.1:9\n", func(c *config) { c.udp, c.udponly = udp(127, 0, 0, 1, 9), true }, ""},
		{"bad address", "Ulocalhost\n", func(c *config) {}, "unable to scan ip address: localhost\n"},
		{"bad port", "u1.2.3.4:x\n", func(c *config) {}, "unable to scan port number: x\n"},
		{"patterns", "-*\n+a*\ne*\nE*x\n", func(c *config) {
			c.inst = []directive{{'-', "*"}, {'+', "a*"}, {'e', "*"}, {'E', "*x"}}
		}, ""},
		{"comments and unknown", "# s10\n\nx\nn4\n", func(c *config) { c.nmax = 4 }, ""},
		{"last line without newline", "n4\ns77", func(c *config) { c.nmax, c.sizemax = 4, 77 }, ""},
		{"last one-character line skipped", "n4\n-", func(c *config) { c.nmax = 4 }, ""},
		{"later wins", "s10\ns20\n", func(c *config) { c.sizemax = 20 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var warns strings.Builder
			got := parseConfig([]byte(tt.text), func(what, arg string) { warns.WriteString(what + ": " + arg + "\n") })
			want := defaultConfig()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("parseConfig(%q)\n got %+v\nwant %+v", tt.text, got, want)
			}
			if warns.String() != tt.warns {
				t.Errorf("warnings %q, want %q", warns.String(), tt.warns)
			}
		})
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name  string
		args  string
		want  func(*options)
		usage bool
	}{
		{"defaults", "d", func(o *options) {}, false},
		{"tt", "-tt d", func(o *options) { o.stamp = stampHuman }, false},
		{"tttt caps", "-tttt d", func(o *options) { o.stamp = stampISO }, false},
		{"r", "-r _ d", func(o *options) { o.repl = '_' }, false},
		{"R alone replaces with _", "-R ab d", func(o *options) { o.repl, o.replace = '_', "ab" }, false},
		{"r after R", "-R ab -r x d", func(o *options) { o.repl, o.replace = 'x', "ab" }, false},
		{"r too long", "-r xy d", nil, true},
		{"l and b", "-l 50 -b 51 d", func(o *options) { o.linemax, o.buflen = 50, 51 }, false},
		{"l 0 is default", "-l 0 d", func(o *options) {}, false},
		{"b not above l", "-l 2000 d", nil, true},
		{"memory", "-m 64k d", func(o *options) { o.memory = 64 << 10 }, false},
		{"memory m", "-m2m d", func(o *options) { o.memory = 2 << 20 }, false},
		{"verbose", "-v d e", func(o *options) { o.verbose = true }, false},
		{"no dir", "-tt", nil, true},
		{"bad option", "-z d", nil, true},
		{"version", "-V d", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, dirs, err := parseArgs(strings.Fields(tt.args))
			if tt.usage {
				if err == nil {
					t.Fatalf("parseArgs(%q) = %+v, want a usage error", tt.args, got)
				}
				return
			}
			if err != nil || len(dirs) == 0 {
				t.Fatalf("parseArgs(%q): %v, dirs %q", tt.args, err, dirs)
			}
			want := options{linemax: defaultLineMax, buflen: defaultBufLen, memory: defaultMemory}
			tt.want(&want)
			if got != want {
				t.Errorf("parseArgs(%q)\n got %+v\nwant %+v", tt.args, got, want)
			}
		})
	}
}
