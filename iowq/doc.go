// Package iowq is io_uring's async worker pool, io-wq: the threads that run
// requests which cannot complete inline (IOSQE_ASYNC, -EAGAIN punts,
// blocking ops), mirroring Linux 6.18's io_uring/io-wq.c and io-wq.h.
//
// One WQ belongs to one task (the kernel's tctx->io_wq); its workers are sim
// threads named "iou-wrk-<pid>". Work is split into two accounts, bound
// (IO_WQ_ACCT_BOUND: regular file and block I/O, at most
// min(sq_entries, 4*nr_cpus) workers, see BoundedWorkers) and unbound
// (IO_WQ_ACCT_UNBOUND: work that may wait forever, sockets and pipes, at most
// RLIMIT_NPROC workers). Hashed work (HashWork, the kernel hashes buffered
// writes by inode) runs serially per hash bucket across every io-wq sharing
// the ring's Hash; a worker that finds only busy hashes marks its account
// stalled and is woken through the Hash's wait queue when a bucket frees.
// Workers are created on demand (Enqueue, or a worker blocking in DoWork while
// work is queued, see WQ.WorkerSleeping) and exit after WORKER_IDLE_TIMEOUT of
// virtual time idle, except the last one of an account.
//
// iowq imports only sim: the request type and what running one means are
// the caller's, passed in Data as callbacks (DoWork is io_wq_submit_work,
// FreeWork is io_wq_free_work).
//
// # Locks
//
// Lock order, outermost first (as in Linux):
//
//	acct.lock (work list)        → Hash.wait lock, worker.lock
//	acct.workersLock (worker lists, nr_workers, max_workers) → worker.lock
//	Hash.wait lock → (io_wq_hash_wake: wakeups only)
//
// acct.lock and acct.workersLock are never held together; worker.lock
// (cur_work) is innermost. DoWork and FreeWork run with no iowq lock held. The free and all
// worker lists are RCU lists in Linux: here they are copy-on-write slices
// published through atomic pointers and written under workersLock.
//
// # Differences from Linux 6.18
//
// The stored kernel source read for this port is a linux-next snapshot newer
// than 6.18; the two later additions it carries, IO_WQ_BIT_EXIT_ON_IDLE
// (io_wq_set_exit_on_idle) and the hung-task-timeout loop in
// io_wq_exit_workers, are left out. Beyond that:
//
//   - Differs from Linux: a new worker is created from the thread that needs
//     it (the enqueuer, or the worker blocking in DoWork) rather than from
//     task_work queued on the owning task (io_queue_worker_create with
//     create_worker_cb); creating a sim thread cannot fail or need the
//     task's context, so create_worker_cont, the retry workqueue and
//     io_wq_cancel_tw_create have nothing to do.
//   - Differs from Linux: a worker installs sim.SchedHooks on its thread
//     (what PF_IO_WORKER makes the scheduler do) so a real sleep inside
//     DoWork or FreeWork calls io_wq_worker_sleeping and the wakeup
//     io_wq_worker_running; its own idle sleep calls them directly. The
//     hooks ignore the worker's waits on iowq's own locks (spin_lock never
//     schedules in Linux, while sim lock waits may run the hooks).
//     WQ.WorkerSleeping and WQ.WorkerRunning are the same entry points for
//     an owner that installs its own hooks; all are idempotent
//     (IO_WORKER_F_RUNNING).
//   - Differs from Linux: no worker refcounts, RCU or kfree: the Go heap keeps
//     an exiting worker alive; an exiting flag plays io_worker_get failing.
//   - Differs from Linux: workers run no task_work of their own
//     (io_run_task_work in the worker loop is a no-op) and take no signals
//     but the world's; __set_notify_signal on a worker (cancel, exit) is a
//     WakeUp of the worker if it sleeps interruptibly.
//   - Differs from Linux: a worker's CPU is fixed at creation (round robin over
//     the affinity mask then in force), which is what the idle exit's
//     cpumask_test_cpu(raw_smp_processor_id(), wq->cpu_mask) tests.
//
// # Linux behaviour worth knowing
//
// Reproduced, not divergences (see race_test.go and museum_test.go):
//
//   - A worker finishing work is not on the free list during its first
//     check of the queue, but it is still TASK_RUNNING then, so it loops
//     and checks again after putting itself on the free list: an Enqueue
//     in between always finds and wakes it. Stats.IdleFound (work found
//     only after an idle timeout) stays 0 in correct runs; museum switch
//     Bugs.IOWQCheckOutsideLock (M11) makes it non-zero.
//   - A worker that decided to exit on its idle timeout stays on the free
//     list until io_worker_exit drops its reference; an Enqueue in that
//     window counts it as activated and creates nobody. With other workers
//     left, the work waits for their idle timeout; when the exiting worker
//     was the last (its CPU left the affinity mask) the work waits for the
//     next Enqueue.
//
// Linux: io_uring/io-wq.c, io_uring/io-wq.h
package iowq
