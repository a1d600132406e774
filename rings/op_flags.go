package rings

// sqe->attr_type_mask flags.
//
// Linux: include/uapi/linux/io_uring.h
const (
	IORING_RW_ATTR_FLAG_PI = 1 << 0
)

// IORING_FILE_INDEX_ALLOC in sqe->file_index asks io_uring to allocate a free
// direct descriptor (openat/openat2/accept/socket/...); it is returned in
// cqe->res, or -ENFILE if the table is full.
//
// Linux: include/uapi/linux/io_uring.h
const IORING_FILE_INDEX_ALLOC = 0xffffffff

// sqe->uring_cmd_flags. The top 8 bits aren't available for userspace.
//
// Linux: include/uapi/linux/io_uring.h
const (
	// IORING_URING_CMD_FIXED: use registered buffer sqe->buf_index.
	IORING_URING_CMD_FIXED = 1 << 0
	// IORING_URING_CMD_MULTISHOT: multishot, with buffer select.
	IORING_URING_CMD_MULTISHOT = 1 << 1
	IORING_URING_CMD_MASK      = IORING_URING_CMD_FIXED | IORING_URING_CMD_MULTISHOT
)

// sqe->fsync_flags.
//
// Linux: include/uapi/linux/io_uring.h
const (
	IORING_FSYNC_DATASYNC = 1 << 0
)

// sqe->timeout_flags.
//
// Linux: include/uapi/linux/io_uring.h
const (
	IORING_TIMEOUT_ABS           = 1 << 0
	IORING_TIMEOUT_UPDATE        = 1 << 1
	IORING_TIMEOUT_BOOTTIME      = 1 << 2
	IORING_TIMEOUT_REALTIME      = 1 << 3
	IORING_LINK_TIMEOUT_UPDATE   = 1 << 4
	IORING_TIMEOUT_ETIME_SUCCESS = 1 << 5
	IORING_TIMEOUT_MULTISHOT     = 1 << 6
	IORING_TIMEOUT_CLOCK_MASK    = IORING_TIMEOUT_BOOTTIME | IORING_TIMEOUT_REALTIME
	IORING_TIMEOUT_UPDATE_MASK   = IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE
)

// sqe->splice_flags extends splice(2) flags.
//
// Linux: include/uapi/linux/io_uring.h
const (
	// SPLICE_F_FD_IN_FIXED: the last bit of __u32; splice_fd_in is a
	// fixed file index.
	SPLICE_F_FD_IN_FIXED = 1 << 31
)

// POLL_ADD command flags, stored in sqe->len (sqe->poll32_events holds the
// poll mask).
//
// Linux: include/uapi/linux/io_uring.h
const (
	// IORING_POLL_ADD_MULTI: multishot poll, sets IORING_CQE_F_MORE.
	IORING_POLL_ADD_MULTI = 1 << 0
	// IORING_POLL_UPDATE_EVENTS: update the events of an existing poll.
	IORING_POLL_UPDATE_EVENTS = 1 << 1
	// IORING_POLL_UPDATE_USER_DATA: update the user_data of an existing
	// poll, matching sqe->addr as the old user_data.
	IORING_POLL_UPDATE_USER_DATA = 1 << 2
	// IORING_POLL_ADD_LEVEL: level triggered poll.
	IORING_POLL_ADD_LEVEL = 1 << 3
)

// ASYNC_CANCEL flags, sqe->cancel_flags (and io_uring_sync_cancel_reg.flags).
//
// Linux: include/uapi/linux/io_uring.h
const (
	// IORING_ASYNC_CANCEL_ALL: cancel all requests that match the key.
	IORING_ASYNC_CANCEL_ALL = 1 << 0
	// IORING_ASYNC_CANCEL_FD: key off 'fd' rather than 'user_data'.
	IORING_ASYNC_CANCEL_FD = 1 << 1
	// IORING_ASYNC_CANCEL_ANY: match any request.
	IORING_ASYNC_CANCEL_ANY = 1 << 2
	// IORING_ASYNC_CANCEL_FD_FIXED: 'fd' is a fixed descriptor.
	IORING_ASYNC_CANCEL_FD_FIXED = 1 << 3
	// IORING_ASYNC_CANCEL_USERDATA: match on user_data (the default).
	IORING_ASYNC_CANCEL_USERDATA = 1 << 4
	// IORING_ASYNC_CANCEL_OP: match on opcode.
	IORING_ASYNC_CANCEL_OP = 1 << 5
)

// send/sendmsg and recv/recvmsg flags, stored in sqe->ioprio.
//
// Linux: include/uapi/linux/io_uring.h
const (
	IORING_RECVSEND_POLL_FIRST  = 1 << 0
	IORING_RECV_MULTISHOT       = 1 << 1
	IORING_RECVSEND_FIXED_BUF   = 1 << 2
	IORING_SEND_ZC_REPORT_USAGE = 1 << 3
	IORING_RECVSEND_BUNDLE      = 1 << 4
	IORING_SEND_VECTORIZED      = 1 << 5
)

