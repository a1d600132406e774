package kernel

import "github.com/uringsim/uringsim/rings"

// Request flags: io_kiocb.flags. The low bits have the same values as the
// IOSQE_* flags, so io_init_req can copy sqe->flags straight in.
// Linux: include/linux/io_uring_types.h:enum io_req_flags
const (
	REQ_F_FIXED_FILE        uint64 = rings.IOSQE_FIXED_FILE
	REQ_F_IO_DRAIN          uint64 = rings.IOSQE_IO_DRAIN
	REQ_F_LINK              uint64 = rings.IOSQE_IO_LINK
	REQ_F_HARDLINK          uint64 = rings.IOSQE_IO_HARDLINK
	REQ_F_FORCE_ASYNC       uint64 = rings.IOSQE_ASYNC
	REQ_F_BUFFER_SELECT     uint64 = rings.IOSQE_BUFFER_SELECT
	REQ_F_CQE_SKIP          uint64 = rings.IOSQE_CQE_SKIP_SUCCESS
	REQ_F_FAIL              uint64 = 1 << 8
	REQ_F_INFLIGHT          uint64 = 1 << 9
	REQ_F_CUR_POS           uint64 = 1 << 10
	REQ_F_NOWAIT            uint64 = 1 << 11
	REQ_F_LINK_TIMEOUT      uint64 = 1 << 12
	REQ_F_NEED_CLEANUP      uint64 = 1 << 13
	REQ_F_POLLED            uint64 = 1 << 14
	REQ_F_HYBRID_IOPOLL     uint64 = 1 << 15
	REQ_F_BUFFER_SELECTED   uint64 = 1 << 16
	REQ_F_BUFFER_RING       uint64 = 1 << 17
	REQ_F_REISSUE           uint64 = 1 << 18
	REQ_F_SUPPORT_NOWAIT    uint64 = 1 << 19
	REQ_F_ISREG             uint64 = 1 << 20
	REQ_F_CREDS             uint64 = 1 << 21
	REQ_F_REFCOUNT          uint64 = 1 << 22
	REQ_F_ARM_LTIMEOUT      uint64 = 1 << 23
	REQ_F_ASYNC_DATA        uint64 = 1 << 24
	REQ_F_SKIP_LINK_CQES    uint64 = 1 << 25
	REQ_F_SINGLE_POLL       uint64 = 1 << 26
	REQ_F_DOUBLE_POLL       uint64 = 1 << 27
	REQ_F_MULTISHOT         uint64 = 1 << 28
	REQ_F_APOLL_MULTISHOT   uint64 = 1 << 29
	REQ_F_CLEAR_POLLIN      uint64 = 1 << 30
	REQ_F_POLL_NO_LAZY      uint64 = 1 << 31
	REQ_F_CAN_POLL          uint64 = 1 << 32
	REQ_F_BL_EMPTY          uint64 = 1 << 33
	REQ_F_BL_NO_RECYCLE     uint64 = 1 << 34
	REQ_F_BUFFERS_COMMIT    uint64 = 1 << 35
	REQ_F_BUF_NODE          uint64 = 1 << 36
	REQ_F_HAS_METADATA      uint64 = 1 << 37
	REQ_F_IMPORT_BUFFER     uint64 = 1 << 38
	REQ_F_SQE_COPIED        uint64 = 1 << 39
	REQ_F_IOWQ_POLL_ARMED   uint64 = 1 << 40
	REQ_F_PARTIAL_IO        uint64 = 1 << 41
	REQ_F_IOPOLL_STATE      uint64 = 1 << 42 // a hybrid poller has slept once for the request
	REQ_F_BUF_MORE          uint64 = 1 << 43
	IO_REQ_LINK_FLAGS              = REQ_F_LINK | REQ_F_HARDLINK
	IO_DISARM_MASK                 = REQ_F_ARM_LTIMEOUT | REQ_F_LINK_TIMEOUT | REQ_F_FAIL
	IO_REQ_CLEAN_FLAGS             = REQ_F_BUFFER_SELECTED | REQ_F_NEED_CLEANUP | REQ_F_POLLED | REQ_F_INFLIGHT | REQ_F_CREDS | REQ_F_ASYNC_DATA
	IO_REQ_CLEAN_SLOW_FLAGS        = REQ_F_REFCOUNT | IO_REQ_LINK_FLAGS | REQ_F_REISSUE | IO_REQ_CLEAN_FLAGS
)

// SQE flag masks accepted by io_init_req.
// Linux: io_uring/io_uring.c:SQE_COMMON_FLAGS, SQE_VALID_FLAGS
const (
	SQE_COMMON_FLAGS = rings.IOSQE_FIXED_FILE | rings.IOSQE_IO_LINK | rings.IOSQE_IO_HARDLINK | rings.IOSQE_ASYNC
	SQE_VALID_FLAGS  = SQE_COMMON_FLAGS | rings.IOSQE_BUFFER_SELECT | rings.IOSQE_IO_DRAIN | rings.IOSQE_CQE_SKIP_SUCCESS
)

// Issue flags passed to an op's issue handler.
// Linux: include/linux/io_uring_types.h:enum io_uring_cmd_flags
const (
	IO_URING_F_COMPLETE_DEFER uint32 = 1
	IO_URING_F_UNLOCKED       uint32 = 2
	IO_URING_F_MULTISHOT      uint32 = 4
	IO_URING_F_IOWQ           uint32 = 8
	IO_URING_F_INLINE         uint32 = 16
	IO_URING_F_NONBLOCK       uint32 = 1 << 31
	IO_URING_F_SQE128         uint32 = 1 << 8
	IO_URING_F_CQE32          uint32 = 1 << 9
	IO_URING_F_IOPOLL         uint32 = 1 << 10
)

// Return codes of an issue handler beyond a negative errno.
// Linux: io_uring/io_uring.h:enum IOU_COMPLETE, IOU_ISSUE_SKIP_COMPLETE, IOU_RETRY, IOU_REQUEUE
const (
	IOU_COMPLETE            = 0
	IOU_ISSUE_SKIP_COMPLETE = -(EIOCBQUEUED)
	IOU_RETRY               = -EAGAIN
	// IOU_REQUEUE: a multishot issue asks for its poll task_work to run
	// again (not a valid errno, below -MAX_ERRNO).
	IOU_REQUEUE = -3072
	EIOCBQUEUED = 529
)

// Bits of Ctx.checkCQ.
// Linux: io_uring/io_uring.h:IO_CHECK_CQ_OVERFLOW_BIT, IO_CHECK_CQ_DROPPED_BIT
const (
	ioCheckCQOverflow uint32 = 1 << 0
	ioCheckCQDropped  uint32 = 1 << 1
)

// Task-work tuning constants.
// Linux: io_uring/io_uring.c:IO_LOCAL_TW_DEFAULT_MAX, IO_CQ_WAKE_INIT, IO_CQ_WAKE_FORCE
const (
	IO_LOCAL_TW_DEFAULT_MAX        = 20
	IO_CQ_WAKE_INIT         uint32 = ^uint32(0)
	IO_CQ_WAKE_FORCE               = IO_CQ_WAKE_INIT >> 1
	IOU_F_TWQ_LAZY_WAKE            = 1
)
