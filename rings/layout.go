package rings

import (
	"math"
	"math/bits"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Kernel-side sizes the ring layout depends on (x86-64 values).
//
// Linux: io_uring/io_uring.h, arch/x86/include/asm/cache.h, include/linux/limits.h
const (
	// IORING_MAX_ENTRIES is the largest SQ size io_uring_setup accepts
	// (larger fails with -EINVAL unless IORING_SETUP_CLAMP).
	IORING_MAX_ENTRIES = 32768
	// IORING_MAX_CQ_ENTRIES is the largest CQ size (IORING_SETUP_CQSIZE).
	IORING_MAX_CQ_ENTRIES = 2 * IORING_MAX_ENTRIES
	// SMP_CACHE_BYTES is the cache line the CQE array and the SQ index
	// array are aligned to (L1_CACHE_BYTES on x86-64).
	SMP_CACHE_BYTES = 64
	// PAGE_SIZE is the granule the ring regions are allocated in.
	PAGE_SIZE = 4096
	// SIZE_MAX is what rings_size() returns on overflow.
	SIZE_MAX = math.MaxUint64
)

// Uring is struct io_uring, a head/tail pair of struct io_rings. The
// consumer owns head, the producer owns tail.
//
// Linux: include/linux/io_uring_types.h:struct io_uring
type Uring struct {
	Head uint32
	Tail uint32
}

// Rings is the fixed part of struct io_rings, the memory shared between the
// kernel and the application that io_uring_params.sq_off and .cq_off point
// into. The CQE array follows at offsetof(struct io_rings, cqes) = 64
// (____cacheline_aligned_in_smp), then, unless IORING_SETUP_NO_SQARRAY, the
// SQ index array at the next SMP_CACHE_BYTES boundary.
//
//	off  field
//	0    sq.head         (application writes, kernel reads)
//	4    sq.tail         (application writes, kernel reads)
//	8    cq.head         (application writes, kernel reads)
//	12   cq.tail         (kernel writes, application reads)
//	16   sq_ring_mask    (constant)
//	20   cq_ring_mask    (constant)
//	24   sq_ring_entries (constant)
//	28   cq_ring_entries (constant)
//	32   sq_dropped      (kernel writes)
//	36   sq_flags        (kernel writes, atomic_t)
//	40   cq_flags        (application writes)
//	44   cq_overflow     (kernel writes)
//	64   cqes[]
//
// Linux: include/linux/io_uring_types.h:struct io_rings
type Rings struct {
	SQ            Uring
	CQ            Uring
	SQRingMask    uint32
	CQRingMask    uint32
	SQRingEntries uint32
	CQRingEntries uint32
	SQDropped     uint32
	SQFlags       uint32
	CQFlags       uint32
	CQOverflow    uint32
	_             [16]byte // cqes[] is ____cacheline_aligned_in_smp
}

// RingsCQEsOffset is offsetof(struct io_rings, cqes), also sizeof(struct
// io_rings).
const RingsCQEsOffset = 64

// sizeAdd, sizeMul: size_add()/size_mul() of include/linux/overflow.h,
// saturating at SIZE_MAX.
func sizeAdd(a, b uint64) uint64 {
	s, carry := bits.Add64(a, b, 0)
	if carry != 0 {
		return SIZE_MAX
	}
	return s
}

func sizeMul(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 {
		return SIZE_MAX
	}
	return lo
}

// RingsSize mirrors rings_size(): the size of struct io_rings with
// cqEntries CQEs (doubled for IORING_SETUP_CQE32) and, unless
// IORING_SETUP_NO_SQARRAY, the SQ index array of sqEntries u32 starting at
// the next SMP_CACHE_BYTES boundary. It returns SIZE_MAX (the kernel then
// fails with -EOVERFLOW) on overflow and for a CQE_MIXED ring of fewer than 2
// CQ entries; sqOffset is SIZE_MAX with IORING_SETUP_NO_SQARRAY.
//
// Linux: io_uring/io_uring.c:rings_size()
func RingsSize(flags, sqEntries, cqEntries uint32) (size, sqOffset uint64) {
	// off = struct_size(rings, cqes, cq_entries);
	off := sizeAdd(RingsCQEsOffset, sizeMul(CQESize, uint64(cqEntries)))
	if off == SIZE_MAX {
		return SIZE_MAX, 0
	}
	if flags&IORING_SETUP_CQE32 != 0 {
		// check_shl_overflow(off, 1, &off)
		if off>>63 != 0 {
			return SIZE_MAX, 0
		}
		off <<= 1
	}
	if flags&IORING_SETUP_CQE_MIXED != 0 {
		if cqEntries < 2 {
			return SIZE_MAX, 0
		}
	}

	// CONFIG_SMP: off = ALIGN(off, SMP_CACHE_BYTES), wrapping like the C.
	off = (off + SMP_CACHE_BYTES - 1) &^ (SMP_CACHE_BYTES - 1)
	if off == 0 {
		return SIZE_MAX, 0
	}

	if flags&IORING_SETUP_NO_SQARRAY != 0 {
		return off, SIZE_MAX
	}

	sqOffset = off
	sqArraySize := sizeMul(4, uint64(sqEntries)) // array_size(sizeof(u32), sq_entries)
	if sqArraySize == SIZE_MAX {
		return SIZE_MAX, sqOffset
	}
	size, carry := bits.Add64(off, sqArraySize, 0) // check_add_overflow
	if carry != 0 {
		return SIZE_MAX, sqOffset
	}
	return size, sqOffset
}

// SQEsSize mirrors the SQE array sizing of io_allocate_scq_urings():
// array_size(sizeof(struct io_uring_sqe), sq_entries), with twice the entry
// size for IORING_SETUP_SQE128; SIZE_MAX on overflow.
//
// Linux: io_uring/io_uring.c:io_allocate_scq_urings()
func SQEsSize(flags, sqEntries uint32) uint64 {
	if flags&IORING_SETUP_SQE128 != 0 {
		return sizeMul(2*SQESize, uint64(sqEntries))
	}
	return sizeMul(SQESize, uint64(sqEntries))
}

// PageAlign is PAGE_ALIGN(): size rounded up to a PAGE_SIZE multiple.
func PageAlign(size uint64) uint64 {
	return (size + PAGE_SIZE - 1) &^ (PAGE_SIZE - 1)
}

// Layout is where everything of one ring lives, as Linux 6.18 lays it out for
// the given setup flags and (already rounded) ring sizes: the rings region
// (struct io_rings, CQEs, SQ index array) and the SQE array region.
type Layout struct {
	// Flags are the setup flags the layout was computed for.
	Flags uint32
	// SQEntries and CQEntries are the ring sizes (powers of two).
	SQEntries uint32
	CQEntries uint32
	// RingsSize is rings_size(): the bytes of the rings region in use.
	// The region itself is PageAlign(RingsSize) bytes.
	RingsSize uint64
	// SQArrayOff is the offset of the SQ index array in the rings region;
	// 0 with IORING_SETUP_NO_SQARRAY, which has no array.
	SQArrayOff uint64
	// CQESize is the CQ slot size: 32 with IORING_SETUP_CQE32, else 16.
	CQESize uint32
	// SQESize is the SQ slot size: 128 with IORING_SETUP_SQE128, else 64.
	SQESize uint32
	// SQEsSize is the bytes of the SQE array region in use; the region is
	// PageAlign(SQEsSize) bytes.
	SQEsSize uint64
	// SQOff and CQOff are the offsets io_uring_setup(2) reports, as
	// io_uring_fill_params() and io_uring_create() fill them in.
	SQOff SQRingOffsets
	CQOff CQRingOffsets
}

// RingsRegionSize is the size of the rings mapping, PAGE_ALIGN(rings_size()).
func (l *Layout) RingsRegionSize() uint64 { return PageAlign(l.RingsSize) }

// SQEsRegionSize is the size of the SQE array mapping, PAGE_ALIGN of its size.
func (l *Layout) SQEsRegionSize() uint64 { return PageAlign(l.SQEsSize) }

// HasSQArray reports whether the ring has an SQ index array (no
// IORING_SETUP_NO_SQARRAY).
func (l *Layout) HasSQArray() bool { return l.Flags&IORING_SETUP_NO_SQARRAY == 0 }

// ringOffsets are the offsetof(struct io_rings, ...) values
// io_uring_fill_params() reports.
func ringOffsets() (SQRingOffsets, CQRingOffsets) {
	var r Rings
	sq := SQRingOffsets{
		Head:        uint32(unsafe.Offsetof(r.SQ) + unsafe.Offsetof(r.SQ.Head)),
		Tail:        uint32(unsafe.Offsetof(r.SQ) + unsafe.Offsetof(r.SQ.Tail)),
		RingMask:    uint32(unsafe.Offsetof(r.SQRingMask)),
		RingEntries: uint32(unsafe.Offsetof(r.SQRingEntries)),
		Flags:       uint32(unsafe.Offsetof(r.SQFlags)),
		Dropped:     uint32(unsafe.Offsetof(r.SQDropped)),
	}
	cq := CQRingOffsets{
		Head:        uint32(unsafe.Offsetof(r.CQ) + unsafe.Offsetof(r.CQ.Head)),
		Tail:        uint32(unsafe.Offsetof(r.CQ) + unsafe.Offsetof(r.CQ.Tail)),
		RingMask:    uint32(unsafe.Offsetof(r.CQRingMask)),
		RingEntries: uint32(unsafe.Offsetof(r.CQRingEntries)),
		Overflow:    uint32(unsafe.Offsetof(r.CQOverflow)),
		CQEs:        RingsCQEsOffset,
		Flags:       uint32(unsafe.Offsetof(r.CQFlags)),
	}
	return sq, cq
}

// RingsLayout computes the Layout of a ring with the given setup flags and
// ring sizes (already rounded up to powers of two, as io_uring_fill_params()
// leaves them). ok is false exactly where the kernel fails ring allocation
// with -EOVERFLOW: rings_size() returning SIZE_MAX, or the SQE array size
// overflowing.
//
// Linux: io_uring/io_uring.c:rings_size(), io_allocate_scq_urings()
func RingsLayout(flags, sqEntries, cqEntries uint32) (l Layout, ok bool) {
	size, sqOffset := RingsSize(flags, sqEntries, cqEntries)
	if size == SIZE_MAX {
		return Layout{}, false
	}
	sqes := SQEsSize(flags, sqEntries)
	if sqes == SIZE_MAX {
		return Layout{}, false
	}
	l = Layout{
		Flags:     flags,
		SQEntries: sqEntries,
		CQEntries: cqEntries,
		RingsSize: size,
		CQESize:   CQESize,
		SQESize:   SQESize,
		SQEsSize:  sqes,
	}
	if flags&IORING_SETUP_CQE32 != 0 {
		l.CQESize = CQE32Size
	}
	if flags&IORING_SETUP_SQE128 != 0 {
		l.SQESize = SQE128Size
	}
	l.SQOff, l.CQOff = ringOffsets()
	if flags&IORING_SETUP_NO_SQARRAY == 0 {
		l.SQArrayOff = sqOffset
		l.SQOff.Array = uint32(sqOffset)
	}
	return l, true
}

// roundupPowOfTwo is roundup_pow_of_two() for 0 < n <= 1<<31.
func roundupPowOfTwo(n uint32) uint32 {
	return 1 << bits.Len32(n-1)
}

// FillParams mirrors io_uring_fill_params(): it validates and rounds the
// ring sizes (sq entries to a power of two, cq entries to twice that or,
// with IORING_SETUP_CQSIZE, p.CQEntries rounded up; IORING_SETUP_CLAMP caps
// both at IORING_MAX_ENTRIES / IORING_MAX_CQ_ENTRIES) and fills p.SQOff and
// p.CQOff with the struct io_rings offsets, zeroing resv1 and, unless
// IORING_SETUP_NO_MMAP, user_addr. It returns unix.EINVAL where the kernel
// returns -EINVAL, else nil.
//
// Like the kernel it does not set p.SQOff.Array: io_uring_create() sets it
// to the SQ array offset (Layout.SQArrayOff) after allocating the rings,
// and leaves whatever the caller passed with IORING_SETUP_NO_SQARRAY.
// Validation of flag combinations (io_uring_sanitise_params) is the
// caller's.
//
// Linux: io_uring/io_uring.c:io_uring_fill_params()
func FillParams(entries uint32, p *Params) error {
	if entries == 0 {
		return unix.EINVAL
	}
	if entries > IORING_MAX_ENTRIES {
		if p.Flags&IORING_SETUP_CLAMP == 0 {
			return unix.EINVAL
		}
		entries = IORING_MAX_ENTRIES
	}

	p.SQEntries = roundupPowOfTwo(entries)
	if p.Flags&IORING_SETUP_CQSIZE != 0 {
		if p.CQEntries == 0 {
			return unix.EINVAL
		}
		if p.CQEntries > IORING_MAX_CQ_ENTRIES {
			if p.Flags&IORING_SETUP_CLAMP == 0 {
				return unix.EINVAL
			}
			p.CQEntries = IORING_MAX_CQ_ENTRIES
		}
		p.CQEntries = roundupPowOfTwo(p.CQEntries)
		if p.CQEntries < p.SQEntries {
			return unix.EINVAL
		}
	} else {
		p.CQEntries = 2 * p.SQEntries
	}

	sq, cq := ringOffsets()
	p.SQOff.Head = sq.Head
	p.SQOff.Tail = sq.Tail
	p.SQOff.RingMask = sq.RingMask
	p.SQOff.RingEntries = sq.RingEntries
	p.SQOff.Flags = sq.Flags
	p.SQOff.Dropped = sq.Dropped
	p.SQOff.Resv1 = 0
	if p.Flags&IORING_SETUP_NO_MMAP == 0 {
		p.SQOff.UserAddr = 0
	}

	p.CQOff.Head = cq.Head
	p.CQOff.Tail = cq.Tail
	p.CQOff.RingMask = cq.RingMask
	p.CQOff.RingEntries = cq.RingEntries
	p.CQOff.Overflow = cq.Overflow
	p.CQOff.CQEs = cq.CQEs
	p.CQOff.Flags = cq.Flags
	p.CQOff.Resv1 = 0
	if p.Flags&IORING_SETUP_NO_MMAP == 0 {
		p.CQOff.UserAddr = 0
	}
	return nil
}
