package kernel

import "github.com/uringsim/uringsim/sim"

// Draining (IOSQE_IO_DRAIN) in Linux 6.16 and later counts requests, not
// CQEs: a drained request may run only once every live request is on the
// defer list, i.e. everything submitted before it has been freed.

// linkedNr is the number of requests in req's link.
// Linux: io_uring/io_uring.c:io_linked_nr()
func linkedNr(req *Req) uint32 {
	n := uint32(0)
	for cur := req; cur != nil; cur = cur.link {
		n++
	}
	return n
}

// drainReq parks a request (and its link) on the defer list and releases
// what may run now; the first non-drain request to find the list empty
// ends the drain.
// Linux: io_uring/io_uring.c:io_drain_req()
func (ctx *Ctx) drainReq(t *sim.Thread, req *Req) {
	drain := req.flags&REQ_F_IO_DRAIN != 0
	if w := ctx.world(); w.Tracing() {
		w.Emit(t, "io_uring_defer", sim.U("ctx", ctx.ID), sim.U("req", req.ID), sim.X("user_data", req.cqe.userData))
	}
	ctx.nrDrained += linkedNr(req)
	ctx.deferList = append(ctx.deferList, req)
	ctx.queueDeferred(t)
	if !drain && len(ctx.deferList) == 0 {
		ctx.initSlow &^= ctxDrainActive
	}
}

// queueDeferred releases deferred requests in order: the first one, and
// everything from a drain request on, only when no request outside the
// defer list is alive. Called with uringLock held.
// Linux: io_uring/io_uring.c:io_queue_deferred()
func (ctx *Ctx) queueDeferred(t *sim.Thread) {
	drainSeen, first := false, true
	n := 0
	for n < len(ctx.deferList) {
		req := ctx.deferList[n]
		drainSeen = drainSeen || req.flags&REQ_F_IO_DRAIN != 0
		if ctx.k.Bugs.SpuriousDrainFlush {
			// Before fde04c7e2775: only a drain request itself waits
			// (req_need_defer), so a flush releases the non-drain
			// request queued behind a drain that is still in flight.
			drainSeen, first = req.flags&REQ_F_IO_DRAIN != 0, false
		}
		if (drainSeen || first) && ctx.nrReqAllocated != ctx.nrDrained {
			break
		}
		ctx.nrDrained -= linkedNr(req)
		reqTaskQueue(t, req)
		first = false
		n++
	}
	rest := copy(ctx.deferList, ctx.deferList[n:])
	clear(ctx.deferList[rest:])
	ctx.deferList = ctx.deferList[:rest]
}
