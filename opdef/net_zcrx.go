package opdef

import (
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// recvzc is struct io_recvzc: the ifq is kept by id (cmd holds no
// pointers) and looked up again at issue; ids change only when the ring
// is freed.
// Linux: io_uring/net.c:struct io_recvzc
type recvzc struct {
	ifqID    uint32
	len      uint32
	msgFlags uint32
	flags    uint16
}

// recvzcPrep is io_recvzc_prep: addr, addr2 and addr3 must be 0, the ifq
// must exist (-EINVAL), msg_flags must be 0, ioprio may hold only
// IORING_RECVSEND_POLL_FIRST and IORING_RECV_MULTISHOT, and multishot is
// required. len, when not 0, ends the request once that many bytes came.
// Linux: io_uring/net.c:io_recvzc_prep()
func recvzcPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.Addr2() != 0 || sqe.Addr != 0 || sqe.Addr3 != 0 {
		return -kernel.EINVAL
	}
	zc := kernel.Cmd[recvzc](req)
	zc.ifqID = sqe.ZcrxIfqIdx()
	if kernel.ReqZcrxIfq(req, zc.ifqID) == nil {
		return -kernel.EINVAL
	}
	zc.len = sqe.Len
	zc.flags = sqe.Ioprio
	zc.msgFlags = sqe.MsgFlags()
	if zc.msgFlags != 0 {
		return -kernel.EINVAL
	}
	if zc.flags&^(rings.IORING_RECVSEND_POLL_FIRST|rings.IORING_RECV_MULTISHOT) != 0 {
		return -kernel.EINVAL
	}
	// Multishot required: all data completions are posted as aux CQEs.
	if zc.flags&rings.IORING_RECV_MULTISHOT == 0 {
		return -kernel.EINVAL
	}
	kernel.ReqAddFlags(req, kernel.REQ_F_APOLL_MULTISHOT)
	return 0
}

// recvzcIssue is io_recvzc: the data goes out as CQEs from
// kernel.ZcrxRecv; the request completes with 0 once len bytes came (when
// len was set), with 0 at end of stream, or with an error; otherwise it
// stays armed (IOU_RETRY), or is requeued (IOU_REQUEUE).
// Linux: io_uring/net.c:io_recvzc()
func recvzcIssue(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	zc := kernel.Cmd[recvzc](req)
	if kernel.ReqFlags(req)&kernel.REQ_F_POLLED == 0 && zc.flags&rings.IORING_RECVSEND_POLL_FIRST != 0 {
		return -kernel.EAGAIN
	}
	f := kernel.ReqFile(req)
	if vfs.SockFromFile(f) == nil {
		return -int(unix.ENOTSOCK)
	}
	ifq := kernel.ReqZcrxIfq(req, zc.ifqID)
	n := zc.len
	ret := kernel.ZcrxRecv(t, req, ifq, f, issueFlags, &zc.len)
	if n != 0 && zc.len == 0 {
		kernel.ReqSetRes(req, 0, 0)
		return kernel.IOU_COMPLETE
	}
	if ret <= 0 && ret != -kernel.EAGAIN {
		if ret == -vfs.ERESTARTSYS {
			ret = -kernel.EINTR
		}
		if ret == kernel.IOU_REQUEUE {
			return kernel.IOU_REQUEUE
		}
		kernel.ReqSetFail(req)
		kernel.ReqSetRes(req, int32(ret), 0)
		return kernel.IOU_COMPLETE
	}
	return kernel.IOU_RETRY
}
