package opdef

import (
	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/rsrc"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// zcFlagsCommon and zcFlagsValid are IO_ZC_FLAGS_COMMON and
// IO_ZC_FLAGS_VALID: the sqe->ioprio flags of a zero-copy send.
const (
	zcFlagsCommon = rings.IORING_RECVSEND_POLL_FIRST | rings.IORING_RECVSEND_FIXED_BUF
	zcFlagsValid  = zcFlagsCommon | rings.IORING_SEND_ZC_REPORT_USAGE | rings.IORING_SEND_VECTORIZED
)

// sendZCPrep: a zero-copy send is a send (or sendmsg) whose buffers stay
// the program's until a second CQE, the notification (IORING_CQE_F_NOTIF,
// same user_data), says the kernel is done with them; its first CQE then
// carries IORING_CQE_F_MORE. The notification is allocated early: a
// failure after that point still posts both CQEs.
// With IORING_RECVSEND_FIXED_BUF a SEND_ZC sends from the registered
// buffer sqe->buf_index (imported at issue, sendZCImport), and a
// SENDMSG_ZC's iovecs are ranges inside it (sendmsgZCImport).
// Differs from Linux: IORING_SEND_VECTORIZED is refused with -EOPNOTSUPP
// (after the notification exists).
// Linux: io_uring/net.c:io_send_zc_prep()
func sendZCPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.Pad2[0] != 0 || sqe.Addr3 != 0 {
		return -kernel.EINVAL
	}
	// IOSQE_CQE_SKIP_SUCCESS is not supported yet.
	if kernel.ReqFlags(req)&kernel.REQ_F_CQE_SKIP != 0 {
		return -kernel.EINVAL
	}
	kmsg := &asyncMsghdr{notif: kernel.ReqAllocNotif(req)}
	kernel.ReqSetAsyncData(req, kmsg)
	kernel.ReqAddFlags(req, kernel.REQ_F_NEED_CLEANUP)
	flags := sqe.Ioprio
	if flags&^zcFlagsValid != 0 {
		return -kernel.EINVAL
	}
	kmsg.zcReport = flags&rings.IORING_SEND_ZC_REPORT_USAGE != 0
	if flags&rings.IORING_SEND_VECTORIZED != 0 {
		return -kernel.EOPNOTSUPP
	}
	if flags&rings.IORING_RECVSEND_FIXED_BUF != 0 {
		kernel.ReqSetBufIndex(req, sqe.BufIndex)
		kernel.ReqAddFlags(req, kernel.REQ_F_IMPORT_BUFFER)
	}
	if sqe.Opcode == rings.IORING_OP_SENDMSG_ZC && (sqe.Addr2() != 0 || sqe.FileIndex() != 0) {
		return -kernel.EINVAL
	}
	plain := *sqe // the send's own prep, without the zero-copy flags
	plain.Ioprio = flags & rings.IORING_RECVSEND_POLL_FIRST
	plain.Opcode = rings.IORING_OP_SEND
	if sqe.Opcode == rings.IORING_OP_SENDMSG_ZC {
		plain.Opcode = rings.IORING_OP_SENDMSG
	}
	if ret := sendmsgPrep(req, &plain); ret != 0 {
		return ret
	}
	kernel.Cmd[srMsg](req).flags = flags
	return 0
}

// sendZCIssue sends as SEND/SENDMSG do, on a socket that supports
// MSG_ZEROCOPY (TCP, UDP; -EOPNOTSUPP otherwise), and completes with
// IORING_CQE_F_MORE; outside io-wq it flushes the notification at once
// (from io-wq the request's cleanup does, after its CQE).
// Linux: io_uring/net.c:io_send_zc(), io_sendmsg_zc()
func sendZCIssue(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	if s := vfs.SockFromFile(kernel.ReqFile(req)); s != nil && !s.SupportsZC() {
		return -kernel.EOPNOTSUPP
	}
	var ret int
	if kernel.ReqOpcode(req) == rings.IORING_OP_SEND_ZC {
		if ret := sendZCImport(t, req, issueFlags); ret != 0 {
			return ret
		}
		ret = sendIssue(t, req, issueFlags)
	} else {
		if ret := sendmsgZCImport(t, req, issueFlags); ret != 0 {
			return ret
		}
		ret = sendmsgIssue(t, req, issueFlags)
	}
	if ret != kernel.IOU_COMPLETE {
		return ret
	}
	kmsg := kmsgOf(req)
	kmsg.zcSent = kernel.ReqResult(req) > 0
	if issueFlags&kernel.IO_URING_F_UNLOCKED == 0 {
		sendZCFlush(t, kmsg)
	}
	kernel.ReqSetCQEFlags(req, kernel.ReqCQEFlags(req)|rings.IORING_CQE_F_MORE)
	return ret
}

