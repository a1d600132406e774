package iowq

import (
	"slices"
	"sync/atomic"

	"github.com/uringsim/uringsim/sim"
)

// worker is one io-wq thread (struct io_worker).
type worker struct {
	flags       atomic.Uint32 // IO_WORKER_F_*
	task        *sim.Thread
	wq          *WQ
	acct        *acct
	cpu         int
	exiting     atomic.Bool // its reference is gone (io_worker_get fails)
	createState atomic.Bool // bit 0 of create_state
	notify      atomic.Bool // TIF_NOTIFY_SIGNAL: cancel or exit kicked it

	// internal > 0 while the worker runs iowq's own code rather than
	// DoWork/FreeWork: its lock waits are spin_lock waits, which never
	// reach io_wq_worker_sleeping in Linux, so the hooks ignore them.
	// Only the worker's own thread touches it.
	internal int32
	hooks    sim.SchedHooks
	init     sim.Completion

	lock    sim.SpinLock // guards curWork for other threads
	curWork *Work
}

// addWorker publishes wk on a copy-on-write list (under workersLock).
func addWorker(l *atomic.Pointer[[]*worker], wk *worker, head bool) {
	var old []*worker
	if p := l.Load(); p != nil {
		old = *p
	}
	n := make([]*worker, 0, len(old)+1)
	if head {
		n = append(n, wk)
		n = append(n, old...)
	} else {
		n = append(n, old...)
		n = append(n, wk)
	}
	l.Store(&n)
}

// delWorker removes wk from a copy-on-write list (under workersLock).
func delWorker(l *atomic.Pointer[[]*worker], wk *worker) {
	p := l.Load()
	if p == nil {
		return
	}
	i := slices.Index(*p, wk)
	if i < 0 {
		return
	}
	n := slices.Delete(slices.Clone(*p), i, i+1)
	l.Store(&n)
}

// list reads a copy-on-write list (rcu_dereference).
func list(l *atomic.Pointer[[]*worker]) []*worker {
	if p := l.Load(); p != nil {
		return *p
	}
	return nil
}

// workerRefPut drops a worker reference of the io-wq; the last one
// completes worker_done.
// Linux: io_uring/io-wq.c:io_worker_ref_put()
func (wq *WQ) workerRefPut(t *sim.Thread) {
	if wq.workerRefs.Add(-1) == 0 {
		wq.workerDone.Complete(t)
	}
}

// activateFreeWorker wakes the first free worker of the account that is not
// exiting and reports whether there was one. A free worker that is already
// running (starting or finishing work) counts too: if it goes to sleep it
// will create a worker for the work anyway.
// Linux: io_uring/io-wq.c:io_acct_activate_free_worker()
func (wq *WQ) activateFreeWorker(t *sim.Thread, a *acct) bool {
	for _, wk := range list(&a.freeList) {
		if wk.exiting.Load() {
			continue
		}
		if wq.w.Tracing() {
			wq.emit(t, "io_wq_activate_free_worker", sim.I("worker", int64(wk.task.ID())), sim.S("acct", acctName(a)))
		}
		wk.task.WakeUp(t)
		return true
	}
	return false
}

// createWorker creates a worker for the account unless it is at its
// maximum (then it reports true: someone will run the work). It reports
// false only when creating failed.
// Linux: io_uring/io-wq.c:io_wq_create_worker()
func (wq *WQ) createWorker(t *sim.Thread, a *acct) bool {
	a.workersLock.Lock(t)
	if a.nrWorkers.Load() >= a.maxWorkers.Load() {
		a.workersLock.Unlock(t)
		return true
	}
	a.nrWorkers.Add(1)
	a.workersLock.Unlock(t)
	a.nrRunning.Add(1)
	wq.workerRefs.Add(1)
	return wq.createIOWorker(t, a)
}

// createIOWorker starts the thread of a new worker, already counted in
// nr_workers, nr_running and worker_refs; on failure it undoes the counts.
// Linux: io_uring/io-wq.c:create_io_worker()
func (wq *WQ) createIOWorker(t *sim.Thread, a *acct) bool {
	wk := &worker{wq: wq, acct: a}
	if wq.shareFiles != nil {
		wq.shareFiles()
	}
	th := wq.w.Go(t, wq.name, wk.run)
	if th.State() == sim.TaskDead { // the world shut down: create_io_thread failed
		a.nrRunning.Add(-1)
		a.workersLock.Lock(t)
		a.nrWorkers.Add(-1)
		a.workersLock.Unlock(t)
		wq.workerRefPut(t)
		return false
	}
	wq.initNewWorker(t, a, wk, th)
	return true
}

