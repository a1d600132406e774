package kernel

import (
	"unsafe"

	"github.com/uringsim/uringsim/kbuf"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
)

// The request side of provided buffers (io_uring/kbuf.c, kbuf.h): how a
// request selects, recycles and puts back a buffer of package kbuf. The
// op-facing API is in opapi.go (BufferSelect, KbufRecycle, PutKbuf, …).

// BufSel is struct io_br_sel: a selection's user address and, while a ring
// buffer is selected but not committed, the list it must be committed to
// (or recycled into). Only the issue that selected may use the list: it
// is valid while uring_lock is held, so an unlocked (io-wq) selection
// commits at once and leaves it nil.
// Linux: io_uring/kbuf.h:struct io_br_sel
type BufSel struct {
	bl   *kbuf.List
	Addr uint64
}

// ringSubmitLock takes uring_lock for an issue that runs without it.
// Linux: io_uring/io_uring.h:io_ring_submit_lock()
func (ctx *Ctx) ringSubmitLock(t *sim.Thread, issueFlags uint32) {
	if issueFlags&IO_URING_F_UNLOCKED != 0 {
		ctx.uringLock.Lock(t)
	}
}

// ringSubmitUnlock pairs with ringSubmitLock.
// Linux: io_uring/io_uring.h:io_ring_submit_unlock()
func (ctx *Ctx) ringSubmitUnlock(t *sim.Thread, issueFlags uint32) {
	if issueFlags&IO_URING_F_UNLOCKED != 0 {
		ctx.uringLock.Unlock(t)
	}
}

// doBufferSelect reports a request that wants a buffer and has none yet.
// Linux: io_uring/kbuf.h:io_do_buffer_select()
func doBufferSelect(req *Req) bool {
	if req.flags&REQ_F_BUFFER_SELECT == 0 {
		return false
	}
	return req.flags&(REQ_F_BUFFER_SELECTED|REQ_F_BUFFER_RING) == 0
}

// shouldCommit: a selection must be committed at once when the request
// runs without uring_lock (io-wq: nothing else would keep the buffer from
// being handed out again) or on a file that cannot be polled (it will not
// come back through poll to retry).
// Linux: io_uring/kbuf.c:io_should_commit()
func shouldCommit(req *Req, issueFlags uint32) bool {
	if issueFlags&IO_URING_F_UNLOCKED != 0 {
		return true
	}
	return !ReqCanPoll(req) && req.opcode != rings.IORING_OP_URING_CMD
}

// kbufCommit commits a ring selection still pending (REQ_F_BUFFERS_COMMIT):
// it reports false when an incremental buffer has bytes left.
// Linux: io_uring/kbuf.c:io_kbuf_commit()
func kbufCommit(req *Req, bl *kbuf.List, n, nr int) bool {
	if req.flags&REQ_F_BUFFERS_COMMIT == 0 {
		return true
	}
	req.flags &^= REQ_F_BUFFERS_COMMIT
	return bl.Commit(n, nr)
}

// ringBufferSelect picks the buffer at the ring's head for req.
// Linux: io_uring/kbuf.c:io_ring_buffer_select()
func ringBufferSelect(req *Req, n *uint64, bl *kbuf.List, issueFlags uint32) BufSel {
	b, ok := bl.RingBufferSelect(n)
	if !ok {
		return BufSel{}
	}
	if b.Empty {
		req.flags |= REQ_F_BL_EMPTY
	}
	req.flags |= REQ_F_BUFFER_RING | REQ_F_BUFFERS_COMMIT
	req.bufIndex = b.Bid
	sel := BufSel{bl: bl, Addr: b.Addr}
	if shouldCommit(req, issueFlags) {
		if !kbufCommit(req, sel.bl, int(*n), 1) {
			req.flags |= REQ_F_BUF_MORE
		}
		sel.bl = nil
	}
	return sel
}

// providedBufferSelect takes the first buffer of a legacy group.
// Linux: io_uring/kbuf.c:io_provided_buffer_select()
func providedBufferSelect(req *Req, n *uint64, bl *kbuf.List) uint64 {
	buf, empty := bl.ProvidedBufferSelect(n)
	if buf == nil {
		return 0
	}
	if empty {
		req.flags |= REQ_F_BL_EMPTY
	}
	req.flags |= REQ_F_BUFFER_SELECTED
	req.kbuf = buf
	req.bufIndex = buf.Bid
	return buf.Addr
}

