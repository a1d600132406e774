package mm

import "testing"

// TestLookup: an address finds the mapping holding it, from its first to
// its last byte; the bytes before the first mapping, past a mapping's end
// and in an unmapped one find none; user copies fault outside mappings.
func TestLookup(t *testing.T) {
	as := New()
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
	as := New()
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
