package docs

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// page is one man page and what it must document.
type page struct {
	file    string   // the page, in this directory
	pkg     string   // the program's package, whose getopt spec is read
	options string   // every option letter the program accepts
	long    string   // the variable listing the long options, if any
	section string   // the section listing items
	items   []string // words that must be .TP items (".B word") there
	order   []string // the sections, in this order
}

var pages = []page{
	{
		file:    "runsv.8",
		pkg:     "../runsv",
		options: "",
		section: "CONTROL",
		items:   strings.Fields("u d o p c h a i q 1 2 t k x"),
		order: []string{"NAME", "SYNOPSIS", "DESCRIPTION", "CONTROL",
			"CUSTOMIZE CONTROL", "OPT-IN FILES", "SUPERVISE DIRECTORY", "SIGNALS", "ENVIRONMENT",
			"EXIT CODES", "DIFFERENCES FROM RUNIT", "SEE ALSO"},
	},
	{
		file:    "sv.8",
		pkg:     "../sv",
		options: "vwVj",
		section: "COMMANDS",
		items: strings.Fields("status up down once pause cont hup alarm interrupt quit 1 2 term kill exit " +
			"start stop reload restart shutdown check " +
			"force-stop force-reload force-restart force-shutdown try-restart"),
		order: []string{"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS",
			"LSB INIT SCRIPT MODE", "CHECK SCRIPTS", "READINESS AND BACKOFF", "OUTPUT",
			"JSON OUTPUT", "ENVIRONMENT",
			"EXIT CODES", "EXAMPLES", "DIFFERENCES FROM RUNIT", "SEE ALSO"},
	},
	{
		file:    "svlogd.8",
		pkg:     "../svlog",
		options: "RrlbmtvV",
		section: "CONFIG",
		items:   strings.Fields("s n N t ! u U p + - e E"),
		order: []string{"NAME", "SYNOPSIS", "DESCRIPTION", "LOG DIRECTORY", "CONFIG",
			"PATTERN MATCHING", "PROCESSOR", "OPTIONS", "SIGNALS", "WRITE ERRORS",
			"EXIT CODES", "DIFFERENCES FROM RUNIT", "SEE ALSO"},
	},
	{
		file:    "runit.8",
		pkg:     "../runit",
		options: "dtrMV",
		long:    "longOptions",
		order: []string{"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "SIGNALS",
			"SHUTDOWN", "CONTAINER ENVIRONMENT", "MY_INIT", "HOLD ON FAILURE", "MACHINE MODE",
			"ENVIRONMENT", "FILES", "EXIT CODES", "EXAMPLES", "DIFFERENCES FROM RUNIT",
			"DIFFERENCES FROM MY_INIT", "SEE ALSO"},
	},
	{
		// runit-init lives in package runit, whose getopt spec is runit's:
		// its own arguments are operands, with no getopt spec of its own.
		file:    "runit-init.8",
		pkg:     "../cmd/runit-init",
		options: "",
		order: []string{"NAME", "SYNOPSIS", "DESCRIPTION", "EXIT CODES",
			"DIFFERENCES FROM RUNIT", "SEE ALSO"},
	},
	{
		file:    "runsvdir.8",
		pkg:     "../runsvdir",
		options: "Pt",
		section: "SIGNALS",
		items:   strings.Fields("TERM INT HUP CHLD"),
		order: []string{"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "SIGNALS",
			"ENVIRONMENT", "EXIT CODES", "DIFFERENCES FROM RUNIT", "SEE ALSO"},
	},
	{
		file:    "runsvchdir.8",
		pkg:     "../runsvchdir",
		options: "",
		section: "FILES",
		items:   strings.Fields("current previous current.new"),
		order: []string{"NAME", "SYNOPSIS", "DESCRIPTION", "FILES", "ENVIRONMENT",
			"EXIT CODES", "DIFFERENCES FROM RUNIT", "SEE ALSO"},
	},
	{
		// The getopt specs of chpst, setlock and softlimit together.
		file:    "chpst.8",
		pkg:     "../chpst",
		options: "uUbe/CnlLmdopfcrtvP012VNxXas",
		section: "DAEMONTOOLS NAMES",
		items:   strings.Fields("envdir envuidgid pgrphack setuidgid setlock softlimit"),
		order: []string{"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "DAEMONTOOLS NAMES",
			"ENVIRONMENT DIRECTORY", "EXIT CODES", "EXAMPLES", "DIFFERENCES FROM RUNIT", "SEE ALSO"},
	},
	{
		file:    "utmpset.8",
		pkg:     "../utmpset",
		options: "wV",
		section: "FILES",
		items:   strings.Fields("/var/run/utmp /var/log/wtmp"),
		order: []string{"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "FILES", "EXIT CODES",
			"DIFFERENCES FROM RUNIT", "SEE ALSO"},
	},
}

