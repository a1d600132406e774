package uring

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// ResizeRings replaces the ring's SQ and CQ with ones of p.SQEntries and
// (with IORING_SETUP_CQSIZE in p.Flags) p.CQEntries entries
// (IORING_REGISTER_RESIZE_RINGS), keeping what is pending in both, and
// maps the new rings in place of the old. p.Flags may hold only CQSIZE and
// CLAMP; on return p holds what the kernel wrote back and its Flags are
// cleared for the next use, as liburing does. Only DEFER_TASKRUN rings can
// be resized; a NO_MMAP ring is refused here (EINVAL), as liburing does.
//
// The new SQ index array is found where rings.RingsLayout puts it: Linux
// 6.18 does not write sq_off.array back on a resize.
//
// Linux: liburing src/register.c:io_uring_resize_rings()
func (r *Ring) ResizeRings(p *rings.Params) error {
	if r.flags&rings.IORING_SETUP_NO_MMAP != 0 {
		return unix.EINVAL
	}
	p.SQOff, p.CQOff = rings.SQRingOffsets{}, rings.CQRingOffsets{}
	defer func() { p.Flags = 0 }()
	err := r.withArg(uint64(unsafe.Sizeof(*p)), func(b []byte, addr uint64) error {
		*(*rings.Params)(unsafe.Pointer(&b[0])) = *p
		_, err := r.Register(rings.IORING_REGISTER_RESIZE_RINGS, addr, 1)
		*p = *(*rings.Params)(unsafe.Pointer(&b[0]))
		return err
	})
	if err != nil {
		return err
	}
	l, ok := rings.RingsLayout(p.Flags, p.SQEntries, p.CQEntries)
	if !ok {
		return unix.EOVERFLOW
	}
	oldRing, oldSQEs := r.ringMem, r.sqeMem
	if err := r.attach(l); err != nil {
		return err
	}
	r.params.SQEntries, r.params.CQEntries = p.SQEntries, p.CQEntries
	r.params.SQOff, r.params.CQOff = l.SQOff, l.CQOff
	keepFirst(&err, r.be.Unmap(oldSQEs))
	keepFirst(&err, r.be.Unmap(oldRing))
	return err
}
