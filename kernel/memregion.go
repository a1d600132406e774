package kernel

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// ioringMapOffParamRegion is the mmap offset of the region registered with
// IORING_REGISTER_MEM_REGION when the kernel allocated it.
// Linux: io_uring/memmap.h:IORING_MAP_OFF_PARAM_REGION
const ioringMapOffParamRegion = 0x20000000

// registerMemRegion is IORING_REGISTER_MEM_REGION: one memory region per
// ring (-EBUSY for a second), described by the io_uring_region_desc its
// io_uring_mem_region_reg points to, user memory or kernel pages to be
// mmap'd at IORING_MAP_OFF_PARAM_REGION (the offset is written back into
// the description). With IORING_MEM_REGION_REG_WAIT_ARG, allowed only on
// a ring still disabled, the region holds the io_uring_reg_wait entries
// IORING_ENTER_EXT_ARG_REG waits name by offset.
// Linux: io_uring/register.c:io_register_mem_region()
func (ctx *Ctx) registerMemRegion(task *Task, arg uint64) int {
	as := task.Proc.MM
	if ctx.paramRegion != nil {
		return -EBUSY
	}
	var reg rings.MemRegionReg
	if as.CopyFromUser(unsafe.Slice((*byte)(unsafe.Pointer(&reg)), unsafe.Sizeof(reg)), arg) != 0 {
		return -EFAULT
	}
	var rd rings.RegionDesc
	rdb := unsafe.Slice((*byte)(unsafe.Pointer(&rd)), unsafe.Sizeof(rd))
	if as.CopyFromUser(rdb, reg.RegionUptr) != 0 {
		return -EFAULT
	}
	if reg.Resv != [2]uint64{} {
		return -EINVAL
	}
	if reg.Flags&^rings.IORING_MEM_REGION_REG_WAIT_ARG != 0 {
		return -EINVAL
	}
	// No waiters may exist yet: they are hard to synchronise with.
	if reg.Flags&rings.IORING_MEM_REGION_REG_WAIT_ARG != 0 && ctx.flags&rings.IORING_SETUP_R_DISABLED == 0 {
		return -EINVAL
	}
	r, ret := createRegion(task, &rd, ioringMapOffParamRegion)
	if ret != 0 {
		return ret
	}
	if as.CopyToUser(reg.RegionUptr, rdb) != 0 {
		r.Free()
		return -EFAULT
	}
	if reg.Flags&rings.IORING_MEM_REGION_REG_WAIT_ARG != 0 {
		ctx.cqWaitArg = r.Mem[:rd.Size]
	}
	ctx.paramRegion = r
	return 0
}

// getExtArgReg decodes an IORING_ENTER_EXT_ARG_REG wait argument: argp is
// the offset of an io_uring_reg_wait in the registered wait region
// (long-aligned, inside it: -EFAULT otherwise), argsz its size.
// Linux: io_uring/io_uring.c:io_get_ext_arg(), io_get_ext_arg_reg()
func (ctx *Ctx) getExtArgReg(argp uint64, ext *extArg) int {
	const size = uint64(unsafe.Sizeof(rings.RegWait{}))
	if ext.argsz != size {
		return -EINVAL
	}
	// Also protects from no region: its size is 0.
	if argp%8 != 0 || argp+size < argp || argp+size > uint64(len(ctx.cqWaitArg)) {
		return -EFAULT
	}
	w := (*rings.RegWait)(unsafe.Pointer(&ctx.cqWaitArg[argp]))
	flags := rings.ReadOnce(&w.Flags)
	if flags&^rings.IORING_REG_WAIT_TS != 0 {
		return -EINVAL
	}
	ext.minTime = time.Duration(rings.ReadOnce(&w.MinWaitUsec)) * time.Microsecond
	ext.sig = rings.ReadOnce64(&w.Sigmask)
	ext.argsz = uint64(rings.ReadOnce(&w.SigmaskSz))
	if flags&rings.IORING_REG_WAIT_TS != 0 {
		ext.setTimespec(int64(rings.ReadOnce64((*uint64)(unsafe.Pointer(&w.Ts.TvSec)))),
			int64(rings.ReadOnce64((*uint64)(unsafe.Pointer(&w.Ts.TvNsec)))))
	}
	return 0
}

// freeParamRegion releases the registered memory region at ring free.
// Linux: io_uring/io_uring.c:io_ring_ctx_free() (io_free_region(&ctx->param_region))
func (ctx *Ctx) freeParamRegion() {
	if ctx.paramRegion != nil {
		ctx.paramRegion.Free()
	}
	ctx.paramRegion, ctx.cqWaitArg = nil, nil
}

// registerClock is IORING_REGISTER_CLOCK: the clock waits with a timeout
// use, CLOCK_MONOTONIC or CLOCK_BOOTTIME.
// Differs from Linux: both are the one virtual clock (docs/divergences.md,
// "timeout clocks"); the choice is recorded and checked only.
// Linux: io_uring/register.c:io_register_clock()
func (ctx *Ctx) registerClock(task *Task, arg uint64) int {
	var reg rings.ClockRegister
	if task.Proc.MM.CopyFromUser(unsafe.Slice((*byte)(unsafe.Pointer(&reg)), unsafe.Sizeof(reg)), arg) != 0 {
		return -EFAULT
	}
	if reg.Resv != [3]uint32{} {
		return -EINVAL
	}
	switch reg.ClockID {
	case unix.CLOCK_MONOTONIC, unix.CLOCK_BOOTTIME:
	default:
		return -EINVAL
	}
	ctx.clockID = reg.ClockID
	return 0
}
