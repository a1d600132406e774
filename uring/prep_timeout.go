package uring

import "github.com/uringsim/uringsim/rings"

// PrepTimeout prepares an IORING_OP_TIMEOUT: it completes with -ETIME
// once the rings.KernelTimespec at ts (an address in the ring's user
// memory) has passed, or with 0 once count other CQEs have been posted
// (count 0: time only); flags are IORING_TIMEOUT_* flags.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_timeout()
func PrepTimeout(sqe *rings.SQE, ts uint64, count, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_TIMEOUT, -1, ts, 1, uint64(count))
	sqe.OpFlags = flags
}

// PrepTimeoutRemove prepares an IORING_OP_TIMEOUT_REMOVE of the timeout
// whose user_data is userData; flags are IORING_TIMEOUT_* flags.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_timeout_remove()
func PrepTimeoutRemove(sqe *rings.SQE, userData uint64, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_TIMEOUT_REMOVE, -1, 0, 0, 0)
	sqe.Addr = userData
	sqe.OpFlags = flags
}

// PrepTimeoutUpdate prepares an IORING_OP_TIMEOUT_REMOVE with
// IORING_TIMEOUT_UPDATE: the timeout whose user_data is userData is
// re-armed with the rings.KernelTimespec at ts (add
// IORING_LINK_TIMEOUT_UPDATE to flags for a linked timeout).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_timeout_update()
func PrepTimeoutUpdate(sqe *rings.SQE, ts uint64, userData uint64, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_TIMEOUT_REMOVE, -1, 0, 0, ts)
	sqe.Addr = userData
	sqe.OpFlags = flags | rings.IORING_TIMEOUT_UPDATE
}

// PrepLinkTimeout prepares an IORING_OP_LINK_TIMEOUT for the request
// linked (IOSQE_IO_LINK) just before it: that request is cancelled if it
// has not completed once the rings.KernelTimespec at ts has passed.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_link_timeout()
func PrepLinkTimeout(sqe *rings.SQE, ts uint64, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_LINK_TIMEOUT, -1, ts, 1, 0)
	sqe.OpFlags = flags
}

// PrepCancel64 prepares an IORING_OP_ASYNC_CANCEL of the request whose
// user_data is userData, or of the requests IORING_ASYNC_CANCEL_* flags
// select. liburing's io_uring_prep_cancel, which takes the user_data as
// a pointer, is this in Go.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_cancel64()
func PrepCancel64(sqe *rings.SQE, userData uint64, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_ASYNC_CANCEL, -1, 0, 0, 0)
	sqe.Addr = userData
	sqe.OpFlags = flags
}

// PrepCancelFd prepares an IORING_OP_ASYNC_CANCEL of the request (with
// IORING_ASYNC_CANCEL_ALL, every request) on file descriptor fd (with
// IORING_ASYNC_CANCEL_FD_FIXED, on fixed file fd).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_cancel_fd()
func PrepCancelFd(sqe *rings.SQE, fd int32, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_ASYNC_CANCEL, fd, 0, 0, 0)
	sqe.OpFlags = flags | rings.IORING_ASYNC_CANCEL_FD
}

// RegisterSyncCancel is IORING_REGISTER_SYNC_CANCEL: it cancels what reg
// selects and waits (up to reg.Timeout; -1/-1 for no limit) until the
// cancelled requests have completed. No match is -ENOENT, a timeout
// -ETIME.
//
// Linux: liburing src/register.c:io_uring_register_sync_cancel()
func (r *Ring) RegisterSyncCancel(reg *rings.SyncCancelReg) error {
	_, err := registerStruct(r, rings.IORING_REGISTER_SYNC_CANCEL, reg, 1)
	return err
}
