package rings

// IORING_REGISTER_QUERY query operations (hdr.query_op).
//
// Linux: include/uapi/linux/io_uring/query.h
const (
	// IO_URING_QUERY_OPCODES: what the kernel supports
	// (struct io_uring_query_opcode).
	IO_URING_QUERY_OPCODES = 0
	// IO_URING_QUERY_MAX is one past the last query op.
	IO_URING_QUERY_MAX = 1
)

// QueryHdr is struct io_uring_query_hdr: one entry of the chain
// IORING_REGISTER_QUERY walks (NextEntry 0 ends it). QueryData points to
// Size bytes of the op's result structure; the kernel writes Result and
// the size it filled.
//
// Linux: include/uapi/linux/io_uring/query.h:struct io_uring_query_hdr
type QueryHdr struct {
	NextEntry uint64
	QueryData uint64
	QueryOp   uint32
	Size      uint32
	Result    int32
	Resv      [3]uint32
}

// QueryOpcode is struct io_uring_query_opcode, the result of
// IO_URING_QUERY_OPCODES.
//
// Linux: include/uapi/linux/io_uring/query.h:struct io_uring_query_opcode
type QueryOpcode struct {
	NrRequestOpcodes  uint32
	NrRegisterOpcodes uint32
	FeatureFlags      uint64
	RingSetupFlags    uint64
	EnterFlags        uint64
	SQEFlags          uint64
	NrQueryOpcodes    uint32
	Pad               uint32
}
