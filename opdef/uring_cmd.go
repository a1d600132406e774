package opdef

import (
	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// uringCmdData is IORING_OP_URING_CMD's state (struct io_uring_cmd); the
// copied SQE is in the request's async data.
type uringCmdData struct {
	cmdOp uint32
	flags uint32
}

// uringCmdSQE is the SQE copy a command keeps (io_uring_cmd_sqe_copy):
// the 64-byte SQE and its command area.
type uringCmdSQE struct {
	sqe rings.SQE
	cmd []byte
}

// uringCmdPrep checks the SQE and keeps a copy of its command area.
// Linux: io_uring/uring_cmd.c:io_uring_cmd_prep()
func uringCmdPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.Pad1() != 0 {
		return -kernel.EINVAL
	}
	d := kernel.Cmd[uringCmdData](req)
	d.flags = sqe.OpFlags // uring_cmd_flags
	if d.flags&^rings.IORING_URING_CMD_MASK != 0 {
		return -kernel.EINVAL
	}
	if d.flags&rings.IORING_URING_CMD_FIXED != 0 {
		if d.flags&rings.IORING_URING_CMD_MULTISHOT != 0 {
			return -kernel.EINVAL
		}
		kernel.ReqSetBufIndex(req, sqe.BufIndex)
	}
	if (d.flags&rings.IORING_URING_CMD_MULTISHOT != 0) != (kernel.ReqFlags(req)&kernel.REQ_F_BUFFER_SELECT != 0) {
		return -kernel.EINVAL
	}
	d.cmdOp = sqe.CmdOp()
	kernel.ReqSetAsyncData(req, &uringCmdSQE{sqe: *sqe, cmd: kernel.ReqSQECmd(req, sqe)})
	return 0
}

// uringCmd hands the command to the file's driver (f_op->uring_cmd).
// Linux: io_uring/uring_cmd.c:io_uring_cmd()
func uringCmd(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	f := kernel.ReqFile(req)
	d := kernel.Cmd[uringCmdData](req)
	if d.cmdOp == rings.SOCKET_URING_OP_TX_TIMESTAMP && vfs.SockFromFile(f) != nil {
		switch ret := cmdTimestamp(t, req, f, issueFlags); ret {
		case -kernel.EIOCBQUEUED:
			return kernel.IOU_ISSUE_SKIP_COMPLETE
		case -kernel.EAGAIN:
			return kernel.IOU_RETRY // armed: the next EPOLLERR issues it again
		default:
			kernel.ReqSetFail(req)
			kernel.ReqSetRes(req, int32(ret), 0)
			return kernel.IOU_COMPLETE
		}
	}
	drv, ok := f.Op.(vfs.UringCmder)
	if !ok {
		if s := vfs.SockFromFile(f); s != nil {
			ret := sockUringCmd(t, req, f, s, d.cmdOp, &kernel.ReqAsyncData(req).(*uringCmdSQE).sqe)
			if ret < 0 {
				kernel.ReqSetFail(req)
			}
			kernel.ReqSetRes(req, int32(ret), 0)
			return kernel.IOU_COMPLETE
		}
		return -kernel.EOPNOTSUPP
	}
	ringFlags := kernel.ReqRingFlags(req)
	cp := kernel.ReqAsyncData(req).(*uringCmdSQE)
	c := &vfs.UringCmd{
		Op: d.cmdOp, Flags: d.flags, Cmd: cp.cmd, SQE: cp.sqe, MM: kernel.ReqMM(req),
		SQE128:   ringFlags&rings.IORING_SETUP_SQE128 != 0,
		CQE32:    ringFlags&(rings.IORING_SETUP_CQE32|rings.IORING_SETUP_CQE_MIXED) != 0,
		Nonblock: issueFlags&kernel.IO_URING_F_NONBLOCK != 0,
		Done:     kernel.ReqUringCmdDone, Token: req,
	}
	if ringFlags&rings.IORING_SETUP_IOPOLL != 0 {
		if _, ok := f.Op.(vfs.Iopoller); !ok {
			return -kernel.EOPNOTSUPP // no ->uring_cmd_iopoll
		}
		c.Iopoll = true
		kernel.ReqIopollInit(req)
	}
	ret := drv.UringCmd(t, f, c)
	switch {
	case ret == -vfs.EIOCBQUEUED:
		return kernel.IOU_ISSUE_SKIP_COMPLETE
	case ret == -kernel.EAGAIN:
		return ret // retried blocking from io-wq
	case ret < 0:
		kernel.ReqSetFail(req)
	}
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}
