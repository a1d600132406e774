package rings

// CQE is struct io_uring_cqe, the 16-byte completion queue entry.
//
// A ring set up with IORING_SETUP_CQE32 has 32-byte slots: the CQE is
// followed by big_cqe[2], two more __u64 (at CQEBig0Offset and CQEBig1Offset).
// A ring set up with IORING_SETUP_CQE_MIXED has 16-byte slots, and a 32-byte
// CQE (flagged IORING_CQE_F_32) takes two consecutive slots; the kernel never
// lets one wrap, posting an IORING_CQE_F_SKIP filler instead. CQE32 is the
// 32-byte shape.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_cqe
type CQE struct {
	UserData uint64
	Res      int32
	Flags    uint32
}

// CQE32 is a big (32-byte) CQE: struct io_uring_cqe with big_cqe[0..1].
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_cqe
type CQE32 struct {
	CQE
	BigCQE [2]uint64
}

// Sizes and offsets of the completion queue entry.
const (
	// CQESize is sizeof(struct io_uring_cqe).
	CQESize = 16
	// CQE32Size is the size of a big CQE (IORING_SETUP_CQE32 slots,
	// IORING_CQE_F_32 entries on a CQE_MIXED ring).
	CQE32Size = 2 * CQESize
	// CQEBig0Offset is offsetof(struct io_uring_cqe, big_cqe[0]).
	CQEBig0Offset = 16
	// CQEBig1Offset is offsetof(struct io_uring_cqe, big_cqe[1]).
	CQEBig1Offset = 24
)
