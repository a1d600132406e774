package uring

import (
	"fmt"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringsim/uringsim/rings"
)

// zcrxRingFlags are the setup flags zero-copy receive needs (liburing
// test/zcrx.c RING_FLAGS).
const zcrxRingFlags = rings.IORING_SETUP_DEFER_TASKRUN | rings.IORING_SETUP_SINGLE_ISSUER | rings.IORING_SETUP_CQE32 | rings.IORING_SETUP_SUBMIT_ALL

// zcrxRegCases tries IORING_REGISTER_ZCRX_IFQ with one thing wrong at a
// time, on interfaces every machine has (lo, an index no interface has),
// and records each errno: the argument checks io_register_zcrx_ifq makes
// before and after it looks the device up.
func zcrxRegCases(t *testing.T, be Backend) []string {
	area, err := be.Alloc(16 * 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = be.Free(area) }()
	rqMem, err := be.Alloc(ZcrxRqRegionSize(128))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = be.Free(rqMem) }()
	var log []string
	try := func(what string, flags uint32, mod func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc)) {
		r := mustNew(t, be, 8, &Params{Flags: flags})
		defer r.Close()
		reg := rings.ZcrxIfqReg{IfIdx: 1, IfRxq: 0, RqEntries: 128}
		a := rings.ZcrxAreaReg{Addr: addrOf(area), Len: uint64(len(area))}
		rd := rings.RegionDesc{UserAddr: addrOf(rqMem), Size: uint64(len(rqMem)), Flags: rings.IORING_MEM_REGION_TYPE_USER}
		pa, prd := &a, &rd
		if mod != nil {
			mod(&reg, pa, prd)
		}
		if reg.AreaPtr != 0 {
			pa = nil
		}
		if reg.RegionPtr != 0 {
			prd = nil
		}
		err := r.RegisterIfq(&reg, pa, prd)
		log = append(log, fmt.Sprintf("%s: %v rq_entries=%d", what, errnoOfErr(err), reg.RqEntries))
	}
	ok := uint32(zcrxRingFlags)
	try("lo", ok, nil)
	try("no DEFER_TASKRUN", rings.IORING_SETUP_CQE32, nil)
	try("no CQE32", rings.IORING_SETUP_DEFER_TASKRUN|rings.IORING_SETUP_SINGLE_ISSUER, nil)
	try("CQE_MIXED", rings.IORING_SETUP_DEFER_TASKRUN|rings.IORING_SETUP_SINGLE_ISSUER|rings.IORING_SETUP_CQE_MIXED, nil)
	try("no DEFER, bad everything", rings.IORING_SETUP_CQE32, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) {
		reg.Flags = 1
		reg.IfIdx = 9999
	})
	try("bad region ptr", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { reg.RegionPtr = 8 })
	try("bad region ptr and resv", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) {
		reg.RegionPtr = 8
		reg.Resv[0] = 1
	})
	for i := range 3 {
		try(fmt.Sprintf("resv[%d]", i), ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { reg.Resv[i] = 1 })
	}
	try("resv2", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { reg.Resv2 = 1 })
	try("zcrx_id", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { reg.ZcrxID = 1 })
	try("if_rxq -1", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { reg.IfRxq = ^uint32(0) })
	try("rq_entries 0", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { reg.RqEntries = 0 })
	try("flags 1", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { reg.Flags = 1 })
	try("flags 2", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { reg.Flags = 2 })
	try("resv and flags", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { reg.Flags = 1; reg.Resv2 = 1 })
	try("rq_entries 32769", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { reg.RqEntries = 32769 })
	try("rq_entries 32769 CLAMP", ok|rings.IORING_SETUP_CLAMP, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { reg.RqEntries = 32769 })
	try("bad area ptr", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { reg.AreaPtr = 8 })
	try("bad area ptr, if_idx 9999", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) {
		reg.AreaPtr = 8
		reg.IfIdx = 9999
	})
	try("rq_entries 129 region small", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { reg.RqEntries = 129 })
	try("rq_entries 200 region small, if_idx 9999", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) {
		reg.RqEntries = 200
		reg.IfIdx = 9999
	})
	try("region size 0", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { rd.Size = 0 })
	try("region no user addr", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { rd.UserAddr = 0 })
	try("region flags 2", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { rd.Flags |= 2 })
	try("region resv", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { rd.Resv[3] = 1 })
	try("region id", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { rd.ID = 1 })
	try("region mmap_offset", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { rd.MmapOffset = 4096 })
	try("region unaligned", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { rd.UserAddr += 8 })
	try("region kernel-allocated", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { rd.UserAddr = 0; rd.Flags = 0 })
	try("region unmapped", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { rd.UserAddr = 1 << 40 })
	try("if_idx 9999", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { reg.IfIdx = 9999 })
	try("if_idx 0", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { reg.IfIdx = 0 })
	try("lo rxq 5", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { reg.IfRxq = 5 })
	try("lo area flags", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { a.Flags = 2 })
	try("lo area unaligned", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) { a.Addr += 1 })
	try("lo dmabuf", ok, func(reg *rings.ZcrxIfqReg, a *rings.ZcrxAreaReg, rd *rings.RegionDesc) {
		a.Flags = rings.IORING_ZCRX_AREA_DMABUF
	})
	return log
}

