// Package mm is the simulated user address space: the mm_struct of a
// simulated process and the copy_{from,to}_user family that the kernel side
// uses to touch it.
//
// Every mapping is backed by real anonymous memory from mmap(2), so a user
// pointer is a real address: the same number works for the simulator and for
// the host kernel, and the Go garbage collector never moves or frees it. The
// kernel side never dereferences a user pointer directly; it goes through
// this package, which checks that every byte lies inside a live mapping and
// returns -EFAULT otherwise — garbage from a program can never crash the
// simulator.
//
// The mapping table is a copy-on-write B-tree behind an atomic pointer (the
// RCU pattern; Linux's maple tree is RCU-safe the same way): lookups take no
// lock and never block, and mmap/munmap publish a new version, copying only
// the O(log n) nodes they change. A deterministic world, where no lookup
// can race a change, changes its one tree in place (NewSerial). Backing memory is released only when the address space is
// released, so a racing reader in concurrent mode can never touch memory that
// was returned to the host: after munmap an address is refused (-EFAULT), but
// its pages stay valid until Release.
//
// Linux: mm/memory.c, include/linux/uaccess.h
package mm

import (
	"sync/atomic"
	"unsafe"

	"github.com/google/btree"
	"golang.org/x/sys/unix"
)

// PageSize is the page size of the simulated machine (PAGE_SIZE).
const PageSize = 4096

// PAGE_SHIFT is log2(PageSize).
const PAGE_SHIFT = 12

// EFAULT is returned (negated) for any access outside a live mapping.
const EFAULT = int(unix.EFAULT)

// Mapping is one mapped range: a vm_area_struct.
type Mapping struct {
	Addr uint64 // first byte
	Mem  []byte // the backing memory, len = mapped length
	Name string // what created it, for fdinfo-like dumps and errors

	region    *Region // set for a kernel region mapped with Map
	remoteLen uint64  // a remote run's length (its shadow, Mem, is reserved on first use)

	thp atomic.Pointer[thpState] // MADV_HUGEPAGE ranges and faulted blocks (thp.go)
}

// End is one past the last byte of the mapping.
func (m *Mapping) End() uint64 {
	if m.remoteLen != 0 {
		return m.Addr + m.remoteLen
	}
	return m.Addr + uint64(len(m.Mem))
}

// table is one published version of the mapping table: a B-tree of the
// live mappings by address, never modified once published.
type table struct {
	maps *btree.BTreeG[mapEntry]
}

// mapEntry is a B-tree item: a mapping keyed by its address. A value, not
// the *Mapping, so that a lookup's pivot is built on the stack: finding a
// mapping allocates nothing.
type mapEntry struct {
	addr uint64
	m    *Mapping
}

func entryLess(a, b mapEntry) bool { return a.addr < b.addr }

func entryOf(m *Mapping) mapEntry { return mapEntry{addr: m.Addr, m: m} }

// mmDegree is the B-tree's degree: shallow trees, few nodes copied per write.
const mmDegree = 16

// AddressSpace is a simulated process's address space (mm_struct).
type AddressSpace struct {
	cur    atomic.Pointer[table] // what lookups see (RCU: replaced, never changed)
	locked atomic.Int64          // pinned bytes charged to RLIMIT_MEMLOCK (mm->pinned_vm)

	// The writer's side (mmap_lock held for writing): the working tree,
	// of which cur is a lazy copy-on-write clone, and every mapping ever
	// created here, freed at Release. One writer at a time: writing
	// catches a second one.
	writing atomic.Bool
	work    *btree.BTreeG[mapEntry]
	backing []*Mapping

	remote *remote // another process's memory (NewRemote), or nil
	serial bool    // NewSerial: cur is work itself, changed in place
}

// New returns an empty address space.
func New() *AddressSpace {
	as := &AddressSpace{work: btree.NewG(mmDegree, entryLess)}
	as.cur.Store(&table{maps: as.work.Clone()})
	return as
}

// NewSerial returns an empty address space for a deterministic world, whose
// threads run one at a time, each switch ordering their accesses: no lookup
// ever races a change, so mmap and munmap change the one table in place
// instead of publishing a copy (a third of a small world's allocations).
func NewSerial() *AddressSpace {
	as := &AddressSpace{work: btree.NewG(mmDegree, entryLess), serial: true}
	as.cur.Store(&table{maps: as.work})
	return as
}

