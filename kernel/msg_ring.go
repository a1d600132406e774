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

// msgFd is what an IORING_MSG_SEND_FD request keeps between issues
// (io_msg's src_file and the target slot): the file it grabbed from the
// sender's table on its first issue, so a retry on io-wq or in the
// target's task sends that file even if the slot changed meanwhile.
// It lives in req->async_data; REQ_F_NEED_CLEANUP is set while it holds
// a file reference.
type msgFd struct {
	src      *vfs.File
	target   *Ctx
	dstFd    uint32
	flags    uint32
	userData uint64
	tw       callbackHead
}

// MsgRingSendFd is IORING_MSG_SEND_FD: the file at registered slot srcFd
// of the sender's table goes into the target's table at dstFd (1-based,
// or IORING_FILE_INDEX_ALLOC), and the target gets a CQE (userData, the
// slot or 0) unless IORING_MSG_RING_CQE_SKIP. -EINVAL for a message to
// the sending ring itself, -EBADFD for a disabled target, -EBADF when
// the sender's slot is empty, the install's error otherwise. A
// DEFER_TASKRUN target installs it in its submitter's task_work and the
// request completes from there (IOU_ISSUE_SKIP_COMPLETE).
// Linux: io_uring/msg_ring.c:io_msg_send_fd()
func MsgRingSendFd(t *sim.Thread, req *Req, target *Ctx, issueFlags uint32, srcFd, dstFd, flags uint32, userData uint64) int {
	if target == req.ctx {
		return -EINVAL
	}
	if target.flags&rings.IORING_SETUP_R_DISABLED != 0 {
		return -EBADFD
	}
	msg, _ := req.asyncData.(*msgFd)
	if msg == nil || msg.src == nil {
		src := msgGrabFile(t, req, srcFd, issueFlags)
		if src == nil {
			return -EBADF
		}
		msg = &msgFd{src: src}
		req.asyncData = msg
		req.flags |= REQ_F_NEED_CLEANUP
	}
	msg.target, msg.dstFd, msg.flags, msg.userData = target, dstFd, flags, userData
	if msgNeedRemote(target) {
		return msgFdRemote(t, req, msg)
	}
	return msgInstallComplete(t, req, msg, issueFlags)
}

// msgGrabFile takes a reference on the file at slot idx of the sender's
// table, nil when the slot is empty or outside it.
// Linux: io_uring/msg_ring.c:io_msg_grab_file()
func msgGrabFile(t *sim.Thread, req *Req, idx uint32, issueFlags uint32) *vfs.File {
	return ReqFileGetFixedRef(t, req, int(idx), issueFlags)
}

// msgInstallComplete installs the grabbed file in the target's table
// under its uringLock (a trylock when the sender's is held: -EAGAIN sends
// the request to io-wq) and posts the target's CQE. On success the file
// reference belongs to the table; on failure the request keeps it until
// it is cleaned up.
// Linux: io_uring/msg_ring.c:io_msg_install_complete()
func msgInstallComplete(t *sim.Thread, req *Req, msg *msgFd, issueFlags uint32) int {
	target := msg.target
	if lockExternalCtx(t, target, issueFlags) != 0 {
		return -EAGAIN
	}
	defer target.uringLock.Unlock(t)
	ret := FixedFdInstallLocked(t, target, msg.src, msg.dstFd)
	if ret < 0 {
		return ret
	}
	// The table owns the file now. (Linux also clears
	// REQ_F_NEED_CLEANUP here; the cleanup finds no file instead, as
	// this may run in the target's task while the sender's issue path
	// still reads req.flags.)
	msg.src = nil
	if msg.flags&rings.IORING_MSG_RING_CQE_SKIP != 0 {
		return ret
	}
	// If this fails the target has the file but no CQE saying so.
	if !target.postAuxCQE(t, msg.userData, int32(ret), 0) {
		ret = -EOVERFLOW
	}
	return ret
}

// msgFdRemote queues the install as task_work of the target ring's
// submitter (TWA_SIGNAL), which completes the request afterwards:
// -EOWNERDEAD when the ring has no submitter task or it has exited.
// Linux: io_uring/msg_ring.c:io_msg_fd_remote()
func msgFdRemote(t *sim.Thread, req *Req, msg *msgFd) int {
	task := msg.target.submitterTask
	if task == nil {
		return -EOWNERDEAD
	}
	msg.tw.fn = func(task *Task) { msgTWFdComplete(task.Thread, req, msg, task) }
	if !task.taskWorkAdd(t, &msg.tw) {
		return -EOWNERDEAD
	}
	return IOU_ISSUE_SKIP_COMPLETE
}

// msgTWFdComplete is the install in the target's task: -EOWNERDEAD if
// that task is exiting. The sending request completes with the result
// through its own task_work.
// Linux: io_uring/msg_ring.c:io_msg_tw_fd_complete()
func msgTWFdComplete(t *sim.Thread, req *Req, msg *msgFd, task *Task) {
	ret := -EOWNERDEAD
	if !task.exiting {
		ret = msgInstallComplete(t, req, msg, IO_URING_F_UNLOCKED)
	}
	// The failure is marked by the sender's task work (below), not
	// here: the sender's issue path may still be reading req.flags.
	req.cqe.res, req.cqe.flags = int32(ret), 0
	req.twFunc = msgTWFdDone
	reqTaskWorkAdd(t, req, 0)
}

// msgTWFdDone completes a remote SEND_FD in the sender's task work,
// failing it (and its link) on an error.
// Linux: io_uring/msg_ring.c:io_msg_tw_fd_complete() (req_set_fail), io_req_queue_tw_complete()
func msgTWFdDone(t *sim.Thread, req *Req) {
	if req.cqe.res < 0 {
		reqSetFail(req)
	}
	reqTaskComplete(t, req)
}

// MsgRingCleanup drops the file a SEND_FD request grabbed and did not
// install (REQ_F_NEED_CLEANUP).
// Linux: io_uring/msg_ring.c:io_msg_ring_cleanup()
func MsgRingCleanup(t *sim.Thread, req *Req) {
	msg, _ := req.asyncData.(*msgFd)
	if req.ctx.k.warnOn(msg == nil, "msg_ring cleanup without its state") || msg.src == nil {
		return // installed: the target's table has it
	}
	msg.src.Put(t)
	msg.src = nil
}