// TestRender formats each page as man(1) would, with every groff warning
// turned on; a page that warns renders wrong somewhere.
func TestRender(t *testing.T) {
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Skip("groff not installed")
	}
	for _, p := range pages {
		t.Run(p.file, func(t *testing.T) {
			out, err := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z", p.file).CombinedOutput()
			if err != nil || len(out) > 0 {
				t.Errorf("groff -man -Tutf8 -ww -z %s: %v\n%s", p.file, err, out)
			}
		})
	}
}

// TestOptions checks that every option the program accepts is in its
// page as \-X, and that the table agrees with the getopt spec in the
// program's source, so a new option cannot go undocumented.
func TestOptions(t *testing.T) {
	for _, p := range pages {
		t.Run(p.file, func(t *testing.T) {
			src := read(t, p.file)
			for _, c := range p.options {
				if !hasOption(src, byte(c)) {
					t.Errorf("%s: option -%c is not documented as \\-%c", p.file, c, c)
				}
			}
			spec := getoptLetters(t, p.pkg)
			for _, c := range spec {
				if !strings.ContainsRune(p.options, c) {
					t.Errorf("%s accepts -%c (getopt spec), but the table here does not list it", p.pkg, c)
				}
			}
			for _, c := range p.options {
				if !strings.ContainsRune(spec, c) {
					t.Errorf("the table lists -%c, but %s does not accept it", c, p.pkg)
				}
			}
		})
	}
}

// TestLongOptions checks that every long option the program accepts (the
// keys of its map literal p.long) is an item of OPTIONS, as \-\-name.
func TestLongOptions(t *testing.T) {
	for _, p := range pages {
		if p.long == "" {
			continue
		}
		t.Run(p.file, func(t *testing.T) {
			names := mapKeys(t, p.pkg, p.long)
			if len(names) == 0 {
				t.Fatalf("%s: no keys in %s", p.pkg, p.long)
			}
			body := sections(read(t, p.file))["OPTIONS"]
			for _, n := range names {
				if !strings.Contains(body, `\-\-`+strings.ReplaceAll(n, "-", `\-`)) {
					t.Errorf("%s: OPTIONS does not document --%s", p.file, n)
				}
			}
		})
	}
}

// mapKeys returns the string keys of the map literal assigned to the
// package-level variable name in dir's non-test sources.
func mapKeys(t *testing.T, dir, name string) []string {
	t.Helper()
	var keys []string
	inspectSources(t, dir, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != name || len(vs.Values) != 1 {
			return true
		}
		lit, ok := vs.Values[0].(*ast.CompositeLit)
		if !ok {
			return true
		}
		for _, e := range lit.Elts {
			if kv, ok := e.(*ast.KeyValueExpr); ok {
				if k, ok := kv.Key.(*ast.BasicLit); ok && k.Kind == token.STRING {
					s, _ := strconv.Unquote(k.Value)
					keys = append(keys, s)
				}
			}
		}
		return false
	})
	return keys
}

// TestItems checks that every command word (sv) or control byte (runsv)
// is an item of its own, ".TP" then ".B word", in the section listing
// them.
func TestItems(t *testing.T) {
	for _, p := range pages {
		if p.section == "" {
			continue // a page without a list of items
		}
		t.Run(p.file, func(t *testing.T) {
			body, ok := sections(read(t, p.file))[p.section]
			if !ok {
				t.Fatalf("%s: no section %s", p.file, p.section)
			}
			have := tags(body)
			for _, w := range p.items {
				if !have[w] {
					t.Errorf("%s: %s has no item .B %s", p.file, p.section, w)
				}
			}
		})
	}
}

