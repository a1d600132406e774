package rings

// SQRingOffsets is struct io_sqring_offsets: where, relative to the start of
// the rings mapping (IORING_OFF_SQ_RING), each SQ ring field lives. With
// IORING_SETUP_NO_MMAP, UserAddr is the user memory backing the SQE array.
//
// Linux: include/uapi/linux/io_uring.h:struct io_sqring_offsets
type SQRingOffsets struct {
	Head        uint32
	Tail        uint32
	RingMask    uint32
	RingEntries uint32
	Flags       uint32
	Dropped     uint32
	Array       uint32
	Resv1       uint32
	UserAddr    uint64
}

// CQRingOffsets is struct io_cqring_offsets: where each CQ ring field lives,
// relative to the start of the rings mapping. With IORING_SETUP_NO_MMAP,
// UserAddr is the user memory backing struct io_rings.
//
// Linux: include/uapi/linux/io_uring.h:struct io_cqring_offsets
type CQRingOffsets struct {
	Head        uint32
	Tail        uint32
	RingMask    uint32
	RingEntries uint32
	Overflow    uint32
	CQEs        uint32
	Flags       uint32
	Resv1       uint32
	UserAddr    uint64
}

// Params is struct io_uring_params (120 bytes), passed in to
// io_uring_setup(2) and copied back with the chosen sizes, features and ring
// offsets.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_params
type Params struct {
	SQEntries    uint32
	CQEntries    uint32
	Flags        uint32
	SQThreadCPU  uint32
	SQThreadIdle uint32
	Features     uint32
	WQFd         uint32
	Resv         [3]uint32
	SQOff        SQRingOffsets
	CQOff        CQRingOffsets
}
