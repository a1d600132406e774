package uring

import (
	"github.com/uringsim/uringsim/rings"
)

// Backend is the system-call surface a Ring runs on: the three io_uring
// system calls, mmap of the ring regions, close, and user memory.
//
// There are exactly two implementations: the host kernel (HostBackend) and
// the simulator (Machine.Backend). Errors are unix.Errno values.
//
// Addresses (argp, arg) are user addresses: memory from Alloc or a ring
// mapping of the same backend. The simulated kernel refuses any other
// address with EFAULT; the host kernel accepts any valid address of the
// process.
type Backend interface {
	// Name is "kernel" for the host backend and "sim" for the simulator.
	Name() string
	// Host reports whether the calls go to the host kernel.
	Host() bool

	// Setup is io_uring_setup(2): it passes p to the kernel and, on
	// success, leaves in p what the kernel wrote back (sizes, features,
	// offsets). It returns the ring's file descriptor.
	Setup(entries uint32, p *rings.Params) (fd int, err error)
	// Enter is io_uring_enter(2). argp/argsz are passed through
	// untouched (a sigset or, with IORING_ENTER_EXT_ARG, a struct
	// io_uring_getevents_arg in user memory).
	Enter(fd int, toSubmit, minComplete, flags uint32, argp, argsz uint64) (int, error)
	// Register is io_uring_register(2).
	Register(fd int, opcode uint32, arg uint64, nrArgs uint32) (int, error)
	// MapRing maps length bytes of a ring region of fd at the magic
	// offset (IORING_OFF_SQ_RING, IORING_OFF_CQ_RING, IORING_OFF_SQES,
	// IORING_OFF_PBUF_RING|...): mmap(2) with MAP_SHARED.
	MapRing(fd int, offset, length uint64) ([]byte, error)
	// Unmap undoes MapRing.
	Unmap(mem []byte) error
	// Close is close(2).
	Close(fd int) error

	// Alloc returns size bytes (rounded up to whole pages) of zeroed,
	// page-aligned user memory at a real address that stays put until
	// Free.
	Alloc(size uint64) ([]byte, error)
	// Free releases memory from Alloc.
	Free(mem []byte) error

	// Yield is called by the ring code around every access to a shared
	// head, tail or flags word. On the host it does nothing; on the
	// simulator it is a scheduling point of the world's main thread, so
	// the kernel's threads interleave deterministically with the
	// program's ring accesses.
	Yield()

	// BindThread is called by New, UnbindThread by Ring.Close: the host
	// backend locks the calling goroutine to its OS thread (the task
	// io_uring keys on); the simulator does nothing.
	BindThread()
	UnbindThread()
}

// addrOf is the user address of b's first byte (0 for an empty slice).
func addrOf(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	return uint64(uintptrOf(&b[0]))
}
