package kbuf

import (
	"maps"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/mm"
	"github.com/uringsim/uringsim/rings"
)

// Flags of a List.
// Linux: io_uring/kbuf.h:IOBL_BUF_RING, IOBL_INC
const (
	IOBL_BUF_RING = 1 // ring-mapped provided buffers
	IOBL_INC      = 2 // buffers are consumed incrementally
)

// MAX_BIDS_PER_BGID is how many buffer ids a CQE's 16-bit field can name.
// Linux: io_uring/kbuf.c:MAX_BIDS_PER_BGID
const MAX_BIDS_PER_BGID = 1 << 16

// maxRWCount is MAX_RW_COUNT: a legacy buffer's length is capped to it.
// Linux: include/linux/fs.h:MAX_RW_COUNT
const maxRWCount = 0x7fffffff &^ (mm.PageSize - 1)

// Errno values this package returns (negated).
const (
	eINVAL    = int(unix.EINVAL)
	eNOENT    = int(unix.ENOENT)
	eEXIST    = int(unix.EEXIST)
	eFAULT    = int(unix.EFAULT)
	eOVERFLOW = int(unix.EOVERFLOW)
	eNOBUFS   = int(unix.ENOBUFS)
	eNOMEM    = int(unix.ENOMEM)
)

// Buffer is one legacy provided buffer (struct io_buffer).
// Linux: io_uring/kbuf.h:struct io_buffer
type Buffer struct {
	Addr uint64
	Len  uint32
	Bid  uint16
	Bgid uint16
}

// List is one buffer group (struct io_buffer_list): a legacy list of
// Buffers, or a buffer ring.
// Linux: io_uring/kbuf.h:struct io_buffer_list
type List struct {
	Bgid  uint16
	flags uint16

	// Legacy: the list, first entry selected first; nbufs is its length.
	bufs  []*Buffer
	nbufs int

	// Ring: the shared array, its region, and the kernel's head.
	br        rings.BufRingView
	region    *mm.Region
	userMem   bool // the ring is the program's memory (not IOU_PBUF_RING_MMAP)
	nrEntries uint32
	head      uint16
	mask      uint16
	// minLeftSubOne is min_left - 1 (IOU_PBUF_RING_INC): an incremental
	// buffer with no more left than this is done.
	minLeftSubOne uint32
}

// IsRing reports a ring-mapped group (IOBL_BUF_RING).
func (bl *List) IsRing() bool { return bl.flags&IOBL_BUF_RING != 0 }

// IsInc reports incremental consumption (IOBL_INC).
func (bl *List) IsInc() bool { return bl.flags&IOBL_INC != 0 }

// Head is the ring's head (bl->head): the next slot the kernel consumes.
func (bl *List) Head() uint16 { return bl.head }

// NBufs is the number of buffers on a legacy list.
func (bl *List) NBufs() int { return bl.nbufs }

// Table is a ring's buffer groups by id (ctx->io_bl_xa). The caller holds
// uring_lock around every method.
type Table struct {
	lists map[uint16]*List
}

// Get looks a group up.
// Linux: io_uring/kbuf.c:io_buffer_get_list()
func (tb *Table) Get(bgid uint16) *List {
	return tb.lists[bgid]
}

// add stores a group under its id.
// Linux: io_uring/kbuf.c:io_buffer_add_list()
func (tb *Table) add(bl *List, bgid uint16) {
	bl.Bgid = bgid
	if tb.lists == nil {
		tb.lists = map[uint16]*List{}
	}
	tb.lists[bgid] = bl
}

// del removes a group and frees what it holds.
// Linux: io_uring/kbuf.c:io_destroy_bl(), io_put_bl()
func (tb *Table) del(bl *List) {
	delete(tb.lists, bl.Bgid)
	bl.put()
}

// put frees a group's ring region or legacy buffers.
// Linux: io_uring/kbuf.c:io_put_bl()
func (bl *List) put() {
	if bl.IsRing() {
		if bl.region != nil {
			bl.region.Free()
			bl.region = nil
		}
		return
	}
	bl.removeLegacy(-1)
}

// Destroy frees every group, at ring teardown, in id order.
// Linux: io_uring/kbuf.c:io_destroy_buffers()
func (tb *Table) Destroy() {
	for _, bgid := range slices.Sorted(maps.Keys(tb.lists)) {
		tb.del(tb.lists[bgid])
	}
}

// Bgids lists the registered group ids in order (for fdinfo and tests).
func (tb *Table) Bgids() []uint16 { return slices.Sorted(maps.Keys(tb.lists)) }

// ProvidedBufferSelect takes the first buffer of a legacy list; n (the
// request's length, 0 for "any") is clamped to the buffer's. empty tells
// that the list is now empty (REQ_F_BL_EMPTY).
// Linux: io_uring/kbuf.c:io_provided_buffer_select()
func (bl *List) ProvidedBufferSelect(n *uint64) (buf *Buffer, empty bool) {
	if len(bl.bufs) == 0 {
		return nil, false
	}
	buf = bl.bufs[0]
	bl.bufs[0] = nil
	bl.bufs = bl.bufs[1:]
	bl.nbufs--
	if *n == 0 || *n > uint64(buf.Len) {
		*n = uint64(buf.Len)
	}
	return buf, len(bl.bufs) == 0
}