// initNewWorker binds the new thread to its worker, puts it on the free and
// all lists and lets it run (wake_up_new_task).
// Linux: io_uring/io-wq.c:io_init_new_worker()
func (wq *WQ) initNewWorker(t *sim.Thread, a *acct, wk *worker, th *sim.Thread) {
	wk.task = th
	wk.cpu = wq.pickCPU()
	wq.tlock.Lock(t)
	wq.threads = slices.DeleteFunc(wq.threads, func(x *sim.Thread) bool { return x.State() == sim.TaskDead })
	wq.threads = append(wq.threads, th)
	wq.tlock.Unlock(t)
	a.workersLock.Lock(t)
	addWorker(&a.freeList, wk, true)
	addWorker(&a.allList, wk, false)
	wk.flags.Or(ioWorkerFFree)
	a.workersLock.Unlock(t)
	if wq.w.Tracing() {
		wq.emit(t, "io_wq_create_worker", sim.I("worker", int64(th.ID())), sim.S("acct", acctName(a)),
			sim.I("cpu", int64(wk.cpu)), sim.I("nr_workers", int64(a.nrWorkers.Load())))
	}
	wk.init.Complete(t)
}

// queueWorkerCreate asks for another worker of the account because wk
// blocks while work is queued.
// Differs from Linux: create_worker_cb runs at once on the calling thread
// instead of as task_work of the owning task.
// Linux: io_uring/io-wq.c:io_queue_worker_create()
func (wk *worker) queueWorkerCreate(t *sim.Thread, a *acct) bool {
	wq := wk.wq
	if wq.exiting() || wk.exiting.Load() || !wk.createState.CompareAndSwap(false, true) {
		// raced with exit, or a create is already pending
		a.nrRunning.Add(-1)
		wq.workerRefPut(t)
		return false
	}
	wq.workerRefs.Add(1)
	wk.createWorkerCb(t)
	wq.workerRefPut(t)
	return true
}

// createWorkerCb wakes a free worker or, below the maximum, creates one.
// Linux: io_uring/io-wq.c:create_worker_cb()
func (wk *worker) createWorkerCb(t *sim.Thread) {
	wq, a := wk.wq, wk.acct
	doCreate := false
	if !wq.activateFreeWorker(t, a) {
		a.workersLock.Lock(t)
		if a.nrWorkers.Load() < a.maxWorkers.Load() {
			a.nrWorkers.Add(1)
			doCreate = true
		}
		a.workersLock.Unlock(t)
	}
	if doCreate {
		wq.createIOWorker(t, a)
	} else {
		a.nrRunning.Add(-1)
		wq.workerRefPut(t)
	}
	wk.createState.Store(false)
}

// hashDefer reports whether work (running) and the first queued work are
// hashed to the same bucket: a new worker could not run it. Called with
// acct.lock held.
// Linux: io_uring/io-wq.c:io_wq_hash_defer()
func hashDefer(work *Work, a *acct) bool {
	flags := work.Flags.Load()
	if !isHashed(flags) {
		return false
	}
	if a.workList.empty() {
		return true
	}
	next := a.workList.first.Flags.Load()
	if !isHashed(next) {
		return false
	}
	return workHash(flags) == workHash(next)
}

// decRunning drops the worker from nr_running; if it was the last running
// worker of the account while it holds work and runnable work is queued,
// another worker is woken or created.
// Linux: io_uring/io-wq.c:io_wq_dec_running()
func (wk *worker) decRunning(t *sim.Thread) {
	a := wk.acct
	if wk.flags.Load()&ioWorkerFUp == 0 {
		return
	}
	if a.nrRunning.Add(-1) != 0 {
		return
	}
	if wk.curWork == nil {
		return
	}
	if !runQueue(t, a) {
		return
	}
	if hashDefer(wk.curWork, a) {
		a.lock.Unlock(t)
		return
	}
	a.lock.Unlock(t)
	a.nrRunning.Add(1)
	wk.wq.workerRefs.Add(1)
	wk.queueWorkerCreate(t, a)
}

// workerFor finds wq's worker running on t, or nil.
func (wq *WQ) workerFor(t *sim.Thread) *worker {
	for i := range wq.acct {
		for _, wk := range list(&wq.acct[i].allList) {
			if wk.task == t {
				return wk
			}
		}
	}
	return nil
}