// TestSections checks the .TH line and that the sections come in the
// agreed order, DIFFERENCES FROM RUNIT among them.
func TestSections(t *testing.T) {
	for _, p := range pages {
		t.Run(p.file, func(t *testing.T) {
			src := read(t, p.file)
			name := strings.ToUpper(strings.TrimSuffix(p.file, ".8"))
			if th := `.TH ` + name + ` 8 "`; !strings.HasPrefix(src, th) {
				t.Errorf("%s: first line should start with %s", p.file, th)
			}
			if _, ok := sections(src)["DIFFERENCES FROM RUNIT"]; !ok {
				t.Errorf("%s: no DIFFERENCES FROM RUNIT section", p.file)
			}
			got := sectionNames(src)
			if strings.Join(got, "|") != strings.Join(p.order, "|") {
				t.Errorf("%s: sections\n got %q\nwant %q", p.file, got, p.order)
			}
		})
	}
}

func read(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// hasOption reports whether src names option c as \-c, alone or at the
// head of a cluster such as \-w7, but not as part of a longer word.
func hasOption(src string, c byte) bool {
	needle := `\-` + string(c)
	for i := 0; ; {
		j := strings.Index(src[i:], needle)
		if j < 0 {
			return false
		}
		end := i + j + len(needle)
		if end == len(src) || !isLetter(src[end]) {
			return true
		}
		i = end
	}
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// getoptLetters returns the option letters of every getopt.Parse call in
// the package's non-test sources ("w:vV" gives "wvV").
func getoptLetters(t *testing.T, dir string) string {
	t.Helper()
	var letters strings.Builder
	inspectSources(t, dir, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) != 2 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "Parse" {
			return true
		}
		if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "getopt" {
			return true
		}
		lit, ok := call.Args[1].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			t.Errorf("%s: a getopt spec is not a string literal; this test cannot read it", dir)
			return true
		}
		spec, _ := strconv.Unquote(lit.Value)
		letters.WriteString(strings.ReplaceAll(spec, ":", ""))
		return true
	})
	return letters.String()
}

// sections splits a page at its .SH lines: name → body.
func sections(src string) map[string]string {
	out := map[string]string{}
	name := ""
	var body bytes.Buffer
	flush := func() {
		if name != "" {
			out[name] = body.String()
		}
		body.Reset()
	}
	for _, line := range strings.Split(src, "\n") {
		if n, ok := shName(line); ok {
			flush()
			name = n
			continue
		}
		body.WriteString(line)
		body.WriteByte('\n')
	}
	flush()
	return out
}

func sectionNames(src string) []string {
	var names []string
	for _, line := range strings.Split(src, "\n") {
		if n, ok := shName(line); ok {
			names = append(names, n)
		}
	}
	return names
}

// shName returns the title of a .SH line, without quotes.
func shName(line string) (string, bool) {
	rest, ok := strings.CutPrefix(line, ".SH ")
	if !ok {
		return "", false
	}
	return strings.Trim(strings.TrimSpace(rest), `"`), true
}

// tags collects the tags of .TP items written as ".B word", with \- read
// as a plain hyphen.
func tags(body string) map[string]bool {
	have := map[string]bool{}
	lines := strings.Split(body, "\n")
	for i := 0; i+1 < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != ".TP" {
			continue
		}
		if tag, ok := strings.CutPrefix(lines[i+1], ".B "); ok {
			tag = strings.Trim(strings.TrimSpace(tag), `"`)
			have[strings.ReplaceAll(tag, `\-`, "-")] = true
		}
	}
	return have
}

// inspectSources walks the syntax of every non-test Go file in dir.
func inspectSources(t *testing.T, dir string, fn func(ast.Node) bool) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s: %v", dir, err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, fn)
	}
}
