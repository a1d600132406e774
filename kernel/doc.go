// Package kernel is the core of the simulated io_uring: io_ring_ctx (Ctx),
// io_kiocb (Req), the io_uring_task context (Tctx), and the three system
// calls io_uring_setup, io_uring_enter and io_uring_register, with
// submission, completion, CQ overflow and task work as io_uring/io_uring.c
// does them.
//
// Reference: Linux 6.18 (torvalds/linux around commit fcb70a56), the files
// io_uring/io_uring.c, tctx.c, register.c, fdinfo.c and
// include/linux/io_uring_types.h. Names follow the kernel: a function
// io_submit_sqes becomes submitSQEs, a uapi or kernel-private constant keeps
// its exact spelling (REQ_F_FORCE_ASYNC). Each doc comment ends with a line
// "Linux: file:function()" naming what it mirrors, and known differences are
// marked "Differs from Linux:" and listed in docs/divergences.md.
//
// Execution: every function here runs on a sim thread, passed explicitly as
// t (the kernel's current). Locks, wait queues and llists come from package
// sim, so each of them is a scheduling point in deterministic mode.
//
// Lock order (outermost first), as in the kernel:
//
//	ctx.uringLock (mutex)          io_ring_ctx.uring_lock
//	  ctx.completionLock (spin)    io_ring_ctx.completion_lock
//	    ctx.timeoutLock (raw spin) io_ring_ctx.timeout_lock
//	  k.futex.lock (spin)          futex_hash_bucket.lock (one for all)
//	  fd table lock (vfs)
//
// Nothing holds completionLock while taking uringLock. A futex wakeup adds
// task work with the futex lock held (q->wake runs under the bucket lock). Wait-queue heads have
// their own internal lock, taken innermost.
package kernel

// LinuxVersion is the kernel release whose behaviour this package mirrors.
const LinuxVersion = "6.18"
