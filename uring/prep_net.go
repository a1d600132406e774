package uring

import (
	"encoding/binary"

	"github.com/uringsim/uringsim/rings"
)

// setTargetFixedFile stores a direct-descriptor slot in sqe->file_index,
// offset by one (0 means a normal descriptor).
//
// Linux: liburing src/include/liburing.h:__io_uring_set_target_fixed_file()
func setTargetFixedFile(sqe *rings.SQE, fileIndex uint32) { sqe.SetFileIndex(fileIndex + 1) }

// PrepSocket prepares an IORING_OP_SOCKET: socket(domain, typ, protocol)
// installed as a normal descriptor (the CQE's result). flags must be 0.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_socket()
func PrepSocket(sqe *rings.SQE, domain, typ, protocol int32, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_SOCKET, domain, 0, uint32(protocol), uint64(typ))
	sqe.OpFlags = flags
}

// PrepSocketDirect is PrepSocket into fixed-file slot fileIndex
// (IORING_FILE_INDEX_ALLOC: the kernel picks a free slot and returns it).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_socket_direct()
func PrepSocketDirect(sqe *rings.SQE, domain, typ, protocol int32, fileIndex, flags uint32) {
	PrepSocket(sqe, domain, typ, protocol, flags)
	if fileIndex == rings.IORING_FILE_INDEX_ALLOC {
		fileIndex--
	}
	setTargetFixedFile(sqe, fileIndex)
}

// PrepSocketDirectAlloc is PrepSocketDirect with IORING_FILE_INDEX_ALLOC.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_socket_direct_alloc()
func PrepSocketDirectAlloc(sqe *rings.SQE, domain, typ, protocol int32, flags uint32) {
	PrepSocketDirect(sqe, domain, typ, protocol, rings.IORING_FILE_INDEX_ALLOC, flags)
}

// PrepBind prepares an IORING_OP_BIND of fd to the sockaddr of addrLen
// bytes at user address addr.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_bind()
func PrepBind(sqe *rings.SQE, fd int32, addr uint64, addrLen uint32) {
	PrepRW(sqe, rings.IORING_OP_BIND, fd, addr, 0, uint64(addrLen))
}

// PrepListen prepares an IORING_OP_LISTEN of fd with backlog.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_listen()
func PrepListen(sqe *rings.SQE, fd int32, backlog int32) {
	PrepRW(sqe, rings.IORING_OP_LISTEN, fd, 0, uint32(backlog), 0)
}

// PrepAccept prepares an IORING_OP_ACCEPT on listening socket fd: the
// peer's address goes to user address addr, its length to the socklen_t
// at addrLen (both may be 0); flags are SOCK_NONBLOCK, SOCK_CLOEXEC.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_accept()
func PrepAccept(sqe *rings.SQE, fd int32, addr, addrLen uint64, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_ACCEPT, fd, addr, 0, addrLen)
	sqe.OpFlags = flags
}

// PrepMultishotAccept is PrepAccept with IORING_ACCEPT_MULTISHOT: one CQE
// with IORING_CQE_F_MORE per connection.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_multishot_accept()
func PrepMultishotAccept(sqe *rings.SQE, fd int32, addr, addrLen uint64, flags uint32) {
	PrepAccept(sqe, fd, addr, addrLen, flags)
	sqe.Ioprio |= rings.IORING_ACCEPT_MULTISHOT
}

// PrepAcceptDirect is PrepAccept into fixed-file slot fileIndex (or
// IORING_FILE_INDEX_ALLOC).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_accept_direct()
func PrepAcceptDirect(sqe *rings.SQE, fd int32, addr, addrLen uint64, flags, fileIndex uint32) {
	PrepAccept(sqe, fd, addr, addrLen, flags)
	if fileIndex == rings.IORING_FILE_INDEX_ALLOC {
		fileIndex--
	}
	setTargetFixedFile(sqe, fileIndex)
}

