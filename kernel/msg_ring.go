package kernel

import (
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// postAuxCQE posts a CQE that belongs to no request's completion (a
// message from another ring), overflowing it if the CQ is full. It is
// posted at once, ahead of the completions the current batch has not
// flushed yet.
// Linux: io_uring/io_uring.c:io_post_aux_cqe()
func (ctx *Ctx) postAuxCQE(t *sim.Thread, userData uint64, res int32, cflags uint32) bool {
	ctx.completionLock.Lock(t)
	i, ok := ctx.getCQE(false, false)
	if ok {
		ctx.writeCQE(t, i, userData, res, cflags, nil, nil)
	} else {
		ctx.cqeOverflow(t, userData, res, cflags, [2]uint64{})
	}
	ctx.cqUnlockPost(t)
	return true
}

// addAuxCQE fills an auxiliary CQE with uringLock held on a ring whose
// CQ only its submitter touches (lockless_cq); the tail is committed by
// the flush that ends the task_work run.
// Linux: io_uring/io_uring.c:io_add_aux_cqe()
func (ctx *Ctx) addAuxCQE(t *sim.Thread, userData uint64, res int32, cflags uint32) {
	if i, ok := ctx.getCQE(false, false); ok {
		ctx.writeCQE(t, i, userData, res, cflags, nil, nil)
	} else {
		ctx.completionLock.Lock(t)
		ctx.cqeOverflow(t, userData, res, cflags, [2]uint64{})
		ctx.completionLock.Unlock(t)
	}
	ctx.submitState.cqFlush = true
}

// MsgRingTarget returns the ring a file is, or nil when it is not an
// io_uring file (io_is_uring_fops).
// Linux: io_uring/io_uring.c:io_is_uring_fops()
func MsgRingTarget(f *vfs.File) *Ctx {
	if f == nil {
		return nil
	}
	if _, ok := f.Op.(ringFileOps); !ok {
		return nil
	}
	return f.Private.(*Ctx)
}

// lockExternalCtx takes the target ring's uringLock: a trylock when the
// caller holds its own ring's lock (ordering between two rings' locks
// cannot be guaranteed), -EAGAIN when it is contended, so the request
// goes to io-wq and takes it there.
// Linux: io_uring/msg_ring.c:io_lock_external_ctx()
func lockExternalCtx(t *sim.Thread, target *Ctx, issueFlags uint32) int {
	if issueFlags&IO_URING_F_UNLOCKED == 0 {
		if !target.uringLock.TryLock(t) {
			return -EAGAIN
		}
		return 0
	}
	target.uringLock.Lock(t)
	return 0
}

// msgNeedRemote reports whether a message must be posted by the target
// ring's own task: a DEFER_TASKRUN ring's CQ is written only there.
// Linux: io_uring/msg_ring.c:io_msg_need_remote()
func msgNeedRemote(target *Ctx) bool { return target.taskComplete }

// msgRemotePost hands the message to the target ring's submitter as
// task_work on its DEFER_TASKRUN list (a lazy wake); the CQE is filled
// when that task runs its local work. -EOWNERDEAD when the ring has no
// submitter task.
// Linux: io_uring/msg_ring.c:io_msg_remote_post(), io_msg_tw_complete()
func msgRemotePost(t *sim.Thread, target *Ctx, res int32, cflags uint32, userData uint64) int {
	task := target.submitterTask
	if task == nil {
		return -EOWNERDEAD
	}
	req := &Req{ctx: target, opcode: rings.IORING_OP_NOP, task: task}
	req.twNode.Item = req
	req.cqe.userData = userData
	req.cqe.res, req.cqe.flags = res, cflags
	req.twFunc = func(t *sim.Thread, req *Req) {
		req.ctx.addAuxCQE(t, req.cqe.userData, req.cqe.res, req.cqe.flags)
	}
	reqTaskWorkAdd(t, req, IOU_F_TWQ_LAZY_WAKE)
	return 0
}

// MsgRingData posts a CQE (user_data, res, cflags) to the target ring
// for IORING_MSG_DATA: at once, or through the target's task_work when
// it is a DEFER_TASKRUN ring. -EBADFD when the target is still disabled,
// -EAGAIN when an IOPOLL target's lock is contended.
// Linux: io_uring/msg_ring.c:__io_msg_ring_data()
func MsgRingData(t *sim.Thread, target *Ctx, issueFlags uint32, userData uint64, res int32, cflags uint32) int {
	if target.flags&rings.IORING_SETUP_R_DISABLED != 0 {
		return -EBADFD
	}
	if msgNeedRemote(target) {
		return msgRemotePost(t, target, res, cflags, userData)
	}
	iopoll := target.flags&rings.IORING_SETUP_IOPOLL != 0
	if iopoll {
		if lockExternalCtx(t, target, issueFlags) != 0 {
			return -EAGAIN
		}
	}
	ret := -EOVERFLOW
	if target.postAuxCQE(t, userData, res, cflags) {
		ret = 0
	}
	if iopoll {
		target.uringLock.Unlock(t)
	}
	return ret
}

// MsgRingSendFd is IORING_MSG_SEND_FD: it would install the file at
// registered slot srcFd of the sender's table into the target's table.
// -EINVAL for a message to the sending ring itself, -EBADFD for a
// disabled target, -EBADF when the sender's table has no file there.
// Differs from Linux: no registered file table exists yet, so every
// source slot is empty and the result is what a sender without a table
// gets, -EBADF (docs/divergences.md).
// Linux: io_uring/msg_ring.c:io_msg_send_fd(), io_msg_grab_file()
func MsgRingSendFd(t *sim.Thread, req *Req, target *Ctx, issueFlags uint32, srcFd, dstFd uint32, flags uint32) int {
	if target == req.ctx {
		return -EINVAL
	}
	if target.flags&rings.IORING_SETUP_R_DISABLED != 0 {
		return -EBADFD
	}
	// io_msg_grab_file: idx < ctx->nr_user_files fails without a table.
	return -EBADF
}
