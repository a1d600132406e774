package uring

import "github.com/uringsim/uringsim/rings"

// PrepWaitid prepares an IORING_OP_WAITID: it waits, as waitid(2) does,
// for a child of the program that idtype and id name (unix.P_PID and a
// pid, unix.P_PIDFD and a pidfd, unix.P_PGID and a process group, 0 for
// the caller's, or unix.P_ALL) to change state as options ask
// (unix.WEXITED, unix.WNOHANG, unix.WNOWAIT, ...). It completes with 0,
// writing a siginfo_t at infop (an address in the ring's user memory, or
// 0 for none), or with -ECHILD when no child can match. flags (the SQE's
// waitid_flags) must be 0.
//
// Linux: liburing src/include/liburing.h:io_uring_prep_waitid()
func PrepWaitid(sqe *rings.SQE, idtype uint32, id int32, infop uint64, options, flags uint32) {
	PrepRW(sqe, rings.IORING_OP_WAITID, id, 0, idtype, 0)
	sqe.SetAddr2(infop)
	sqe.SetFileIndex(options)
	sqe.OpFlags = flags
}
