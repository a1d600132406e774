package kernel

import (
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// Poll ownership: req.pollRefs counts wakeups not yet handled; whoever
// moves it from 0 owns the request and must queue task_work for it. The
// top bits mark cancellation and a retry.
// Linux: io_uring/poll.c:IO_POLL_CANCEL_FLAG, IO_POLL_RETRY_FLAG, IO_POLL_REF_MASK
const (
	ioPollCancelFlag = int32(-1 << 31)
	ioPollRetryFlag  = int32(1) << 30
	ioPollRefMask    = int32(1)<<30 - 1
	ioPollRefBias    = 128
)

// Results of pollCheckEvents.
// Linux: io_uring/poll.c:IOU_POLL_DONE …
const (
	iouPollDone = iota
	iouPollNoAction
	iouPollRemovePollUseRes
	iouPollReissue
	iouPollRequeue
)

// Results of armPollHandler.
// Linux: io_uring/poll.h:enum IO_APOLL_OK, IO_APOLL_ABORTED, IO_APOLL_READY
const (
	ioApollOK = iota
	ioApollAborted
	ioApollReady
)

// ioAsyncPollCommon are the poll events that are always reported.
// Linux: io_uring/poll.c:IO_ASYNC_POLL_COMMON
const ioAsyncPollCommon = rings.EPOLLONESHOT | rings.EPOLLPRI

// ioPoll is one wait-queue registration of a request (struct io_poll).
type ioPoll struct {
	events uint32
	double bool // the second entry (wqe_is_double)
	wait   sim.WaitQueueEntry
	head   *sim.WaitQueueHead
}

// asyncPoll holds a request's poll entries: the first and, for files that
// wait on two queues, a second (struct async_poll). It is cached with the
// request, so arming allocates nothing once a request has been polled.
type asyncPoll struct {
	poll       ioPoll
	doublePoll *ioPoll
}

// pollTable is io_poll_table: what a request's vfs_poll call registers.
// Differs from Linux: it lives in the arming thread's Frame, not on its
// stack (passed to the file's Poll through an interface, a local table
// would be a heap allocation per armed poll), and not in the request, so
// tens of thousands of armed polls do not carry a cache line each that
// only their arming used.
type pollTable struct {
	pt        vfs.PollTable
	req       *Req
	nrEntries int
	err       int
	owning    bool
}

// pollGetOwnership takes ownership of a polled request if no one holds it.
// Linux: io_uring/poll.c:io_poll_get_ownership()
func pollGetOwnership(req *Req) bool {
	if req.pollRefs.Load() >= ioPollRefBias {
		return pollGetOwnershipSlowpath(req)
	}
	return (req.pollRefs.Add(1)-1)&ioPollRefMask == 0
}

// pollGetOwnershipSlowpath avoids overflowing the refs under a storm of
// wakeups: past the bias a retry flag is set instead.
// Linux: io_uring/poll.c:io_poll_get_ownership_slowpath()
func pollGetOwnershipSlowpath(req *Req) bool {
	for {
		v := req.pollRefs.Load()
		if req.pollRefs.CompareAndSwap(v, v|ioPollRetryFlag) {
			break
		}
	}
	v := req.pollRefs.Load()
	if v&ioPollRefMask != 0 {
		return false
	}
	return (req.pollRefs.Add(1)-1)&ioPollRefMask == 0
}

// pollMarkCancelled tells the owner to stop.
// Linux: io_uring/poll.c:io_poll_mark_cancelled()
func pollMarkCancelled(req *Req) {
	for {
		v := req.pollRefs.Load()
		if req.pollRefs.CompareAndSwap(v, v|ioPollCancelFlag) {
			return
		}
	}
}

// pollExecute queues the poll task_work with the woken mask.
// Linux: io_uring/poll.c:__io_poll_execute()
func pollExecute(t *sim.Thread, req *Req, mask uint32) {
	req.cqe.res, req.cqe.flags = int32(mask), 0
	req.twFunc = pollTaskFunc
	flags := 0
	if req.flags&REQ_F_POLL_NO_LAZY == 0 {
		flags = IOU_F_TWQ_LAZY_WAKE
	}
	reqTaskWorkAdd(t, req, flags)
}

// pollWake is the wait-queue callback of a polled request: on a matching
// event it takes ownership and queues task_work. A one-shot poll also
// unhooks itself here.
// Linux: io_uring/poll.c:io_poll_wake()
func pollWake(t *sim.Thread, e *sim.WaitQueueEntry, key uint32) int {
	req := e.Private.(*Req)
	poll := req.pollEntry(e)
	mask := key
	if mask != 0 && mask&(poll.events&^ioAsyncPollCommon) == 0 {
		return 0
	}
	if pollGetOwnership(req) {
		// A multishot poll triggered by our own CQ posting would loop.
		// The request's apoll_events too, which its task_work checks
		// (the stable fix of 4464853277d0, in 6.18.y: without it the
		// last CQE kept IORING_CQE_F_MORE; liburing poll-mshot-wake).
		if mask&rings.EPOLL_URING_WAKE != 0 {
			poll.events |= rings.EPOLLONESHOT
			req.apollEvents |= rings.EPOLLONESHOT
		}
		if mask != 0 && poll.events&rings.EPOLLONESHOT != 0 {
			poll.head.RemoveLocked(&poll.wait)
			poll.head = nil
			if poll.double {
				req.flags &^= REQ_F_DOUBLE_POLL
			} else {
				req.flags &^= REQ_F_SINGLE_POLL
			}
		}
		if w := req.ctx.world(); w.Tracing() {
			w.Emit(t, "io_poll_wake", sim.U("ctx", req.ctx.ID), sim.U("req", req.ID), sim.X("mask", uint64(mask)))
		}
		pollExecute(t, req, mask)
	}
	return 1
}

// pollEntry finds which of req's entries e is.
func (req *Req) pollEntry(e *sim.WaitQueueEntry) *ioPoll {
	ap := req.apoll
	if &ap.poll.wait == e { // the common case, without loading doublePoll
		return &ap.poll
	}
	return ap.doublePoll
}

// threadPollTable returns t's io_poll_table (pollTable), made at its
// first armed poll.
func threadPollTable(t *sim.Thread) *pollTable {
	ipt, ok := t.Frame.(*pollTable)
	if !ok {
		ipt = new(pollTable)
		t.Frame = ipt
	}
	return ipt
}

// pollQueueProc registers one of req's entries on a file's wait queue; the
// second call for the same request adds the double entry.
// Linux: io_uring/poll.c:__io_queue_proc(), io_poll_double_prepare()
func pollQueueProc(t *sim.Thread, f *vfs.File, q *sim.WaitQueueHead, pt *vfs.PollTable) {
	ipt := pt.Private.(*pollTable)
	req := ipt.req
	ap := req.apoll
	poll := &ap.poll
	if ipt.nrEntries > 0 {
		// A file that waits on two queues needs a second entry; a third
		// is an error.
		if ap.doublePoll != nil || poll.head == q {
			ipt.err = -EINVAL
			return
		}
		ap.doublePoll = &ioPoll{events: poll.events, double: true}
		poll = ap.doublePoll
		req.flags |= REQ_F_DOUBLE_POLL
	} else {
		req.flags |= REQ_F_SINGLE_POLL
	}
	ipt.nrEntries++
	poll.head = q
	poll.wait.Func = pollWake
	poll.wait.Private = req
	if poll.events&rings.EPOLLEXCLUSIVE != 0 {
		q.AddExclusive(t, &poll.wait)
	} else {
		q.Add(t, &poll.wait)
	}
}

// pollRemoveEntries unhooks every entry of req from its wait queue.
// Linux: io_uring/poll.c:io_poll_remove_entries()
func pollRemoveEntries(t *sim.Thread, req *Req) {
	if req.flags&(REQ_F_SINGLE_POLL|REQ_F_DOUBLE_POLL) == 0 || req.apoll == nil {
		return
	}
	for _, p := range []*ioPoll{&req.apoll.poll, req.apoll.doublePoll} {
		if p != nil && p.head != nil {
			p.head.Remove(t, &p.wait)
			p.head = nil
		}
	}
	req.flags &^= REQ_F_SINGLE_POLL | REQ_F_DOUBLE_POLL
}

// pollCanFinishInline reports whether the arming context may complete the
// request itself.
// Linux: io_uring/poll.c:io_poll_can_finish_inline()
func pollCanFinishInline(req *Req, ipt *pollTable) bool {
	return ipt.owning || pollGetOwnership(req)
}

// armPollHandlerInner registers req's poll entries through the file's
// poll and decides: ready now (1, with the ready mask, which Linux returns
// in ipt->result_mask), armed (0), or an error.
// Linux: io_uring/poll.c:__io_arm_poll_handler()
func (ctx *Ctx) armPollHandlerInner(t *sim.Thread, req *Req, mask uint32, issueFlags uint32) (int, uint32) {
	ipt := threadPollTable(t)
	poll := &req.apoll.poll
	// io_init_poll_iocb: errors and hang-ups are always reported.
	poll.events, poll.head = mask|ioPollUnmask, nil
	req.apollEvents = poll.events
	*ipt = pollTable{req: req, owning: issueFlags&IO_URING_F_UNLOCKED != 0}
	ipt.pt = vfs.PollTable{Qproc: pollQueueProc, Key: mask, Private: ipt}
	if ipt.owning {
		req.pollRefs.Store(1)
	} else {
		req.pollRefs.Store(0)
	}
	if poll.events&rings.EPOLLEXCLUSIVE != 0 {
		req.flags |= REQ_F_POLL_NO_LAZY
	}
	mask = vfs.Poll(t, req.file, &ipt.pt) & poll.events
	if ipt.err != 0 || ipt.nrEntries == 0 {
		pollRemoveEntries(t, req)
		if !pollCanFinishInline(req, ipt) {
			pollMarkCancelled(req)
			return 0, 0
		} else if mask != 0 && poll.events&rings.EPOLLET != 0 {
			return 1, mask
		}
		if ipt.err != 0 {
			return ipt.err, 0
		}
		return -EINVAL, 0
	}
	if mask != 0 && poll.events&(rings.EPOLLET|rings.EPOLLONESHOT) == rings.EPOLLET|rings.EPOLLONESHOT {
		if !pollCanFinishInline(req, ipt) {
			ctx.pollAddHash(req)
			return 0, 0
		}
		pollRemoveEntries(t, req)
		return 1, mask
	}
	ctx.pollAddHash(req)
	if mask != 0 && poll.events&rings.EPOLLET != 0 && pollCanFinishInline(req, ipt) {
		pollExecute(t, req, mask)
		return 0, 0
	}
	if ipt.owning {
		// Release ownership; a wakeup seen meanwhile becomes task_work.
		if !req.pollRefs.CompareAndSwap(1, 0) {
			pollExecute(t, req, 0)
		}
	}
	return 0, 0
}

// armPollHandler arms an internal poll for a request whose nonblocking
// attempt returned -EAGAIN, so it is retried from task_work when the file
// becomes ready (IORING_FEAT_FAST_POLL).
// Linux: io_uring/poll.c:io_arm_poll_handler()
func (ctx *Ctx) armPollHandler(t *sim.Thread, req *Req, issueFlags uint32) int {
	def := &ctx.k.table.Issue[req.opcode]
	if !def.Pollin && !def.Pollout {
		return ioApollAborted
	}
	// Polled once already and still not ready: go async instead.
	if req.flags&(REQ_F_POLLED|REQ_F_PARTIAL_IO) == REQ_F_POLLED {
		return ioApollAborted
	}
	mask := uint32(rings.EPOLLPRI | rings.EPOLLERR)
	if def.Pollin {
		mask |= rings.EPOLLIN | rings.EPOLLRDNORM
		if req.flags&REQ_F_CLEAR_POLLIN != 0 {
			mask &^= rings.EPOLLIN
		}
	} else {
		mask |= rings.EPOLLOUT | rings.EPOLLWRNORM
	}
	if def.PollExclusive {
		mask |= rings.EPOLLEXCLUSIVE
	}
	return ctx.armApoll(t, req, issueFlags, mask)
}

// armApoll arms the internal poll of req on mask (edge triggered; one
// shot unless the request is REQ_F_APOLL_MULTISHOT).
// Linux: io_uring/poll.c:io_arm_apoll()
func (ctx *Ctx) armApoll(t *sim.Thread, req *Req, issueFlags, mask uint32) int {
	mask |= rings.EPOLLET
	if req.file == nil || !vfs.CanPoll(req.file) {
		return ioApollAborted
	}
	if req.flags&REQ_F_APOLL_MULTISHOT == 0 {
		mask |= rings.EPOLLONESHOT
	}
	if req.apoll == nil {
		req.apoll = &asyncPoll{}
	} else {
		req.apoll.doublePoll = nil
	}
	req.flags &^= REQ_F_SINGLE_POLL | REQ_F_DOUBLE_POLL
	req.flags |= REQ_F_POLLED
	// Once armed, a wakeup may hand the request to task_work on another
	// thread: trace with what was known before arming.
	id, userData, opcode := req.ID, req.cqe.userData, req.opcode
	ret, _ := ctx.armPollHandlerInner(t, req, mask, issueFlags)
	if ret != 0 {
		if ret > 0 {
			return ioApollReady
		}
		return ioApollAborted
	}
	if w := ctx.world(); w.Tracing() {
		w.Emit(t, "io_uring_poll_arm", sim.U("ctx", ctx.ID), sim.U("req", id), sim.X("user_data", userData),
			sim.S("opcode", rings.OpName(opcode)), sim.X("mask", uint64(mask)), sim.X("events", uint64(mask)))
	}
	return ioApollOK
}

// pollCheckEvents runs in task_work as the owner of a woken request: it
// re-polls when the wakeup mask may be stale, and drops all the wakeup
// references it consumed, looping if more came in meanwhile.
// Linux: io_uring/poll.c:io_poll_check_events()
func (ctx *Ctx) pollCheckEvents(t *sim.Thread, req *Req) int {
	if shouldTerminateTW(req) {
		return -ECANCELED
	}
	for {
		v := req.pollRefs.Load()
		if v != 1 {
			if ctx.k.warnOn(v&ioPollRefMask == 0, "poll task_work without a reference") {
				return iouPollNoAction
			}
			if v&ioPollCancelFlag != 0 {
				return -ECANCELED
			}
			// cqe.res holds only the first wakeup's events: re-poll
			// (PollTWStaleMask: trust it, as before the fix).
			if v&ioPollRefMask != 1 && !ctx.k.Bugs.PollTWStaleMask {
				req.cqe.res = 0
			}
			if v&ioPollRetryFlag != 0 {
				req.cqe.res = 0
				for {
					o := req.pollRefs.Load()
					if req.pollRefs.CompareAndSwap(o, o&^ioPollRetryFlag) {
						break
					}
				}
				v &^= ioPollRetryFlag
			}
			v &= ioPollRefMask
		}
		if req.cqe.res == 0 {
			pt := vfs.PollTable{Key: req.apollEvents}
			req.cqe.res = int32(vfs.Poll(t, req.file, &pt) & req.apollEvents)
			if req.cqe.res == 0 {
				// Woken but someone else took the event: a one-shot is
				// reissued; a multishot stays armed.
				if req.apollEvents&rings.EPOLLONESHOT == 0 {
					goto next
				}
				return iouPollReissue
			}
		}
		if req.apollEvents&rings.EPOLLONESHOT != 0 {
			return iouPollDone
		}
		// Multishot poll: post a CQE with IORING_CQE_F_MORE and go on.
		if req.flags&REQ_F_APOLL_MULTISHOT == 0 {
			mask := uint32(req.cqe.res) & req.apollEvents
			if !ctx.reqPostCQE(t, req, int32(mask), rings.IORING_CQE_F_MORE) {
				req.cqe.res, req.cqe.flags = int32(mask), 0
				return iouPollRemovePollUseRes
			}
		} else {
			// A multishot request (READ_MULTISHOT, multishot recv):
			// issue it again; it posts its own CQEs. A hang-up seen
			// with more than one wakeup pending keeps one reference,
			// so the loop polls again after the issue: the issue may
			// consume only the data, and a hang-up is a state, not an
			// edge, so no wakeup would report it (a68ed2df7213, Linux
			// 7.0 and 6.18.y stable, as the host has it;
			// MultishotRecvHUPLost drops them all, as before it).
			if uint32(req.cqe.res)&(rings.EPOLLHUP|rings.EPOLLRDHUP) != 0 && v != 1 && !ctx.k.Bugs.MultishotRecvHUPLost {
				v--
			}
			switch ret := ctx.pollIssue(t, req); {
			case ret == IOU_COMPLETE:
				return iouPollRemovePollUseRes
			case ret == IOU_REQUEUE:
				return iouPollRequeue
			case ret != IOU_RETRY && ret < 0:
				return ret
			}
		}
		req.cqe.res = 0
	next:
		v &= ioPollRefMask
		if req.pollRefs.Add(-v)&ioPollRefMask == 0 {
			return iouPollNoAction
		}
	}
}

// pollTaskFunc is the poll task_work: a POLL_ADD completes with the mask;
// an internally polled request is reissued.
// Linux: io_uring/poll.c:io_poll_task_func()
func pollTaskFunc(t *sim.Thread, req *Req) {
	ctx := req.ctx
	ret := ctx.pollCheckEvents(t, req)
	switch ret {
	case iouPollNoAction:
		return
	case iouPollRequeue:
		pollExecute(t, req, 0)
		return
	}
	pollRemoveEntries(t, req)
	ctx.pollDelHash(req)
	if req.opcode == rings.IORING_OP_POLL_ADD {
		switch ret {
		case iouPollDone:
			// apollEvents is poll->events (pollWake sets
			// EPOLLONESHOT in both).
			req.cqe.res = int32(uint32(req.cqe.res) & req.apollEvents)
		case iouPollReissue:
			reqTaskSubmit(t, req)
			return
		case iouPollRemovePollUseRes:
		default:
			req.cqe.res = int32(ret)
			reqSetFail(req)
		}
		req.cqe.flags = 0
		ctx.reqCompleteDefer(req)
		return
	}
	switch ret {
	case iouPollRemovePollUseRes:
		ctx.reqCompleteDefer(req)
	case iouPollDone, iouPollReissue:
		reqTaskSubmit(t, req)
	default:
		ctx.reqDeferFailed(t, req, int32(ret))
	}
}

// pollAddHash records a polled request for cancellation lookups.
// Linux: io_uring/poll.c:io_poll_req_insert()
func (ctx *Ctx) pollAddHash(req *Req) {
	ctx.cancelTable.insert(req)
}

// pollDelHash removes req from the cancel lookup.
// Linux: io_uring/poll.c:io_poll_tw_hash_eject() (hash_del(&req->hash_node))
func (ctx *Ctx) pollDelHash(req *Req) {
	ctx.cancelTable.del(req)
}

// pollIssue re-issues a multishot request from its poll task_work, with
// uringLock held; the op posts its CQEs with ReqPostCQE.
// Linux: io_uring/io_uring.c:io_poll_issue()
func (ctx *Ctx) pollIssue(t *sim.Thread, req *Req) int {
	if ctx.k.warnOn(req.file == nil, "multishot poll issue without a file") {
		return -EFAULT
	}
	const issueFlags = IO_URING_F_NONBLOCK | IO_URING_F_MULTISHOT | IO_URING_F_COMPLETE_DEFER
	ret := ctx.k.table.Issue[req.opcode].Issue(t, req, issueFlags)
	ctx.k.warnOn(ret == IOU_ISSUE_SKIP_COMPLETE, "multishot issue skipped completion")
	return ret
}

// pollMultishotRetry makes the poll task_work loop once more: a
// multishot request that just posted a CQE may have more to read.
// Linux: io_uring/poll.h:io_poll_multishot_retry()
func pollMultishotRetry(req *Req) { req.pollRefs.Add(1) }

// reqPostCQE posts an extra CQE for a multishot request from task_work,
// after any completions of the batch not yet posted, so CQEs keep their
// order. It fails (false) when the CQ is full: a multishot request then
// ends. The tail is committed, waiters woken and the eventfd signalled by
// the flush that ends the batch (cq_flush), not here (5e16f1a68d28 "don't
// duplicate flushing in io_req_post_cqe", 6.15): a multishot poll on the
// ring's own eventfd is woken by that signal only once its task_work has
// let go of the request, and so turns one-shot (EPOLL_URING_WAKE).
// Linux: io_uring/io_uring.c:io_req_post_cqe()
func (ctx *Ctx) reqPostCQE(t *sim.Thread, req *Req, res int32, cflags uint32) bool {
	if ctx.submitState.complFirst != nil {
		ctx.submitFlushCompletions(t)
	}
	return ctx.fillCQEAuxDeferred(t, req, res, cflags, nil)
}

// fillCQEAuxDeferred fills one CQE of req (a 32-byte one with big) under
// completionLock unless the CQ is lockless, leaving the commit to the
// batch's flush (cq_flush); false when the CQ is full.
// Linux: io_uring/io_uring.c:io_req_post_cqe(), io_req_post_cqe32()
func (ctx *Ctx) fillCQEAuxDeferred(t *sim.Thread, req *Req, res int32, cflags uint32, big *[2]uint64) bool {
	if !ctx.locklessCQ {
		ctx.completionLock.Lock(t)
	}
	i, ok := ctx.getCQE(false, big != nil)
	if ok {
		ctx.writeCQE(t, i, req.cqe.userData, res, cflags, big, req)
	}
	if !ctx.locklessCQ {
		ctx.completionLock.Unlock(t)
	}
	ctx.submitState.cqFlush = true
	return ok
}

// reqPostCQE32 posts an extra 32-byte CQE of a multishot request: its
// user_data, res, cflags and the two big words; false when the CQ is
// full (nothing overflows). Unlike reqPostCQE it does not flush deferred
// completions first.
// Linux: io_uring/io_uring.c:io_req_post_cqe32(), io_fill_cqe_aux32()
func (ctx *Ctx) reqPostCQE32(t *sim.Thread, req *Req, res int32, cflags uint32, big [2]uint64) bool {
	if ctx.k.warnOn(ctx.flags&(rings.IORING_SETUP_CQE32|rings.IORING_SETUP_CQE_MIXED) == 0, "a 32-byte CQE on a ring of 16-byte CQEs") {
		return false
	}
	return ctx.fillCQEAuxDeferred(t, req, res, cflags, &big)
}
