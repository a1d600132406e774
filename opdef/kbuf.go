package opdef

import (
	"github.com/uringsim/uringsim/kbuf"
	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// provideBufData is the prepared PROVIDE_BUFFERS / REMOVE_BUFFERS.
type provideBufData = kbuf.ProvideArgs

// provideBuffersPrep reads PROVIDE_BUFFERS: nbufs buffers of len bytes
// from addr, ids from off, into group buf_group.
// Linux: io_uring/kbuf.c:io_provide_buffers_prep()
func provideBuffersPrep(req *kernel.Req, sqe *rings.SQE) int {
	p, ret := kbuf.PrepProvide(sqe, kernel.AccessOK)
	*kernel.Cmd[provideBufData](req) = p
	return ret
}

// removeBuffersPrep reads REMOVE_BUFFERS: up to nbufs buffers of group
// buf_group.
// Linux: io_uring/kbuf.c:io_remove_buffers_prep()
func removeBuffersPrep(req *kernel.Req, sqe *rings.SQE) int {
	p, ret := kbuf.PrepRemove(sqe)
	*kernel.Cmd[provideBufData](req) = p
	return ret
}

// manageBuffers is the issue of both: PROVIDE_BUFFERS completes with 0,
// REMOVE_BUFFERS with the number of buffers removed.
// Linux: io_uring/kbuf.c:io_manage_buffers_legacy()
func manageBuffers(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	p := kernel.Cmd[provideBufData](req)
	ret := kernel.ManageBuffersLegacy(t, req, p, req.Opcode() == rings.IORING_OP_PROVIDE_BUFFERS, issueFlags)
	if ret < 0 {
		kernel.ReqSetFail(req)
	}
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}
