package iowq

import (
	"time"

	"github.com/uringsim/uringsim/sim"
)

// cancelData is one cancellation request (struct io_cb_cancel_data).
type cancelData struct {
	fn        func(*Work) bool
	nrRunning int
	nrPending int
	cancelAll bool
}

// runCancel hands work and everything linked after it to the cancel path:
// IO_WQ_WORK_CANCEL set, DoWork (which fails the request with -ECANCELED),
// FreeWork.
// Linux: io_uring/io-wq.c:io_run_cancel()
func (wq *WQ) runCancel(t *sim.Thread, work *Work) {
	for work != nil {
		work.Flags.Or(IO_WQ_WORK_CANCEL)
		if wq.w.Tracing() {
			wq.emit(t, "io_run_cancel", sim.U("work", work.ID), hashField(work.Flags.Load()))
		}
		wq.doWork(t, work)
		work = wq.freeWork(t, work)
	}
}

// removePending unlinks queued work whose predecessor is prev, fixing the
// bucket's tail. Called with acct.lock held.
// Linux: io_uring/io-wq.c:io_wq_remove_pending()
func (wq *WQ) removePending(a *acct, work, prev *Work) {
	flags := work.Flags.Load()
	hash := workHash(flags)
	if isHashed(flags) && wq.hashTail[hash].Load() == work {
		if prev != nil && isHashed(prev.Flags.Load()) && workHash(prev.Flags.Load()) == hash {
			wq.hashTail[hash].Store(prev)
		} else {
			wq.hashTail[hash].Store(nil)
		}
	}
	a.workList.del(work, prev)
	a.nrQueued.Add(-1)
}

// acctCancelPendingWork cancels the first queued work of the account that
// matches and reports whether there was one.
// Linux: io_uring/io-wq.c:io_acct_cancel_pending_work()
func (wq *WQ) acctCancelPendingWork(t *sim.Thread, a *acct, match *cancelData) bool {
	a.lock.Lock(t)
	var prev *Work
	for node := a.workList.first; node != nil; prev, node = node, node.next {
		if !match.fn(node) {
			continue
		}
		wq.removePending(a, node, prev)
		a.lock.Unlock(t)
		wq.runCancel(t, node)
		match.nrPending++
		// not safe to continue after unlock
		return true
	}
	a.lock.Unlock(t)
	return false
}

// cancelPendingWork cancels matching queued work: the first match, or all
// with cancelAll.
// Linux: io_uring/io-wq.c:io_wq_cancel_pending_work()
func (wq *WQ) cancelPendingWork(t *sim.Thread, match *cancelData) {
retry:
	for i := range IO_WQ_ACCT_NR {
		a := wq.getAcct(i == 0)
		if wq.acctCancelPendingWork(t, a, match) {
			if match.cancelAll {
				goto retry
			}
			break
		}
	}
}

// workerCancel flags the worker's current work if it matches and kicks the
// worker (__set_notify_signal): an interruptible sleep in DoWork ends.
// Linux: io_uring/io-wq.c:io_wq_worker_cancel()
func (wq *WQ) workerCancel(t *sim.Thread, wk *worker, match *cancelData) bool {
	wk.lock.Lock(t)
	if w := wk.curWork; w != nil && match.fn(w) {
		w.Flags.Or(IO_WQ_WORK_CANCEL)
		match.nrRunning++
		if wq.w.Tracing() {
			wq.emit(t, "io_wq_worker_cancel", sim.I("worker", int64(wk.task.ID())), sim.U("work", w.ID))
		}
		wk.notify.Store(true)
		if wk.task.State() == sim.TaskInterruptible {
			wk.task.WakeUp(t)
		}
	}
	wk.lock.Unlock(t)
	return match.nrRunning != 0 && !match.cancelAll
}

// cancelRunningWork flags matching work that workers run.
// Linux: io_uring/io-wq.c:io_wq_cancel_running_work()
func (wq *WQ) cancelRunningWork(t *sim.Thread, match *cancelData) {
	for i := range wq.acct {
		a := &wq.acct[i]
		a.workersLock.Lock(t)
		for _, wk := range list(&a.allList) {
			if wk.exiting.Load() {
				continue
			}
			if wq.workerCancel(t, wk, match) {
				break
			}
		}
		a.workersLock.Unlock(t)
	}
}

