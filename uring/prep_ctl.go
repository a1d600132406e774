package uring

import "github.com/uringsim/uringsim/rings"

// PrepMsgRing prepares an IORING_OP_MSG_RING that posts a CQE with
// user_data data and res length on the ring whose file descriptor is fd;
// flags are IORING_MSG_RING_* flags (sqe->msg_ring_flags).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_msg_ring()
func PrepMsgRing(sqe *rings.SQE, fd int32, length uint32, data uint64, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_MSG_RING, fd, 0, length, data)
	sqe.OpFlags = flags
}

// PrepMsgRingCQEFlags is PrepMsgRing with IORING_MSG_RING_FLAGS_PASS:
// the target's CQE carries cqeFlags (passed in sqe->file_index).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_msg_ring_cqe_flags()
func PrepMsgRingCQEFlags(sqe *rings.SQE, fd int32, length uint32, data uint64, flags, cqeFlags uint32) {
	PrepRW(sqe, rings.IORING_OP_MSG_RING, fd, 0, length, data)
	sqe.OpFlags = rings.IORING_MSG_RING_FLAGS_PASS | flags
	sqe.SpliceFdIn = int32(cqeFlags)
}

// PrepMsgRingFd prepares an IORING_MSG_SEND_FD message: the file in the
// sender's registered slot sourceFd goes to the target ring's slot
// targetFd (0-based; IORING_FILE_INDEX_ALLOC to let the kernel pick);
// data is the user_data of the target's CQE.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_msg_ring_fd()
func PrepMsgRingFd(sqe *rings.SQE, fd int32, sourceFd int32, targetFd uint32, data uint64, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_MSG_RING, fd, rings.IORING_MSG_SEND_FD, 0, data)
	sqe.Addr3 = uint64(uint32(sourceFd))
	// The slot is offset by one so that 0 means none; ALLOC is
	// stored as is (liburing decrements it before adding the one).
	if targetFd != rings.IORING_FILE_INDEX_ALLOC {
		targetFd++
	}
	sqe.SpliceFdIn = int32(targetFd)
	sqe.OpFlags = flags
}
