package kernel

import (
	"fmt"
	"strings"

	"github.com/uringsim/uringsim/iowq"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// Liveness: the kernel's quiescence check (sim.World.SetQuiescenceCheck).
// When no thread of a deterministic world can run, the world asks it
// whether a sleeping thread should have been woken, which would be a
// lost wakeup whatever timer is still pending:
//
//   - a task sleeps interruptibly with task_work queued (task_work_add
//     with TWA_SIGNAL ends such a sleep: signal_wake_up);
//   - a CQ waiter sleeps while the CQEs it waits for are in the ring
//     (io_should_wake): the poster's io_cqring_wake should have woken it;
//   - io-wq work is runnable (queued, not stalled on a hash) while a free
//     worker sleeps and none runs (io_wq_activate_free_worker);
//   - an armed poll's file is ready for its events and no wakeup is
//     pending for it (the wait queue callback io_poll_wake; for a
//     multishot poll only a multishot read on a hung-up file, see
//     pollReady);
//   - an SQPOLL thread sleeps idle (NEED_WAKEUP set, not parked) with
//     SQEs in its ring (io_sq_thread re-checks the SQ after setting
//     NEED_WAKEUP; the submitter reads it after publishing the tail).
//
// It also states, for every report (deadlocks too), what the kernel
// holds: per ring the SQ and CQ indices, live requests, queued task work,
// armed polls with their files' ready masks, timeouts, drained requests;
// per task its queued task_work and its io-wq's queues. It reads only:
// no yield point, no lock (the world is stopped between two steps).

// liveSet is what the check walks: every ring and task made in the world
// (skipped once gone) and the CQ waiters now sleeping. Deterministic
// mode only.
type liveSet struct {
	ctxs    []*Ctx
	tasks   []*Task
	waiters []*waitQueue
}

// liveInit installs the check on a deterministic world.
func (k *Kernel) liveInit() {
	if k.World.Deterministic() {
		k.World.SetQuiescenceCheck(sim.QuiescenceCheck{Lost: k.quiescent, Facts: k.liveFacts})
	}
}

func (k *Kernel) liveAddCtx(ctx *Ctx) {
	if k.World.Deterministic() {
		k.live.ctxs = append(k.live.ctxs, ctx)
	}
}

func (k *Kernel) liveAddTask(task *Task) {
	if k.World.Deterministic() {
		k.live.tasks = append(k.live.tasks, task)
	}
}

// liveWait records a CQ waiter until the returned function is called.
func (k *Kernel) liveWait(iowq *waitQueue) func() {
	if !k.World.Deterministic() {
		return func() {}
	}
	k.live.waiters = append(k.live.waiters, iowq)
	return func() {
		for i, w := range k.live.waiters {
			if w == iowq {
				k.live.waiters = append(k.live.waiters[:i], k.live.waiters[i+1:]...)
				return
			}
		}
	}
}

// liveCtx reports whether ctx can be looked at: set up, not going away.
func liveCtx(ctx *Ctx) bool { return ctx.rings != nil && !ctx.dying && !ctx.released }

// quiescent is the quiescence check.
func (k *Kernel) quiescent() (lost []string) {
	for _, task := range k.live.tasks {
		th := task.Thread
		if th.Asleep() && th.State() == sim.TaskInterruptible && !task.exiting && task.taskWorks.Peek() != nil {
			lost = append(lost, fmt.Sprintf("task %s sleeps TASK_INTERRUPTIBLE in %s with task_work queued (%s): task_work_add(TWA_SIGNAL) should have woken it",
				threadName(th), waitReason(th), task.describeTaskWork()))
		}
		if tctx := task.ioUring; tctx != nil && tctx.ioWQ != nil {
			st := tctx.ioWQ.Stats()
			for i, a := range st.Acct {
				if !st.Exiting && a.Queued > 0 && !a.Stalled && a.Running == 0 && a.Free > 0 {
					lost = append(lost, fmt.Sprintf("io-wq of %s: %d %s work item(s) queued, runnable, while %d free worker(s) sleep and none runs: io_wq_activate_free_worker should have woken one",
						threadName(th), a.Queued, acctName(i), a.Free))
				}
			}
		}
	}
	for _, w := range k.live.waiters {
		ctx := w.ctx
		th := w.wq.Thread
		// Only the CQEs count: a timeout that fired (cq_timeouts) wakes
		// the waiter when its CQE is posted, and local work wakes it only
		// once there is enough of it (lazy wake).
		if th != nil && th.Asleep() && liveCtx(ctx) {
			if tail := rings.LoadAcquire(&ctx.rings.CQ.Tail); int32(tail-w.cqTail) >= 0 {
				lost = append(lost, fmt.Sprintf("%s sleeps in io_cqring_wait on ctx=%d though the CQEs it waits for are there (CQ tail %d, waiting for %d): io_cqring_wake should have woken it",
					threadName(th), ctx.ID, tail, w.cqTail))
			}
		}
	}
	for _, ctx := range k.live.ctxs {
		if !liveCtx(ctx) {
			continue
		}
		ctx.cancelTable.each(func(req *Req) {
			if mask, ready := req.pollReady(); ready {
				lost = append(lost, fmt.Sprintf("armed poll %s: its file is ready (mask %#x for events %#x) and no wakeup is pending: io_poll_wake should have queued its task_work",
					req.describe(), mask, req.apoll.poll.events))
			}
		})
		if sqd := ctx.sqData; sqd != nil {
			if th := sqd.Thread(); th != nil && th.Asleep() && th.State() == sim.TaskInterruptible && th.WaitReason() == "io_sq_thread" && !sqd.Parked() {
				// NEED_WAKEUP clear: it polls, asleep until its next look.
				n := rings.LoadAcquire(&ctx.rings.SQ.Tail) - ctx.cachedSQHead
				if n != 0 && rings.LoadAcquire(&ctx.rings.SQFlags)&rings.IORING_SQ_NEED_WAKEUP != 0 {
					lost = append(lost, fmt.Sprintf("SQPOLL thread %s sleeps with NEED_WAKEUP set and %d SQE(s) of ctx=%d unconsumed: io_sq_thread re-checks the SQ after setting NEED_WAKEUP (smp_mb), and a submitter that publishes the tail reads it after smp_mb and enters with IORING_ENTER_SQ_WAKEUP",
						threadName(th), n, ctx.ID))
				}
			}
		}
	}
	return lost
}

// liveFacts describes the kernel's state for a report.
func (k *Kernel) liveFacts() []string {
	var facts []string
	for _, ctx := range k.live.ctxs {
		if !liveCtx(ctx) {
			continue
		}
		r := ctx.rings
		facts = append(facts, fmt.Sprintf("ring ctx=%d: %d live request(s); SQ head %d tail %d; CQ head %d tail %d; overflow %v; local task_work %v",
			ctx.ID, ctx.nrReqAllocated, rings.LoadAcquire(&r.SQ.Head), rings.LoadAcquire(&r.SQ.Tail),
			rings.LoadAcquire(&r.CQ.Head), rings.LoadAcquire(&r.CQ.Tail),
			ctx.checkCQ.Load()&ioCheckCQOverflow != 0, ctx.localWorkPending()))
		for n := ctx.workLList.Peek(); n != nil; n = n.Next {
			facts = append(facts, "  local task_work: "+n.Item.(*Req).describe())
		}
		ctx.cancelTable.each(func(req *Req) {
			f := "  armed poll: " + req.describe()
			if req.apoll != nil {
				f += fmt.Sprintf(" events=%#x refs=%#x", req.apoll.poll.events, req.pollRefs.Load())
			}
			if req.file != nil {
				if mask, ok := vfs.PeekPollMask(req.file); ok {
					f += fmt.Sprintf(" file ready mask=%#x", mask)
				}
			}
			facts = append(facts, f)
		})
		for _, req := range ctx.timeoutList {
			facts = append(facts, "  timeout: "+req.describe())
		}
		for _, req := range ctx.ltimeoutList {
			facts = append(facts, "  linked timeout: "+req.describe())
		}
		for _, req := range ctx.deferList {
			facts = append(facts, "  drained (defer_list): "+req.describe())
		}
		for _, req := range ctx.futexList {
			facts = append(facts, "  futex wait: "+req.describe())
		}
		for _, req := range ctx.waitidList {
			facts = append(facts, "  waitid: "+req.describe())
		}
	}
	for _, task := range k.live.tasks {
		th := task.Thread
		if task.taskWorks.Peek() != nil && !task.exiting {
			facts = append(facts, fmt.Sprintf("task %s: task_work queued: %s", threadName(th), task.describeTaskWork()))
		}
		if tctx := task.ioUring; tctx != nil && tctx.ioWQ != nil {
			st := tctx.ioWQ.Stats()
			var accts []string
			for i, a := range st.Acct {
				accts = append(accts, fmt.Sprintf("%s workers=%d running=%d free=%d queued=%d stalled=%v",
					acctName(i), a.Workers, a.Running, a.Free, a.Queued, a.Stalled))
			}
			facts = append(facts, fmt.Sprintf("io-wq of %s: %s", threadName(th), strings.Join(accts, "; ")))
			for i := range st.Acct {
				for _, w := range tctx.ioWQ.PeekQueued(i) {
					if req, ok := w.Item.(*Req); ok {
						facts = append(facts, fmt.Sprintf("  io-wq %s work: %s", acctName(i), req.describe()))
					}
				}
			}
		}
	}
	return facts
}

// pollReady reports an armed poll whose file is ready while no wakeup
// holds or waits for it (pollRefs clear) and its entry is still queued: a
// wakeup was lost. Arming polls the file after queueing the entry, so a
// one-shot poll (a POLL_ADD, or the internal poll of a request to retry)
// never sits armed on a ready file. A multishot poll is edge-triggered:
// after an event it may wait, on a file still ready, for the next one (a
// POLL_ADD whose CQE the program has; a multishot request that stopped
// reading on a full CQ), so only the one state no later edge can end is
// judged: a multishot read (REQ_F_APOLL_MULTISHOT on a POLLIN opcode, a
// multishot RECV) armed on a file that hung up, which its next issue would
// end with its final CQE. Only files whose readiness can be read without
// a lock (vfs.PeekPollMask) are judged.
func (req *Req) pollReady() (uint32, bool) {
	if req.apoll == nil || req.file == nil || !req.apoll.poll.wait.Queued() || req.pollRefs.Load()&ioPollRefMask != 0 {
		return 0, false
	}
	events := req.apoll.poll.events
	if events&rings.EPOLLONESHOT == 0 {
		if req.flags&REQ_F_APOLL_MULTISHOT == 0 || !req.ctx.k.table.Issue[req.opcode].Pollin {
			return 0, false
		}
		events = rings.EPOLLHUP | rings.EPOLLRDHUP
	}
	mask, ok := vfs.PeekPollMask(req.file)
	if !ok {
		return 0, false
	}
	return mask, mask&(events|rings.EPOLLERR|rings.EPOLLHUP) != 0
}

// describe names a request: ring, id, user_data, opcode.
func (req *Req) describe() string {
	return fmt.Sprintf("ctx=%d req=%d user_data=%#x %s", req.ctx.ID, req.ID, req.cqe.userData, rings.OpName(req.opcode))
}

// describeTaskWork lists the task's queued task_work: io_uring's tctx work
// with the requests on its list, other callbacks by count.
func (task *Task) describeTaskWork() string {
	var parts []string
	other := 0
	for n := task.taskWorks.Peek(); n != nil; n = n.Next {
		cb, ok := n.Item.(*callbackHead)
		if !ok || task.ioUring == nil || cb != &task.ioUring.taskWork {
			other++
			continue
		}
		var reqs []string
		for r := task.ioUring.taskList.Peek(); r != nil; r = r.Next {
			reqs = append(reqs, r.Item.(*Req).describe())
		}
		parts = append(parts, "tctx_task_work for "+strings.Join(reqs, ", "))
	}
	if other > 0 {
		parts = append(parts, fmt.Sprintf("%d other callback(s)", other))
	}
	return strings.Join(parts, "; ")
}

func threadName(t *sim.Thread) string { return fmt.Sprintf("%s[%d]", t.Name(), t.ID()) }

func waitReason(t *sim.Thread) string {
	if r := t.WaitReason(); r != "" {
		return r
	}
	return "a sleep"
}

// acctName names an io-wq account.
func acctName(i int) string {
	if i == iowq.IO_WQ_ACCT_BOUND {
		return "bound"
	}
	return "unbound"
}