// RecycleLegacy puts a selected legacy buffer back at the head of its
// group; if the group was removed or became a ring while the request was
// in flight, the buffer is dropped.
// Linux: io_uring/kbuf.c:io_kbuf_recycle_legacy()
func (tb *Table) RecycleLegacy(buf *Buffer) {
	bl := tb.Get(buf.Bgid)
	if bl != nil && !bl.IsRing() {
		bl.bufs = append([]*Buffer{buf}, bl.bufs...)
		bl.nbufs++
	}
}

// removeLegacy frees up to nbufs buffers from the head (all for -1) and
// returns how many.
// Linux: io_uring/kbuf.c:io_remove_buffers_legacy()
func (bl *List) removeLegacy(nbufs int) int {
	i := 0
	for ; (nbufs < 0 || i < nbufs) && len(bl.bufs) > 0; i++ {
		bl.bufs[0] = nil
		bl.bufs = bl.bufs[1:]
		bl.nbufs--
	}
	return i
}

// ProvideArgs is struct io_provide_buf: the prepared arguments of
// IORING_OP_PROVIDE_BUFFERS and IORING_OP_REMOVE_BUFFERS.
// Linux: io_uring/kbuf.c:struct io_provide_buf
type ProvideArgs struct {
	Addr  uint64
	Len   uint32
	Bgid  uint32
	NBufs uint32
	Bid   uint16
}

// PrepProvide validates PROVIDE_BUFFERS' SQE fields (nbufs in fd, the
// first buffer id in off); accessOK is access_ok.
// Linux: io_uring/kbuf.c:io_provide_buffers_prep()
func PrepProvide(sqe *rings.SQE, accessOK func(addr, n uint64) bool) (ProvideArgs, int) {
	var p ProvideArgs
	if sqe.OpFlags != 0 || sqe.SpliceFdIn != 0 {
		return p, -eINVAL
	}
	tmp := uint64(uint32(sqe.Fd))
	if tmp == 0 || tmp > MAX_BIDS_PER_BGID {
		return p, -int(unix.E2BIG)
	}
	p.NBufs = uint32(tmp)
	p.Addr = sqe.Addr
	p.Len = sqe.Len
	if p.Len == 0 {
		return p, -eINVAL
	}
	size := uint64(p.Len) * uint64(p.NBufs) // cannot overflow: both < 2^32
	if p.Addr+size < p.Addr {
		return p, -eOVERFLOW
	}
	if !accessOK(p.Addr, size) {
		return p, -eFAULT
	}
	p.Bgid = uint32(sqe.BufIndex)
	if sqe.Off > 0xffff {
		return p, -int(unix.E2BIG)
	}
	if sqe.Off+uint64(p.NBufs) > MAX_BIDS_PER_BGID {
		return p, -eINVAL
	}
	p.Bid = uint16(sqe.Off)
	return p, 0
}

// PrepRemove validates REMOVE_BUFFERS' SQE fields (nbufs in fd).
// Linux: io_uring/kbuf.c:io_remove_buffers_prep()
func PrepRemove(sqe *rings.SQE) (ProvideArgs, int) {
	var p ProvideArgs
	if sqe.OpFlags != 0 || sqe.Addr != 0 || sqe.Len != 0 || sqe.Off != 0 || sqe.SpliceFdIn != 0 {
		return p, -eINVAL
	}
	tmp := uint64(uint32(sqe.Fd))
	if tmp == 0 || tmp > MAX_BIDS_PER_BGID {
		return p, -eINVAL
	}
	p.NBufs = uint32(tmp)
	p.Bgid = uint32(sqe.BufIndex)
	return p, 0
}

// addBuffers appends p.NBufs buffers to a legacy list; a list may hold
// at most 65535 (a CQE could not tell duplicates apart). It succeeds (0)
// if at least one buffer was added.
// Linux: io_uring/kbuf.c:io_add_buffers()
func (bl *List) addBuffers(p *ProvideArgs) int {
	addr, bid := p.Addr, p.Bid
	ret, i := -eNOMEM, uint32(0)
	for ; i < p.NBufs; i++ {
		if bl.nbufs == 0xffff {
			ret = -eOVERFLOW
			break
		}
		bl.bufs = append(bl.bufs, &Buffer{Addr: addr, Len: min(p.Len, maxRWCount), Bid: bid, Bgid: uint16(p.Bgid)})
		bl.nbufs++
		addr += uint64(p.Len)
		bid++
	}
	if i > 0 {
		return 0
	}
	return ret
}

// ManageLegacy runs PROVIDE_BUFFERS (provide true) or REMOVE_BUFFERS: a
// provide creates the group if needed and returns 0; a remove returns how
// many buffers it freed, -ENOENT for no group; either fails with -EINVAL
// on a buffer ring.
// Linux: io_uring/kbuf.c:io_manage_buffers_legacy(), __io_manage_buffers_legacy()
func (tb *Table) ManageLegacy(p *ProvideArgs, provide bool) int {
	bl := tb.Get(uint16(p.Bgid))
	if bl == nil {
		if !provide {
			return -eNOENT
		}
		bl = &List{}
		tb.add(bl, uint16(p.Bgid))
	}
	if bl.IsRing() {
		return -eINVAL
	}
	if provide {
		return bl.addBuffers(p)
	}
	return bl.removeLegacy(int(p.NBufs))
}
