package kernel

import (
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// ReqAllocNotif allocates the notification request of a zero-copy send
// (prep time, under the ring lock): a request of its own that will post a
// CQE with req's user_data and IORING_CQE_F_NOTIF, in flight for the
// submitting task until it has. Post it with NotifFlush.
// Linux: io_uring/notif.c:io_alloc_notif()
func ReqAllocNotif(req *Req) *Req {
	ctx := req.ctx
	n := ctx.allocReq()
	ctx.reqSeq++
	n.ID = ctx.reqSeq
	n.opcode = rings.IORING_OP_NOP
	n.flags = 0
	n.cqe.userData = req.cqe.userData
	n.cqe.res, n.cqe.flags = 0, rings.IORING_CQE_F_NOTIF
	n.bigCQE = [2]uint64{}
	n.file, n.link = nil, nil
	n.task = req.task
	n.tctx = req.tctx
	n.tctx.inflight++
	n.cmd = [cmdSize / 8]uint64{}
	n.cancelSeqSet = false
	return n
}

// NotifFlush drops the send's hold on its notification: the buffers are
// no longer in use, so it completes from task work with res (0, or
// IORING_NOTIF_USAGE_ZC_COPIED when usage is reported and the data was
// copied). The notification's CQE thus follows the send's own.
// Differs from Linux: the simulated network copies every send, so the
// notification is flushed as soon as the send returns, not when the
// last skb referencing the pages is freed.
// Linux: io_uring/notif.c:io_notif_flush(), io_tx_ubuf_complete(), io_notif_tw_complete()
func NotifFlush(t *sim.Thread, notif *Req, res int32) {
	notif.cqe.res = res
	notif.twFunc = reqTaskComplete
	reqTaskWorkAdd(t, notif, 0)
}
