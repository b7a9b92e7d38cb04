package svlog

import (
	"errors"
	"os"
	"os/exec"
	"time"
)

// processorRetry is how long a failed processor waits before it is run
// again on the same file. runit restarts it at once, forever, which is a
// busy loop while the processor cannot succeed.
const processorRetry = time.Second

// job is one rotated file (@….u) waiting for, or under, its processor;
// processor is the command the config named when the file was rotated.
type job struct {
	file      string
	processor string
}

// processor runs a log directory's processor on its rotated files, one
// at a time and in order, since each reads the state the previous one
// left. runit waits for the previous processor at the next rotation,
// which stops logging meanwhile; here rotated files queue up instead.
type processor struct {
	queue   []job     // queue[0] is running, failed, or being finished
	cmd     *exec.Cmd // running, nil otherwise
	retryAt time.Time // when queue[0] is run (or finished) again after an error
	done    bool      // queue[0]'s processor succeeded; finishing it failed
}

// procExit reports that a processor exited.
type procExit struct {
	d   *logdir
	err error
}

// busy reports whether files wait or a processor runs.
func (p *processor) busy() bool { return len(p.queue) > 0 }

// uses reports whether file is one a processor still needs: a queued or
// running .u, or the .t of one.
func (p *processor) uses(file string) bool {
	for _, j := range p.queue {
		if file[:nameLen-1] == j.file[:nameLen-1] && (file[nameLen-1] == 'u' || file[nameLen-1] == 't') {
			return true
		}
	}
	return false
}

// startProcessor runs the processor on the first queued file of d, with
// runit's plumbing: the file on stdin, @….t (truncated) on stdout, state
// on fd 4 (created empty if missing), newstate (truncated) on fd 5,
// stderr shared, and the log directory as working directory. Nothing
// happens while one runs or a retry is pending.
func (l *Logger) startProcessor(d *logdir) {
	p := &d.proc
	if p.cmd != nil || len(p.queue) == 0 || l.clock().Before(p.retryAt) {
		return
	}
	if p.done {
		l.finishJob(d)
		return
	}
	j := p.queue[0]
	files, err := openProcessorFiles(d, j.file)
	if err == nil {
		l.info("processing: " + d.name + "/" + j.file)
		l.flushStderr()
		cmd := exec.Command("/bin/sh", "-c", j.processor)
		cmd.Dir = d.name
		cmd.Stdin, cmd.Stdout, cmd.Stderr = files[0], files[1], l.stderr
		cmd.ExtraFiles = []*os.File{nil, files[2], files[3]}
		err = cmd.Start()
		if err == nil {
			p.cmd = cmd
			go func() { l.procC <- procExit{d: d, err: cmd.Wait()} }()
		}
	}
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
	if err != nil {
		l.warn2("unable to run processor", d.name, err)
		p.retryAt = l.clock().Add(processorRetry)
	}
}

// openProcessorFiles opens the processor's stdin, stdout, fd 4 and fd 5.
func openProcessorFiles(d *logdir, file string) ([4]*os.File, error) {
	var f [4]*os.File
	var err error
	t := file[:nameLen-1] + "t"
	if f[0], err = os.Open(d.path(file)); err != nil {
		return f, err
	}
	if f[1], err = os.OpenFile(d.path(t), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644); err != nil {
		return f, err
	}
	if f[2], err = os.Open(d.path("state")); errors.Is(err, os.ErrNotExist) {
		var s *os.File
		if s, err = os.OpenFile(d.path("state"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644); err == nil {
			s.Close()
			f[2], err = os.Open(d.path("state"))
		}
	}
	if err != nil {
		return f, err
	}
	f[3], err = os.OpenFile(d.path("newstate"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	return f, err
}

// processorExited handles a processor's exit: on success the output
// becomes @….s (mode 0744), the .u goes, newstate becomes state; on
// failure (an exit code other than 0, or a signal) the output is removed
// and the processor is run again on the same file.
func (l *Logger) processorExited(e procExit) {
	d, p := e.d, &e.d.proc
	p.cmd = nil
	if e.err != nil {
		l.warnx("processor failed, restart", d.name)
		os.Remove(d.path(p.queue[0].file[:nameLen-1] + "t"))
		p.retryAt = l.clock().Add(processorRetry)
		return
	}
	p.done = true
	l.finishJob(d)
}

// finishJob renames the processor's output into place and starts the
// next file's processor. Each step can be repeated, so after an error
// it is simply tried again later.
func (l *Logger) finishJob(d *logdir) {
	p := &d.proc
	j := p.queue[0]
	base := d.path(j.file[:nameLen-1])
	step := func(what string, err error) bool {
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			l.warn2(what, d.name, err)
			p.retryAt = l.clock().Add(retryEvery)
			return false
		}
		return true
	}
	if !step("unable to rename processed", os.Rename(base+"t", base+"s")) ||
		!step("unable to set mode of processed", os.Chmod(base+"s", modeClosed)) {
		return
	}
	if err := os.Remove(base + "u"); err != nil && !errors.Is(err, os.ErrNotExist) {
		l.warnText("unable to unlink: " + d.name + "/" + j.file)
	}
	if !step("unable to rename state", os.Rename(d.path("newstate"), d.path("state"))) {
		return
	}
	l.info("processed: " + d.name + "/" + j.file[:nameLen-1] + "s")
	p.done = false
	p.queue = p.queue[1:]
	// With runit's processor, at most nNUM+1 processed files are left
	// (the pending .u is not counted at rotation). Rotated files that
	// queued while a processor was slow would add to that for good.
	d.rmOldest(d.cfg.nmax+1, true)
	l.startProcessor(d)
}
