package rings

import (
	"errors"
	"sync/atomic"
	"unsafe"
)

// LoadAcquire is smp_load_acquire() of a 32-bit ring word (sq.tail read by
// the kernel, cq.tail read by the application, ...). Go's atomics are
// sequentially consistent, which is at least acquire.
//
// Linux: include/asm-generic/barrier.h:smp_load_acquire()
func LoadAcquire(p *uint32) uint32 { return atomic.LoadUint32(p) }

// ReadOnce is READ_ONCE() of a shared 32-bit word (cq_flags, sq head read by
// the application, ...): a single untorn load the compiler may not elide.
//
// Linux: include/asm-generic/rwonce.h:READ_ONCE()
func ReadOnce(p *uint32) uint32 { return atomic.LoadUint32(p) }

// ReadOnce64 is READ_ONCE() of a shared 64-bit user word (a futex2 word
// of FUTEX2_SIZE_U64).
//
// Linux: include/asm-generic/rwonce.h:READ_ONCE()
func ReadOnce64(p *uint64) uint64 { return atomic.LoadUint64(p) }

// WriteOnce64 is WRITE_ONCE() of a shared 64-bit user word.
//
// Linux: include/asm-generic/rwonce.h:WRITE_ONCE()
func WriteOnce64(p *uint64, v uint64) { atomic.StoreUint64(p, v) }

// AtomicOr is atomic_or() on a shared word (setting IORING_SQ_NEED_WAKEUP,
// IORING_SQ_CQ_OVERFLOW or IORING_SQ_TASKRUN in sq_flags).
//
// Linux: include/linux/atomic/atomic-instrumented.h:atomic_or()
func AtomicOr(p *uint32, v uint32) { atomic.OrUint32(p, v) }

// AtomicAndNot is atomic_andnot() on a shared word (clearing sq_flags bits).
//
// Linux: include/linux/atomic/atomic-instrumented.h:atomic_andnot()
func AtomicAndNot(p *uint32, v uint32) { atomic.AndUint32(p, ^v) }

// Errors of NewRingView and NewSQEView.
var (
	ErrRingEntries   = errors.New("rings: ring entries not a nonzero power of two")
	ErrRingTooSmall  = errors.New("rings: memory smaller than the ring layout")
	ErrRingAlignment = errors.New("rings: ring memory not 8-byte aligned")
)

// RingView gives typed access to a rings region (struct io_rings, the CQE
// array and the SQ index array) laid out as a Layout says. Both sides use it:
// the kernel over the region it allocated, the application over its mapping
// of IORING_OFF_SQ_RING.
//
// The ring masks a RingView indexes with are the ones of the Layout it was
// built from, never the sq_ring_mask/cq_ring_mask words in the shared memory,
// so whatever the other side writes there, no accessor reaches outside the
// region. Values read through the pointers (head, tail, array entries) are
// still untrusted: the kernel must check them as io_uring.c does.
//
// A RingView is a small value; copying it is fine. Nothing allocates.
//
// Linux: include/linux/io_uring_types.h:struct io_rings
type RingView struct {
	base      unsafe.Pointer
	layout    Layout
	sqMask    uint32
	cqMask    uint32
	cqeShift  uint8 // log2(slot size / 16)
	mixed     bool  // IORING_SETUP_CQE_MIXED
	sqArray   unsafe.Pointer
	cqesStart unsafe.Pointer
}

func isPow2(n uint32) bool { return n != 0 && n&(n-1) == 0 }

// NewRingView builds a RingView over mem, which must hold at least
// l.RingsSize bytes, be 8-byte aligned, and stay mapped (and unmoved) for as
// long as the view is used: mmap'd memory, or memory otherwise pinned.
func NewRingView(mem []byte, l Layout) (RingView, error) {
	if !isPow2(l.SQEntries) || !isPow2(l.CQEntries) {
		return RingView{}, ErrRingEntries
	}
	if uint64(len(mem)) < l.RingsSize || len(mem) == 0 {
		return RingView{}, ErrRingTooSmall
	}
	base := unsafe.Pointer(unsafe.SliceData(mem))
	if uintptr(base)%8 != 0 {
		return RingView{}, ErrRingAlignment
	}
	v := RingView{
		base:      base,
		layout:    l,
		sqMask:    l.SQEntries - 1,
		cqMask:    l.CQEntries - 1,
		mixed:     l.Flags&IORING_SETUP_CQE_MIXED != 0,
		cqesStart: unsafe.Add(base, l.CQOff.CQEs),
	}
	if l.Flags&IORING_SETUP_CQE32 != 0 {
		v.cqeShift = 1
	}
	if l.HasSQArray() {
		v.sqArray = unsafe.Add(base, l.SQArrayOff)
	}
	return v, nil
}

// Layout returns the layout the view was built from.
func (v RingView) Layout() Layout { return v.layout }

// Base is the start of the rings region.
func (v RingView) Base() unsafe.Pointer { return v.base }

func (v RingView) word(off uint32) *uint32 { return (*uint32)(unsafe.Add(v.base, off)) }

// SQHead is &rings->sq.head.
func (v RingView) SQHead() *uint32 { return v.word(v.layout.SQOff.Head) }

// SQTail is &rings->sq.tail.
func (v RingView) SQTail() *uint32 { return v.word(v.layout.SQOff.Tail) }

// SQRingMask is &rings->sq_ring_mask.
func (v RingView) SQRingMask() *uint32 { return v.word(v.layout.SQOff.RingMask) }

// SQRingEntries is &rings->sq_ring_entries.
func (v RingView) SQRingEntries() *uint32 { return v.word(v.layout.SQOff.RingEntries) }

// SQFlags is &rings->sq_flags.
func (v RingView) SQFlags() *uint32 { return v.word(v.layout.SQOff.Flags) }

