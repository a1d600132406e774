package kbuf

import (
	"github.com/uringsim/uringsim/mm"
	"github.com/uringsim/uringsim/rings"
)

// RingBuf is what selecting a ring buffer found: the slot at head.
type RingBuf struct {
	Addr  uint64
	Bid   uint16
	Empty bool // head+1 == tail: the last published buffer (REQ_F_BL_EMPTY)
}

// RingBufferSelect reads the buffer at head without consuming it: n (the
// request's length, 0 for "any") is clamped to the buffer's length. ok is
// false when the ring is empty. The tail is the program's word, read with
// acquire semantics; head and tail are 16-bit and wrap.
// Linux: io_uring/kbuf.c:io_ring_buffer_select()
func (bl *List) RingBufferSelect(n *uint64) (b RingBuf, ok bool) {
	tail := bl.br.LoadTail()
	head := bl.head
	if tail == head {
		return b, false
	}
	b.Empty = head+1 == tail
	bufLen := uint64(bl.br.Len(head))
	if *n == 0 || *n > bufLen {
		*n = bufLen
	}
	b.Bid = bl.br.Bid(head)
	b.Addr = bl.br.Addr(head)
	return b, true
}

// incCommit consumes n bytes from the buffers at head of an incremental
// ring: a buffer with more than minLeftSubOne bytes left (at least the
// registration's min_left, else at least 1) stays at head with its
// address and length moved on (false: more to come,
// IORING_CQE_F_BUF_MORE), one with less is done; a zero-length buffer
// stops the walk the same way, and so does a transfer of nothing (the
// buffer is kept).
// Linux: io_uring/kbuf.c:io_kbuf_inc_commit()
func (bl *List) incCommit(n int) bool {
	if n == 0 {
		return false
	}
	for n > 0 {
		bufLen := bl.br.Len(bl.head)
		thisLen := min(uint32(n), bufLen)
		bufLen -= thisLen
		if bufLen > bl.minLeftSubOne || thisLen == 0 {
			bl.br.SetAddr(bl.head, bl.br.Addr(bl.head)+uint64(thisLen))
			bl.br.SetLen(bl.head, bufLen)
			return false
		}
		bl.br.SetLen(bl.head, 0)
		bl.head++
		n -= int(thisLen)
	}
	return true
}

// Commit consumes nr buffers (n bytes with IOBL_INC) at head. It reports
// whether the buffer is finished (false: an incremental buffer has bytes
// left). A negative n (a failed transfer) consumes nothing.
// Linux: io_uring/kbuf.c:io_kbuf_commit() (after the REQ_F_BUFFERS_COMMIT check)
func (bl *List) Commit(n, nr int) bool {
	if n < 0 {
		return true
	}
	if bl.IsInc() {
		return bl.incCommit(n)
	}
	bl.head += uint16(nr)
	return true
}

// peekMaxImport caps how many buffers a bundle maps at once.
// Linux: io_uring/kbuf.c:PEEK_MAX_IMPORT
const peekMaxImport = 256

// uioMaxIOV is UIO_MAXIOV.
const uioMaxIOV = 1024

// Iovec is one struct iovec a bundle maps.
type Iovec struct {
	Base uint64
	Len  uint64
}

// SelArg is struct buf_sel_arg: how much a bundle wants and what it got.
// Linux: io_uring/kbuf.h:struct buf_sel_arg
type SelArg struct {
	Iovs       []Iovec // out: the buffers, in ring order
	NrIovs     int     // how many iovecs the caller has room for
	Expand     bool    // KBUF_MODE_EXPAND: may map more than NrIovs
	MaxLen     uint64  // bytes wanted; 0 for no limit
	OutLen     uint64  // out: bytes mapped
	BufGroup   uint16
	PartialMap bool // out: the last buffer was truncated to MaxLen
	FirstBid   uint16
	Empty      bool // out: the ring has no buffer left past these
}

// RingBuffersPeek maps several buffers from head without consuming them,
// for a bundle: as many as MaxLen needs (each the size of the first, at
// most 256), no more than are published or UIO_MAXIOV. The first buffer's
// id is the one the CQE will carry. It returns the number of iovecs, or
// -ENOBUFS for an empty ring or a first buffer of length 0.
// Linux: io_uring/kbuf.c:io_ring_buffers_peek()
func (bl *List) RingBuffersPeek(arg *SelArg) int {
	tail := bl.br.LoadTail()
	head := bl.head
	nrAvail := int(min(tail-head, uioMaxIOV))
	if nrAvail == 0 {
		return -eNOBUFS
	}
	nrIovs := arg.NrIovs
	if arg.MaxLen != 0 {
		l := uint64(bl.br.Len(head))
		if l == 0 {
			return -eNOBUFS
		}
		needed := (arg.MaxLen + l - 1) / l
		if needed == 0 || needed > peekMaxImport {
			needed = peekMaxImport
		}
		nrAvail = min(nrAvail, int(needed))
	}
	if arg.Expand && nrAvail > nrIovs && arg.MaxLen != 0 {
		nrIovs = nrAvail
	} else if nrAvail < nrIovs {
		nrIovs = nrAvail
	}
	expanded := nrIovs > arg.NrIovs
	if arg.MaxLen == 0 {
		arg.MaxLen = 0x7fffffff
	}
	arg.FirstBid = bl.br.Bid(head)
	arg.Iovs = arg.Iovs[:0]
	for nrIovs > 0 {
		l := uint64(bl.br.Len(head))
		// The end buffer is mapped short but left whole in the ring
		// (70f4886bcbb9 "don't truncate end buffer", in 6.18.y): a
		// receive that then fails must not leave it shrunk.
		if l > arg.MaxLen {
			l = arg.MaxLen
			if !bl.IsInc() {
				arg.PartialMap = true
				if expanded {
					break
				}
			}
		}
		arg.Iovs = append(arg.Iovs, Iovec{Base: bl.br.Addr(head), Len: l})
		arg.OutLen += l
		arg.MaxLen -= l
		if arg.MaxLen == 0 {
			break
		}
		head++
		nrIovs--
	}
	arg.Empty = head == tail
	return len(arg.Iovs)
}

