package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/iowq"
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

// Release tears the ring down when its last reference goes: queued io-wq
// work and armed polls are cancelled, overflowed CQEs dropped, and the
// ring memory is freed once the last in-flight request is (the kernel's
// percpu refs and io_ring_exit_work).
// Linux: io_uring/io_uring.c:io_uring_release(), io_ring_ctx_wait_and_kill(), io_ring_exit_work()
//
// Differs from Linux: the teardown runs in the releasing thread, where
// Linux queues io_ring_exit_work on a kworker, except when that thread is
// the ring's own SQ thread (a request's fput of the ring, deferred to its
// task_work), which cannot park itself: then it runs on a kworker too.
func (ringFileOps) Release(t *sim.Thread, f *vfs.File) {
	ctx := f.Private.(*Ctx)
	if ctx.sqData != nil && ctx.sqData.Thread() == t {
		ctx.world().Go(t, "kworker/u:iou_exit", ctx.exitWork)
		return
	}
	ctx.exitWork(t)
}

// exitWork tears a released ring down.
// Linux: io_uring/io_uring.c:io_ring_ctx_wait_and_kill(), io_ring_exit_work()
func (ctx *Ctx) exitWork(t *sim.Thread) {
	ctx.uringLock.Lock(t)
	ctx.dying = true
	ctx.iopollTryReapEvents(t)
	ctx.cqringOverflowFlush(t, true)
	if ctx.evfd != nil {
		ctx.eventfdUnregister(t)
	}
	ctx.pollRemoveAll(t, nil, true)
	ctx.waitidRemoveAll(t, nil, true)
	ctx.futexRemoveAll(t, nil, true)
	ctx.shutdownZcrxIfqs(t)
	ctx.uringLock.Unlock(t)
	ctx.killTimeouts(t, nil, true)
	for _, tctx := range ctx.tctxList {
		if tctx.ioWQ != nil {
			tctx.ioWQ.Cancel(t, func(w *iowq.Work) bool { return w.Item.(*Req).ctx == ctx }, true)
		}
	}
	if ctx.sqData != nil {
		ctx.sqData.RemoveRing(t, ctx) // io_sq_thread_finish
	}
	ctx.released = true
	ctx.maybeFree(t)
}

// maybeFree frees the ring memory once the ring file is gone and no
// request is alive.
func (ctx *Ctx) maybeFree(t *sim.Thread) {
	if ctx.released && ctx.nrReqAllocated == 0 {
		ctx.free(t)
	}
}

// free releases the ring memory.
// Linux: io_uring/io_uring.c:io_ring_ctx_free(), io_rings_free()
func (ctx *Ctx) free(t *sim.Thread) {
	ctx.rsrcTablesFree(t)
	ctx.bufTable.Destroy()
	ctx.freeParamRegion()
	ctx.unregisterZcrxIfqs(t)
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
