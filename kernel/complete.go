package kernel

import (
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// fillCQEReq writes req's CQE into the ring, or returns false if there is
// no room (the caller then overflows it).
// Linux: io_uring/io_uring.h:io_fill_cqe_req()
func (ctx *Ctx) fillCQEReq(t *sim.Thread, req *Req) bool {
	if ctx.cqeShift == 0 && !ctx.world().Tracing() && ctx.fillCQECached(req) {
		return true
	}
	return ctx.fillCQEReqSlow(t, req)
}

// fillCQEReqSlow is fillCQEReq past its cached-slot case: a 32-byte CQE,
// a traced write, or no cached free slot.
func (ctx *Ctx) fillCQEReqSlow(t *sim.Thread, req *Req) bool {
	cqe32 := req.cqe.flags&rings.IORING_CQE_F_32 != 0
	i, ok := ctx.getCQE(false, cqe32)
	if !ok {
		return false
	}
	ctx.writeCQE(t, i, req.cqe.userData, req.cqe.res, req.cqe.flags, &req.bigCQE, req)
	return true
}

// fillCQECached is fillCQEReq's common case, written out (getCQE and
// writeCQE do not inline): a 16-byte CQE into a cached free slot of a ring
// of 16-byte CQEs (cqeShift 0), when nothing traces the write. It reports
// false, having done nothing, for anything else.
// Linux: io_uring/io_uring.h:io_get_cqe(), io_fill_cqe_req()
func (ctx *Ctx) fillCQECached(req *Req) bool {
	if req.cqe.flags&rings.IORING_CQE_F_32 != 0 || ctx.cqeCached == ctx.cqeSentinel {
		return false
	}
	i := ctx.cqeCached
	ctx.cachedCQTail++
	ctx.cqeCached++
	c := ctx.cqSlot(i)
	c.UserData, c.Res, c.Flags = req.cqe.userData, req.cqe.res, req.cqe.flags
	return true
}

// reqCQEOverflow puts req's CQE on the overflow list.
// Linux: io_uring/io_uring.c:io_req_cqe_overflow()
func (ctx *Ctx) reqCQEOverflow(t *sim.Thread, req *Req) {
	ctx.cqeOverflow(t, req.cqe.userData, req.cqe.res, req.cqe.flags, req.bigCQE)
	req.bigCQE = [2]uint64{}
}

// cqeOverflow appends a CQE that did not fit to the overflow list and sets
// IORING_SQ_CQ_OVERFLOW when the list becomes non-empty. Called with
// completionLock held. The simulator's allocation never fails, so CQEs are
// never dropped (IORING_FEAT_NODROP).
// Linux: io_uring/io_uring.c:io_cqring_event_overflow()
func (ctx *Ctx) cqeOverflow(t *sim.Thread, userData uint64, res int32, cflags uint32, big [2]uint64) {
	if w := ctx.world(); w.Tracing() {
		w.Emit(t, "io_uring_cqe_overflow", sim.U("ctx", ctx.ID), sim.X("user_data", userData),
			sim.I("res", int64(res)), sim.S("cflags", rings.FlagNames(rings.FamilyCQEFlags, uint64(cflags))))
	}
	if ctx.overflowList.len() == 0 {
		ctx.checkCQ.Or(ioCheckCQOverflow)
		rings.AtomicOr(&ctx.rings.SQFlags, rings.IORING_SQ_CQ_OVERFLOW)
	}
	o := overflowCQE{cqe: rings.CQE{UserData: userData, Res: res, Flags: cflags}}
	if ctx.cqeShift == 1 || cflags&rings.IORING_CQE_F_32 != 0 {
		o.big = big
	}
	ctx.overflowList.push(o)
}

// cqLock takes completionLock unless the ring completes locklessly.
// Linux: io_uring/io_uring.c:__io_cq_lock()
func (ctx *Ctx) cqLockMaybe(t *sim.Thread) {
	if !ctx.locklessCQ {
		ctx.completionLock.Lock(t)
	}
}

// cqUnlockPostMaybe commits the CQ tail, wakes waiters and runs the commit
// hooks, pairing with cqLockMaybe.
// Linux: io_uring/io_uring.c:__io_cq_unlock_post()
func (ctx *Ctx) cqUnlockPostMaybe(t *sim.Thread) {
	if ctx.k.Bugs.CQWakeNoFence && !ctx.taskComplete {
		ctx.cqUnlockPostNoFence(t, !ctx.locklessCQ)
		return
	}
	ctx.commitCQRing()
	if !ctx.taskComplete {
		if !ctx.locklessCQ {
			ctx.completionLock.Unlock(t)
		}
		ctx.cqringWake(t)
	}
	ctx.commitCQRingFlush(t)
}

// cqUnlockPost commits, unlocks completionLock and wakes.
// Linux: io_uring/io_uring.c:io_cq_unlock_post()
func (ctx *Ctx) cqUnlockPost(t *sim.Thread) {
	if ctx.k.Bugs.CQWakeNoFence {
		ctx.cqUnlockPostNoFence(t, true)
		return
	}
	ctx.commitCQRing()
	ctx.completionLock.Unlock(t)
	ctx.cqringWake(t)
	ctx.commitCQRingFlush(t)
}

// cqringWake wakes every task waiting in io_cqring_wait, if any sleep
// there, with EPOLL_URING_WAKE|EPOLLIN as the key. On a DEFER_TASKRUN ring
// only the submitter waits, and it is woken by task_work instead.
// Linux: io_uring/io_uring.h:io_cqring_wake(), __io_wq_wake()
func (ctx *Ctx) cqringWake(t *sim.Thread) {
	if ctx.cqWait.HasSleeper(t) {
		ctx.cqWait.WakeUpAll(t, rings.EPOLL_URING_WAKE|rings.EPOLLIN)
	}
}

// cqUnlockPostNoFence is the CQ commit and wakeup of the 6.1.y stable
// kernels whose backport of 3ab9326f93ec ("io_uring: wake up
// optimisations") lost the smp_mb() before the lockless waitqueue_active
// check (museum M10, CQWakeNoFence; fixed by "io_uring: fix waiters
// missing wake ups", 3181e22fb799 upstream): the check's load is
// satisfied before the CQ tail store is visible. A waiter that queued
// itself on cq_wait in between and then read the old tail sleeps, and
// the completer, having seen no sleeper, wakes no one.
// Linux 6.1.y: io_uring/io_uring.c:__io_cq_unlock_post_flush()
func (ctx *Ctx) cqUnlockPostNoFence(t *sim.Thread, locked bool) {
	sleeper := ctx.cqWait.HasSleeper(t) // the load, ahead of the store
	t.Yield()                           // the tail store still in the store buffer
	ctx.commitCQRing()
	if locked {
		ctx.completionLock.Unlock(t)
	}
	ctx.commitCQRingFlush(t)
	if sleeper {
		ctx.cqWait.WakeUpAll(t, rings.EPOLL_URING_WAKE|rings.EPOLLIN)
	}
}

// commitCQRingFlush runs what must follow a CQ commit: polls of the ring
// file are woken (io_poll_wq_wake, written out: the key tells io_uring's
// own poll handler that the wakeup comes from a ring), count timeouts
// flushed, the registered eventfd signalled.
// Linux: io_uring/io_uring.c:__io_commit_cqring_flush(); io_uring/io_uring.h:io_poll_wq_wake()
func (ctx *Ctx) commitCQRingFlush(t *sim.Thread) {
	if ctx.pollActivated && ctx.pollWQ.Active() {
		ctx.pollWQ.WakeUpAll(t, rings.EPOLL_URING_WAKE|rings.EPOLLIN)
	}
	if ctx.offTimeoutUsed {
		ctx.flushTimeouts(t)
	}
	if ctx.evfd != nil {
		ctx.eventfdSignal(t, true)
	}
}

// reqCompleteDefer queues req for the batched completion flush.
// Linux: io_uring/io_uring.h:io_req_complete_defer()
// io_uring/slist.h:wq_list_add_tail()
//
// req.compNext is already nil, as wq_list_add_tail() would set it: a
// request is on no list once allocReq hands it out, and freeBatchList
// unlinks one it does not free.
func (ctx *Ctx) reqCompleteDefer(req *Req) {
	st := &ctx.submitState
	if invariants {
		ctx.k.warnOn(req.compNext != nil || req == st.complLast, "completing a request already on a list")
	}
	if st.complLast == nil {
		st.complFirst = req
	} else {
		st.complLast.compNext = req
	}
	st.complLast = req
}

// submitFlushCompletions posts the CQEs of every request completed in the
// current batch under one CQ lock, then frees the requests (queueing linked
// successors). Called with uringLock held.
// Linux: io_uring/io_uring.c:__io_submit_flush_completions()
func (ctx *Ctx) submitFlushCompletions(t *sim.Thread) {
	st := &ctx.submitState
	if st.complFirst == nil && !st.cqFlush {
		return
	}
	w := ctx.world()
	if w.Tracing() {
		nr := 0
		for req := st.complFirst; req != nil; req = req.compNext {
			nr++
		}
		w.Emit(t, "__io_submit_flush_completions", sim.U("ctx", ctx.ID), sim.I("nr", int64(nr)))
	}
	// fillCQEReq's tests that hold for the whole batch, made once.
	cached := ctx.cqeShift == 0 && !w.Tracing()
	ctx.cqLockMaybe(t)
	for req := st.complFirst; req != nil; req = req.compNext {
		if req.flags&(REQ_F_CQE_SKIP|REQ_F_REISSUE) != 0 || cached && ctx.fillCQECached(req) {
			continue
		}
		if !ctx.fillCQEReqSlow(t, req) {
			if ctx.locklessCQ {
				ctx.completionLock.Lock(t)
				ctx.reqCQEOverflow(t, req)
				ctx.completionLock.Unlock(t)
			} else {
				ctx.reqCQEOverflow(t, req)
			}
		}
	}
	ctx.cqUnlockPostMaybe(t)
	if first := st.complFirst; first != nil {
		st.complFirst, st.complLast = nil, nil
		ctx.freeBatchList(t, first)
	}
	if ctx.drainActive() {
		ctx.queueDeferred(t)
	}
	st.cqFlush = false
}

// freeBatchList releases completed requests back to the cache; linked
// successors are queued to run. What a request holds is dropped here, in
// the loop, without a call for the common case (a request holding no
// file, node or buffer).
// Linux: io_uring/io_uring.c:io_free_batch_list()
func (ctx *Ctx) freeBatchList(t *sim.Thread, first *Req) {
	for next := first; next != nil; {
		req := next
		next = req.compNext // before the free list reuses the link
		if req.flags&IO_REQ_CLEAN_SLOW_FLAGS != 0 {
			if req.flags&REQ_F_REFCOUNT != 0 {
				// Unlinked before the put: whoever drops the last
				// reference may complete it again at once.
				req.compNext = nil
				if !reqRefPutAndTest(req) {
					continue // io-wq still holds it
				}
			}
			if req.flags&IO_REQ_LINK_FLAGS != 0 {
				ctx.queueNext(t, req)
			}
			if req.flags&REQ_F_INFLIGHT != 0 { // io_clean_op()
				req.flags &^= REQ_F_INFLIGHT
				req.tctx.inflightTracked.Add(-1)
			}
		}
		// io_put_file(), io_req_put_rsrc_nodes(), io_put_task()
		if req.file != nil {
			if req.flags&REQ_F_FIXED_FILE == 0 {
				if task := req.task; task != nil && task.Thread == t {
					task.fput(req.file)
				} else {
					req.file.Put(t) // not the request's task (a kworker): at once
				}
			}
			req.file = nil
		}
		ctx.reqPutRsrcNodes(t, req)
		if tctx := req.tctx; tctx != nil {
			tctx.inflight--
			if tctx.inCancel.Load() && tctx.task.Thread != t {
				tctx.wait.WakeUpAll(t, 0) // the exiting task waits for it
			}
			req.tctx = nil
		}
		if req.flags&(REQ_F_BUFFER_SELECTED|REQ_F_NEED_CLEANUP) != 0 {
			ctx.reqCleanOp(t, req)
		}
		req.task = nil
		req.asyncData = nil
		req.link = nil
		req.twFunc = nil
		// The cancel-table check reads a line the free pass does not
		// otherwise touch: only invariant builds pay for it.
		if (invariants && req.hashed()) || ctx.released {
			ctx.reqAddToCache(t, req) // warns, or lets the exit worker free the ring after its last request
		} else { // io_req_add_to_cache(), inline
			ctx.nrReqAllocated--
			req.compNext, ctx.submitState.freeList = ctx.submitState.freeList, req
		}
	}
}

// reqCleanOp drops a selected legacy buffer and runs the op's cleanup.
// Linux: io_uring/io_uring.c:io_clean_op()
func (ctx *Ctx) reqCleanOp(t *sim.Thread, req *Req) {
	if req.flags&REQ_F_BUFFER_SELECTED != 0 {
		kbufDropLegacy(req)
	}
	if req.flags&REQ_F_NEED_CLEANUP != 0 {
		if c := ctx.k.table.Cold[req.opcode].Cleanup; c != nil {
			c(t, req)
		}
		req.flags &^= REQ_F_NEED_CLEANUP
	}
}

// reqCompletePost posts req's CQE directly, for completions outside the
// submission batch (io-wq). With DEFER_TASKRUN or IOPOLL the completion is
// handed to task_work instead.
// Linux: io_uring/io_uring.c:io_req_complete_post()
func (ctx *Ctx) reqCompletePost(t *sim.Thread, req *Req) {
	if ctx.taskComplete || ctx.flags&rings.IORING_SETUP_IOPOLL != 0 {
		req.twFunc = reqTaskComplete
		reqTaskWorkAdd(t, req, 0)
		return
	}
	ctx.completionLock.Lock(t)
	if req.flags&REQ_F_CQE_SKIP == 0 && !ctx.fillCQEReq(t, req) {
		ctx.reqCQEOverflow(t, req)
	}
	ctx.cqUnlockPost(t)
	// Called from io-wq only, which holds a reference: never the last.
	reqRefPutAndTest(req)
}