// SQDropped is &rings->sq_dropped.
func (v RingView) SQDropped() *uint32 { return v.word(v.layout.SQOff.Dropped) }

// CQHead is &rings->cq.head.
func (v RingView) CQHead() *uint32 { return v.word(v.layout.CQOff.Head) }

// CQTail is &rings->cq.tail.
func (v RingView) CQTail() *uint32 { return v.word(v.layout.CQOff.Tail) }

// CQRingMask is &rings->cq_ring_mask.
func (v RingView) CQRingMask() *uint32 { return v.word(v.layout.CQOff.RingMask) }

// CQRingEntries is &rings->cq_ring_entries.
func (v RingView) CQRingEntries() *uint32 { return v.word(v.layout.CQOff.RingEntries) }

// CQFlags is &rings->cq_flags.
func (v RingView) CQFlags() *uint32 { return v.word(v.layout.CQOff.Flags) }

// CQOverflow is &rings->cq_overflow.
func (v RingView) CQOverflow() *uint32 { return v.word(v.layout.CQOff.Overflow) }

// Init writes the constant ring words (masks and entry counts) as
// io_allocate_scq_urings() does after allocating the region.
//
// Linux: io_uring/io_uring.c:io_allocate_scq_urings()
func (v RingView) Init() {
	*v.SQRingMask() = v.sqMask
	*v.CQRingMask() = v.cqMask
	*v.SQRingEntries() = v.layout.SQEntries
	*v.CQRingEntries() = v.layout.CQEntries
}

// CQE returns the CQE in slot i & cq mask: &rings->cqes[(i & mask) <<
// cqe_shift], so on a CQE32 ring slot i is the 32-byte entry i, and on a
// 16-byte (or CQE_MIXED) ring the 16-byte slot i. The pointer receiver
// keeps the reaping fast path from copying the whole view (168 bytes,
// with its Layout) for every CQE.
func (v *RingView) CQE(i uint32) *CQE {
	// The shift is 0 or 1; masked, it compiles to one instruction with no
	// test for an oversized count.
	return (*CQE)(unsafe.Add(v.cqesStart, (uintptr(i&v.cqMask)<<(v.cqeShift&63))*CQESize))
}

// CQE32 returns slot i as a 32-byte CQE: on an IORING_SETUP_CQE32 ring the
// entry itself; on an IORING_SETUP_CQE_MIXED ring slots i and i+1 together,
// or nil when i is the last slot (a big CQE never wraps); nil on other rings.
func (v RingView) CQE32(i uint32) *CQE32 {
	switch {
	case v.cqeShift == 1:
	case v.mixed && i&v.cqMask != v.cqMask:
	default:
		return nil
	}
	return (*CQE32)(unsafe.Pointer(v.CQE(i)))
}

// SQArray returns &sq_array[i & sq mask], or nil with
// IORING_SETUP_NO_SQARRAY. The value stored there comes from the
// application: the kernel must check it against sq_entries (io_get_sqe drops
// it otherwise) before using it as an SQE index.
func (v RingView) SQArray(i uint32) *uint32 {
	if v.sqArray == nil {
		return nil
	}
	return (*uint32)(unsafe.Add(v.sqArray, uintptr(i&v.sqMask)*4))
}

// SQEView gives typed access to an SQE array region (IORING_OFF_SQES) of a
// Layout; slots are 64 bytes, or 128 with IORING_SETUP_SQE128. Indexes are
// masked with the layout's SQ mask. A small value; nothing allocates.
//
// Linux: io_uring/io_uring.c:io_get_sqe()
type SQEView struct {
	base  unsafe.Pointer
	mask  uint32
	shift uint8 // log2(slot size / 64)
}

// NewSQEView builds an SQEView over mem, which must hold at least
// l.SQEsSize bytes, be 8-byte aligned and stay mapped while the view is used.
func NewSQEView(mem []byte, l Layout) (SQEView, error) {
	if !isPow2(l.SQEntries) {
		return SQEView{}, ErrRingEntries
	}
	if uint64(len(mem)) < l.SQEsSize || len(mem) == 0 {
		return SQEView{}, ErrRingTooSmall
	}
	base := unsafe.Pointer(unsafe.SliceData(mem))
	if uintptr(base)%8 != 0 {
		return SQEView{}, ErrRingAlignment
	}
	v := SQEView{base: base, mask: l.SQEntries - 1}
	if l.Flags&IORING_SETUP_SQE128 != 0 {
		v.shift = 1
	}
	return v, nil
}

// Entries is the number of SQE slots.
func (v SQEView) Entries() uint32 { return v.mask + 1 }

// SlotSize is the size of one SQE slot: 64, or 128 with IORING_SETUP_SQE128.
func (v SQEView) SlotSize() uint32 { return SQESize << v.shift }

// SQE returns &sqes[(i & mask) << sqe_shift].
func (v SQEView) SQE(i uint32) *SQE {
	// The shift is 0 or 1; masked, it compiles to one instruction with no
	// test for an oversized count.
	return (*SQE)(unsafe.Add(v.base, (uintptr(i&v.mask)<<(v.shift&63))*SQESize))
}

// Cmd returns the command area of slot i & mask (sqe->cmd): 16 bytes, or 80
// with IORING_SETUP_SQE128. The slice aliases ring memory.
func (v SQEView) Cmd(i uint32) []byte {
	n := SQECmdSize
	if v.shift != 0 {
		n = SQE128CmdSize
	}
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(v.SQE(i)), SQECmdOffset)), n)
}

// Slot returns the whole slot i & mask (64 or 128 bytes), aliasing ring
// memory.
func (v SQEView) Slot(i uint32) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(v.SQE(i))), v.SlotSize())
}