// TestRegisterIfqErrors compares the registration's argument checks with
// the host's: lo has no parent device (-EOPNOTSUPP) and index 9999 no
// interface (-ENODEV) on both, so every check made before the area is
// imported has the host as its oracle.
func TestRegisterIfqErrors(t *testing.T) {
	differential(t, func(t *testing.T, be Backend) []string {
		log := zcrxRegCases(t, be)
		r := mustNew(t, be, 8, &Params{Flags: zcrxRingFlags})
		defer r.Close()
		_, err := r.Register(rings.IORING_REGISTER_ZCRX_IFQ, 0, 1)
		log = append(log, fmt.Sprintf("arg 0: %v", errnoOfErr(err)))
		_, err = r.Register(rings.IORING_REGISTER_ZCRX_IFQ, 8, 2)
		log = append(log, fmt.Sprintf("nr_args 2: %v", errnoOfErr(err)))
		_, err = r.Register(rings.IORING_REGISTER_ZCRX_IFQ, 8, 1)
		log = append(log, fmt.Sprintf("arg unmapped: %v", errnoOfErr(err)))
		return log
	})
}

// zcrxSetup registers an ifq on eth0's queue rxq of ring r with an area
// of pages pages and a kernel-allocated refill queue of entries entries,
// and maps the queue.
type zcrxSetup struct {
	reg  rings.ZcrxIfqReg
	area rings.ZcrxAreaReg
	rd   rings.RegionDesc
	mem  []byte // the area
	rq   *ZcrxRq
}

func registerZcrx(t *testing.T, be Backend, r *Ring, rxq, entries, pages uint32) (*zcrxSetup, error) {
	t.Helper()
	mem, err := be.Alloc(uint64(pages) * 4096)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = be.Free(mem) })
	z := &zcrxSetup{
		reg:  rings.ZcrxIfqReg{IfIdx: 2, IfRxq: rxq, RqEntries: entries},
		area: rings.ZcrxAreaReg{Addr: addrOf(mem), Len: uint64(len(mem))},
		rd:   rings.RegionDesc{Size: ZcrxRqRegionSize(entries)},
		mem:  mem,
	}
	if err := r.RegisterIfq(&z.reg, &z.area, &z.rd); err != nil {
		return nil, err
	}
	rqMem, err := be.MapRing(r.FD(), z.rd.MmapOffset, z.rd.Size)
	if err != nil {
		t.Fatalf("map refill queue at %#x: %v", z.rd.MmapOffset, err)
	}
	t.Cleanup(func() { _ = be.Unmap(rqMem) })
	z.rq = r.ZcrxRqInit(rqMem, &z.reg)
	return z, nil
}

// TestRegisterIfqSim registers on the simulated NIC: what the kernel
// writes back, the region's mmap offset per id, a busy queue, a queue the
// NIC lacks, and a queue given back when its ring goes away.
func TestRegisterIfqSim(t *testing.T) {
	m := NewSimMachine(SimConfig{Seed: 1, Net: NetConfig{RxQueues: 2}})
	defer m.Close()
	be := m.Backend()
	r := mustNew(t, be, 8, &Params{Flags: zcrxRingFlags})
	z, err := registerZcrx(t, be, r, 0, 100, 8)
	if err != nil {
		t.Fatal(err)
	}
	want := rings.ZcrxOffsets{Head: 0, Tail: 4, Rqes: 64}
	if z.reg.RqEntries != 128 || z.reg.Offsets != want || z.reg.ZcrxID != 0 || z.area.RqAreaToken != 0 || z.rd.MmapOffset != 0x30000000 {
		t.Fatalf("written back: reg %+v area %+v rd %+v", z.reg, z.area, z.rd)
	}
	if z.rq.RingEntries != 128 || z.rq.Queued() != 0 {
		t.Fatalf("refill queue %+v", z.rq)
	}
	if _, err := registerZcrx(t, be, r, 0, 8, 1); errnoOfErr(err) != unix.EEXIST {
		t.Fatalf("same queue again: %v, want EEXIST", err)
	}
	if _, err := registerZcrx(t, be, r, 2, 8, 1); errnoOfErr(err) != unix.ERANGE {
		t.Fatalf("queue 2 of 2: %v, want ERANGE", err)
	}
	z1, err := registerZcrx(t, be, r, 1, 8, 1)
	if err != nil || z1.reg.ZcrxID != 1 || z1.rd.MmapOffset != 0x30010000 {
		t.Fatalf("second queue: %v %+v %+v", err, z1.reg, z1.rd)
	}
	r2 := mustNew(t, be, 8, &Params{Flags: zcrxRingFlags})
	defer r2.Close()
	if _, err := registerZcrx(t, be, r2, 1, 8, 1); errnoOfErr(err) != unix.EEXIST {
		t.Fatalf("queue held by another ring: %v, want EEXIST", err)
	}
	r.Close()
	if z2, err := registerZcrx(t, be, r2, 1, 8, 1); err != nil || z2.reg.ZcrxID != 0 {
		t.Fatalf("queue after its ring closed: %v", err)
	}
}