// Cancel cancels work that match accepts: the first one found, or every
// one with cancelAll. Queued work is taken off the list and handed to the
// cancel path on the calling thread (IO_WQ_WORK_CANCEL set, DoWork,
// FreeWork: the request completes with -ECANCELED, as io_run_cancel does);
// it never runs as normal work. Work a worker runs gets IO_WQ_WORK_CANCEL
// and its worker a kick; it completes on its own. The result is
// IO_WQ_CANCEL_RUNNING if running work matched, else IO_WQ_CANCEL_OK if
// queued work did, else IO_WQ_CANCEL_NOTFOUND. Work of a hashed run that a
// worker already took (behind the work it runs) is found by neither, as in
// Linux.
// Linux: io_uring/io-wq.c:io_wq_cancel_cb()
func (wq *WQ) Cancel(t *sim.Thread, match func(*Work) bool, cancelAll bool) CancelResult {
	defer wq.enter(t)()
	m := &cancelData{fn: match, cancelAll: cancelAll}
	res := wq.cancel(t, m)
	if wq.w.Tracing() {
		wq.emit(t, "io_wq_cancel_cb", sim.S("result", res.String()), sim.I("pending", int64(m.nrPending)),
			sim.I("running", int64(m.nrRunning)), sim.I("all", b2i(cancelAll)))
	}
	return res
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (wq *WQ) cancel(t *sim.Thread, m *cancelData) CancelResult {
	// First the pending list: CANCEL_OK means the work never started.
	// Then running work: CANCEL_RUNNING means cancellation was attempted.
	wq.cancelPendingWork(t, m)
	if m.nrPending != 0 && !m.cancelAll {
		return IO_WQ_CANCEL_OK
	}
	wq.cancelRunningWork(t, m)
	if m.nrRunning != 0 {
		return IO_WQ_CANCEL_RUNNING
	}
	if m.nrPending != 0 {
		return IO_WQ_CANCEL_OK
	}
	return IO_WQ_CANCEL_NOTFOUND
}

// ExitStart marks the io-wq exiting: new work is cancelled on Enqueue,
// workers leave their loop at the next wakeup, unbound work they pick up
// runs with IO_WQ_WORK_CANCEL.
// Linux: io_uring/io-wq.c:io_wq_exit_start()
func (wq *WQ) ExitStart(t *sim.Thread) {
	wq.exit.Store(true)
	if wq.w.Tracing() {
		wq.emit(t, "io_wq_exit_start")
	}
}

// workerWake kicks a worker so it sees the exit (__set_notify_signal and
// wake_up_process).
// Linux: io_uring/io-wq.c:io_wq_worker_wake()
func (wq *WQ) workerWake(t *sim.Thread, wk *worker) {
	wk.notify.Store(true)
	wk.task.WakeUp(t)
}

// exitWorkers wakes every worker and waits until all have exited.
// Linux: io_uring/io-wq.c:io_wq_exit_workers()
func (wq *WQ) exitWorkers(t *sim.Thread) {
	for i := range wq.acct {
		for _, wk := range list(&wq.acct[i].allList) {
			if !wk.exiting.Load() {
				wq.workerWake(t, wk)
			}
		}
	}
	wq.workerRefPut(t)
	t.SetWaitReason("io_wq_exit_workers")
	wq.workerDone.Wait(t)
	wq.reapWorkers(t)

	q := &wq.hash.wait
	q.Lock(t)
	q.RemoveLocked(&wq.wait)
	q.Unlock(t)
}

// reapWorkers waits until every worker thread has ended: a worker drops
// its last reference just before its thread returns.
// Differs from Linux: io_wq_exit_workers does not wait for the exiting
// tasks to be reaped; here PutAndExit returns with none of the io-wq's
// threads left in the world.
func (wq *WQ) reapWorkers(t *sim.Thread) {
	wq.tlock.Lock(t)
	ths := wq.threads
	wq.threads = nil
	wq.tlock.Unlock(t)
	for _, th := range ths {
		for th.State() != sim.TaskDead {
			t.Sleep(time.Nanosecond)
		}
	}
}

// PutAndExit tears the io-wq down after ExitStart: it wakes every worker,
// waits for all of them to exit (the work they run completes, queued
// unbound work is cancelled by them), then cancels whatever is still
// queued. It returns once every worker thread has ended. Call it once,
// from the owner.
// Linux: io_uring/io-wq.c:io_wq_put_and_exit()
func (wq *WQ) PutAndExit(t *sim.Thread) {
	if !wq.exiting() {
		panic("iowq: PutAndExit before ExitStart (WARN_ON_ONCE)")
	}
	if wq.exited {
		panic("iowq: PutAndExit called twice")
	}
	wq.exited = true
	wq.exitWorkers(t)
	// io_wq_destroy
	wq.cancelPendingWork(t, &cancelData{fn: func(*Work) bool { return true }, cancelAll: true})
	if wq.w.Tracing() {
		wq.emit(t, "io_wq_put_and_exit")
	}
}