// WorkerSleeping tells the io-wq that its worker t is about to block (in
// DoWork): it no longer counts as running, and if it was the account's last
// running worker while runnable work is queued, another worker is woken or
// created. The scheduler calls it in Linux; here the worker's own
// sim.SchedHooks do, and an owner that replaces them (or waits without
// sleeping in sim) calls it before the wait and WorkerRunning after.
// Idempotent; no-op if t is not a worker of wq or runs iowq code.
// Linux: io_uring/io-wq.c:io_wq_worker_sleeping()
func (wq *WQ) WorkerSleeping(t *sim.Thread) {
	if wk := wq.workerFor(t); wk != nil && wk.internal == 0 {
		wk.sleeping(t)
	}
}

// WorkerRunning undoes WorkerSleeping once t runs again.
// Linux: io_uring/io-wq.c:io_wq_worker_running()
func (wq *WQ) WorkerRunning(t *sim.Thread) {
	if wk := wq.workerFor(t); wk != nil && wk.internal == 0 {
		wk.running(t)
	}
}

// enter marks the calling thread, if it is one of wq's workers, as running
// iowq code (Enqueue or Cancel called from DoWork/FreeWork) until the
// returned function runs.
func (wq *WQ) enter(t *sim.Thread) func() {
	if !CurrentIsWorker(t) {
		return func() {}
	}
	wk := wq.workerFor(t)
	if wk == nil {
		return func() {}
	}
	wk.internal++
	return func() { wk.internal-- }
}

// sleeping is io_wq_worker_sleeping for a known worker.
// Linux: io_uring/io-wq.c:io_wq_worker_sleeping()
func (wk *worker) sleeping(t *sim.Thread) {
	f := wk.flags.Load()
	if f&ioWorkerFUp == 0 || f&ioWorkerFRunning == 0 {
		return
	}
	wk.flags.And(^ioWorkerFRunning)
	wk.decRunning(t)
}

// running is io_wq_worker_running for a known worker.
// Linux: io_uring/io-wq.c:io_wq_worker_running()
func (wk *worker) running(t *sim.Thread) {
	f := wk.flags.Load()
	if f&ioWorkerFUp == 0 || f&ioWorkerFRunning != 0 {
		return
	}
	wk.flags.Or(ioWorkerFRunning)
	wk.acct.nrRunning.Add(1)
}

// runQueueLockless is __io_acct_run_queue: runnable work is queued.
// Linux: io_uring/io-wq.c:__io_acct_run_queue()
func runQueueLockless(a *acct) bool {
	return !a.stalled.Load() && a.nrQueued.Load() != 0
}

// runQueue reports whether the account has runnable work; if so it returns
// with acct.lock held.
// Linux: io_uring/io-wq.c:io_acct_run_queue()
func runQueue(t *sim.Thread, a *acct) bool {
	a.lock.Lock(t)
	if !a.stalled.Load() && !a.workList.empty() {
		return true
	}
	a.lock.Unlock(t)
	return false
}

// busy takes the worker off the free list as it starts work.
// Linux: io_uring/io-wq.c:__io_worker_busy()
func (wk *worker) busy(t *sim.Thread) {
	if wk.flags.Load()&ioWorkerFFree != 0 {
		wk.flags.And(^ioWorkerFFree)
		a := wk.acct
		a.workersLock.Lock(t)
		delWorker(&a.freeList, wk)
		a.workersLock.Unlock(t)
	}
}

// idle puts the worker on the free list as it goes to sleep. Called with
// workersLock held.
// Linux: io_uring/io-wq.c:__io_worker_idle()
func (wk *worker) idle() {
	if wk.flags.Load()&ioWorkerFFree == 0 {
		wk.flags.Or(ioWorkerFFree)
		addWorker(&wk.acct.freeList, wk, true)
	}
}

// waitOnHash queues the io-wq on the hash wait queue; if the bucket freed
// meanwhile it dequeues again and reports true (unstalled).
// Linux: io_uring/io-wq.c:io_wait_on_hash()
func (wq *WQ) waitOnHash(t *sim.Thread, hash uint32) bool {
	q := &wq.hash.wait
	ret := false
	q.Lock(t)
	if !wq.wait.Queued() {
		q.AddLocked(&wq.wait)
		if !wq.hash.test(hash) {
			t.SetState(sim.TaskRunning)
			q.RemoveLocked(&wq.wait)
			ret = true
		}
	}
	q.Unlock(t)
	return ret
}

// hashWake is the wake function of the io-wq's entry on the hash wait
// queue: a bucket freed, so every stalled account wakes a free worker.
// Linux: io_uring/io-wq.c:io_wq_hash_wake()
func (wq *WQ) hashWake(t *sim.Thread, e *sim.WaitQueueEntry, key uint32) int {
	wq.hash.wait.RemoveLocked(e)
	for i := range wq.acct {
		a := &wq.acct[i]
		if a.stalled.Swap(false) {
			wq.activateFreeWorker(t, a)
		}
	}
	return 1
}

