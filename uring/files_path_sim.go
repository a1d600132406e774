package uring

import (
	"fmt"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
)

// simPaths is PathSys on the simulator: system calls of the machine's
// main task, names passed through a page of user memory.
type simPaths struct {
	be   *simBackend
	mem  []byte // names and the statx / readlink buffer
	base int
}

var simPathSeq atomic.Uint64

func newSimPaths(b *simBackend) (*simPaths, error) {
	mem, err := b.Alloc(3 * rings.PAGE_SIZE)
	if err != nil {
		return nil, err
	}
	s := &simPaths{be: b, mem: mem}
	dir := fmt.Sprintf("uringsim-paths-%d", simPathSeq.Add(1))
	if err := s.Mkdirat(kernel.AT_FDCWD, dir, 0o700); err != nil {
		return nil, err
	}
	fd, err := s.Openat(kernel.AT_FDCWD, dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	s.base = fd
	return s, nil
}

// names puts up to two NUL-terminated names in user memory.
func (s *simPaths) names(a, b string) (uint64, uint64, error) {
	if len(a) >= rings.PAGE_SIZE || len(b) >= rings.PAGE_SIZE {
		return 0, 0, unix.ENAMETOOLONG
	}
	clear(s.mem[:2*rings.PAGE_SIZE])
	copy(s.mem, a)
	copy(s.mem[rings.PAGE_SIZE:], b)
	return addrOf(s.mem), addrOf(s.mem[rings.PAGE_SIZE:]), nil
}

func (s *simPaths) Base() int { return s.base }

func (s *simPaths) Mkdirat(dfd int, path string, mode uint32) error {
	p, _, err := s.names(path, "")
	if err != nil {
		return err
	}
	return errnoOf(kernel.Mkdirat(s.be.task, int32(dfd), p, mode))
}

func (s *simPaths) Openat(dfd int, path string, flags int, mode uint32) (int, error) {
	p, _, err := s.names(path, "")
	if err != nil {
		return -1, err
	}
	return retOf(kernel.Openat(s.be.task, int32(dfd), p, uint32(flags), mode))
}

func (s *simPaths) Symlinkat(target string, dfd int, path string) error {
	p, q, err := s.names(target, path)
	if err != nil {
		return err
	}
	return errnoOf(kernel.Symlinkat(s.be.task, p, int32(dfd), q))
}

func (s *simPaths) Unlinkat(dfd int, path string, flags int) error {
	p, _, err := s.names(path, "")
	if err != nil {
		return err
	}
	return errnoOf(kernel.Unlinkat(s.be.task, int32(dfd), p, uint32(flags)))
}

func (s *simPaths) Statx(dfd int, path string, flags int, mask uint32) (unix.Statx_t, error) {
	var st unix.Statx_t
	p, _, err := s.names(path, "")
	if err != nil {
		return st, err
	}
	buf := s.mem[2*rings.PAGE_SIZE:]
	if err := errnoOf(kernel.Statx(s.be.task, int32(dfd), p, uint32(flags), mask, addrOf(buf))); err != nil {
		return st, err
	}
	copy(statxBytes(&st), buf)
	return st, nil
}

func (s *simPaths) Readlinkat(dfd int, path string) (string, error) {
	p, _, err := s.names(path, "")
	if err != nil {
		return "", err
	}
	buf := s.mem[2*rings.PAGE_SIZE:]
	n, err := retOf(kernel.Readlinkat(s.be.task, int32(dfd), p, addrOf(buf), rings.PAGE_SIZE))
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

func (s *simPaths) Close() error {
	err := errnoOf(kernel.Close(s.be.task, s.base))
	_ = s.be.Free(s.mem)
	return err
}
