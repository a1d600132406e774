package rings

// Opcodes of sqe->opcode, enum io_uring_op. IORING_OP_LAST is one past the
// last opcode Linux 6.18 knows (IORING_OP_PIPE); the probe reports last_op =
// IORING_OP_LAST - 1.
//
// Linux: include/uapi/linux/io_uring.h:enum io_uring_op
const (
	IORING_OP_NOP              = 0
	IORING_OP_READV            = 1
	IORING_OP_WRITEV           = 2
	IORING_OP_FSYNC            = 3
	IORING_OP_READ_FIXED       = 4
	IORING_OP_WRITE_FIXED      = 5
	IORING_OP_POLL_ADD         = 6
	IORING_OP_POLL_REMOVE      = 7
	IORING_OP_SYNC_FILE_RANGE  = 8
	IORING_OP_SENDMSG          = 9
	IORING_OP_RECVMSG          = 10
	IORING_OP_TIMEOUT          = 11
	IORING_OP_TIMEOUT_REMOVE   = 12
	IORING_OP_ACCEPT           = 13
	IORING_OP_ASYNC_CANCEL     = 14
	IORING_OP_LINK_TIMEOUT     = 15
	IORING_OP_CONNECT          = 16
	IORING_OP_FALLOCATE        = 17
	IORING_OP_OPENAT           = 18
	IORING_OP_CLOSE            = 19
	IORING_OP_FILES_UPDATE     = 20
	IORING_OP_STATX            = 21
	IORING_OP_READ             = 22
	IORING_OP_WRITE            = 23
	IORING_OP_FADVISE          = 24
	IORING_OP_MADVISE          = 25
	IORING_OP_SEND             = 26
	IORING_OP_RECV             = 27
	IORING_OP_OPENAT2          = 28
	IORING_OP_EPOLL_CTL        = 29
	IORING_OP_SPLICE           = 30
	IORING_OP_PROVIDE_BUFFERS  = 31
	IORING_OP_REMOVE_BUFFERS   = 32
	IORING_OP_TEE              = 33
	IORING_OP_SHUTDOWN         = 34
	IORING_OP_RENAMEAT         = 35
	IORING_OP_UNLINKAT         = 36
	IORING_OP_MKDIRAT          = 37
	IORING_OP_SYMLINKAT        = 38
	IORING_OP_LINKAT           = 39
	IORING_OP_MSG_RING         = 40
	IORING_OP_FSETXATTR        = 41
	IORING_OP_SETXATTR         = 42
	IORING_OP_FGETXATTR        = 43
	IORING_OP_GETXATTR         = 44
	IORING_OP_SOCKET           = 45
	IORING_OP_URING_CMD        = 46
	IORING_OP_SEND_ZC          = 47
	IORING_OP_SENDMSG_ZC       = 48
	IORING_OP_READ_MULTISHOT   = 49
	IORING_OP_WAITID           = 50
	IORING_OP_FUTEX_WAIT       = 51
	IORING_OP_FUTEX_WAKE       = 52
	IORING_OP_FUTEX_WAITV      = 53
	IORING_OP_FIXED_FD_INSTALL = 54
	IORING_OP_FTRUNCATE        = 55
	IORING_OP_BIND             = 56
	IORING_OP_LISTEN           = 57
	IORING_OP_RECV_ZC          = 58
	IORING_OP_EPOLL_WAIT       = 59
	IORING_OP_READV_FIXED      = 60
	IORING_OP_WRITEV_FIXED     = 61
	IORING_OP_PIPE             = 62

	// IORING_OP_LAST goes last, obviously.
	IORING_OP_LAST = 63
)
