package kernel

import (
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// reqTaskWorkAdd queues req's task_work function to run in the context of
// the task that submitted it: on the ring's local list with DEFER_TASKRUN,
// otherwise on the task's io_uring task list.
// Linux: io_uring/io_uring.c:__io_req_task_work_add()
func reqTaskWorkAdd(t *sim.Thread, req *Req, flags int) {
	ctx := req.ctx
	if w := ctx.world(); w.Tracing() {
		w.Emit(t, "io_uring_task_add", sim.U("ctx", ctx.ID), sim.U("req", req.ID),
			sim.X("user_data", req.cqe.userData), sim.S("opcode", rings.OpName(req.opcode)))
	}
	if ctx.flags&rings.IORING_SETUP_DEFER_TASKRUN != 0 {
		ctx.localWorkAdd(t, req, flags)
	} else {
		ctx.normalWorkAdd(t, req)
	}
}

// normalWorkAdd adds req to its task's list; the first item on an empty
// list queues the tctx task_work on the task and notifies it.
// Linux: io_uring/io_uring.c:io_req_normal_work_add()
func (ctx *Ctx) normalWorkAdd(t *sim.Thread, req *Req) {
	tctx := req.tctx
	if !tctx.taskList.Add(t, &req.twNode) {
		return // task_work already pending
	}
	if ctx.flags&rings.IORING_SETUP_TASKRUN_FLAG != 0 {
		rings.AtomicOr(&ctx.rings.SQFlags, rings.IORING_SQ_TASKRUN)
	}
	// The SQ thread runs its task_work itself; tell it there is some.
	if ctx.flags&rings.IORING_SETUP_SQPOLL != 0 {
		ctx.sqData.NotifyTaskWork(t)
		return
	}
	if !tctx.task.taskWorkAdd(t, &tctx.taskWork) {
		fallbackTW(t, tctx) // the task has exited
	}
}

// localWorkAdd adds req to the ring's DEFER_TASKRUN list and wakes the
// submitter only when enough work is queued for what it waits for (lazy
// wake), counting queued items in each request's nrTW.
// Linux: io_uring/io_uring.c:io_req_local_work_add()
func (ctx *Ctx) localWorkAdd(t *sim.Thread, req *Req, flags int) {
	if req.flags&IO_REQ_LINK_FLAGS != 0 {
		flags &^= IOU_F_TWQ_LAZY_WAKE
	}
	var nrTWPrev uint32
	if first := ctx.workLList.First(t); first != nil {
		nrTWPrev = first.Item.(*Req).nrTW
	}
	nrTW := nrTWPrev + 1
	if flags&IOU_F_TWQ_LAZY_WAKE == 0 {
		nrTW = IO_CQ_WAKE_FORCE
	}
	req.nrTW = nrTW
	wasEmpty := ctx.workLList.Add(t, &req.twNode)
	if wasEmpty {
		if ctx.flags&rings.IORING_SETUP_TASKRUN_FLAG != 0 {
			rings.AtomicOr(&ctx.rings.SQFlags, rings.IORING_SQ_TASKRUN)
		}
		if ctx.evfd != nil {
			ctx.eventfdSignal(t, false)
		}
	}
	nrWait := rings.LoadAcquire(&ctx.cqWaitNr)
	if nrTW < nrWait || nrTWPrev >= nrWait {
		return // not enough, or a previous add already woke it
	}
	ctx.submitterTask.Thread.WakeUp(t)
}

// handleTWList runs a chain of task_work items in order, taking each ring's
// uringLock around its items and flushing that ring's completions when
// moving on. It returns how many ran.
// Linux: io_uring/io_uring.c:io_handle_tw_list(), ctx_flush_and_put()
func handleTWList(t *sim.Thread, node *sim.LLNode) int {
	var ctx *Ctx
	count := 0
	for node != nil {
		next := node.Next
		req := node.Item.(*Req)
		if req.ctx != ctx {
			if ctx != nil {
				ctx.flushAndPut(t)
			}
			ctx = req.ctx
			ctx.uringLock.Lock(t)
		}
		fn := req.twFunc
		fn(t, req)
		node = next
		count++
	}
	if ctx != nil {
		ctx.flushAndPut(t)
	}
	return count
}

// flushAndPut ends a run of task_work for one ring.
// Linux: io_uring/io_uring.c:ctx_flush_and_put()
func (ctx *Ctx) flushAndPut(t *sim.Thread) {
	if ctx.flags&rings.IORING_SETUP_TASKRUN_FLAG != 0 {
		rings.AtomicAndNot(&ctx.rings.SQFlags, rings.IORING_SQ_TASKRUN)
	}
	ctx.submitFlushCompletions(t)
	ctx.uringLock.Unlock(t)
}

// localWorkPending reports DEFER_TASKRUN work waiting to run.
// Linux: io_uring/io_uring.h:io_local_work_pending()
func (ctx *Ctx) localWorkPending() bool {
	return !ctx.workLList.Empty() || ctx.retryLList.Load() != nil
}

// runLocalWorkLocked runs DEFER_TASKRUN work with uringLock held: retried
// items first, then the list in arrival order (it is LIFO, so reversed),
// at most maxEvents, looping while fewer than minEvents ran and more work
// arrived.
// Linux: io_uring/io_uring.c:__io_run_local_work()
func (ctx *Ctx) runLocalWorkLocked(task *Task, minEvents, maxEvents int) int {
	t := task.Thread
	if ctx.submitterTask != task {
		return -EEXIST
	}
	if ctx.flags&rings.IORING_SETUP_TASKRUN_FLAG != 0 {
		rings.AtomicAndNot(&ctx.rings.SQFlags, rings.IORING_SQ_TASKRUN)
	}
	ret, loops := 0, 0
	for {
		minEvents -= ret
		retry := ctx.retryLList.Load()
		ret = ctx.runLocalWorkLoop(t, &retry, maxEvents)
		ctx.retryLList.Store(retry)
		if retry == nil {
			node := ctx.workLList.DelAll(t)
			if !ctx.k.Bugs.LocalWorkLIFO {
				node = sim.Reverse(node)
			}
			ret += ctx.runLocalWorkLoop(t, &node, maxEvents-ret)
			ctx.retryLList.Store(node)
			loops++
			if ctx.runLocalWorkContinue(ret, minEvents) {
				continue
			}
		}
		ctx.submitFlushCompletions(t)
		if ctx.runLocalWorkContinue(ret, minEvents) {
			continue
		}
		break
	}
	if w := ctx.world(); w.Tracing() {
		w.Emit(t, "io_uring_local_work_run", sim.U("ctx", ctx.ID), sim.I("count", int64(ret)), sim.I("loops", int64(loops)))
	}
	return ret
}

// runLocalWorkLoop runs up to events items from *node, leaving the rest.
// Linux: io_uring/io_uring.c:__io_run_local_work_loop()
func (ctx *Ctx) runLocalWorkLoop(t *sim.Thread, node **sim.LLNode, events int) int {
	ret := 0
	for *node != nil {
		next := (*node).Next
		req := (*node).Item.(*Req)
		req.twFunc(t, req)
		*node = next
		ret++
		if ret >= events {
			break
		}
	}
	return ret
}

// runLocalWorkContinue decides whether to loop for more local work.
// Linux: io_uring/io_uring.c:io_run_local_work_continue()
func (ctx *Ctx) runLocalWorkContinue(events, minEvents int) bool {
	if !ctx.localWorkPending() {
		return false
	}
	if events < minEvents {
		return true
	}
	if ctx.flags&rings.IORING_SETUP_TASKRUN_FLAG != 0 {
		rings.AtomicOr(&ctx.rings.SQFlags, rings.IORING_SQ_TASKRUN)
	}
	return false
}

// runLocalWork takes uringLock and runs local work.
// Linux: io_uring/io_uring.c:io_run_local_work()
func (ctx *Ctx) runLocalWork(task *Task, minEvents, maxEvents int) int {
	ctx.uringLock.Lock(task.Thread)
	ret := ctx.runLocalWorkLocked(task, minEvents, maxEvents)
	ctx.uringLock.Unlock(task.Thread)
	return ret
}

// reqTaskComplete is the task_work that completes a request.
// Linux: io_uring/io_uring.c:io_req_task_complete()
func reqTaskComplete(t *sim.Thread, req *Req) { req.ctx.reqCompleteDefer(req) }

// reqTaskSubmit is the task_work that issues a queued request (a link
// successor, a drained request).
// Linux: io_uring/io_uring.c:io_req_task_submit()
func reqTaskSubmit(t *sim.Thread, req *Req) {
	if shouldTerminateTW(req) {
		req.ctx.reqDeferFailed(t, req, int32(-EFAULT))
	} else if req.flags&REQ_F_FORCE_ASYNC != 0 {
		req.ctx.queueIOWQ(t, req)
	} else {
		req.ctx.queueSQE(t, req)
	}
}

// reqTaskQueue queues req to be issued from task_work.
// Linux: io_uring/io_uring.c:io_req_task_queue()
func reqTaskQueue(t *sim.Thread, req *Req) {
	req.twFunc = reqTaskSubmit
	reqTaskWorkAdd(t, req, 0)
}

// reqTaskQueueFail queues req to be failed with ret from task_work.
// Linux: io_uring/io_uring.c:io_req_task_queue_fail()
func reqTaskQueueFail(t *sim.Thread, req *Req, ret int) {
	req.cqe.res, req.cqe.flags = int32(ret), 0
	req.twFunc = reqTaskCancel
	reqTaskWorkAdd(t, req, 0)
}

// reqTaskCancel is the task_work that fails a request.
// Linux: io_uring/io_uring.c:io_req_task_cancel()
func reqTaskCancel(t *sim.Thread, req *Req) { req.ctx.reqDeferFailed(t, req, req.cqe.res) }
