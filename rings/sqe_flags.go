package rings

// Bit numbers of sqe->flags, enum io_uring_sqe_flags_bit.
//
// Linux: include/uapi/linux/io_uring.h:enum io_uring_sqe_flags_bit
const (
	IOSQE_FIXED_FILE_BIT       = 0
	IOSQE_IO_DRAIN_BIT         = 1
	IOSQE_IO_LINK_BIT          = 2
	IOSQE_IO_HARDLINK_BIT      = 3
	IOSQE_ASYNC_BIT            = 4
	IOSQE_BUFFER_SELECT_BIT    = 5
	IOSQE_CQE_SKIP_SUCCESS_BIT = 6
)

// Flags of sqe->flags.
//
// Linux: include/uapi/linux/io_uring.h
const (
	// IOSQE_FIXED_FILE: use fixed fileset.
	IOSQE_FIXED_FILE = 1 << IOSQE_FIXED_FILE_BIT
	// IOSQE_IO_DRAIN: issue after inflight IO.
	IOSQE_IO_DRAIN = 1 << IOSQE_IO_DRAIN_BIT
	// IOSQE_IO_LINK: links next sqe.
	IOSQE_IO_LINK = 1 << IOSQE_IO_LINK_BIT
	// IOSQE_IO_HARDLINK: like LINK, but stronger.
	IOSQE_IO_HARDLINK = 1 << IOSQE_IO_HARDLINK_BIT
	// IOSQE_ASYNC: always go async.
	IOSQE_ASYNC = 1 << IOSQE_ASYNC_BIT
	// IOSQE_BUFFER_SELECT: select buffer from sqe->buf_group.
	IOSQE_BUFFER_SELECT = 1 << IOSQE_BUFFER_SELECT_BIT
	// IOSQE_CQE_SKIP_SUCCESS: don't post CQE if request succeeded.
	IOSQE_CQE_SKIP_SUCCESS = 1 << IOSQE_CQE_SKIP_SUCCESS_BIT
)
