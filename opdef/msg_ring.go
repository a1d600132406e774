package opdef

import (
	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// msgRingMask is every msg_ring_flags bit IORING_OP_MSG_RING accepts.
// Linux: io_uring/msg_ring.c:IORING_MSG_RING_MASK
const msgRingMask = rings.IORING_MSG_RING_CQE_SKIP | rings.IORING_MSG_RING_FLAGS_PASS

// msgData is IORING_OP_MSG_RING's per-request state (struct io_msg).
type msgData struct {
	userData uint64
	len      uint32
	cmd      uint32
	srcFd    uint32
	dstFd    uint32 // union with cqe_flags (IORING_MSG_RING_FLAGS_PASS)
	flags    uint32
}

// msgRingPrep reads the message: the target's user_data (sqe->off), the
// res (sqe->len), the command (sqe->addr), a source slot (sqe->addr3), a
// target slot or the CQE flags to pass (sqe->file_index), and the flags.
// Linux: io_uring/msg_ring.c:io_msg_ring_prep(), __io_msg_ring_prep()
func msgRingPrep(req *kernel.Req, sqe *rings.SQE) int {
	return kernel.Cmd[msgData](req).prep(sqe)
}

// prep is __io_msg_ring_prep, shared with IORING_REGISTER_SEND_MSG_RING.
// Linux: io_uring/msg_ring.c:__io_msg_ring_prep()
func (msg *msgData) prep(sqe *rings.SQE) int {
	if sqe.BufIndex != 0 || sqe.Personality != 0 {
		return -kernel.EINVAL
	}
	msg.userData = sqe.Off
	msg.len = sqe.Len
	msg.cmd = uint32(sqe.Addr) // a u32 in struct io_msg: the upper half is dropped
	msg.srcFd = uint32(sqe.Addr3)
	msg.dstFd = uint32(sqe.SpliceFdIn)
	msg.flags = sqe.OpFlags
	if msg.flags&^msgRingMask != 0 {
		return -kernel.EINVAL
	}
	return 0
}

// msgRing delivers the message to the ring behind sqe->fd: -EBADFD when
// that file is not a ring, -EINVAL for an unknown command. A failure
// fails the link; -EAGAIN sends the request to io-wq.
// Linux: io_uring/msg_ring.c:io_msg_ring(), io_msg_ring_data()
func msgRing(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	msg := kernel.Cmd[msgData](req)
	target := kernel.MsgRingTarget(kernel.ReqFile(req))
	ret := -kernel.EBADFD
	if target != nil {
		switch msg.cmd {
		case rings.IORING_MSG_DATA:
			ret = msgRingData(t, target, msg, issueFlags)
		case rings.IORING_MSG_SEND_FD:
			ret = -kernel.EINVAL
			if msg.len == 0 {
				ret = kernel.MsgRingSendFd(t, req, target, issueFlags, msg.srcFd, msg.dstFd, msg.flags, msg.userData)
			}
		default:
			ret = -kernel.EINVAL
		}
	}
	if ret < 0 {
		if ret == -kernel.EAGAIN || ret == kernel.IOU_ISSUE_SKIP_COMPLETE {
			return ret
		}
		// MsgRingNoFail: the error completes the request without
		// breaking its link, as before the fix.
		if !kernel.ReqBugs(req).MsgRingNoFail {
			kernel.ReqSetFail(req)
		}
	}
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}

// msgRingData checks an IORING_MSG_DATA message and posts it: no source
// slot, no flag but FLAGS_PASS, and a target slot only as passed flags.
// Linux: io_uring/msg_ring.c:__io_msg_ring_data()
func msgRingData(t *sim.Thread, target *kernel.Ctx, msg *msgData, issueFlags uint32) int {
	if msg.srcFd != 0 || msg.flags&^rings.IORING_MSG_RING_FLAGS_PASS != 0 {
		return -kernel.EINVAL
	}
	if msg.flags&rings.IORING_MSG_RING_FLAGS_PASS == 0 && msg.dstFd != 0 {
		return -kernel.EINVAL
	}
	var cflags uint32
	if msg.flags&rings.IORING_MSG_RING_FLAGS_PASS != 0 {
		cflags = msg.dstFd
	}
	return kernel.MsgRingData(t, target, issueFlags, msg.userData, int32(msg.len), cflags)
}
