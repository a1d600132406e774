package kernel

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/mm"
	"github.com/uringsim/uringsim/rings"
	"github.com/uringsim/uringsim/rsrc"
	"github.com/uringsim/uringsim/sim"
	"github.com/uringsim/uringsim/vfs"
)

// Zero-copy receive: an interface queue (ifq) bound to one receive queue
// of a NIC, its refill queue in a region the program maps, and the area
// of user memory whose pages the NIC receives payload into. The data path
// (the memory provider and RECV_ZC's reads) is in kernel/zcrx_rx.go.

// ioRqMaxEntries is IO_RQ_MAX_ENTRIES, the largest refill queue.
const ioRqMaxEntries = 32768

// ioringMapOffZcrxRegion is the mmap offset of ifq id's refill queue
// region (plus id << IORING_OFF_PBUF_SHIFT).
// Linux: io_uring/memmap.h:IORING_MAP_OFF_ZCRX_REGION
const ioringMapOffZcrxRegion = 0x30000000

// zcrxRqHdr is the refill queue header: struct io_uring (head, tail)
// aligned to L1_CACHE_BYTES.
const zcrxRqHdr = 64

// ZcrxIfq is struct io_zcrx_ifq, an interface queue of a ring (opaque to ops).
// Linux: io_uring/zcrx.h:struct io_zcrx_ifq
type ZcrxIfq struct {
	ctx          *Ctx
	id           uint32
	region       *mm.Region
	rqHead       *uint32 // rq_ring->head, written by the kernel
	rqTail       *uint32 // rq_ring->tail, written by the program
	rqes         []rings.ZcrxRqe
	rqEntries    uint32
	cachedRqHead uint32
	area         *zcrxArea
	netdev       vfs.NetDevice
	ifRxq        int64 // -1 while no queue is open
	closed       bool  // the queue is closed: returned buffers go to the freelist
	// lock is ifq->rq_lock and the area's freelist_lock in one.
	lock sim.Mutex
	// ppCache is the page pool's cache (alloc cache and ring): buffers
	// the pool holds, none referenced.
	ppCache []uint32
}

// zcrxArea is struct io_zcrx_area: the pinned user memory cut into
// page-sized net_iovs, the freelist, and each buffer's references.
// Linux: io_uring/zcrx.h:struct io_zcrx_area
type zcrxArea struct {
	mem      []byte
	niovs    []vfs.NetIov
	freelist []uint32
	userRefs []uint32 // area->user_refs: buffers handed to the program
	ppRefs   []uint32 // pp_ref_count of each niov
	fromPool []bool   // niov->pp set: allocated by the page pool, not the copy fallback
}

// zcrxTable is ctx->zcrx_ctxs, an xarray allocating ids from 0.
type zcrxTable struct {
	ifqs []*ZcrxIfq
}

// alloc reserves the lowest free id (xa_alloc with xa_limit_31b).
func (tb *zcrxTable) alloc() uint32 {
	for i, q := range tb.ifqs {
		if q == nil {
			return uint32(i)
		}
	}
	tb.ifqs = append(tb.ifqs, nil)
	return uint32(len(tb.ifqs) - 1)
}

func (tb *zcrxTable) load(id uint32) *ZcrxIfq {
	if uint64(id) < uint64(len(tb.ifqs)) {
		return tb.ifqs[id]
	}
	return nil
}

func (tb *zcrxTable) erase(id uint32) {
	if uint64(id) < uint64(len(tb.ifqs)) {
		tb.ifqs[id] = nil
	}
	for len(tb.ifqs) > 0 && tb.ifqs[len(tb.ifqs)-1] == nil {
		tb.ifqs = tb.ifqs[:len(tb.ifqs)-1]
	}
}

