package uring

import "github.com/uringsim/uringsim/rings"

// PrepPollAdd prepares a one-shot IORING_OP_POLL_ADD of fd for the events
// in pollMask (POLLIN, POLLOUT, … in sqe->poll32_events).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_poll_add()
func PrepPollAdd(sqe *rings.SQE, fd int32, pollMask uint32) {
	PrepRW(sqe, rings.IORING_OP_POLL_ADD, fd, 0, 0, 0)
	sqe.OpFlags = pollMask
}

// PrepPollMultishot is PrepPollAdd with IORING_POLL_ADD_MULTI: the poll
// stays armed and posts a CQE with IORING_CQE_F_MORE on every wakeup.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_poll_multishot()
func PrepPollMultishot(sqe *rings.SQE, fd int32, pollMask uint32) {
	PrepPollAdd(sqe, fd, pollMask)
	sqe.Len = rings.IORING_POLL_ADD_MULTI
}

// PrepPollRemove prepares an IORING_OP_POLL_REMOVE of the POLL_ADD whose
// user_data is userData.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_poll_remove()
func PrepPollRemove(sqe *rings.SQE, userData uint64) {
	PrepRW(sqe, rings.IORING_OP_POLL_REMOVE, -1, 0, 0, 0)
	sqe.Addr = userData
}

// PrepPollUpdate prepares an IORING_OP_POLL_REMOVE that updates the armed
// POLL_ADD whose user_data is oldUserData: flags holds
// IORING_POLL_UPDATE_EVENTS (the events become pollMask),
// IORING_POLL_UPDATE_USER_DATA (its user_data becomes newUserData) and
// IORING_POLL_ADD_MULTI.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_poll_update()
func PrepPollUpdate(sqe *rings.SQE, oldUserData, newUserData uint64, pollMask, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_POLL_REMOVE, -1, 0, flags, newUserData)
	sqe.Addr = oldUserData
	sqe.OpFlags = pollMask
}
