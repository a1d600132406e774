package uring

import (
	"unsafe"

	"github.com/uringsim/uringsim/rings"
)

// Provided buffers, the user side: buffer rings (liburing's
// io_uring_buf_ring helpers), legacy PROVIDE/REMOVE_BUFFERS, multishot
// reads and the CQE's buffer id.

// BufRing is a registered provided-buffer ring (struct io_uring_buf_ring
// with what io_uring_setup_buf_ring remembers): its memory, in the
// program's own mapping or, with IOU_PBUF_RING_MMAP, the kernel's region
// mapped at IORING_OFF_PBUF_RING | bgid << IORING_OFF_PBUF_SHIFT.
type BufRing struct {
	View    rings.BufRingView
	Mem     []byte
	Bgid    uint16
	Entries uint32
	mapped  bool // Mem is a MapRing mapping, not Alloc memory
}

// withArg runs f with n bytes of zeroed backend user memory for a
// register argument.
func (r *Ring) withArg(n uint64, f func(b []byte, addr uint64) error) error {
	b, err := r.be.Alloc(n)
	if err != nil {
		return err
	}
	defer func() { _ = r.be.Free(b) }()
	return f(b[:n], addrOf(b))
}

// RegisterBufRing is IORING_REGISTER_PBUF_RING with reg (flags is
// liburing's unused argument, kept for the name's sake).
//
// Linux: liburing src/register.c:io_uring_register_buf_ring()
func (r *Ring) RegisterBufRing(reg *rings.BufReg, flags uint32) error {
	_ = flags
	return r.withArg(uint64(unsafe.Sizeof(*reg)), func(b []byte, addr uint64) error {
		*(*rings.BufReg)(unsafe.Pointer(&b[0])) = *reg
		_, err := r.Register(rings.IORING_REGISTER_PBUF_RING, addr, 1)
		return err
	})
}

// UnregisterBufRing is IORING_UNREGISTER_PBUF_RING of group bgid.
//
// Linux: liburing src/register.c:io_uring_unregister_buf_ring()
func (r *Ring) UnregisterBufRing(bgid uint16) error {
	return r.withArg(uint64(unsafe.Sizeof(rings.BufReg{})), func(b []byte, addr uint64) error {
		(*rings.BufReg)(unsafe.Pointer(&b[0])).Bgid = bgid
		_, err := r.Register(rings.IORING_UNREGISTER_PBUF_RING, addr, 1)
		return err
	})
}

// BufRingHead is IORING_REGISTER_PBUF_STATUS: the kernel's head of ring
// bgid, the next slot it will consume.
//
// Linux: liburing src/register.c:io_uring_buf_ring_head()
func (r *Ring) BufRingHead(bgid uint16) (uint16, error) {
	var head uint16
	err := r.withArg(uint64(unsafe.Sizeof(rings.BufStatus{})), func(b []byte, addr uint64) error {
		st := (*rings.BufStatus)(unsafe.Pointer(&b[0]))
		st.BufGroup = uint32(bgid)
		if _, err := r.Register(rings.IORING_REGISTER_PBUF_STATUS, addr, 1); err != nil {
			return err
		}
		head = uint16(st.Head)
		return nil
	})
	return head, err
}

// SetupBufRing allocates, initialises and registers a buffer ring of
// entries slots (a power of two) for group bgid; flags are the
// registration's (IOU_PBUF_RING_INC, IOU_PBUF_RING_MMAP: the kernel
// allocates the ring and it is mapped from there). Add buffers with
// BufRingAdd and publish them with BufRingAdvance.
//
// Linux: liburing src/setup.c:io_uring_setup_buf_ring(), br_setup()
func (r *Ring) SetupBufRing(entries uint32, bgid uint16, flags uint16) (*BufRing, error) {
	size := uint64(entries) * rings.BufSize
	br := &BufRing{Bgid: bgid, Entries: entries}
	reg := rings.BufReg{RingEntries: entries, Bgid: bgid, Flags: flags}
	if flags&rings.IOU_PBUF_RING_MMAP == 0 {
		mem, err := r.be.Alloc(max(size, 1))
		if err != nil {
			return nil, err
		}
		br.Mem = mem
		reg.RingAddr = addrOf(mem)
	}
	if err := r.RegisterBufRing(&reg, 0); err != nil {
		if br.Mem != nil {
			_ = r.be.Free(br.Mem)
		}
		return nil, err
	}
	if flags&rings.IOU_PBUF_RING_MMAP != 0 {
		off := uint64(rings.IORING_OFF_PBUF_RING) | uint64(bgid)<<rings.IORING_OFF_PBUF_SHIFT
		mem, err := r.be.MapRing(r.fd, off, size)
		if err != nil {
			_ = r.UnregisterBufRing(bgid)
			return nil, err
		}
		br.Mem, br.mapped = mem, true
	}
	v, err := rings.NewBufRingView(br.Mem, entries)
	if err != nil {
		_ = r.FreeBufRing(br)
		return nil, err
	}
	br.View = v
	BufRingInit(br)
	return br, nil
}

// FreeBufRing unregisters a ring from SetupBufRing and releases its
// memory.
//
// Linux: liburing src/setup.c:io_uring_free_buf_ring()
func (r *Ring) FreeBufRing(br *BufRing) error {
	err := r.UnregisterBufRing(br.Bgid)
	if br.mapped {
		keepFirst(&err, r.be.Unmap(br.Mem))
	} else if br.Mem != nil {
		keepFirst(&err, r.be.Free(br.Mem))
	}
	br.Mem = nil
	return err
}

