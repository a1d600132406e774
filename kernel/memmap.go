package kernel

import (
	"github.com/uringsim/uringsim/mm"
	"github.com/uringsim/uringsim/rings"
)

// regionIntMax is INT_MAX, the bound on a region's page count.
const regionIntMax = 1<<31 - 1

// createRegion allocates the region rd describes: kernel pages (to be
// mmap'd), or with IORING_MEM_REGION_TYPE_USER the page-aligned user
// memory at rd.UserAddr, which the kernel pins. The checks and their
// order are the kernel's: reserved words and unknown flags -EINVAL, a
// user address given without TYPE_USER or missing with it -EFAULT, a zero
// size or a preset mmap offset or id -EINVAL, too many pages -E2BIG, an
// address or size off a page boundary -EINVAL, a range that wraps
// -EOVERFLOW, memory that cannot be pinned -EFAULT. On success the
// kernel-allocated region's mmap offset is stored in rd.MmapOffset.
//
// Differs from Linux: user memory must lie in one mapping of the address
// space (mm slices one mapping at a time); a range spanning two adjacent
// mappings is -EFAULT where Linux pins it. No pages are charged to a user
// (the simulated task has CAP_IPC_LOCK, so ctx->user is NULL).
// Linux: io_uring/memmap.c:io_create_region(), io_region_pin_pages(), io_pin_pages()
func createRegion(task *Task, rd *rings.RegionDesc, mmapOffset uint64) (*mm.Region, int) {
	for _, r := range rd.Resv {
		if r != 0 {
			return nil, -EINVAL
		}
	}
	if rd.Flags&^rings.IORING_MEM_REGION_TYPE_USER != 0 {
		return nil, -EINVAL
	}
	// user_addr should be set iff it's a user memory backed region.
	if (rd.Flags&rings.IORING_MEM_REGION_TYPE_USER != 0) != (rd.UserAddr != 0) {
		return nil, -EFAULT
	}
	if rd.Size == 0 || rd.MmapOffset != 0 || rd.ID != 0 {
		return nil, -EINVAL
	}
	if rd.Size/mm.PageSize > regionIntMax {
		return nil, -E2BIG
	}
	if (rd.UserAddr|rd.Size)%mm.PageSize != 0 {
		return nil, -EINVAL
	}
	if rd.UserAddr+rd.Size < rd.UserAddr {
		return nil, -EOVERFLOW
	}
	if rd.Flags&rings.IORING_MEM_REGION_TYPE_USER != 0 {
		b, errno := task.Proc.MM.Slice(rd.UserAddr, rd.Size)
		if errno != 0 {
			return nil, -EFAULT
		}
		return mm.UserRegion(b), 0
	}
	r, errno := mm.NewRegion(rd.Size)
	if errno != 0 {
		return nil, errno
	}
	rd.MmapOffset = mmapOffset
	return r, 0
}

// ringRegionDesc is the description io_allocate_scq_urings and
// io_register_resize_rings build for one ring region of size bytes: with
// IORING_SETUP_NO_MMAP the user memory at uaddr.
// Linux: io_uring/io_uring.c:io_allocate_scq_urings()
func ringRegionDesc(flags uint32, size, uaddr uint64) rings.RegionDesc {
	rd := rings.RegionDesc{Size: (size + mm.PageSize - 1) &^ (mm.PageSize - 1)}
	if flags&rings.IORING_SETUP_NO_MMAP != 0 {
		rd.UserAddr = uaddr
		rd.Flags |= rings.IORING_MEM_REGION_TYPE_USER
	}
	return rd
}
