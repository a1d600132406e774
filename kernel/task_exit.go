package kernel

import (
	"math"
	"time"

	"github.com/uringsim/uringsim/iowq"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// jiffy is one scheduler tick: CONFIG_HZ=250, as on the host kernel.
const jiffy = time.Second / 250

// Exit is the io_uring part of do_exit for a task that ends (a thread
// returning, pthread_exit): io_uring_files_cancel first (its registered
// ring descriptors dropped, its io-wq torn down, its rings forgetting it),
// then PF_EXITING, then exit_task_work, which runs the task_work still
// queued and closes the list. io_uring_files_cancel cancels, and waits
// for, only the requests tracked in flight (REQ_F_INFLIGHT: on an io_uring
// file, futex waits). The task's other requests still in flight are not
// cancelled: their task_work, which the task can no longer take, runs on
// each ring's fallback work, where io_should_terminate_tw holds, so a poll
// completes -ECANCELED and a queued issue fails -EFAULT; plain completions
// (a read's result, a timeout's -ETIME) post as usual. Call it once, on the
// task's own thread, as its last act.
// Linux: kernel/exit.c:do_exit(); include/linux/io_uring.h:io_uring_files_cancel(); kernel/task_work.c:exit_task_work()
func (task *Task) Exit() {
	t := task.Thread
	if tctx := task.ioUring; tctx != nil {
		tctx.unregRingfds(t)
		task.cancelGeneric()
	}
	task.exiting = true // exit_signals
	if w := t.World(); w.Tracing() {
		w.Emit(t, "sched_process_exit", sim.S("comm", t.Name()))
	}
	for {
		n := task.taskWorks.DelAllOrClose(t)
		if n == nil {
			return
		}
		task.runTaskWorkChain(n)
	}
}

// unregRingfds drops the task's registered ring descriptors.
// Linux: io_uring/tctx.c:io_uring_unreg_ringfd()
func (tctx *Tctx) unregRingfds(t *sim.Thread) {
	for i, f := range tctx.registeredRings {
		if f != nil {
			tctx.registeredRings[i] = nil
			f.Put(t)
		}
	}
}

// cancelGeneric is io_uring_cancel_generic(false, NULL) at task exit: it
// stops the task's io-wq from taking work, then, while requests tracked in
// flight (REQ_F_INFLIGHT: those on an io_uring file, futex waits) remain,
// cancels the requests of the task's rings whose link holds one and waits
// for them to be freed, then cleans the task's context. Requests not
// tracked stay in flight (see Exit).
// Differs from Linux: where nothing was cancelled the kernel sleeps on
// tctx->wait only if its in-flight count equals the tracked count and
// otherwise spins round the loop again; here the task always sleeps until
// a request of its own is freed (io_put_task wakes tctx->wait during the
// cancel), since a spinning thread would stop virtual time.
// Linux: io_uring/io_uring.c:io_uring_cancel_generic(), tctx_inflight()
func (task *Task) cancelGeneric() {
	t := task.Thread
	tctx := task.ioUring
	if tctx.ioWQ != nil {
		tctx.ioWQ.ExitStart(t)
	}
	tctx.inCancel.Store(true) // left set: no task_work runs normally after
	for {
		tracked := tctx.inflightTracked.Load()
		if tracked == 0 {
			break
		}
		loop := false
		for _, ctx := range tctx.ctxs {
			if ctx.sqData != nil {
				continue // the SQ thread cancels its own requests
			}
			if ctx.tryCancelRequests(t, tctx, false) {
				loop = true
			}
		}
		if loop {
			t.Yield() // cond_resched()
			continue
		}
		var wait sim.WaitQueueEntry
		tctx.wait.PrepareToWait(t, &wait, sim.TaskInterruptible)
		task.runTaskWork(t)
		pending := false
		for _, ctx := range tctx.ctxs {
			if ctx.localWorkPending() {
				pending = true
				break
			}
		}
		// A request freed meanwhile: try again without sleeping.
		if !pending && tracked == tctx.inflightTracked.Load() && !task.taskWorkPending() {
			t.SetWaitReason("io_uring_cancel_generic")
			t.Schedule()
			t.SetWaitReason("")
		}
		tctx.wait.FinishWait(t, &wait)
	}
	tctx.clean(t)
}

// tryCancelRequests cancels the requests of tctx on ctx that a task exit
// cancels (those whose link holds a REQ_F_INFLIGHT member; all of them
// with cancelAll): queued io-wq work, deferred (drained) requests, armed
// polls, waitid and futex waits, timeouts; and it runs the task's
// DEFER_TASKRUN and task_work. With tctx nil (the ring's exit work, on a
// thread that is not the ring's task) it cancels every request of the
// ring: the io-wq work of every task of the ring, polled I/O reaped,
// and the ring's fallback work run instead of a task's task_work. It
// reports whether it found anything.
// Linux: io_uring/io_uring.c:io_uring_try_cancel_requests(), io_uring_try_cancel_iowq()
func (ctx *Ctx) tryCancelRequests(t *sim.Thread, tctx *Tctx, cancelAll bool) bool {
	ret := false
	defer_ := ctx.flags&rings.IORING_SETUP_DEFER_TASKRUN != 0
	if defer_ {
		// so that io_req_local_work_add wakes the task
		rings.StoreRelease(&ctx.cqWaitNr, 1)
	}
	if ctx.rings == nil {
		return false // failed during setup: it issued nothing
	}
	if tctx == nil {
		// io_uring_try_cancel_iowq: the ring's requests in every io-wq.
		// Differs from Linux: work found running (already told to stop)
		// does not count, or the exit work would spin on it and stop
		// virtual time; its HZ/20 wait covers it.
		ctx.uringLock.Lock(t)
		for _, tc := range ctx.tctxList {
			if tc.ioWQ != nil && tc.ioWQ.Cancel(t, ctx.cancelCtxCB, true) == iowq.IO_WQ_CANCEL_OK {
				ret = true
			}
		}
		ctx.uringLock.Unlock(t)
	} else if tctx.ioWQ != nil {
		// Cancels the task's requests of all rings, not only ctx's.
		match := func(w *iowq.Work) bool { return matchTaskSafe(t, w.Item.(*Req), tctx, cancelAll) }
		if tctx.ioWQ.Cancel(t, match, true) != iowq.IO_WQ_CANCEL_NOTFOUND {
			ret = true
		}
	}
	// The SQ thread does its own polling (and never cancels here).
	if ctx.flags&rings.IORING_SETUP_SQPOLL == 0 && cancelAll {
		for len(ctx.iopoll.list) != 0 {
			ctx.uringLock.Lock(t)
			ctx.iopollTryReapEvents(t)
			ctx.uringLock.Unlock(t)
			ret = true
			t.Yield() // cond_resched()
		}
	}
	// io_allowed_defer_tw_run: only the submitter task runs local work.
	if defer_ && tctx != nil && ctx.submitterTask == tctx.task &&
		ctx.runLocalWork(tctx.task, math.MaxInt32, math.MaxInt32) > 0 {
		ret = true
	}
	ctx.uringLock.Lock(t)
	ret = ctx.cancelDeferFiles(t, tctx, cancelAll) || ret
	ret = ctx.pollRemoveAll(t, tctx, cancelAll) || ret
	ret = ctx.waitidRemoveAll(t, tctx, cancelAll) || ret
	ret = ctx.futexRemoveAll(t, tctx, cancelAll) || ret
	ctx.uringLock.Unlock(t)
	ret = ctx.killTimeouts(t, tctx, cancelAll) || ret
	if tctx == nil {
		return ctx.flushFallbackWork(t) || ret
	}
	return tctx.task.runTaskWork(t) || ret
}

// cancelCtxCB matches the io-wq work of ctx's requests.
// Linux: io_uring/io_uring.c:io_cancel_ctx_cb()
func (ctx *Ctx) cancelCtxCB(w *iowq.Work) bool { return w.Item.(*Req).ctx == ctx }

// cancelDeferFiles fails with -ECANCELED the drained requests up to the
// newest one of tctx's that matches, keeping the order of the rest.
// Called with uringLock held.
// Linux: io_uring/io_uring.c:io_cancel_defer_files()
func (ctx *Ctx) cancelDeferFiles(t *sim.Thread, tctx *Tctx, cancelAll bool) bool {
	n := 0
	for i := len(ctx.deferList) - 1; i >= 0; i-- {
		if matchTaskSafe(t, ctx.deferList[i], tctx, cancelAll) {
			n = i + 1
			break
		}
	}
	if n == 0 {
		return false
	}
	cut := append([]*Req(nil), ctx.deferList[:n]...)
	rest := copy(ctx.deferList, ctx.deferList[n:])
	clear(ctx.deferList[rest:])
	ctx.deferList = ctx.deferList[:rest]
	for _, req := range cut {
		ctx.nrDrained -= linkedNr(req)
		reqTaskQueueFail(t, req, -ECANCELED)
	}
	return true
}

// matchTaskSafe is matchTask for a caller that does not hold timeoutLock:
// a link with a linked timeout is walked under it, since the timeout may
// be unhooking itself.
// Linux: io_uring/io_uring.c:io_match_task_safe()
func matchTaskSafe(t *sim.Thread, head *Req, tctx *Tctx, cancelAll bool) bool {
	if tctx != nil && head.tctx != tctx {
		return false
	}
	if cancelAll {
		return true
	}
	if head.flags&REQ_F_LINK_TIMEOUT != 0 {
		head.ctx.timeoutLock.Lock(t)
		defer head.ctx.timeoutLock.Unlock(t)
	}
	return matchTask(head, tctx, false)
}

// trackInflight marks req as one a task exit must cancel and wait for
// (REQ_F_INFLIGHT): a request on an io_uring file, whose reference could
// otherwise keep the ring alive in a cycle, or a futex wait, which needs
// the task's mm.
// Linux: io_uring/io_uring.c:io_req_track_inflight()
func trackInflight(req *Req) {
	if req.flags&REQ_F_INFLIGHT == 0 {
		req.flags |= REQ_F_INFLIGHT
		req.tctx.inflightTracked.Add(1)
	}
}

// clean removes the task from every ring it used and tears its io-wq
// down: work it runs completes, queued work is cancelled.
// Linux: io_uring/tctx.c:io_uring_clean_tctx(), io_uring_del_tctx_node()
func (tctx *Tctx) clean(t *sim.Thread) {
	for _, ctx := range tctx.ctxs {
		ctx.uringLock.Lock(t)
		for i, tc := range ctx.tctxList {
			if tc == tctx {
				ctx.tctxList = append(ctx.tctxList[:i], ctx.tctxList[i+1:]...)
				break
			}
		}
		ctx.uringLock.Unlock(t)
		if tctx.last == ctx {
			tctx.last = nil
		}
		ctx.fallback.start(t, ctx)
	}
	tctx.xa, tctx.ctxs = nil, nil
	if wq := tctx.ioWQ; wq != nil {
		wq.PutAndExit(t)
		tctx.ioWQ = nil
	}
}

// shouldTerminateTW reports whether req's task_work must fail instead of
// doing its work: it runs on an exiting task (PF_EXITING) or on the
// fallback worker (PF_KTHREAD), or the ring is going away. Here the first
// two both mean that the request's task has exited: task_work runs on its
// own task until then, and on the fallback worker after.
// Linux: include/linux/io_uring.h:io_should_terminate_tw()
func shouldTerminateTW(req *Req) bool {
	return req.ctx.dying || (req.tctx != nil && req.tctx.task.exiting)
}

// fallbackWork is ctx->fallback_work: delayed work on the system
// workqueue that runs the task_work of requests whose task can take none.
// Differs from Linux: its kworker is a thread of the ring's own, started
// when a task that used the ring exits (the only way work reaches it).
type fallbackWork struct {
	list   sim.LList      // ctx->fallback_llist
	kick   sim.Completion // the delayed work's timer fired
	worker *sim.Thread
}

// start starts the kworker that runs ctx's fallback work, once.
func (fw *fallbackWork) start(t *sim.Thread, ctx *Ctx) {
	if fw.worker != nil {
		return
	}
	fw.worker = ctx.world().Go(t, "kworker/u:iou_fallback", func(t *sim.Thread) {
		for {
			t.SetWaitReason("worker_thread (idle)")
			if !fw.kick.WaitInterruptible(t) {
				return // Shutdown
			}
			ctx.fallbackReqFunc(t)
		}
	})
}

// fallbackTW moves a task's io_uring task_work, which the task can no
// longer take, to each request's ring's fallback work, a jiffy later.
// Linux: io_uring/io_uring.c:io_fallback_tw()
func fallbackTW(t *sim.Thread, tctx *Tctx) {
	fallbackTWList(t, tctx.taskList.DelAll(t))
}

// fallbackTWList moves the task_work list from node on to each request's
// ring's fallback work, a jiffy later.
// Linux: io_uring/io_uring.c:__io_fallback_tw()
func fallbackTWList(t *sim.Thread, node *sim.LLNode) {
	for node != nil {
		next := node.Next
		req := node.Item.(*Req)
		fw := &req.ctx.fallback
		if fw.list.Add(t, node) {
			// schedule_delayed_work(&ctx->fallback_work, 1)
			req.ctx.world().AfterFunc(t, jiffy, func(ht *sim.Thread) { fw.kick.Complete(ht) })
		}
		node = next
	}
}

// moveTaskWorkFromLocal hands the ring's DEFER_TASKRUN work, which its
// task will never run now, to the fallback work.
// Linux: io_uring/io_uring.c:io_move_task_work_from_local()
func (ctx *Ctx) moveTaskWorkFromLocal(t *sim.Thread) {
	fallbackTWList(t, ctx.workLList.DelAll(t))
	fallbackTWList(t, ctx.retryLList.Swap(nil))
}

// flushFallbackWork runs the ring's fallback work now if any is queued
// and reports whether it did (flush_delayed_work). The kick already timed
// finds the list empty.
// Differs from Linux: a run the fallback kworker has already started is
// not waited for (the caller's next uringLock waits for its end).
// Linux: kernel/workqueue.c:flush_delayed_work()
func (ctx *Ctx) flushFallbackWork(t *sim.Thread) bool {
	if ctx.fallback.list.Empty() {
		return false
	}
	ctx.fallbackReqFunc(t)
	return true
}

// fallbackReqFunc runs the fallback list, newest first as the kernel walks
// it, under the ring lock.
// Linux: io_uring/io_uring.c:io_fallback_req_func()
func (ctx *Ctx) fallbackReqFunc(t *sim.Thread) {
	node := ctx.fallback.list.DelAll(t)
	if node == nil {
		return
	}
	ctx.uringLock.Lock(t)
	for node != nil {
		next := node.Next
		req := node.Item.(*Req)
		if w := ctx.world(); w.Tracing() {
			w.Emit(t, "io_fallback_req_func", sim.U("ctx", ctx.ID), sim.U("req", req.ID),
				sim.X("user_data", req.cqe.userData), sim.S("opcode", rings.OpName(req.opcode)))
		}
		req.twFunc(t, req)
		node = next
	}
	ctx.submitFlushCompletions(t)
	ctx.uringLock.Unlock(t)
}
