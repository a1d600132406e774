package mm

import (
	"testing"

	"golang.org/x/sys/unix"
)

// thpMapping maps 8 MiB and returns it with its first whole huge-page
// block.
func thpMapping(t *testing.T, as *AddressSpace) (*Mapping, uint64) {
	t.Helper()
	m, e := as.Mmap(8<<20, "thp")
	if e != 0 {
		t.Fatal(e)
	}
	return m, (m.Addr + HPAGE_PMD_SIZE - 1) &^ (HPAGE_PMD_SIZE - 1)
}

// TestHugeFolioFault: a block gets a huge folio only when it lies wholly
// in the mapping under MADV_HUGEPAGE at its first pin, and keeps what it
// got; MADV_NOHUGEPAGE affects only blocks not faulted yet.
func TestHugeFolioFault(t *testing.T) {
	as := New()
	defer as.Release()
	m, h := thpMapping(t, as)
	if f := as.FolioAt(h); f != nil {
		t.Fatal("a huge folio without MADV_HUGEPAGE")
	}
	as.AdviseHuge(m.Addr, m.End(), true)
	if f := as.FolioAt(h + 5); f != nil {
		t.Fatal("a block faulted as base pages became huge after MADV_HUGEPAGE")
	}
	h2 := h + HPAGE_PMD_SIZE
	f := as.FolioAt(h2 + 3*PageSize)
	if f == nil || f.Addr != h2 || f.NrPages() != 512 {
		t.Fatalf("advised block: folio %+v, want one at %#x of 512 pages", f, h2)
	}
	as.AdviseHuge(m.Addr, m.End(), false)
	if as.FolioAt(h2) != f {
		t.Fatal("MADV_NOHUGEPAGE changed a faulted huge folio")
	}
	if as.FolioAt(h2+HPAGE_PMD_SIZE) != nil {
		t.Fatal("a block faulted after MADV_NOHUGEPAGE got a huge folio")
	}
	// Advice on part of a block does not make it huge; the block at the
	// mapping's end is partial when the mapping is not aligned.
	as.AdviseHuge(h2+2*HPAGE_PMD_SIZE, h2+3*HPAGE_PMD_SIZE-PageSize, true)
	if as.FolioAt(h2+2*HPAGE_PMD_SIZE) != nil {
		t.Fatal("a block advised only in part got a huge folio")
	}
	if _, e := as.MmapFlags(HPAGE_PMD_SIZE, unix.MAP_HUGETLB, "hugetlb"); e != -int(unix.ENOMEM) {
		t.Fatalf("MAP_HUGETLB: %d, want -ENOMEM", e)
	}
}
