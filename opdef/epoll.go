package opdef

import (
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// epollCtlData is IORING_OP_EPOLL_CTL's state (struct io_epoll).
type epollCtlData struct {
	epfd, op, fd int32
	event        vfs.EpollEvent
}

// epollCtlPrep: fd is the epoll, len the EPOLL_CTL_* op, off the target
// descriptor, addr its struct epoll_event (copied now, except for DEL).
// Linux: io_uring/epoll.c:io_epoll_ctl_prep()
func epollCtlPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.BufIndex != 0 || sqe.SpliceFdIn != 0 {
		return -kernel.EINVAL
	}
	c := kernel.Cmd[epollCtlData](req)
	c.epfd, c.op, c.fd = sqe.Fd, int32(sqe.Len), int32(sqe.Off)
	if c.op != unix.EPOLL_CTL_DEL { // ep_op_has_event
		ev, errno := vfs.ReadEpollEvent(kernel.ReqMM(req), sqe.Addr)
		if errno != 0 {
			return errno
		}
		c.event = ev
	}
	return 0
}

// epollCtl: an inline attempt that finds the epoll's mutex held goes to
// io-wq.
// Linux: io_uring/epoll.c:io_epoll_ctl()
func epollCtl(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	c := kernel.Cmd[epollCtlData](req)
	ret := kernel.ReqEpollCtl(t, req, int(c.epfd), int(c.op), int(c.fd), &c.event, issueFlags)
	if issueFlags&kernel.IO_URING_F_NONBLOCK != 0 && ret == -kernel.EAGAIN {
		return -kernel.EAGAIN
	}
	if ret < 0 {
		kernel.ReqSetFail(req)
	}
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}

// epollWaitData is IORING_OP_EPOLL_WAIT's state (struct io_epoll_wait).
type epollWaitData struct {
	maxevents int32
	events    uint64
}

// epollWaitPrep: len is maxevents, addr the events array.
// Linux: io_uring/epoll.c:io_epoll_wait_prep()
func epollWaitPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.Off != 0 || sqe.OpFlags != 0 || sqe.BufIndex != 0 || sqe.SpliceFdIn != 0 {
		return -kernel.EINVAL
	}
	w := kernel.Cmd[epollWaitData](req)
	w.maxevents, w.events = int32(sqe.Len), sqe.Addr
	return 0
}

// epollWait copies the ready events without sleeping; with none ready it
// is -EAGAIN, and the request waits on the epoll file through poll
// arming (the op is pollin) and retries.
// Linux: io_uring/epoll.c:io_epoll_wait()
func epollWait(t *sim.Thread, req *kernel.Req, _ uint32) int {
	w := kernel.Cmd[epollWaitData](req)
	ret := vfs.EpollSendevents(t, kernel.ReqFile(req), kernel.ReqMM(req), w.events, int(w.maxevents))
	if ret == 0 {
		return -kernel.EAGAIN
	}
	if ret < 0 {
		kernel.ReqSetFail(req)
	}
	kernel.ReqSetRes(req, int32(ret), 0)
	return kernel.IOU_COMPLETE
}
