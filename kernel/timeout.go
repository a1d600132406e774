package kernel

import (
	"math"
	"math/bits"
	"slices"
	"time"
	"unsafe"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// timeoutCmd is the plain part of struct io_timeout, kept in req->cmd.
// Linux: io_uring/timeout.c:struct io_timeout
type timeoutCmd struct {
	off       uint32
	targetSeq uint32
	repeats   uint32
}

// timeoutData is struct io_timeout_data plus the pointers of struct
// io_timeout (head and prev of a linked timeout), kept in
// req->async_data: the hrtimer, the timespec and mode, the flags.
// Linux: io_uring/timeout.h:struct io_timeout_data
type timeoutData struct {
	req     *Req
	timer   *sim.Timer
	started bool // hrtimer_start was called (hrtimer_try_to_cancel's 0 otherwise)
	ts      time.Duration
	abs     bool // HRTIMER_MODE_ABS
	flags   uint32
	head    *Req // the request a linked timeout guards (timeout->head)
	prev    *Req // that request, referenced, once the timer fired (timeout->prev)
}

// timeoutRem is IORING_OP_TIMEOUT_REMOVE's state.
// Linux: io_uring/timeout.c:struct io_timeout_rem
type timeoutRem struct {
	addr     uint64
	ts       int64 // nanoseconds (timespec64_to_ktime of the update)
	flags    uint32
	ltimeout bool
}

// timespecToKtime converts a timespec to a duration, saturating at
// KTIME_MAX (which means "never").
// Linux: include/linux/ktime.h:timespec64_to_ktime()
func timespecToKtime(ts rings.KernelTimespec) time.Duration {
	if uint64(ts.TvSec) >= uint64(ktimeSecMax) {
		return math.MaxInt64
	}
	ns := ts.TvSec*int64(time.Second) + ts.TvNsec
	if ns < 0 && ts.TvSec >= 0 && ts.TvNsec >= 0 {
		return math.MaxInt64
	}
	return time.Duration(ns)
}

// getTimespec reads a struct __kernel_timespec from user memory.
// Linux: kernel/time/time.c:get_timespec64()
func getTimespec(req *Req, addr uint64) (rings.KernelTimespec, bool) {
	var ts rings.KernelTimespec
	if req.task.Proc.MM.CopyFromUser(unsafe.Slice((*byte)(unsafe.Pointer(&ts)), unsafe.Sizeof(ts)), addr) != 0 {
		return ts, false
	}
	return ts, true
}

// hrtimerStart arms a timeout's timer for d (absolute on the virtual
// monotonic clock with abs) to run fn on the hrtimer thread.
// Differs from Linux: CLOCK_MONOTONIC, CLOCK_BOOTTIME and CLOCK_REALTIME
// are all the one virtual clock, which starts at 0 (docs/divergences.md).
// Linux: kernel/time/hrtimer.c:hrtimer_start()
func (ctx *Ctx) hrtimerStart(t *sim.Thread, td *timeoutData, d time.Duration, abs bool, fn func(t *sim.Thread, req *Req)) {
	w := ctx.world()
	if abs {
		d -= w.Now()
	}
	req := td.req
	td.timer = w.AfterFunc(t, d, func(ht *sim.Thread) { fn(ht, req) })
	td.started = true
}

// hrtimerTryToCancel is 1 if the timer was pending and is now stopped, 0
// if it was never started, -1 if its callback is running (or ran).
// Linux: kernel/time/hrtimer.c:hrtimer_try_to_cancel()
func (td *timeoutData) hrtimerTryToCancel(t *sim.Thread) int {
	if !td.started {
		return 0
	}
	if td.timer.Stop(t) {
		return 1
	}
	return -1
}

func reqTimeoutData(req *Req) *timeoutData {
	td, _ := req.asyncData.(*timeoutData)
	return td
}

// isTimeoutNoseq reports a pure (not completion-count) timeout.
// Linux: io_uring/timeout.c:io_is_timeout_noseq()
func isTimeoutNoseq(req *Req) bool {
	return Cmd[timeoutCmd](req).off == 0 || reqTimeoutData(req).flags&rings.IORING_TIMEOUT_MULTISHOT != 0
}

// timeoutFinish reports whether a fired timeout is done: always for a
// one-shot, for a multishot when its repeat count runs out.
// Linux: io_uring/timeout.c:io_timeout_finish()
func timeoutFinish(tc *timeoutCmd, td *timeoutData) bool {
	if td.flags&rings.IORING_TIMEOUT_MULTISHOT == 0 {
		return true
	}
	if tc.off == 0 {
		return false
	}
	if tc.repeats != 0 {
		tc.repeats--
		if tc.repeats != 0 {
			return false
		}
	}
	return true
}

// timeoutComplete is a fired timeout's task_work: a multishot that goes on
// posts -ETIME with IORING_CQE_F_MORE and re-arms; if that CQE does not fit
// (or it is done) the request completes with -ETIME.
// Linux: io_uring/timeout.c:io_timeout_complete()
func timeoutComplete(t *sim.Thread, req *Req) {
	ctx := req.ctx
	tc, td := Cmd[timeoutCmd](req), reqTimeoutData(req)
	if !timeoutFinish(tc, td) {
		if ctx.reqPostCQE(t, req, int32(-ETIME), rings.IORING_CQE_F_MORE) {
			ctx.timeoutLock.Lock(t)
			ctx.timeoutList = append(ctx.timeoutList, req)
			ctx.hrtimerStart(t, td, td.ts, td.abs, timeoutFn)
			ctx.timeoutLock.Unlock(t)
			return
		}
	}
	reqTaskComplete(t, req)
}

// removeFrom deletes req from list (list_del_init).
func removeFrom(list []*Req, req *Req) []*Req {
	if i := slices.Index(list, req); i >= 0 {
		return slices.Delete(list, i, i+1)
	}
	return list
}

// incCQTimeouts counts a timeout that fired or was satisfied: waiters
// compare cq_timeouts, and count timeouts subtract it from the tail.
func (ctx *Ctx) incCQTimeouts() {
	rings.StoreRelease(&ctx.cqTimeouts, rings.LoadAcquire(&ctx.cqTimeouts)+1)
}

// timeoutFn is a timeout's hrtimer callback: off the list, counted, failed
// unless IORING_TIMEOUT_ETIME_SUCCESS, completed with -ETIME from
// task_work.
// Linux: io_uring/timeout.c:io_timeout_fn()
func timeoutFn(t *sim.Thread, req *Req) {
	ctx := req.ctx
	td := reqTimeoutData(req)
	ctx.timeoutLock.Lock(t)
	ctx.timeoutList = removeFrom(ctx.timeoutList, req)
	ctx.incCQTimeouts()
	ctx.timeoutLock.Unlock(t)
	if w := ctx.world(); w.Tracing() {
		w.Emit(t, "io_timeout_fn", sim.U("ctx", ctx.ID), sim.U("req", req.ID), sim.X("user_data", req.cqe.userData))
	}
	if td.flags&rings.IORING_TIMEOUT_ETIME_SUCCESS == 0 {
		reqSetFail(req)
	}
	req.cqe.res, req.cqe.flags = int32(-ETIME), 0
	req.twFunc = timeoutComplete
	reqTaskWorkAdd(t, req, 0)
}

// reqQueueTWComplete completes req with res from task_work.
// Linux: io_uring/io_uring.h:io_req_queue_tw_complete()
func reqQueueTWComplete(t *sim.Thread, req *Req, res int32) {
	req.cqe.res, req.cqe.flags = res, 0
	req.twFunc = reqTaskComplete
	reqTaskWorkAdd(t, req, 0)
}

// flushKilledTimeouts completes the timeouts taken off the list with err
// (0 for a satisfied count timeout), failing them if err is set.
// Linux: io_uring/timeout.c:io_flush_killed_timeouts()
func flushKilledTimeouts(t *sim.Thread, list []*Req, err int32) bool {
	for _, req := range list {
		if err != 0 {
			reqSetFail(req)
		}
		reqQueueTWComplete(t, req, err)
	}
	return len(list) != 0
}

// killTimeout stops a timeout's timer and moves it to list, unless its
// callback already runs. Called with timeoutLock held.
// Linux: io_uring/timeout.c:io_kill_timeout()
func (ctx *Ctx) killTimeout(t *sim.Thread, req *Req, list *[]*Req) bool {
	if reqTimeoutData(req).hrtimerTryToCancel(t) != -1 {
		ctx.incCQTimeouts()
		*list = append(*list, req)
		return true
	}
	return false
}

// flushTimeouts completes every count timeout whose target the CQ tail
// (less the timeouts' own CQEs) has reached, in target order.
// Linux: io_uring/timeout.c:io_flush_timeouts()
func (ctx *Ctx) flushTimeouts(t *sim.Thread) {
	var killed []*Req
	ctx.timeoutLock.Lock(t)
	seq := ctx.cachedCQTail - rings.LoadAcquire(&ctx.cqTimeouts)
	keep := ctx.timeoutList[:0]
	stop := false
	for _, req := range ctx.timeoutList {
		if !stop {
			if isTimeoutNoseq(req) {
				stop = true
			} else if ctx.k.Bugs.TimeoutFlushSeqEqual {
				// Before "io_uring: flush timeouts that should already
				// have expired": only an exact hit fires.
				if Cmd[timeoutCmd](req).targetSeq != seq {
					stop = true
				} else if ctx.killTimeout(t, req, &killed) {
					continue
				}
			} else {
				// Subtract the last flush's seq so wrap-around compares.
				needed := Cmd[timeoutCmd](req).targetSeq - ctx.cqLastTmFlush
				got := seq - ctx.cqLastTmFlush
				if got < needed {
					stop = true
				} else if ctx.killTimeout(t, req, &killed) {
					continue
				}
			}
		}
		keep = append(keep, req)
	}
	clear(ctx.timeoutList[len(keep):])
	ctx.timeoutList = keep
	ctx.cqLastTmFlush = seq
	ctx.timeoutLock.Unlock(t)
	flushKilledTimeouts(t, killed, 0)
}

// matchTask reports whether a request is one the cancellation of tctx's
// requests takes (all of them with cancelAll; at a task's exit, those
// whose link holds a member tracked in flight, REQ_F_INFLIGHT). Called
// with timeoutLock held, or for a link without a linked timeout.
// Linux: io_uring/timeout.c:io_match_task()
func matchTask(req *Req, tctx *Tctx, cancelAll bool) bool {
	if tctx != nil && req.tctx != tctx {
		return false
	}
	if cancelAll {
		return true
	}
	for r := req; r != nil; r = r.link {
		if r.flags&REQ_F_INFLIGHT != 0 {
			return true
		}
	}
	return false
}

// killTimeouts cancels the ring's timeouts (of tctx, or all) with
// -ECANCELED: ring exit and task cancellation.
// Linux: io_uring/timeout.c:io_kill_timeouts()
func (ctx *Ctx) killTimeouts(t *sim.Thread, tctx *Tctx, cancelAll bool) bool {
	var killed []*Req
	ctx.completionLock.Lock(t)
	ctx.timeoutLock.Lock(t)
	keep := ctx.timeoutList[:0]
	for _, req := range ctx.timeoutList {
		if matchTask(req, tctx, cancelAll) && ctx.killTimeout(t, req, &killed) {
			continue
		}
		keep = append(keep, req)
	}
	clear(ctx.timeoutList[len(keep):])
	ctx.timeoutList = keep
	ctx.timeoutLock.Unlock(t)
	ctx.completionLock.Unlock(t)
	return flushKilledTimeouts(t, killed, int32(-ECANCELED))
}

// timeoutExtract takes the first timeout cd matches off the list, its
// timer stopped: -ENOENT if none, -EALREADY if it is firing. Called with
// timeoutLock held.
// Linux: io_uring/timeout.c:io_timeout_extract()
func (ctx *Ctx) timeoutExtract(t *sim.Thread, cd *cancelData) (*Req, int) {
	var req *Req
	for _, r := range ctx.timeoutList {
		if cancelReqMatch(r, cd) {
			req = r
			break
		}
	}
	if req == nil {
		return nil, -ENOENT
	}
	if reqTimeoutData(req).hrtimerTryToCancel(t) == -1 {
		return nil, -EALREADY
	}
	ctx.timeoutList = removeFrom(ctx.timeoutList, req)
	return req, 0
}

// timeoutCancel cancels a pending timeout: it completes with -ECANCELED.
// Called with completionLock held.
// Linux: io_uring/timeout.c:io_timeout_cancel()
func (ctx *Ctx) timeoutCancel(t *sim.Thread, cd *cancelData) int {
	ctx.timeoutLock.Lock(t)
	req, ret := ctx.timeoutExtract(t, cd)
	ctx.timeoutLock.Unlock(t)
	if ret != 0 {
		return ret
	}
	if ctx.k.Bugs.TimeoutCancelNoFail {
		// Before 2ae2eb9dde18: -ECANCELED without REQ_F_FAIL, so the
		// link behind the timeout is queued, not cancelled.
		reqQueueTWComplete(t, req, int32(-ECANCELED))
		return 0
	}
	reqTaskQueueFail(t, req, -ECANCELED)
	return 0
}

// removeNextLinked unlinks req's successor from the chain.
// Linux: io_uring/timeout.c:io_remove_next_linked()
func removeNextLinked(req *Req) {
	nxt := req.link
	req.link = nxt.link
	nxt.link = nil
}

// disarmLinkedTimeout takes req's armed linked timeout out of the chain
// and stops its timer; it returns the timeout to complete, or nil if the
// timer is already firing. Called with completionLock and timeoutLock held.
// Linux: io_uring/timeout.c:__io_disarm_linked_timeout(), io_uring/timeout.h:io_disarm_linked_timeout()
func (ctx *Ctx) disarmLinkedTimeout(t *sim.Thread, req *Req) *Req {
	link := req.link
	if link == nil || link.opcode != rings.IORING_OP_LINK_TIMEOUT {
		return nil
	}
	td := reqTimeoutData(link)
	removeNextLinked(req)
	td.head = nil
	if td.hrtimerTryToCancel(t) != -1 {
		ctx.ltimeoutList = removeFrom(ctx.ltimeoutList, link)
		return link
	}
	return nil
}

// reqRefIncNotZero takes a reference unless the last one is gone.
// Linux: io_uring/refs.h:req_ref_inc_not_zero()
func reqRefIncNotZero(req *Req) bool {
	for {
		v := req.refs.Load()
		if v == 0 {
			return false
		}
		if req.refs.CompareAndSwap(v, v+1) {
			return true
		}
	}
}

// putReq drops a reference; the last one queues the link successor and
// frees the request.
// Linux: io_uring/timeout.c:io_put_req()
func putReq(t *sim.Thread, req *Req) {
	if reqRefPutAndTest(req) {
		req.ctx.queueNext(t, req)
		freeReq(t, req)
	}
}

// linkTimeoutFn is a linked timeout's hrtimer callback: it detaches the
// guarded request (taking a reference unless it is being freed) and
// cancels it from task_work.
// Linux: io_uring/timeout.c:io_link_timeout_fn()
func linkTimeoutFn(t *sim.Thread, req *Req) {
	ctx := req.ctx
	td := reqTimeoutData(req)
	ctx.timeoutLock.Lock(t)
	prev := td.head
	td.head = nil
	// Only nil if we raced with the completion of the linked work.
	if prev != nil {
		removeNextLinked(prev)
		if !reqRefIncNotZero(prev) {
			prev = nil
		}
	}
	ctx.ltimeoutList = removeFrom(ctx.ltimeoutList, req)
	td.prev = prev
	ctx.timeoutLock.Unlock(t)
	if w := ctx.world(); w.Tracing() {
		w.Emit(t, "io_link_timeout_fn", sim.U("ctx", ctx.ID), sim.U("req", req.ID), sim.X("user_data", req.cqe.userData))
	}
	req.twFunc = reqTaskLinkTimeout
	reqTaskWorkAdd(t, req, 0)
}

// reqTaskLinkTimeout cancels the request a fired linked timeout guarded:
// the timeout completes with -ETIME if the cancel worked, else with the
// cancel's error; its CQE is posted before the cancelled request's.
// Linux: io_uring/timeout.c:io_req_task_link_timeout()
func reqTaskLinkTimeout(t *sim.Thread, req *Req) {
	ctx := req.ctx
	td := reqTimeoutData(req)
	prev := td.prev
	td.prev = nil
	if prev == nil {
		req.cqe.res, req.cqe.flags = int32(-ETIME), 0
		reqTaskComplete(t, req)
		return
	}
	ret := -ECANCELED
	if !shouldTerminateTW(req) {
		cd := cancelData{ctx: ctx, data: prev.cqe.userData}
		ret = ctx.tryCancel(t, req.tctx, &cd, 0)
	}
	if ret == 0 {
		ret = -ETIME
	}
	req.cqe.res, req.cqe.flags = int32(ret), 0
	reqTaskComplete(t, req)
	putReq(t, prev)
}

// queueLinkedTimeout starts a linked timeout's timer when the request it
// guards has been issued (unless that already finished), then drops the
// submission reference.
// Linux: io_uring/timeout.c:io_queue_linked_timeout()
func (ctx *Ctx) queueLinkedTimeout(t *sim.Thread, req *Req) {
	td := reqTimeoutData(req)
	ctx.timeoutLock.Lock(t)
	if td.head != nil {
		ctx.hrtimerStart(t, td, td.ts, td.abs, linkTimeoutFn)
		ctx.ltimeoutList = append(ctx.ltimeoutList, req)
	}
	ctx.timeoutLock.Unlock(t)
	putReq(t, req)
}

// prepLinkedTimeout turns REQ_F_ARM_LTIMEOUT into REQ_F_LINK_TIMEOUT and
// gives both requests counted references; it returns the linked timeout.
// Linux: io_uring/io_uring.c:io_prep_linked_timeout(), __io_prep_linked_timeout()
func (ctx *Ctx) prepLinkedTimeout(req *Req) *Req {
	if req.flags&REQ_F_ARM_LTIMEOUT == 0 {
		return nil
	}
	if ctx.k.warnOn(req.link == nil, "REQ_F_ARM_LTIMEOUT without a link") {
		return nil
	}
	req.flags &^= REQ_F_ARM_LTIMEOUT
	req.flags |= REQ_F_LINK_TIMEOUT
	reqSetRefcount(req, 1)
	reqSetRefcount(req.link, 2)
	return req.link
}

// armLtimeout arms the linked timeout of a request just issued.
// Linux: io_uring/io_uring.c:io_arm_ltimeout()
func (ctx *Ctx) armLtimeout(t *sim.Thread, req *Req) {
	if req.flags&REQ_F_ARM_LTIMEOUT != 0 {
		if lt := ctx.prepLinkedTimeout(req); lt != nil {
			ctx.queueLinkedTimeout(t, lt)
		}
	}
}

// TimeoutPrep validates an IORING_OP_TIMEOUT or IORING_OP_LINK_TIMEOUT SQE
// and reads its timespec; a linked timeout must directly follow a request
// of the link being assembled, which it then guards.
// Linux: io_uring/timeout.c:__io_timeout_prep()
func TimeoutPrep(req *Req, sqe *rings.SQE, isLink bool) int {
	ctx := req.ctx
	off := uint32(sqe.Off)
	if sqe.BufIndex != 0 || sqe.Len != 1 || sqe.SpliceFdIn != 0 {
		return -EINVAL
	}
	if off != 0 && isLink {
		return -EINVAL
	}
	flags := sqe.OpFlags
	if flags&^(rings.IORING_TIMEOUT_ABS|rings.IORING_TIMEOUT_CLOCK_MASK|
		rings.IORING_TIMEOUT_ETIME_SUCCESS|rings.IORING_TIMEOUT_MULTISHOT) != 0 {
		return -EINVAL
	}
	// More than one clock is invalid.
	if bits.OnesCount32(flags&rings.IORING_TIMEOUT_CLOCK_MASK) > 1 {
		return -EINVAL
	}
	// Multishot only makes sense with relative values.
	if ^flags&(rings.IORING_TIMEOUT_MULTISHOT|rings.IORING_TIMEOUT_ABS) == 0 {
		return -EINVAL
	}
	tc := Cmd[timeoutCmd](req)
	tc.off = off
	if off != 0 {
		ctx.offTimeoutUsed = true
	}
	tc.repeats = 0
	if flags&rings.IORING_TIMEOUT_MULTISHOT != 0 && off > 0 {
		tc.repeats = off
	}
	td := &timeoutData{req: req, flags: flags}
	req.asyncData = td
	req.flags |= REQ_F_ASYNC_DATA
	ts, ok := getTimespec(req, sqe.Addr)
	if !ok {
		return -EFAULT
	}
	if ts.TvSec < 0 || ts.TvNsec < 0 {
		return -EINVAL
	}
	td.ts = timespecToKtime(ts)
	td.abs = flags&rings.IORING_TIMEOUT_ABS != 0
	if isLink {
		st := &ctx.submitState
		if st.linkHead == nil {
			return -EINVAL
		}
		if st.linkLast.opcode == rings.IORING_OP_LINK_TIMEOUT {
			return -EINVAL
		}
		td.head = st.linkLast
		st.linkLast.flags |= REQ_F_ARM_LTIMEOUT
	}
	return 0
}

// Timeout is IORING_OP_TIMEOUT's issue: the timeout goes on the ring's
// list — a count timeout (off CQEs) sorted by target, a pure one at the
// end — and its timer starts.
// Linux: io_uring/timeout.c:io_timeout()
func Timeout(t *sim.Thread, req *Req, issueFlags uint32) int {
	ctx := req.ctx
	tc, td := Cmd[timeoutCmd](req), reqTimeoutData(req)
	off := tc.off
	ctx.timeoutLock.Lock(t)
	pos := len(ctx.timeoutList)
	if !isTimeoutNoseq(req) {
		tail := ctx.cachedCQTail - rings.LoadAcquire(&ctx.cqTimeouts)
		tc.targetSeq = tail + off
		// Update the last seq here in case flushTimeouts hasn't.
		ctx.cqLastTmFlush = tail
		// Insertion sort: the first entry is always the one due first.
		pos = 0
		for i := len(ctx.timeoutList) - 1; i >= 0; i-- {
			nxt := ctx.timeoutList[i]
			if isTimeoutNoseq(nxt) {
				continue
			}
			if off >= Cmd[timeoutCmd](nxt).targetSeq-tail {
				pos = i + 1
				break
			}
		}
	}
	ctx.timeoutList = slices.Insert(ctx.timeoutList, pos, req)
	ctx.hrtimerStart(t, td, td.ts, td.abs, timeoutFn)
	ctx.timeoutLock.Unlock(t)
	return IOU_ISSUE_SKIP_COMPLETE
}

// LinkTimeoutIssue is IORING_OP_LINK_TIMEOUT's issue, which never runs: a
// linked timeout is armed by the request before it.
// Linux: io_uring/opdef.c:io_no_issue()
func LinkTimeoutIssue(t *sim.Thread, req *Req, issueFlags uint32) int {
	req.ctx.k.warnOn(true, "LINK_TIMEOUT issued")
	return -ECANCELED
}

// TimeoutRemovePrep validates IORING_OP_TIMEOUT_REMOVE: by user_data
// (addr), or with IORING_TIMEOUT_UPDATE / IORING_LINK_TIMEOUT_UPDATE a new
// timespec at addr2.
// Linux: io_uring/timeout.c:io_timeout_remove_prep()
func TimeoutRemovePrep(req *Req, sqe *rings.SQE) int {
	tr := Cmd[timeoutRem](req)
	if req.flags&(REQ_F_FIXED_FILE|REQ_F_BUFFER_SELECT) != 0 {
		return -EINVAL
	}
	if sqe.BufIndex != 0 || sqe.Len != 0 || sqe.SpliceFdIn != 0 {
		return -EINVAL
	}
	tr.ltimeout = false
	tr.addr = sqe.Addr
	tr.flags = sqe.OpFlags
	if tr.flags&rings.IORING_TIMEOUT_UPDATE_MASK != 0 {
		if bits.OnesCount32(tr.flags&rings.IORING_TIMEOUT_CLOCK_MASK) > 1 {
			return -EINVAL
		}
		if tr.flags&rings.IORING_LINK_TIMEOUT_UPDATE != 0 {
			tr.ltimeout = true
		}
		if tr.flags&^(rings.IORING_TIMEOUT_UPDATE_MASK|rings.IORING_TIMEOUT_ABS) != 0 {
			return -EINVAL
		}
		ts, ok := getTimespec(req, sqe.Off)
		if !ok {
			return -EFAULT
		}
		if ts.TvSec < 0 || ts.TvNsec < 0 {
			return -EINVAL
		}
		tr.ts = int64(timespecToKtime(ts))
	} else if tr.flags != 0 {
		// Removal takes no flags.
		return -EINVAL
	}
	return 0
}

// linkedTimeoutUpdate re-arms an armed linked timeout with a new expiry.
// Called with timeoutLock held.
// Linux: io_uring/timeout.c:io_linked_timeout_update()
func (ctx *Ctx) linkedTimeoutUpdate(t *sim.Thread, userData uint64, d time.Duration, abs bool) int {
	var req *Req
	for _, r := range ctx.ltimeoutList {
		if r.cqe.userData == userData {
			req = r
			break
		}
	}
	if req == nil {
		return -ENOENT
	}
	td := reqTimeoutData(req)
	if td.hrtimerTryToCancel(t) == -1 {
		return -EALREADY
	}
	ctx.hrtimerStart(t, td, d, abs, linkTimeoutFn)
	return 0
}

// timeoutUpdate re-arms a pending timeout with a new expiry; it becomes a
// pure timeout (no completion count). Called with timeoutLock held.
// Linux: io_uring/timeout.c:io_timeout_update()
func (ctx *Ctx) timeoutUpdate(t *sim.Thread, userData uint64, d time.Duration, abs bool) int {
	cd := cancelData{ctx: ctx, data: userData}
	req, ret := ctx.timeoutExtract(t, &cd)
	if ret != 0 {
		return ret
	}
	Cmd[timeoutCmd](req).off = 0 // noseq
	td := reqTimeoutData(req)
	td.ts = d
	ctx.timeoutList = append(ctx.timeoutList, req)
	ctx.hrtimerStart(t, td, d, abs, timeoutFn)
	return 0
}

// TimeoutRemove is IORING_OP_TIMEOUT_REMOVE's issue: cancel the timeout
// with user_data addr (it completes with -ECANCELED), or update it.
// Linux: io_uring/timeout.c:io_timeout_remove()
func TimeoutRemove(t *sim.Thread, req *Req, issueFlags uint32) int {
	tr := Cmd[timeoutRem](req)
	ctx := req.ctx
	var ret int
	if tr.flags&rings.IORING_TIMEOUT_UPDATE == 0 {
		cd := cancelData{ctx: ctx, data: tr.addr}
		ctx.completionLock.Lock(t)
		ret = ctx.timeoutCancel(t, &cd)
		ctx.completionLock.Unlock(t)
	} else {
		abs := tr.flags&rings.IORING_TIMEOUT_ABS != 0
		ctx.timeoutLock.Lock(t)
		if tr.ltimeout {
			ret = ctx.linkedTimeoutUpdate(t, tr.addr, time.Duration(tr.ts), abs)
		} else {
			ret = ctx.timeoutUpdate(t, tr.addr, time.Duration(tr.ts), abs)
		}
		ctx.timeoutLock.Unlock(t)
	}
	if ret < 0 {
		reqSetFail(req)
	}
	ReqSetRes(req, int32(ret), 0)
	return IOU_COMPLETE
}
