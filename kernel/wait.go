package kernel

import (
	"time"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// waitQueue is a task waiting for CQEs (struct io_wait_queue).
// Linux: io_uring/io_uring.h:struct io_wait_queue
type waitQueue struct {
	wq         sim.WaitQueueEntry
	ctx        *Ctx
	cqTail     uint32 // wake when cq.tail reaches this
	nrTimeouts uint32
	// minTimeout is min_wait_usec: until it has passed only cqTail wakes
	// the waiter; then any CQE posted since the wait began does
	// (cqMinTail), and the rest of the timeout applies.
	minTimeout time.Duration
	cqMinTail  uint32
}

// shouldWake reports enough CQEs, or a timeout CQE since the wait began.
// Linux: io_uring/io_uring.h:io_should_wake()
func (iowq *waitQueue) shouldWake() bool {
	ctx := iowq.ctx
	dist := int32(rings.LoadAcquire(&ctx.rings.CQ.Tail) - iowq.cqTail)
	return dist >= 0 || rings.LoadAcquire(&ctx.cqTimeouts) != iowq.nrTimeouts
}

// hasWork reports something the waiter should run: overflowed CQEs to
// flush or local task_work.
// Linux: io_uring/io_uring.h:io_has_work()
func (ctx *Ctx) hasWork() bool {
	return ctx.checkCQ.Load()&ioCheckCQOverflow != 0 || ctx.localWorkPending()
}

// cqringWait waits until minEvents CQEs are available (or a timeout, a
// signal, or dropped CQEs). It first runs pending task work and flushes the
// overflow list, so an overflowed CQE counts as available.
// Linux: io_uring/io_uring.c:io_cqring_wait()
func (ctx *Ctx) cqringWait(task *Task, minEvents int, flags uint32, ext *extArg) int {
	t := task.Thread
	if ctx.flags&rings.IORING_SETUP_DEFER_TASKRUN != 0 && ctx.submitterTask != task {
		return -EEXIST // io_allowed_run_tw
	}
	if ctx.localWorkPending() {
		ctx.runLocalWork(task, minEvents, max(IO_LOCAL_TW_DEFAULT_MAX, minEvents))
	}
	task.runTaskWork(t)
	if ctx.checkCQ.Load()&ioCheckCQOverflow != 0 {
		ctx.cqringDoOverflowFlush(t)
	}
	if int(ctx.cqringEventsUser()) >= minEvents {
		return 0
	}
	return ctx.cqringWaitSleep(task, minEvents, flags, ext)
}

// cqringWaitSleep is cqringWait once the CQEs are not there yet: the wait
// loop, in a function of its own so the common return above pays for
// neither its frame nor its deferred call.
// Linux: io_uring/io_uring.c:io_cqring_wait()
func (ctx *Ctx) cqringWaitSleep(task *Task, minEvents int, flags uint32, ext *extArg) int {
	t := task.Thread
	iowq := waitQueue{ctx: ctx}
	iowq.wq.Thread = t
	iowq.wq.Func = func(waker *sim.Thread, e *sim.WaitQueueEntry, key uint32) int {
		// io_wake_function: overflowed CQEs cannot be flushed from here,
		// so wake the task and let it do that.
		if iowq.shouldWake() || ctx.hasWork() {
			return sim.AutoremoveWakeFunction(waker, e, key)
		}
		return -1
	}
	iowq.cqTail = rings.LoadAcquire(&ctx.rings.CQ.Head) + uint32(minEvents)
	iowq.nrTimeouts = rings.LoadAcquire(&ctx.cqTimeouts)
	iowq.minTimeout = ext.minTime
	iowq.cqMinTail = rings.LoadAcquire(&ctx.rings.CQ.Tail)
	defer ctx.k.liveWait(&iowq)()
	w := ctx.world()
	start := w.Now()
	timeout, hasTimeout := time.Duration(0), false
	if ext.tsSet {
		timeout, hasTimeout = ext.ts, true
		if flags&rings.IORING_ENTER_ABS_TIMER != 0 {
			timeout -= start // the simulated CLOCK_MONOTONIC starts at 0
		}
	}
	if w.Tracing() {
		w.Emit(t, "io_uring_cqring_wait", sim.U("ctx", ctx.ID), sim.I("min_events", int64(minEvents)))
	}
	t.SetWaitReason("io_cqring_wait")
	var ret int
	for {
		nrWait := int32(iowq.cqTail - rings.LoadAcquire(&ctx.rings.CQ.Tail))
		if ctx.flags&rings.IORING_SETUP_DEFER_TASKRUN != 0 {
			rings.StoreRelease(&ctx.cqWaitNr, uint32(nrWait))
			t.SetState(sim.TaskInterruptible)
		} else {
			ctx.cqWait.PrepareToWaitExclusive(t, &iowq.wq, sim.TaskInterruptible)
		}
		ret = ctx.cqringWaitSchedule(task, &iowq, start, timeout, hasTimeout)
		t.SetState(sim.TaskRunning)
		rings.StoreRelease(&ctx.cqWaitNr, IO_CQ_WAKE_INIT)
		// Run task work woken for before checking again.
		if ctx.localWorkPending() {
			ctx.runLocalWork(task, int(nrWait), int(nrWait))
		}
		task.runTaskWork(t)
		if ret < 0 {
			break
		}
		if check := ctx.checkCQ.Load(); check != 0 {
			if check&ioCheckCQOverflow != 0 {
				ctx.cqringDoOverflowFlush(t)
			}
			if check&ioCheckCQDropped != 0 {
				ret = -EBADR
				break
			}
		}
		if iowq.shouldWake() {
			ret = 0
			break
		}
		t.Yield()
	}
	if ctx.flags&rings.IORING_SETUP_DEFER_TASKRUN == 0 {
		ctx.cqWait.FinishWait(t, &iowq.wq)
	}
	t.SetWaitReason("")
	if rings.LoadAcquire(&ctx.rings.CQ.Head) == rings.LoadAcquire(&ctx.rings.CQ.Tail) {
		return ret
	}
	return 0
}

// cqringWaitSchedule sleeps unless there is a reason not to; a positive
// return asks the caller to loop.
// Linux: io_uring/io_uring.c:io_cqring_wait_schedule(), io_cqring_schedule_timeout()
func (ctx *Ctx) cqringWaitSchedule(task *Task, iowq *waitQueue, start, timeout time.Duration, hasTimeout bool) int {
	t := task.Thread
	if ctx.checkCQ.Load() != 0 || ctx.localWorkPending() || task.taskWorkPending() {
		return 1
	}
	if t.SignalPending() {
		return -EINTR
	}
	if iowq.shouldWake() {
		return 0
	}
	if iowq.minTimeout > 0 {
		left := iowq.minTimeout - (ctx.world().Now() - start)
		if left > 0 && !t.ScheduleTimeout(left) {
			return 0
		}
		if ret := ctx.cqringMinTimeout(iowq, timeout, hasTimeout); ret < 0 {
			return ret
		}
		// The timer goes on to the timeout without waking the task: sleep
		// on, until a CQE (any, now) or the timeout.
		if ctx.flags&rings.IORING_SETUP_DEFER_TASKRUN != 0 {
			t.SetState(sim.TaskInterruptible)
		} else {
			ctx.cqWait.PrepareToWaitExclusive(t, &iowq.wq, sim.TaskInterruptible)
		}
		if iowq.shouldWake() {
			return 0
		}
	}
	if !hasTimeout {
		t.Schedule()
		return 0
	}
	left := timeout - (ctx.world().Now() - start)
	if left <= 0 || t.ScheduleTimeout(left) {
		return -ETIME
	}
	return 0
}

// cqringMinTimeout is the end of min_wait_usec: the wait is over (-ETIME,
// which returns 0 when CQEs are there) without a longer timeout, with
// work to run, or with any CQE posted since it began; otherwise from now
// on any new CQE ends it (0), and the rest of the timeout applies.
// Linux: io_uring/io_uring.c:io_cqring_min_timer_wakeup()
func (ctx *Ctx) cqringMinTimeout(iowq *waitQueue, timeout time.Duration, hasTimeout bool) int {
	minTimeout := iowq.minTimeout
	iowq.minTimeout = 0
	if !hasTimeout || minTimeout >= timeout || ctx.hasWork() ||
		iowq.cqMinTail != rings.LoadAcquire(&ctx.rings.CQ.Tail) || ctx.cqringEvents() > 0 {
		return -ETIME
	}
	if ctx.flags&rings.IORING_SETUP_DEFER_TASKRUN != 0 {
		rings.StoreRelease(&ctx.cqWaitNr, 1)
		if ctx.localWorkPending() {
			return -ETIME
		}
	}
	// Linux sets cq_tail to cq_min_tail (the tail is still there): the
	// next posted CQE wakes the task. Here the waiter sleeps on in the
	// loop that tests io_should_wake, so the target is one past it.
	// Differs from Linux: a wakeup for task work alone does not end the
	// wait with an empty CQ.
	iowq.cqTail = iowq.cqMinTail + 1
	return 0
}