// Mmap creates an anonymous read-write mapping of at least length bytes
// (rounded up to whole pages) and returns its address.
// Linux: mm/mmap.c:do_mmap()
func (as *AddressSpace) Mmap(length uint64, name string) (*Mapping, int) {
	if length == 0 || length > 1<<40 {
		return nil, -int(unix.EINVAL)
	}
	if as.remote != nil {
		return nil, -int(unix.ENOMEM) // the process maps its own memory
	}
	n := (length + PageSize - 1) &^ (PageSize - 1)
	mem, err := mapAnon(n)
	if err != nil {
		return nil, -int(unix.ENOMEM)
	}
	m := &Mapping{Addr: uint64(uintptr(unsafe.Pointer(&mem[0]))), Mem: mem[:n:n], Name: name}
	as.write(func(w *btree.BTreeG[mapEntry]) {
		as.backing = append(as.backing, m)
		w.ReplaceOrInsert(entryOf(m))
	})
	return m, 0
}

// Map makes existing kernel-owned memory (a ring region) visible at its own
// address, as remap_pfn_range does for io_uring's regions. The memory must
// come from NewRegion (or this package's Mmap of another space) and stay
// alive until this space is released. Remapping the same address replaces
// the mapping there.
// Linux: io_uring/memmap.c:io_uring_mmap()
func (as *AddressSpace) Map(r *Region, name string) *Mapping {
	m := &Mapping{Addr: r.Addr(), Mem: r.Mem, Name: name, region: r}
	if as.remote != nil {
		return m // the process maps the region itself (exec: a memfd)
	}
	r.get()
	var replaced mapEntry
	as.write(func(w *btree.BTreeG[mapEntry]) {
		replaced, _ = w.ReplaceOrInsert(entryOf(m))
	})
	if replaced.m != nil && replaced.m.region != nil {
		replaced.m.region.put()
	}
	return m
}

// write runs f on the working tree and publishes a clone of the result:
// O(log n) nodes copied, whatever the number of mappings; lookups of the
// previous version go on undisturbed. A serial space has nothing to
// publish: its lookups read the working tree.
func (as *AddressSpace) write(f func(w *btree.BTreeG[mapEntry])) {
	if !as.writing.CompareAndSwap(false, true) {
		panic("mm: two threads change one address space at once (mmap_lock is not modelled)")
	}
	f(as.work)
	if !as.serial {
		as.cur.Store(&table{maps: as.work.Clone()})
	}
	as.writing.Store(false)
}

// Munmap removes the mappings that start inside [addr, addr+length). Only
// whole mappings are removed; a partial unmap of a mapping is refused with
// -EINVAL (the simulator does not split VMAs).
// Differs from Linux: munmap cannot split a mapping.
// Linux: mm/mmap.c:do_munmap()
func (as *AddressSpace) Munmap(addr, length uint64) int {
	if addr%PageSize != 0 || length == 0 || as.remote != nil {
		return -int(unix.EINVAL)
	}
	end := addr + length
	errno := 0
	var removed []*Mapping
	as.write(func(w *btree.BTreeG[mapEntry]) {
		w.AscendRange(mapEntry{addr: addr}, mapEntry{addr: end}, func(e mapEntry) bool {
			if e.m.End() > (end+PageSize-1)&^(PageSize-1) {
				errno, removed = -int(unix.EINVAL), nil
				return false
			}
			removed = append(removed, e.m)
			return true
		})
		for _, m := range removed {
			w.Delete(entryOf(m))
		}
	})
	for _, m := range removed {
		if m.region != nil {
			m.region.put()
		}
	}
	return errno
}

// Release frees every mapping's backing memory. The address space must not
// be used afterwards. Kernel-owned regions mapped with Map are not freed here.
func (as *AddressSpace) Release() {
	var live, all []*Mapping
	as.write(func(w *btree.BTreeG[mapEntry]) {
		w.Ascend(func(e mapEntry) bool { live = append(live, e.m); return true })
		w.Clear(false)
		all, as.backing = as.backing, nil
	})
	for _, m := range live {
		if m.region != nil {
			m.region.put()
		}
	}
	for _, m := range all {
		unmapAnon(m.Mem)
	}
	if as.remote != nil {
		as.remote.release()
	}
}

