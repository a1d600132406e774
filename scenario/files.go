package scenario

import (
	"fmt"
	"os"
	"strconv"
	"strings"

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
	tempFile(data []byte, size int64) (int, error)
	write(fd int, data []byte) (int, error)
	read(fd, n int) ([]byte, error)
	shutdown(fd, how int) error
	close(fd int) error
	fdinfo(fd int) (string, error)
}

// newFileSys returns the file objects of be, or nil when the backend has
// none yet.
func newFileSys(be uring.Backend) fileSys {
	if be.Host() {
		return hostFiles{}
	}
	return nil
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

// hostFdinfo reads /proc/self/fdinfo/FD.
func hostFdinfo(fd int) (string, error) {
	b, err := os.ReadFile("/proc/self/fdinfo/" + strconv.Itoa(fd))
	return string(b), err
}
