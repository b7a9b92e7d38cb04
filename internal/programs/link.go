package programs

import (
	"fmt"
	"os"
	"path/filepath"
)

// Link creates, in dir, a symlink named after each program pointing to the
// running binary (replacing what is there), so that dir on PATH gives the
// whole suite.
func Link(dir string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own binary: %w", err)
	}
	for _, n := range Names() {
		p := filepath.Join(dir, n)
		tmp := p + ".new"
		os.Remove(tmp)
		if err := os.Symlink(exe, tmp); err != nil {
			return fmt.Errorf("link %s: %w", p, err)
		}
		if err := os.Rename(tmp, p); err != nil {
			return fmt.Errorf("link %s: %w", p, err)
		}
	}
	return nil
}
