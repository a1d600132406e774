package uring

import "github.com/uringsim/uringsim/rings"

// PrepRW fills the fields every read/write-shaped SQE has: opcode, fd,
// addr, len and off. The other fields are left as GetSQE cleared them.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_rw()
func PrepRW(sqe *rings.SQE, op uint8, fd int32, addr uint64, length uint32, off uint64) {
	sqe.Opcode = op
	sqe.Fd = fd
	sqe.Off = off
	sqe.Addr = addr
	sqe.Len = length
}

// PrepNop prepares an IORING_OP_NOP. Its behaviour is chosen with
// sqe.OpFlags (IORING_NOP_*) and, with IORING_NOP_INJECT_RESULT, sqe.Len.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_nop()
func PrepNop(sqe *rings.SQE) { PrepRW(sqe, rings.IORING_OP_NOP, -1, 0, 0, 0) }

// PrepNopResult prepares a NOP that completes with res
// (IORING_NOP_INJECT_RESULT: the result travels in sqe->len).
func PrepNopResult(sqe *rings.SQE, res int32) {
	PrepRW(sqe, rings.IORING_OP_NOP, -1, 0, uint32(res), 0)
	sqe.OpFlags = rings.IORING_NOP_INJECT_RESULT
}

// PrepRead prepares an IORING_OP_READ of length bytes at user address buf
// from fd at offset off.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_read()
func PrepRead(sqe *rings.SQE, fd int32, buf uint64, length uint32, off uint64) {
	PrepRW(sqe, rings.IORING_OP_READ, fd, buf, length, off)
}

// PrepWrite prepares an IORING_OP_WRITE.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_write()
func PrepWrite(sqe *rings.SQE, fd int32, buf uint64, length uint32, off uint64) {
	PrepRW(sqe, rings.IORING_OP_WRITE, fd, buf, length, off)
}

// PrepFsync prepares an IORING_OP_FSYNC of fd; flags may be
// IORING_FSYNC_DATASYNC.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_fsync()
func PrepFsync(sqe *rings.SQE, fd int32, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_FSYNC, fd, 0, 0, 0)
	sqe.OpFlags = flags
}
