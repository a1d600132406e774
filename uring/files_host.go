package uring

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/uringsim/uringsim/rings"
	"golang.org/x/sys/unix"
)

// hostFiles is the host kernel's FileSys: plain system calls.
type hostFiles struct{}

// tempSeq makes names for the create-and-unlink fallback of TempFile.
var tempSeq atomic.Uint64

func (hostFiles) Pipe() (int, int, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return -1, -1, toErrno(err)
	}
	return p[0], p[1], nil
}

func (hostFiles) Eventfd(initval uint32) (int, error) {
	fd, err := unix.Eventfd(uint(initval), unix.EFD_CLOEXEC)
	if err != nil {
		return -1, toErrno(err)
	}
	return fd, nil
}

func (hostFiles) TempFile(data []byte, size int64) (int, error) {
	dir := os.TempDir()
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		// No O_TMPFILE here (EOPNOTSUPP, EISDIR on old kernels, ...):
		// create a file and unlink it at once.
		name := filepath.Join(dir, fmt.Sprintf("uringsim-%d-%d", os.Getpid(), tempSeq.Add(1)))
		fd, err = unix.Open(name, unix.O_CREAT|unix.O_EXCL|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return -1, toErrno(err)
		}
		_ = unix.Unlink(name)
	}
	for off := 0; off < len(data); {
		n, err := unix.Pwrite(fd, data[off:], int64(off))
		if err != nil {
			unix.Close(fd)
			return -1, toErrno(err)
		}
		off += n
	}
	if size > int64(len(data)) {
		if err := unix.Ftruncate(fd, size); err != nil {
			unix.Close(fd)
			return -1, toErrno(err)
		}
	}
	return fd, nil
}

func (hostFiles) Write(fd int, b []byte) (int, error) {
	n, err := unix.Write(fd, b)
	if err != nil {
		return -1, toErrno(err)
	}
	return n, nil
}

func (hostFiles) Read(fd int, b []byte) (int, error) {
	n, err := unix.Read(fd, b)
	if err != nil {
		return -1, toErrno(err)
	}
	return n, nil
}

func (hostFiles) Close(fd int) error { return toErrno(unix.Close(fd)) }

func (hostFiles) Sleep(d time.Duration) { time.Sleep(d) }

func (hostFiles) Fdinfo(fd int) (string, error) {
	if fd < 0 {
		return "", unix.EBADF
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", fd))
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return "", unix.EBADF
		}
		return "", toErrno(err)
	}
	return string(b), nil
}

func (hostFiles) Mmap(length uint64, flags int) ([]byte, error) {
	if flags&^mmapFlags != 0 || length == 0 || length > 1<<40 {
		return nil, unix.EINVAL
	}
	mem, err := unix.Mmap(-1, 0, int(rings.PageAlign(length)), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|flags)
	if err != nil {
		return nil, toErrno(err)
	}
	return mem, nil
}

func (hostFiles) Socketpair(typ int) (int, int, error) {
	p, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, -1, toErrno(err)
	}
	return p[0], p[1], nil
}

func (hostFiles) Listen() (int, uint16, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, 0, toErrno(err)
	}
	fail := func(err error) (int, uint16, error) {
		unix.Close(fd)
		return -1, 0, toErrno(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return fail(err)
	}
	if err := unix.Listen(fd, 128); err != nil {
		return fail(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return fail(err)
	}
	in4, ok := sa.(*unix.SockaddrInet4)
	if !ok {
		return fail(unix.EAFNOSUPPORT)
	}
	return fd, uint16(in4.Port), nil
}

func (hostFiles) Socket() (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, toErrno(err)
	}
	return fd, nil
}

func (hostFiles) Shutdown(fd, how int) error { return toErrno(unix.Shutdown(fd, how)) }

func (hostFiles) EpollCreate() (int, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	return fd, toErrno(err)
}

func (hostFiles) EpollCtl(epfd, op, fd int, events uint32, data uint64) error {
	ev := unix.EpollEvent{Events: events, Fd: int32(data), Pad: int32(data >> 32)}
	return toErrno(unix.EpollCtl(epfd, op, fd, &ev))
}

func (hostFiles) ReopenPipe(fd int) (int, error) {
	nfd, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", fd), unix.O_RDWR|unix.O_CLOEXEC, 0)
	return nfd, toErrno(err)
}
