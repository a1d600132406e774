package kernel

import (
	"time"
	"unsafe"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/sqpoll"
	"github.com/uringsim/uringsim/vfs"
)

// enterFlags is every IORING_ENTER_* flag Linux 6.18 accepts.
const enterFlags = rings.IORING_ENTER_GETEVENTS | rings.IORING_ENTER_SQ_WAKEUP |
	rings.IORING_ENTER_SQ_WAIT | rings.IORING_ENTER_EXT_ARG |
	rings.IORING_ENTER_REGISTERED_RING | rings.IORING_ENTER_ABS_TIMER |
	rings.IORING_ENTER_EXT_ARG_REG | rings.IORING_ENTER_NO_IOWAIT

// ktimeSecMax is the largest second count a ktime_t holds.
// Linux: include/linux/ktime.h:KTIME_SEC_MAX
const ktimeSecMax = int64(^uint64(0)>>1) / int64(time.Second)

// extArg is the decoded wait argument (struct ext_arg).
type extArg struct {
	argsz   uint64
	ts      time.Duration
	tsSet   bool
	minTime time.Duration
	sig     uint64
}

// IoUringEnter is the io_uring_enter(2) system call: submit up to toSubmit
// SQEs, then, with IORING_ENTER_GETEVENTS, wait until at least minComplete
// CQEs are available. It returns the number of SQEs consumed or a negative
// errno.
// Linux: io_uring/io_uring.c:SYSCALL_DEFINE6(io_uring_enter)
func IoUringEnter(task *Task, fd int, toSubmit, minComplete, flags uint32, argp, argsz uint64) int {
	// No defer: the drop of the file reference and the way back to user
	// space are the last two steps of every return, written out (a defer
	// costs more than the rest of a NOP's syscall entry).
	ret := -EINVAL
	if flags&^enterFlags == 0 {
		var ctx *Ctx
		var ref bool
		ctx, ref, ret = task.ringFromFD(fd, flags&rings.IORING_ENTER_REGISTERED_RING != 0)
		if ctx != nil {
			ret = ctx.enter(task, toSubmit, minComplete, flags, argp, argsz)
			if ref {
				ctx.file.Put(task.Thread)
			}
		}
	}
	task.ReturnToUser()
	return ret
}

// enter is io_uring_enter past the descriptor lookup.
// Linux: io_uring/io_uring.c:SYSCALL_DEFINE6(io_uring_enter)
func (ctx *Ctx) enter(task *Task, toSubmit, minComplete, flags uint32, argp, argsz uint64) int {
	t := task.Thread
	if ctx.flags&rings.IORING_SETUP_R_DISABLED != 0 {
		return -EBADFD
	}
	if w := ctx.world(); w.Tracing() {
		w.Emit(t, "io_uring_enter", sim.U("ctx", ctx.ID), sim.U("to_submit", uint64(toSubmit)),
			sim.U("min_complete", uint64(minComplete)), sim.S("flags", rings.FlagNames(rings.FamilyEnterFlags, uint64(flags))))
	}
	ret := 0
	if ctx.flags&rings.IORING_SETUP_SQPOLL != 0 {
		// The SQ thread submits; just wake it if asked to.
		if ctx.sqData.Thread() == nil {
			return -EOWNERDEAD
		}
		if flags&rings.IORING_ENTER_SQ_WAKEUP != 0 {
			ctx.sqData.Wake(t)
		}
		if flags&rings.IORING_ENTER_SQ_WAIT != 0 {
			sqpoll.WaitSQ(t, ctx)
		}
		ret = int(toSubmit)
	} else if toSubmit != 0 {
		if r := ctx.addTctxNodeFromSubmit(task); r != 0 {
			return r
		}
		ctx.uringLock.Lock(t)
		ret = ctx.submitSQEs(task, toSubmit)
		if ret != int(toSubmit) {
			ctx.uringLock.Unlock(t)
			return ret
		}
		if flags&rings.IORING_ENTER_GETEVENTS != 0 && ctx.flags&rings.IORING_SETUP_DEFER_TASKRUN != 0 {
			// Errors are ignored: io_cqring_wait handles ownership.
			if ctx.localWorkPending() && ctx.submitterTask == task {
				ctx.runLocalWorkLocked(task, int(minComplete), max(IO_LOCAL_TW_DEFAULT_MAX, int(minComplete)))
			}
		}
		ctx.uringLock.Unlock(t)
	}
	if flags&rings.IORING_ENTER_GETEVENTS != 0 {
		var ret2 int
		ext := extArg{argsz: argsz}
		if ctx.syscallIopoll {
			// Poll instead of sleeping; the lock keeps io-wq from
			// issuing polled requests meanwhile.
			ctx.uringLock.Lock(t)
			ret2 = ctx.getExtArg(task, flags, argp, &ext)
			if ret2 == 0 {
				ret2 = ctx.iopollCheck(task, int(minComplete))
			}
			ctx.uringLock.Unlock(t)
		} else if ret2 = ctx.getExtArg(task, flags, argp, &ext); ret2 == 0 {
			minComplete = min(minComplete, ctx.cqEntries)
			ret2 = ctx.cqringWait(task, int(minComplete), flags, &ext)
		}
		if ret == 0 {
			ret = ret2
			// EBADR reports dropped CQEs once; the user has now been told.
			if ret2 == -EBADR {
				ctx.checkCQ.And(^ioCheckCQDropped)
			}
		}
	}
	return ret
}

