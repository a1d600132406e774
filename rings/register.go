package rings

// io_uring_register(2) opcodes, enum io_uring_register_op.
//
// Linux: include/uapi/linux/io_uring.h:enum io_uring_register_op
const (
	IORING_REGISTER_BUFFERS       = 0
	IORING_UNREGISTER_BUFFERS     = 1
	IORING_REGISTER_FILES         = 2
	IORING_UNREGISTER_FILES       = 3
	IORING_REGISTER_EVENTFD       = 4
	IORING_UNREGISTER_EVENTFD     = 5
	IORING_REGISTER_FILES_UPDATE  = 6
	IORING_REGISTER_EVENTFD_ASYNC = 7
	IORING_REGISTER_PROBE         = 8
	IORING_REGISTER_PERSONALITY   = 9
	IORING_UNREGISTER_PERSONALITY = 10
	IORING_REGISTER_RESTRICTIONS  = 11
	IORING_REGISTER_ENABLE_RINGS  = 12

	// extended with tagging
	IORING_REGISTER_FILES2         = 13
	IORING_REGISTER_FILES_UPDATE2  = 14
	IORING_REGISTER_BUFFERS2       = 15
	IORING_REGISTER_BUFFERS_UPDATE = 16

	// set/clear io-wq thread affinities
	IORING_REGISTER_IOWQ_AFF   = 17
	IORING_UNREGISTER_IOWQ_AFF = 18

	// set/get max number of io-wq workers
	IORING_REGISTER_IOWQ_MAX_WORKERS = 19

	// register/unregister io_uring fd with the ring
	IORING_REGISTER_RING_FDS   = 20
	IORING_UNREGISTER_RING_FDS = 21

	// register ring based provide buffer group
	IORING_REGISTER_PBUF_RING   = 22
	IORING_UNREGISTER_PBUF_RING = 23

	// sync cancelation API
	IORING_REGISTER_SYNC_CANCEL = 24

	// register a range of fixed file slots for automatic slot allocation
	IORING_REGISTER_FILE_ALLOC_RANGE = 25

	// return status information for a buffer group
	IORING_REGISTER_PBUF_STATUS = 26

	// set/clear busy poll settings
	IORING_REGISTER_NAPI   = 27
	IORING_UNREGISTER_NAPI = 28

	IORING_REGISTER_CLOCK = 29

	// clone registered buffers from source ring to current ring
	IORING_REGISTER_CLONE_BUFFERS = 30

	// send MSG_RING without having a ring
	IORING_REGISTER_SEND_MSG_RING = 31

	// register a netdev hw rx queue for zerocopy
	IORING_REGISTER_ZCRX_IFQ = 32

	// resize CQ ring
	IORING_REGISTER_RESIZE_RINGS = 33

	IORING_REGISTER_MEM_REGION = 34

	// query various aspects of io_uring, see linux/io_uring/query.h
	IORING_REGISTER_QUERY = 35

	// IORING_REGISTER_LAST goes last.
	IORING_REGISTER_LAST = 36

	// IORING_REGISTER_USE_REGISTERED_RING is a flag added to the opcode to
	// use a registered ring fd.
	IORING_REGISTER_USE_REGISTERED_RING = 1 << 31
)

// io-wq worker categories (the two counts of IORING_REGISTER_IOWQ_MAX_WORKERS).
//
// Linux: include/uapi/linux/io_uring.h:enum io_wq_type
const (
	IO_WQ_BOUND   = 0
	IO_WQ_UNBOUND = 1
)

// IORING_RSRC_REGISTER_SPARSE registers a fully sparse file or buffer table
// (io_uring_rsrc_register.flags) rather than passing an array of -1 fds.
//
// Linux: include/uapi/linux/io_uring.h
const IORING_RSRC_REGISTER_SPARSE = 1 << 0

// IORING_REGISTER_FILES_SKIP in an fd array of a files update skips that
// slot. It is negative: the fd arrays are __s32.
//
// Linux: include/uapi/linux/io_uring.h
const IORING_REGISTER_FILES_SKIP = -2

// IO_URING_OP_SUPPORTED is io_uring_probe_op.flags for a supported opcode.
//
// Linux: include/uapi/linux/io_uring.h
const IO_URING_OP_SUPPORTED = 1 << 0