// bufferSelect selects one buffer of group bufGroup for req; n is the
// wanted length in (0: any) and the buffer's usable length out. A zero
// Addr means none: the group is unknown or empty (-ENOBUFS for the op).
// Linux: io_uring/kbuf.c:io_buffer_select()
func bufferSelect(t *sim.Thread, req *Req, n *uint64, bufGroup uint16, issueFlags uint32) BufSel {
	ctx := req.ctx
	ctx.ringSubmitLock(t, issueFlags)
	defer ctx.ringSubmitUnlock(t, issueFlags)
	bl := ctx.bufTable.Get(bufGroup)
	if bl == nil {
		return BufSel{}
	}
	if bl.IsRing() {
		return ringBufferSelect(req, n, bl, issueFlags)
	}
	return BufSel{Addr: providedBufferSelect(req, n, bl)}
}

// kbufRecycle gives a selected but unused buffer back: a ring buffer by
// not committing it (only possible while its list is known, i.e. in the
// issue that selected it), a legacy one by putting it back at the head of
// its group. It reports whether a buffer was given back.
// Linux: io_uring/kbuf.h:io_kbuf_recycle(), io_kbuf_recycle_ring(); kbuf.c:io_kbuf_recycle_legacy()
func kbufRecycle(t *sim.Thread, req *Req, sel *BufSel, issueFlags uint32) bool {
	if req.flags&REQ_F_BL_NO_RECYCLE != 0 {
		return false
	}
	if req.flags&REQ_F_BUFFER_RING != 0 {
		if sel != nil && sel.bl != nil {
			req.flags &^= REQ_F_BUFFER_RING | REQ_F_BUFFERS_COMMIT
			return true
		}
		return false
	}
	if req.flags&REQ_F_BUFFER_SELECTED != 0 {
		ctx := req.ctx
		ctx.ringSubmitLock(t, issueFlags)
		ctx.bufTable.RecycleLegacy(req.kbuf)
		req.flags &^= REQ_F_BUFFER_SELECTED
		req.kbuf = nil
		ctx.ringSubmitUnlock(t, issueFlags)
		return true
	}
	return false
}

// kbufDropLegacy forgets a legacy buffer the request consumed: its id is
// reported in the CQE and the program owns it again.
// Linux: io_uring/kbuf.c:io_kbuf_drop_legacy()
func kbufDropLegacy(req *Req) {
	if req.ctx.k.warnOn(req.flags&REQ_F_BUFFER_SELECTED == 0, "dropping a legacy buffer that is not selected") {
		return
	}
	req.flags &^= REQ_F_BUFFER_SELECTED
	req.kbuf = nil
}

// putKbufRing commits what is pending and reports whether the buffer is
// done (false: IORING_CQE_F_BUF_MORE).
// Linux: io_uring/kbuf.c:__io_put_kbuf_ring()
func putKbufRing(req *Req, bl *kbuf.List, n, nr int) bool {
	ret := true
	if bl != nil {
		ret = kbufCommit(req, bl, n, nr)
	}
	if ret && req.flags&REQ_F_BUF_MORE != 0 {
		ret = false
	}
	req.flags &^= REQ_F_BUFFER_RING | REQ_F_BUF_MORE
	return ret
}

// putKbufs ends the request's use of its buffer(s) after a transfer of n
// bytes over nbufs buffers and returns the CQE flags that report it:
// IORING_CQE_F_BUFFER with the (first) buffer id in the upper 16 bits,
// and IORING_CQE_F_BUF_MORE when an incremental buffer has room left.
// Linux: io_uring/kbuf.c:__io_put_kbufs(); kbuf.h:io_put_kbufs()
func putKbufs(req *Req, n int, sel *BufSel, nbufs int) uint32 {
	if req.flags&(REQ_F_BUFFER_RING|REQ_F_BUFFER_SELECTED) == 0 {
		return 0
	}
	ret := rings.IORING_CQE_F_BUFFER | uint32(req.bufIndex)<<rings.IORING_CQE_BUFFER_SHIFT
	if req.flags&REQ_F_BUFFER_RING == 0 {
		kbufDropLegacy(req)
		return ret
	}
	var bl *kbuf.List
	if sel != nil {
		bl = sel.bl
	}
	if !putKbufRing(req, bl, n, nbufs) {
		ret |= rings.IORING_CQE_F_BUF_MORE
	}
	return ret
}

// providedBuffersSelect is a one-buffer "bundle" from a legacy group.
// Linux: io_uring/kbuf.c:io_provided_buffers_select()
func providedBuffersSelect(req *Req, n *uint64, bl *kbuf.List, arg *kbuf.SelArg) int {
	addr := providedBufferSelect(req, n, bl)
	if addr == 0 {
		return -ENOBUFS
	}
	arg.Iovs = append(arg.Iovs[:0], kbuf.Iovec{Base: addr, Len: *n})
	return 1
}

