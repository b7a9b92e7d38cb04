// Package getopt parses options the way runit's programs do (djb's
// sgetopt): clustered letters ("-vw7", "-vw 7"), an argument glued or
// separate, "--" ending the options, and the first non-option ending them
// too. Go's flag package and urfave/cli accept neither "-w7" nor "-vw 7",
// and runit's users type both, so runit's syntax wins here.
package getopt

import "fmt"

// Option is one parsed option letter and its argument, if it takes one.
type Option struct {
	Letter byte
	Arg    string
}

// Error is a usage error, worded as runit's getopt prints it.
type Error struct {
	Letter  byte
	Missing bool // the option needs an argument and none is left
}

func (e *Error) Error() string {
	if e.Missing {
		return fmt.Sprintf("option requires an argument -- %c", e.Letter)
	}
	return fmt.Sprintf("illegal option -- %c", e.Letter)
}

// Parse reads options from args (without the program name) according to
// spec, a getopt string such as "w:vV" (a colon after a letter means it
// takes an argument). It returns the options in order and the operands.
func Parse(args []string, spec string) ([]Option, []string, error) {
	var opts []Option
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			takes, ok := lookup(spec, c)
			if !ok {
				return opts, args[i:], &Error{Letter: c}
			}
			if !takes {
				opts = append(opts, Option{Letter: c})
				continue
			}
			if j+1 < len(a) {
				opts = append(opts, Option{Letter: c, Arg: a[j+1:]})
			} else if i+1 < len(args) {
				i++
				opts = append(opts, Option{Letter: c, Arg: args[i]})
			} else {
				return opts, nil, &Error{Letter: c, Missing: true}
			}
			break
		}
	}
	return opts, args[i:], nil
}

// lookup reports whether c is in spec and whether it takes an argument.
func lookup(spec string, c byte) (takesArg, ok bool) {
	if c == ':' {
		return false, false
	}
	for k := 0; k < len(spec); k++ {
		if spec[k] == c {
			return k+1 < len(spec) && spec[k+1] == ':', true
		}
	}
	return false, false
}
