package svlog

// pmatch reports whether the line s matches the config pattern p, with
// runit's rules (src/pmatch.c), which are not shell globs or regexes:
//
//   - a plain character matches itself;
//   - '*' skips up to the next occurrence of the pattern character that
//     follows it, and a trailing '*' matches the rest of the line;
//   - '+' matches one or more of the character that follows it, and
//     matches when the line ends while repeating, even if pattern
//     characters are left ("x+yz" matches "xyyy");
//   - the whole line must be used up: there is no implicit trailing '*'.
//
// runit reads a stale byte past the line where a pattern ends in '+' or
// the line ends before a '+'; both simply fail here.
func pmatch(p string, s []byte) bool {
	for {
		if p == "" {
			return len(s) == 0
		}
		c := p[0]
		p = p[1:]
		switch c {
		case '*':
			if p == "" {
				return true
			}
			c = p[0]
			for {
				if len(s) == 0 {
					return false
				}
				if s[0] == c {
					break
				}
				s = s[1:]
			}
		case '+':
			if p == "" || len(s) == 0 {
				return false
			}
			c = p[0]
			p = p[1:]
			if s[0] != c {
				return false
			}
			for {
				if len(s) == 0 {
					return true
				}
				if s[0] != c {
					break
				}
				s = s[1:]
			}
		default:
			if len(s) == 0 || s[0] != c {
				return false
			}
			s = s[1:]
		}
	}
}