// registerZcrxIfq is IORING_REGISTER_ZCRX_IFQ. The checks and their order
// are io_register_zcrx_ifq's: the ring must be DEFER_TASKRUN and have big
// CQEs (CQE32 or CQE_MIXED), then the struct and the region description
// are copied in (-EFAULT), reserved words, zcrx_id, flags, if_rxq -1 and
// rq_entries 0 are -EINVAL, more than IO_RQ_MAX_ENTRIES entries -EINVAL
// unless IORING_SETUP_CLAMP, the area description is copied in (-EFAULT),
// the refill queue region is created (too small -EINVAL, then
// io_create_region's checks), the interface looked up (-ENODEV), its
// parent device required (-EOPNOTSUPP: loopback), the area imported, and
// the receive queue opened. On success reg (with the rounded rq_entries,
// the offsets and zcrx_id), the region description (its mmap offset) and
// the area (rq_area_token) are copied back.
//
// Differs from Linux: the caller always has CAP_NET_ADMIN (no -EPERM);
// area pages are not charged to the memlock limit; no dma-buf exists, so
// IORING_ZCRX_AREA_DMABUF fails as dma_buf_get does for a file that is
// not one (docs/divergences.md).
// Linux: io_uring/zcrx.c:io_register_zcrx_ifq()
func (ctx *Ctx) registerZcrxIfq(task *Task, arg uint64) int {
	t := task.Thread
	as := task.Proc.MM
	if ctx.flags&rings.IORING_SETUP_DEFER_TASKRUN == 0 {
		return -EINVAL
	}
	if ctx.flags&(rings.IORING_SETUP_CQE32|rings.IORING_SETUP_CQE_MIXED) == 0 {
		return -EINVAL
	}
	var reg rings.ZcrxIfqReg
	regb := unsafe.Slice((*byte)(unsafe.Pointer(&reg)), unsafe.Sizeof(reg))
	if as.CopyFromUser(regb, arg) != 0 {
		return -EFAULT
	}
	var rd rings.RegionDesc
	rdb := unsafe.Slice((*byte)(unsafe.Pointer(&rd)), unsafe.Sizeof(rd))
	if as.CopyFromUser(rdb, reg.RegionPtr) != 0 {
		return -EFAULT
	}
	if reg.Resv != [3]uint64{} || reg.Resv2 != 0 || reg.ZcrxID != 0 {
		return -EINVAL
	}
	if reg.IfRxq == ^uint32(0) || reg.RqEntries == 0 || reg.Flags != 0 {
		return -EINVAL
	}
	if reg.RqEntries > ioRqMaxEntries {
		if ctx.flags&rings.IORING_SETUP_CLAMP == 0 {
			return -EINVAL
		}
		reg.RqEntries = ioRqMaxEntries
	}
	reg.RqEntries = roundupPow2(reg.RqEntries)
	var area rings.ZcrxAreaReg
	areab := unsafe.Slice((*byte)(unsafe.Pointer(&area)), unsafe.Sizeof(area))
	if as.CopyFromUser(areab, reg.AreaPtr) != 0 {
		return -EFAULT
	}
	ifq := &ZcrxIfq{ctx: ctx, ifRxq: -1, rqEntries: reg.RqEntries}
	id := ctx.zcrx.alloc()
	ctx.zcrx.ifqs[id] = nil
	fail := func(ret int) int {
		ctx.zcrx.erase(id)
		ifq.free(t)
		return ret
	}
	if ret := ifq.allocateRbufRing(task, &reg, &rd, id); ret != 0 {
		return fail(ret)
	}
	var nd vfs.NetDevice
	if devs, ok := task.Proc.K.net.(vfs.NetDevices); ok {
		nd = devs.NetdevGetByIndex(t, reg.IfIdx)
	}
	if nd == nil {
		return fail(-int(unix.ENODEV))
	}
	ifq.netdev = nd
	if !nd.HasParent() {
		return fail(-EOPNOTSUPP)
	}
	if ret := ifq.createArea(task, &area); ret != 0 {
		return fail(ret)
	}
	if ret := nd.OpenRxQueue(t, reg.IfRxq, ifq); ret != 0 {
		return fail(ret)
	}
	ifq.ifRxq = int64(reg.IfRxq)
	ifq.id = id
	reg.ZcrxID = id
	ctx.zcrx.ifqs[id] = ifq
	if as.CopyToUser(arg, regb) != 0 || as.CopyToUser(reg.RegionPtr, rdb) != 0 || as.CopyToUser(reg.AreaPtr, areab) != 0 {
		return fail(-EFAULT)
	}
	return 0
}

// roundupPow2 is roundup_pow_of_two for 1 <= v <= 1<<31.
func roundupPow2(v uint32) uint32 {
	p := uint32(1)
	for p < v {
		p <<= 1
	}
	return p
}

// allocateRbufRing creates the refill queue's region (user memory, or
// kernel pages mmap'd at IORING_MAP_OFF_ZCRX_REGION + id << 16) and writes
// the ring's offsets into reg.
// Linux: io_uring/zcrx.c:io_allocate_rbuf_ring()
func (ifq *ZcrxIfq) allocateRbufRing(task *Task, reg *rings.ZcrxIfqReg, rd *rings.RegionDesc, id uint32) int {
	size := uint64(zcrxRqHdr) + uint64(unsafe.Sizeof(rings.ZcrxRqe{}))*uint64(reg.RqEntries)
	if size > rd.Size {
		return -EINVAL
	}
	r, ret := createRegion(task, rd, ioringMapOffZcrxRegion+uint64(id)<<rings.IORING_OFF_PBUF_SHIFT)
	if ret != 0 {
		return ret
	}
	ifq.region = r
	ifq.rqHead = (*uint32)(unsafe.Pointer(&r.Mem[0]))
	ifq.rqTail = (*uint32)(unsafe.Pointer(&r.Mem[4]))
	ifq.rqes = unsafe.Slice((*rings.ZcrxRqe)(unsafe.Pointer(&r.Mem[zcrxRqHdr])), reg.RqEntries)
	reg.Offsets.Head = 0
	reg.Offsets.Tail = 4
	reg.Offsets.Rqes = zcrxRqHdr
	return 0
}

