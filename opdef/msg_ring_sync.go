package opdef

import (
	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
)

// syncMsgRing sends an IORING_MSG_DATA message from outside any ring
// (IORING_REGISTER_SEND_MSG_RING): the target is the ring behind the
// task's descriptor sqe->fd (-EBADF if none, -EBADFD if it is not a
// ring). IORING_MSG_SEND_FD needs a source ring and is -EINVAL.
// Linux: io_uring/msg_ring.c:io_uring_sync_msg_ring()
func syncMsgRing(task *kernel.Task, sqe *rings.SQE) int {
	var msg msgData
	if ret := msg.prep(sqe); ret != 0 {
		return ret
	}
	// Only data sending: a file needs a source ring to come from.
	if msg.cmd != rings.IORING_MSG_DATA {
		return -kernel.EINVAL
	}
	t := task.Thread
	f := task.Proc.Files.Get(t, int(sqe.Fd))
	if f == nil {
		return -kernel.EBADF
	}
	defer f.Put(t)
	target := kernel.MsgRingTarget(f)
	if target == nil {
		return -kernel.EBADFD
	}
	return msgRingData(t, target, &msg, kernel.IO_URING_F_UNLOCKED)
}
