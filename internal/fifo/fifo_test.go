package fifo

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestMake(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(path string)
		wantErr error
	}{
		{"new", func(string) {}, nil},
		{"existing fifo", func(p string) { syscall.Mkfifo(p, 0o600) }, nil},
		{"regular file", func(p string) { os.WriteFile(p, nil, 0o600) }, ErrNotFIFO},
		{"directory", func(p string) { os.Mkdir(p, 0o700) }, ErrNotFIFO},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "control")
			tt.prepare(p)
			err := Make(p)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Make = %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				st, _ := os.Stat(p)
				if st.Mode()&os.ModeNamedPipe == 0 || st.Mode().Perm() != 0o600 {
					t.Fatalf("mode = %v, want named pipe 0600", st.Mode())
				}
			}
		})
	}
}

func TestReaderNeverEOF(t *testing.T) {
	p := filepath.Join(t.TempDir(), "control")
	if err := Make(p); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenWriter(p); !errors.Is(err, syscall.ENXIO) {
		t.Fatalf("OpenWriter without reader = %v, want ENXIO", err)
	}
	r, w, err := OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	c, err := OpenWriter(p)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("u"))
	c.Close() // the last outside writer goes away: no EOF, as we hold w
	buf := make([]byte, 4)
	n, err := r.Read(buf)
	if err != nil || string(buf[:n]) != "u" {
		t.Fatalf("Read = %q, %v; want \"u\"", buf[:n], err)
	}
	got := make(chan error, 1)
	go func() { _, err := r.Read(buf); got <- err }()
	c, _ = OpenWriter(p)
	c.Write([]byte("d"))
	c.Close()
	if err := <-got; err != nil {
		t.Fatalf("second Read: %v", err)
	}
}

func TestProbe(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ok")
	if err := Probe(path); err != unix.ENOENT {
		t.Errorf("missing FIFO: %v, want ENOENT", err)
	}
	if err := Make(path); err != nil {
		t.Fatal(err)
	}
	if err := Probe(path); err != unix.ENXIO {
		t.Errorf("FIFO without a reader: %v, want ENXIO", err)
	}
	fd, err := HoldReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := Probe(path); err != nil {
		t.Errorf("FIFO with a reader: %v, want nil", err)
	}
}
