package uring

import (
	"os"

	"golang.org/x/sys/unix"
)

// hostPaths is PathSys on the host kernel.
type hostPaths struct {
	dir  string
	base int
}

func newHostPaths() (*hostPaths, error) {
	parent := "/dev/shm"
	if st, err := os.Stat(parent); err != nil || !st.IsDir() {
		parent = os.TempDir()
	}
	dir, err := os.MkdirTemp(parent, "uringsim-paths-")
	if err != nil {
		return nil, toErrno(err)
	}
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		os.RemoveAll(dir)
		return nil, toErrno(err)
	}
	return &hostPaths{dir: dir, base: fd}, nil
}

func (h *hostPaths) Base() int { return h.base }

func (h *hostPaths) Mkdirat(dfd int, path string, mode uint32) error {
	return toErrno(unix.Mkdirat(dfd, path, mode))
}

func (h *hostPaths) Openat(dfd int, path string, flags int, mode uint32) (int, error) {
	fd, err := unix.Openat(dfd, path, flags, mode)
	if err != nil {
		return -1, toErrno(err)
	}
	return fd, nil
}

func (h *hostPaths) Symlinkat(target string, dfd int, path string) error {
	return toErrno(unix.Symlinkat(target, dfd, path))
}

func (h *hostPaths) Unlinkat(dfd int, path string, flags int) error {
	return toErrno(unix.Unlinkat(dfd, path, flags))
}

func (h *hostPaths) Statx(dfd int, path string, flags int, mask uint32) (unix.Statx_t, error) {
	var st unix.Statx_t
	err := unix.Statx(dfd, path, flags, int(mask), &st)
	return st, toErrno(err)
}

func (h *hostPaths) Readlinkat(dfd int, path string) (string, error) {
	buf := make([]byte, 4096)
	n, err := unix.Readlinkat(dfd, path, buf)
	if err != nil {
		return "", toErrno(err)
	}
	return string(buf[:n]), nil
}

func (h *hostPaths) Close() error {
	err := unix.Close(h.base)
	os.RemoveAll(h.dir)
	return toErrno(err)
}
