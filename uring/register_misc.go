package uring

import (
	"unsafe"

	"github.com/uringsim/uringsim/rings"
)

// RegisterIOWQMaxWorkers is IORING_REGISTER_IOWQ_MAX_WORKERS: values
// holds the new bound and unbound limits (0 leaves one as it is) and
// gets the previous ones back.
//
// Linux: liburing src/register.c:io_uring_register_iowq_max_workers()
func (r *Ring) RegisterIOWQMaxWorkers(values *[2]uint32) error {
	return r.withArg(8, func(b []byte, addr uint64) error {
		p := (*[2]uint32)(unsafe.Pointer(&b[0]))
		*p = *values
		_, err := r.Register(rings.IORING_REGISTER_IOWQ_MAX_WORKERS, addr, 2)
		if err == nil {
			*values = *p
		}
		return err
	})
}

// RegisterIOWQAff is IORING_REGISTER_IOWQ_AFF: the CPUs the ring's io-wq
// workers may run on, as a cpu_set_t bitmap of len(mask) bytes.
//
// Linux: liburing src/register.c:io_uring_register_iowq_aff()
func (r *Ring) RegisterIOWQAff(mask []byte) error {
	return r.withArg(uint64(max(len(mask), 1)), func(b []byte, addr uint64) error {
		copy(b, mask)
		_, err := r.Register(rings.IORING_REGISTER_IOWQ_AFF, addr, uint32(len(mask)))
		return err
	})
}

// UnregisterIOWQAff is IORING_UNREGISTER_IOWQ_AFF: io-wq workers may run
// anywhere again.
//
// Linux: liburing src/register.c:io_uring_unregister_iowq_aff()
func (r *Ring) UnregisterIOWQAff() error {
	_, err := r.Register(rings.IORING_UNREGISTER_IOWQ_AFF, 0, 0)
	return err
}

// RegisterClock is IORING_REGISTER_CLOCK: the clock the ring's waits
// time out against (CLOCK_MONOTONIC or CLOCK_BOOTTIME).
//
// Linux: liburing src/register.c:io_uring_register_clock()
func (r *Ring) RegisterClock(reg *rings.ClockRegister) error {
	return r.withArg(uint64(unsafe.Sizeof(*reg)), func(b []byte, addr uint64) error {
		*(*rings.ClockRegister)(unsafe.Pointer(&b[0])) = *reg
		_, err := r.Register(rings.IORING_REGISTER_CLOCK, addr, 0)
		return err
	})
}

// RegisterRegion is IORING_REGISTER_MEM_REGION of the region desc
// describes, with flags (IORING_MEM_REGION_REG_WAIT_ARG): liburing's
// io_uring_register_region() with the io_uring_mem_region_reg built
// here. For a kernel-allocated region the kernel writes the offset to
// map it at into desc.MmapOffset.
//
// Linux: liburing src/register.c:io_uring_register_region()
func (r *Ring) RegisterRegion(desc *rings.RegionDesc, flags uint64) error {
	const regSize = uint64(unsafe.Sizeof(rings.MemRegionReg{}))
	return r.withArg(regSize+uint64(unsafe.Sizeof(*desc)), func(b []byte, addr uint64) error {
		d := (*rings.RegionDesc)(unsafe.Pointer(&b[regSize]))
		*d = *desc
		*(*rings.MemRegionReg)(unsafe.Pointer(&b[0])) = rings.MemRegionReg{RegionUptr: addr + regSize, Flags: flags}
		_, err := r.Register(rings.IORING_REGISTER_MEM_REGION, addr, 1)
		*desc = *d
		return err
	})
}
