// Package sqpoll is the SQPOLL thread of io_uring and the io_sq_data it
// shares between rings (IORING_SETUP_SQPOLL, IORING_SETUP_ATTACH_WQ), as
// Linux 6.18 io_uring/sqpoll.c does them.
//
// The package never imports kernel: the kernel's ring (*kernel.Ctx)
// satisfies Ring, and the SQ thread's io_uring_task satisfies Task, so the
// loop here drives submission, IOPOLL reaping and task work through them.
//
// # Life cycle (io_sq_offload_create, io_sq_thread_finish)
//
//	sqd := sqpoll.New(cfg)                // io_get_sq_data: a new io_sq_data (one reference)
//	// or, with IORING_SETUP_ATTACH_WQ:   sqd, ret := other.Attach(tgid)  (-EPERM: make a new one)
//	if ret := sqd.AddRing(t, ctx, attached); ret < 0 { sqd.RemoveRing(t, ctx); return ret }
//	if !attached { sqd.Start(t, pid, tgid, allocTctx) }  // create_io_thread, wake_up_new_task
//	...
//	sqd.Wake(t)                           // io_uring_enter(IORING_ENTER_SQ_WAKEUP)
//	sqpoll.WaitSQ(t, ctx)                 // io_uring_enter(IORING_ENTER_SQ_WAIT)
//	sqd.Park(t); ...; sqd.Unpark(t)       // io_uring_register and friends
//	sqd.RemoveRing(t, ctx)                // ring teardown: detach, drop the reference;
//	                                      // the last one stops the thread
//
// # The sleep protocol (bug museum M9)
//
// When the thread has found no work for sq_thread_idle it queues itself on
// sqd.wait, sets IORING_SQ_NEED_WAKEUP in every attached ring's sq_flags,
// and only then (after a full barrier, smp_mb__after_atomic) reads each SQ
// tail again: entries published meanwhile keep it awake. The application
// does the mirror image (liburing: publish the tail, full barrier, read the
// flags, enter with IORING_ENTER_SQ_WAKEUP if NEED_WAKEUP is set), so at
// least one side sees the other's store. In deterministic mode the barrier
// is a yield point, so the scheduler explores both orders.
// Bugs.SQPollNoFence performs the re-check's load before the flag store
// (the store→load reordering of a missing barrier) to reproduce the lost
// wakeup.
//
// # Virtual time
//
// Linux spins for sq_thread_idle polling the SQ tails, and so does the
// thread in concurrent mode. On the deterministic mode's virtual clock a
// spinning thread would stop time (it advances only when no thread is
// runnable), so between finding no work and the idle deadline the thread
// sleeps in short polls instead (Config.PollMin doubling up to
// Config.PollMax, never past the deadline), still on sqd.wait so a wakeup
// ends a poll early: an entry published in that window is picked up at the
// next poll, without any enter, as the spinning thread would pick it up.
// The idle deadline itself is exact: the thread sets NEED_WAKEUP at
// last-work + sq_thread_idle on the virtual clock.
//
// # Differences from Linux
//
// Each is also marked "Differs from Linux:" where it happens.
//
//   - Deterministic mode polls instead of spinning before the idle
//     deadline (above), and the deadline test time_after(jiffies, timeout)
//     is now >= timeout.
//   - No credentials (sq_creds), CPU affinity (sq_cpu, IORING_SETUP_SQ_AFF),
//     NAPI busy polling or audit; WorkTime counts virtual time, which
//     submitting does not consume, so it stays 0 in deterministic mode.
//   - Signals: the only fatal signal is the world's (Shutdown); the
//     TIF_NOTIFY_SIGNAL that task work raises is a flag of the Data.
//   - WARN_ON_ONCE (parking from the SQ thread, stopping twice, dropping
//     the last reference with a park pending) panics.
//
// # Lock order
//
//	Data lock (sqd->lock)
//	  the ring's uring_lock (taken inside Ring.SQPollSubmit)
//
// Linux: io_uring/sqpoll.c, io_uring/sqpoll.h
package sqpoll
