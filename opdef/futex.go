package opdef

import (
	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// futexPrep reads FUTEX_WAIT's and FUTEX_WAKE's SQE: the word's address
// (addr), the value or wake count (addr2), the bitset (addr3) and the
// futex2 flags (fd); len, futex_flags, buf_index and file_index must be 0.
// Only 32-bit words are supported (-EINVAL otherwise), and value and mask
// must fit the word.
// Linux: io_uring/futex.c:io_futex_prep()
func futexPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.Len != 0 || sqe.OpFlags != 0 || sqe.BufIndex != 0 || sqe.SpliceFdIn != 0 {
		return -kernel.EINVAL
	}
	iof := kernel.Cmd[kernel.IoFutex](req)
	iof.Uaddr, iof.Val, iof.Mask = sqe.Addr, sqe.Off, sqe.Addr3
	flags := uint32(sqe.Fd)
	if flags&^kernel.FUTEX2_VALID_MASK != 0 {
		return -kernel.EINVAL
	}
	iof.Flags = kernel.Futex2ToFlags(flags)
	if !kernel.FutexFlagsValid(iof.Flags) {
		return -kernel.EINVAL
	}
	if !kernel.FutexValidateInput(iof.Flags, iof.Val) || !kernel.FutexValidateInput(iof.Flags, iof.Mask) {
		return -kernel.EINVAL
	}
	kernel.ReqTrackInflight(req) // so that the task's exit cancels a wait
	return 0
}

// futexvPrep reads FUTEX_WAITV's SQE: the futex_waitv array (addr) and
// its length (len, 1..FUTEX_WAITV_MAX); no flags or mask.
// Linux: io_uring/futex.c:io_futexv_prep()
func futexvPrep(req *kernel.Req, sqe *rings.SQE) int {
	if sqe.Fd != 0 || sqe.BufIndex != 0 || sqe.SpliceFdIn != 0 || sqe.Off != 0 || sqe.OpFlags != 0 || sqe.Addr3 != 0 {
		return -kernel.EINVAL
	}
	return kernel.FutexvPrep(req, sqe.Addr, sqe.Len)
}

// Linux: io_uring/futex.c:io_futex_wait()
func futexWait(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	return kernel.FutexWaitIssue(t, req, issueFlags)
}

// Linux: io_uring/futex.c:io_futexv_wait()
func futexvWait(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	return kernel.FutexWaitvIssue(t, req, issueFlags)
}

// Linux: io_uring/futex.c:io_futex_wake()
func futexWake(t *sim.Thread, req *kernel.Req, issueFlags uint32) int {
	return kernel.FutexWakeIssue(t, req, issueFlags)
}
