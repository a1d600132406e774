package uring

import (
	"unsafe"

	"github.com/uringsim/uringsim/rings"
)

// Zero-copy receive (io_uring/zcrx.c) from the user side: registering an
// interface queue, the refill queue a program hands buffers back through,
// and the RECV_ZC request. See docs/netdev.md for the simulated NIC's
// queues.

// ZcrxRqHdrSize is the bytes before the first refill queue entry in the
// region: struct io_uring (head, tail) aligned to a cache line.
//
// Linux: io_uring/zcrx.c:io_allocate_rbuf_ring() (ALIGN(sizeof(struct io_uring), L1_CACHE_BYTES))
const ZcrxRqHdrSize = 64

// ZcrxRqRegionSize is the page-rounded size of a refill queue region for
// entries entries.
//
// Linux: liburing examples/zcrx.c:get_refill_ring_size()
func ZcrxRqRegionSize(entries uint32) uint64 {
	n := uint64(ZcrxRqHdrSize) + uint64(entries)*uint64(unsafe.Sizeof(rings.ZcrxRqe{}))
	return (n + pageSize - 1) &^ (pageSize - 1)
}

const pageSize = 4096

// RegisterIfq is IORING_REGISTER_ZCRX_IFQ. reg is copied into user
// memory; when area or rd is non-nil it is copied there too and
// reg.AreaPtr / reg.RegionPtr point at the copy (nil keeps the pointer
// reg holds, so a test can pass a bad one). What the kernel writes back
// (the rounded rq_entries, the offsets, zcrx_id, the area's
// rq_area_token, the region's mmap offset) lands in reg, area and rd.
//
// Linux: liburing src/register.c:io_uring_register_ifq()
func (r *Ring) RegisterIfq(reg *rings.ZcrxIfqReg, area *rings.ZcrxAreaReg, rd *rings.RegionDesc) error {
	const (
		regSz  = uint64(unsafe.Sizeof(rings.ZcrxIfqReg{}))
		areaSz = uint64(unsafe.Sizeof(rings.ZcrxAreaReg{}))
		rdSz   = uint64(unsafe.Sizeof(rings.RegionDesc{}))
	)
	return r.withArg(regSz+areaSz+rdSz, func(b []byte, addr uint64) error {
		ureg := (*rings.ZcrxIfqReg)(unsafe.Pointer(&b[0]))
		uarea := (*rings.ZcrxAreaReg)(unsafe.Pointer(&b[regSz]))
		urd := (*rings.RegionDesc)(unsafe.Pointer(&b[regSz+areaSz]))
		*ureg = *reg
		if area != nil {
			*uarea = *area
			ureg.AreaPtr = addr + regSz
		}
		if rd != nil {
			*urd = *rd
			ureg.RegionPtr = addr + regSz + areaSz
		}
		_, err := r.Register(rings.IORING_REGISTER_ZCRX_IFQ, addr, 1)
		ptrs := [2]uint64{reg.AreaPtr, reg.RegionPtr}
		*reg = *ureg
		if area != nil {
			*area = *uarea
			reg.AreaPtr = ptrs[0]
		}
		if rd != nil {
			*rd = *urd
			reg.RegionPtr = ptrs[1]
		}
		return err
	})
}

// ZcrxRq is struct io_uring_zcrx_rq, a program's view of a refill queue:
// the kernel's head and tail words, the entries, and the tail the program
// has filled up to (published by Advance).
//
// Linux: liburing src/include/liburing.h:struct io_uring_zcrx_rq
type ZcrxRq struct {
	khead, ktail *uint32
	RqTail       uint32
	RingEntries  uint32
	rqes         []rings.ZcrxRqe
	be           Backend
}

// ZcrxRqInit makes the refill queue view of a region mapped at mem with
// the offsets and entry count IORING_REGISTER_ZCRX_IFQ wrote back.
//
// Linux: liburing examples/zcrx.c:setup_zcrx() (the rq_ring fields)
func (r *Ring) ZcrxRqInit(mem []byte, reg *rings.ZcrxIfqReg) *ZcrxRq {
	rq := &ZcrxRq{
		khead:       (*uint32)(unsafe.Pointer(&mem[reg.Offsets.Head])),
		ktail:       (*uint32)(unsafe.Pointer(&mem[reg.Offsets.Tail])),
		RingEntries: reg.RqEntries,
		be:          r.be,
	}
	rq.rqes = unsafe.Slice((*rings.ZcrxRqe)(unsafe.Pointer(&mem[reg.Offsets.Rqes])), reg.RqEntries)
	rq.RqTail = rings.LoadAcquire(rq.ktail)
	return rq
}

// Queued is how many entries the kernel has not consumed yet.
//
// Linux: liburing test/zcrx.c:rq_nr_queued()
func (rq *ZcrxRq) Queued() uint32 {
	rq.be.Yield()
	return rq.RqTail - rings.LoadAcquire(rq.khead)
}

// Add fills the next entry with a buffer to give back: off as the CQE's
// io_uring_zcrx_cqe.off carried it (area id in the top bits), len the
// CQE's res. It reports false when the queue is full.
//
// Linux: liburing examples/zcrx.c:fill_rqe(), return_buffer()
func (rq *ZcrxRq) Add(off uint64, n uint32) bool {
	if rq.Queued() == rq.RingEntries {
		return false
	}
	rq.rqes[rq.RqTail&(rq.RingEntries-1)] = rings.ZcrxRqe{Off: off, Len: n}
	rq.RqTail++
	return true
}

// AddRaw fills the next entry with e as given (a bad pad, offset or area
// id for the kernel to skip), whether or not the queue is full.
func (rq *ZcrxRq) AddRaw(e rings.ZcrxRqe) {
	rq.rqes[rq.RqTail&(rq.RingEntries-1)] = e
	rq.RqTail++
}

// Advance publishes the entries added so far (store-release of the tail).
//
// Linux: liburing examples/zcrx.c:return_buffer() (io_uring_smp_store_release(rq_ring->ktail, ...))
func (rq *ZcrxRq) Advance() {
	rq.be.Yield()
	rings.StoreRelease(rq.ktail, rq.RqTail)
	rq.be.Yield()
}

// PrepRecvZC prepares IORING_OP_RECV_ZC on socket fd into the zero-copy
// receive queue zcrxID: n bytes (0: no limit), with ioprio flags
// (IORING_RECV_MULTISHOT, IORING_RECVSEND_POLL_FIRST). The data comes as
// 32-byte CQEs whose io_uring_zcrx_cqe gives the offset in the area.
//
// Linux: liburing test/zcrx.c:test_io_uring_prep_zcrx()
func PrepRecvZC(sqe *rings.SQE, fd int32, zcrxID uint32, n uint32, ioprio uint16) {
	PrepRW(sqe, rings.IORING_OP_RECV_ZC, fd, 0, n, 0)
	sqe.SpliceFdIn = int32(zcrxID)
	sqe.Ioprio = ioprio
}

// ZcrxCqe is the io_uring_zcrx_cqe in the second half of a 32-byte CQE.
//
// Linux: include/uapi/linux/io_uring.h:struct io_uring_zcrx_cqe
func ZcrxCqe(cqe *rings.CQE) rings.ZcrxCqe {
	b := BigCQE(cqe)
	return rings.ZcrxCqe{Off: b.BigCQE[0], Pad: b.BigCQE[1]}
}
