package kernel

import "github.com/uringsim/uringsim/mm"

// RingRegions returns the regions a program maps from the ring at fd:
// the SQ/CQ rings (IORING_OFF_SQ_RING, and IORING_OFF_CQ_RING with
// IORING_FEAT_SINGLE_MMAP) and the SQE array (IORING_OFF_SQES), for a
// host program whose ring is a memfd (uringsim exec). Either is nil with
// IORING_SETUP_NO_MMAP; -EBADF or -EOPNOTSUPP for a descriptor that is
// not a ring.
// Linux: io_uring/memmap.c:io_mmap_get_region()
func RingRegions(task *Task, fd int) (rings, sqes *mm.Region, errno int) {
	ctx, errno := ctxOfFd(task, fd)
	if errno != 0 {
		return nil, nil, errno
	}
	t := task.Thread
	ctx.uringLock.Lock(t)
	defer ctx.uringLock.Unlock(t)
	return ctx.ringRegion, ctx.sqRegion, 0
}

// PbufRingRegion returns the kernel-allocated buffer ring of group bgid
// (IOU_PBUF_RING_MMAP, mapped at IORING_OFF_PBUF_RING|bgid<<16), or nil.
// Linux: io_uring/kbuf.c:io_pbuf_get_region()
func PbufRingRegion(task *Task, fd int, bgid uint16) *mm.Region {
	ctx, errno := ctxOfFd(task, fd)
	if errno != 0 {
		return nil
	}
	t := task.Thread
	ctx.uringLock.Lock(t)
	defer ctx.uringLock.Unlock(t)
	if r := ctx.bufTable.PbufRegion(bgid); r != nil && !r.UserProvided() {
		return r
	}
	return nil
}

// ctxOfFd is the ring at the task's descriptor fd.
func ctxOfFd(task *Task, fd int) (*Ctx, int) {
	f := task.Proc.Files.Get(task.Thread, fd)
	if f == nil {
		return nil, -EBADF
	}
	defer f.Put(task.Thread)
	ctx, ok := f.Private.(*Ctx)
	if !ok {
		return nil, -EOPNOTSUPP
	}
	return ctx, 0
}
