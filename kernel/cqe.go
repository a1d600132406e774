package kernel

import (
	"unsafe"

	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// cqSlot returns the 16-byte CQE slot at index i of the CQE array (in
// 16-byte units: a 32-byte CQE takes two).
func (ctx *Ctx) cqSlot(i uint32) *rings.CQE {
	return (*rings.CQE)(unsafe.Add(ctx.cqes, uintptr(i)*unsafe.Sizeof(rings.CQE{})))
}

// cqSlotBig returns the two extra words after the 16-byte slot i.
func (ctx *Ctx) cqSlotBig(i uint32) *[2]uint64 {
	return (*[2]uint64)(unsafe.Add(unsafe.Pointer(ctx.cqSlot(i)), unsafe.Sizeof(rings.CQE{})))
}

// cqringEvents is how many CQEs the kernel has posted that user space has
// not consumed, by the kernel's own tail.
// Linux: io_uring/io_uring.c:__io_cqring_events()
func (ctx *Ctx) cqringEvents() uint32 {
	return ctx.cachedCQTail - rings.LoadAcquire(&ctx.rings.CQ.Head)
}

// cqringEventsUser is the same by the user-visible tail.
// Linux: io_uring/io_uring.c:__io_cqring_events_user()
func (ctx *Ctx) cqringEventsUser() uint32 {
	return rings.LoadAcquire(&ctx.rings.CQ.Tail) - rings.LoadAcquire(&ctx.rings.CQ.Head)
}

// cqringQueued is the number of posted, unconsumed CQEs clamped to the ring
// size, in unsigned 32-bit arithmetic: user space may write anything into
// cq.head, and a head written past the tail makes the CQ look full (no
// free slot: new CQEs overflow and the overflow list is not flushed) until
// the program writes a sane head again.
// Linux 7.1 (f44d38a31f18, "validate user-controlled cq.head") treats such a
// head as an empty CQ instead; 6.18, the reference, does not.
// Linux: io_uring/io_uring.c:io_cqe_cache_refill() (queued = min(__io_cqring_events(ctx), ctx->cq_entries))
func (ctx *Ctx) cqringQueued() uint32 {
	return min(ctx.cqringEvents(), ctx.cqEntries)
}

// fillNopCQE posts a padding CQE (IORING_CQE_F_SKIP) in the last slot so a
// 32-byte CQE on a CQE_MIXED ring does not wrap.
// Linux: io_uring/io_uring.c:io_fill_nop_cqe()
func (ctx *Ctx) fillNopCQE(off uint32) bool {
	if ctx.cqringEvents() >= ctx.cqEntries { // unsigned: a head past the tail is "full"
		return false
	}
	c := ctx.cqSlot(off)
	c.UserData, c.Res, c.Flags = 0, 0, rings.IORING_CQE_F_SKIP
	ctx.cachedCQTail++
	return true
}

// cqeCacheRefill finds the next contiguous run of free CQE slots. Unless
// called to flush the overflow list, it refuses while overflowed CQEs are
// pending, so that new CQEs never overtake older ones (aa1df3a360a0).
// cqe32 asks room for a 32-byte CQE on an IORING_SETUP_CQE_MIXED ring.
// Linux: io_uring/io_uring.c:io_cqe_cache_refill()
func (ctx *Ctx) cqeCacheRefill(overflow, cqe32 bool) bool {
	off := ctx.cachedCQTail & (ctx.cqEntries - 1)
	if !overflow && ctx.checkCQ.Load()&ioCheckCQOverflow != 0 && !ctx.k.Bugs.CQOverflowDirectPost {
		return false
	}
	// A 32-byte CQE must not wrap: pad the last slot first.
	if cqe32 && off+1 == ctx.cqEntries {
		if !ctx.fillNopCQE(off) {
			return false
		}
		off = 0
	}
	free := ctx.cqEntries - ctx.cqringQueued()
	n := min(free, ctx.cqEntries-off)
	if n < 1+boolU32(cqe32) {
		return false
	}
	ctx.cqeCached = off << ctx.cqeShift
	ctx.cqeSentinel = (off + n) << ctx.cqeShift
	return true
}

func boolU32(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// getCQE reserves the next CQE slot and returns its index (16-byte units),
// or false when the CQ is full (or must not be written, see
// cqeCacheRefill). cqe32 asks for a 32-byte slot on a CQE_MIXED ring.
// Linux: io_uring/io_uring.h:io_get_cqe_overflow()
func (ctx *Ctx) getCQE(overflow, cqe32 bool) (uint32, bool) {
	if ctx.cqeSentinel-ctx.cqeCached < 1+boolU32(cqe32) {
		if !ctx.cqeCacheRefill(overflow, cqe32) {
			return 0, false
		}
	}
	i := ctx.cqeCached
	ctx.cachedCQTail++
	ctx.cqeCached++
	if ctx.cqeShift == 1 {
		ctx.cqeCached++
	} else if cqe32 {
		ctx.cqeCached++
		ctx.cachedCQTail++
	}
	return i, true
}

// writeCQE fills slot i. big is written only where the slot is 32 bytes.
func (ctx *Ctx) writeCQE(t *sim.Thread, i uint32, userData uint64, res int32, cflags uint32, big *[2]uint64, req *Req) {
	c := ctx.cqSlot(i)
	c.UserData, c.Res, c.Flags = userData, res, cflags
	if ctx.cqeShift == 1 || cflags&rings.IORING_CQE_F_32 != 0 {
		writeBigCQE(ctx.cqSlotBig(i), big)
	}
	if w := ctx.world(); w.Tracing() {
		ctx.traceComplete(t, userData, res, cflags, req)
	}
}

// writeBigCQE fills the two extra words of a 32-byte slot (zero for nil).
func writeBigCQE(b, big *[2]uint64) {
	if big != nil {
		*b = *big
	} else {
		*b = [2]uint64{}
	}
}

// traceComplete is the io_uring_complete trace event.
func (ctx *Ctx) traceComplete(t *sim.Thread, userData uint64, res int32, cflags uint32, req *Req) {
	fs := []sim.Field{sim.U("ctx", ctx.ID), sim.X("user_data", userData), sim.I("res", int64(res)),
		sim.S("cflags", rings.FlagNames(rings.FamilyCQEFlags, uint64(cflags)))}
	if req != nil {
		fs = append(fs, sim.U("req", req.ID))
	}
	ctx.world().Emit(t, "io_uring_complete", fs...)
}

// commitCQRing publishes the cached CQ tail to user space (store-release,
// pairing with the reader's load-acquire of cq.tail).
// Linux: io_uring/io_uring.h:io_commit_cqring()
func (ctx *Ctx) commitCQRing() {
	rings.StoreRelease(&ctx.rings.CQ.Tail, ctx.cachedCQTail)
}
