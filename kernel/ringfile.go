package kernel

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/mm"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// ioRingFDRegMax is how many rings a task may register.
// Linux: io_uring/tctx.h:IO_RINGFD_REG_MAX
const ioRingFDRegMax = 16

// ringFileOps are the io_uring file operations (io_uring_fops).
type ringFileOps struct{}

// newRingFile wraps ctx in an anonymous-inode file.
// Linux: io_uring/io_uring.c:io_uring_get_file()
func newRingFile(k *Kernel, ctx *Ctx) *vfs.File {
	return vfs.NewFile(ringFileOps{}, ctx, "anon_inode:[io_uring]", unix.O_RDWR|unix.O_CLOEXEC, k.NewFileID())
}

// Release tears the ring down when its last reference goes: the ring's
// refs are killed, then the exit work cancels what is in flight, again
// every HZ/20 until the last request is freed, and frees the ring (the
// kernel's percpu refs and io_ring_exit_work).
// Linux: io_uring/io_uring.c:io_uring_release(), io_ring_ctx_wait_and_kill()
//
// Differs from Linux: the exit work's first pass runs in the releasing
// thread, where Linux queues io_ring_exit_work on a kworker; a kworker
// thread takes over only when requests are still alive after that pass,
// or from the start when the releasing thread is the ring's own SQ thread
// (a request's fput of the ring, deferred to its task_work), which cannot
// park itself.
func (ringFileOps) Release(t *sim.Thread, f *vfs.File) {
	ctx := f.Private.(*Ctx)
	if ctx.sqData != nil && ctx.sqData.Thread() == t {
		ctx.world().Go(t, ioRingExitWorker, func(t *sim.Thread) {
			ctx.waitAndKill(t)
			ctx.exitWork(t, true)
		})
		return
	}
	ctx.waitAndKill(t)
	ctx.exitWork(t, false)
}

// ioRingExitWorker names the kworker that runs a ring's exit work.
const ioRingExitWorker = "kworker/u:iou_exit"

// ioRingExitInterval is how long the exit work waits for the ring's
// requests to be freed before it cancels again (HZ / 20), and
// ioRingExitSlowInterval the wait once five minutes have passed.
// Linux: io_uring/io_uring.c:io_ring_exit_work()
const (
	ioRingExitInterval     = 250 / 20 * jiffy
	ioRingExitTimeout      = 5 * time.Minute
	ioRingExitSlowInterval = time.Minute
)

// waitAndKill kills the ring's refs (no more submissions; task_work
// cancels instead of running, shouldTerminateTW) and runs the fallback
// work already queued.
// Linux: io_uring/io_uring.c:io_ring_ctx_wait_and_kill()
func (ctx *Ctx) waitAndKill(t *sim.Thread) {
	ctx.uringLock.Lock(t)
	ctx.dying = true // percpu_ref_kill
	ctx.uringLock.Unlock(t)
	ctx.flushFallbackWork(t)
}

// exitWork cancels the ring's requests, waits for the last of them to be
// freed, cancelling again each time the wait times out, and frees the
// ring. onWorker says the caller is already the exit kworker; otherwise a
// kworker is started for the wait when one is needed.
// Linux: io_uring/io_uring.c:io_ring_exit_work()
//
// Differs from Linux: the task_work that removes each task's node of the
// ring (io_tctx_exit_cb) is not queued; a task keeps the freed ring in its
// list, where cancellation finds nothing (the ring has no rings left).
func (ctx *Ctx) exitWork(t *sim.Thread, onWorker bool) {
	ctx.exitCancel(t)
	ctx.released = true
	if ctx.nrReqAllocated != 0 {
		if !onWorker {
			ctx.world().Go(t, ioRingExitWorker, func(t *sim.Thread) {
				ctx.exitWait(t)
				ctx.free(t)
			})
			return
		}
		ctx.exitWait(t)
	}
	ctx.free(t)
}

// exitWait waits for the ring's last request to be freed, cancelling
// again every ioRingExitInterval.
// Linux: io_uring/io_uring.c:io_ring_exit_work()
func (ctx *Ctx) exitWait(t *sim.Thread) {
	w := ctx.world()
	deadline := w.Now() + ioRingExitTimeout
	interval := ioRingExitInterval
	for !ctx.refComp.WaitTimeout(t, interval) {
		ctx.exitCancel(t)
		if w.Now() > deadline {
			// Differs from Linux: no WARN_ON_ONCE here; it
			// keeps trying, less often, as Linux does.
			interval = ioRingExitSlowInterval
		}
	}
}

// exitCancel is one pass of the exit work: overflowed CQEs dropped,
// zero-copy receive queues shut, DEFER_TASKRUN work handed to the
// fallback work, then every request cancelled (until a pass finds
// nothing), and the SQ thread's io-wq work of the ring cancelled.
// Linux: io_uring/io_uring.c:io_ring_exit_work()
func (ctx *Ctx) exitCancel(t *sim.Thread) {
	ctx.uringLock.Lock(t)
	// In concurrent mode the last request can be freed on another thread
	// between exitWork's released store and its nrReqAllocated load, the
	// freer reading released unset: neither completes refComp. Under the
	// lock both are seen; the deterministic scheduler never gets here with
	// the condition true (no yield between that store and load).
	if ctx.released && ctx.nrReqAllocated == 0 && !ctx.refComp.Done() {
		ctx.refComp.Complete(t)
	}
	if ctx.checkCQ.Load()&ioCheckCQOverflow != 0 {
		ctx.cqringOverflowFlush(t, true) // io_cqring_overflow_kill
	}
	ctx.shutdownZcrxIfqs(t)
	ctx.uringLock.Unlock(t)
	if ctx.flags&rings.IORING_SETUP_DEFER_TASKRUN != 0 {
		ctx.moveTaskWorkFromLocal(t)
	}
	// The SQ thread never reaches this path.
	for ctx.tryCancelRequests(t, nil, true) {
		t.Yield() // cond_resched()
	}
	if sqd := ctx.sqData; sqd != nil {
		sqd.Park(t)
		if sq, ok := sqd.Task().(*sqTask); ok && sq.task.ioUring != nil && sq.task.ioUring.ioWQ != nil {
			sq.task.ioUring.ioWQ.Cancel(t, ctx.cancelCtxCB, true)
		}
		sqd.Unpark(t)
	}
}

