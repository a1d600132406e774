package kernel

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// resizeFlags are the setup flags IORING_REGISTER_RESIZE_RINGS takes;
// copyFlags are inherited from the ring.
// Linux: io_uring/register.c:RESIZE_FLAGS, COPY_FLAGS
const (
	resizeFlags = rings.IORING_SETUP_CQSIZE | rings.IORING_SETUP_CLAMP
	copyFlags   = rings.IORING_SETUP_NO_SQARRAY | rings.IORING_SETUP_SQE128 |
		rings.IORING_SETUP_CQE32 | rings.IORING_SETUP_NO_MMAP | rings.IORING_SETUP_CQE_MIXED
)

// registerResizeRings is IORING_REGISTER_RESIZE_RINGS: it builds new rings
// sized by the io_uring_params at arg (sq_entries, and cq_entries with
// IORING_SETUP_CQSIZE; CLAMP allowed; the ring's own layout flags
// inherited), writes the filled-in parameters back, copies the SQEs not
// yet consumed and the CQEs not yet reaped into the new rings at the same
// head and tail, and swaps them in. Only DEFER_TASKRUN rings can resize
// (-EINVAL otherwise); rings too small for what is pending give
// -EOVERFLOW and leave the old ones in place. With NO_MMAP the new rings
// are in user memory named by sq_off/cq_off.user_addr, as at setup.
//
// Differs from Linux: nothing (the swap is under uringLock and
// completionLock as there); but as in 6.18, task work added from another
// thread reads ctx.rings without either lock (IORING_SQ_TASKRUN), so in
// concurrent mode a resize racing with such a completion is a data race.
//
// Entries are copied as the kernel copies them, in units of 64-byte SQEs
// and 16-byte CQEs indexed by ring position, which is what a ring of
// 128-byte SQEs or 32-byte CQEs gets too.
// Linux: io_uring/register.c:io_register_resize_rings()
func (ctx *Ctx) registerResizeRings(task *Task, arg uint64) int {
	t := task.Thread
	// Limited to DEFER_TASKRUN for now.
	if ctx.flags&rings.IORING_SETUP_DEFER_TASKRUN == 0 {
		return -EINVAL
	}
	as := task.Proc.MM
	var p rings.Params
	if as.CopyFromUser(paramsBytes(&p), arg) != 0 {
		return -EFAULT
	}
	if p.Flags&^resizeFlags != 0 {
		return -EINVAL
	}
	// Properties that are always inherited.
	p.Flags |= ctx.flags & copyFlags
	if err := rings.FillParams(p.SQEntries, &p); err != nil { // io_uring_fill_params
		return -int(err.(unix.Errno))
	}
	l, ok := rings.RingsLayout(p.Flags, p.SQEntries, p.CQEntries)
	if !ok {
		return -EOVERFLOW
	}
	rd := ringRegionDesc(p.Flags, l.RingsSize, p.CQOff.UserAddr)
	ringRegion, ret := createRegion(task, &rd, rings.IORING_OFF_CQ_RING)
	if ret != 0 {
		return ret
	}
	n := (*rings.Rings)(ringRegion.Ptr())
	rings.WriteOnce(&n.SQRingMask, p.SQEntries-1)
	rings.WriteOnce(&n.CQRingMask, p.CQEntries-1)
	rings.WriteOnce(&n.SQRingEntries, p.SQEntries)
	rings.WriteOnce(&n.CQRingEntries, p.CQEntries)
	if as.CopyToUser(arg, paramsBytes(&p)) != 0 {
		ringRegion.Free()
		return -EFAULT
	}
	rd = ringRegionDesc(p.Flags, l.SQEsSize, p.SQOff.UserAddr)
	sqRegion, ret := createRegion(task, &rd, rings.IORING_OFF_SQES)
	if ret != 0 {
		ringRegion.Free()
		return ret
	}
	// No SQPOLL thread to park: DEFER_TASKRUN excludes SQPOLL.
	ctx.completionLock.Lock(t)
	defer ctx.completionLock.Unlock(t)
	o := ctx.rings
	// Copy the SQ and CQ entries, if any; if either new ring cannot hold
	// what is already there, fail.
	const sqeSize, cqeSize = unsafe.Sizeof(rings.SQE{}), unsafe.Sizeof(rings.CQE{})
	tail, oldHead := rings.ReadOnce(&o.SQ.Tail), rings.ReadOnce(&o.SQ.Head)
	if tail-oldHead > p.SQEntries {
		ringRegion.Free()
		sqRegion.Free()
		return -EOVERFLOW
	}
	cqTail, cqHead := rings.ReadOnce(&o.CQ.Tail), rings.ReadOnce(&o.CQ.Head)
	if cqTail-cqHead > p.CQEntries {
		ringRegion.Free()
		sqRegion.Free()
		return -EOVERFLOW
	}
	for i := oldHead; i != tail; i++ {
		src := unsafe.Add(ctx.sqSQEs, uintptr(i&(ctx.sqEntries-1))*sqeSize)
		dst := unsafe.Add(sqRegion.Ptr(), uintptr(i&(p.SQEntries-1))*sqeSize)
		*(*rings.SQE)(dst) = *(*rings.SQE)(src)
	}
	rings.WriteOnce(&n.SQ.Head, oldHead)
	rings.WriteOnce(&n.SQ.Tail, tail)
	newCQEs := unsafe.Add(ringRegion.Ptr(), l.CQOff.CQEs)
	for i := cqHead; i != cqTail; i++ {
		src := unsafe.Add(ctx.cqes, uintptr(i&(ctx.cqEntries-1))*cqeSize)
		dst := unsafe.Add(newCQEs, uintptr(i&(p.CQEntries-1))*cqeSize)
		*(*rings.CQE)(dst) = *(*rings.CQE)(src)
	}
	rings.WriteOnce(&n.CQ.Head, cqHead)
	rings.WriteOnce(&n.CQ.Tail, cqTail)
	// Invalidate the cached CQE refill.
	ctx.cqeCached, ctx.cqeSentinel = 0, 0
	rings.WriteOnce(&n.SQDropped, rings.ReadOnce(&o.SQDropped))
	rings.WriteOnce(&n.SQFlags, rings.ReadOnce(&o.SQFlags))
	rings.WriteOnce(&n.CQFlags, rings.ReadOnce(&o.CQFlags))
	rings.WriteOnce(&n.CQOverflow, rings.ReadOnce(&o.CQOverflow))

	if ctx.flags&rings.IORING_SETUP_NO_SQARRAY == 0 {
		ctx.sqArray = (*uint32)(unsafe.Add(ringRegion.Ptr(), l.SQArrayOff))
	}
	ctx.sqEntries, ctx.cqEntries = p.SQEntries, p.CQEntries
	ctx.rings, ctx.cqes, ctx.sqSQEs = n, newCQEs, sqRegion.Ptr()
	oldRing, oldSQ := ctx.ringRegion, ctx.sqRegion
	ctx.ringRegion, ctx.sqRegion = ringRegion, sqRegion
	oldRing.Free()
	oldSQ.Free()
	return 0
}
