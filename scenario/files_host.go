package scenario

import (
	"golang.org/x/sys/unix"
)

// hostFiles creates the file objects of a host run with plain system
// calls. It stands in until uring.Files serves both backends.
type hostFiles struct{}

func (hostFiles) pipe() (int, int, error) {
	var p [2]int
	err := unix.Pipe2(p[:], unix.O_CLOEXEC)
	return p[0], p[1], err
}

func (hostFiles) socketpair(typ int) (int, int, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	return fds[0], fds[1], err
}

func (hostFiles) listen() (int, int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, 0, err
	}
	fail := func(err error) (int, int, error) {
		_ = unix.Close(fd)
		return -1, 0, err
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return fail(err)
	}
	if err := unix.Listen(fd, 16); err != nil {
		return fail(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return fail(err)
	}
	in, ok := sa.(*unix.SockaddrInet4)
	if !ok {
		return fail(unix.EAFNOSUPPORT)
	}
	return fd, in.Port, nil
}

func (hostFiles) socket() (int, error) {
	return unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
}

func (hostFiles) eventfd(init uint64) (int, error) {
	return unix.Eventfd(uint(init), unix.EFD_CLOEXEC)
}

// tempFile is an unnamed regular file (O_TMPFILE) holding data, size bytes
// long.
func (hostFiles) tempFile(data []byte, size int64) (int, error) {
	dir := "/tmp"
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return -1, err
	}
	if len(data) > 0 {
		if _, err := unix.Pwrite(fd, data, 0); err != nil {
			_ = unix.Close(fd)
			return -1, err
		}
	}
	if err := unix.Ftruncate(fd, max(size, int64(len(data)))); err != nil {
		_ = unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func (hostFiles) write(fd int, data []byte) (int, error) { return unix.Write(fd, data) }

func (hostFiles) read(fd, n int) ([]byte, error) {
	b := make([]byte, n)
	m, err := unix.Read(fd, b)
	if err != nil {
		return nil, err
	}
	return b[:m], nil
}

func (hostFiles) shutdown(fd, how int) error    { return unix.Shutdown(fd, how) }
func (hostFiles) close(fd int) error            { return unix.Close(fd) }
func (hostFiles) fdinfo(fd int) (string, error) { return hostFdinfo(fd) }