// free releases the ring: it leaves its SQ thread, and its registered
// files and buffers, zero-copy receive queues, overflowed CQEs, eventfd,
// provided buffers and memory go.
// Linux: io_uring/io_uring.c:io_ring_ctx_free(), io_rings_free()
func (ctx *Ctx) free(t *sim.Thread) {
	if ctx.sqData != nil {
		ctx.sqData.RemoveRing(t, ctx) // io_sq_thread_finish
	}
	ctx.uringLock.Lock(t)
	ctx.rsrcTablesFree(t)
	ctx.unregisterZcrxIfqs(t)
	ctx.cqringOverflowFlush(t, true) // io_cqring_overflow_kill
	if ctx.evfd != nil {
		ctx.eventfdUnregister(t)
	}
	ctx.bufTable.Destroy()
	ctx.freeParamRegion()
	ctx.uringLock.Unlock(t)
	if ctx.ringRegion != nil {
		ctx.ringRegion.Free()
	}
	if ctx.sqRegion != nil {
		ctx.sqRegion.Free()
	}
	ctx.rings, ctx.ringRegion, ctx.sqRegion = nil, nil, nil
}

// Mmap maps one of a ring's regions into the task's address space, as the
// kernel does for IORING_OFF_SQ_RING / IORING_OFF_CQ_RING (the same region,
// IORING_FEAT_SINGLE_MMAP) and IORING_OFF_SQES, and returns its address.
// An offset naming no region, or a region of user memory (a NO_MMAP ring,
// a buffer ring in user memory), is -ENOMEM: mmap(2) asks
// io_uring_get_unmapped_area first, which turns the validation's -EINVAL
// into -ENOMEM.
// Differs from Linux: the address is the region's own (kernel and user see
// the same memory at the same address), and length is not checked against
// the region beyond being non-zero and not larger.
// Linux: io_uring/memmap.c:io_uring_mmap(), io_uring_get_unmapped_area(), io_uring_validate_mmap_request()
func Mmap(task *Task, fd int, offset, length uint64) (uint64, int) {
	t := task.Thread
	f := task.Proc.Files.Get(t, fd)
	if f == nil {
		return 0, -EBADF
	}
	defer f.Put(t)
	ctx, ok := f.Private.(*Ctx)
	if !ok {
		return 0, -ENODEV
	}
	var r *mm.Region
	if offset&rings.IORING_OFF_MMAP_MASK == rings.IORING_OFF_PBUF_RING {
		// A kernel-allocated buffer ring (IOU_PBUF_RING_MMAP), also on a
		// NO_MMAP ring. Differs from Linux: looked up under uring_lock,
		// not mmap_lock.
		bgid := (offset &^ rings.IORING_OFF_MMAP_MASK) >> rings.IORING_OFF_PBUF_SHIFT
		ctx.uringLock.Lock(t)
		defer ctx.uringLock.Unlock(t)
		if bgid <= 0xffff {
			r = ctx.bufTable.PbufRegion(uint16(bgid))
		}
		return mapRegion(task, r, length)
	}
	if offset&rings.IORING_OFF_MMAP_MASK == ioringMapOffZcrxRegion {
		// A zero-copy receive refill queue. Differs from Linux: looked up
		// under uring_lock, not mmap_lock.
		ctx.uringLock.Lock(t)
		defer ctx.uringLock.Unlock(t)
		r = ctx.zcrxRegion((offset &^ rings.IORING_OFF_MMAP_MASK) >> rings.IORING_OFF_PBUF_SHIFT)
		return mapRegion(task, r, length)
	}
	switch offset {
	case rings.IORING_OFF_SQ_RING, rings.IORING_OFF_CQ_RING:
		r = ctx.ringRegion
	case rings.IORING_OFF_SQES:
		r = ctx.sqRegion
	case ioringMapOffParamRegion:
		r = ctx.paramRegion
	}
	return mapRegion(task, r, length)
}

// mapRegion maps kernel-allocated region r (nil or user memory: -ENOMEM)
// of at least length bytes into the task.
func mapRegion(task *Task, r *mm.Region, length uint64) (uint64, int) {
	if r == nil || r.UserProvided() {
		return 0, -ENOMEM
	}
	if length == 0 || length > uint64(len(r.Mem)) {
		return 0, -EINVAL
	}
	task.Proc.MM.Map(r, "io_uring")
	return r.Addr(), 0
}

// Close is close(2) on the task's descriptor table.
// Linux: fs/open.c:SYSCALL_DEFINE1(close)
func Close(task *Task, fd int) int {
	defer task.ReturnToUser()
	return task.Proc.Files.Close(task.Thread, fd)
}
