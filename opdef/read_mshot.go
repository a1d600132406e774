package opdef

import (
	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// readMshotPrep prepares IORING_OP_READ_MULTISHOT: a read that must select
// provided buffers (IOSQE_BUFFER_SELECT) and names none itself (addr and
// len zero); it stays armed and posts one CQE per buffer filled.
// Linux: io_uring/rw.c:io_read_mshot_prep()
func readMshotPrep(req *kernel.Req, sqe *rings.SQE) int {
	if kernel.ReqFlags(req)&kernel.REQ_F_BUFFER_SELECT == 0 {
		return -kernel.EINVAL
	}
	if ret := rwPrep(req, sqe, false); ret != 0 {
		return ret
	}
	rw := kernel.Cmd[rwData](req)
	if rw.addr != 0 || rw.len != 0 {
		return -kernel.EINVAL
	}
	kernel.ReqAddFlags(req, kernel.REQ_F_APOLL_MULTISHOT)
	return 0
}

// readMshot is one round of a multishot read, on a pollable file only
// (-EBADFD otherwise): -EAGAIN recycles the buffer and leaves the request
// armed on its poll; data posts a CQE with IORING_CQE_F_MORE and the
// buffer, and tries again; EOF (0), an error, or a full CQ ends it with a
// final CQE without IORING_CQE_F_MORE.
// Linux: io_uring/rw.c:io_read_mshot()
func readMshot(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	rw := kernel.Cmd[rwData](req)
	if !kernel.ReqCanPoll(req) {
		return -kernel.EBADFD
	}
	var sel kernel.BufSel
	ret, _ := rwCore(t, req, issueFlags, false, &sel)
	var cflags uint32
	switch {
	case ret == -kernel.EAGAIN:
		// Reset the length so a later buffer of another size is not
		// clamped to this one.
		if kernel.KbufRecycle(t, req, &sel, issueFlags) {
			rw.len = 0
		}
		return kernel.IOU_RETRY
	case ret <= 0:
		kernel.KbufRecycle(t, req, &sel, issueFlags)
		if ret < 0 {
			kernel.ReqSetFail(req)
		}
	case kernel.ReqFlags(req)&kernel.REQ_F_APOLL_MULTISHOT == 0:
		cflags = kernel.PutKbuf(req, ret, &sel)
	default:
		cflags = kernel.PutKbuf(req, ret, &sel)
		rw.len = 0
		if kernel.ReqPostCQE(t, req, int32(ret), cflags|rings.IORING_CQE_F_MORE) {
			if issueFlags&kernel.IO_URING_F_MULTISHOT != 0 {
				// There may be more to read, and no new poll event
				// would say so.
				kernel.PollMultishotRetry(req)
			}
			return kernel.IOU_RETRY
		}
	}
	// An error, EOF, or a CQE that did not fit: this CQE is the last.
	kernel.ReqSetRes(req, int32(ret), cflags)
	return kernel.IOU_COMPLETE
}