// getNextWork takes the next runnable work off the account's list: the
// first unhashed work, or the whole run of a hashed bucket nobody runs
// (claiming the bucket). If only busy buckets are queued it marks the
// account stalled and waits on the hash. Called with acct.lock held, which
// it may drop and retake.
// Linux: io_uring/io-wq.c:io_get_next_work()
func (wq *WQ) getNextWork(t *sim.Thread, a *acct) *Work {
	stallHash := int64(-1)
	var prev *Work
	for node := a.workList.first; node != nil; prev, node = node, node.next {
		flags := node.Flags.Load()
		if !isHashed(flags) {
			a.workList.del(node, prev)
			a.nrQueued.Add(-1)
			return node
		}
		hash := workHash(flags)
		// all items with this hash lie in [node, tail]
		tail := wq.hashTail[hash].Load()
		if !wq.hash.testAndSet(hash) {
			wq.hashTail[hash].Store(nil)
			n := int32(1)
			for w := node; w != tail; w = w.next {
				n++
			}
			a.workList.cut(tail, prev)
			a.nrQueued.Add(-n)
			return node
		}
		if stallHash == -1 {
			stallHash = int64(hash)
		}
		// fast forward to the next hash; the loop fixes up prev
		node = tail
	}
	if stallHash != -1 {
		// Set before dropping the lock so new work clears it.
		a.stalled.Store(true)
		if wq.w.Tracing() {
			wq.emit(t, "io_wq_hash_stall", sim.S("acct", acctName(a)), sim.I("hash", stallHash))
		}
		a.lock.Unlock(t)
		unstalled := wq.waitOnHash(t, uint32(stallHash))
		a.lock.Lock(t)
		if unstalled {
			a.stalled.Store(false)
			if wq.hash.wait.HasSleeper(t) {
				wq.hash.wait.WakeUp(t, 0)
			}
		}
	}
	return nil
}

// assignCurrentWork publishes the work the worker runs, for cancellation.
// Linux: io_uring/io-wq.c:io_assign_current_work()
func (wk *worker) assignCurrentWork(t *sim.Thread, work *Work) {
	if work != nil {
		t.Yield() // cond_resched()
	}
	wk.lock.Lock(t)
	wk.curWork = work
	wk.lock.Unlock(t)
}

// handleWork runs queued work until none is runnable: each item, its
// hashed successors and its linked work. Called with acct.lock held
// (runQueue returned true); returns with it released.
// Linux: io_uring/io-wq.c:io_worker_handle_work()
func (wk *worker) handleWork(t *sim.Thread) {
	wq, a := wk.wq, wk.acct
	for {
		doKill := wq.exiting()
		work := wq.getNextWork(t, a)
		if work != nil {
			// Make sure cancelation can find it before it becomes the
			// active work.
			wk.lock.Lock(t)
			wk.curWork = work
			wk.lock.Unlock(t)
		}
		a.lock.Unlock(t)
		if work == nil {
			break
		}
		wk.busy(t)
		wk.assignCurrentWork(t, work)
		t.SetState(sim.TaskRunning)

		// handle a whole dependent link
		for work != nil {
			flags := work.Flags.Load()
			hash := int64(-1)
			if isHashed(flags) {
				hash = int64(workHash(flags))
			}
			nextHashed := work.next
			work.next = nil

			if doKill && flags&IO_WQ_WORK_UNBOUND != 0 {
				work.Flags.Or(IO_WQ_WORK_CANCEL)
			}
			if wq.w.Tracing() {
				wq.emit(t, "io_worker_handle_work", sim.U("work", work.ID), sim.S("acct", acctName(a)),
					sim.I("hash", hash), sim.I("cancel", int64(work.Flags.Load()&IO_WQ_WORK_CANCEL)))
			}
			wk.internal--
			wq.doWork(t, work)
			wk.internal++
			wk.assignCurrentWork(t, nil)

			wk.internal--
			linked := wq.freeWork(t, work)
			wk.internal++
			work = nextHashed
			if work == nil && linked != nil && !isHashed(linked.Flags.Load()) {
				work, linked = linked, nil
			}
			wk.assignCurrentWork(t, work)
			if linked != nil {
				wq.Enqueue(t, linked)
			}

			if hash != -1 && nextHashed == nil {
				// serialize hash clear with wake_up()
				q := &wq.hash.wait
				q.Lock(t)
				wq.hash.clear(uint32(hash))
				a.stalled.Store(false)
				q.Unlock(t)
				if q.HasSleeper(t) {
					q.WakeUp(t, 0)
				}
			}
		}
		if !runQueueLockless(a) {
			break
		}
		a.lock.Lock(t)
	}
}

