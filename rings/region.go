package rings

// io_uring_region_desc.flags.
//
// Linux: include/uapi/linux/io_uring.h
const (
	// IORING_MEM_REGION_TYPE_USER: initialise with user provided memory
	// pointed to by user_addr.
	IORING_MEM_REGION_TYPE_USER = 1
)

// io_uring_mem_region_reg.flags.
//
// Linux: include/uapi/linux/io_uring.h
const (
	// IORING_MEM_REGION_REG_WAIT_ARG: expose the region as registered wait
	// arguments.
	IORING_MEM_REGION_REG_WAIT_ARG = 1
)

// RegionDesc is struct io_uring_region_desc.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_region_desc
type RegionDesc struct {
	UserAddr   uint64
	Size       uint64
	Flags      uint32
	ID         uint32
	MmapOffset uint64
	Resv       [4]uint64
}

// MemRegionReg is struct io_uring_mem_region_reg, the argument of
// IORING_REGISTER_MEM_REGION. RegionUptr points to a RegionDesc.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_mem_region_reg
type MemRegionReg struct {
	RegionUptr uint64
	Flags      uint64
	Resv       [2]uint64
}
