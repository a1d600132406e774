package rsrc

import (
	"testing"

	"github.com/uringsim/uringsim/mm"
)

// hugeMapping maps 8 MiB with its first whole huge-page block at h; with
// advise, the whole mapping is under MADV_HUGEPAGE.
func hugeMapping(t *testing.T, as *mm.AddressSpace, advise bool) (m *mm.Mapping, h uint64) {
	t.Helper()
	m, e := as.Mmap(8<<20, "thp")
	if e != 0 {
		t.Fatal(e)
	}
	if advise {
		as.AdviseHuge(m.Addr, m.End(), true)
	}
	return m, (m.Addr + mm.HPAGE_PMD_SIZE - 1) &^ (mm.HPAGE_PMD_SIZE - 1)
}

// TestHugeFolioAccounting: a huge folio is charged whole (512 pages for
// one page of it), once per call through last_hpage and once per ring
// through the table; base pages are charged one by one.
func TestHugeFolioAccounting(t *testing.T) {
	as := mm.New()
	defer as.Release()
	_, h := hugeMapping(t, as, true)
	const hp = mm.HPAGE_PMD_SIZE / mm.PageSize
	reg := func(pa *PinAcct, addr, n uint64) *MappedUbuf {
		t.Helper()
		imu, ret := RegisterBuffer(as, addr, n, as, 0, pa)
		if ret != 0 {
			t.Fatalf("RegisterBuffer(%#x, %d): %d", addr, n, ret)
		}
		return imu
	}
	var pa PinAcct
	a := reg(&pa, h, mm.PageSize)
	if a.AcctPages != hp || a.NrBvecs != 1 || a.FolioShift != mm.PAGE_SHIFT {
		t.Fatalf("one page of a huge folio: %d pages charged, %d bvecs, shift %d; want %d, 1, %d",
			a.AcctPages, a.NrBvecs, a.FolioShift, hp, mm.PAGE_SHIFT)
	}
	if b := reg(&pa, h+8*mm.PageSize, mm.PageSize); b.AcctPages != 0 {
		t.Fatalf("the last huge folio charged again: %d pages", b.AcctPages)
	}
	// A new call forgets last_hpage; the table remembers.
	var d Data
	d.Alloc(1)
	d.Nodes[0] = NewNode(IORING_RSRC_BUFFER)
	d.Nodes[0].Buf = a
	if c := reg(&PinAcct{Table: &d}, h+16*mm.PageSize, mm.PageSize); c.AcctPages != 0 {
		t.Fatalf("a huge folio already in the table charged again: %d pages", c.AcctPages)
	}
	if c := reg(&PinAcct{}, h+16*mm.PageSize, mm.PageSize); c.AcctPages != hp {
		t.Fatalf("a new registration (empty table) charged %d pages, want %d", c.AcctPages, hp)
	}
	// Three blocks, the first entered part way: coalesced into three
	// bvecs of 2 MiB; charged 3 × 512.
	big := reg(&PinAcct{}, h+mm.HPAGE_PMD_SIZE-mm.PageSize, 2*mm.HPAGE_PMD_SIZE)
	if big.NrBvecs != 3 || big.FolioShift != 21 || big.AcctPages != 3*hp {
		t.Fatalf("across three folios: %d bvecs, shift %d, %d pages; want 3, 21, %d", big.NrBvecs, big.FolioShift, big.AcctPages, 3*hp)
	}
	// Base pages, then a huge folio: not coalesced, charged 1 + 512.
	m2, h2 := hugeMapping(t, as, false)
	as.AdviseHuge(h2+mm.HPAGE_PMD_SIZE, m2.End(), true)
	mixed := reg(&PinAcct{}, h2+mm.HPAGE_PMD_SIZE-mm.PageSize, 2*mm.PageSize)
	if mixed.NrBvecs != 2 || mixed.FolioShift != mm.PAGE_SHIFT || mixed.AcctPages != 1+hp {
		t.Fatalf("base page + huge folio: %d bvecs, shift %d, %d pages; want 2, %d, %d",
			mixed.NrBvecs, mixed.FolioShift, mixed.AcctPages, mm.PAGE_SHIFT, 1+hp)
	}
}
