package kernel

import (
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// cqringOverflowFlush moves overflowed CQEs back into the ring, oldest
// first, as long as there is room; when the list empties it clears
// IORING_SQ_CQ_OVERFLOW. With dying set (ring teardown) the entries are
// dropped. Called with uringLock held.
// Linux: io_uring/io_uring.c:__io_cqring_overflow_flush()
func (ctx *Ctx) cqringOverflowFlush(t *sim.Thread, dying bool) {
	ctx.completionLock.Lock(t)
	// Linux reads the cached tail before taking the lock (a benign race);
	// here it is read under it.
	if !dying && ctx.cqringEvents() == ctx.cqEntries {
		ctx.completionLock.Unlock(t)
		return
	}
	for ctx.overflowList.len() > 0 {
		o := ctx.overflowList.front()
		if !dying {
			i, ok := ctx.getCQE(true, o.cqe.Flags&rings.IORING_CQE_F_32 != 0)
			if !ok {
				break
			}
			ctx.writeCQE(t, i, o.cqe.UserData, o.cqe.Res, o.cqe.Flags, &o.big, nil)
		}
		ctx.overflowList.pop()
	}
	if ctx.overflowList.len() == 0 {
		ctx.checkCQ.And(^ioCheckCQOverflow)
		rings.AtomicAndNot(&ctx.rings.SQFlags, rings.IORING_SQ_CQ_OVERFLOW)
	}
	ctx.cqUnlockPost(t)
}

// cqringDoOverflowFlush is the flush under uringLock.
// Linux: io_uring/io_uring.c:io_cqring_do_overflow_flush()
func (ctx *Ctx) cqringDoOverflowFlush(t *sim.Thread) {
	ctx.uringLock.Lock(t)
	ctx.cqringOverflowFlush(t, false)
	ctx.uringLock.Unlock(t)
}
