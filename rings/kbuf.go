package rings

import (
	"sync/atomic"
	"unsafe"
)

// Flags for IORING_REGISTER_PBUF_RING, io_uring_buf_reg.flags.
//
// Linux: include/uapi/linux/io_uring.h:enum io_uring_register_pbuf_ring_flags
const (
	// IOU_PBUF_RING_MMAP: the kernel allocates the ring memory; mmap it at
	// IORING_OFF_PBUF_RING | (bgid << IORING_OFF_PBUF_SHIFT).
	IOU_PBUF_RING_MMAP = 1
	// IOU_PBUF_RING_INC: buffers are consumed incrementally.
	IOU_PBUF_RING_INC = 2
)

// Buf is struct io_uring_buf, one entry of a provided buffer ring.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_buf
type Buf struct {
	Addr uint64
	Len  uint32
	Bid  uint16
	Resv uint16
}

// BufRing is the header view of struct io_uring_buf_ring: the ring tail
// overlays bufs[0].resv, so entry 0 and this header share the first 16
// bytes; Tail is at BufRingTailOffset.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_buf_ring
type BufRing struct {
	Resv1 uint64
	Resv2 uint32
	Resv3 uint16
	Tail  uint16
}

// BufRingTailOffset is offsetof(struct io_uring_buf_ring, tail), equal to
// offsetof(struct io_uring_buf, resv).
const BufRingTailOffset = 14

// BufReg is struct io_uring_buf_reg, the argument of
// IORING_(UN)REGISTER_PBUF_RING.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_buf_reg
type BufReg struct {
	RingAddr    uint64
	RingEntries uint32
	Bgid        uint16
	Flags       uint16
	MinLeft     uint32 // IOU_PBUF_RING_INC: a buffer with less left is done
	Resv        [5]uint32
}

// BufStatus is struct io_uring_buf_status, the argument of
// IORING_REGISTER_PBUF_STATUS.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_buf_status
type BufStatus struct {
	BufGroup uint32
	Head     uint32
	Resv     [8]uint32
}

// BufSize is sizeof(struct io_uring_buf).
const BufSize = 16

// BufRingView gives word access to a provided-buffer ring (struct
// io_uring_buf_ring) of Entries() slots in shared memory. Both sides use
// it: the kernel over the memory it pinned or allocated, the application
// over its mapping. The slot index is always masked with the entry count
// the view was built with, never with anything read from the memory, so no
// accessor reaches outside it whatever the other side writes.
//
// The tail is a 16-bit word overlaying bufs[0].resv. Go has no 16-bit
// atomics, so it is read as the aligned 32-bit word that also holds
// bufs[0].bid, and written with a compare-and-swap on that word.
type BufRingView struct {
	base unsafe.Pointer
	mask uint32
}

// NewBufRingView wraps mem, which must hold entries (a power of two)
// slots and be 16-byte aligned.
func NewBufRingView(mem []byte, entries uint32) (BufRingView, error) {
	if !isPow2(entries) {
		return BufRingView{}, ErrRingEntries
	}
	if uint64(len(mem)) < uint64(entries)*BufSize {
		return BufRingView{}, ErrRingTooSmall
	}
	p := unsafe.Pointer(&mem[0])
	if uintptr(p)%8 != 0 {
		return BufRingView{}, ErrRingAlignment
	}
	return BufRingView{base: p, mask: entries - 1}, nil
}

// Entries is the number of slots.
func (v BufRingView) Entries() uint32 { return v.mask + 1 }

func (v BufRingView) slot(i uint16) unsafe.Pointer {
	return unsafe.Add(v.base, uintptr(uint32(i)&v.mask)*BufSize)
}

// tailWord is the 32-bit word holding bufs[0].bid (low half) and tail.
func (v BufRingView) tailWord() *uint32 { return (*uint32)(unsafe.Add(v.base, 12)) }

// LoadTail is smp_load_acquire(&br->tail).
//
// Linux: io_uring/kbuf.c:io_ring_buffer_select() smp_load_acquire(&br->tail)
func (v BufRingView) LoadTail() uint16 { return uint16(atomic.LoadUint32(v.tailWord()) >> 16) }

// StoreTail is smp_store_release(&br->tail, tail), as
// io_uring_buf_ring_advance does it.
func (v BufRingView) StoreTail(tail uint16) {
	p := v.tailWord()
	for {
		old := atomic.LoadUint32(p)
		if atomic.CompareAndSwapUint32(p, old, old&0xffff|uint32(tail)<<16) {
			return
		}
	}
}

// Addr is READ_ONCE(bufs[i & mask].addr).
func (v BufRingView) Addr(i uint16) uint64 { return atomic.LoadUint64((*uint64)(v.slot(i))) }

// Len is READ_ONCE(bufs[i & mask].len).
func (v BufRingView) Len(i uint16) uint32 {
	return atomic.LoadUint32((*uint32)(unsafe.Add(v.slot(i), 8)))
}

// Bid is READ_ONCE(bufs[i & mask].bid).
func (v BufRingView) Bid(i uint16) uint16 {
	return uint16(atomic.LoadUint32((*uint32)(unsafe.Add(v.slot(i), 12))))
}

// SetAddr is WRITE_ONCE(bufs[i & mask].addr, a).
func (v BufRingView) SetAddr(i uint16, a uint64) { atomic.StoreUint64((*uint64)(v.slot(i)), a) }

// SetLen is WRITE_ONCE(bufs[i & mask].len, n).
func (v BufRingView) SetLen(i uint16, n uint32) {
	atomic.StoreUint32((*uint32)(unsafe.Add(v.slot(i), 8)), n)
}

// SetBid writes bufs[i & mask].bid, leaving the tail (which overlays slot
// 0's resv) alone.
func (v BufRingView) SetBid(i uint16, bid uint16) {
	p := (*uint32)(unsafe.Add(v.slot(i), 12))
	for {
		old := atomic.LoadUint32(p)
		if atomic.CompareAndSwapUint32(p, old, old&^0xffff|uint32(bid)) {
			return
		}
	}
}