// RegisterPbufRing registers a buffer ring (IORING_REGISTER_PBUF_RING):
// in the program's memory at reg.RingAddr (pinned), or with
// IOU_PBUF_RING_MMAP in memory the kernel allocates for the program to
// mmap. An empty legacy group of the same id is replaced; a non-empty one
// or a ring is -EEXIST.
// Linux: io_uring/kbuf.c:io_register_pbuf_ring(), io_uring/memmap.c:io_create_region()
func (tb *Table) RegisterPbufRing(as *mm.AddressSpace, reg *rings.BufReg) int {
	if reg.Resv != [5]uint32{} {
		return -eINVAL
	}
	if reg.Flags&^(rings.IOU_PBUF_RING_MMAP|rings.IOU_PBUF_RING_INC) != 0 {
		return -eINVAL
	}
	if reg.RingEntries == 0 || reg.RingEntries&(reg.RingEntries-1) != 0 {
		return -eINVAL
	}
	if reg.RingEntries >= 65536 {
		return -eINVAL
	}
	// A minimum left is a property of incremental buffers (7deba791ad49,
	// in 6.18.y).
	if reg.Flags&rings.IOU_PBUF_RING_INC == 0 && reg.MinLeft != 0 {
		return -eINVAL
	}
	if bl := tb.Get(reg.Bgid); bl != nil {
		if bl.IsRing() || len(bl.bufs) != 0 {
			return -eEXIST
		}
		tb.del(bl)
	}
	ringSize := uint64(reg.RingEntries) * rings.BufSize
	size := (ringSize + mm.PageSize - 1) &^ (mm.PageSize - 1)
	bl := &List{}
	if reg.Flags&rings.IOU_PBUF_RING_MMAP == 0 {
		// A user region: the address must be set and page aligned, and
		// every page of it mapped (pin_user_pages).
		if reg.RingAddr == 0 {
			return -eFAULT
		}
		if reg.RingAddr&(mm.PageSize-1) != 0 {
			return -eINVAL
		}
		if reg.RingAddr+size < reg.RingAddr {
			return -eOVERFLOW
		}
		// Differs from Linux: the ring must lie in one mapping (pinning
		// pages of several VMAs is not modelled; docs/divergences.md).
		mem, errno := as.Slice(reg.RingAddr, size)
		if errno != 0 {
			return -eFAULT
		}
		bl.region = mm.UserRegion(mem)
		bl.userMem = true
	} else {
		r, errno := mm.NewRegion(size)
		if errno != 0 {
			return errno
		}
		bl.region = r
	}
	br, err := rings.NewBufRingView(bl.region.Mem, reg.RingEntries)
	if err != nil {
		bl.region.Free()
		return -eINVAL
	}
	bl.br = br
	bl.nrEntries = reg.RingEntries
	bl.mask = uint16(reg.RingEntries - 1)
	bl.flags |= IOBL_BUF_RING
	if reg.MinLeft != 0 {
		bl.minLeftSubOne = reg.MinLeft - 1
	}
	if reg.Flags&rings.IOU_PBUF_RING_INC != 0 {
		bl.flags |= IOBL_INC
	}
	tb.add(bl, reg.Bgid)
	return 0
}

// UnregisterPbufRing removes a buffer ring: -ENOENT for no group,
// -EINVAL for a legacy one.
// Linux: io_uring/kbuf.c:io_unregister_pbuf_ring()
func (tb *Table) UnregisterPbufRing(reg *rings.BufReg) int {
	if reg.Resv != [5]uint32{} || reg.Flags != 0 {
		return -eINVAL
	}
	bl := tb.Get(reg.Bgid)
	if bl == nil {
		return -eNOENT
	}
	if !bl.IsRing() {
		return -eINVAL
	}
	tb.del(bl)
	return 0
}

// PbufStatus fills st.Head with the ring's head (IORING_REGISTER_PBUF_STATUS).
// Linux: io_uring/kbuf.c:io_register_pbuf_status()
func (tb *Table) PbufStatus(st *rings.BufStatus) int {
	if st.Resv != [8]uint32{} {
		return -eINVAL
	}
	if st.BufGroup > 0xffff {
		return -eNOENT
	}
	bl := tb.Get(uint16(st.BufGroup))
	if bl == nil {
		return -eNOENT
	}
	if !bl.IsRing() {
		return -eINVAL
	}
	st.Head = uint32(bl.head)
	return 0
}

// PbufRegion is the kernel-allocated memory of ring bgid, for mmap at
// IORING_OFF_PBUF_RING | bgid << IORING_OFF_PBUF_SHIFT: nil (-EINVAL) for
// no ring or one in the program's own memory.
// Linux: io_uring/kbuf.c:io_pbuf_get_region(), io_uring/memmap.c:io_region_validate_mmap()
func (tb *Table) PbufRegion(bgid uint16) *mm.Region {
	bl := tb.Get(bgid)
	if bl == nil || !bl.IsRing() || bl.userMem {
		return nil
	}
	return bl.region
}