// buffersSelect maps several buffers of arg.BufGroup for a bundle and
// commits them at once (they cannot be recycled afterwards,
// REQ_F_BL_NO_RECYCLE); a legacy group gives one buffer. It returns the
// number of iovecs or an error (-ENOENT for an unknown group, -ENOBUFS for
// an empty one).
// Linux: io_uring/kbuf.c:io_buffers_select()
func buffersSelect(t *sim.Thread, req *Req, arg *kbuf.SelArg, sel *BufSel, issueFlags uint32) int {
	ctx := req.ctx
	ctx.ringSubmitLock(t, issueFlags)
	defer ctx.ringSubmitUnlock(t, issueFlags)
	sel.bl = ctx.bufTable.Get(arg.BufGroup)
	if sel.bl == nil {
		return -ENOENT
	}
	var ret int
	if sel.bl.IsRing() {
		ret = ringBuffersPeek(req, arg, sel.bl)
		if ret > 0 {
			req.flags |= REQ_F_BUFFERS_COMMIT | REQ_F_BL_NO_RECYCLE
			if !kbufCommit(req, sel.bl, int(arg.OutLen), ret) {
				req.flags |= REQ_F_BUF_MORE
			}
		}
	} else {
		ret = providedBuffersSelect(req, &arg.OutLen, sel.bl, arg)
	}
	if issueFlags&IO_URING_F_UNLOCKED != 0 {
		sel.bl = nil
	}
	return ret
}

// ringBuffersPeek maps buffers from the ring's head for req.
// Linux: io_uring/kbuf.c:io_ring_buffers_peek()
func ringBuffersPeek(req *Req, arg *kbuf.SelArg, bl *kbuf.List) int {
	ret := bl.RingBuffersPeek(arg)
	if ret < 0 {
		return ret
	}
	req.bufIndex = arg.FirstBid
	if arg.Empty {
		req.flags |= REQ_F_BL_EMPTY
	}
	req.flags |= REQ_F_BUFFER_RING
	return ret
}

// buffersPeek maps buffers for a bundle without committing them (the
// caller commits the bytes it used through putKbufs); uring_lock is held.
// A legacy group gives one buffer.
// Linux: io_uring/kbuf.c:io_buffers_peek()
func buffersPeek(req *Req, arg *kbuf.SelArg, sel *BufSel) int {
	bl := req.ctx.bufTable.Get(arg.BufGroup)
	if bl == nil {
		return -ENOENT
	}
	if bl.IsRing() {
		ret := ringBuffersPeek(req, arg, bl)
		if ret > 0 {
			req.flags |= REQ_F_BUFFERS_COMMIT
		}
		sel.bl = bl
		return ret
	}
	sel.bl = nil
	return providedBuffersSelect(req, &arg.MaxLen, bl, arg)
}

// registerPbufRing is IORING_REGISTER_PBUF_RING.
// Linux: io_uring/kbuf.c:io_register_pbuf_ring()
func (ctx *Ctx) registerPbufRing(task *Task, arg uint64) int {
	var reg rings.BufReg
	b := unsafe.Slice((*byte)(unsafe.Pointer(&reg)), unsafe.Sizeof(reg))
	if task.Proc.MM.CopyFromUser(b, arg) != 0 {
		return -EFAULT
	}
	return ctx.bufTable.RegisterPbufRing(task.Proc.MM, &reg)
}

// unregisterPbufRing is IORING_UNREGISTER_PBUF_RING.
// Linux: io_uring/kbuf.c:io_unregister_pbuf_ring()
func (ctx *Ctx) unregisterPbufRing(task *Task, arg uint64) int {
	var reg rings.BufReg
	b := unsafe.Slice((*byte)(unsafe.Pointer(&reg)), unsafe.Sizeof(reg))
	if task.Proc.MM.CopyFromUser(b, arg) != 0 {
		return -EFAULT
	}
	return ctx.bufTable.UnregisterPbufRing(&reg)
}

// registerPbufStatus is IORING_REGISTER_PBUF_STATUS: the ring's head.
// Linux: io_uring/kbuf.c:io_register_pbuf_status()
func (ctx *Ctx) registerPbufStatus(task *Task, arg uint64) int {
	var st rings.BufStatus
	b := unsafe.Slice((*byte)(unsafe.Pointer(&st)), unsafe.Sizeof(st))
	if task.Proc.MM.CopyFromUser(b, arg) != 0 {
		return -EFAULT
	}
	if ret := ctx.bufTable.PbufStatus(&st); ret != 0 {
		return ret
	}
	if task.Proc.MM.CopyToUser(arg, b) != 0 {
		return -EFAULT
	}
	return 0
}