// IORING_NOTIF_USAGE_ZC_COPIED is reported in cqe.res of an
// IORING_CQE_F_NOTIF CQE when IORING_SEND_ZC_REPORT_USAGE was requested and
// the data was (at least partially) copied.
//
// Linux: include/uapi/linux/io_uring.h
const IORING_NOTIF_USAGE_ZC_COPIED = 1 << 31

// accept flags, stored in sqe->ioprio.
//
// Linux: include/uapi/linux/io_uring.h
const (
	IORING_ACCEPT_MULTISHOT  = 1 << 0
	IORING_ACCEPT_DONTWAIT   = 1 << 1
	IORING_ACCEPT_POLL_FIRST = 1 << 2
)

// IORING_OP_MSG_RING command types, stored in sqe->addr.
//
// Linux: include/uapi/linux/io_uring.h:enum io_uring_msg_ring_flags
const (
	// IORING_MSG_DATA: pass sqe->len as 'res' and off as user_data.
	IORING_MSG_DATA = 0
	// IORING_MSG_SEND_FD: send a registered fd to another ring.
	IORING_MSG_SEND_FD = 1
)

// IORING_OP_MSG_RING flags, sqe->msg_ring_flags.
//
// Linux: include/uapi/linux/io_uring.h
const (
	// IORING_MSG_RING_CQE_SKIP: don't post a CQE to the target ring.
	IORING_MSG_RING_CQE_SKIP = 1 << 0
	// IORING_MSG_RING_FLAGS_PASS: pass sqe->file_index through to
	// cqe->flags.
	IORING_MSG_RING_FLAGS_PASS = 1 << 1
)

// IORING_OP_FIXED_FD_INSTALL flags, sqe->install_fd_flags.
//
// Linux: include/uapi/linux/io_uring.h
const (
	// IORING_FIXED_FD_NO_CLOEXEC: don't mark the fd as O_CLOEXEC.
	IORING_FIXED_FD_NO_CLOEXEC = 1 << 0
)

// IORING_OP_NOP flags, sqe->nop_flags.
//
// Linux: include/uapi/linux/io_uring.h
const (
	// IORING_NOP_INJECT_RESULT: inject the result from sqe->len.
	IORING_NOP_INJECT_RESULT = 1 << 0
	IORING_NOP_FILE          = 1 << 1
	IORING_NOP_FIXED_FILE    = 1 << 2
	IORING_NOP_FIXED_BUFFER  = 1 << 3
	IORING_NOP_TW            = 1 << 4
	IORING_NOP_CQE32         = 1 << 5
)

// Argument for IORING_OP_URING_CMD when the file is a socket (sqe->cmd_op).
//
// Linux: include/uapi/linux/io_uring.h:enum io_uring_socket_op
const (
	SOCKET_URING_OP_SIOCINQ      = 0
	SOCKET_URING_OP_SIOCOUTQ     = 1
	SOCKET_URING_OP_GETSOCKOPT   = 2
	SOCKET_URING_OP_SETSOCKOPT   = 3
	SOCKET_URING_OP_TX_TIMESTAMP = 4
)

// SOCKET_URING_OP_TX_TIMESTAMP definitions.
//
// Linux: include/uapi/linux/io_uring.h
const (
	IORING_TIMESTAMP_HW_SHIFT = 16
	// IORING_TIMESTAMP_TYPE_SHIFT is the cqe->flags bit from which the
	// timestamp type is stored.
	IORING_TIMESTAMP_TYPE_SHIFT = IORING_TIMESTAMP_HW_SHIFT + 1
	// IORING_CQE_F_TSTAMP_HW: the cqe->flags flag signifying a hardware
	// timestamp.
	IORING_CQE_F_TSTAMP_HW = 1 << IORING_TIMESTAMP_HW_SHIFT
)

// AttrPI is struct io_uring_attr_pi, the protection information attribute
// pointed to by sqe->attr_ptr when IORING_RW_ATTR_FLAG_PI is set.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_attr_pi
type AttrPI struct {
	Flags  uint16
	AppTag uint16
	Len    uint32
	Addr   uint64
	Seed   uint64
	Rsvd   uint64
}

// RecvmsgOut is struct io_uring_recvmsg_out, the header a multishot recvmsg
// writes at the start of each provided buffer.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_recvmsg_out
type RecvmsgOut struct {
	Namelen    uint32
	Controllen uint32
	Payloadlen uint32
	Flags      uint32
}

// Timespec is struct io_timespec (used by the tx timestamp uring_cmd).
//
// Linux: include/uapi/linux/io_uring.h:struct io_timespec
type Timespec struct {
	TvSec  uint64
	TvNsec uint64
}
