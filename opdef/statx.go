package opdef

import (
	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// statxData is IORING_OP_STATX's state (struct io_statx); the name is the
// request's async data.
type statxData struct {
	dfd    int32
	mask   uint32
	flags  uint32
	buffer uint64
}

// statxPrep: dfd in fd, the mask in len, the name at addr, the struct
// statx buffer at addr2, AT_* flags in statx_flags. Always issued from
// io-wq.
// Linux: io_uring/statx.c:io_statx_prep()
func statxPrep(req *kernel.Req, sqe *rings.SQE) int {
	sx := kernel.Cmd[statxData](req)
	if sqe.BufIndex != 0 || sqe.SpliceFdIn != 0 {
		return -kernel.EINVAL
	}
	if kernel.ReqFlags(req)&kernel.REQ_F_FIXED_FILE != 0 {
		return -kernel.EBADF
	}
	sx.dfd = sqe.Fd
	sx.mask = sqe.Len
	sx.buffer = sqe.Addr2()
	sx.flags = sqe.OpFlags
	name, err := kernel.ReqGetname(req, sqe.Addr, sx.flags&kernel.AT_EMPTY_PATH != 0)
	if err != 0 {
		return err
	}
	kernel.ReqSetAsyncData(req, name)
	kernel.ReqAddFlags(req, kernel.REQ_F_FORCE_ASYNC)
	return 0
}

// Linux: io_uring/statx.c:io_statx()
func statx(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	sx := kernel.Cmd[statxData](req)
	kernel.ReqWarnOn(req, issueFlags&kernel.IO_URING_F_NONBLOCK != 0, "io_statx issued nonblocking")
	name, _ := kernel.ReqAsyncData(req).(string)
	ret := kernel.ReqStatx(t, req, sx.dfd, name, sx.flags, sx.mask, sx.buffer)
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}