// PrepMultishotAcceptDirect is PrepMultishotAccept into allocated
// fixed-file slots.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_multishot_accept_direct()
func PrepMultishotAcceptDirect(sqe *rings.SQE, fd int32, addr, addrLen uint64, flags uint32) {
	PrepMultishotAccept(sqe, fd, addr, addrLen, flags)
	setTargetFixedFile(sqe, rings.IORING_FILE_INDEX_ALLOC-1)
}

// PrepConnect prepares an IORING_OP_CONNECT of fd to the sockaddr of
// addrLen bytes at user address addr.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_connect()
func PrepConnect(sqe *rings.SQE, fd int32, addr uint64, addrLen uint32) {
	PrepRW(sqe, rings.IORING_OP_CONNECT, fd, addr, 0, uint64(addrLen))
}

// PrepSend prepares an IORING_OP_SEND of length bytes at buf with MSG_*
// flags.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_send()
func PrepSend(sqe *rings.SQE, fd int32, buf uint64, length uint32, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_SEND, fd, buf, length, 0)
	sqe.OpFlags = flags
}

// PrepSendmsg prepares an IORING_OP_SENDMSG of the struct msghdr at user
// address msg.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_sendmsg()
func PrepSendmsg(sqe *rings.SQE, fd int32, msg uint64, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_SENDMSG, fd, msg, 1, 0)
	sqe.OpFlags = flags
}

// PrepRecv prepares an IORING_OP_RECV of up to length bytes into buf
// (with IOSQE_BUFFER_SELECT, buf 0 and the group in sqe.BufIndex).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_recv()
func PrepRecv(sqe *rings.SQE, fd int32, buf uint64, length uint32, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_RECV, fd, buf, length, 0)
	sqe.OpFlags = flags
}

// PrepRecvMultishot is PrepRecv with IORING_RECV_MULTISHOT (needs
// IOSQE_BUFFER_SELECT).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_recv_multishot()
func PrepRecvMultishot(sqe *rings.SQE, fd int32, buf uint64, length uint32, flags uint32) {
	PrepRecv(sqe, fd, buf, length, flags)
	sqe.Ioprio |= rings.IORING_RECV_MULTISHOT
}

// PrepRecvmsg prepares an IORING_OP_RECVMSG into the struct msghdr at
// user address msg.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_recvmsg()
func PrepRecvmsg(sqe *rings.SQE, fd int32, msg uint64, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_RECVMSG, fd, msg, 1, 0)
	sqe.OpFlags = flags
}

// PrepRecvmsgMultishot is PrepRecvmsg with IORING_RECV_MULTISHOT: each
// selected buffer starts with a struct io_uring_recvmsg_out
// (RecvmsgValidate).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_recvmsg_multishot()
func PrepRecvmsgMultishot(sqe *rings.SQE, fd int32, msg uint64, flags uint32) {
	PrepRecvmsg(sqe, fd, msg, flags)
	sqe.Ioprio |= rings.IORING_RECV_MULTISHOT
}

// RecvmsgOut is struct io_uring_recvmsg_out, the header a multishot
// recvmsg writes at the start of each buffer.
type RecvmsgOut struct {
	Namelen, Controllen, Payloadlen, Flags uint32
}

// RecvmsgOutSize is sizeof(struct io_uring_recvmsg_out).
const RecvmsgOutSize = 16

// RecvmsgValidate decodes the header at the start of buf, the first
// bytes of a multishot recvmsg's buffer (the CQE's result long), given
// the msghdr's msg_namelen and msg_controllen; false when buf cannot hold
// the header, the name and the control room.
//
// Linux: liburing src/include/liburing.h:io_uring_recvmsg_validate()
func RecvmsgValidate(buf []byte, nameLen, controlLen uint32) (RecvmsgOut, bool) {
	n := uint64(len(buf))
	if n < RecvmsgOutSize || uint64(nameLen) > n-RecvmsgOutSize ||
		uint64(controlLen) > n-RecvmsgOutSize-uint64(nameLen) {
		return RecvmsgOut{}, false
	}
	le := binary.LittleEndian
	return RecvmsgOut{le.Uint32(buf[0:]), le.Uint32(buf[4:]), le.Uint32(buf[8:]), le.Uint32(buf[12:])}, true
}

