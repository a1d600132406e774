package kernel

import "github.com/uringsim/uringsim/sim"

// deferEntry is a drained request waiting for everything before it
// (struct io_defer_entry).
type deferEntry struct {
	req *Req
	seq uint32
}

// getSequence is the SQ position of req's link head: the number of SQEs
// that must complete before a drained request may run.
// Linux: io_uring/io_uring.c:io_get_sequence()
func (ctx *Ctx) getSequence(req *Req) uint32 {
	seq := ctx.cachedSQHead
	for cur := req; cur != nil; cur = cur.link {
		seq--
	}
	return seq
}

// reqNeedDefer reports whether a drain request still has earlier requests
// in flight: CQEs posted (less the extra ones) have not caught up with its
// sequence.
// Linux: io_uring/io_uring.c:req_need_defer()
func (ctx *Ctx) reqNeedDefer(req *Req, seq uint32) bool {
	if req.flags&REQ_F_IO_DRAIN != 0 {
		return seq+uint32(ctx.cqExtra) != ctx.cachedCQTail
	}
	return false
}

// drainReq queues a drained request now, or parks it on the defer list.
// Linux: io_uring/io_uring.c:io_drain_req()
func (ctx *Ctx) drainReq(t *sim.Thread, req *Req) {
	seq := ctx.getSequence(req)
	ctx.completionLock.Lock(t)
	if !ctx.reqNeedDefer(req, seq) && len(ctx.deferList) == 0 {
		ctx.completionLock.Unlock(t)
		ctx.drainActive = false
		reqTaskQueue(t, req)
		return
	}
	if w := ctx.world(); w.Tracing() {
		w.Emit(t, "io_uring_defer", sim.U("ctx", ctx.ID), sim.U("req", req.ID), sim.X("user_data", req.cqe.userData))
	}
	ctx.deferList = append(ctx.deferList, deferEntry{req: req, seq: seq})
	ctx.completionLock.Unlock(t)
}

// queueDeferred releases drained requests whose predecessors are done.
// Called with completionLock held.
// Linux: io_uring/io_uring.c:io_queue_deferred()
func (ctx *Ctx) queueDeferred(t *sim.Thread) {
	n := 0
	for n < len(ctx.deferList) {
		de := ctx.deferList[n]
		if ctx.reqNeedDefer(de.req, de.seq) {
			break
		}
		reqTaskQueue(t, de.req)
		n++
	}
	rest := copy(ctx.deferList, ctx.deferList[n:])
	clear(ctx.deferList[rest:])
	ctx.deferList = ctx.deferList[:rest]
}
