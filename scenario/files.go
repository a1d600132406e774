package scenario

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/uring"
)

// fileSys is what the runner needs to create and use the scenario's file
// objects on a backend (uring.Files).
type fileSys interface {
	pipe() (r, w int, err error)
	socketpair(typ int) (a, b int, err error)
	listen() (fd, port int, err error)
	socket() (int, error)
	eventfd(init uint64) (int, error)
	epoll() (int, error)
	reopenPipe(fd int) (int, error)
	tempFile(data []byte, size int64) (int, error)
	write(fd int, data []byte) (int, error)
	read(fd, n int) ([]byte, error)
	shutdown(fd, how int) error
	close(fd int) error
	fdinfo(fd int) (string, error)
	sleep(d time.Duration)
}

// newFileSys returns the file objects of be (uring.Files), or nil when
// the backend has none.
func newFileSys(be uring.Backend) fileSys {
	fs, err := uring.Files(be)
	if err != nil {
		return nil
	}
	return uringFiles{fs}
}

// uringFiles adapts uring.FileSys to what the runner calls.
type uringFiles struct{ fs uring.FileSys }

func (u uringFiles) pipe() (int, int, error)                { return u.fs.Pipe() }
func (u uringFiles) socketpair(typ int) (int, int, error)   { return u.fs.Socketpair(typ) }
func (u uringFiles) socket() (int, error)                   { return u.fs.Socket() }
func (u uringFiles) eventfd(init uint64) (int, error)       { return u.fs.Eventfd(uint32(init)) }
func (u uringFiles) epoll() (int, error)                    { return u.fs.EpollCreate() }
func (u uringFiles) reopenPipe(fd int) (int, error)         { return u.fs.ReopenPipe(fd) }
func (u uringFiles) write(fd int, data []byte) (int, error) { return u.fs.Write(fd, data) }
func (u uringFiles) shutdown(fd, how int) error             { return u.fs.Shutdown(fd, how) }
func (u uringFiles) close(fd int) error                     { return u.fs.Close(fd) }
func (u uringFiles) fdinfo(fd int) (string, error)          { return u.fs.Fdinfo(fd) }
func (u uringFiles) sleep(d time.Duration)                  { u.fs.Sleep(d) }

func (u uringFiles) listen() (int, int, error) {
	fd, port, err := u.fs.Listen()
	return fd, int(port), err
}

func (u uringFiles) tempFile(data []byte, size int64) (int, error) {
	return u.fs.TempFile(data, size)
}

func (u uringFiles) read(fd, n int) ([]byte, error) {
	b := make([]byte, n)
	m, err := u.fs.Read(fd, b)
	if err != nil {
		return nil, err
	}
	return b[:m], nil
}

// hostVersion is the host kernel's release from uname(2).
func hostVersion() ([3]int, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return [3]int{}, err
	}
	rel := unix.ByteSliceToString(u.Release[:])
	var v [3]int
	parts := strings.SplitN(rel, ".", 3)
	for i := range parts {
		digits := parts[i]
		for j, c := range digits {
			if c < '0' || c > '9' {
				digits = digits[:j]
				break
			}
		}
		n, err := strconv.Atoi(digits)
		if err != nil {
			if i < 2 {
				return v, fmt.Errorf("cannot read kernel release %q", rel)
			}
			break
		}
		v[i] = n
	}
	return v, nil
}