// ringFromFD resolves a ring descriptor: a normal fd through fdget (ref
// says whether the caller holds a reference on the ring's file to drop),
// or an index into the task's registered rings.
// Linux: io_uring/io_uring.c:io_uring_ctx_get_file()
func (task *Task) ringFromFD(fd int, registered bool) (ctx *Ctx, ref bool, ret int) {
	t := task.Thread
	if registered {
		tctx := task.ioUring
		if tctx == nil || fd < 0 || fd >= ioRingFDRegMax {
			return nil, false, -EINVAL
		}
		f := tctx.registeredRings[fd]
		if f == nil {
			return nil, false, -EBADF
		}
		return f.Private.(*Ctx), false, 0
	}
	f, ref := task.Proc.Files.Fdget(t, fd)
	if f == nil {
		return nil, false, -EBADF
	}
	ctx, ok := f.Private.(*Ctx)
	if !ok {
		vfs.Fdput(t, f, ref)
		return nil, false, -EOPNOTSUPP
	}
	return ctx, ref, 0
}

// getExtArg decodes the wait argument: without EXT_ARG argp is a sigmask;
// with it, a struct io_uring_getevents_arg of exactly the right size, whose
// ts field points to a __kernel_timespec.
// Linux: io_uring/io_uring.c:io_get_ext_arg()
func (ctx *Ctx) getExtArg(task *Task, flags uint32, argp uint64, ext *extArg) int {
	if flags&rings.IORING_ENTER_EXT_ARG == 0 {
		ext.sig = argp
		return 0
	}
	return ctx.getExtArgStruct(task, flags, argp, ext)
}

// getExtArgStruct is getExtArg with IORING_ENTER_EXT_ARG.
// Linux: io_uring/io_uring.c:io_get_ext_arg()
func (ctx *Ctx) getExtArgStruct(task *Task, flags uint32, argp uint64, ext *extArg) int {
	as := task.Proc.MM
	if flags&rings.IORING_ENTER_EXT_ARG_REG != 0 {
		return ctx.getExtArgReg(argp, ext)
	}
	var arg rings.GeteventsArg
	if ext.argsz != uint64(unsafe.Sizeof(arg)) {
		return -EINVAL
	}
	if as.CopyFromUser(unsafe.Slice((*byte)(unsafe.Pointer(&arg)), unsafe.Sizeof(arg)), argp) != 0 {
		return -EFAULT
	}
	ext.minTime = time.Duration(arg.MinWaitUsec) * time.Microsecond
	ext.sig = arg.Sigmask
	ext.argsz = uint64(arg.SigmaskSz)
	if arg.Ts != 0 {
		var ts rings.KernelTimespec
		if as.CopyFromUser(unsafe.Slice((*byte)(unsafe.Pointer(&ts)), unsafe.Sizeof(ts)), arg.Ts) != 0 {
			return -EFAULT
		}
		ext.setTimespec(ts.TvSec, ts.TvNsec)
	}
	return 0
}

// setTimespec sets the wait's timeout from a __kernel_timespec.
// timespec64_to_ktime: no validation; past KTIME_SEC_MAX it saturates to
// KTIME_MAX, which means no timeout at all.
// Linux: include/linux/ktime.h:timespec64_to_ktime()
func (ext *extArg) setTimespec(sec, nsec int64) {
	if sec >= ktimeSecMax {
		return
	}
	ext.ts = time.Duration(sec)*time.Second + time.Duration(nsec)
	ext.tsSet = true
}
