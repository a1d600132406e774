package mm

import "testing"

// TestLookup: an address finds the mapping holding it, from its first to
// its last byte; the bytes before the first mapping, past a mapping's end
// and in an unmapped one find none; user copies fault outside mappings.
func TestLookup(t *testing.T) {
	for name, newAS := range spaces {
		t.Run(name, func(t *testing.T) { testLookup(t, newAS()) })
	}
}

// spaces are the two kinds of address space: published copies (New) and
// one table changed in place (NewSerial).
var spaces = map[string]func() *AddressSpace{"rcu": New, "serial": NewSerial}

func testLookup(t *testing.T, as *AddressSpace) {
	defer as.Release()
	var ms []*Mapping
	for range 100 {
		m, errno := as.Mmap(2*PageSize, "test")
		if errno != 0 {
			t.Fatalf("Mmap: %d", errno)
		}
		ms = append(ms, m)
	}
	gone := ms[50]
	if errno := as.Munmap(gone.Addr, uint64(len(gone.Mem))); errno != 0 {
		t.Fatalf("Munmap: %d", errno)
	}
	for i, m := range ms {
		want := m
		if m == gone {
			want = nil
		}
		for _, addr := range []uint64{m.Addr, m.Addr + 1, m.End() - 1} {
			if got := as.Lookup(addr); got != want {
				t.Errorf("mapping %d: Lookup(%#x) = %p, want %p", i, addr, got, want)
			}
		}
		if got := as.Lookup(m.End()); got != nil && got.Addr != m.End() {
			t.Errorf("mapping %d: Lookup(end %#x) = mapping at %#x", i, m.End(), got.Addr)
		}
	}
	if got := as.Lookup(0); got != nil {
		t.Errorf("Lookup(0) = mapping at %#x", got.Addr)
	}
	var b [8]byte
	if errno := as.CopyFromUser(b[:], gone.Addr); errno != -EFAULT {
		t.Errorf("CopyFromUser from an unmapped mapping = %d, want -EFAULT", errno)
	}
	if errno := as.CopyToUser(ms[3].End()-4, b[:]); errno != -EFAULT {
		t.Errorf("CopyToUser across a mapping's end = %d, want -EFAULT (a range lies in one mapping)", errno)
	}
	if errno := as.CopyToUser(ms[3].Addr, b[:]); errno != 0 {
		t.Errorf("CopyToUser into a mapping = %d", errno)
	}
}

// TestLookupAllocatesNothing: finding user memory (every copy_{from,to}_user
// does) makes no heap allocation, however many mappings there are.
func TestLookupAllocatesNothing(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage counters allocate")
	}
	for name, newAS := range spaces {
		t.Run(name, func(t *testing.T) { testLookupAllocatesNothing(t, newAS()) })
	}
}

func testLookupAllocatesNothing(t *testing.T, as *AddressSpace) {
	defer as.Release()
	var last *Mapping
	for range 1000 {
		m, errno := as.Mmap(PageSize, "test")
		if errno != 0 {
			t.Fatalf("Mmap: %d", errno)
		}
		last = m
	}
	var b [16]byte
	if a := testing.AllocsPerRun(100, func() {
		if as.Lookup(last.Addr+8) != last || as.CopyFromUser(b[:], last.Addr) != 0 || as.CopyToUser(last.Addr, b[:]) != 0 {
			t.Fatal("lookup failed")
		}
	}); a != 0 {
		t.Errorf("%v allocations per lookup, want 0", a)
	}
}

// TestSerialChangesInPlace: mmap and munmap in a serial address space
// publish no copy of the table, so a pair of them allocates less than in
// one that does (the Mapping and the list of removed mappings, not cloned
// tree nodes); what a lookup sees is the same.
func TestSerialChangesInPlace(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage counters allocate")
	}
	allocs := map[string]float64{}
	for name, newAS := range spaces {
		as := newAS()
		for range 20 { // a few mappings, so that a write copies a path
			if _, errno := as.Mmap(PageSize, "fill"); errno != 0 {
				t.Fatalf("Mmap: %d", errno)
			}
		}
		allocs[name] = testing.AllocsPerRun(100, func() {
			m, errno := as.Mmap(PageSize, "test")
			if errno != 0 || as.Lookup(m.Addr) != m {
				t.Fatalf("Mmap: %d", errno)
			}
			if errno := as.Munmap(m.Addr, PageSize); errno != 0 || as.Lookup(m.Addr) != nil {
				t.Fatalf("Munmap: %d", errno)
			}
		})
		as.Release()
	}
	if allocs["serial"] >= allocs["rcu"] {
		t.Errorf("mmap+munmap: %v allocations serial, %v published; want fewer serial", allocs["serial"], allocs["rcu"])
	}
	t.Logf("mmap+munmap allocations: %v", allocs)
}
