package kernel

import "testing"

// TestCancelHashKernelShape checks the table's sizing (ilog2(cq_entries)-5
// clamped to 1..8), hash_64 values, newest-first buckets and O(1) removal
// from the middle, head and tail of a bucket.
func TestCancelHashKernelShape(t *testing.T) {
	for _, c := range []struct {
		cq   uint32
		bits uint
	}{{2, 1}, {64, 1}, {128, 2}, {4096, 7}, {8192, 8}, {1 << 20, 8}} {
		var tb ioHashTable
		tb.init(c.cq)
		if tb.hashBits != c.bits || len(tb.hbs) != 1<<c.bits {
			t.Errorf("cq %d: %d bits, %d buckets; want %d bits", c.cq, tb.hashBits, len(tb.hbs), c.bits)
		}
	}
	// hash_64(1, 8) = (GOLDEN_RATIO_64 * 1) >> 56 = 0x61.
	if h := hashLong(1, 8); h != 0x61 {
		t.Errorf("hash_long(1, 8) = %#x, want 0x61", h)
	}
	var tb ioHashTable
	tb.init(64) // 2 buckets
	reqs := make([]Req, 6)
	for i := range reqs {
		reqs[i].ID = uint64(i)
		reqs[i].cqe.userData = 7 // all in one bucket, same key
		tb.insert(&reqs[i])
	}
	walk := func() []uint64 {
		var ids []uint64
		tb.each(func(r *Req) { ids = append(ids, r.ID) })
		return ids
	}
	if got := tb.find(7, nil); got != &reqs[5] {
		t.Fatalf("find returned %v, want the newest", got)
	}
	tb.del(&reqs[3]) // middle
	tb.del(&reqs[5]) // head
	tb.del(&reqs[0]) // tail
	tb.del(&reqs[0]) // unhashed: no effect
	if got, want := walk(), []uint64{4, 2, 1}; len(got) != len(want) || got[0] != 4 || got[1] != 2 || got[2] != 1 {
		t.Fatalf("walk %v, want %v", got, want)
	}
	if reqs[3].hashed() || !reqs[4].hashed() {
		t.Fatal("hashed() wrong after del")
	}
	if got := tb.find(7, func(r *Req) bool { return r.ID < 2 }); got != &reqs[1] {
		t.Fatalf("find with match returned %v", got)
	}
	tb.each(func(r *Req) { tb.del(r) }) // removal while walking
	if !tb.empty() || tb.find(7, nil) != nil || tb.findAny(func(*Req) bool { return true }) != nil {
		t.Fatal("table not empty after removing all")
	}
}