// createArea imports the area's memory and cuts it into net_iovs, all on
// the freelist; the area's token (id 0 << IORING_ZCRX_AREA_SHIFT) goes
// into area.RqAreaToken.
// Linux: io_uring/zcrx.c:io_zcrx_create_area(), io_import_area(), io_import_umem(), io_import_dmabuf()
func (ifq *ZcrxIfq) createArea(task *Task, area *rings.ZcrxAreaReg) int {
	if area.Flags&^rings.IORING_ZCRX_AREA_DMABUF != 0 {
		return -EINVAL
	}
	if area.RqAreaToken != 0 {
		return -EINVAL
	}
	if area.Resv2 != [2]uint64{} {
		return -EINVAL
	}
	if ret := rsrc.ValidateUserBufRange(area.Addr, area.Len); ret != 0 {
		return ret
	}
	if area.Addr%mm.PageSize != 0 || area.Len%mm.PageSize != 0 {
		return -EINVAL
	}
	if area.Flags&rings.IORING_ZCRX_AREA_DMABUF != 0 {
		// io_import_dmabuf: the offset must be 0; dma_buf_get fails for
		// every descriptor, since no file here is a dma-buf.
		if area.Addr != 0 {
			return -EINVAL
		}
		f := task.Proc.Files.Get(task.Thread, int(int32(area.DmabufFd)))
		if f == nil {
			return -EBADF
		}
		f.Put(task.Thread)
		return -EINVAL
	}
	if area.DmabufFd != 0 {
		return -EINVAL
	}
	if area.Addr == 0 {
		return -EFAULT
	}
	mem, errno := task.Proc.MM.Slice(area.Addr, area.Len)
	if errno != 0 {
		return -EFAULT
	}
	n := uint32(area.Len / mm.PageSize)
	a := &zcrxArea{
		mem:      mem,
		niovs:    make([]vfs.NetIov, n),
		freelist: make([]uint32, n),
		userRefs: make([]uint32, n),
		ppRefs:   make([]uint32, n),
		fromPool: make([]bool, n),
	}
	for i := range n {
		a.niovs[i] = vfs.NetIov{Owner: ifq, Index: i, Page: mem[uint64(i)*mm.PageSize : uint64(i+1)*mm.PageSize : uint64(i+1)*mm.PageSize]}
		a.freelist[i] = i
	}
	ifq.area = a
	area.RqAreaToken = 0 << rings.IORING_ZCRX_AREA_SHIFT
	return 0
}

// closeQueue unbinds the ifq from its receive queue.
// Linux: io_uring/zcrx.c:io_close_queue()
func (ifq *ZcrxIfq) closeQueue(t *sim.Thread) {
	if ifq.ifRxq == -1 {
		return
	}
	if ifq.netdev != nil {
		ifq.netdev.CloseRxQueue(t, uint32(ifq.ifRxq), ifq)
	}
	ifq.lock.Lock(t)
	ifq.closed = true
	// The page pool is destroyed: what it cached goes back to the area.
	for _, i := range ifq.ppCache {
		ifq.area.fromPool[i] = false
		ifq.area.freelist = append(ifq.area.freelist, i)
	}
	ifq.ppCache = nil
	ifq.lock.Unlock(t)
	ifq.ifRxq = -1
}

// free releases the ifq: queue, area, region.
// Linux: io_uring/zcrx.c:io_zcrx_ifq_free()
func (ifq *ZcrxIfq) free(t *sim.Thread) {
	ifq.closeQueue(t)
	ifq.netdev = nil
	if ifq.region != nil {
		ifq.region.Free()
	}
	ifq.region, ifq.rqHead, ifq.rqTail, ifq.rqes = nil, nil, nil, nil
}

// shutdownZcrxIfqs takes back every buffer the program holds and closes
// the queues, at ring exit.
// Linux: io_uring/zcrx.c:io_shutdown_zcrx_ifqs()
func (ctx *Ctx) shutdownZcrxIfqs(t *sim.Thread) {
	for _, ifq := range ctx.zcrx.ifqs {
		if ifq != nil {
			ifq.scrub(t)
			ifq.closeQueue(t)
		}
	}
}

// unregisterZcrxIfqs frees every ifq when the ring is freed.
// Linux: io_uring/zcrx.c:io_unregister_zcrx_ifqs()
func (ctx *Ctx) unregisterZcrxIfqs(t *sim.Thread) {
	for id, ifq := range ctx.zcrx.ifqs {
		if ifq != nil {
			ctx.zcrx.ifqs[id] = nil
			ifq.free(t)
		}
	}
	ctx.zcrx.ifqs = nil
}

// zcrxRegion is the region of ifq id for mmap, nil if there is none.
// Linux: io_uring/zcrx.c:io_zcrx_get_region()
func (ctx *Ctx) zcrxRegion(id uint64) *mm.Region {
	if id > 1<<31 {
		return nil
	}
	if ifq := ctx.zcrx.load(uint32(id)); ifq != nil {
		return ifq.region
	}
	return nil
}
