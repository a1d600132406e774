package kernel

import (
	"encoding/binary"
	"sync/atomic"

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
	// signalQueued is IO_EVENTFD_OP_SIGNAL_BIT of ev_fd->ops: a deferred
	// signal is waiting for its RCU callback.
	signalQueued atomic.Bool
}

// rcuGracePeriod is how long a call_rcu_hurry callback waits in the
// simulator (a deferred eventfd signal arrives after the waiter has run
// its task work, as on the host).
// Differs from Linux: a grace period is not a fixed time; here it is one
// jiffy of virtual time, and the callback runs on the hrtimer thread.
const rcuGracePeriod = jiffy

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
	w := ctx.world()
	if !vfs.EventfdSignalAllowed(t) {
		ev.deferSignal(t, w)
		return
	}
	if w.Tracing() {
		w.Emit(t, "io_eventfd_signal", sim.U("ctx", ctx.ID))
	}
	ev.cqEvFd.SignalMask(t, rings.EPOLL_URING_WAKE)
}

// deferSignal is the signal asked for inside an eventfd's wakeup (a poll
// on an eventfd woken by this very signal queued task work, and
// io_req_local_work_add signals again): it is left to an RCU callback,
// one at a time, and a signal asked for while one is queued is dropped.
// The callback clears the bit before it signals, as the 6.18.y host does
// (io_uring/eventfd: reset deferred signal state), so each later deferral
// gets a callback of its own. The callback holds a reference to the file
// (the ev_fd reference it holds in Linux).
// Linux: io_uring/eventfd.c:__io_eventfd_signal(), io_eventfd_do_signal()
func (ev *ioEvFd) deferSignal(t *sim.Thread, w *sim.World) {
	if ev.signalQueued.Swap(true) {
		return
	}
	f := ev.file.Get()
	w.AfterFunc(t, rcuGracePeriod, func(ht *sim.Thread) {
		ev.signalQueued.Store(false)
		if w.Tracing() {
			w.Emit(ht, "io_eventfd_do_signal")
		}
		ev.cqEvFd.SignalMask(ht, rings.EPOLL_URING_WAKE)
		f.Put(ht)
	})
}
