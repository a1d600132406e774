package kernel

import (
	"encoding/binary"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// The wait options waitid(2) and IORING_OP_WAITID accept, and what
// kernel_waitid_prepare refuses.
// Linux: include/uapi/linux/wait.h
const (
	waitidValidOptions = unix.WNOHANG | unix.WNOWAIT | unix.WEXITED | unix.WSTOPPED | unix.WCONTINUED |
		unix.WNOTHREAD | unix.WCLONE | unix.WALL
	waitidEventOptions = unix.WEXITED | unix.WSTOPPED | unix.WCONTINUED
)

// The si_code values of SIGCHLD for an exit.
// Linux: include/uapi/asm-generic/siginfo.h:CLD_EXITED
const (
	CLD_EXITED = 1 // child has exited
	CLD_KILLED = 2 // child was killed
	CLD_DUMPED = 3 // child terminated abnormally
)

// siginfoSize is sizeof(siginfo_t), what user_write_access_begin checks.
const siginfoSize = 128

// The offsets of the SIGCHLD fields of a 64-bit siginfo_t.
// Linux: include/uapi/asm-generic/siginfo.h:struct siginfo (_sigchld)
const (
	siginfoSigno  = 0
	siginfoErrno  = 4
	siginfoCode   = 8
	siginfoPid    = 16
	siginfoUid    = 20
	siginfoStatus = 24
)

// pidType is enum pid_type as do_wait uses it: the kind of id wo_pid is.
// Linux: include/linux/pid_types.h:enum pid_type
type pidType int

const (
	pidtypePID  pidType = iota // P_PID, P_PIDFD: one process
	pidtypePGID                // P_PGID: a process group
	pidtypeMax                 // P_ALL: any child
)

// waitidInfo is struct waitid_info: what wait_task_zombie found.
// Linux: kernel/exit.h:struct waitid_info
type waitidInfo struct {
	pid    int32
	uid    uint32
	status int32
	cause  int32
}

// waitOpts is struct wait_opts. The id is kept as a number (pid or
// pgid) or, for P_PIDFD, as the process the pidfd names.
// Linux: kernel/exit.h:struct wait_opts
type waitOpts struct {
	typ         pidType
	pid         int      // P_PID's pid, P_PGID's pgid
	target      *Process // P_PIDFD's process
	flags       uint32   // options
	info        *waitidInfo
	notaskError int
}

// Process groups: every process leads its own group and its children
// stay in it.
// Differs from Linux: there is no setpgid; a P_PGID wait matches all the
// caller's children for id 0 or the caller's pid, and no process for any
// other id (-ECHILD).
func (p *Process) pgid() int { return p.Pid() }

// kernelWaitidPrepare checks waitid's options and id and fills wo:
// -EINVAL for an unknown option, for none of WEXITED/WSTOPPED/WCONTINUED,
// for an unknown idtype or a negative id (zero too for P_PID); a P_PIDFD
// whose descriptor is not a pidfd is -EBADF, and an O_NONBLOCK pidfd adds
// WNOHANG.
// P_PID and P_PGID ids are looked up when the wait runs rather than here;
// simulated pids are never reused, so the outcome is the same.
// Linux: kernel/exit.c:kernel_waitid_prepare(), kernel/pid.c:pidfd_get_pid()
func kernelWaitidPrepare(task *Task, wo *waitOpts, which, upid int32, info *waitidInfo, options uint32) int {
	if options&^waitidValidOptions != 0 || options&waitidEventOptions == 0 {
		return -EINVAL
	}
	*wo = waitOpts{flags: options, info: info}
	switch which {
	case unix.P_ALL:
		wo.typ = pidtypeMax
	case unix.P_PID:
		if upid <= 0 {
			return -EINVAL
		}
		wo.typ, wo.pid = pidtypePID, int(upid)
	case unix.P_PGID:
		if upid < 0 {
			return -EINVAL
		}
		wo.typ, wo.pid = pidtypePGID, int(upid)
		if upid == 0 {
			wo.pid = task.Proc.pgid()
		}
	case unix.P_PIDFD:
		if upid < 0 {
			return -EINVAL
		}
		f := task.Proc.Files.Get(task.Thread, int(upid))
		if f == nil {
			return -EBADF
		}
		p := pidfdProcess(f)
		fflags := f.Flags
		f.Put(task.Thread)
		if p == nil {
			return -EBADF
		}
		wo.typ, wo.target = pidtypePID, p
		if fflags&unix.O_NONBLOCK != 0 {
			wo.flags |= unix.WNOHANG
		}
	default:
		return -EINVAL
	}
	return 0
}

// eligiblePid reports whether child c is of the id the wait names.
// Linux: kernel/exit.c:eligible_pid()
func (wo *waitOpts) eligiblePid(parent, c *Process) bool {
	switch wo.typ {
	case pidtypePID:
		if wo.target != nil {
			return c == wo.target
		}
		return c.Pid() == wo.pid
	case pidtypePGID:
		return wo.pid == parent.pgid() // children share their parent's group
	}
	return true
}

// eligibleChild is eligible_pid plus the __WCLONE/__WALL rule: every
// simulated child was forked with SIGCHLD as its exit signal, so __WCLONE
// without __WALL selects none.
// Linux: kernel/exit.c:eligible_child()
func (wo *waitOpts) eligibleChild(parent, c *Process) bool {
	if !wo.eligiblePid(parent, c) {
		return false
	}
	return wo.flags&unix.WCLONE == 0 || wo.flags&unix.WALL != 0
}

// waitTaskZombie reaps exited child c (unless WNOWAIT, which only looks)
// and fills wo.info; it returns c's pid, or 0 without WEXITED. The
// tasklist lock is held.
// Differs from Linux: si_uid is 0 (the simulator has no credentials; its
// programs run as root).
// Linux: kernel/exit.c:wait_task_zombie()
func (k *Kernel) waitTaskZombie(wo *waitOpts, parent, c *Process) int {
	if wo.flags&unix.WEXITED == 0 {
		return 0
	}
	status := c.sig.exitCode
	if wo.flags&unix.WNOWAIT == 0 {
		c.sig.reaped = true // EXIT_DEAD; release_task unlinks it
		for i, cc := range parent.sig.children {
			if cc == c {
				parent.sig.children = append(parent.sig.children[:i], parent.sig.children[i+1:]...)
				break
			}
		}
	}
	if info := wo.info; info != nil {
		if status&0x7f == 0 {
			info.cause, info.status = CLD_EXITED, int32(status>>8)
		} else {
			info.cause, info.status = CLD_KILLED, int32(status&0x7f)
			if status&0x80 != 0 {
				info.cause = CLD_DUMPED
			}
		}
		info.pid, info.uid = int32(c.Pid()), 0
	}
	return c.Pid()
}

// waitConsiderTask looks at one child: a zombie is reaped; a live child
// means there is something to wait for (notask_error becomes 0).
// Simulated children never stop or continue, so WSTOPPED and WCONTINUED
// find nothing.
// Linux: kernel/exit.c:wait_consider_task()
func (k *Kernel) waitConsiderTask(wo *waitOpts, parent, c *Process) int {
	if c.sig.reaped || !wo.eligibleChild(parent, c) {
		return 0
	}
	if c.sig.exited {
		return k.waitTaskZombie(wo, parent, c)
	}
	wo.notaskError = 0
	return 0
}

// doWait is __do_wait for the process of task: the pid of a child it
// reaped (or looked at, WNOWAIT), -ECHILD when no child can ever match,
// 0 with WNOHANG when one may later, else -vfs.ERESTARTSYS (the caller waits
// on wait_chldexit and tries again).
// Differs from Linux: children belong to the process, not to the thread
// that forked them, so __WNOTHREAD changes nothing.
// Linux: kernel/exit.c:__do_wait(), do_wait_pid(), do_wait_thread()
func (k *Kernel) doWait(t *sim.Thread, parent *Process, wo *waitOpts) int {
	wo.notaskError = -ECHILD
	k.tasklist.Lock(t)
	ret := 0
	if wo.typ == pidtypePID {
		var c *Process
		if wo.target != nil {
			c = wo.target
		} else {
			for _, cc := range parent.sig.children {
				if cc.Pid() == wo.pid {
					c = cc
				}
			}
		}
		// A pid that is not the caller's child (or is gone) leaves
		// notask_error at -ECHILD (do_wait_pid's is_effectively_child).
		if c != nil && c.sig.parent == parent {
			ret = k.waitConsiderTask(wo, parent, c)
		}
	} else {
		for _, c := range parent.sig.children {
			if ret = k.waitConsiderTask(wo, parent, c); ret != 0 {
				break
			}
		}
	}
	k.tasklist.Unlock(t)
	if ret != 0 {
		return ret
	}
	if wo.notaskError == 0 && wo.flags&unix.WNOHANG == 0 {
		return -vfs.ERESTARTSYS
	}
	return wo.notaskError
}

// childShouldWake is pid_child_should_wake: whether the exit of the
// child with pid should wake this wait.
// Linux: kernel/exit.c:pid_child_should_wake()
func (wo *waitOpts) childShouldWake(parent *Process, pid int) bool {
	switch wo.typ {
	case pidtypePID:
		if wo.target != nil {
			return wo.target.Pid() == pid
		}
		return wo.pid == pid
	case pidtypePGID:
		return wo.pid == parent.pgid()
	}
	return true
}

// waitidCmd is the plain part of struct io_waitid, in req->cmd.
// Linux: io_uring/waitid.c:struct io_waitid
type waitidCmd struct {
	which   int32
	upid    int32
	options uint32
	infop   uint64
}

// The ownership word of a waitid request: a reference count in the low
// bits, a cancel flag on top.
// Linux: io_uring/waitid.c:IO_WAITID_CANCEL_FLAG, IO_WAITID_REF_MASK
const (
	ioWaitidCancelFlag = 1 << 31
	ioWaitidRefMask    = 1<<31 - 1
)

// waitidAsync is struct io_waitid_async plus the pointer parts of struct
// io_waitid (refs, head, info), in req->async_data.
// Linux: io_uring/waitid.h:struct io_waitid_async
type waitidAsync struct {
	req  *Req
	refs atomic.Uint32
	// head is the wait queue the entry is on (iw->head), nil once it was
	// taken off (smp_load_acquire / smp_store_release in the kernel).
	head atomic.Pointer[sim.WaitQueueHead]
	wait sim.WaitQueueEntry // wo.child_wait
	wo   waitOpts
	info waitidInfo
}

func reqWaitid(req *Req) *waitidAsync { return req.asyncData.(*waitidAsync) }

// WaitidPrep is io_waitid_prep: addr, buf_index, addr3 and waitid_flags
// must be zero; the idtype is in len, the id in fd, the options in
// file_index and the siginfo_t pointer in addr2.
// Linux: io_uring/waitid.c:io_waitid_prep()
func WaitidPrep(req *Req, sqe *rings.SQE) int {
	if sqe.Addr != 0 || sqe.BufIndex != 0 || sqe.Addr3 != 0 || sqe.WaitidFlags() != 0 {
		return -EINVAL
	}
	iw := Cmd[waitidCmd](req)
	iw.which = int32(sqe.Len)
	iw.upid = sqe.Fd
	iw.options = sqe.FileIndex()
	iw.infop = sqe.Addr2()
	return 0
}

// waitidCopySI writes the siginfo_t of the result to the user's infop
// (when one was given): si_signo (SIGCHLD, or 0 when nothing was reaped),
// si_errno 0, and si_code, si_pid, si_uid, si_status from the wait's
// info. It fails (-EFAULT for the request) when the memory cannot be
// written.
// Differs from Linux: when nothing was reaped the kernel writes whatever
// the request's waitid_info held (left from an earlier use of the
// request); the simulator writes zeros there.
// Linux: io_uring/waitid.c:io_waitid_copy_si()
func waitidCopySI(req *Req, signo int32) bool {
	iw := Cmd[waitidCmd](req)
	if iw.infop == 0 {
		return true
	}
	if !accessOK(iw.infop, siginfoSize) {
		return false
	}
	info := &reqWaitid(req).info
	as := ReqMM(req)
	for _, f := range []struct {
		off uint64
		v   uint32
	}{
		{siginfoSigno, uint32(signo)}, {siginfoErrno, 0}, {siginfoCode, uint32(info.cause)},
		{siginfoPid, uint32(info.pid)}, {siginfoUid, info.uid}, {siginfoStatus, uint32(info.status)},
	} {
		var b [4]byte
		binary.NativeEndian.PutUint32(b[:], f.v)
		if as.CopyToUser(iw.infop+f.off, b[:]) != 0 {
			return false
		}
	}
	return true
}

// waitidFinish turns __do_wait's result into the request's: a reaped
// pid is 0 with si_signo SIGCHLD.
// Linux: io_uring/waitid.c:io_waitid_finish()
func waitidFinish(req *Req, ret int) int {
	signo := int32(0)
	if ret > 0 {
		signo, ret = int32(unix.SIGCHLD), 0
	}
	if !waitidCopySI(req, signo) {
		ret = -EFAULT
	}
	return ret
}

// waitidRemoveWQ takes the request's entry off wait_chldexit if it is
// still there.
// Linux: io_uring/waitid.c:io_waitid_remove_wq()
func waitidRemoveWQ(t *sim.Thread, iwa *waitidAsync) {
	if head := iwa.head.Swap(nil); head != nil {
		head.Remove(t, &iwa.wait)
	}
}

// waitidComplete takes the request off the ring's waitid list and its
// wait queue and sets its result; the uring lock is held.
// Linux: io_uring/waitid.c:io_waitid_complete()
func waitidComplete(t *sim.Thread, req *Req, ret int) {
	ctx := req.ctx
	ctx.waitidList = removeFrom(ctx.waitidList, req)
	waitidRemoveWQ(t, reqWaitid(req))
	ret = waitidFinish(req, ret)
	if ret < 0 {
		reqSetFail(req)
	}
	req.cqe.res, req.cqe.flags = int32(ret), 0
}

// waitidCancelReq cancels one waitid request unless a wakeup owns it
// (then that completes it, seeing the cancel flag): it posts -ECANCELED
// through task_work.
// Linux: io_uring/waitid.c:__io_waitid_cancel()
func waitidCancelReq(t *sim.Thread, req *Req) bool {
	iwa := reqWaitid(req)
	// Marked cancelled whoever owns it, so a retry after a spurious
	// wakeup does not re-arm.
	iwa.refs.Or(ioWaitidCancelFlag)
	if (iwa.refs.Add(1)-1)&ioWaitidRefMask != 0 {
		return false
	}
	waitidComplete(t, req, -ECANCELED)
	reqQueueTWComplete(t, req, int32(-ECANCELED))
	return true
}

// waitidCancelMatching cancels the ring's waitid requests cd matches (by
// user_data, or any with ANY; all of them with ALL, else the newest
// first): how many, or -ENOENT. A cancel by file matches none.
// Linux: io_uring/waitid.c:io_waitid_cancel()
func (ctx *Ctx) waitidCancelMatching(t *sim.Thread, cd *cancelData, issueFlags uint32) int {
	if cd.flags&(rings.IORING_ASYNC_CANCEL_FD|rings.IORING_ASYNC_CANCEL_FD_FIXED) != 0 {
		return -ENOENT
	}
	nr := 0
	ctx.ringSubmitLock(t, issueFlags)
	for _, req := range append([]*Req(nil), ctx.waitidList...) {
		if req.cqe.userData != cd.data && cd.flags&rings.IORING_ASYNC_CANCEL_ANY == 0 {
			continue
		}
		if waitidCancelReq(t, req) {
			nr++
		}
		if cd.flags&rings.IORING_ASYNC_CANCEL_ALL == 0 {
			break
		}
	}
	ctx.ringSubmitUnlock(t, issueFlags)
	if nr != 0 {
		return nr
	}
	return -ENOENT
}

// waitidRemoveAll cancels the ring's waitid requests of tctx (all of
// them with cancelAll), at ring exit or task exit; the uring lock is
// held. It reports whether it found any.
// Linux: io_uring/waitid.c:io_waitid_remove_all()
func (ctx *Ctx) waitidRemoveAll(t *sim.Thread, tctx *Tctx, cancelAll bool) bool {
	found := false
	for _, req := range append([]*Req(nil), ctx.waitidList...) {
		if !matchTaskSafe(t, req, tctx, cancelAll) {
			continue
		}
		ctx.waitidList = removeFrom(ctx.waitidList, req)
		waitidCancelReq(t, req)
		found = true
	}
	return found
}

// waitidDropIssueRef drops the issue's reference: false when nothing
// else took one; else a wakeup (or cancel) raced with arming, and the
// request is run from task_work.
// Linux: io_uring/waitid.c:io_waitid_drop_issue_ref()
func waitidDropIssueRef(t *sim.Thread, req *Req) bool {
	iwa := reqWaitid(req)
	if iwa.refs.Add(^uint32(0)) == 0 {
		return false
	}
	req.twFunc = waitidCB
	reqTaskWorkAdd(t, req, 0)
	waitidRemoveWQ(t, iwa)
	return true
}

// waitidCB is the task_work of a woken waitid: it tries the wait again
// and completes, or, when the child that woke it was taken by someone
// else (-vfs.ERESTARTSYS), re-arms unless it was cancelled meanwhile.
// Linux: io_uring/waitid.c:io_waitid_cb()
func waitidCB(t *sim.Thread, req *Req) {
	iwa := reqWaitid(req)
	parent := req.task.Proc
	k := parent.K
	ret := k.doWait(t, parent, &iwa.wo)
	if ret == -vfs.ERESTARTSYS {
		ret = -ECANCELED
		if iwa.refs.Load()&ioWaitidCancelFlag == 0 {
			iwa.head.Store(&parent.sig.waitChldExit)
			parent.sig.waitChldExit.Add(t, &iwa.wait)
			ret = k.doWait(t, parent, &iwa.wo)
			if ret == -vfs.ERESTARTSYS {
				// Re-armed: drop our reference.
				waitidDropIssueRef(t, req)
				return
			}
		}
	}
	waitidComplete(t, req, ret)
	reqTaskComplete(t, req)
}

// waitidWake is the wake function of a waitid's entry on wait_chldexit:
// key is the pid of the child that exited. A matching exit takes the
// entry off the queue and, unless a cancel owns the request, runs the
// wait again from task_work.
// Linux: io_uring/waitid.c:io_waitid_wait()
func waitidWake(t *sim.Thread, e *sim.WaitQueueEntry, key uint32) int {
	req := e.Private.(*Req)
	iwa := reqWaitid(req)
	if !iwa.wo.childShouldWake(req.task.Proc, int(key)) {
		return 0
	}
	// The entry is on the queue being woken, whose lock is held (the
	// kernel's list_del_init(&wait->entry)); head may be cleared by a
	// cancel meanwhile, so it is not read here.
	req.task.Proc.sig.waitChldExit.RemoveLocked(e)
	iwa.head.Store(nil)
	// A cancel is in progress.
	if (iwa.refs.Add(1)-1)&ioWaitidRefMask != 0 {
		return 1
	}
	req.twFunc = waitidCB
	reqTaskWorkAdd(t, req, 0)
	return 1
}

// Waitid is IORING_OP_WAITID's issue: a child that already exited is
// reaped at once (CQE 0, the siginfo_t written); with none exited it
// completes now with WNOHANG (0, si_signo 0) or when no child can match
// (-ECHILD), and otherwise waits on the process's wait_chldexit until a
// matching child exits, or until cancelled (-ECANCELED).
// Linux: io_uring/waitid.c:io_waitid()
func Waitid(t *sim.Thread, req *Req, issueFlags uint32) int {
	ctx := req.ctx
	iw := Cmd[waitidCmd](req)
	iwa := &waitidAsync{req: req}
	req.asyncData = iwa
	req.flags |= REQ_F_ASYNC_DATA
	parent := req.task.Proc
	ret := kernelWaitidPrepare(req.task, &iwa.wo, iw.which, iw.upid, &iwa.info, iw.options)
	if ret == 0 {
		// Busy from the start, in case a wakeup races with arming: it
		// shows when the issue drops this reference.
		iwa.refs.Store(1)
		// A cancel needs the ring lock, so it cannot find the request
		// before it is armed and the lock dropped.
		ctx.ringSubmitLock(t, issueFlags)
		ctx.waitidList = append([]*Req{req}, ctx.waitidList...) // hlist_add_head
		iwa.wait.Func = waitidWake
		iwa.wait.Private = req
		iwa.head.Store(&parent.sig.waitChldExit)
		parent.sig.waitChldExit.Add(t, &iwa.wait)
		ret = parent.K.doWait(t, parent, &iwa.wo)
		if ret == -vfs.ERESTARTSYS {
			// Completed by a wakeup or a cancel; if one raced with
			// arming, the task_work it was kept from is queued now.
			waitidDropIssueRef(t, req)
			ctx.ringSubmitUnlock(t, issueFlags)
			return IOU_ISSUE_SKIP_COMPLETE
		}
		ctx.waitidList = removeFrom(ctx.waitidList, req)
		waitidRemoveWQ(t, iwa)
		ret = waitidFinish(req, ret)
		ctx.ringSubmitUnlock(t, issueFlags)
	}
	if ret < 0 {
		reqSetFail(req)
	}
	req.cqe.res, req.cqe.flags = int32(ret), 0
	return IOU_COMPLETE
}