// find returns the mapping holding addr, or nil.
func (t *table) find(addr uint64) *Mapping {
	var m *Mapping
	t.maps.DescendLessOrEqual(mapEntry{addr: addr}, func(e mapEntry) bool { m = e.m; return false })
	if m != nil && addr < m.End() {
		return m
	}
	return nil
}

// Lookup returns the mapping that holds addr, or nil.
func (as *AddressSpace) Lookup(addr uint64) *Mapping {
	if as.remote != nil {
		m := as.remote.find(addr)
		if m == nil || as.remote.shadow(m) != 0 {
			return nil
		}
		return m
	}
	return as.cur.Load().find(addr)
}

// Mappings returns the live mappings in address order.
func (as *AddressSpace) Mappings() []*Mapping {
	if as.remote != nil {
		var ms []*Mapping
		for _, m := range as.remote.runs {
			if as.remote.shadow(m) == 0 {
				ms = append(ms, m)
			}
		}
		return ms
	}
	var ms []*Mapping
	as.cur.Load().maps.Ascend(func(e mapEntry) bool { ms = append(ms, e.m); return true })
	return ms
}

// Slice returns the user memory [addr, addr+n) as a byte slice aliasing the
// mapping, or -EFAULT if any byte of it is not mapped. The range must lie in
// one mapping. n == 0 yields an empty slice for any address.
// Linux: include/linux/uaccess.h:access_ok()
func (as *AddressSpace) Slice(addr, n uint64) ([]byte, int) {
	if n == 0 {
		return nil, 0
	}
	if as.remote != nil {
		return as.remote.slice(addr, n)
	}
	m := as.cur.Load().find(addr)
	if m == nil || addr+n < addr || addr+n > m.End() {
		return nil, -EFAULT
	}
	off := addr - m.Addr
	return m.Mem[off : off+n : off+n], 0
}

// CopyFromUser copies len(dst) bytes from user address src.
// Linux: include/linux/uaccess.h:copy_from_user()
func (as *AddressSpace) CopyFromUser(dst []byte, src uint64) int {
	b, errno := as.Slice(src, uint64(len(dst)))
	if errno != 0 {
		return errno
	}
	copy(dst, b)
	return 0
}

// CopyToUser copies src to user address dst.
// Linux: include/linux/uaccess.h:copy_to_user()
func (as *AddressSpace) CopyToUser(dst uint64, src []byte) int {
	b, errno := as.Slice(dst, uint64(len(src)))
	if errno != 0 {
		return errno
	}
	copy(b, src)
	return 0
}

// Account charges n pinned bytes to the address space's locked-memory
// counter against limit (RLIMIT_MEMLOCK; 0 means unlimited) and returns
// -ENOMEM when that would exceed it. A negative n uncharges.
// Linux: io_uring/rsrc.c:__io_account_mem()
func (as *AddressSpace) Account(n, limit int64) int {
	for {
		cur := as.locked.Load()
		next := cur + n
		if n > 0 && limit > 0 && next > limit {
			return -int(unix.ENOMEM)
		}
		if as.locked.CompareAndSwap(cur, next) {
			return 0
		}
	}
}

// Locked is the number of bytes currently charged by Account.
func (as *AddressSpace) Locked() int64 { return as.locked.Load() }

// TASK_SIZE_MAX is the top of the user address space on x86-64 with
// 4-level page tables: access_ok refuses ranges reaching past it.
// Linux: arch/x86/include/asm/page_64_types.h:TASK_SIZE_MAX
const TASK_SIZE_MAX = 1<<47 - 4096

// AccessOK is access_ok(addr, n): the range lies below TASK_SIZE_MAX.
// Linux: include/asm-generic/access_ok.h:access_ok()
func AccessOK(addr, n uint64) bool {
	return n <= TASK_SIZE_MAX && addr <= TASK_SIZE_MAX-n
}