// io_uring_restriction->opcode values.
//
// Linux: include/uapi/linux/io_uring.h:enum io_uring_register_restriction_op
const (
	// IORING_RESTRICTION_REGISTER_OP: allow an io_uring_register(2) opcode.
	IORING_RESTRICTION_REGISTER_OP = 0
	// IORING_RESTRICTION_SQE_OP: allow an sqe opcode.
	IORING_RESTRICTION_SQE_OP = 1
	// IORING_RESTRICTION_SQE_FLAGS_ALLOWED: allow sqe flags.
	IORING_RESTRICTION_SQE_FLAGS_ALLOWED = 2
	// IORING_RESTRICTION_SQE_FLAGS_REQUIRED: require sqe flags (these
	// flags must be set on each submission).
	IORING_RESTRICTION_SQE_FLAGS_REQUIRED = 3

	IORING_RESTRICTION_LAST = 4
)

// io_uring_clone_buffers.flags.
//
// Linux: include/uapi/linux/io_uring.h
const (
	IORING_REGISTER_SRC_REGISTERED = 1 << 0
	IORING_REGISTER_DST_REPLACE    = 1 << 1
)

// FilesUpdate is struct io_uring_files_update (deprecated, see RsrcUpdate).
// Fds is a user pointer to an array of __s32.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_files_update
type FilesUpdate struct {
	Offset uint32
	Resv   uint32
	Fds    uint64
}

// RsrcRegister is struct io_uring_rsrc_register, the argument of
// IORING_REGISTER_FILES2 and IORING_REGISTER_BUFFERS2.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_rsrc_register
type RsrcRegister struct {
	Nr    uint32
	Flags uint32
	Resv2 uint64
	Data  uint64
	Tags  uint64
}

// RsrcUpdate is struct io_uring_rsrc_update (IORING_REGISTER_FILES_UPDATE,
// IORING_REGISTER_RING_FDS, ...).
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_rsrc_update
type RsrcUpdate struct {
	Offset uint32
	Resv   uint32
	Data   uint64
}

// RsrcUpdate2 is struct io_uring_rsrc_update2 (IORING_REGISTER_FILES_UPDATE2,
// IORING_REGISTER_BUFFERS_UPDATE).
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_rsrc_update2
type RsrcUpdate2 struct {
	Offset uint32
	Resv   uint32
	Data   uint64
	Tags   uint64
	Nr     uint32
	Resv2  uint32
}

// ProbeOp is struct io_uring_probe_op.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_probe_op
type ProbeOp struct {
	Op    uint8
	Resv  uint8
	Flags uint16
	Resv2 uint32
}

// Probe is the fixed part of struct io_uring_probe; ops[] (ProbeOp, 8 bytes
// each) follows it directly, ProbeSize bytes from its start.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_probe
type Probe struct {
	LastOp uint8
	OpsLen uint8
	Resv   uint16
	Resv2  [3]uint32
}

// ProbeSize is sizeof(struct io_uring_probe), the offset of ops[].
const ProbeSize = 16

// Restriction is struct io_uring_restriction. Arg is the union of
// register_op, sqe_op and sqe_flags.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_restriction
type Restriction struct {
	Opcode uint16
	Arg    uint8
	Resv   uint8
	Resv2  [3]uint32
}

// RegisterOp is restriction->register_op.
func (r *Restriction) RegisterOp() uint8 { return r.Arg }

// SQEOp is restriction->sqe_op.
func (r *Restriction) SQEOp() uint8 { return r.Arg }

// SQEFlags is restriction->sqe_flags.
func (r *Restriction) SQEFlags() uint8 { return r.Arg }

// ClockRegister is struct io_uring_clock_register (IORING_REGISTER_CLOCK).
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_clock_register
type ClockRegister struct {
	ClockID uint32
	Resv    [3]uint32
}

// CloneBuffers is struct io_uring_clone_buffers
// (IORING_REGISTER_CLONE_BUFFERS).
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_clone_buffers
type CloneBuffers struct {
	SrcFd  uint32
	Flags  uint32
	SrcOff uint32
	DstOff uint32
	Nr     uint32
	Pad    [3]uint32
}

// SyncCancelReg is struct io_uring_sync_cancel_reg, the argument of
// IORING_REGISTER_SYNC_CANCEL.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_sync_cancel_reg
type SyncCancelReg struct {
	Addr    uint64
	Fd      int32
	Flags   uint32
	Timeout KernelTimespec
	Opcode  uint8
	Pad     [7]uint8
	Pad2    [3]uint64
}

// FileIndexRange is struct io_uring_file_index_range, the argument of
// IORING_REGISTER_FILE_ALLOC_RANGE: the range [Off, Off+Len).
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_file_index_range
type FileIndexRange struct {
	Off  uint32
	Len  uint32
	Resv uint64
}
