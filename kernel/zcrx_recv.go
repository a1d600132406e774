package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/mm"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// IORING_OP_RECV_ZC's read of a TCP socket into an ifq's area: each piece
// of data is posted as a 32-byte CQE whose io_uring_zcrx_cqe names the
// buffer (area id, offset in the area). Data the NIC received into the
// area is handed over as it is; other data is copied into free buffers.

// ioSkbsPerCallLimit is IO_SKBS_PER_CALL_LIMIT: skbs one issue takes
// before a multishot receive requeues.
const ioSkbsPerCallLimit = 20

// ReqZcrxIfq is the ifq registered with id on req's ring, nil if none:
// xa_load(&ctx->zcrx_ctxs, id). Call it with uringLock held (prep, issue).
// Linux: io_uring/net.c:io_recvzc_prep()
func ReqZcrxIfq(req *Req, id uint32) *ZcrxIfq { return req.ctx.zcrx.load(id) }

// zcrxArgs is struct io_zcrx_args.
type zcrxArgs struct {
	req    *Req
	ifq    *ZcrxIfq
	nrSkbs int
}

// ZcrxRecv reads the socket's queued data into ifq, posting a CQE per
// buffer: at most *n bytes when *n is not 0 (then *n is decreased by what
// was read). It returns the bytes read, 0 at end of stream, IOU_REQUEUE
// when a multishot issue took many skbs or the stream has ended with data
// still read, or a negative errno (-EAGAIN: nothing queued; -ENOMEM: no
// free buffer to copy into; -ENOSPC: the CQ is full; -EPROTONOSUPPORT:
// not TCP).
// Linux: io_uring/zcrx.c:io_zcrx_recv(), io_zcrx_tcp_recvmsg()
func ZcrxRecv(t *sim.Thread, req *Req, ifq *ZcrxIfq, f *vfs.File, issueFlags uint32, n *uint32) int {
	r, ok := f.Op.(vfs.TCPReader)
	if !ok {
		return -int(unix.EPROTONOSUPPORT)
	}
	count := int(*n)
	if count == 0 {
		count = int(^uint32(0))
	}
	args := &zcrxArgs{req: req, ifq: ifq}
	ret, st := r.ReadSock(t, f, count, func(d vfs.SkbData) int { return args.recvSkb(t, d) })
	if ret == -int(unix.EPROTONOSUPPORT) {
		return ret
	}
	if *n != 0 && ret > 0 {
		*n -= uint32(ret)
	}
	mshot := issueFlags&IO_URING_F_MULTISHOT != 0
	switch {
	case ret <= 0:
		if ret < 0 || st.Done {
			return ret
		}
		if st.Err {
			return vfs.SockFromFile(f).SockError(t)
		}
		if st.RcvShutdown {
			return ret
		}
		if st.Closed {
			return -int(unix.ENOTCONN)
		}
		return -EAGAIN
	case args.nrSkbs > ioSkbsPerCallLimit && mshot:
		return IOU_REQUEUE
	case st.Done:
		// Make it retry until it finally gets 0.
		if mshot {
			return IOU_REQUEUE
		}
		return -EAGAIN
	}
	return ret
}

// recvSkb takes what it can of one skb: a buffer of the area is handed
// over with a CQE (another ifq's buffer is -EFAULT), linear data is copied
// into free buffers.
// Linux: io_uring/zcrx.c:io_zcrx_recv_skb(), io_zcrx_recv_frag()
func (a *zcrxArgs) recvSkb(t *sim.Thread, d vfs.SkbData) int {
	n := min(len(d.Data), d.Count)
	if n == 0 {
		return 0
	}
	if a.nrSkbs > ioSkbsPerCallLimit {
		a.nrSkbs++
		return -EAGAIN
	}
	a.nrSkbs++
	if d.Niov == nil {
		return a.copyChunk(t, d.Data[:n])
	}
	if d.Niov.Owner != vfs.MemoryProvider(a.ifq) {
		return -EFAULT
	}
	if !a.queueCQE(t, d.Niov.Index, d.PageOff, n) {
		return -int(unix.ENOSPC)
	}
	ifq := a.ifq
	ifq.lock.Lock(t)
	ifq.area.ppRefs[d.Niov.Index]++
	ifq.area.userRefs[d.Niov.Index]++
	ifq.lock.Unlock(t)
	return n
}

// copyChunk copies data into buffers from the freelist, a page each, with
// a CQE each: the bytes copied, or -ENOMEM (no free buffer) / -ENOSPC (CQ
// full) if none.
// Linux: io_uring/zcrx.c:io_zcrx_copy_chunk(), io_zcrx_alloc_fallback()
func (a *zcrxArgs) copyChunk(t *sim.Thread, data []byte) int {
	ifq := a.ifq
	copied, ret := 0, 0
	for len(data) > 0 {
		ifq.lock.Lock(t)
		ar := ifq.area
		nf := len(ar.freelist)
		if nf == 0 {
			ifq.lock.Unlock(t)
			ret = -ENOMEM
			break
		}
		i := ar.freelist[nf-1]
		ar.freelist = ar.freelist[:nf-1]
		ar.ppRefs[i] = 1
		ifq.lock.Unlock(t)
		c := copy(ar.niovs[i].Page, data)
		if !a.queueCQE(t, i, 0, c) {
			ifq.lock.Lock(t)
			ar.ppRefs[i] = 0
			ifq.returnNiovLocked(i)
			ifq.lock.Unlock(t)
			ret = -int(unix.ENOSPC)
			break
		}
		ifq.lock.Lock(t)
		ar.userRefs[i]++
		ifq.lock.Unlock(t)
		data = data[c:]
		copied += c
	}
	if copied > 0 {
		return copied
	}
	return ret
}

// queueCQE posts the data CQE for n bytes at off in buffer i straight into
// the CQ ring (no overflow: false when it is full), with
// IORING_CQE_F_MORE (and IORING_CQE_F_32 on a CQE_MIXED ring).
// Linux: io_uring/zcrx.c:io_zcrx_queue_cqe(), io_uring/io_uring.h:io_defer_get_uncommited_cqe()
func (a *zcrxArgs) queueCQE(t *sim.Thread, i uint32, off, n int) bool {
	req := a.req
	ctx := req.ctx
	mixed := ctx.flags&rings.IORING_SETUP_CQE_MIXED != 0
	ctx.cqLockMaybe(t)
	ctx.submitState.cqFlush = true
	slot, ok := ctx.getCQE(false, mixed)
	if ok {
		flags := rings.IORING_CQE_F_MORE
		if mixed {
			flags |= rings.IORING_CQE_F_32
		}
		big := [2]uint64{uint64(off) + uint64(i)*mm.PageSize + 0<<rings.IORING_ZCRX_AREA_SHIFT, 0}
		ctx.writeCQE(t, slot, req.cqe.userData, int32(n), uint32(flags), &big, req)
	}
	ctx.cqUnlockPostMaybe(t)
	return ok
}
