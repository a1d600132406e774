package rings

// io_uring_setup(2) flags, io_uring_params->flags.
//
// Linux: include/uapi/linux/io_uring.h
const (
	// IORING_SETUP_IOPOLL: io_context is polled.
	IORING_SETUP_IOPOLL = 1 << 0
	// IORING_SETUP_SQPOLL: SQ poll thread.
	IORING_SETUP_SQPOLL = 1 << 1
	// IORING_SETUP_SQ_AFF: sq_thread_cpu is valid.
	IORING_SETUP_SQ_AFF = 1 << 2
	// IORING_SETUP_CQSIZE: app defines CQ size.
	IORING_SETUP_CQSIZE = 1 << 3
	// IORING_SETUP_CLAMP: clamp SQ/CQ ring sizes.
	IORING_SETUP_CLAMP = 1 << 4
	// IORING_SETUP_ATTACH_WQ: attach to existing wq.
	IORING_SETUP_ATTACH_WQ = 1 << 5
	// IORING_SETUP_R_DISABLED: start with ring disabled.
	IORING_SETUP_R_DISABLED = 1 << 6
	// IORING_SETUP_SUBMIT_ALL: continue submit on error.
	IORING_SETUP_SUBMIT_ALL = 1 << 7
	// IORING_SETUP_COOP_TASKRUN: cooperative task running; no IPI to run
	// task work, it runs when the task transitions anyway.
	IORING_SETUP_COOP_TASKRUN = 1 << 8
	// IORING_SETUP_TASKRUN_FLAG: set IORING_SQ_TASKRUN in the sq ring
	// flags when task work is pending.
	IORING_SETUP_TASKRUN_FLAG = 1 << 9
	// IORING_SETUP_SQE128: SQEs are 128 byte.
	IORING_SETUP_SQE128 = 1 << 10
	// IORING_SETUP_CQE32: CQEs are 32 byte.
	IORING_SETUP_CQE32 = 1 << 11
	// IORING_SETUP_SINGLE_ISSUER: only one task is allowed to submit.
	IORING_SETUP_SINGLE_ISSUER = 1 << 12
	// IORING_SETUP_DEFER_TASKRUN: defer running task work to get events.
	IORING_SETUP_DEFER_TASKRUN = 1 << 13
	// IORING_SETUP_NO_MMAP: application provides the memory for the rings.
	IORING_SETUP_NO_MMAP = 1 << 14
	// IORING_SETUP_REGISTERED_FD_ONLY: register the ring fd in itself and
	// return a registered fd index rather than an fd.
	IORING_SETUP_REGISTERED_FD_ONLY = 1 << 15
	// IORING_SETUP_NO_SQARRAY: removes indirection through the SQ index
	// array.
	IORING_SETUP_NO_SQARRAY = 1 << 16
	// IORING_SETUP_HYBRID_IOPOLL: use hybrid poll in iopoll process.
	IORING_SETUP_HYBRID_IOPOLL = 1 << 17
	// IORING_SETUP_CQE_MIXED: allow both 16b and 32b CQEs; a 32b CQE has
	// IORING_CQE_F_32 set in cqe->flags.
	IORING_SETUP_CQE_MIXED = 1 << 18
)

// io_uring_params->features flags.
//
// Linux: include/uapi/linux/io_uring.h
const (
	IORING_FEAT_SINGLE_MMAP     = 1 << 0
	IORING_FEAT_NODROP          = 1 << 1
	IORING_FEAT_SUBMIT_STABLE   = 1 << 2
	IORING_FEAT_RW_CUR_POS      = 1 << 3
	IORING_FEAT_CUR_PERSONALITY = 1 << 4
	IORING_FEAT_FAST_POLL       = 1 << 5
	IORING_FEAT_POLL_32BITS     = 1 << 6
	IORING_FEAT_SQPOLL_NONFIXED = 1 << 7
	IORING_FEAT_EXT_ARG         = 1 << 8
	IORING_FEAT_NATIVE_WORKERS  = 1 << 9
	IORING_FEAT_RSRC_TAGS       = 1 << 10
	IORING_FEAT_CQE_SKIP        = 1 << 11
	IORING_FEAT_LINKED_FILE     = 1 << 12
	IORING_FEAT_REG_REG_RING    = 1 << 13
	IORING_FEAT_RECVSEND_BUNDLE = 1 << 14
	IORING_FEAT_MIN_TIMEOUT     = 1 << 15
	IORING_FEAT_RW_ATTR         = 1 << 16
	IORING_FEAT_NO_IOWAIT       = 1 << 17
)
