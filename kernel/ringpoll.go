package kernel

import (
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// Poll is io_uring_poll: the ring file is writable while the SQ has room,
// and readable while CQEs wait for the user or something waits for a CQ
// waiter to do it (overflowed CQEs, local task_work), which poll does not
// do itself (taking uring_lock here could deadlock against epoll's mutex).
// Linux: io_uring/io_uring.c:io_uring_poll()
func (ringFileOps) Poll(t *sim.Thread, f *vfs.File, pt *vfs.PollTable) uint32 {
	ctx := f.Private.(*Ctx)
	if !ctx.pollActivated {
		ctx.activatePollWQ(t)
	}
	vfs.PollWait(t, f, &ctx.pollWQ, pt)
	var mask uint32
	if !ctx.SQFull(t) {
		mask |= rings.EPOLLOUT | rings.EPOLLWRNORM
	}
	if ctx.cqringEventsUser() != 0 || ctx.hasWork() {
		mask |= rings.EPOLLIN | rings.EPOLLRDNORM
	}
	return mask
}

// activatePollWQ turns on the ring file's poll wakeups on a DEFER_TASKRUN
// ring, where they are off until first polled: only the submitter posts
// CQEs there, so a task_work on it is the synchronisation. Before the
// submitter is known (IORING_SETUP_R_DISABLED) nothing happens, and
// enabling the ring tries again.
// Linux: io_uring/io_uring.c:io_activate_pollwq(), io_activate_pollwq_cb()
func (ctx *Ctx) activatePollWQ(t *sim.Thread) {
	ctx.completionLock.Lock(t)
	defer ctx.completionLock.Unlock(t)
	if ctx.pollActivated || ctx.pollWQTW { // done, or in progress
		return
	}
	if ctx.k.warnOn(!ctx.taskComplete, "io_activate_pollwq: ring %d completes from other tasks", ctx.ID) {
		return
	}
	if ctx.submitterTask == nil {
		return
	}
	cb := &callbackHead{fn: func(task *Task) {
		t := task.Thread
		ctx.uringLock.Lock(t)
		ctx.pollActivated = true
		ctx.uringLock.Unlock(t)
		// Wakeups between the first poll and now may have been lost.
		ctx.pollWQ.WakeUpAll(t, 0)
	}}
	// Queued or not (the submitter has exited), the work counts as in
	// progress from here on, as poll_wq_task_work.func does.
	ctx.pollWQTW = true
	ctx.submitterTask.taskWorkAdd(t, cb)
}
