package uring

import "github.com/uringsim/uringsim/rings"

// PrepMadvise prepares an IORING_OP_MADVISE of length bytes at addr with
// advice (unix.MADV_*).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_madvise()
func PrepMadvise(sqe *rings.SQE, addr uint64, length uint32, advice int) {
	PrepRW(sqe, rings.IORING_OP_MADVISE, -1, addr, length, 0)
	sqe.OpFlags = uint32(advice)
}

// PrepMadvise64 is PrepMadvise with a 64-bit length (carried in off).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_madvise64()
func PrepMadvise64(sqe *rings.SQE, addr uint64, length uint64, advice int) {
	PrepRW(sqe, rings.IORING_OP_MADVISE, -1, addr, 0, length)
	sqe.OpFlags = uint32(advice)
}
