package rings

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
	Resv        [3]uint64
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
