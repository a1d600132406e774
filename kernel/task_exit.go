package kernel

import (
	"time"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// jiffy is one scheduler tick: CONFIG_HZ=250, as on the host kernel.
const jiffy = time.Second / 250

// Exit is the io_uring part of do_exit for a task that ends (a thread
// returning, pthread_exit): io_uring_files_cancel first (its registered
// ring descriptors dropped, its io-wq torn down, its rings forgetting it),
// then PF_EXITING, then exit_task_work, which runs the task_work still
// queued and closes the list. The task's requests still in flight are not
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
// stops the task's io-wq from taking work, cancels and waits for the
// requests tracked in flight, then cleans the task's context.
// Differs from Linux: no request is tracked in flight (REQ_F_INFLIGHT marks
// requests on an io_uring file), so there is nothing to cancel or wait for.
// Linux: io_uring/io_uring.c:io_uring_cancel_generic()
func (task *Task) cancelGeneric() {
	t := task.Thread
	tctx := task.ioUring
	if tctx.ioWQ != nil {
		tctx.ioWQ.ExitStart(t)
	}
	tctx.clean(t)
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
// Linux: io_uring/io_uring.c:io_fallback_tw(), __io_fallback_tw()
func fallbackTW(t *sim.Thread, tctx *Tctx) {
	for node := tctx.taskList.DelAll(t); node != nil; {
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
