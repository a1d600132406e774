package kernel

import (
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// sqringEntries is how many SQEs user space has published and the kernel
// has not consumed, clamped to the ring size: user space may write any
// tail it likes.
// Linux: io_uring/io_uring.h:io_sqring_entries()
func (ctx *Ctx) sqringEntries() uint32 {
	return min(rings.LoadAcquire(&ctx.rings.SQ.Tail)-ctx.cachedSQHead, ctx.sqEntries)
}

// sqDropped counts an SQ array entry out of range in sq_dropped.
func (ctx *Ctx) sqDropped() {
	rings.WriteOnce(&ctx.rings.SQDropped, rings.ReadOnce(&ctx.rings.SQDropped)+1)
}

// submitSQEs consumes up to nr SQEs and submits them, stopping at the first
// that fails to initialise unless IORING_SETUP_SUBMIT_ALL. It returns how
// many SQEs were consumed. Called with uringLock held.
// Linux: io_uring/io_uring.c:io_submit_sqes()
func (ctx *Ctx) submitSQEs(task *Task, nr uint32) int {
	t := task.Thread
	entries := ctx.sqringEntries()
	if entries == 0 {
		return 0
	}
	left := min(nr, entries)
	ret := int(left)
	st := &ctx.submitState
	st.linkHead = nil
	w := ctx.world()
	tracing := w.Tracing()
	if tracing {
		w.Emit(t, "io_submit_sqes", sim.U("ctx", ctx.ID), sim.U("nr", uint64(left)))
	}
	for left > 0 {
		req := ctx.allocReq()
		// io_get_sqe(), inline as in the kernel: through the SQ array
		// unless NO_SQARRAY; an array entry out of range is dropped and
		// counted in sq_dropped.
		head := ctx.cachedSQHead & (ctx.sqEntries - 1)
		ctx.cachedSQHead++
		if ctx.sqArray != nil {
			head = rings.ReadOnce(ctx.sqArrayEntry(head))
			if head >= ctx.sqEntries {
				ctx.sqDropped()
				ctx.reqAddToCache(t, req)
				break
			}
		}
		sqe := ctx.sqe(head)
		// io_submit_sqe() (static inline in the kernel), its common case
		// written out: an initialised request outside any link, not
		// forced async, not traced, is issued at once; the rest is
		// submitInitialised's.
		if def, e := ctx.initReq(task, req, sqe); e != 0 {
			if ctx.submitFailInit(t, req, e) != 0 && ctx.flags&rings.IORING_SETUP_SUBMIT_ALL == 0 {
				left--
				break
			}
		} else if tracing || st.linkHead != nil || req.flags&(IO_REQ_LINK_FLAGS|REQ_F_FORCE_ASYNC|REQ_F_FAIL) != 0 {
			ctx.submitInitialised(t, req)
		} else if def.NeedsFile {
			if e := ctx.issueSQE(t, req, IO_URING_F_NONBLOCK|IO_URING_F_COMPLETE_DEFER); e != 0 {
				ctx.queueAsync(t, req, e) // io_queue_sqe(), written out
			}
		} else if ret := def.Issue(t, req, IO_URING_F_NONBLOCK|IO_URING_F_COMPLETE_DEFER); ret == IOU_COMPLETE {
			// io_issue_sqe() for an op without a file, written out:
			// one call less per request for the common completion.
			ctx.reqCompleteDefer(req)
		} else if e := ctx.issueDone(t, req, def, IO_URING_F_NONBLOCK|IO_URING_F_COMPLETE_DEFER, false, ret); e != 0 {
			// armLT is false: REQ_F_ARM_LTIMEOUT is set only on a
			// link's member, and links take submitInitialised. Not read
			// here: Go may evaluate a plain operand after a call in the
			// same assignment, and after the issue a timer on another
			// thread may be writing req.flags (timeout_abs_past under -race).
			ctx.queueAsync(t, req, e)
		}
		left--
	}
	ret -= int(left)
	ctx.submitStateEnd(t)
	// Commit the SQ head once every consumed SQE has been read.
	rings.StoreRelease(&ctx.rings.SQ.Head, ctx.cachedSQHead)
	return ret
}

// submitStateEnd queues an unterminated link and flushes the batch's
// completions.
// Linux: io_uring/io_uring.c:io_submit_state_end()
func (ctx *Ctx) submitStateEnd(t *sim.Thread) {
	st := &ctx.submitState
	if st.linkHead != nil {
		head := st.linkHead
		st.linkHead = nil
		ctx.queueSQEFallback(t, head)
	}
	ctx.submitFlushCompletions(t)
}

// initReq fills req from sqe and validates everything the kernel validates
// before the op's own prep; it returns the op's io_issue_def too.
// Linux: io_uring/io_uring.c:io_init_req()
func (ctx *Ctx) initReq(task *Task, req *Req, sqe *rings.SQE) (*IssueDef, int) {
	opcode := sqe.Opcode
	sqeFlags := sqe.Flags
	ctx.reqSeq++
	req.ID = ctx.reqSeq
	req.opcode = opcode
	req.flags = uint64(sqeFlags)
	req.cqe.userData = sqe.UserData
	req.cqe.res, req.cqe.flags = 0, 0
	if ctx.flags&(rings.IORING_SETUP_CQE32|rings.IORING_SETUP_CQE_MIXED) != 0 {
		req.bigCQE = [2]uint64{} // a line of its own: only these rings read it
	}
	req.file = nil
	req.link = nil
	req.task = task
	req.tctx = task.ioUring
	req.tctx.inflight++
	req.cmd = [cmdSize / 8]uint64{}
	req.cancelSeqSet = false

	if opcode >= rings.IORING_OP_LAST {
		req.opcode = 0
		return nil, -EINVAL
	}
	def := &ctx.issueDefs[opcode]
	if uint32(sqeFlags)&^SQE_COMMON_FLAGS != 0 {
		// Enforce forwards compatibility on users.
		if uint32(sqeFlags)&^SQE_VALID_FLAGS != 0 {
			return nil, -EINVAL
		}
		if sqeFlags&rings.IOSQE_BUFFER_SELECT != 0 {
			if !def.BufferSelect {
				return nil, -EOPNOTSUPP
			}
			req.bufIndex = sqe.BufIndex
		}
		if sqeFlags&rings.IOSQE_CQE_SKIP_SUCCESS != 0 {
			ctx.drainDisable = true
		}
		if sqeFlags&rings.IOSQE_IO_DRAIN != 0 {
			if ctx.drainDisable {
				return nil, -EOPNOTSUPP
			}
			ctx.initReqDrain(req)
		}
	}
	if ctx.initSlow != 0 {
		if ctx.restricted() && !ctx.checkRestriction(opcode, sqeFlags) {
			return nil, -EACCES
		}
		// Knock it to the slow queue path, it will be drained there.
		if ctx.drainActive() {
			req.flags |= REQ_F_FORCE_ASYNC
		}
		// With no link open this is the "next" request that must drain.
		if ctx.initSlow&ctxDrainNext != 0 && ctx.submitState.linkHead == nil {
			ctx.initSlow = ctx.initSlow&^ctxDrainNext | ctxDrainActive
			req.flags |= REQ_F_IO_DRAIN | REQ_F_FORCE_ASYNC
		}
		// Below the ioprio test in the kernel; both are -EINVAL and
		// neither changes anything, so the order does not show.
		if !def.Iopoll && ctx.initSlow&ctxIopoll != 0 {
			return nil, -EINVAL
		}
	}
	if sqe.Ioprio != 0 && !def.Ioprio {
		return nil, -EINVAL
	}
	if def.NeedsFile {
		req.cqe.fd = sqe.Fd
	}
	if sqe.Personality != 0 && !ctx.hasPersonality(sqe.Personality) {
		return nil, -EINVAL
	}
	if def.Prep == nil {
		return nil, -EOPNOTSUPP // io_eopnotsupp_prep
	}
	return def, def.Prep(req, sqe)
}

// initReqDrain marks the ring as draining; a drain in the middle of a link
// drains the whole link and the request after it.
// Linux: io_uring/io_uring.c:io_init_req_drain()
func (ctx *Ctx) initReqDrain(req *Req) {
	ctx.initSlow |= ctxDrainActive
	if head := ctx.submitState.linkHead; head != nil {
		head.flags |= REQ_F_IO_DRAIN | REQ_F_FORCE_ASYNC
		ctx.initSlow |= ctxDrainNext
	}
}

// submitFailInit handles an SQE that failed to initialise: it completes
// with the error, and a link it belongs to is failed as a whole once the
// link is complete, so SQPOLL never sees a half-submitted link.
// Linux: io_uring/io_uring.c:io_submit_fail_init()
func (ctx *Ctx) submitFailInit(t *sim.Thread, req *Req, ret int) int {
	st := &ctx.submitState
	head := st.linkHead
	if w := ctx.world(); w.Tracing() {
		w.Emit(t, "io_uring_req_failed", sim.U("ctx", ctx.ID), sim.U("req", req.ID),
			sim.X("user_data", req.cqe.userData), sim.S("opcode", rings.OpName(req.opcode)),
			sim.I("error", int64(ret)))
	}
	reqFailLinkNode(req, ret)
	if head != nil && head.flags&REQ_F_FAIL == 0 {
		reqFailLinkNode(head, -ECANCELED)
	}
	if req.flags&IO_REQ_LINK_FLAGS == 0 {
		if head != nil {
			st.linkLast.link = req
			st.linkHead = nil
			req = head
		}
		ctx.queueSQEFallback(t, req)
		return ret
	}
	if head != nil {
		st.linkLast.link = req
	} else {
		st.linkHead = req
	}
	st.linkLast = req
	return 0
}

// submitInitialised is io_submit_sqe() past io_init_req(), for what
// submitSQEs does not issue at once: a traced request, or one that joins
// or ends a link or is forced async. It is queued or added to the link
// being assembled.
// Linux: io_uring/io_uring.c:io_submit_sqe()
func (ctx *Ctx) submitInitialised(t *sim.Thread, req *Req) {
	if w := ctx.world(); w.Tracing() {
		w.Emit(t, "io_uring_submit_req", sim.U("ctx", ctx.ID), sim.U("req", req.ID),
			sim.X("user_data", req.cqe.userData), sim.S("opcode", rings.OpName(req.opcode)),
			sim.X("flags", req.flags))
	}
	st := &ctx.submitState
	if st.linkHead != nil {
		if w := ctx.world(); w.Tracing() {
			w.Emit(t, "io_uring_link", sim.U("ctx", ctx.ID), sim.U("req", req.ID), sim.U("target_req", st.linkLast.ID))
		}
		st.linkLast.link = req
		st.linkLast = req
		if req.flags&IO_REQ_LINK_FLAGS != 0 {
			return
		}
		// Last request of the link: flush it.
		req = st.linkHead
		st.linkHead = nil
		if req.flags&(REQ_F_FORCE_ASYNC|REQ_F_FAIL) != 0 {
			ctx.queueSQEFallback(t, req)
			return
		}
	} else if req.flags&(IO_REQ_LINK_FLAGS|REQ_F_FORCE_ASYNC|REQ_F_FAIL) != 0 {
		if req.flags&IO_REQ_LINK_FLAGS != 0 {
			st.linkHead = req
			st.linkLast = req
		} else {
			ctx.queueSQEFallback(t, req)
		}
		return
	}
	ctx.queueSQE(t, req)
}

// queueSQE issues a request inline, nonblocking; anything but a completion
// goes to queueAsync.
// Linux: io_uring/io_uring.c:io_queue_sqe()
func (ctx *Ctx) queueSQE(t *sim.Thread, req *Req) {
	ret := ctx.issueSQE(t, req, IO_URING_F_NONBLOCK|IO_URING_F_COMPLETE_DEFER)
	if ret != 0 {
		ctx.queueAsync(t, req, ret)
	}
}

// queueAsync handles an inline issue that did not complete: -EAGAIN on a
// pollable file arms a poll and retries from task_work when it is ready;
// on anything else it goes to io-wq; any other error fails the request.
// Linux: io_uring/io_uring.c:io_queue_async()
func (ctx *Ctx) queueAsync(t *sim.Thread, req *Req, ret int) {
	if ret != -EAGAIN || req.flags&REQ_F_NOWAIT != 0 {
		ctx.reqDeferFailed(t, req, int32(ret))
		return
	}
	linkedTimeout := ctx.prepLinkedTimeout(req)
	switch ctx.armPollHandler(t, req, 0) {
	case ioApollReady:
		reqTaskQueue(t, req)
	case ioApollAborted:
		ctx.queueIOWQ(t, req)
	}
	if linkedTimeout != nil {
		ctx.queueLinkedTimeout(t, linkedTimeout)
	}
}

// queueSQEFallback is the slow path: failed links, drained requests and
// IOSQE_ASYNC.
// Linux: io_uring/io_uring.c:io_queue_sqe_fallback()
func (ctx *Ctx) queueSQEFallback(t *sim.Thread, req *Req) {
	if req.flags&REQ_F_FAIL != 0 {
		// Fail them all; hardlinks become normal links for that.
		req.flags &^= REQ_F_HARDLINK
		req.flags |= REQ_F_LINK
		ctx.reqDeferFailed(t, req, req.cqe.res)
		return
	}
	if ctx.drainActive() {
		ctx.drainReq(t, req)
		return
	}
	ctx.queueIOWQ(t, req)
}

// issueSQE resolves the file if the op needs one and calls the op's issue
// handler; a completed request is queued for the batch flush (or posted
// directly from io-wq).
// Linux: io_uring/io_uring.c:io_issue_sqe()
func (ctx *Ctx) issueSQE(t *sim.Thread, req *Req, issueFlags uint32) int {
	def := &ctx.issueDefs[req.opcode]
	if def.NeedsFile && req.file == nil {
		if !ctx.assignFile(t, req, issueFlags) {
			return -EBADF
		}
	}
	// Only the submitter sets and clears REQ_F_ARM_LTIMEOUT, so it is
	// read before the issue: afterwards a timer or wakeup on another
	// thread may already be writing req.flags (a TIMEOUT whose hrtimer
	// fires at once sets REQ_F_FAIL), harmless in C, a data race in Go.
	armLT := req.flags&REQ_F_ARM_LTIMEOUT != 0
	return ctx.issueDone(t, req, def, issueFlags, armLT, def.Issue(t, req, issueFlags))
}

// issueDone is io_issue_sqe() past the op's issue handler, which returned
// ret: a completion is queued for the batch flush (or posted directly from
// io-wq); a request that stays armed gets its linked timeout (armLT: it
// had REQ_F_ARM_LTIMEOUT before the issue) and joins the iopoll list.
// Linux: io_uring/io_uring.c:io_issue_sqe()
func (ctx *Ctx) issueDone(t *sim.Thread, req *Req, def *IssueDef, issueFlags uint32, armLT bool, ret int) int {
	switch ret {
	case IOU_COMPLETE:
		if issueFlags&IO_URING_F_COMPLETE_DEFER != 0 {
			ctx.reqCompleteDefer(req)
		} else {
			ctx.reqCompletePost(t, req)
		}
		return 0
	case IOU_ISSUE_SKIP_COMPLETE:
		// On io-wq the linked timeout was armed before the issue
		// (io_wq_submit_work), so REQ_F_ARM_LTIMEOUT is clear; the
		// kernel's test of it here reads req->flags while a completion
		// may already be writing them from task work, which is harmless
		// in C and a data race in Go, so io-wq skips it.
		if armLT && issueFlags&IO_URING_F_IOWQ == 0 {
			ctx.armLtimeout(t, req)
		}
		// A polled request waits on the iopoll list for io_do_iopoll.
		if ctx.flags&rings.IORING_SETUP_IOPOLL != 0 && def.IopollQueue {
			ctx.iopollReqIssued(t, req, issueFlags)
		}
		return 0
	}
	return ret
}

// assignFile resolves the request's fd through the fixed file table
// (IOSQE_FIXED_FILE) or the task's descriptor table (fget: an O_PATH file
// is not found, so the request fails -EBADF).
// Linux: io_uring/io_uring.c:io_assign_file(), io_file_get_fixed(), io_file_get_normal()
func (ctx *Ctx) assignFile(t *sim.Thread, req *Req, issueFlags uint32) bool {
	if req.flags&REQ_F_FIXED_FILE != 0 {
		req.file = ctx.fileGetFixed(t, req, int(req.cqe.fd), issueFlags)
		return req.file != nil
	}
	req.file = fileGetNormal(t, req, int(req.cqe.fd))
	return req.file != nil
}

// reqDeferFailed completes req with an error as part of the current batch.
// Linux: io_uring/io_uring.c:io_req_defer_failed()
func (ctx *Ctx) reqDeferFailed(t *sim.Thread, req *Req, res int32) {
	reqSetFail(req)
	req.cqe.res, req.cqe.flags = res, putKbufs(req, int(res), nil, 1)
	if fail := ctx.k.table.Cold[req.opcode].Fail; fail != nil {
		fail(req)
	}
	ctx.reqCompleteDefer(req)
}
