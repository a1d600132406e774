package uring

import (
	"unsafe"

	"github.com/uringsim/uringsim/rings"
)

// FutexWaitv is one entry of a FUTEX_WAITV array in user memory (struct
// futex_waitv): the value the word must hold, the word's user address and
// its futex2 flags (FUTEX2_SIZE_U32, optionally FUTEX2_PRIVATE); Reserved
// must be 0.
//
// Linux: include/uapi/linux/futex.h:struct futex_waitv
type FutexWaitv struct {
	Val      uint64
	Uaddr    uint64
	Flags    uint32
	Reserved uint32
}

// FutexWaitvSize is sizeof(struct futex_waitv).
const FutexWaitvSize = int(unsafe.Sizeof(FutexWaitv{}))

// PrepFutexWait prepares an IORING_OP_FUTEX_WAIT on the futex word at user
// address futex: it waits while the word holds val, until a wake whose
// mask shares a bit with mask (FUTEX_BITSET_MATCH_ANY for any) completes
// it with 0; a word holding another value completes it with -EAGAIN.
// futexFlags are the futex2 flags (sqe->fd); flags (sqe->futex_flags)
// must be 0.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_futex_wait()
func PrepFutexWait(sqe *rings.SQE, futex uint64, val, mask uint64, futexFlags, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_FUTEX_WAIT, int32(futexFlags), futex, 0, val)
	sqe.OpFlags = flags
	sqe.Addr3 = mask
}

// PrepFutexWake prepares an IORING_OP_FUTEX_WAKE of up to val waiters on
// the futex word at user address futex whose bitset meets mask; it
// completes with the number woken (0 when val is 0).
//
// Linux: liburing src/include/liburing.h:io_uring_prep_futex_wake()
func PrepFutexWake(sqe *rings.SQE, futex uint64, val, mask uint64, futexFlags, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_FUTEX_WAKE, int32(futexFlags), futex, 0, val)
	sqe.OpFlags = flags
	sqe.Addr3 = mask
}

// PrepFutexWaitv prepares an IORING_OP_FUTEX_WAITV on the nr FutexWaitv
// entries at user address futexv: it waits while every word holds its
// value and completes with the index of the entry whose word was woken;
// flags (sqe->futex_flags) must be 0.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_futex_waitv()
func PrepFutexWaitv(sqe *rings.SQE, futexv uint64, nr, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_FUTEX_WAITV, 0, futexv, nr, 0)
	sqe.OpFlags = flags
}
