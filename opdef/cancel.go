package opdef

import (
	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// cancelCmd is IORING_OP_ASYNC_CANCEL's state (struct io_cancel, less
// the file, which the request itself holds).
type cancelCmd struct {
	addr   uint64
	flags  uint32
	fd     int32
	opcode uint8
}

// asyncCancelPrep reads what to cancel: user_data in addr, the
// IORING_ASYNC_CANCEL_* flags, the fd (with _FD) and the opcode in len
// (with _OP); _ANY combines with neither.
// Linux: io_uring/cancel.c:io_async_cancel_prep()
func asyncCancelPrep(req *kernel.Req, sqe *rings.SQE) int {
	c := kernel.Cmd[cancelCmd](req)
	if kernel.ReqFlags(req)&kernel.REQ_F_BUFFER_SELECT != 0 {
		return -kernel.EINVAL
	}
	if sqe.Off != 0 || sqe.SpliceFdIn != 0 {
		return -kernel.EINVAL
	}
	c.addr = sqe.Addr
	c.flags = sqe.OpFlags
	if c.flags&^kernel.CANCEL_FLAGS != 0 {
		return -kernel.EINVAL
	}
	if c.flags&rings.IORING_ASYNC_CANCEL_FD != 0 {
		if c.flags&rings.IORING_ASYNC_CANCEL_ANY != 0 {
			return -kernel.EINVAL
		}
		c.fd = sqe.Fd
	}
	if c.flags&rings.IORING_ASYNC_CANCEL_OP != 0 {
		if c.flags&rings.IORING_ASYNC_CANCEL_ANY != 0 {
			return -kernel.EINVAL
		}
		c.opcode = uint8(sqe.Len)
	}
	return 0
}

// Linux: io_uring/cancel.c:io_async_cancel()
func asyncCancel(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	c := kernel.Cmd[cancelCmd](req)
	return kernel.AsyncCancel(t, req, c.addr, c.flags, c.fd, c.opcode, issueFlags)
}
