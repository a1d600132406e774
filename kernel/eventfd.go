package kernel

import (
	"encoding/binary"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// ioEvFd is a ring's registered eventfd (struct io_ev_fd).
// Linux: io_uring/eventfd.c:struct io_ev_fd
type ioEvFd struct {
	file       *vfs.File
	cqEvFd     *vfs.EventfdCtx
	async      bool   // IORING_REGISTER_EVENTFD_ASYNC: only io-wq completions signal
	lastCQTail uint32 // signal only when new CQEs were posted since the last signal
}

// eventfdRegister attaches an eventfd to the ring: arg points to an int fd
// and nr_args must be 1.
// Linux: io_uring/eventfd.c:io_eventfd_register()
func (ctx *Ctx) eventfdRegister(task *Task, arg uint64, nrArgs uint32, async bool) int {
	t := task.Thread
	if nrArgs != 1 {
		return -EINVAL
	}
	if ctx.evfd != nil {
		return -EBUSY
	}
	var b [4]byte
	if task.Proc.MM.CopyFromUser(b[:], arg) != 0 {
		return -EFAULT
	}
	fd := int(int32(binary.LittleEndian.Uint32(b[:])))
	f := task.Proc.Files.Get(t, fd)
	if f == nil {
		return -EBADF
	}
	ectx, errno := vfs.EventfdCtxFileget(f)
	if errno != 0 {
		f.Put(t)
		return errno
	}
	ev := &ioEvFd{file: f, cqEvFd: ectx, async: async}
	ctx.completionLock.Lock(t)
	ev.lastCQTail = ctx.cachedCQTail
	ctx.completionLock.Unlock(t)
	ctx.evfd = ev
	return 0
}

// eventfdUnregister detaches the eventfd.
// Linux: io_uring/eventfd.c:io_eventfd_unregister()
func (ctx *Ctx) eventfdUnregister(t *sim.Thread) int {
	if ctx.evfd == nil {
		return -ENXIO
	}
	ctx.evfd.file.Put(t)
	ctx.evfd = nil
	return 0
}

// eventfdSignal bumps the registered eventfd after CQEs were posted
// (cqeEvent), unless user space set IORING_CQ_EVENTFD_DISABLED, the
// eventfd is async-only and this is not an io-wq worker, or no CQE was
// posted since the last signal.
// Linux: io_uring/eventfd.c:io_eventfd_signal(), io_eventfd_trigger()
func (ctx *Ctx) eventfdSignal(t *sim.Thread, cqeEvent bool) {
	ev := ctx.evfd
	if ev == nil || rings.ReadOnce(&ctx.rings.CQFlags)&rings.IORING_CQ_EVENTFD_DISABLED != 0 {
		return
	}
	if ev.async && !ctx.k.isIOWQWorker(t) {
		return
	}
	if cqeEvent {
		ctx.completionLock.Lock(t)
		skip := ctx.cachedCQTail == ev.lastCQTail
		ev.lastCQTail = ctx.cachedCQTail
		ctx.completionLock.Unlock(t)
		if skip {
			return
		}
	}
	if w := ctx.world(); w.Tracing() {
		w.Emit(t, "io_eventfd_signal", sim.U("ctx", ctx.ID))
	}
	ev.cqEvFd.SignalMask(t, rings.EPOLL_URING_WAKE)
}