// RecvmsgName is the name area of a validated buffer: the source
// address, o.Namelen bytes of it meaningful (up to nameLen stored).
//
// Linux: liburing src/include/liburing.h:io_uring_recvmsg_name()
func RecvmsgName(buf []byte, nameLen uint32) []byte {
	return buf[RecvmsgOutSize : RecvmsgOutSize+nameLen]
}

// RecvmsgPayload is the payload of a validated buffer: after the header,
// the name room and the control room, as many bytes as the buffer holds
// (io_uring_recvmsg_payload_length).
//
// Linux: liburing src/include/liburing.h:io_uring_recvmsg_payload(), io_uring_recvmsg_payload_length()
func RecvmsgPayload(buf []byte, nameLen, controlLen uint32) []byte {
	start := uint64(RecvmsgOutSize) + uint64(nameLen) + uint64(controlLen)
	if start >= uint64(len(buf)) {
		return nil
	}
	return buf[start:]
}

// PrepShutdown prepares an IORING_OP_SHUTDOWN of fd (how: SHUT_RD,
// SHUT_WR, SHUT_RDWR).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_shutdown()
func PrepShutdown(sqe *rings.SQE, fd int32, how int32) {
	PrepRW(sqe, rings.IORING_OP_SHUTDOWN, fd, 0, uint32(how), 0)
}

// PrepCmdSock prepares a socket IORING_OP_URING_CMD: cmdOp is a
// SOCKET_URING_OP_*; level, optname, optval (a user address) and optlen
// are getsockopt/setsockopt's.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_cmd_sock()
func PrepCmdSock(sqe *rings.SQE, cmdOp uint32, fd int32, level, optname int32, optval uint64, optlen int32) {
	PrepUringCmd(sqe, cmdOp, fd)
	sqe.Addr3 = optval
	sqe.SetOptname(uint32(optname))
	sqe.SpliceFdIn = optlen
	sqe.SetLevel(uint32(level))
}

// PrepSendZC prepares an IORING_OP_SEND_ZC: a send of len bytes at buf
// whose buffer stays in use until a second CQE with IORING_CQE_F_NOTIF
// (the first carries IORING_CQE_F_MORE). flags are msg_flags, zcFlags
// the IORING_RECVSEND_* / IORING_SEND_ZC_* flags in sqe->ioprio.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_send_zc()
func PrepSendZC(sqe *rings.SQE, fd int32, buf uint64, length uint32, flags uint32, zcFlags uint16) {
	PrepRW(sqe, rings.IORING_OP_SEND_ZC, fd, buf, length, 0)
	sqe.OpFlags = flags
	sqe.Ioprio = zcFlags
}

// PrepSendZCFixed is PrepSendZC sending from registered buffer bufIndex
// (IORING_RECVSEND_FIXED_BUF): buf is an address inside it.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_send_zc_fixed()
func PrepSendZCFixed(sqe *rings.SQE, fd int32, buf uint64, length uint32, flags uint32, zcFlags uint16, bufIndex uint16) {
	PrepSendZC(sqe, fd, buf, length, flags, zcFlags)
	sqe.Ioprio |= rings.IORING_RECVSEND_FIXED_BUF
	sqe.BufIndex = bufIndex
}

// PrepSendmsgZC is PrepSendmsg as IORING_OP_SENDMSG_ZC (see PrepSendZC).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_sendmsg_zc()
func PrepSendmsgZC(sqe *rings.SQE, fd int32, msg uint64, flags uint32) {
	PrepSendmsg(sqe, fd, msg, flags)
	sqe.Opcode = rings.IORING_OP_SENDMSG_ZC
}

// PrepSendmsgZCFixed is PrepSendmsgZC whose iovecs are ranges of
// registered buffer bufIndex (IORING_RECVSEND_FIXED_BUF).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_sendmsg_zc_fixed()
func PrepSendmsgZCFixed(sqe *rings.SQE, fd int32, msg uint64, flags uint32, bufIndex uint16) {
	PrepSendmsgZC(sqe, fd, msg, flags)
	sqe.Ioprio |= rings.IORING_RECVSEND_FIXED_BUF
	sqe.BufIndex = bufIndex
}
