package kernel

import (
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// reqSetFail marks req failed so its link is broken. A CQE_SKIP_SUCCESS
// request that fails posts its CQE after all, but its cancelled successors
// post none (REQ_F_SKIP_LINK_CQES: failLinks skips their CQEs).
// Linux: io_uring/io_uring.h:req_set_fail()
func reqSetFail(req *Req) {
	req.flags |= REQ_F_FAIL
	if req.flags&REQ_F_CQE_SKIP != 0 {
		req.flags &^= REQ_F_CQE_SKIP
		req.flags |= REQ_F_SKIP_LINK_CQES
	}
}

// reqFailLinkNode fails req with res.
// Linux: io_uring/io_uring.c:req_fail_link_node()
func reqFailLinkNode(req *Req, res int) {
	reqSetFail(req)
	req.cqe.res, req.cqe.flags = int32(res), 0
}

// queueNext queues the successor of a finished link member, or, if req
// failed a soft link, cancels the rest of the chain.
// Linux: io_uring/io_uring.c:io_queue_next(), io_req_find_next()
func (ctx *Ctx) queueNext(t *sim.Thread, req *Req) {
	if req.flags&IO_DISARM_MASK != 0 {
		ctx.completionLock.Lock(t)
		ctx.disarmNext(t, req)
		ctx.completionLock.Unlock(t)
	}
	nxt := req.link
	req.link = nil
	if nxt != nil {
		reqTaskQueue(t, nxt)
	}
}

// disarmNext fails the chain behind a failed request, unless the link is a
// hard link.
// Linux: io_uring/timeout.c:io_disarm_next()
func (ctx *Ctx) disarmNext(t *sim.Thread, req *Req) {
	if req.flags&REQ_F_ARM_LTIMEOUT != 0 {
		// Completed before its linked timeout was armed.
		link := req.link
		req.flags &^= REQ_F_ARM_LTIMEOUT
		if link != nil && link.opcode == rings.IORING_OP_LINK_TIMEOUT {
			removeNextLinked(req)
			reqQueueTWComplete(t, link, int32(-ECANCELED))
		}
	} else if req.flags&REQ_F_LINK_TIMEOUT != 0 {
		ctx.timeoutLock.Lock(t)
		link := ctx.disarmLinkedTimeout(t, req)
		ctx.timeoutLock.Unlock(t)
		if link != nil {
			reqQueueTWComplete(t, link, int32(-ECANCELED))
		}
	}
	if req.flags&REQ_F_FAIL != 0 && req.flags&REQ_F_HARDLINK == 0 {
		ctx.failLinks(t, req)
	}
}

// failLinks detaches the chain behind req and completes every member with
// -ECANCELED (or its own error) from task_work. Whether the cancelled
// members post CQEs follows the head's REQ_F_SKIP_LINK_CQES.
// Linux: io_uring/timeout.c:io_fail_links()
func (ctx *Ctx) failLinks(t *sim.Thread, req *Req) {
	link := req.link
	if link == nil {
		return
	}
	ignoreCQEs := req.flags&REQ_F_SKIP_LINK_CQES != 0
	for l := link; l != nil; l = l.link {
		if ignoreCQEs {
			l.flags |= REQ_F_CQE_SKIP
		} else {
			l.flags &^= REQ_F_CQE_SKIP
		}
		if w := ctx.world(); w.Tracing() {
			w.Emit(t, "io_uring_fail_link", sim.U("ctx", ctx.ID), sim.U("req", req.ID), sim.U("link", l.ID))
		}
	}
	link.twFunc = reqTWFailLinks
	reqTaskWorkAdd(t, link, 0)
	req.link = nil
}

// reqTWFailLinks completes a detached chain.
// Linux: io_uring/timeout.c:io_req_tw_fail_links()
func reqTWFailLinks(t *sim.Thread, link *Req) {
	for link != nil {
		nxt := link.link
		res := int32(-ECANCELED)
		if link.flags&REQ_F_FAIL != 0 {
			res = link.cqe.res
		}
		link.link = nil
		link.cqe.res, link.cqe.flags = res, 0
		link.ctx.reqCompleteDefer(link)
		link = nxt
	}
}
