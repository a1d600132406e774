package kernel

import (
	"unsafe"

	"github.com/uringsim/uringsim/iowq"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// CANCEL_FLAGS are the IORING_ASYNC_CANCEL_* flags Linux 6.18 accepts.
// Linux: io_uring/cancel.c:CANCEL_FLAGS
const CANCEL_FLAGS = rings.IORING_ASYNC_CANCEL_ALL | rings.IORING_ASYNC_CANCEL_FD |
	rings.IORING_ASYNC_CANCEL_ANY | rings.IORING_ASYNC_CANCEL_FD_FIXED |
	rings.IORING_ASYNC_CANCEL_USERDATA | rings.IORING_ASYNC_CANCEL_OP

// cancelData says which requests a cancellation is for (struct
// io_cancel_data): by user_data, file, opcode or any, once each per
// cancellation sequence with ALL/ANY.
// Linux: io_uring/cancel.h:struct io_cancel_data
type cancelData struct {
	ctx    *Ctx
	data   uint64
	file   *vfs.File
	opcode uint8
	flags  uint32
	seq    uint32
}

// cancelMatchSequence reports whether req was already matched by the
// cancellation with sequence seq, and marks it matched.
// Linux: io_uring/cancel.h:io_cancel_match_sequence()
func cancelMatchSequence(req *Req, seq uint32) bool {
	if req.cancelSeqSet && req.cancelSeq == seq {
		return true
	}
	req.cancelSeqSet = true
	req.cancelSeq = seq
	return false
}

// cancelReqMatch reports whether req is one cd asks to cancel.
// Linux: io_uring/cancel.c:io_cancel_req_match()
func cancelReqMatch(req *Req, cd *cancelData) bool {
	matchUserData := cd.flags&rings.IORING_ASYNC_CANCEL_USERDATA != 0
	if req.ctx != cd.ctx {
		return false
	}
	if cd.flags&(rings.IORING_ASYNC_CANCEL_FD|rings.IORING_ASYNC_CANCEL_OP) == 0 {
		matchUserData = true
	}
	if cd.flags&rings.IORING_ASYNC_CANCEL_ANY == 0 {
		if cd.flags&rings.IORING_ASYNC_CANCEL_FD != 0 && req.file != cd.file {
			return false
		}
		if cd.flags&rings.IORING_ASYNC_CANCEL_OP != 0 && req.opcode != cd.opcode {
			return false
		}
		if matchUserData && req.cqe.userData != cd.data {
			return false
		}
		if cd.flags&rings.IORING_ASYNC_CANCEL_ALL == 0 {
			return true
		}
	}
	return !cancelMatchSequence(req, cd.seq)
}

// nextCancelSeq is atomic_inc_return(&ctx->cancel_seq).
func (ctx *Ctx) nextCancelSeq() uint32 { return ctx.cancelSeq.Add(1) }

// asyncCancelOne cancels matching work in one task's io-wq: 0 if it was
// queued, -EALREADY if it is running, -ENOENT if there is none.
// Linux: io_uring/cancel.c:io_async_cancel_one()
func asyncCancelOne(t *sim.Thread, tctx *Tctx, cd *cancelData) int {
	if tctx == nil || tctx.ioWQ == nil {
		return -ENOENT
	}
	all := cd.flags&(rings.IORING_ASYNC_CANCEL_ALL|rings.IORING_ASYNC_CANCEL_ANY) != 0
	switch tctx.ioWQ.Cancel(t, func(w *iowq.Work) bool { return cancelReqMatch(w.Item.(*Req), cd) }, all) {
	case iowq.IO_WQ_CANCEL_OK:
		return 0
	case iowq.IO_WQ_CANCEL_RUNNING:
		return -EALREADY
	}
	return -ENOENT
}

// tryCancel cancels one request cd matches, looking in turn at io-wq,
// armed polls, waitid, futex waits and (unless by fd) timeouts.
// Linux: io_uring/cancel.c:io_try_cancel()
func (ctx *Ctx) tryCancel(t *sim.Thread, tctx *Tctx, cd *cancelData, issueFlags uint32) int {
	ret := asyncCancelOne(t, tctx, cd)
	// Fall through even for -EALREADY: it may have a poll armed that
	// needs unarming.
	if ret == 0 {
		return 0
	}
	if ret = ctx.pollCancel(t, cd, issueFlags); ret != -ENOENT {
		return ret
	}
	if ret = ctx.waitidCancel(t, cd, issueFlags); ret != -ENOENT {
		return ret
	}
	if ret = ctx.futexCancel(t, cd, issueFlags); ret != -ENOENT {
		return ret
	}
	ctx.completionLock.Lock(t)
	if cd.flags&rings.IORING_ASYNC_CANCEL_FD == 0 {
		ret = ctx.timeoutCancel(t, cd)
	}
	ctx.completionLock.Unlock(t)
	return ret
}

// waitidCancel cancels matching IORING_OP_WAITID requests: how many, or
// -ENOENT (kernel/waitid.go).
// Linux: io_uring/waitid.c:io_waitid_cancel()
func (ctx *Ctx) waitidCancel(t *sim.Thread, cd *cancelData, issueFlags uint32) int {
	return ctx.waitidCancelMatching(t, cd, issueFlags)
}

// pollCancelReq cancels an armed poll: it is marked cancelled and its
// task_work completes it with -ECANCELED.
// Linux: io_uring/poll.c:io_poll_cancel_req()
func pollCancelReq(t *sim.Thread, req *Req) {
	pollMarkCancelled(req)
	// Kick the poll task_work; it sees the cancel flag.
	if pollGetOwnership(req) {
		pollExecute(t, req, 0)
	}
}

// pollCancel cancels one armed poll cd matches, by user_data or, with
// FD/OP/ANY, by scanning the table.
// Linux: io_uring/poll.c:io_poll_cancel(), __io_poll_cancel()
func (ctx *Ctx) pollCancel(t *sim.Thread, cd *cancelData, issueFlags uint32) int {
	ctx.ringSubmitLock(t, issueFlags)
	defer ctx.ringSubmitUnlock(t, issueFlags)
	var req *Req
	if cd.flags&(rings.IORING_ASYNC_CANCEL_FD|rings.IORING_ASYNC_CANCEL_OP|rings.IORING_ASYNC_CANCEL_ANY) != 0 {
		req = ctx.cancelTable.findAny(func(r *Req) bool { return cancelReqMatch(r, cd) })
	} else {
		req = ctx.cancelTable.find(cd.data, func(r *Req) bool {
			return cd.flags&rings.IORING_ASYNC_CANCEL_ALL == 0 || !cancelMatchSequence(r, cd.seq)
		})
	}
	if req == nil {
		return -ENOENT
	}
	pollCancelReq(t, req)
	return 0
}

// asyncCancelAll runs tryCancel until it finds nothing (all of them with
// ALL/ANY, else just one), then tries every task's io-wq. With ALL/ANY it
// returns how many were found — 0 when none was, never -ENOENT.
// Linux: io_uring/cancel.c:__io_async_cancel()
func (ctx *Ctx) asyncCancelAll(t *sim.Thread, cd *cancelData, tctx *Tctx, issueFlags uint32) int {
	all := cd.flags&(rings.IORING_ASYNC_CANCEL_ALL|rings.IORING_ASYNC_CANCEL_ANY) != 0
	nr := 0
	for {
		ret := ctx.tryCancel(t, tctx, cd, issueFlags)
		if ret == -ENOENT {
			break
		}
		if !all {
			return ret
		}
		nr++
	}
	// Slow path: try every io-wq of the ring's tasks.
	ctx.ringSubmitLock(t, issueFlags)
	ret := -ENOENT
	for _, node := range ctx.tctxList {
		ret = asyncCancelOne(t, node, cd)
		if ret != -ENOENT {
			if !all {
				break
			}
			nr++
		}
	}
	ctx.ringSubmitUnlock(t, issueFlags)
	if all {
		return nr
	}
	return ret
}

// AsyncCancel is IORING_OP_ASYNC_CANCEL's issue: cancel what addr, flags,
// fd and opcode name. The result is 0 (or, with ALL/ANY, the count),
// -ENOENT, -EALREADY, or -EBADF for an fd that does not resolve; a
// negative result fails the link.
// Linux: io_uring/cancel.c:io_async_cancel()
func AsyncCancel(t *sim.Thread, req *Req, addr uint64, flags uint32, fd int32, opcode uint8, issueFlags uint32) int {
	ctx := req.ctx
	cd := cancelData{ctx: ctx, data: addr, flags: flags, opcode: opcode, seq: ctx.nextCancelSeq()}
	ret := 0
	if flags&rings.IORING_ASYNC_CANCEL_FD != 0 {
		if req.flags&REQ_F_FIXED_FILE != 0 || flags&rings.IORING_ASYNC_CANCEL_FD_FIXED != 0 {
			req.flags |= REQ_F_FIXED_FILE
			req.file = ctx.fileGetFixed(t, req, int(fd), issueFlags)
		} else {
			req.file = ReqFileGetNormal(t, req, int(fd))
		}
		if req.file == nil {
			ret = -EBADF
		}
		cd.file = req.file
	}
	if ret == 0 {
		ret = ctx.asyncCancelAll(t, &cd, req.tctx, issueFlags)
	}
	if ret < 0 {
		reqSetFail(req)
	}
	ReqSetRes(req, int32(ret), 0)
	return IOU_COMPLETE
}

// syncCancelReg is struct io_uring_sync_cancel_reg.
// Linux: include/uapi/linux/io_uring.h:struct io_uring_sync_cancel_reg
type syncCancelReg struct {
	Addr    uint64
	Fd      int32
	Flags   uint32
	Timeout rings.KernelTimespec
	Opcode  uint8
	Pad     [7]uint8
	Pad2    [3]uint64
}

// syncCancel is IORING_REGISTER_SYNC_CANCEL: cancel like ASYNC_CANCEL,
// and while the match is running (-EALREADY) wait for completions and
// retry until it is gone or the timeout (on the virtual clock) passes
// (-ETIME). Called with uringLock held.
// Linux: io_uring/cancel.c:io_sync_cancel()
func (ctx *Ctx) syncCancel(task *Task, arg uint64) int {
	t := task.Thread
	var sc syncCancelReg
	if task.Proc.MM.CopyFromUser(unsafe.Slice((*byte)(unsafe.Pointer(&sc)), unsafe.Sizeof(sc)), arg) != 0 {
		return -EFAULT
	}
	if sc.Flags&^CANCEL_FLAGS != 0 {
		return -EINVAL
	}
	for _, p := range sc.Pad {
		if p != 0 {
			return -EINVAL
		}
	}
	for _, p := range sc.Pad2 {
		if p != 0 {
			return -EINVAL
		}
	}
	cd := cancelData{ctx: ctx, data: sc.Addr, flags: sc.Flags, opcode: sc.Opcode, seq: ctx.nextCancelSeq()}
	var file *vfs.File
	if cd.flags&rings.IORING_ASYNC_CANCEL_FD != 0 {
		if cd.flags&rings.IORING_ASYNC_CANCEL_FD_FIXED != 0 {
			node := ctx.fileTable.Data.Lookup(int(sc.Fd))
			if node == nil || node.File == nil {
				return -EBADF
			}
			// A reference keeps the file while the cancel waits without
			// uring_lock (an update may empty the slot meanwhile).
			file = node.File.Get()
		} else {
			file = task.Proc.Files.Get(t, int(sc.Fd))
		}
		if file == nil {
			return -EBADF
		}
		cd.file = file
		defer file.Put(t)
	}
	ret := ctx.asyncCancelAll(t, &cd, task.ioUring, 0)
	if ret != -EALREADY {
		return ret
	}
	w := ctx.world()
	deadline, hasTimeout := w.Now(), false
	if uint64(sc.Timeout.TvSec) != ^uint64(0) || uint64(sc.Timeout.TvNsec) != ^uint64(0) {
		deadline += timespecToKtime(sc.Timeout)
		hasTimeout = true
	}
	var wait sim.WaitQueueEntry
	wait.Thread = t
	wait.Func = sim.AutoremoveWakeFunction
	for {
		cd.seq = ctx.nextCancelSeq()
		ctx.cqWait.PrepareToWait(t, &wait, sim.TaskInterruptible)
		ret = ctx.asyncCancelAll(t, &cd, task.ioUring, 0)
		ctx.uringLock.Unlock(t)
		if ret != -EALREADY {
			break
		}
		task.runTaskWork(t)
		if t.SignalPending() {
			ret = -EINTR
			break
		}
		if hasTimeout {
			left := deadline - w.Now()
			if left <= 0 || t.ScheduleTimeout(left) {
				ret = -ETIME
				break
			}
		} else {
			t.Schedule()
		}
		ctx.uringLock.Lock(t)
	}
	ctx.cqWait.FinishWait(t, &wait)
	ctx.uringLock.Lock(t)
	if ret == -ENOENT || ret > 0 {
		ret = 0
	}
	return ret
}
