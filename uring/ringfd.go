package uring

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// RegisterRingFD registers the ring's descriptor in the calling task's
// registered-ring table (IORING_REGISTER_RING_FDS, any free slot); from
// then on the ring enters with IORING_ENTER_REGISTERED_RING and, where the
// kernel has IORING_FEAT_REG_REG_RING, registers with
// IORING_REGISTER_USE_REGISTERED_RING. It returns the number of entries
// registered (1). A ring already registered gives EEXIST.
//
// Linux: liburing src/register.c:io_uring_register_ring_fd()
func (r *Ring) RegisterRingFD() (int, error) {
	if r.regRing {
		return 0, unix.EEXIST
	}
	var n int
	err := r.withArg(uint64(unsafe.Sizeof(rings.RsrcUpdate{})), func(b []byte, addr uint64) error {
		up := (*rings.RsrcUpdate)(unsafe.Pointer(&b[0]))
		*up = rings.RsrcUpdate{Data: uint64(r.fd), Offset: ^uint32(0)}
		var err error
		if n, err = r.Register(rings.IORING_REGISTER_RING_FDS, addr, 1); err == nil && n == 1 {
			r.enterFD = int(up.Offset)
			r.regRing = true
			r.regRegRing = r.params.Features&rings.IORING_FEAT_REG_REG_RING != 0
		}
		return err
	})
	return n, err
}

// UnregisterRingFD removes the ring from the task's registered-ring table
// (IORING_UNREGISTER_RING_FDS); the ring goes back to its descriptor. A ring
// that is not registered gives EINVAL.
//
// Linux: liburing src/register.c:io_uring_unregister_ring_fd()
func (r *Ring) UnregisterRingFD() error {
	if !r.regRing {
		return unix.EINVAL
	}
	return r.withArg(uint64(unsafe.Sizeof(rings.RsrcUpdate{})), func(b []byte, addr uint64) error {
		*(*rings.RsrcUpdate)(unsafe.Pointer(&b[0])) = rings.RsrcUpdate{Offset: uint32(r.enterFD)}
		n, err := r.Register(rings.IORING_UNREGISTER_RING_FDS, addr, 1)
		if err == nil && n == 1 {
			r.enterFD = r.fd
			r.regRing, r.regRegRing = false, false
		}
		return err
	})
}

// CloseRingFD closes the ring's descriptor once it is registered, so that
// only the registered index reaches it (EOPNOTSUPP without
// IORING_FEAT_REG_REG_RING, EINVAL when not registered, EBADF when
// already closed).
//
// Linux: liburing src/register.c:io_uring_close_ring_fd()
func (r *Ring) CloseRingFD() error {
	if r.params.Features&rings.IORING_FEAT_REG_REG_RING == 0 {
		return unix.EOPNOTSUPP
	}
	if !r.regRing {
		return unix.EINVAL
	}
	if r.fd == -1 {
		return unix.EBADF
	}
	err := r.be.Close(r.fd)
	r.fd = -1
	return err
}

// RegisteredIndex is the ring's index in the task's registered-ring table,
// or -1 when it is not registered.
func (r *Ring) RegisteredIndex() int {
	if !r.regRing {
		return -1
	}
	return r.enterFD
}
