// Package errtext renders errors in the words runit uses (djb's error_str):
// "file does not exist", not Go's "no such file or directory". Every message
// that Debian's runit programs print with an errno goes through here, so
// scripts that match runit's output keep working with ours.
package errtext

import (
	"errors"
	"syscall"
)

// words lists errno values with djb's texts, in runit 2.1.2's order of
// lookup. It is a slice, not a map, so that it is laid out by the linker
// and costs a client such as sv nothing at start-up.
var words = []struct {
	errno syscall.Errno
	text  string
}{
	{0, "no error"},
	{syscall.EINTR, "interrupted system call"},
	{syscall.ENOMEM, "out of memory"},
	{syscall.ENOENT, "file does not exist"},
	{syscall.ETXTBSY, "text busy"},
	{syscall.EIO, "input/output error"},
	{syscall.EEXIST, "file already exists"},
	{syscall.ETIMEDOUT, "timed out"},
	{syscall.EINPROGRESS, "operation in progress"},
	{syscall.EAGAIN, "temporary failure"},
	{syscall.EPIPE, "broken pipe"},
	{syscall.EPERM, "permission denied"},
	{syscall.EACCES, "access denied"},
	{syscall.ENXIO, "device not configured"},
	{syscall.EPROTO, "protocol error"},
	{syscall.EISDIR, "is a directory"},
	{syscall.ECONNREFUSED, "connection refused"},
	{syscall.ENOTDIR, "not a directory"},
	{syscall.ESRCH, "no such process"},
	{syscall.E2BIG, "argument list too long"},
	{syscall.ENOEXEC, "exec format error"},
	{syscall.EBADF, "file descriptor not open"},
	{syscall.ECHILD, "no child processes"},
	{syscall.EDEADLK, "operation would cause deadlock"},
	{syscall.EFAULT, "bad address"},
	{syscall.ENOTBLK, "not a block device"},
	{syscall.EBUSY, "device busy"},
	{syscall.EXDEV, "cross-device link"},
	{syscall.ENODEV, "device does not support operation"},
	{syscall.EINVAL, "invalid argument"},
	{syscall.ENFILE, "system cannot open more files"},
	{syscall.EMFILE, "process cannot open more files"},
	{syscall.ENOTTY, "not a tty"},
	{syscall.EFBIG, "file too big"},
	{syscall.ENOSPC, "out of disk space"},
	{syscall.ESPIPE, "unseekable descriptor"},
	{syscall.EROFS, "read-only file system"},
	{syscall.EMLINK, "too many links"},
	{syscall.EDOM, "input out of range"},
	{syscall.ERANGE, "output out of range"},
	{syscall.EALREADY, "operation already in progress"},
	{syscall.ENOTSOCK, "not a socket"},
	{syscall.EDESTADDRREQ, "destination address required"},
	{syscall.EMSGSIZE, "message too long"},
	{syscall.EPROTOTYPE, "incorrect protocol type"},
	{syscall.ENOPROTOOPT, "protocol not available"},
	{syscall.EPROTONOSUPPORT, "protocol not supported"},
	{syscall.ESOCKTNOSUPPORT, "socket type not supported"},
	{syscall.EOPNOTSUPP, "operation not supported"},
	{syscall.EPFNOSUPPORT, "protocol family not supported"},
	{syscall.EAFNOSUPPORT, "address family not supported"},
	{syscall.EADDRINUSE, "address already used"},
	{syscall.EADDRNOTAVAIL, "address not available"},
	{syscall.ENETDOWN, "network down"},
	{syscall.ENETUNREACH, "network unreachable"},
	{syscall.ENETRESET, "network reset"},
	{syscall.ECONNABORTED, "connection aborted"},
	{syscall.ECONNRESET, "connection reset"},
	{syscall.ENOBUFS, "out of buffer space"},
	{syscall.EISCONN, "already connected"},
	{syscall.ENOTCONN, "not connected"},
	{syscall.ESHUTDOWN, "socket shut down"},
	{syscall.ETOOMANYREFS, "too many references"},
	{syscall.ELOOP, "symbolic link loop"},
	{syscall.ENAMETOOLONG, "file name too long"},
	{syscall.EHOSTDOWN, "host down"},
	{syscall.EHOSTUNREACH, "host unreachable"},
	{syscall.ENOTEMPTY, "directory not empty"},
	{syscall.EUSERS, "too many users"},
	{syscall.EDQUOT, "disk quota exceeded"},
	{syscall.ESTALE, "stale NFS file handle"},
	{syscall.EREMOTE, "too many levels of remote in path"},
	{syscall.ENOLCK, "no locks available"},
	{syscall.ENOSYS, "system call not available"},
	{syscall.ENOSTR, "not a stream device"},
	{syscall.ETIME, "timer expired"},
	{syscall.ENOSR, "out of stream resources"},
	{syscall.ENOMSG, "no message of desired type"},
	{syscall.EBADMSG, "bad message type"},
	{syscall.EIDRM, "identifier removed"},
	{syscall.ENONET, "machine not on network"},
	{syscall.ENOLINK, "link severed"},
	{syscall.EADV, "advertise error"},
	{syscall.ESRMNT, "srmount error"},
	{syscall.ECOMM, "communication error"},
	{syscall.EMULTIHOP, "multihop attempted"},
	{syscall.EREMCHG, "remote address changed"},
}

// Errno returns djb's text for an errno value, "unknown error" for others.
func Errno(e syscall.Errno) string {
	for _, w := range words {
		if w.errno == e {
			return w.text
		}
	}
	return "unknown error"
}

// Of returns djb's text for the errno inside err (through *os.PathError and
// any %w wrapping); an error without an errno is printed as Go prints it.
func Of(err error) string {
	var e syscall.Errno
	if errors.As(err, &e) {
		return Errno(e)
	}
	if err == nil {
		return Errno(0)
	}
	return err.Error()
}
