package uring

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

func uintptrOf(p *byte) uintptr { return uintptr(unsafe.Pointer(p)) }

// hostBackend is the host kernel's io_uring, reached with raw system calls.
// It has no state: every call goes straight to the kernel.
type hostBackend struct{}

// HostBackend returns the backend of the host kernel's io_uring. It checks
// that io_uring works here by setting up (and closing) a one-entry ring; if
// that fails the error wraps the errno io_uring_setup(2) returned: ENOSYS
// without CONFIG_IO_URING, EPERM when kernel.io_uring_disabled or a seccomp
// filter forbids it, ...
func HostBackend() (Backend, error) {
	var p rings.Params
	be := hostBackend{}
	fd, err := be.Setup(1, &p)
	if err != nil {
		return nil, fmt.Errorf("uring: host io_uring unavailable: io_uring_setup: %w", err)
	}
	_ = be.Close(fd)
	return be, nil
}

// HostAvailable reports whether the host kernel's io_uring can be used (for
// tests to t.Skip otherwise).
func HostAvailable() bool {
	_, err := HostBackend()
	return err == nil
}

// IsUnavailable reports whether err says io_uring cannot be used here at all
// (ENOSYS, EPERM, EACCES) rather than that a particular call failed.
func IsUnavailable(err error) bool {
	return errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES)
}

func (hostBackend) Name() string { return "kernel" }
func (hostBackend) Host() bool   { return true }

func (hostBackend) Setup(entries uint32, p *rings.Params) (int, error) {
	r, _, e := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(p)), 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

func (hostBackend) Enter(fd int, toSubmit, minComplete, flags uint32, argp, argsz uint64) (int, error) {
	r, _, e := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(fd), uintptr(toSubmit), uintptr(minComplete),
		uintptr(flags), uintptr(argp), uintptr(argsz))
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

func (hostBackend) Register(fd int, opcode uint32, arg uint64, nrArgs uint32) (int, error) {
	r, _, e := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(fd), uintptr(opcode), uintptr(arg), uintptr(nrArgs), 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

func toErrno(err error) error {
	var e unix.Errno
	if errors.As(err, &e) {
		return e
	}
	return err
}

func (hostBackend) MapRing(fd int, offset, length uint64) ([]byte, error) {
	if length == 0 || length > 1<<40 {
		return nil, unix.EINVAL
	}
	mem, err := unix.Mmap(fd, int64(offset), int(length), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return nil, toErrno(err)
	}
	return mem, nil
}

func (hostBackend) Unmap(mem []byte) error { return toErrno(unix.Munmap(mem)) }

func (hostBackend) Close(fd int) error { return toErrno(unix.Close(fd)) }

func (hostBackend) Alloc(size uint64) ([]byte, error) {
	if size == 0 || size > 1<<40 {
		return nil, unix.EINVAL
	}
	n := rings.PageAlign(size)
	mem, err := unix.Mmap(-1, 0, int(n), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, toErrno(err)
	}
	return mem, nil
}

func (hostBackend) Free(mem []byte) error { return toErrno(unix.Munmap(mem)) }

func (hostBackend) Yield() {}

func (hostBackend) BindThread()   { runtime.LockOSThread() }
func (hostBackend) UnbindThread() { runtime.UnlockOSThread() }