// sendZCImport maps a SEND_ZC's range of its registered buffer once, on
// the notification, which holds the buffer until it is posted: -EFAULT for
// an empty slot or a range outside the buffer.
// Linux: io_uring/net.c:io_send_zc_import()
func sendZCImport(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	sr := kernel.Cmd[srMsg](req)
	kmsg := kmsgOf(req)
	if kernel.ReqFlags(req)&kernel.REQ_F_IMPORT_BUFFER == 0 { // set by prep for IORING_RECVSEND_FIXED_BUF
		return 0
	}
	kernel.ReqClearFlags(req, kernel.REQ_F_IMPORT_BUFFER)
	kernel.ReqSetBufIndex(kmsg.notif, kernel.ReqBufIndex(req))
	segs, ret := kernel.ReqImportRegBuf(t, kmsg.notif, sr.buf, uint64(sr.len), rsrc.ITER_SOURCE, issueFlags)
	if ret != 0 {
		return ret
	}
	kmsg.fixed = segs
	return 0
}

// sendmsgZCImport maps a SENDMSG_ZC's iovecs, each a range of its
// registered buffer, once, on the notification: -EFAULT for an empty slot
// or a range outside the buffer.
// Linux: io_uring/net.c:io_sendmsg_zc() (io_import_reg_vec)
func sendmsgZCImport(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	kmsg := kmsgOf(req)
	if kernel.ReqFlags(req)&kernel.REQ_F_IMPORT_BUFFER == 0 {
		return 0
	}
	kernel.ReqSetBufIndex(kmsg.notif, kernel.ReqBufIndex(req))
	iov := make([]rsrc.Iovec, len(kmsg.iovs))
	for i, v := range kmsg.iovs {
		iov[i] = rsrc.Iovec{Base: v.base, Len: v.len}
	}
	segs, _, ret := kernel.ReqImportRegVec(t, kmsg.notif, iov, rsrc.ITER_SOURCE, issueFlags)
	if ret != 0 {
		return ret
	}
	kernel.ReqClearFlags(req, kernel.REQ_F_IMPORT_BUFFER)
	kmsg.fixed = segs
	return 0
}

// sendZCFlush posts the notification, if the request still holds it.
func sendZCFlush(t *sim.Thread, kmsg *asyncMsghdr) {
	if kmsg.notif == nil {
		return
	}
	var res int32
	if kmsg.zcReport && kmsg.zcSent {
		res = int32(rings.IORING_NOTIF_USAGE_ZC_COPIED - (1 << 32)) // the bit in an s32
	}
	kernel.NotifFlush(t, kmsg.notif, res)
	kmsg.notif = nil
}

// sendZCCleanup flushes a notification the issue did not: after a failure,
// or from io-wq.
// Linux: io_uring/net.c:io_send_zc_cleanup()
func sendZCCleanup(t *sim.Thread, req *kernel.Req) {
	if kmsg, ok := kernel.ReqAsyncData(req).(*asyncMsghdr); ok {
		sendZCFlush(t, kmsg)
	}
}

// sendZCFail: a failed zero-copy send that allocated its notification
// still posts it, so its CQE says IORING_CQE_F_MORE.
// Linux: io_uring/net.c:io_sendrecv_fail()
func sendZCFail(req *kernel.Req) {
	if kernel.ReqFlags(req)&kernel.REQ_F_NEED_CLEANUP != 0 {
		kernel.ReqSetCQEFlags(req, kernel.ReqCQEFlags(req)|rings.IORING_CQE_F_MORE)
	}
}
