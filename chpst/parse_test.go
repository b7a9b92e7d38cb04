package chpst

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Table tests of the pieces that decide what chpst does; the tests in
// package chpst_test run the real thing against Debian's.

func TestParseNumeric(t *testing.T) {
	tests := []struct {
		name string
		in   string // after the leading ':'
		want ids
		err  error
	}{
		{"uid and gid", "1:2", ids{1, []uint32{2}}, nil},
		{"groups", "1:2:3:4", ids{1, []uint32{2, 3, 4}}, nil},
		{"empty gid is 0", "5:", ids{5, []uint32{0}}, nil},
		{"empty uid is 0", ":7", ids{0, []uint32{7}}, nil},
		{"empty middle gid", "1:2::3", ids{1, []uint32{2, 0, 3}}, nil},
		{"uid alone", "5", ids{}, errInvalid},
		{"not a number", "abc", ids{}, errInvalid},
		{"junk after a gid", "1:2x", ids{}, errInvalid},
		{"wraps like a C cast", "4294967297:4294967298", ids{1, []uint32{2}}, nil},
		{"60 groups", "1" + repeat(":9", 60), ids{1, slices.Repeat([]uint32{9}, 60)}, nil},
		{"60 groups and a colon", "1" + repeat(":9", 60) + ":", ids{1, slices.Repeat([]uint32{9}, 60)}, nil},
		{"61 groups", "1" + repeat(":9", 61), ids{}, errInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseNumeric(tt.in)
			if !errors.Is(err, tt.err) || got.uid != tt.want.uid || !slices.Equal(got.gids, tt.want.gids) {
				t.Errorf("parseNumeric(%q) = %v, %v; want %v, %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func repeat(s string, n int) string {
	var out string
	for range n {
		out += s
	}
	return out
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"", 0, true}, // scan_ulong reads nothing: 0
		{"123", 123, true},
		{"12x", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{"9223372036854775808", -1 << 63, true}, // past 2^63: negative, the hard limit
		{"18446744073709551616", 0, true},       // 2^64 wraps to 0
		{"18446744073709551617", 1, true},
	}
	for _, tt := range tests {
		got, ok := parseNumber(tt.in)
		if ok != tt.ok || ok && got != tt.want {
			t.Errorf("parseNumber(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	for in, want := range map[string]int64{"5": 5, "+5": 5, "-5": -5, "-": 0, "+": 0} {
		if got, ok := parseNice(in); !ok || got != want {
			t.Errorf("parseNice(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
}

// TestMergeEnv pins runit's pathexec_env_run: a variable set again is
// removed by moving the last one into its place, then appended; only the
// first of duplicate variables is removed.
func TestMergeEnv(t *testing.T) {
	tests := []struct {
		name     string
		environ  []string
		settings []string
		want     []string
	}{
		{"append", []string{"A=1"}, []string{"B=2"}, []string{"A=1", "B=2"}},
		{"replace moves the last", []string{"A=1", "B=2", "C=3"}, []string{"A=9"}, []string{"C=3", "B=2", "A=9"}},
		{"unset", []string{"A=1", "B=2", "C=3"}, []string{"B"}, []string{"A=1", "C=3"}},
		{"unset missing", []string{"A=1"}, []string{"Z"}, []string{"A=1"}},
		{"prefix is not a match", []string{"AB=1"}, []string{"A=2"}, []string{"AB=1", "A=2"}},
		{"first duplicate only", []string{"A=1", "A=2"}, []string{"A=3"}, []string{"A=2", "A=3"}},
		{"name with =", []string{"C=old"}, []string{"C=D=v"}, []string{"C=D=v"}},
		{"in order", []string{"X=0"}, []string{"X=1", "X=2", "X"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mergeEnv(tt.environ, tt.settings); !slices.Equal(got, tt.want) {
				t.Errorf("mergeEnv(%q, %q) = %q, want %q", tt.environ, tt.settings, got, tt.want)
			}
		})
	}
}

// TestFindIDs: /etc/passwd and /etc/group read as glibc's files service
// reads them.
func TestFindIDs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "passwd")
	os.WriteFile(file, []byte(
		"# comment:x:1:1\n"+
			"\n"+
			"  spaced:x:2:2::/:/bin/sh\n"+
			"bad:x:notanumber:3\n"+
			"bad:x:4:4\n"+
			"short:x:5\n"+
			"+nis:x:6:6\n"+
			"dup:x:7:7\n"+
			"dup:x:8:8\n"+
			"last:x:9:9"), 0o644)
	tests := []struct {
		name string
		want []uint32
		err  error
	}{
		{"spaced", []uint32{2, 2}, nil},
		{"bad", []uint32{4, 4}, nil}, // the unparsable line is skipped
		{"short", nil, errNotFound},
		{"+nis", nil, errNotFound},
		{"dup", []uint32{7, 7}, nil},
		{"last", []uint32{9, 9}, nil},
		{"# comment", nil, errNotFound},
		{"", nil, errNotFound},
		{"nobody-here", nil, errNotFound},
	}
	for _, tt := range tests {
		got, err := findIDs(file, tt.name, 2, 3)
		if !errors.Is(err, tt.err) || !slices.Equal(got, tt.want) {
			t.Errorf("findIDs(%q) = %v, %v; want %v, %v", tt.name, got, err, tt.want, tt.err)
		}
	}
	if _, err := findIDs(filepath.Join(dir, "missing"), "root", 2, 3); errors.Is(err, errNotFound) || err == nil {
		t.Errorf("missing file: err = %v, want the errno", err)
	}
}
