package rings

// sq_ring->flags, written by the kernel.
//
// Linux: include/uapi/linux/io_uring.h
const (
	// IORING_SQ_NEED_WAKEUP: needs io_uring_enter wakeup.
	IORING_SQ_NEED_WAKEUP = 1 << 0
	// IORING_SQ_CQ_OVERFLOW: CQ ring is overflown.
	IORING_SQ_CQ_OVERFLOW = 1 << 1
	// IORING_SQ_TASKRUN: task should enter the kernel.
	IORING_SQ_TASKRUN = 1 << 2
)

// cq_ring->flags, written by the application.
//
// Linux: include/uapi/linux/io_uring.h
const (
	// IORING_CQ_EVENTFD_DISABLED: disable eventfd notifications.
	IORING_CQ_EVENTFD_DISABLED = 1 << 0
)

// cqe->flags.
//
// Linux: include/uapi/linux/io_uring.h
const (
	// IORING_CQE_F_BUFFER: the upper 16 bits are the buffer ID.
	IORING_CQE_F_BUFFER = 1 << 0
	// IORING_CQE_F_MORE: parent SQE will generate more CQE entries.
	IORING_CQE_F_MORE = 1 << 1
	// IORING_CQE_F_SOCK_NONEMPTY: more data to read after socket recv.
	IORING_CQE_F_SOCK_NONEMPTY = 1 << 2
	// IORING_CQE_F_NOTIF: notification CQE (zero-copy send).
	IORING_CQE_F_NOTIF = 1 << 3
	// IORING_CQE_F_BUF_MORE: the buffer will get more completions
	// (incrementally consumed buffer ring, IOU_PBUF_RING_INC).
	IORING_CQE_F_BUF_MORE = 1 << 4
	// IORING_CQE_F_SKIP: filler CQE on a CQE_MIXED ring; ignore it.
	IORING_CQE_F_SKIP = 1 << 5
	// IORING_CQE_F_32: this is a 32b CQE on a CQE_MIXED ring.
	IORING_CQE_F_32 = 1 << 15

	// IORING_CQE_BUFFER_SHIFT is where the buffer ID starts in cqe->flags.
	IORING_CQE_BUFFER_SHIFT = 16
)

// Magic offsets for the application to mmap the data it needs.
//
// Linux: include/uapi/linux/io_uring.h
const (
	IORING_OFF_SQ_RING    = 0
	IORING_OFF_CQ_RING    = 0x8000000
	IORING_OFF_SQES       = 0x10000000
	IORING_OFF_PBUF_RING  = 0x80000000
	IORING_OFF_PBUF_SHIFT = 16
	IORING_OFF_MMAP_MASK  = 0xf8000000
)