// scheduleTimeout is the worker's idle sleep with the scheduler hooks
// around it (sched_submit_work / sched_update_worker). It reports whether
// the sleep timed out.
func (wk *worker) scheduleTimeout(t *sim.Thread) bool {
	if wk.notify.Swap(false) {
		// signal_pending(): schedule() does not sleep; get_signal()
		// consumes the notification and the loop goes round.
		t.SetState(sim.TaskRunning)
		return false
	}
	if t.State() != sim.TaskRunning {
		wk.sleeping(t)
	}
	timedOut := t.ScheduleTimeout(WORKER_IDLE_TIMEOUT)
	wk.running(t)
	return timedOut
}

// run is the worker thread: run work while there is some, sleep idle on
// the free list, exit after an idle timeout unless it is the account's
// last worker (and its CPU is still in the mask), or when the io-wq exits.
// Linux: io_uring/io-wq.c:io_wq_worker()
func (wk *worker) run(t *sim.Thread) {
	if !wk.init.WaitInterruptible(t) {
		return // the world shut down before the worker was set up
	}
	wq, a := wk.wq, wk.acct
	exitMask, lastTimeout := false, false
	wk.internal = 1
	// PF_IO_WORKER: the scheduler reports the worker's sleeps in DoWork.
	wk.hooks = sim.SchedHooks{
		Sleeping: func(t *sim.Thread) {
			if wk.internal == 0 {
				wk.sleeping(t)
			}
		},
		Running: func(t *sim.Thread) {
			if wk.internal == 0 {
				wk.running(t)
			}
		},
	}
	t.SetSchedHooks(&wk.hooks)
	wk.flags.Or(ioWorkerFUp | ioWorkerFRunning)
	reason := "exit"

	for !wq.exiting() {
		t.SetState(sim.TaskInterruptible)
		if lastTimeout {
			wq.checkLostWakeup(t, a)
		}
		for runQueue(t, a) {
			wk.handleWork(t)
		}

		a.workersLock.Lock(t)
		// Last sleep timed out. Exit if we're not the last worker, or if
		// someone modified our affinity.
		if lastTimeout && (exitMask || a.nrWorkers.Load() > 1) {
			a.nrWorkers.Add(-1)
			a.workersLock.Unlock(t)
			t.SetState(sim.TaskRunning)
			reason = "idle"
			break
		}
		lastTimeout = false
		wk.idle()
		a.workersLock.Unlock(t)
		t.SetWaitReason("io_wq_worker idle")
		timedOut := wk.scheduleTimeout(t)
		if t.SignalPending() {
			reason = "signal"
			break
		}
		if timedOut {
			lastTimeout = true
			exitMask = !wq.cpuInMask(wk.cpu)
		}
	}
	t.SetState(sim.TaskRunning)
	if wq.exiting() && runQueue(t, a) {
		wk.handleWork(t)
	}
	wk.exit(t, reason)
}

// checkLostWakeup runs when an idle sleep timed out: runnable work queued
// before now means it was queued while the worker slept (or before its
// last check) and nobody woke a worker for it.
func (wq *WQ) checkLostWakeup(t *sim.Thread, a *acct) {
	if !runQueueLockless(a) {
		return
	}
	now := wq.w.Now()
	a.lock.Lock(t)
	first := a.workList.first
	lost := first != nil && !a.stalled.Load() && first.queuedAt < now
	a.lock.Unlock(t)
	if lost {
		a.idleFound.Add(1)
		if wq.w.Tracing() {
			wq.emit(t, "io_wq_lost_wakeup", sim.S("acct", acctName(a)), sim.U("work", first.ID),
				sim.I("waited", int64(now-first.queuedAt)))
		}
	}
}

// exit takes the worker off the lists and drops its counts.
// Linux: io_uring/io-wq.c:io_worker_exit()
func (wk *worker) exit(t *sim.Thread, reason string) {
	wq, a := wk.wq, wk.acct
	wk.exiting.Store(true)

	a.workersLock.Lock(t)
	if wk.flags.Load()&ioWorkerFFree != 0 {
		delWorker(&a.freeList, wk)
	}
	delWorker(&a.allList, wk)
	a.workersLock.Unlock(t)
	wk.decRunning(t)
	wk.flags.Store(0)
	if wq.w.Tracing() {
		wq.emit(t, "io_wq_worker_exit", sim.S("acct", acctName(a)), sim.S("reason", reason),
			sim.I("nr_workers", int64(a.nrWorkers.Load())))
	}
	wq.workerRefPut(t)
}
