package uring

import "github.com/uringsim/uringsim/rings"

// PrepEpollCtl prepares an IORING_OP_EPOLL_CTL: epoll_ctl(epfd, op, fd,
// ev) with ev the user address of a struct epoll_event (12 bytes: u32
// events, u64 data; unused for EPOLL_CTL_DEL).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_epoll_ctl()
func PrepEpollCtl(sqe *rings.SQE, epfd, fd int32, op uint32, ev uint64) {
	PrepRW(sqe, rings.IORING_OP_EPOLL_CTL, epfd, ev, op, uint64(uint32(fd)))
}

// PrepEpollWait prepares an IORING_OP_EPOLL_WAIT of epoll fd: up to
// maxevents ready events are copied to the struct epoll_event array at
// events; with none ready the request waits until one is. flags go to
// sqe->rw_flags (the kernel takes none: nonzero is -EINVAL).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_epoll_wait()
func PrepEpollWait(sqe *rings.SQE, fd int32, events uint64, maxevents int32, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_EPOLL_WAIT, fd, events, uint32(maxevents), 0)
	sqe.OpFlags = flags
}
