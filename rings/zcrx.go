package rings

// Zero-copy receive area ids are encoded into offsets from this bit up.
//
// Linux: include/uapi/linux/io_uring.h
const (
	IORING_ZCRX_AREA_SHIFT = 48
	IORING_ZCRX_AREA_MASK  = 0xffff000000000000 // ~((1 << IORING_ZCRX_AREA_SHIFT) - 1)
)

// io_uring_zcrx_area_reg.flags.
//
// Linux: include/uapi/linux/io_uring.h:enum io_uring_zcrx_area_flags
const (
	IORING_ZCRX_AREA_DMABUF = 1
)

// ZcrxRqe is struct io_uring_zcrx_rqe, a zero-copy receive refill queue
// entry.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_zcrx_rqe
type ZcrxRqe struct {
	Off uint64
	Len uint32
	Pad uint32
}

// ZcrxCqe is struct io_uring_zcrx_cqe, the second half of the 32-byte CQE of
// a zero-copy receive.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_zcrx_cqe
type ZcrxCqe struct {
	Off uint64
	Pad uint64
}

// ZcrxOffsets is struct io_uring_zcrx_offsets.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_zcrx_offsets
type ZcrxOffsets struct {
	Head  uint32
	Tail  uint32
	Rqes  uint32
	Resv2 uint32
	Resv  [2]uint64
}

// ZcrxAreaReg is struct io_uring_zcrx_area_reg.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_zcrx_area_reg
type ZcrxAreaReg struct {
	Addr        uint64
	Len         uint64
	RqAreaToken uint64
	Flags       uint32
	DmabufFd    uint32
	Resv2       [2]uint64
}

// ZcrxIfqReg is struct io_uring_zcrx_ifq_reg, the argument of
// IORING_REGISTER_ZCRX_IFQ.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_zcrx_ifq_reg
type ZcrxIfqReg struct {
	IfIdx     uint32
	IfRxq     uint32
	RqEntries uint32
	Flags     uint32
	AreaPtr   uint64
	RegionPtr uint64
	Offsets   ZcrxOffsets
	ZcrxID    uint32
	Resv2     uint32
	Resv      [3]uint64
}
