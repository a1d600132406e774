package kernel

import (
	"time"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/sqpoll"
)

// The ring as the SQPOLL thread drives it (sqpoll.Ring), and the SQ
// thread's task (sqpoll.Task).

// RingID names the ring in the SQ thread's trace events.
func (ctx *Ctx) RingID() uint64 { return ctx.ID }

// SQEntriesPending is io_sqring_entries, read by the SQ thread.
// Linux: io_uring/io_uring.h:io_sqring_entries()
func (ctx *Ctx) SQEntriesPending(t *sim.Thread) uint32 {
	t.Yield()
	return ctx.sqringEntries()
}

// SQPollSubmit is the locked part of __io_sq_thread: submit up to
// toSubmit SQEs as the SQ thread's task, unless the ring is going away or
// disabled, then wake IORING_ENTER_SQ_WAIT waiters.
// Linux: io_uring/sqpoll.c:__io_sq_thread()
func (ctx *Ctx) SQPollSubmit(t *sim.Thread, toSubmit uint32) int {
	task := ctx.sqData.Task().(*sqTask).task
	ret := 0
	ctx.uringLock.Lock(t)
	if len(ctx.iopoll.list) != 0 {
		ctx.doIopoll(t, true)
	}
	if toSubmit != 0 && !ctx.dying && ctx.flags&rings.IORING_SETUP_R_DISABLED == 0 {
		ret = ctx.submitSQEs(task, toSubmit)
	}
	ctx.uringLock.Unlock(t)
	if toSubmit != 0 && ctx.sqoSQWait.HasSleeper(t) {
		ctx.sqoSQWait.WakeUp(t, 0)
	}
	return ret
}

// SQFlags is the shared sq_flags word.
func (ctx *Ctx) SQFlags() *uint32 { return &ctx.rings.SQFlags }

// SQThreadIdle is ctx->sq_thread_idle.
func (ctx *Ctx) SQThreadIdle() time.Duration { return ctx.sqThreadIdle }

// SQFull is io_sqring_full: by the shared head, not the cached one, which
// the SQ thread may have moved past entries it has not committed yet.
// Linux: io_uring/io_uring.h:io_sqring_full()
func (ctx *Ctx) SQFull(t *sim.Thread) bool {
	r := ctx.rings
	return rings.ReadOnce(&r.SQ.Tail)-rings.ReadOnce(&r.SQ.Head) == ctx.sqEntries
}

// SQWait is ctx->sqo_sq_wait (IORING_ENTER_SQ_WAIT sleeps there).
func (ctx *Ctx) SQWait() *sim.WaitQueueHead { return &ctx.sqoSQWait }

// sqTask is the SQ thread's io_uring task.
type sqTask struct{ task *Task }

// RunTaskWork runs up to max items of the SQ thread's task_work, keeping
// the rest for the next round.
// Linux: io_uring/sqpoll.c:io_sq_tw(), io_uring.c:tctx_task_work_run()
func (s *sqTask) RunTaskWork(t *sim.Thread, max uint32) uint32 {
	tctx := s.task.ioUring
	node := tctx.twRetry
	if node == nil {
		node = sim.Reverse(tctx.taskList.DelAll(t))
	}
	if node == nil {
		s.runTaskWorks(t)
		return 0
	}
	// Split off what exceeds max.
	var n uint32 = 1
	last := node
	for last.Next != nil && n < max {
		last, n = last.Next, n+1
	}
	tctx.twRetry, last.Next = last.Next, nil
	count := handleTWList(t, node)
	if w := t.World(); w.Tracing() {
		w.Emit(t, "io_uring_task_work_run", sim.I("count", int64(count)))
	}
	s.runTaskWorks(t)
	return uint32(count)
}

// runTaskWorks is io_sq_tw's task_work_run: the SQ thread's own task_work
// (a deferred fput), which io_uring's work does not go through.
func (s *sqTask) runTaskWorks(t *sim.Thread) {
	if !s.task.taskWorks.Empty() {
		s.task.runTaskWorkList(t)
	}
}

// TaskWorkPending is io_sq_tw_pending, or the SQ thread's own task_work
// pending (task_work_pending(current), which its sleep checks too).
func (s *sqTask) TaskWorkPending(t *sim.Thread) bool {
	tctx := s.task.ioUring
	return tctx.twRetry != nil || !tctx.taskList.Empty() || !s.task.taskWorks.Empty()
}

// CancelAll runs what task_work is left when the SQ thread exits.
// Linux: io_uring/io_uring.c:io_uring_cancel_generic()
func (s *sqTask) CancelAll(t *sim.Thread) {
	for s.TaskWorkPending(t) {
		s.RunTaskWork(t, ^uint32(0))
	}
}

// sqOffloadCreate sets up SQPOLL: a new io_sq_data and SQ thread, or, with
// IORING_SETUP_ATTACH_WQ, the thread of the ring named by wq_fd. Without
// SQPOLL it only validates ATTACH_WQ and SQ_AFF.
// Linux: io_uring/sqpoll.c:io_sq_offload_create(), io_get_sq_data(), io_attach_sq_data()
func (ctx *Ctx) sqOffloadCreate(task *Task, p *rings.Params) int {
	t := task.Thread
	var attachTo *Ctx
	if ctx.flags&rings.IORING_SETUP_ATTACH_WQ != 0 {
		f := task.Proc.Files.Get(t, int(int32(p.WQFd)))
		if f == nil {
			return -ENXIO
		}
		c, isRing := f.Private.(*Ctx)
		f.Put(t)
		if !isRing {
			return -EINVAL
		}
		attachTo = c
	}
	if ctx.flags&rings.IORING_SETUP_SQPOLL == 0 {
		if ctx.flags&rings.IORING_SETUP_SQ_AFF != 0 {
			return -EINVAL
		}
		return 0
	}
	var sqd *sqpoll.Data
	attached := false
	if attachTo != nil {
		if attachTo.sqData == nil {
			return -EINVAL
		}
		d, errno := attachTo.sqData.Attach(int(task.Proc.ID))
		if errno == 0 {
			sqd, attached = d, true
		} else if errno != -EPERM {
			return errno
		}
	}
	if sqd == nil {
		sqd = sqpoll.New(sqpoll.Config{Bugs: ctx.k.Bugs.SQPoll})
	}
	ctx.sqData = sqd
	ctx.sqThreadIdle = sqpoll.IdleFromParams(p.SQThreadIdle)
	if ret := sqd.AddRing(t, ctx, attached); ret != 0 {
		sqd.RemoveRing(t, ctx)
		ctx.sqData = nil
		return ret
	}
	if attached {
		return 0
	}
	if ctx.flags&rings.IORING_SETUP_SQ_AFF != 0 && p.SQThreadCPU >= simCPUs {
		sqd.RemoveRing(t, ctx)
		ctx.sqData = nil
		return -EINVAL
	}
	proc := task.Proc
	sqd.Start(t, t.ID(), int(proc.ID), func(th *sim.Thread) sqpoll.Task {
		sq := proc.NewTask(th)
		ctx.addTctxNode(sq) // io_uring_alloc_task_context
		return &sqTask{task: sq}
	})
	return 0
}

// sqThread is the ring's SQ thread, if it has a live one.
func (ctx *Ctx) sqThread() *sim.Thread {
	if ctx.sqData == nil {
		return nil
	}
	return ctx.sqData.Thread()
}

// simCPUs is the simulated machine's CPU count (nr_cpu_ids).
const simCPUs = 2
