package kernel

import (
	"sync/atomic"

	"github.com/uringsim/uringsim/iowq"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// Tctx is a task's io_uring context (struct io_uring_task): the task_work
// list io_uring feeds, the rings the task has used, and its in-flight
// request count.
// Linux: include/linux/io_uring_types.h:struct io_uring_task
type Tctx struct {
	task     *Task
	taskList sim.LList     // tctx->task_list: requests with task_work pending
	taskWork callbackHead  // tctx->task_work: queued on the task when taskList becomes non-empty
	xa       map[*Ctx]bool // tctx->xa: the rings this task uses, keyed by the ctx
	ctxs     []*Ctx        // the same rings in the order they were added (xa's index order)
	last     *Ctx          // tctx->last: the ring of the latest submit
	inflight int64         // tctx->inflight (percpu counter in the kernel)

	// inflightTracked counts the task's requests marked REQ_F_INFLIGHT
	// (tctx->inflight_tracked); inCancel is tctx->in_cancel, set for
	// good when the task starts exiting; wait is tctx->wait, where the
	// exiting task sleeps until the tracked requests are gone.
	inflightTracked atomic.Int64
	inCancel        atomic.Bool
	wait            sim.WaitQueueHead

	registeredRings [ioRingFDRegMax]*vfs.File // tctx->registered_rings

	twRetry *sim.LLNode    // the SQ thread's task_work left over from a capped run
	ioWQ    *iowq.WQ       // tctx->io_wq
	wqHooks sim.SchedHooks // io_wq_worker_sleeping/running for its workers
}

// addTctxNode makes sure the task has an io_uring_task and that ctx is
// recorded in it.
// Linux: io_uring/tctx.c:__io_uring_add_tctx_node()
func (ctx *Ctx) addTctxNode(task *Task) int {
	tctx := task.ioUring
	if tctx == nil {
		// io_uring_alloc_task_context
		tctx = &Tctx{task: task}
		tctx.taskWork.fn = tctxTaskWork
		tctx.ioWQ = ctx.initWQOffload(task)
		wq := tctx.ioWQ
		tctx.wqHooks = sim.SchedHooks{Sleeping: wq.WorkerSleeping, Running: wq.WorkerRunning}
		task.ioUring = tctx
	}
	if tctx.xa[ctx] { // xa_load
		return 0
	}
	if tctx.xa == nil {
		tctx.xa = map[*Ctx]bool{}
	}
	tctx.xa[ctx] = true
	tctx.ctxs = append(tctx.ctxs, ctx)
	ctx.tctxList = append(ctx.tctxList, tctx)
	if ctx.iowqLimitsSet && tctx.ioWQ != nil {
		limits := ctx.iowqLimits
		tctx.ioWQ.MaxWorkers(task.Thread, &limits)
	}
	return 0
}

// addTctxNodeFromSubmit is addTctxNode on the submission path: a task
// submitting to the ring it submitted to last needs nothing; otherwise
// IORING_SETUP_SINGLE_ISSUER is enforced and the ring becomes the task's
// last.
// Linux: io_uring/tctx.h:io_uring_add_tctx_node()
func (ctx *Ctx) addTctxNodeFromSubmit(task *Task) int {
	if tctx := task.ioUring; tctx != nil && tctx.last == ctx {
		return 0
	}
	return ctx.addTctxNodeFromSubmitSlow(task)
}

// addTctxNodeFromSubmitSlow is addTctxNodeFromSubmit for a ring that is not
// the task's last.
// Linux: io_uring/tctx.c:__io_uring_add_tctx_node_from_submit()
func (ctx *Ctx) addTctxNodeFromSubmitSlow(task *Task) int {
	if ctx.flags&rings.IORING_SETUP_SINGLE_ISSUER != 0 && ctx.submitterTask != task {
		return -EEXIST
	}
	if ret := ctx.addTctxNode(task); ret != 0 {
		return ret
	}
	task.ioUring.last = ctx
	return 0
}

// tctxTaskWork runs a task's io_uring task_work list in the order the items
// were added: the llist is LIFO, so it is reversed first.
// Linux: io_uring/io_uring.c:tctx_task_work(), tctx_task_work_run()
func tctxTaskWork(task *Task) {
	t := task.Thread
	tctx := task.ioUring
	node := tctx.taskList.DelAll(t)
	count := 0
	if node != nil {
		count = handleTWList(t, sim.Reverse(node))
	}
	if w := t.World(); w.Tracing() {
		w.Emit(t, "io_uring_task_work_run", sim.I("count", int64(count)))
	}
}
