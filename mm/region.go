package mm

import (
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Region is kernel-owned memory that user space may map: the pages behind an
// io_uring ring or SQE array. It is allocated from the host like a user
// mapping, so a pointer into it is a real address on either side, and it is
// freed only by Free, when the kernel drops its last reference.
// Linux: io_uring/memmap.c:struct io_mapped_region
//
// A region is reference counted: the kernel holds one reference and every
// address space that maps it holds another, so memory a program still has
// mapped is never returned to the host under it.
type Region struct {
	Mem   []byte
	user  bool // pinned user memory: not ours to unmap
	filed bool // MoveToFile mapped a file over it: never back to the pool
	refs  atomic.Int32
}

// NewRegion allocates a zeroed region of at least size bytes, whole pages.
// Linux: io_uring/memmap.c:io_create_region()
func NewRegion(size uint64) (*Region, int) {
	if size == 0 || size > 1<<40 {
		return nil, -int(unix.EINVAL)
	}
	n := (size + PageSize - 1) &^ (PageSize - 1)
	mem, err := mapAnon(n)
	if err != nil {
		return nil, -int(unix.ENOMEM)
	}
	r := &Region{Mem: mem}
	r.refs.Store(1)
	return r, 0
}

// Addr is the region's address (its first byte).
func (r *Region) Addr() uint64 { return uint64(uintptr(unsafe.Pointer(&r.Mem[0]))) }

// Ptr is the region's first byte as a pointer, for ring views.
func (r *Region) Ptr() unsafe.Pointer { return unsafe.Pointer(&r.Mem[0]) }

// Free drops the kernel's reference; the pages go back to the host when no
// address space maps them any more.
// Linux: io_uring/memmap.c:io_free_region()
func (r *Region) Free() { r.put() }

// UserProvided reports whether the region is pinned user memory
// (UserRegion) rather than kernel pages (IO_REGION_F_USER_PROVIDED).
func (r *Region) UserProvided() bool { return r.user }

func (r *Region) get() { r.refs.Add(1) }

func (r *Region) put() {
	if r.refs.Add(-1) == 0 && !r.user {
		if r.filed {
			_ = unix.Munmap(r.Mem)
			return
		}
		unmapAnon(r.Mem)
	}
}

// UserRegion wraps pinned user memory as a region (IORING_SETUP_NO_MMAP and
// registered regions): the memory belongs to the address space, so Free
// only forgets it.
// Linux: io_uring/memmap.c:io_region_pin_pages()
func UserRegion(b []byte) *Region {
	r := &Region{Mem: b, user: true}
	r.refs.Store(1)
	return r
}
