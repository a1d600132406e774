package opdef

import (
	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// nopData is IORING_OP_NOP's per-request state (struct io_nop).
type nopData struct {
	result int32
	fd     int32
	flags  uint32
	extra1 uint64
	extra2 uint64
}

// nopFlags are the nop_flags Linux 6.18 accepts.
const nopFlags = rings.IORING_NOP_INJECT_RESULT | rings.IORING_NOP_FIXED_FILE |
	rings.IORING_NOP_FIXED_BUFFER | rings.IORING_NOP_FILE |
	rings.IORING_NOP_TW | rings.IORING_NOP_CQE32

// nopPrep reads the NOP's flags: an injected result (sqe->len), a file to
// look up, a registered buffer to look up, completion through task_work,
// and a 32-byte CQE whose extra words are sqe->off and sqe->addr.
// Linux: io_uring/nop.c:io_nop_prep()
func nopPrep(req *kernel.Req, sqe *rings.SQE) int {
	nop := kernel.Cmd[nopData](req)
	nop.flags = sqe.OpFlags
	if nop.flags == 0 { // a plain NOP: the checks below all pass
		nop.result, nop.fd = 0, -1
		return 0
	}
	if nop.flags&^nopFlags != 0 {
		return -kernel.EINVAL
	}
	if nop.flags&rings.IORING_NOP_INJECT_RESULT != 0 {
		nop.result = int32(sqe.Len)
	}
	nop.fd = -1
	if nop.flags&rings.IORING_NOP_FILE != 0 {
		nop.fd = sqe.Fd
	}
	if nop.flags&rings.IORING_NOP_FIXED_FILE != 0 {
		kernel.ReqSetFixedFile(req)
	}
	if nop.flags&rings.IORING_NOP_FIXED_BUFFER != 0 {
		kernel.ReqSetBufIndex(req, sqe.BufIndex)
	}
	if nop.flags&rings.IORING_NOP_CQE32 != 0 {
		if req.Ctx().Flags()&(rings.IORING_SETUP_CQE32|rings.IORING_SETUP_CQE_MIXED) == 0 {
			return -kernel.EINVAL
		}
		nop.extra1 = sqe.Off
		nop.extra2 = sqe.Addr
	}
	return 0
}

// nop completes with the injected result (0 by default). A file or
// registered buffer that cannot be found fails the request — and its link
// — with -EBADF or -EFAULT.
// Linux: io_uring/nop.c:io_nop()
func nop(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	nop := kernel.Cmd[nopData](req)
	if nop.flags == 0 { // a plain NOP completes with 0
		kernel.ReqSetRes(req, 0, 0)
		return kernel.IOU_COMPLETE
	}
	ret := nop.result
	if nop.flags&rings.IORING_NOP_FILE != 0 && !kernel.ReqGetFile(t, req, int(nop.fd), issueFlags) {
		ret = int32(-kernel.EBADF)
	} else if nop.flags&rings.IORING_NOP_FIXED_BUFFER != 0 && !kernel.ReqFindBufNode(t, req, issueFlags) {
		ret = int32(-kernel.EFAULT)
	}
	if ret < 0 {
		kernel.ReqSetFail(req)
	}
	if nop.flags&rings.IORING_NOP_CQE32 != 0 {
		kernel.ReqSetRes32(req, ret, 0, nop.extra1, nop.extra2)
	} else {
		kernel.ReqSetRes(req, ret, 0)
	}
	if nop.flags&rings.IORING_NOP_TW != 0 {
		kernel.ReqTaskComplete(t, req)
		return kernel.IOU_ISSUE_SKIP_COMPLETE
	}
	return kernel.IOU_COMPLETE
}
