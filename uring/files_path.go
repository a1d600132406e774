package uring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// PathSys is the path-based file system calls — mkdirat, openat,
// symlinkat, unlinkat, statx, readlinkat — on either backend, for tests
// that set up a directory tree and check what io_uring's path ops did to
// it. Every call takes a directory descriptor; Base is a directory made
// for the caller, empty at first, so the same relative names mean the
// same thing on both backends.
//
// Host: a fresh directory under /dev/shm (tmpfs, like the simulator's
// file system) or os.TempDir(), removed with everything in it by Close.
// Simulator: a fresh directory in the root of the machine's tmpfs.
// Errors are unix.Errno values.
type PathSys interface {
	// Base is a descriptor (O_DIRECTORY) of the caller's directory.
	Base() int
	Mkdirat(dfd int, path string, mode uint32) error
	Openat(dfd int, path string, flags int, mode uint32) (int, error)
	Symlinkat(target string, dfd int, path string) error
	Unlinkat(dfd int, path string, flags int) error
	Statx(dfd int, path string, flags int, mask uint32) (unix.Statx_t, error)
	Readlinkat(dfd int, path string) (string, error)
	// Close closes Base (and on the host removes the directory).
	Close() error
}

// Paths returns a PathSys on be with a fresh base directory.
func Paths(be Backend) (PathSys, error) {
	switch b := be.(type) {
	case *simBackend:
		return newSimPaths(b)
	case hostBackend:
		return newHostPaths()
	}
	return nil, unix.EINVAL
}

// statxBytes views a Statx_t as the 256 bytes of struct statx.
func statxBytes(st *unix.Statx_t) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(st)), unsafe.Sizeof(*st))
}
