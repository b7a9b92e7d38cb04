package chpst

import "github.com/gorunit/gorunit/internal/getopt"

// aliases are the daemontools programs chpst is when called by their
// names (runit's chpst.c, "argv[0]"), each with its own arguments. Each
// fills a plan for the same runner, so a name only chooses which steps
// run; what a step does, and its messages, are chpst's.
var aliases = map[string]func(o *output, args []string) (*plan, int){
	"setuidgid": parseSetuidgid,
	"envuidgid": parseEnvuidgid,
	"envdir":    parseEnvdir,
	"pgrphack":  parsePgrphack,
	"setlock":   parseSetlock,
	"softlimit": parseSoftlimit,
}

// Usage lines of the daemontools names.
const (
	usageAccount   = " account child"
	usageEnvdir    = " dir child"
	usagePgrphack  = " child"
	usageSetlock   = " [ -nNxX ] file program [ arg ... ]"
	usageSoftlimit = " [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child"
)

// withProgram sets the program of p to args, which must not be empty.
func withProgram(p *plan, args []string) *plan {
	p.file = args[0]
	p.argv = args
	return p
}

// parseSetuidgid: setuidgid account child. Takes no options: the first
// argument is the account whatever it looks like.
func parseSetuidgid(o *output, args []string) (*plan, int) {
	if len(args) < 2 {
		return nil, o.usage(usageAccount)
	}
	p := newPlan()
	p.setUser = &args[0]
	return withProgram(p, args[1:]), 0
}

// parseEnvuidgid: envuidgid account child.
func parseEnvuidgid(o *output, args []string) (*plan, int) {
	if len(args) < 2 {
		return nil, o.usage(usageAccount)
	}
	p := newPlan()
	p.envUser = &args[0]
	return withProgram(p, args[1:]), 0
}

// parseEnvdir: envdir dir child. Unlike chpst -e, a subdirectory of dir
// is fatal.
func parseEnvdir(o *output, args []string) (*plan, int) {
	if len(args) < 2 {
		return nil, o.usage(usageEnvdir)
	}
	p := newPlan()
	p.envDir = &args[0]
	return withProgram(p, args[1:]), 0
}

// parsePgrphack: pgrphack child.
func parsePgrphack(o *output, args []string) (*plan, int) {
	if len(args) < 1 {
		return nil, o.usage(usagePgrphack)
	}
	p := newPlan()
	p.setsid = true
	return withProgram(p, args), 0
}

// parseSetlock: setlock [-nNxX] file program. runit's setlock does not
// wait unless given -n, the reverse of daemontools' (FIELD-NOTES 4.14);
// -x makes a lock or exec failure exit 0 without a word.
func parseSetlock(o *output, args []string) (*plan, int) {
	opts, rest, err := getopt.Parse(args, "nNxX")
	if err != nil {
		return nil, o.badOption(err, usageSetlock)
	}
	p := newPlan()
	for _, opt := range opts {
		switch opt.Letter {
		case 'n':
			p.lockWait = true
		case 'N':
			p.lockWait = false
		case 'x':
			p.quiet = true
		case 'X':
			p.quiet = false
		}
	}
	if len(rest) < 2 {
		return nil, o.usage(usageSetlock)
	}
	p.lock = &rest[0]
	return withProgram(p, rest[1:]), 0
}

// softlimitLimits maps softlimit's options to the limits they set.
var softlimitLimits = map[byte][]int{
	'a': {limAS},
	'c': {limCore},
	'd': {limData},
	'f': {limFsize},
	'l': {limMemlock},
	'm': {limData, limStack, limMemlock, limAS},
	'o': {limNofile},
	'p': {limNproc},
	'r': {limRSS},
	's': {limStack},
	't': {limCPU},
}

// parseSoftlimit: softlimit [-acdflmoprst n] child; n "=" is the hard
// limit. A malformed number prints chpst's own usage line, under the
// name softlimit, as runit's does.
func parseSoftlimit(o *output, args []string) (*plan, int) {
	opts, rest, err := getopt.Parse(args, "a:c:d:f:l:m:o:p:r:s:t:")
	p := newPlan()
	for _, opt := range opts {
		n := int64(limitHard)
		if opt.Arg != "=" {
			v, ok := parseNumber(opt.Arg)
			if !ok {
				return nil, o.usage(usageMain)
			}
			n = v
		}
		for _, l := range softlimitLimits[opt.Letter] {
			p.limits[l] = n
		}
	}
	if err != nil {
		return nil, o.badOption(err, usageSoftlimit)
	}
	if len(rest) < 1 {
		return nil, o.usage(usageSoftlimit)
	}
	return withProgram(p, rest), 0
}