func keepFirst(err *error, e error) {
	if *err == nil {
		*err = e
	}
}

// BufRingInit empties the ring: tail 0.
//
// Linux: liburing src/include/liburing.h:io_uring_buf_ring_init()
func BufRingInit(br *BufRing) { br.View.StoreTail(0) }

// BufRingMask is the mask for ring indices of a ring of entries slots.
//
// Linux: liburing src/include/liburing.h:io_uring_buf_ring_mask()
func BufRingMask(entries uint32) int { return int(entries - 1) }

// BufRingAdd writes buffer bid (length bytes at addr) into the slot
// bufOffset past the ring's tail, without publishing it; BufRingAdvance
// publishes.
//
// Linux: liburing src/include/liburing.h:io_uring_buf_ring_add()
func BufRingAdd(br *BufRing, addr uint64, length uint32, bid uint16, mask, bufOffset int) {
	slot := uint16((int(br.View.LoadTail()) + bufOffset) & mask)
	br.View.SetAddr(slot, addr)
	br.View.SetLen(slot, length)
	br.View.SetBid(slot, bid)
}

// BufRingAdvance publishes count buffers added with BufRingAdd: the tail
// moves with a release store, the kernel's acquire load pairs with it.
//
// Linux: liburing src/include/liburing.h:io_uring_buf_ring_advance()
func BufRingAdvance(br *BufRing, count int) {
	br.View.StoreTail(br.View.LoadTail() + uint16(count))
}

// BufRingCQAdvance publishes count buffers and marks as many CQEs seen,
// for a program that recycles each buffer as it consumes its CQE.
//
// Linux: liburing src/include/liburing.h:io_uring_buf_ring_cq_advance()
func BufRingCQAdvance(r *Ring, br *BufRing, count int) {
	BufRingAdvance(br, count)
	r.CQAdvance(uint32(count))
}

// BufRingAvailable is how many published buffers the kernel has not
// consumed yet (tail − head, from IORING_REGISTER_PBUF_STATUS).
//
// Linux: liburing src/include/liburing.h:io_uring_buf_ring_available()
func (r *Ring) BufRingAvailable(br *BufRing) (int, error) {
	head, err := r.BufRingHead(br.Bgid)
	if err != nil {
		return 0, err
	}
	return int(br.View.LoadTail() - head), nil
}

// PrepProvideBuffers prepares IORING_OP_PROVIDE_BUFFERS: nr buffers of
// length bytes each, from addr on, ids bid, bid+1, … in group bgid.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_provide_buffers()
func PrepProvideBuffers(sqe *rings.SQE, addr uint64, length uint32, nr int32, bgid, bid uint16) {
	PrepRW(sqe, rings.IORING_OP_PROVIDE_BUFFERS, nr, addr, length, uint64(bid))
	sqe.BufIndex = bgid
}

// PrepRemoveBuffers prepares IORING_OP_REMOVE_BUFFERS of up to nr buffers
// of group bgid.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_remove_buffers()
func PrepRemoveBuffers(sqe *rings.SQE, nr int32, bgid uint16) {
	PrepRW(sqe, rings.IORING_OP_REMOVE_BUFFERS, nr, 0, 0, 0)
	sqe.BufIndex = bgid
}

// PrepReadMultishot prepares IORING_OP_READ_MULTISHOT from fd into
// buffers of group bufGroup (IOSQE_BUFFER_SELECT is set). nbytes and
// offset must be 0 on 6.18.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_read_multishot()
func PrepReadMultishot(sqe *rings.SQE, fd int32, nbytes uint32, offset uint64, bufGroup uint16) {
	PrepRW(sqe, rings.IORING_OP_READ_MULTISHOT, fd, 0, nbytes, offset)
	sqe.BufIndex = bufGroup
	sqe.Flags = rings.IOSQE_BUFFER_SELECT
}

// PrepReadBufferSelect prepares a READ of up to length bytes (0: the
// buffer's size) into a buffer the kernel selects from group bufGroup.
func PrepReadBufferSelect(sqe *rings.SQE, fd int32, length uint32, off uint64, bufGroup uint16) {
	PrepRead(sqe, fd, 0, length, off)
	sqe.BufIndex = bufGroup
	sqe.Flags |= rings.IOSQE_BUFFER_SELECT
}

// CQEHasBuffer reports IORING_CQE_F_BUFFER: the CQE names a provided
// buffer.
func CQEHasBuffer(cqe *rings.CQE) bool { return cqe.Flags&rings.IORING_CQE_F_BUFFER != 0 }

// CQEBufferID is the provided buffer's id in the CQE's upper 16 flag bits
// (meaningful when CQEHasBuffer).
func CQEBufferID(cqe *rings.CQE) uint16 {
	return uint16(cqe.Flags >> rings.IORING_CQE_BUFFER_SHIFT)
}

// CQEBufMore reports IORING_CQE_F_BUF_MORE: an incrementally consumed
// buffer has room left and will appear in later CQEs.
func CQEBufMore(cqe *rings.CQE) bool { return cqe.Flags&rings.IORING_CQE_F_BUF_MORE != 0 }
