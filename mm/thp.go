package mm

import (
	"slices"

	"golang.org/x/sys/unix"
)

// Transparent huge pages, as the 6.18 host runs them: THP "enabled" is
// madvise, PMD-sized folios only (every smaller mTHP size "never"), and no
// hugetlbfs pages (vm.nr_hugepages is 0).

// HPAGE_PMD_SIZE is the size of a PMD-mapped transparent huge page.
// Linux: include/linux/huge_mm.h:HPAGE_PMD_SIZE
const HPAGE_PMD_SIZE = 2 << 20

// Folio is a huge folio backing one HPAGE_PMD_SIZE-aligned block of a
// mapping. Its identity is the pointer: a block unmapped and mapped again
// at the same address gets a new folio, as it gets a new compound page.
// Linux: include/linux/mm_types.h:struct folio
type Folio struct {
	Addr uint64 // user address of its first page (the head page)
	Size uint64 // folio_size()
}

// NrPages is folio_nr_pages().
func (f *Folio) NrPages() int64 { return int64(f.Size / PageSize) }

// thpState is a mapping's transparent-huge-page state, replaced whole
// (copy-on-write) on every change.
type thpState struct {
	advised [][2]uint64 // VM_HUGEPAGE ranges [start, end), sorted, disjoint
	blocks  []thpBlock  // blocks already faulted in, by address
}

// thpBlock is an aligned block whose backing is decided: a huge folio, or
// base pages (folio nil).
type thpBlock struct {
	addr  uint64
	folio *Folio
}

// adviseHuge is MADV_HUGEPAGE (on) or MADV_NOHUGEPAGE over [start, end)
// of m: it sets or clears VM_HUGEPAGE there. Blocks already faulted in
// keep their pages either way.
// Linux: mm/khugepaged.c:hugepage_madvise()
func (m *Mapping) adviseHuge(start, end uint64, on bool) {
	for {
		old := m.thp.Load()
		next := &thpState{}
		if old != nil {
			next.blocks = old.blocks
			for _, r := range old.advised {
				// Keep what lies outside [start, end).
				if r[0] < start {
					next.advised = append(next.advised, [2]uint64{r[0], min(r[1], start)})
				}
				if r[1] > end {
					next.advised = append(next.advised, [2]uint64{max(r[0], end), r[1]})
				}
			}
		}
		if on {
			next.advised = append(next.advised, [2]uint64{start, end})
		}
		slices.SortFunc(next.advised, func(a, b [2]uint64) int { return cmpU64(a[0], b[0]) })
		if m.thp.CompareAndSwap(old, next) {
			return
		}
	}
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// advisedAll reports whether [start, end) lies inside one VM_HUGEPAGE
// range (ranges never touch without merging being needed: a block that
// straddles two adjacent advised ranges is advised too).
func (s *thpState) advisedAll(start, end uint64) bool {
	cur := start
	for _, r := range s.advised {
		if r[0] <= cur && cur < r[1] {
			cur = r[1]
			if cur >= end {
				return true
			}
		}
	}
	return false
}

// folioAt returns the huge folio backing the page at addr of m, or nil
// for a base page. The first call for a block is its fault: it gets a
// huge folio when the whole aligned block lies inside the mapping and
// under MADV_HUGEPAGE, base pages otherwise, and keeps them.
// Differs from Linux: the fault is the block's first pin, not the
// program's first touch (the simulator does not see the program's own
// stores), so a block written before MADV_HUGEPAGE still gets a huge
// folio at its first pin; khugepaged never collapses base pages later,
// and a huge folio never fails to allocate (docs/divergences.md).
// Linux: mm/memory.c:__handle_mm_fault(), mm/huge_memory.c:do_huge_pmd_anonymous_page()
func (m *Mapping) folioAt(addr uint64) *Folio {
	blk := addr &^ (HPAGE_PMD_SIZE - 1)
	for {
		cur := m.thp.Load()
		old := cur
		if old == nil {
			old = &thpState{}
		}
		i, found := slices.BinarySearchFunc(old.blocks, blk, func(b thpBlock, a uint64) int { return cmpU64(b.addr, a) })
		if found {
			return old.blocks[i].folio
		}
		var f *Folio
		if blk >= m.Addr && blk+HPAGE_PMD_SIZE <= m.End() && old.advisedAll(blk, blk+HPAGE_PMD_SIZE) {
			f = &Folio{Addr: blk, Size: HPAGE_PMD_SIZE}
		}
		next := &thpState{advised: old.advised, blocks: slices.Insert(slices.Clone(old.blocks), i, thpBlock{addr: blk, folio: f})}
		if m.thp.CompareAndSwap(cur, next) {
			return f
		}
	}
}

// AdviseHuge applies MADV_HUGEPAGE (on) or MADV_NOHUGEPAGE to the parts of
// [start, end) that are mapped.
// Linux: mm/madvise.c:madvise_vma_behavior()
func (as *AddressSpace) AdviseHuge(start, end uint64, on bool) {
	for _, m := range as.Mappings() {
		if m.End() <= start || m.Addr >= end || m.region != nil {
			continue
		}
		m.adviseHuge(max(start, m.Addr), min(end, m.End()), on)
	}
}

// FolioAt returns the huge folio backing the page at addr, faulting its
// block in (see Mapping.folioAt), or nil for a base page or an unmapped
// address.
// Linux: mm/gup.c:pin_user_pages_fast(), page_folio()
func (as *AddressSpace) FolioAt(addr uint64) *Folio {
	m := as.Lookup(addr)
	if m == nil || m.region != nil {
		return nil
	}
	return m.folioAt(addr)
}

// MmapFlags is Mmap with mmap(2) flags beyond MAP_PRIVATE|MAP_ANONYMOUS:
// MAP_POPULATE and MAP_NORESERVE change nothing here; MAP_HUGETLB is
// -ENOMEM, as on a host with no hugetlbfs pages reserved; any other flag
// is -EINVAL.
// Differs from Linux: vm.nr_hugepages is always 0 (docs/divergences.md).
// Linux: mm/mmap.c:ksys_mmap_pgoff()
func (as *AddressSpace) MmapFlags(length uint64, flags int, name string) (*Mapping, int) {
	if flags&^(unix.MAP_HUGETLB|unix.MAP_POPULATE|unix.MAP_NORESERVE) != 0 {
		return nil, -int(unix.EINVAL)
	}
	if flags&unix.MAP_HUGETLB != 0 {
		if length == 0 {
			return nil, -int(unix.EINVAL)
		}
		return nil, -int(unix.ENOMEM) // hugetlb_file_setup(): no pages to reserve
	}
	return as.Mmap(length, name)
}
